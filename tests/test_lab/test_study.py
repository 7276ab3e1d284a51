"""tools/dev/study.py: regimes x variants x seeds, resumable, reported with CIs."""
import json

import pytest

from helpers import SMALL_DCGAN, load_tool, tiny_overrides, with_validation, write_config
from lab import study


def _spec(tmp_path, image_folder, fd_classifier):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    with_validation(overrides, dict(type='ClassifierFD', prefix='FD-4', fake_nums=4, real_nums=4,
                                    sample_model='orig', classifier=fd_classifier['path'],
                                    cache_dir=str(tmp_path / 'cache')))
    regime = write_config(tmp_path / 'regime.py', SMALL_DCGAN, '', overrides)
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''
name = 'tiny'
out = {str(tmp_path / 'results')!r}
metric = 'FD-4/fd'
test_metric = 'FD-4/fd'
jobs = 2
threads = 1
verdict_phase = 'dev'
cost_file = {str(tmp_path / 'cost.json')!r}
regimes = dict(plain=dict(config={str(regime)!r}),
               fast=dict(config={str(regime)!r},
                         cfg_options=['optim_wrapper.discriminator.optimizer.lr=0.001']))
variants = dict(baseline=dict(),
                AS=dict(hooks=[dict(type='RealSampleAttackHook', epsilon=0.03)]),
                R1=dict(hooks=[dict(type='R1GradientPenaltyHook', gamma=1.0)]))
phases = dict(dev=dict(seeds=[0, 1], runs=dict(plain=['baseline', 'R1'], fast=['baseline']),
                       test_metric_runs=dict(plain=['R1']), test_metric_seeds=[1]))
