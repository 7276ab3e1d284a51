"""``RandomStateHook``: checkpoints the random generators so resume is exact."""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmagic.registry import HOOKS

from .rank_states import RankStates, this_ranks


def capture_random_state() -> dict:
    """The state of Python's, numpy's and torch's (CPU and CUDA) generators."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict) -> None:
    """Inverse of :func:`capture_random_state`."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Saves every rank's random generators in each checkpoint and restores them
    on resume, so a resumed run draws the same noise as an uninterrupted one.

    MMEngine restores weights, optimizers and the data position on ``--resume``
    but re-seeds the generators, so G's noise after a resume differs from the
    uninterrupted run. The state captured when the checkpoint is saved (end of
    iteration ``k``) is restored at the start of iteration ``k + 1`` of the
    resumed run (``before_train_iter``, highest priority): data loading in
    between must not draw from the main process's generators, which holds with
    ``num_workers > 0`` (workers are seeded by MMEngine) or with pipelines
    without random transforms.

    Each rank's state is kept (ranks draw different noise with
    ``diff_rank_seed``); under DDP it is gathered at the end of the iterations at
    which the CheckpointHook saves (:class:`~.rank_states.RankStates`), so a
    best checkpoint saved after validation carries none. Resuming with another
    world size skips the restore with a warning.
    """
    priority = 'HIGHEST'

    def __init__(self) -> None:
        self._pending: Optional[List[dict]] = None
        self._states = RankStates(capture_random_state)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._states.after_train_iter(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        states = self._states.for_checkpoint(runner)
        if states is not None:
            checkpoint['random_state'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('random_state')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._pending is None:
            return
        states, self._pending = self._pending, None
        state = this_ranks(states, 'random states (RandomStateHook)')
        if state is not None:
            restore_random_state(state)
