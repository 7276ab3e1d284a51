"""tools/analysis/step_cost.py: interleaved timings in one process."""
from helpers import SMALL_DCGAN, load_tool, tiny_overrides, write_config


def test_step_cost_reports_ratios_with_intervals(tmp_path, image_folder):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    regime = write_config(tmp_path / 'regime.py', SMALL_DCGAN, '', overrides)
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''
name = 'cost'
metric = 'x'
regimes = dict(plain=dict(config={str(regime)!r}))
variants = dict(baseline=dict(), AS=dict(hooks=[dict(type='RealSampleAttackHook', epsilon=0.03,
                                        log_interval=100)]))
phases = dict()
''')
    tool = load_tool('analysis/step_cost')
    out = tool.main([str(spec), '--regime', 'plain', '--variants', 'AS', '--repeats', '4',
                     '--warmup', '1', '--work-dir', str(tmp_path / 'w'), '--out',
                     str(tmp_path / 'cost.json')])
    assert set(out) == {'baseline', 'AS', '_meta'} and out['_meta']['repeats'] == 4
    for part in ('d_step', 'train_step'):
        e = out['AS'][part]
        assert e['repeats'] == 4 and e['mean_s'] > 0
        assert e['ci_low'] <= e['ratio'] <= e['ci_high']
    assert (tmp_path / 'cost.json').exists() and 'CPU' in out['_meta']['machine']
    # the variant did attack: FGSM mix adds D's call on x_adv to the D step (fake, real)
    assert out['baseline']['d_forwards'] == 2 and out['AS']['d_forwards'] == 3