''')
    return spec


def test_study_runs_resumes_and_reports(tmp_path, image_folder, fd_classifier):
    spec_path = _spec(tmp_path, image_folder, fd_classifier)
    spec = study.load_spec(str(spec_path))
    assert study.plan(spec, 'dev') == [('plain', 'baseline', 0), ('plain', 'R1', 0),
                                       ('fast', 'baseline', 0), ('plain', 'baseline', 1),
                                       ('plain', 'R1', 1), ('fast', 'baseline', 1)]
    assert study.plan(spec, 'dev', regimes=['fast']) == [('fast', 'baseline', 0),
                                                         ('fast', 'baseline', 1)]
    with pytest.raises(ValueError, match=r"regimes \['slow'\] are not in phase dev"):
        study.plan(spec, 'dev', regimes=['slow'])
    generated = study.variant_config(spec, 'plain', 'AS', tmp_path / 'generated').read_text()
    assert "_base_.get('custom_hooks', []) + [{'type': 'RealSampleAttackHook'" in generated
    tool = load_tool('dev/study')
    work = tmp_path / 'runs'
    study.run_phase(spec, 'dev', work_root=work, limit=2)  # a session that stops early
    assert len(json.loads((tmp_path / 'results' / 'results.json').read_text())) == 2
    stale = work / 'dev' / 'plain' / 'baseline' / 'seed1' / '20000101_000000' / 'vis_data'
    stale.mkdir(parents=True)  # an attempt interrupted in an earlier session
    (stale / 'scalars.json').write_text('{"FD-4/fd": 1e9, "step": 999}\n')
    # an attempt cut off after its checkpoint at iteration 1 (of 2)
    from lab import benchmark as bm
    cut = work / 'dev' / 'plain' / 'R1' / 'seed1'
    cut_off = bm.run_one('x', str(study.variant_config(spec, 'plain', 'R1', work / 'configs')), 1,
                         cut, study.repo_root() / 'tools' / 'train.py', ['train_cfg.max_iters=1'],
                         threads=1)
    assert cut_off.returncode == 0 and (cut / 'last_checkpoint').read_text().endswith('iter_1.pth')
    results = study.run_phase(spec, 'dev', work_root=work)  # continues: 4 more, not 6
    again = next(r for r in results if (r.regime, r.variant, r.seed) == ('plain', 'baseline', 1))
    assert list(again.metrics['FD-4/fd']) == [2] and not stale.exists()  # started afresh
    resumed = next(r for r in results if (r.regime, r.variant, r.seed) == ('plain', 'R1', 1))
    assert '--resume' in resumed.command and '--resume' not in again.command
    assert len(list(cut.glob('*/vis_data/scalars.json'))) == 2  # both attempts' logs kept
    assert sorted(resumed.metrics['FD-4/fd']) == [1, 2]  # iteration 1 not trained again
    assert len(results) == 6 and all(r.returncode == 0 for r in results)
    first = {(r.regime, r.variant, r.seed) for r in results[:2]}
    assert first == set(study.plan(spec, 'dev')[:2])  # kept, not run again
    assert {(r.regime, r.variant, r.seed) for r in results} == set(study.plan(spec, 'dev'))
    r1_log = next(work.glob('dev/plain/R1/seed0/*/vis_data/scalars.json')).read_text()
    assert 'loss_r1' in r1_log  # the variant's hook trained
    fast = next(r for r in results if r.regime == 'fast')
    assert 'optim_wrapper.discriminator.optimizer.lr=0.001' in fast.command
    scored = {(r.regime, r.variant, r.seed) for r in results if r.test_metrics}
    assert scored == {('plain', 'R1', 1)}  # test_metric_seeds: the documented subset
    (tmp_path / 'cost.json').write_text(json.dumps(
        {'R1': {'train_step': {'ratio': 1.3, 'ci_low': 1.25, 'ci_high': 1.35}}}))
    summary = tool.main([str(spec_path), '--report'])
    rows = {(r['regime'], r['variant']): r for r in summary['dev']}
    assert rows[('plain', 'R1')]['n'] == 2 and rows[('plain', 'R1')]['score']['ci_low'] is not None
    assert rows[('plain', 'baseline')]['score']['diff'] == 0.0
    assert rows[('plain', 'R1')]['test']['n'] == 1 and rows[('fast', 'baseline')]['test'] is None
    assert rows[('plain', 'R1')]['time_ratio'] > 0
    md = (tmp_path / 'results' / 'results.md').read_text()
    assert md.startswith('<!-- generated by') and '95% Welch CI' in md
    assert 'plain | R1 | 2 |' in md
    assert (tmp_path / 'results' / 'dev.png').exists()
    not_run = dict(rows[('fast', 'baseline')], variant='AS', n=0)  # a cell not run yet
    assert '| fast | AS |' not in study.markdown(spec, summary['dev'] + [not_run], 'dev')
    verdict = (tmp_path / 'results' / 'verdict.md').read_text()
    assert '| plain | R1 | 2 |' in verdict and '| 1.30x [1.25, 1.35] |' in verdict  # cost_file's
    assert '(n=1)' in verdict and '| fast | baseline | 2 |' in verdict
    assert verdict.startswith('<!-- generated by `python tools/dev/study.py ')
    assert 'Holm p=' in verdict and '- plain, R1 vs baseline: ' in verdict
    # the test metric widened to seed 0 after training: scored on the last checkpoint, not retrained
    spec.phases.dev.test_metric_seeds = [0, 1]
    commands = {(r.regime, r.variant, r.seed): r.command for r in results}
    again = study.run_phase(spec, 'dev', work_root=work)
    assert {(r.regime, r.variant, r.seed): r.command for r in again} == commands
    assert {(r.regime, r.variant, r.seed) for r in again if r.test_metrics} == {
        ('plain', 'R1', 0), ('plain', 'R1', 1)}
    saved = json.loads((tmp_path / 'results' / 'results.json').read_text())
    assert sum(bool(r['test_metrics']) for r in saved) == 2
    # the figure has one panel per regime with runs (4.6 inches at 110 dpi each)
    import matplotlib.image
    plain_only = [r for r in again if r.regime == 'plain']
    both = matplotlib.image.imread(study.plot_phase(spec, again, 'dev', tmp_path / 'both.png'))
    one = matplotlib.image.imread(study.plot_phase(spec, plain_only, 'dev', tmp_path / 'one.png'))
    assert both.shape[1] == 2 * 506 and one.shape[1] == 506



def test_a_run_cut_off_during_an_evaluation_gets_it_before_resuming(tmp_path, image_folder,
                                                                     fd_classifier):
    """MMEngine saves a checkpoint, then evaluates; a run cut off in between and
    resumed would never evaluate that iteration (and, keeping one checkpoint, lose
    it at the next save): the study evaluates it before the run continues."""
    from lab import benchmark as bm
    spec_path = _spec(tmp_path, image_folder, fd_classifier)
    text = spec_path.read_text().replace(  # evaluate after every iteration
        "regimes = dict(plain=dict(config=", "regimes = dict(plain=dict(cfg_options=["
        "'train_cfg.val_interval=1'], config=")
    spec_path.write_text(text.replace("runs=dict(plain=['baseline', 'R1'], fast=['baseline'])",
                                      "runs=dict(plain=['R1'])").replace('seeds=[0, 1]',
                                                                          'seeds=[1]'))
    spec = study.load_spec(str(spec_path))
    assert study.plan(spec, 'dev') == [('plain', 'R1', 1)]
    work = tmp_path / 'runs'
    cut = work / 'dev' / 'plain' / 'R1' / 'seed1'
    config = str(study.variant_config(spec, 'plain', 'R1', work / 'configs'))
    # the checkpoint at iteration 1 saved, its evaluation never made (val_begin after it)
    cut_off = bm.run_one('x', config, 1, cut, study.repo_root() / 'tools' / 'train.py',
                         ['train_cfg.max_iters=1', 'train_cfg.val_begin=2'], threads=1)
    assert cut_off.returncode == 0 and cut_off.metrics == {}
    assert bm.evaluation_due(config, ['train_cfg.val_interval=1'], 1)
    assert not bm.evaluation_due(config, [], 1)  # the regime's own schedule: iteration 2 only
    resumed, = study.run_phase(spec, 'dev', work_root=work)
    assert '--resume' in resumed.command
    assert sorted(resumed.metrics['FD-4/fd']) == [1, 2]
    record = json.loads((cut / 'evaluations' / 'iter_1.json').read_text())
    assert record['metrics']['FD-4/fd'] == resumed.metrics['FD-4/fd'][1]
    assert record['command'][3].endswith('iter_1.pth') and len(list(cut.glob('evaluations/*'))) == 1
    assert resumed.evaluation_commands == {1: record['command']}
    study.report(spec)
    md = (tmp_path / 'results' / 'results.md').read_text()
    assert ' '.join(['python', 'tools/test.py', *record['command'][2:]]) in md
    # a finished run (its last checkpoint evaluated): nothing to do
    cut_again = bm.RunResult('x', config, 1, str(cut), [], 0, 0.0)
    assert bm.evaluate_interrupted_evaluation(cut_again, study.repo_root() / 'tools' / 'test.py',
                                              ['train_cfg.val_interval=1']) is None


def _run(values: dict):
    from lab.benchmark import RunResult
    return RunResult('x', 'c.py', 0, 'w', [], 0, 1.0, metrics={'FD/fd': values})


def test_per_run_score_is_the_mean_of_the_last_three_evaluations():
    values = study.run_values(_run({'500': 9.0, '1000': 4.0, '1500': 6.0, '2000': 5.0}), 'FD/fd')
    assert values == dict(score=5.0, final=5.0, best=4.0)
    # keys in iteration order, not string order
    assert study.run_values(_run({'900': 1.0, '1000': 2.0}), 'FD/fd')['final'] == 2.0
    assert study.run_values(_run({}), 'FD/fd') is None


def test_every_comparison_of_a_verdict_is_holm_adjusted_and_worded():
    rows = [dict(regime='r', variant='baseline', n=5, score=dict(diff=0.0, p=1.0), test=None),
            dict(regime='r', variant='A', n=5, test=None,
                 score=dict(diff=-3.0, ci_low=-5.0, ci_high=-1.0, p=0.01)),
            dict(regime='r', variant='B', n=5, test=dict(diff=1.0, ci_low=-9.0, ci_high=11.0,
                                                         p=0.8),
                 score=dict(diff=-1.0, ci_low=-2.5, ci_high=0.5, p=0.04))]
    pairs = [dict(regime='r', first='A', second='B',
                  diff=dict(diff=-2.0, ci_low=-3.0, ci_high=-1.0, p=0.02))]
    family = study.comparisons(rows, pairs)
    assert len(family) == 4  # the baseline's own row is not a comparison
    assert rows[1]['score']['p_holm'] == pytest.approx(0.04)  # 4 x 0.01
    assert rows[2]['score']['p_holm'] == pytest.approx(0.08)  # max(3 x 0.02, 2 x 0.04)
    text = study.findings(rows, pairs)
    assert '- r, A vs baseline: lower (better) score, -3.0 [-5.0, -1.0], Holm p=0.040' in text
    assert '- r, B vs baseline: no detectable difference, -1.0 [-2.5, +0.5], Holm p=0.080' in text
    assert '- r, A vs B: no detectable difference, -2.0 [-3.0, -1.0], Holm p=0.060' in text


def test_picks_follow_the_rule_and_wait_for_every_run():
    """Per family, the variant with the lowest mean score, and no pick before every
    variant of the family has a run on every seed of the phase."""
    from mmengine.config import Config

    from lab.benchmark import RunResult
    spec = Config(dict(metric='FD/fd', phases=dict(dev=dict(
        seeds=[0, 1], runs=dict(r=['baseline', 'AS-a', 'AS-b', 'R1-x', 'R1-y']),
        picks=dict(AS='AS-', R1='R1-')))))
    scores = {('AS-a', 0): 5.0, ('AS-a', 1): 7.0, ('AS-b', 0): 4.0, ('AS-b', 1): 9.0,
              ('R1-x', 0): 3.0, ('R1-x', 1): 3.0, ('R1-y', 0): 2.0, ('baseline', 0): 6.0}
    results = [RunResult(v, 'c.py', seed, 'w', [], 0, 1.0, metrics={'FD/fd': {'1': s}},
                         phase='dev', regime='r', variant=v) for (v, seed), s in scores.items()]
    rows = study.summarize_phase(spec, results, 'dev')
    chosen = {p['family']: p for p in study.picks(spec, rows, 'dev')}
    assert chosen['AS']['variant'] == 'AS-a'  # mean 6.0 against AS-b's 6.5 (AS-b won seed 0)
    assert chosen['AS']['score'] == pytest.approx(6.0)
    assert chosen['R1']['variant'] is None  # R1-y has one seed of two
    assert (chosen['R1']['runs'], chosen['R1']['needed']) == (3, 4)
    text = study.markdown(spec, rows, 'dev')
    assert '- r, AS: **AS-a** (mean score 6.0)' in text
    assert '- r, R1: not yet (3 of 4 runs in)' in text


def _pick_spec(tmp_path):
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''
name = 'picks'
out = {str(tmp_path / 'results')!r}
metric = 'FD/fd'
regimes = dict(r=dict(config='c.py'), other=dict(config='c.py'))
variants = {{'baseline': dict(), 'AS-a': dict(hooks=[dict(type='RealSampleAttackHook')]),
            'AS-b': dict(hooks=[dict(type='RealSampleAttackHook', epsilon=0.1)]),
            'R1-x': dict(hooks=[dict(type='R1GradientPenaltyHook', gamma=0.1)]),
            'AS+R1': dict(combine=['pick:dev:r:AS', 'pick:dev:r:R1'])}}
phases = dict(
    dev=dict(seeds=[0], runs=dict(r=['baseline', 'AS-a', 'AS-b', 'R1-x']),
             picks=dict(AS='AS-', R1='R1-')),
    combo=dict(seeds=[0], runs=dict(r=['AS+R1']), baseline_phase='dev'),
    heldout=dict(seeds=[10], runs=dict(other=['baseline', 'pick:dev:r:AS', 'pick:dev:r:R1',
                                              'AS+R1'])))
verdict_contrasts = [['pick:dev:r:AS', 'pick:dev:r:R1']]
''')
    return spec


