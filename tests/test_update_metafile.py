"""tools/dev/update_metafile.py: metadata from the configs, results only from results.json."""
import json

from helpers import CONFIGS, load_tool


def _run(config, seed, fid, extra=()):
    return dict(label='x', config=config, seed=seed, work_dir='w', returncode=0, wall_s=1.0,
                command=['py', '-c', 'c', 'tools/train.py', config, '--work-dir', 'w',
                         '--cfg-options', f'randomness.seed={seed}', *extra],
                sec_per_iter=0.1, machine='2-core CPU (test)',
                metrics={'FD-SmallCNN/fd': {'250': 50.0, '500': 40.0 + seed}},
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
    assert row.startswith('| [asgan-fgsm_dcgan-small-study')
    assert '| 500 | [0, 1] | 11.00 +- 1.41' in row
    assert '| 40.50 +- 0.71 |' in row
    assert '`bash tools/dev/cpu_study.sh study`' not in row  # not 'fmnist_cpu'
    assert rows[cfg][0]['Dataset'] == 'Fashion-MNIST'
    assert '2 seeds [0, 1], 0.1000 s/iter on 2-core CPU (test)' in rows[cfg][0]['Notes']


def test_attack_metadata_is_the_configs_hook_arguments():
    tool = load_tool('dev/update_metafile')
    name = 'asgan-pgd3_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
    assert tool.attack_of(CONFIGS / 'asgan' / name) == \
        "attack='pgd', steps=3, epsilon=2 / 255, mode='mix'"
    assert tool.attack_of(CONFIGS / 'asgan' / name.split('_', 1)[1]) == 'off (baseline)'


def test_attack_metadata_of_as_plus_r1_names_both_hooks():
    tool = load_tool('dev/update_metafile')
    cifar = CONFIGS / 'asgan' / 'cifar'
    both = 'asgan-fgsm-e1-r1-g1e-2_dcgan-wide_1xb32-10kiters_cifar10-32x32.py'
    assert tool.attack_of(cifar / both) == (
        "attack='fgsm', epsilon=1 / 255, mode='mix', objective='score'; with R1: gamma=0.01")
    assert tool.attack_of(cifar / 'r1-g1e-2_dcgan-wide_1xb32-10kiters_cifar10-32x32.py') == \
        'off; R1 control: gamma=0.01'


def test_a_study_lists_its_zoo_configs_once_its_verdict_phase_is_complete(tmp_path):
    """A study's held-out arms become zoo rows (the per-run score over its seeds, the
    command) only when every run of the verdict phase is in."""
    from lab import benchmark as bm
    tool = load_tool('dev/update_metafile')
    config = 'configs/asgan/cifar/asgan-fgsm-e1_dcgan-wide_1xb32-10kiters_cifar10-32x32.py'
    specs = tmp_path / 'studies'
    specs.mkdir()
    (specs / 'tiny.py').write_text(f'''
name = 'tiny'
out = {str(tmp_path / 'results')!r}
metric = 'FID-2k/fid'
regimes = dict(r=dict(config='c.py'))
variants = dict(baseline=dict(), AS=dict(hooks=[dict(type='RealSampleAttackHook')]))
phases = dict(dev=dict(seeds=[0], runs=dict(r=['baseline'])),
              heldout=dict(seeds=[10, 11], runs=dict(r=['baseline', 'AS'])))
verdict_phase = 'heldout'
zoo = dict(r=dict(AS={config!r}))
''')
    scores = {('baseline', 10): 80.0, ('baseline', 11): 82.0, ('AS', 10): 70.0, ('AS', 11): 74.0}
    runs = [bm.RunResult(v, 'c.py', seed, 'w', [], 0, 1.0, phase='heldout', regime='r',
                         variant=v, metrics={'FID-2k/fid': {'8000': s + 3, '9000': s,
                                                            '10000': s - 3}})
            for (v, seed), s in scores.items()]
    (tmp_path / 'results').mkdir()
    bm.save(runs[:3], tmp_path / 'results' / 'results.json')
    assert tool.study_results(specs) == {}  # AS seed 11 not in: no row
    bm.save(runs, tmp_path / 'results' / 'results.json')
    row, = tool.study_results(specs)[config]
    assert row['Metrics'] == {'FID-2k/fid (mean of the last 3 evaluations, mean over seeds)': 72.0,
                              'FID-2k/fid (mean of the last 3 evaluations, std over seeds)': 2.83}
    assert row['Dataset'] == 'CIFAR-10' and 'seeds [10, 11]' in row['Notes']
    assert row['Notes'].endswith('/studies/tiny.py --phase heldout')


def test_shipped_metafile_lists_measured_rows_only_and_says_it_is_generated():
    text = (CONFIGS / 'asgan' / 'metafile.yml').read_text()
    assert text.startswith('# generated by `python tools/dev/update_metafile.py`')
    assert 'Results: []' not in text and 'Results:' in text
    # the superseded study's rows say so
    notes = [line for line in text.splitlines() if line.strip().startswith('Notes:')]
    assert notes and all('SUPERSEDED' in n for n in notes if 'fmnist_cpu' in n)


def test_the_shipped_metafile_and_zoo_table_are_what_the_tool_writes_from_results():
    """Regenerating from the committed results changes nothing, on a machine with the
    data or without it (a clean clone has no data/: the table keeps the data copies it
    recorded), so the zoo is never edited by hand nor left behind its results."""
    tool = load_tool('dev/update_metafile')
    results = tool.measured_results()
    assert tool.metafile_text(results, tool.study_results()) == \
        (CONFIGS / 'asgan' / 'metafile.yml').read_text()
    readme = (CONFIGS / 'asgan' / 'README.md').read_text()
    assert tool.zoo_readme_text(readme, results) == readme


def test_without_the_data_a_row_keeps_the_data_copy_its_table_recorded(tmp_path):
    tool = load_tool('dev/update_metafile')
    config = tmp_path / 'c.py'
    config.write_text("data_root = 'data/nowhere/train'\n")
    assert tool.data_copy(config) == 'unknown (no manifest)'
    assert tool.data_copy(config, "data/x: 9 images (fingerprint ab)") == \
        'data/x: 9 images (fingerprint ab)'
    table = ('| [c, SUPERSEDED](c.py) | data/x: 9 images (fingerprint ab) | 1 |\n'
             '| [d](d.py) | unknown (no manifest) | 1 |')
    assert tool.recorded_data_copies(table) == {'c.py': 'data/x: 9 images (fingerprint ab)'}
