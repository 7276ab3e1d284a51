"""tools/benchmark.py: runs configs x seeds for real, tabulates what it measured."""
import json

from helpers import (SMALL_DCGAN, as_config_body, load_tool, tiny_overrides, with_validation,
                     write_config)


def test_benchmark_runs_tabulates_and_retabulates(tmp_path, image_folder):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    with_validation(overrides, dict(type='OfflineFID', prefix='FID-4', fake_nums=4, real_nums=4,
                                    sample_model='orig', cache_dir=str(tmp_path / 'cache')))
    base = write_config(tmp_path / 'base.py', SMALL_DCGAN, '', overrides)
    as_cfg = write_config(tmp_path / 'as.py', SMALL_DCGAN, as_config_body(epsilon=0.03), overrides)
    tool = load_tool('benchmark')
    rows = tool.main(['--configs', str(base), str(as_cfg), '--labels', 'baseline', 'AS',
                      '--seeds', '0', '1', '--metric', 'FID-4/fid', '--out', str(tmp_path / 'b')])
    assert [r['label'] for r in rows] == ['baseline', 'AS']
    assert all(r['runs'] == 2 and r['final'] is not None and r['sec_per_iter'] > 0 for r in rows)
    assert rows[0]['time_ratio'] == 1.0 and rows[1]['peak_mem_mb'] > 0
    runs = json.loads((tmp_path / 'b' / 'results.json').read_text())
    assert len(runs) == 4 and all('randomness.seed=' in ' '.join(r['command']) for r in runs)
    assert (tmp_path / 'b' / 'results.png').exists()
    again = tool.main(['--from-results', str(tmp_path / 'b' / 'results.json'), '--metric',
                       'FID-4/fid', '--out', str(tmp_path / 'b2')])
    assert again == rows
    assert 'FID-4/fid' in (tmp_path / 'b2' / 'results.md').read_text()