def test_a_later_phase_runs_the_picks_and_their_combination(tmp_path):
    """'pick:<phase>:<regime>:<family>' becomes the variant the rule picked once
    every run it needs is in; before that the phase refuses to start."""
    from lab.benchmark import RunResult
    path = _pick_spec(tmp_path)
    spec = study.load_spec(str(path))
    with pytest.raises(ValueError, match=r"phase heldout runs picks that are not in yet: "
                       r"\['pick:dev:r:AS', 'pick:dev:r:R1', \"AS\+R1 \(combines"):
        study.run_phase(spec, 'heldout')
    scores = {'baseline': 6.0, 'AS-a': 5.0, 'AS-b': 4.0, 'R1-x': 3.0}
    results = [RunResult(v, 'c.py', 0, 'w', [], 0, 1.0, metrics={'FD/fd': {'1': s}},
                         phase='dev', regime='r', variant=v) for v, s in scores.items()]
    with pytest.raises(ValueError, match=r"variant AS\+R1 combines \['pick:dev:r:AS', "
                       r"'pick:dev:r:R1'\], not resolved"):
        study.variant_config(spec, 'r', 'AS+R1', tmp_path)  # not as the baseline
    waiting = study.resolve_picks(spec, results[:3])  # R1-x not in: R1 not picked yet
    assert waiting.phases.heldout.runs.other == ['baseline', 'AS-b', 'pick:dev:r:R1', 'AS+R1']
    assert study.unresolved(waiting, 'heldout') == [
        'pick:dev:r:R1', "AS+R1 (combines ['AS-b', 'pick:dev:r:R1'])"]
    resolved = study.resolve_picks(spec, results)
    assert resolved.phases.heldout.runs.other == ['baseline', 'AS-b', 'R1-x', 'AS+R1']
    assert study.unresolved(resolved, 'heldout') == []
    assert [dict(h) for h in resolved.variants['AS+R1'].hooks] == [
        dict(type='RealSampleAttackHook', epsilon=0.1), dict(type='R1GradientPenaltyHook',
                                                             gamma=0.1)]
    assert resolved.verdict_contrasts == [['AS-b', 'R1-x']]
    assert spec.phases.heldout.runs.other[1] == 'pick:dev:r:AS'  # the spec itself is unchanged
    combo = RunResult('AS+R1', 'c.py', 0, 'w', [], 0, 1.0, metrics={'FD/fd': {'1': 2.5}},
                      phase='combo', regime='r', variant='AS+R1')
    row, = study.summarize_phase(resolved, results + [combo], 'combo')
    assert row['score']['diff'] == pytest.approx(2.5 - 6.0)  # to dev's baseline
    path.write_text(path.read_text().replace("'pick:dev:r:R1',\n", "'pick:dev:other:R1',\n"))
    with pytest.raises(ValueError, match="phase heldout, regime other: 'pick:dev:other:R1' "
                       "names no pick: phase 'dev' must be one of"):
        study.load_spec(str(path))


