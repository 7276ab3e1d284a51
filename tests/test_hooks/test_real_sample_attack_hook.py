"""RealSampleAttackHook through the real MMEngine Runner (CPU, tiny data, seeded)."""
from types import SimpleNamespace

import pytest
import torch

from helpers import (
    SMALL_DCGAN,
    as_config_body,
    assert_same_state,
    checkpoint_path,
    model_state,
    scalars,
    tiny_overrides,
    train,
    write_config,
)
from mmagic.registry import HOOKS, MODELS
from mmagic_asgan.schedules import EpsilonSchedule


def small_dcgan(tmp_path, image_folder, name, iters=4, hook_args=None, **extra_overrides):
    """The small Fashion-MNIST DCGAN on the tiny folder, with or without the hook."""
    overrides = tiny_overrides(image_folder, 32, iters=iters, batch_size=4, grayscale=True)
    overrides.update(extra_overrides)
    body = as_config_body(**hook_args) if hook_args is not None else ''
    return write_config(tmp_path / f'{name}.py', SMALL_DCGAN, body, overrides)


def hook_of(runner):
    return next(h for h in runner.hooks if type(h).__name__ == 'RealSampleAttackHook')


def test_epsilon_zero_is_bitwise_identical_to_stock(tmp_path, image_folder):
    stock = train(small_dcgan(tmp_path, image_folder, 'stock'), tmp_path / 'stock')
    zero = train(small_dcgan(tmp_path, image_folder, 'zero', hook_args=dict(epsilon=0.0)),
                 tmp_path / 'zero')
    late = train(small_dcgan(tmp_path, image_folder, 'late',
                             hook_args=dict(epsilon=0.05, schedule=dict(begin=100))),
                 tmp_path / 'late')
    assert_same_state(model_state(stock), model_state(zero))
    assert_same_state(model_state(stock), model_state(late))
    on = train(small_dcgan(tmp_path, image_folder, 'on', hook_args=dict(epsilon=0.05)),
               tmp_path / 'on')
    with pytest.raises(AssertionError, match='differ'):  # the comparison can fail
        assert_same_state(model_state(stock), model_state(on))


def test_telemetry_in_log_and_tensorboard(tmp_path, image_folder):
    cfg = small_dcgan(tmp_path, image_folder, 'telemetry', iters=3,
                      hook_args=dict(epsilon=0.05, log_interval=1),
                      vis_backends=[dict(type='VisBackend'), dict(type='TensorboardVisBackend')],
                      visualizer=dict(type='Visualizer', vis_backends=[
                          dict(type='VisBackend'), dict(type='TensorboardVisBackend')]))
    train(cfg, tmp_path / 'telemetry')
    records = scalars(tmp_path / 'telemetry')
    keys = ['loss_asgan', 'asgan_eps', 'asgan_d_real_clean', 'asgan_d_real_adv',
            'asgan_flip_rate', 'asgan_pert_norm', 'asgan_attack_time']
    for key in keys:
        assert all(key in r for r in records), key
    assert all(abs(r['asgan_eps'] - 0.05) < 1e-6 for r in records)
    assert all(0 < r['asgan_pert_norm'] <= 0.05 + 1e-6 for r in records)
    assert all(0 <= r['asgan_flip_rate'] <= 1 for r in records)
    assert all(r['asgan_d_real_adv'] < r['asgan_d_real_clean'] for r in records)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = list((tmp_path / 'telemetry').glob('*/vis_data/events.out.tfevents.*'))
    assert events
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    assert {'asgan_flip_rate', 'loss_asgan'} <= set(acc.Tags()['scalars'])


def test_replace_mode(tmp_path, image_folder):
    runner = train(small_dcgan(tmp_path, image_folder, 'replace', iters=2,
                               hook_args=dict(epsilon=0.05, mode='replace')),
                   tmp_path / 'replace')
    records = scalars(tmp_path / 'replace')
    assert not any('loss_asgan' in r for r in records)  # D trains on x_adv itself
    hook = hook_of(runner)
    assert hook.loss.mode == 'replace' and int(hook.nonfinite) == 0


