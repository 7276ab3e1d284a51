"""RankStates / checkpoint_due (the DDP path runs in tests/test_distributed.py)."""
from types import SimpleNamespace

from mmengine.hooks import CheckpointHook

from mmagic_asgan.hooks.rank_states import RankStates, checkpoint_due


def _runner(it, max_iters=10, **ckpt):
    return SimpleNamespace(iter=it, max_iters=max_iters, hooks=[CheckpointHook(**ckpt)])


def test_checkpoint_due_follows_the_checkpoint_hook():
    assert [i + 1 for i in range(10) if checkpoint_due(_runner(i, interval=4, by_epoch=False))
            ] == [4, 8, 10]  # every 4 and the last (save_last)
    assert not checkpoint_due(_runner(9, interval=4, by_epoch=False, save_last=False))
    assert not checkpoint_due(SimpleNamespace(iter=3, max_iters=10, hooks=[]))


def test_single_process_captures_at_save_time():
    value = [1]
    states = RankStates(lambda: value[0])
    states.after_train_iter(_runner(3, interval=4, by_epoch=False))
    value[0] = 2
    assert states.for_checkpoint(_runner(3)) == [2]


def test_this_ranks_entry_or_none_for_another_world_size():
    from mmagic_asgan.hooks.rank_states import this_ranks
    assert this_ranks(['mine'], 'states') == 'mine'
    assert this_ranks(['rank0', 'rank1'], 'states') is None
