"""``RandomStateHook``: checkpoints what each rank holds alone (its random generators;
under DDP its own buffers) so resume is exact on every rank."""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import is_distributed
from mmengine.hooks import Hook

from mmagic.registry import HOOKS

from ..module_state import unwrap
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


class _RestoreBeforeFetch:
    """Stands in for an ``IterBasedTrainLoop``'s data iterator on resume: lets the
    loop skip the ``skip`` batches already trained, then calls ``restore`` just
    before fetching the next one (where the uninterrupted run fetched it) and puts
    the loop's own iterator back."""

    def __init__(self, loop, skip: int, restore) -> None:
        self._loop, self._iterator = loop, loop.dataloader_iterator
        self._left, self._restore = skip, restore

    def __iter__(self):
        return self

    def __next__(self):
        if self._left > 0:
            self._left -= 1
            return next(self._iterator)
        self._loop.dataloader_iterator = self._iterator
        self._restore()
        return next(self._iterator)

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Saves every rank's random generators in each checkpoint and restores them
    on resume, so a resumed run draws what an uninterrupted one draws.

    MMEngine restores weights, optimizers and the data position on ``--resume``
    but re-seeds the generators, so G's noise and the data's random transforms
    after a resume differ from the uninterrupted run. The state is captured at the
    end of iteration ``k`` (``after_train_iter``, after the hooks that draw there,
    such as the sample grids, and before the CheckpointHook saves) and restored on
    resume right before the batch of iteration ``k + 1`` is fetched, after MMEngine
    has skipped the batches already trained: the data pipeline's random transforms
    (``Flip`` in the main process with ``num_workers=0``) draw what they drew.
    Validation runs on a fork of the generators (restored after it), so evaluating
    does not change what training draws next: where and how often a run is
    evaluated does not change its weights.

    Each rank's state is kept (ranks draw different noise with
    ``diff_rank_seed``); under DDP it is gathered at the end of the iterations at
    which the CheckpointHook saves (:class:`~.rank_states.RankStates`), so a
    best checkpoint saved after validation carries none. Resuming with another
    world size skips the restore with a warning.

    Under DDP each rank's buffers are kept too (``rank_buffers``): MMEngine's
    checkpoint holds rank 0's model, but without ``broadcast_buffers`` every rank's
    BatchNorm statistics follow its own batches (and they shape the samples that
    rank draws in evaluation). They are restored with the generators, after
    MMEngine has loaded rank 0's model.
    """
    priority = 'LOW'  # after the hooks that draw at the end of an iteration, before saving

    def __init__(self) -> None:
        self._pending: Optional[List[dict]] = None
        self._pending_buffers: Optional[List[dict]] = None
        self._states = RankStates(capture_random_state)
        self._buffers: Optional[RankStates] = None
        self._before_val: Optional[dict] = None

    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        self._buffers = RankStates(lambda: {name: b.detach().cpu().clone()
                                            for name, b in model.named_buffers()})
        loop = runner.train_loop
        if (self._pending is not None or self._pending_buffers is not None) and \
                hasattr(loop, 'dataloader_iterator'):
            loop.dataloader_iterator = _RestoreBeforeFetch(loop, runner.iter,
                                                           lambda: self._restore(runner))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._states.after_train_iter(runner)
        if is_distributed():
            self._buffers.after_train_iter(runner)

    def before_val(self, runner) -> None:
        self._before_val = capture_random_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_random_state(self._before_val)
            self._before_val = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        states = self._states.for_checkpoint(runner)
        if states is not None:
            checkpoint['random_state'] = states
        buffers = self._buffers.for_checkpoint(runner) if is_distributed() else None
        if buffers is not None:
            checkpoint['rank_buffers'] = buffers

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('random_state')
        self._pending_buffers = checkpoint.get('rank_buffers')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._restore(runner)  # a loop without a data iterator to stand in for

    def _restore(self, runner) -> None:
        """Restores what a resumed checkpoint holds for this rank (once)."""
        if self._pending is not None:
            states, self._pending = self._pending, None
            state = this_ranks(states, 'random states (RandomStateHook)')
            if state is not None:
                restore_random_state(state)
        if self._pending_buffers is not None:
            states, self._pending_buffers = self._pending_buffers, None
            saved = this_ranks(states, 'buffers (RandomStateHook)')
            if saved is not None:
                with torch.no_grad():
                    for name, buffer in unwrap(runner.model).named_buffers():
                        if name in saved:
                            buffer.copy_(saved[name])
