# The CIFAR-10 study (issue 17): AS-GAN against a tuned R1 on the paper's data, at CPU scale.
#   python tools/dev/study.py configs/asgan/studies/cifar10_cpu.py --phase pilot
# Data: the full CIFAR-10 train split, lossless copy (../shared/data/cifar10/cifar10-train.npz
# -> tools/prepare_data.py npz ... --out data/cifar10/train). Metric: Inception FID-2k (2,000
# fakes vs a fixed random 2,000 train images), logged at the run's last evaluations.
#
# Phases:
# * pilot (seed 0): the schedule at which the baseline's last checkpoint reaches FID-2k <= 90
#   for about 30 minutes of one core: the small DCGAN (G 128 / D 32 channels) for 20,000
#   iterations (0.065 s/iter here), and a DCGAN twice as wide (G 256 / D 64, 0.17 s/iter) for
#   10,000; FID-2k every fifth of the run to see the curve. Result (results/cifar10_cpu): the
#   small one plateaus at 89.5 (16k: 89.5, 20k: 89.5), the wide one reaches 81.9 at 10k and is
#   still falling: the DCGAN cell trains the wide one for 10,000 iterations
#   (configs/asgan/cifar/dcgan-wide_1xb32-10kiters_cifar10-32x32.py).
# * dev (seeds 0, 1; tuning): the DCGAN cell's baseline, AS-GAN (FGSM, score objective) `mix`
#   at epsilon 1, 2 and 4 /255 and `replace` at 2/255, R1 at gamma 0.01, 0.1 and 1.
# * dev_combo (seeds 0, 1): the best AS with the best R1 (both hooks on one D step).
# * heldout (seeds 10-14): baseline, the best AS, the best R1, AS + R1; the verdict.
#   `pick:dev:dcgan:AS` etc. are the dev phase's picks by the rule below (lab/study.py); the
#   phases that name them refuse to start before every dev run is in.
#
# The per-run score (fixed before any dev run was seen): the mean FID-2k of the run's last three
# evaluations (8k, 9k, 10k iterations), with the final value and the best of the three beside it;
# a late rise is a final >= 1.1 x that best. Picks (fixed before any dev run was seen): per
# family (AS, R1) the variant with the lowest mean score over seeds 0 and 1; then the best AS
# with the best R1 together (dev seeds again); the held-out seeds 10-14 take the baseline, the
# best AS, the best R1 and AS + R1.
name = 'cifar10_cpu'
out = 'results/cifar10_cpu'
metric = 'FID-2k/fid'
jobs = 2  # two one-thread runs at once (as the stress study measured)
threads = 1

_dcgan = 'configs/asgan/cifar/dcgan-small_1xb32-20kiters_cifar10-32x32.py'
_dcgan_wide = 'configs/asgan/cifar/dcgan-wide_1xb32-10kiters_cifar10-32x32.py'
regimes = dict(
    dcgan_small_20k=dict(config=_dcgan, cfg_options=[
        'train_cfg.val_begin=4000', 'train_cfg.val_interval=4000']),
    dcgan_wide_10k=dict(config=_dcgan, cfg_options=[
        'model.generator.base_channels=256', 'model.discriminator.base_channels=64',
        'train_cfg.max_iters=10000', 'train_cfg.val_begin=2000', 'train_cfg.val_interval=2000']),
)
regimes['dcgan'] = dict(config=_dcgan_wide)
# The SNGAN cell's pilot (seed 0; run after the DCGAN cell's held-out phase): SNGAN's standard
# CNN at two widths of about the DCGAN cell's cost per run (~30 min of one core): G 256 / D 16
# for 10,000 iterations (0.31 s/iter, as the DCGAN cell's, with the machine shared) and G 128 /
# D 16 for 15,000 (0.20 s/iter shared). Pick (fixed before either run): the lower FID-2k of
# the last checkpoint among those <= 90; if neither reaches 90, the lower one, and README says
# beside every SNGAN number that it is an early-training comparison.
_sngan = 'configs/asgan/cifar/sngan-cnn-small_1xb32-10kiters_cifar10-32x32.py'
regimes['sngan_g256d16_10k'] = dict(config=_sngan, cfg_options=[
    'train_cfg.val_begin=4000', 'train_cfg.val_interval=2000'])
