"""tools/misc/update_metafile.py: metadata from the configs, results only from results.json."""
import json

from helpers import CONFIGS, load_tool


def _run(config, seed, fid, extra=()):
    return dict(label='x', config=config, seed=seed, work_dir='w', returncode=0, wall_s=1.0,
                command=['py', '-c', 'c', 'tools/train.py', config, '--work-dir', 'w',
                         '--cfg-options', f'randomness.seed={seed}', *extra],
                sec_per_iter=0.1, machine='2-core CPU (test)', metrics={'FD-SmallCNN/fd': {'250': 50.0, '500': 40.0 + seed}},
                test_metrics={'FID-2k/fid': fid, 'FID-2k/mean': 1.0})


def test_results_come_only_from_plain_runs_of_the_config(tmp_path):
    tool = load_tool('misc/update_metafile')
    cfg = 'configs/asgan/asgan-fgsm_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
    (tmp_path / 'study').mkdir()
    (tmp_path / 'study' / 'results.json').write_text(json.dumps(
        [_run(cfg, 0, 10.0), _run(cfg, 1, 12.0),
         _run(cfg, 0, 99.0, extra=['custom_hooks.1.epsilon=0.1'])]))  # a sweep run: not a row
    rows = tool.measured_results(tmp_path)
    assert list(rows) == [cfg] and len(rows[cfg]) == 1
    metrics = rows[cfg][0]['Metrics']
    assert metrics['FID-2k/fid (last ckpt, mean)'] == 11.0
    assert metrics['FID-2k/fid (std)'] == 1.41 and metrics['FD-SmallCNN/fd (final, mean)'] == 40.5
    assert 'FID-2k/mean (last ckpt, mean)' not in metrics
    table = tool.results_table(rows)
    row = table.splitlines()[2]
    assert row.startswith('| [asgan-fgsm_dcgan-small-study') and '| 500 | [0, 1] | 11.00 +- 1.41 |' in row
    assert '| 40.50 +- 0.71 |' in row and '`bash tools/cpu_study.sh study`' not in row  # not 'fmnist_cpu'
    assert rows[cfg][0]['Dataset'] == 'Fashion-MNIST' and '2 seeds [0, 1], 0.1000 s/iter on 2-core CPU (test)' in rows[cfg][0]['Notes']


def test_attack_metadata_is_the_configs_hook_arguments():
    tool = load_tool('misc/update_metafile')
    name = 'asgan-pgd3_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
    assert tool.attack_of(CONFIGS / 'asgan' / name) == \
        "attack='pgd', steps=3, epsilon=2 / 255, mode='mix'"
    assert tool.attack_of(CONFIGS / 'asgan' / name.split('_', 1)[1]) == 'off (baseline)'