def test_the_verdict_waits_for_every_run_of_its_phase(tmp_path):
    """Holm's family and the intervals are the whole phase's: before its last run
    is in, verdict.md says how many are in and results.md marks the phase interim."""
    from lab import benchmark as bm
    from lab.benchmark import RunResult
    path = _pick_spec(tmp_path)
    path.write_text(path.read_text() + "verdict_phase = 'heldout'\n")
    spec = study.load_spec(str(path))

    def run(phase, regime, variant, seed, score):
        return RunResult(variant, 'c.py', seed, 'w', [], 0, 1.0, phase=phase, regime=regime,
                         variant=variant, metrics={'FD/fd': {'1': score}})

    dev = [run('dev', 'r', v, 0, s) for v, s in
           {'baseline': 6.0, 'AS-a': 5.0, 'AS-b': 4.0, 'R1-x': 3.0}.items()]
    heldout = [run('heldout', 'other', v, 10, s) for v, s in
               {'baseline': 6.0, 'AS-b': 4.5, 'R1-x': 3.5, 'AS+R1': 3.0}.items()]
    out = tmp_path / 'results'
    out.mkdir()
    bm.save(dev + heldout[:3], out / 'results.json')
    study.report(spec)
    assert 'No verdict yet: 3 of the 4 runs of phase `heldout` are in.' in (
        out / 'verdict.md').read_text()
    assert '### Phase `heldout` (seeds [10])\n\nInterim: 3 of 4 runs in.' in (
        out / 'results.md').read_text()
    bm.save(dev + heldout, out / 'results.json')
    study.report(spec)
    text = (out / 'verdict.md').read_text()
    assert 'No verdict' not in text and '| other | AS+R1 | 1 | 3.0 |' in text  # n=1: no +-
    assert 'Interim' not in (out / 'results.md').read_text()
    # no test metric in this spec: no column for one, and each table's delimiter line
    # has its header's cells (a renderer drops the table otherwise)
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith('| regime |')]
    assert len(heads) == 2 and 'None' not in text and 'last ckpt' not in text
    for i in heads:
        assert lines[i].count('|') == lines[i + 1].count('|') == lines[i + 2].count('|')


