"""tools/dev/update_metafile.py: metadata from the configs, results only from results.json."""
import json

from helpers import CONFIGS, load_tool


def _run(config, seed, fid, extra=()):
    return dict(label='x', config=config, seed=seed, work_dir='w', returncode=0, wall_s=1.0,
                command=['py', '-c', 'c', 'tools/train.py', config, '--work-dir', 'w',
                         '--cfg-options', f'randomness.seed={seed}', *extra],
                sec_per_iter=0.1, machine='2-core CPU (test)', metrics={'FD-SmallCNN/fd': {'250': 50.0, '500': 40.0 + seed}},
                test_metrics={'FID-2k/fid': fid, 'FID-2k/mean': 1.0})


def _results_dir(tmp_path, runs, study='study'):
    (tmp_path / study).mkdir(exist_ok=True)
    (tmp_path / study / 'results.json').write_text(json.dumps(runs))
    return tmp_path


def test_results_come_only_from_plain_runs_of_the_config(tmp_path):
    tool = load_tool('dev/update_metafile')
    cfg = 'configs/asgan/asgan-fgsm_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
    rows = tool.measured_results(_results_dir(tmp_path, [
        _run(cfg, 0, 10.0), _run(cfg, 1, 12.0),
        _run(cfg, 0, 99.0, extra=['custom_hooks.1.epsilon=0.1'])]))  # a sweep run: not a row
    assert list(rows) == [cfg] and len(rows[cfg]) == 1
    metrics = rows[cfg][0]['Metrics']
    assert metrics['FID-2k/fid (last ckpt, mean)'] == 11.0
    assert metrics['FID-2k/fid (std)'] == 1.41 and metrics['FD-SmallCNN/fd (final, mean)'] == 40.5
    assert 'FID-2k/mean (last ckpt, mean)' not in metrics
    base = 'configs/asgan/dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
    rows.update(tool.measured_results(_results_dir(tmp_path, [_run(base, 0, 10.0)])))
    table = tool.results_table(rows).splitlines()
    assert table[2].startswith('| [dcgan-small-study') and '| 10.00 +- 0.00 |' in table[2]
    row = table[3]
    assert '11.00 +- 1.41 (+10.0% vs baseline)' in row
    assert row.startswith('| [asgan-fgsm_dcgan-small-study') and '| 500 | [0, 1] | 11.00 +- 1.41' in row
    assert '| 40.50 +- 0.71 |' in row and '`bash tools/dev/cpu_study.sh study`' not in row  # not 'fmnist_cpu'
    assert rows[cfg][0]['Dataset'] == 'Fashion-MNIST' and '2 seeds [0, 1], 0.1000 s/iter on 2-core CPU (test)' in rows[cfg][0]['Notes']


def test_attack_metadata_is_the_configs_hook_arguments():
    tool = load_tool('dev/update_metafile')
    name = 'asgan-pgd3_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
    assert tool.attack_of(CONFIGS / 'asgan' / name) == \
        "attack='pgd', steps=3, epsilon=2 / 255, mode='mix'"
    assert tool.attack_of(CONFIGS / 'asgan' / name.split('_', 1)[1]) == 'off (baseline)'
