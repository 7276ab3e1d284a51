"""tools/dev/benchmark.py: runs configs x seeds for real, tabulates what it measured."""
import json
from types import SimpleNamespace

import pytest

from helpers import (
    SMALL_DCGAN,
    as_config_body,
    load_tool,
    tiny_overrides,
    with_validation,
    write_config,
)


def test_benchmark_runs_tests_tabulates_and_retabulates(tmp_path, image_folder,
                                                        fd_classifier):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    with_validation(overrides, dict(type='ClassifierFD', prefix='FD-4', fake_nums=4, real_nums=4,
                                    sample_model='orig', classifier=fd_classifier['path'],
                                    cache_dir=str(tmp_path / 'cache')))
    base = write_config(tmp_path / 'base.py', SMALL_DCGAN, '', overrides)
    as_cfg = write_config(tmp_path / 'as.py', SMALL_DCGAN, as_config_body(epsilon=0.03), overrides)
    tool = load_tool('dev/benchmark')
    rows = tool.main(['--configs', str(base), str(as_cfg), '--labels', 'baseline', 'AS',
                      '--seeds', '0', '1', '--metric', 'FD-4/fd', '--test-metric', 'FD-4/fd',
                      '--jobs', '2', '--work-root', str(tmp_path / 'runs'),
                      '--out', str(tmp_path / 'b')])
    assert [r['label'] for r in rows] == ['baseline', 'AS']
    assert all(r['runs'] == 2 and r['final'] is not None and r['sec_per_iter'] > 0 for r in rows)
    assert all(r['test'] is not None and r['test'][0] > 0 for r in rows)
    assert rows[0]['time_ratio'] == 1.0 and rows[1]['peak_mem_mb'] > 0
    runs = json.loads((tmp_path / 'b' / 'results.json').read_text())
    assert [(r['label'], r['seed']) for r in runs] == [('baseline', 0), ('AS', 0),
                                                       ('baseline', 1), ('AS', 1)]
    assert all('randomness.seed=' in ' '.join(r['command']) for r in runs)
    assert all(r['threads'] >= 1 and 'iter_2.pth' in ' '.join(r['test_command']) for r in runs)
    assert (tmp_path / 'b' / 'results.png').exists()
    md = (tmp_path / 'b' / 'results.md').read_text()
    assert 'FD-4/fd (last ckpt)' in md and 'tools/test.py' in md and 'Machine: ' in md
    assert all('-core CPU' in r['machine'] for r in runs)
    again = tool.main(['--from-results', str(tmp_path / 'b' / 'results.json'), '--metric',
                       'FD-4/fd', '--test-metric', 'FD-4/fd', '--out', str(tmp_path / 'b2')])
    assert again == rows
    only = tool.main(['--from-results', str(tmp_path / 'b' / 'results.json'), '--keep', 'AS',
                      '--seeds', '1', '--metric', 'FD-4/fd', '--out', str(tmp_path / 'b3')])
    assert [(r['label'], r['seeds']) for r in only] == [('AS', [1])]


def test_sweep_plan_puts_the_value_in_cfg_options_and_the_label():
    tool = load_tool('dev/benchmark')
    args = SimpleNamespace(configs=['a.py'], labels=['AS'], seeds=[0, 1],
                           sweep=['custom_hooks.1.epsilon', '0.004', '0.016'])
    assert tool.plan(args) == [
        ('AS epsilon=0.004', 'a.py', 0, ['custom_hooks.1.epsilon=0.004']),
        ('AS epsilon=0.016', 'a.py', 0, ['custom_hooks.1.epsilon=0.016']),
        ('AS epsilon=0.004', 'a.py', 1, ['custom_hooks.1.epsilon=0.004']),
        ('AS epsilon=0.016', 'a.py', 1, ['custom_hooks.1.epsilon=0.016'])]


def test_per_config_options_are_kept_apart():
    tool = load_tool('dev/benchmark')
    args = SimpleNamespace(configs=['a.py', 'a.py'], labels=['AS', 'off'], seeds=[0], sweep=None,
                           config_options=['', 'custom_hooks.1.epsilon=0 x.y=1'])
    assert tool.plan(args) == [('AS', 'a.py', 0, []),
                               ('off', 'a.py', 0, ['custom_hooks.1.epsilon=0', 'x.y=1'])]


def test_results_file_is_whole_after_a_save_killed_midway(tmp_path, monkeypatch):
    from pathlib import Path

    from lab import benchmark as bm
    path = tmp_path / 'results.json'
    first = bm.RunResult(label='baseline', config='a.py', seed=0, work_dir='w', command=['x'],
                         returncode=0, wall_s=1.0, sec_per_iter=0.1, peak_mem_mb=1.0)
    bm.save([first], path)

    def torn_write(self, text, *args, **kwargs):  # the process dies half-way through a write
        with open(self, 'w') as f:
            f.write(text[:len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, 'write_text', torn_write)
    with pytest.raises(KeyboardInterrupt):
        bm.save([first, first], path)
    monkeypatch.undo()
    assert [r.label for r in bm.load(path)] == ['baseline']