def test_a_run_counted_twice_or_off_its_phase_seeds_is_refused(tmp_path):
    """Either would join a cell's interval and Holm's family unseen."""
    from lab import benchmark as bm
    from lab.benchmark import RunResult
    spec = study.load_spec(str(_pick_spec(tmp_path)))
    out = tmp_path / 'results'
    out.mkdir()

    def run(seed):
        return RunResult('baseline', 'c.py', seed, 'w', [], 0, 1.0, phase='dev', regime='r',
                         variant='baseline', metrics={'FD/fd': {'1': 5.0}})

    bm.save([run(0)], out / 'results.json')
    assert len(study.load_results(spec)) == 1
    bm.save([run(0), run(0)], out / 'results.json')
    with pytest.raises(ValueError, match='two runs of phase dev, r/baseline, seed 0'):
        study.report(spec)
    bm.save([run(0), run(3)], out / 'results.json')
    with pytest.raises(ValueError, match=r"has seed 3, not one of the phase's seeds \[0\]"):
        study.report(spec)


def test_a_phase_needs_the_phases_of_its_picks_and_its_baseline(tmp_path):
    spec = study.load_spec(str(_pick_spec(tmp_path)))
    assert study.phases_needed(spec, 'dev') == ['dev']
    assert study.phases_needed(spec, 'combo') == ['dev', 'combo']  # AS+R1's picks, the baseline
    assert study.phases_needed(spec, 'heldout') == ['dev', 'heldout']
    spec.phases['late'] = dict(seeds=[0], runs=dict(r=['AS-a']), baseline_phase='heldout')
    assert study.phases_needed(spec, 'late') == ['dev', 'heldout', 'late']  # its baseline's too