def test_lazy_interval_applies_k_times_the_term_every_kth_step(tmp_path, image_folder,
                                                               monkeypatch):
    calls = _count_d_calls(monkeypatch)
    train(small_dcgan(tmp_path, image_folder, 'stock', iters=4), tmp_path / 'stock')
    stock = len(calls)
    calls.clear()
    train(small_dcgan(tmp_path, image_folder, 'lazy', iters=4,
                      hook_args=dict(epsilon=0.05, interval=2, log_interval=100)),
          tmp_path / 'lazy')
    assert len(calls) == stock + 2  # D on x_adv at iterations 0 and 2 only (FGSM: no pass)
    train(small_dcgan(tmp_path, image_folder, 'every', iters=1,
                      hook_args=dict(epsilon=0.05)), tmp_path / 'every')
    lazy, every = scalars(tmp_path / 'lazy'), scalars(tmp_path / 'every')
    assert lazy[0]['loss_asgan'] == pytest.approx(2 * every[0]['loss_asgan'], rel=1e-5)
    assert lazy[0]['loss_asgan'] != 0


def _six_iterations_and_a_stop_at_three(tmp_path, image_folder, hook_args):
    """Trains 6 iterations straight (checkpoints every 3, RandomStateHook on) and
    the same config stopped at 3; returns (the full runner, its config)."""
    full_cfg = small_dcgan(tmp_path, image_folder, 'full', iters=6, hook_args=hook_args)
    text = full_cfg.read_text().replace(
        "dict(type='RealSampleAttackHook'",
        "dict(type='RandomStateHook'), dict(type='RealSampleAttackHook'")
    full_cfg.write_text(text.replace("'interval': 6", "'interval': 3"))
    full = train(full_cfg, tmp_path / 'full')
    part_cfg = tmp_path / 'part.py'
    part_cfg.write_text(full_cfg.read_text().replace("'max_iters': 6", "'max_iters': 3"))
    train(part_cfg, tmp_path / 'resumed')
    assert checkpoint_path(tmp_path / 'resumed', 3).exists()
    return full, full_cfg


def test_resume_mid_warmup_matches_uninterrupted(tmp_path, image_folder):
    hook_args = dict(epsilon=0.05, schedule=dict(type='constant', warmup_iters=8))
    full, full_cfg = _six_iterations_and_a_stop_at_three(tmp_path, image_folder, hook_args)
    resumed = train(full_cfg, tmp_path / 'resumed', '--resume')
    assert resumed.iter == 6
    assert_same_state(model_state(full), model_state(resumed))
    eps = {r['iter']: r['asgan_eps'] for r in scalars(tmp_path / 'resumed')}
    schedule = EpsilonSchedule(warmup_iters=8)
    assert eps[4] == pytest.approx(0.05 * schedule(3)) and eps[6] == pytest.approx(0.05 * 6 / 8)