regimes['sngan_g128d16_15k'] = dict(config=_sngan, cfg_options=[
    'model.generator.base_channels=128', 'train_cfg.max_iters=15000',
    'train_cfg.val_begin=6000', 'train_cfg.val_interval=3000'])


def _as(epsilon: int, mode: str = 'mix') -> dict:
    return dict(hooks=[dict(type='RealSampleAttackHook', attack='fgsm', epsilon=epsilon / 255,
                            mode=mode, objective='score')])


def _r1(gamma: float) -> dict:
    return dict(hooks=[dict(type='R1GradientPenaltyHook', gamma=gamma)])


variants = {
    'baseline': dict(),
    'AS-FGSM-mix-e1': _as(1),
    'AS-FGSM-mix-e2': _as(2),
    'AS-FGSM-mix-e4': _as(4),
    'AS-FGSM-replace-e2': _as(2, 'replace'),
    'R1-g0.01': _r1(0.01),
    'R1-g0.1': _r1(0.1),
    'R1-g1': _r1(1.0),
    # the best AS with the best R1 (the dev phase's picks), both hooks on one D step
    'AS+R1': dict(combine=['pick:dev:dcgan:AS', 'pick:dev:dcgan:R1']),
}
_dev = ['baseline', 'AS-FGSM-mix-e2', 'R1-g0.1', 'AS-FGSM-mix-e1', 'AS-FGSM-mix-e4',
        'AS-FGSM-replace-e2', 'R1-g0.01', 'R1-g1']
phases = dict(
    pilot=dict(seeds=[0], runs=dict(dcgan_small_20k=['baseline'], dcgan_wide_10k=['baseline'],
                                    sngan_g256d16_10k=['baseline'],
                                    sngan_g128d16_15k=['baseline'])),
    # picks: the rule above, applied by the report (results.md) once every run is in
    dev=dict(seeds=[0, 1], runs=dict(dcgan=_dev), picks=dict(AS='AS-', R1='R1-')),
    # AS + R1 on the dev seeds, against dev's baseline (it waits for dev's picks)
    dev_combo=dict(seeds=[0, 1], runs=dict(dcgan=['AS+R1']), baseline_phase='dev'),
    heldout=dict(seeds=[10, 11, 12, 13, 14], runs=dict(dcgan=[
        'baseline', 'pick:dev:dcgan:AS', 'pick:dev:dcgan:R1', 'AS+R1'])),
)
# The verdict (results/cifar10_cpu/verdict.md): the held-out seeds, every difference to the
# baseline and these contrasts, Holm-adjusted together.
verdict_phase = 'heldout'
# The verdict's cost column, measured in one process on an idle machine (docs/studies/cost.md;
# a variant missing from the file shows the runs' s/iter ratio, marked '(runs)'):
# OMP_NUM_THREADS=2 python tools/analysis/step_cost.py configs/asgan/studies/cifar10_cpu.py
# --regime dcgan --variants AS-FGSM-mix-e1 R1-g0.01 AS+R1 --repeats 200
# --out results/cifar10_cpu/cost.json
cost_file = 'results/cifar10_cpu/cost.json'
verdict_marker = 'cifar10-verdict'  # --report writes verdict.md into these documents' blocks
verdict_docs = ['README.md', 'configs/asgan/README.md', 'docs/studies/cifar10_cpu.md']
verdict_contrasts = [['pick:dev:dcgan:AS', 'pick:dev:dcgan:R1'],
                     ['AS+R1', 'pick:dev:dcgan:R1'], ['AS+R1', 'pick:dev:dcgan:AS']]
# The model zoo's configs of the held-out arms (written once the picks were in; each is the
# config the study generates for its arm: tests/test_configs.py).
_zoo = 'configs/asgan/cifar/{}_1xb32-10kiters_cifar10-32x32.py'
zoo = dict(dcgan={'baseline': _zoo.format('dcgan-wide'),
                  'AS-FGSM-mix-e1': _zoo.format('asgan-fgsm-e1_dcgan-wide'),
                  'R1-g0.01': _zoo.format('r1-g1e-2_dcgan-wide'),
                  'AS+R1': _zoo.format('asgan-fgsm-e1-r1-g1e-2_dcgan-wide')})
