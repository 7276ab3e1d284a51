"""Every rank's state in rank 0's checkpoints, under DDP.

MMEngine saves checkpoints on rank 0 only (``Runner.save_checkpoint`` is
``master_only``), so a hook's ``before_save_checkpoint`` runs on rank 0 alone
and cannot gather from the other ranks (a collective there hangs or crashes).
:class:`RankStates` gathers at ``after_train_iter`` of each iteration at which a
``CheckpointHook`` is about to save, on every rank, and gives rank 0 the list.
"""
from typing import Callable, List, Optional

from mmengine.dist import all_gather_object, get_dist_info, is_distributed
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log


def checkpoint_due(runner) -> bool:
    """Whether a CheckpointHook saves at the end of this iteration (its own
    ``after_train_iter`` condition)."""
    for hook in runner.hooks:
        if isinstance(hook, CheckpointHook) and not hook.by_epoch and (
                hook.every_n_train_iters(runner, hook.interval, hook.save_begin) or
                (hook.save_last and hook.is_last_train_iter(runner))):
            return True
    return False


class RankStates:
    """Collects ``capture()`` from every rank for the checkpoints.

    Call :meth:`after_train_iter` from a hook whose priority is above the
    CheckpointHook's, and :meth:`for_checkpoint` from its ``before_save_checkpoint``.

    Args:
        capture (Callable[[], object]): this rank's state (picklable).
    """

    def __init__(self, capture: Callable[[], object]) -> None:
        self._capture = capture
        self._gathered: Optional[tuple] = None

    def after_train_iter(self, runner) -> None:
        if is_distributed() and checkpoint_due(runner):
            self._gathered = (runner.iter, all_gather_object(self._capture()))

    def for_checkpoint(self, runner) -> Optional[List[object]]:
        """The states, one per rank; None under DDP for a checkpoint saved
        outside the CheckpointHook's iteration schedule (e.g. a best checkpoint
        after validation), whose other ranks' states rank 0 cannot know."""
        if not is_distributed():
            return [self._capture()]
        if self._gathered is not None and self._gathered[0] == runner.iter:
            return self._gathered[1]
        return None


def this_ranks(states: List[object], what: str) -> Optional[object]:
    """This rank's entry of a checkpoint's per-rank ``states``; None, with a
    warning naming ``what``, if the checkpoint was saved with another world size."""
    rank, world_size = get_dist_info()
    if len(states) != world_size:
        print_log(f'the checkpoint holds {len(states)} ranks\' {what}, this run has '
                  f'{world_size}; not restoring them', logger='current', level=30)
        return None
    return states[rank]
