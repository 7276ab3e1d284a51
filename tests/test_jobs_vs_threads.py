"""tools/dev/jobs_vs_threads.py: one N-thread run against N one-thread runs at once.

The trainings are replaced by processes that only write MMEngine-style logs, so the
test checks the plan (who runs with how many threads, in which work dir) and the
arithmetic (runs per hour from the median logged seconds per iteration)."""
import json

import pytest

from helpers import load_tool


def test_compares_runs_per_hour(tmp_path, monkeypatch):
    tool = load_tool('dev/jobs_vs_threads')
    started = []

    class Finished:
        def wait(self):
            return 0

    def fake_start(config, work_dir, iters, threads):
        started.append((work_dir.name, threads))
        seconds = 0.05 if threads == 2 else 0.07  # one 2-thread run; 1-thread runs at once
        logs = work_dir / '20260101_000000' / 'vis_data'
        logs.mkdir(parents=True)
        records = [dict(iter=25, time=9.0)] + [dict(iter=25 * i, time=seconds)
                                               for i in range(2, 13)]
        (logs / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in records))
        return Finished()

    monkeypatch.setattr(tool, '_start', fake_start)
    out = tmp_path / 'result.json'
    result = tool.main(['cfg.py', '--iters', '300', '--cores', '2', '--work-dir',
                        str(tmp_path / 'w'), '--out', str(out)])
    assert started == [('one_process_2_threads', 2), ('process0_of_2_1_thread', 1),
                       ('process1_of_2_1_thread', 1)]
    assert result['one_process_sec_per_iter'] == pytest.approx(0.05)  # start-up record dropped
    assert result['runs_per_hour_one_process'] == pytest.approx(3600 / (0.05 * 300))
    assert result['runs_per_hour_parallel'] == pytest.approx(2 * 3600 / (0.07 * 300))
    assert result['parallel_speedup'] == pytest.approx(2 * 0.05 / 0.07)
    assert json.loads(out.read_text())['parallel_speedup'] == result['parallel_speedup']


def test_a_failed_training_stops_the_measurement(tmp_path, monkeypatch):
    tool = load_tool('dev/jobs_vs_threads')

    class Failed:
        def wait(self):
            return 1

    monkeypatch.setattr(tool, '_start', lambda *args: Failed())
    with pytest.raises(SystemExit, match='training failed'):
        tool.main(['cfg.py', '--work-dir', str(tmp_path / 'w')])
