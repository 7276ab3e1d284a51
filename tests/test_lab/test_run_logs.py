"""lab/run_logs.py: a work dir's MMEngine scalars, read across resumes, with the
checkpoints evaluated after a cut first."""
import json

import numpy as np
import pytest

from lab.run_logs import aggregate, metric_keys, probe_keys, read_scalars, series


def _write_run(work_dir, stamp, records):
    vis = work_dir / stamp / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_a_resumed_run_reads_as_one_and_later_records_win(tmp_path):
    # first attempt: train logs to iter 4 and an evaluation at step 2; cut during the one at 4
    _write_run(tmp_path, '20260101_000000', [dict(iter=2, loss=1.0),
                                             dict(step=2, **{'FID-2k/fid': 90.0}),
                                             dict(iter=4, loss=0.9)])
    # that checkpoint evaluated later (tools/test.py), then the resumed attempt from iter 4
    (tmp_path / 'evaluations').mkdir()
    (tmp_path / 'evaluations' / 'iter_4.json').write_text(json.dumps(
        dict(step=4, metrics={'FID-2k/fid': 80.0}, command=['python', 'tools/test.py'])))
    _write_run(tmp_path, '20260101_010000', [dict(iter=4, loss=0.8), dict(iter=6, loss=0.7),
                                             dict(step=6, **{'FID-2k/fid': 70.0})])
    records = read_scalars(tmp_path)
    assert records[0] == {'step': 4, 'FID-2k/fid': 80.0}  # evaluations first
    assert series(records, 'FID-2k/fid') == {2: 90.0, 4: 80.0, 6: 70.0}
    assert series(records, 'loss') == {2: 1.0, 4: 0.8, 6: 0.7}  # the resumed attempt's iter 4 wins
    assert metric_keys(records) == ['FID-2k/fid'] and probe_keys(records) == []


def test_a_dir_without_logs_is_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        read_scalars(tmp_path)


def test_probe_keys_and_other_metric_suffixes():
    records = [{'iter': 1, 'probe/flip_rate': 0.1, 'probe/margin': 2.0, 'FD-4/fd': 3.0}]
    assert probe_keys(records) == ['probe/flip_rate', 'probe/margin']
    assert metric_keys(records, suffix='/fd') == ['FD-4/fd'] and metric_keys(records) == []


def test_aggregate_keeps_the_steps_every_run_has():
    steps, mean, low, high = aggregate([{1: 1.0, 2: 3.0, 3: 5.0}, {2: 5.0, 3: 7.0}])
    np.testing.assert_array_equal(steps, [2, 3])
    np.testing.assert_allclose(mean, [4.0, 6.0])
    np.testing.assert_allclose(low, [3.0, 5.0])
    np.testing.assert_allclose(high, [5.0, 7.0])
    assert aggregate([]) is None and aggregate([{1: 1.0}, {}]) is None
    assert aggregate([{1: 1.0}, {2: 1.0}]) is None  # no step in common