def test_non_finite_gradient_is_counted_on_device_and_warned_once(tmp_path, image_folder,
                                                                   monkeypatch):
    from mmagic_asgan.losses import ASGANDiscriminatorLoss
    original = ASGANDiscriminatorLoss.perturb

    def nan_perturb(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        result.nonfinite = torch.ones((), dtype=torch.long)  # one NaN sample
        return result

    monkeypatch.setattr(ASGANDiscriminatorLoss, 'perturb', nan_perturb)
    with pytest.warns(UserWarning, match='got no perturbation') as record:
        runner = train(small_dcgan(tmp_path, image_folder, 'nan', iters=3,
                                   hook_args=dict(epsilon=0.05, log_interval=3)),
                       tmp_path / 'nan')
    assert sum('got no perturbation' in str(w.message) for w in record) == 1
    hook = hook_of(runner)
    assert isinstance(hook.nonfinite, torch.Tensor) and int(hook.nonfinite) == 3
    assert runner.iter == 3
    records = scalars(tmp_path / 'nan')
    assert [r.get('asgan_nonfinite') for r in records][-1] == 3  # read when logging


def _fake_runner(model):
    return SimpleNamespace(model=model, hooks=[], max_iters=10)


def test_model_without_discriminator_is_refused_at_before_train():
    model = MODELS.build(dict(type='SRCNNNet'))
    hook = HOOKS.build(dict(type='RealSampleAttackHook'))
    with pytest.raises(RuntimeError, match='SRCNNNet has no discriminator'):
        hook.before_train(_fake_runner(model))


def test_unknown_loss_needs_gan_type():
    from mmagic.models.editors.dcgan.dcgan import DCGAN

    class MyGAN(DCGAN.__base__):  # a BaseGAN the plug-in does not know
        pass

    model = MyGAN(generator=dict(type='DCGANGenerator', output_scale=16, base_channels=16),
                  discriminator=dict(type='DCGANDiscriminator', input_scale=16, output_scale=4,
                                     out_channels=1, base_channels=8),
                  noise_size=8, data_preprocessor=dict(type='DataPreprocessor'))
    hook = HOOKS.build(dict(type='RealSampleAttackHook'))
    with pytest.raises(RuntimeError, match="discriminator loss of MyGAN; set gan_type"):
        hook.before_train(_fake_runner(model))
    hook = HOOKS.build(dict(type='RealSampleAttackHook', gan_type='hinge'))
    hook.before_train(_fake_runner(model))
    hook.before_train(_fake_runner(model))  # idempotent
    assert model.train_discriminator == hook._train_discriminator


@pytest.mark.parametrize('kwargs,message', [
    (dict(epsilon=2.0), 'epsilon must be'), (dict(schedule='step'), 'schedule.type'),
    (dict(interval=0), 'interval must be'), (dict(log_interval=0), 'log_interval must be'),
    (dict(interval=2, mode='replace'), "interval must be 1 with mode='replace'"),
    (dict(reuse_clean_call=1), 'reuse_clean_call must be'),
    (dict(adaptive=0.6), 'adaptive must be None or a dict'),
    (dict(adaptive=dict(target=2)), 'adaptive.target must be'),
    (dict(loss=dict(mode='both')), 'mode must be')])
def test_bad_hook_config_fails_when_the_runner_builds_hooks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HOOKS.build(dict(type='RealSampleAttackHook', **kwargs))


def test_adaptive_budget_follows_d_and_resumes_exactly(tmp_path, image_folder):
    """ADA's controller on epsilon: the strength moves every 2 iterations by the
    sign of r_t - target (here at 100 images per full swing), epsilon is the
    configured budget times the strength, and the controller's state (mid-interval
    sums included: the stop at 3 falls between adjustments) resumes exactly."""
    adaptive = dict(target=0.6, interval=2, kimg=0.1, initial=0.5)
    hook_args = dict(epsilon=0.05, adaptive=adaptive, log_interval=1)
    full, full_cfg = _six_iterations_and_a_stop_at_three(tmp_path, image_folder, hook_args)
    records = scalars(tmp_path / 'full')
    strength = [r['asgan_ada_strength'] for r in records]
    rts = [r.get('asgan_ada_rt') for r in records]
    assert strength[:2] == [0.5, 0.5] and rts[:2] == [None, None]
    for i in (2, 4):  # before iterations 2 and 4 (0-based): 2 steps x 4 reals = 8 images
        step = 0.08 if rts[i] > 0.6 else -0.08 if rts[i] < 0.6 else 0.0
        assert strength[i] == pytest.approx(min(1.0, max(0.0, strength[i - 1] + step)))
    assert len(set(strength)) > 1  # it moved
    assert all(r['asgan_eps'] == pytest.approx(0.05 * r['asgan_ada_strength']) for r in records)
    saved = torch.load(checkpoint_path(tmp_path / 'resumed', 3), weights_only=False)
    assert saved['asgan_adaptive_strength'][0]['count'] == 4  # iteration 2's reals, pending
    resumed = train(full_cfg, tmp_path / 'resumed', '--resume')
    assert hook_of(resumed).adaptive.strength == hook_of(full).adaptive.strength
    assert_same_state(model_state(full), model_state(resumed))


def test_adaptive_budget_needs_a_threshold():
    from mmagic_asgan.hooks.real_sample_attack_hook import RealSampleAttackHook
    hook = RealSampleAttackHook(adaptive=dict(), gan_type='wgan')
    runner = SimpleNamespace(max_iters=10, hooks=[])
    with pytest.raises(RuntimeError, match='adaptive needs a D loss with a real/fake threshold'):
        hook.setup(runner, torch.nn.Linear(1, 1), torch.zeros(1), torch.ones(1))


def _count_d_calls(monkeypatch):
    """Counts forward calls of every DCGANDiscriminator (the attack's included)."""
    from mmagic.models.editors.dcgan.dcgan_discriminator import DCGANDiscriminator
    calls = []
    original = DCGANDiscriminator.forward
    monkeypatch.setattr(DCGANDiscriminator, 'forward',
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    return calls


@pytest.mark.parametrize('mode', ['replace', 'mix'])
def test_free_attack_costs_no_attack_pass_and_persists(tmp_path, image_folder, monkeypatch, mode):
    calls = _count_d_calls(monkeypatch)
    train(small_dcgan(tmp_path, image_folder, 'stock', iters=3), tmp_path / 'stock')
    stock = len(calls)
    calls.clear()
    hook_args = dict(attack='free', epsilon=0.05, mode=mode, log_interval=100)
    runner = train(small_dcgan(tmp_path, image_folder, 'free', iters=3, hook_args=hook_args),
                   tmp_path / 'free')
    # replace: D trains on x + delta instead of x; mix: one more D forward for the AS term
    assert len(calls) == stock + (3 if mode == 'mix' else 0)
    calls.clear()
    train(small_dcgan(tmp_path, image_folder, 'fgsm', iters=3,
                      hook_args=dict(hook_args, attack='fgsm')), tmp_path / 'fgsm')
    # replace: + the attack pass; mix: FGSM takes its gradient from D's own call on the reals
    assert len(calls) == stock + 3
    free = hook_of(runner).free
    bound = 0.05 * 255 / 127.5  # epsilon in D's [-1, 1] units
    assert free.updates == 3 and free.delta.shape == (4, 1, 32, 32)
    assert float(free.delta.abs().max()) == pytest.approx(bound)


def test_free_perturbation_is_checkpointed_and_resume_is_exact(tmp_path, image_folder):
    hook_args = dict(attack='free', epsilon=0.05, mode='replace')
    full, full_cfg = _six_iterations_and_a_stop_at_three(tmp_path, image_folder, hook_args)
    saved = torch.load(checkpoint_path(tmp_path / 'resumed', 3), weights_only=False)
    assert saved['asgan_free_perturbation'][0]['updates'] == 3
    resumed = train(full_cfg, tmp_path / 'resumed', '--resume')
    assert hook_of(resumed).free.updates == 6
    assert torch.equal(hook_of(resumed).free.delta, hook_of(full).free.delta)
    assert_same_state(model_state(full), model_state(resumed))
    # without the saved perturbation the resumed run goes elsewhere
    saved.pop('asgan_free_perturbation')
    torch.save(saved, checkpoint_path(tmp_path / 'resumed', 3))
    (tmp_path / 'resumed' / 'last_checkpoint').write_text(
        str(checkpoint_path(tmp_path / 'resumed', 3)))
    fresh = train(full_cfg, tmp_path / 'resumed', '--resume')
    with pytest.raises(AssertionError, match='differ'):
        assert_same_state(model_state(full), model_state(fresh))


def test_a_checkpoint_written_before_the_loss_and_hook_split_resumes_exactly(tmp_path):
    """tests/fixtures/free_replace_iter3_pre_split.pth was saved at iteration 3 by the
    code before the loss/hook split (commit 6eb261e: the free perturbation then lived in
    the loss), from the config below; *_iter6_pre_split_state.pth is that code's model
    after 6 iterations straight. Resumed with today's code, training ends in the same
    state: configs and checkpoints keep loading.

    The fixtures were written on another CPU: float sums differ there in the last bits
    (at most 7.5e-9 in any weight, measured on an AMD EPYC against them), so the state is
    compared to 1e-6; a perturbation lost on loading moves the weights by ~8e-4 (measured
    by zeroing the loaded ``delta``). Bit-for-bit resume on one machine:
    tests/test_resume.py."""
    import shutil

    from helpers import ROOT, make_image_folder
    folder = make_image_folder(tmp_path / 'imgs', num_classes=1)
    overrides = tiny_overrides(folder, 32, iters=6, batch_size=4, grayscale=True,
                               checkpoint_interval=3)
    overrides['model'] = dict(generator=dict(base_channels=8), discriminator=dict(base_channels=4))
    body = as_config_body(attack='free', epsilon=0.05, mode='replace').replace(
        "dict(type='RealSampleAttackHook'",
        "dict(type='RandomStateHook'), dict(type='RealSampleAttackHook'")
    cfg = write_config(tmp_path / 'full.py', SMALL_DCGAN, body, overrides)
    work = tmp_path / 'resumed'
    work.mkdir()
    fixtures = ROOT / 'tests' / 'fixtures'
    shutil.copy(fixtures / 'free_replace_iter3_pre_split.pth', work / 'iter_3.pth')
    (work / 'last_checkpoint').write_text(str(work / 'iter_3.pth'))
    saved = torch.load(work / 'iter_3.pth', weights_only=False)['asgan_free_perturbation'][0]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the fixtures were made: float sums depend on the thread count
    try:
        resumed = train(cfg, work, '--resume')
    finally:
        torch.set_num_threads(threads)
    assert resumed.iter == 6 and hook_of(resumed).free.updates == 6
    expected = torch.load(fixtures / 'free_replace_iter6_pre_split_state.pth')
    state = model_state(resumed)
    assert expected.keys() == state.keys()
    for key, value in expected.items():
        torch.testing.assert_close(state[key], value, rtol=0, atol=1e-6,
                                   msg=lambda m, key=key: f'{key}: {m}')
    assert saved['updates'] == 3 and saved['delta'].abs().max() > 0


@pytest.mark.parametrize('kind', ['dcgan', 'sngan'])  # BatchNorm D; spectral-norm D
@pytest.mark.parametrize('attack,steps', [('fgsm', 1), ('pgd', 3)])
def test_mix_sharing_ds_clean_call_equals_the_separate_attack_pass(monkeypatch, kind, attack,
                                                                   steps):
    """The attack's first input gradient taken from D's own call on the reals gives
    the x_adv, the AS term and the updated D of a separate attack pass on the frozen D
    (the same batch statistics and spectral-norm sigma), up to floating-point order."""
    from mmengine.logging import MessageHub
    from mmengine.optim import OptimWrapper

    import mmagic_asgan.losses as losses_module
    from helpers import gan, real_batch
    outcome = {}
    real_attack = losses_module.attack
    for reuse in (True, False):
        made = []
        monkeypatch.setattr(losses_module, 'attack',
                            lambda *a, **k: made.append(real_attack(*a, **k)) or made[-1])
        model = gan(kind)
        hook = HOOKS.build(dict(type='RealSampleAttackHook', attack=attack, steps=steps,
                                epsilon=4 / 255, reuse_clean_call=reuse, log_interval=1000))
        runner = SimpleNamespace(model=model, hooks=[], max_iters=10, iter=0,
                                 message_hub=MessageHub.get_instance('mix_equivalence'))
        hook.before_train(runner)
        hook.before_train_iter(runner, 0)
        wrapper = OptimWrapper(torch.optim.Adam(model.discriminator.parameters(), 2e-4))
        log_vars = model.train_discriminator(**real_batch(model), optimizer_wrapper=wrapper)
        outcome[reuse] = (made[-1].x_adv, float(log_vars['loss_asgan']),
                          {k: v.clone() for k, v in model.discriminator.state_dict().items()})
    (shared_x, shared_term, shared_d), (separate_x, separate_term, separate_d) = \
        outcome[True], outcome[False]
    torch.testing.assert_close(shared_x, separate_x, rtol=0, atol=1e-6)
    assert shared_term == pytest.approx(separate_term, rel=1e-5)
    for key in shared_d:
        torch.testing.assert_close(shared_d[key], separate_d[key], rtol=1e-5, atol=1e-6)
    assert shared_term != 0 and not torch.equal(shared_x, real_batch(gan(kind))[
        'data_samples'].gt_img)
