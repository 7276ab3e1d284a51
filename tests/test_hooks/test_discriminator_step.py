"""DiscriminatorStepHook: the real batch is attacked at D's own call, with D's own
arguments, for every way MMagic models hand reals to D; what cannot be handled is
refused before anything is trained."""
from types import SimpleNamespace

import pytest
import torch

from helpers import (
    CONDITIONAL_GANS,
    PROGRESSIVE_GANS,
    SMALL_DCGAN,
    as_config_body,
    grow_scale_overrides,
    scalars,
    tiny_overrides,
    train,
    write_config,
)
from mmagic.registry import HOOKS, MODELS
from mmagic_asgan.hooks import RealSampleAttackHook
from mmagic_asgan.hooks.discriminator_step import (
    RealCall,
    find_tensor,
    locate_real_batch,
    resolve_input_range,
)


def spy_on_attacks(monkeypatch):
    """Records, for each D step, the intercepted call (real batch shape and the
    arguments besides it) and the arguments of every D call the attack made."""
    steps = []
    original = RealSampleAttackHook.replace_input

    def replace_input(self, call: RealCall):
        d_calls = []
        handle = call.module.register_forward_pre_hook(
            lambda m, args, kwargs: d_calls.append((args[0].shape, args[1:], dict(kwargs))),
            with_kwargs=True)
        try:
            result = original(self, call)
        finally:
            handle.remove()
        steps.append(dict(real_shape=tuple(call.real.shape), args=call.args[1:],
                          kwargs=dict(call.kwargs), attack_calls=d_calls))
        return result

    monkeypatch.setattr(RealSampleAttackHook, 'replace_input', replace_input)
    return steps


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.equal(torch.as_tensor(a), torch.as_tensor(b))
    return a == b


@pytest.mark.parametrize('name', list(PROGRESSIVE_GANS))
def test_progressive_reals_are_attacked_at_their_scale_with_ds_own_arguments(
        name, tmp_path, image_folder, monkeypatch):
    steps = spy_on_attacks(monkeypatch)
    base, top, scales = PROGRESSIVE_GANS[name]
    overrides = grow_scale_overrides(image_folder, top, scales, iters=6)
    body = as_config_body(epsilon=4 / 255, mode='replace', log_interval=1)
    cfg = write_config(tmp_path / f'{name}.py', base, body, overrides)
    train(cfg, tmp_path / 'work')
    assert len(steps) == 6
    scales = [s['kwargs']['curr_scale'] for s in steps]
    weights = [float(s['kwargs']['transition_weight']) for s in steps]
    assert len(set(scales)) >= 2  # two scales
    assert any(0 < w < 1 for w in weights)  # during a transition
    for step in steps:
        size = step['kwargs']['curr_scale']
        assert step['real_shape'][-2:] == (size, size)  # the resized inputs, not gt_img
        assert step['attack_calls'], 'the attack called D'
        for shape, args, kwargs in step['attack_calls']:
            assert shape == step['real_shape'] and args == step['args']
            assert kwargs.keys() == step['kwargs'].keys()
            assert all(_same(kwargs[k], step['kwargs'][k]) for k in kwargs)
    records = scalars(tmp_path / 'work')
    assert all(r['asgan_pert_norm'] > 0 for r in records)


@pytest.mark.parametrize('name', list(CONDITIONAL_GANS))
def test_conditional_model_attack_passes_the_labels(name, tmp_path, labelled_image_folder,
                                                    monkeypatch):
    steps = spy_on_attacks(monkeypatch)
    overrides = tiny_overrides(labelled_image_folder, 32, iters=2, batch_size=4)
    cfg = write_config(tmp_path / f'{name}.py', CONDITIONAL_GANS[name],
                       as_config_body(epsilon=4 / 255, log_interval=1), overrides)
    train(cfg, tmp_path / 'work')
    assert len(steps) == 2
    for step in steps:
        labels = step['kwargs']['label']
        assert labels.numel() == 4 and set(labels.flatten().tolist()) <= {0, 1}
        assert all(torch.equal(kwargs['label'], labels) for _, _, kwargs in step['attack_calls'])


# ----------------------------------------------------------------- refusals
def _fake_runner(model):
    return SimpleNamespace(model=model, hooks=[], max_iters=10)


def _small_dcgan(**preprocessor):
    return MODELS.build(dict(
        type='DCGAN', noise_size=8, data_preprocessor=dict(type='DataPreprocessor', **preprocessor),
        generator=dict(type='DCGANGenerator', output_scale=16, base_channels=16),
        discriminator=dict(type='DCGANDiscriminator', input_scale=16, output_scale=4,
                           out_channels=1, base_channels=8)))


def test_input_range_from_the_preprocessor_or_explicit_or_refused():
    low, high = resolve_input_range(_small_dcgan(), None)
    assert torch.allclose(low, torch.tensor([-1.0])) and torch.allclose(high, torch.tensor([1.0]))
    low, high = resolve_input_range(_small_dcgan(mean=[0, 50, 100], std=[1, 2, 4]), None)
    assert torch.allclose(high, torch.tensor([255.0, 102.5, 38.75]))
    raw = _small_dcgan(mean=None, std=None)
    hook = HOOKS.build(dict(type='RealSampleAttackHook'))
    with pytest.raises(RuntimeError,
                       match='cannot tell the scale of the images D sees.*input_range'):
        hook.before_train(_fake_runner(raw))
    hook = HOOKS.build(dict(type='RealSampleAttackHook', input_range=(0, 255)))
    hook.before_train(_fake_runner(raw))
    scale, lower, upper = hook.d_input_range.on(torch.zeros(1, 1, 1, 1))
    assert float(scale) == 255.0 and float(lower) == 0.0 and float(upper) == 255.0


@pytest.mark.parametrize('bad', [(1, 1), (2, 0), 'x', (0, 1, 2), ((0, 0), (1, -1))])
def test_bad_input_range_fails_at_build(bad):
    with pytest.raises(ValueError, match='input_range must be'):
        HOOKS.build(dict(type='RealSampleAttackHook', input_range=bad))


def test_a_model_that_never_calls_d_on_its_reals_is_refused_before_any_update(tmp_path,
                                                                              image_folder,
                                                                              monkeypatch):
    from mmengine.optim import OptimWrapper

    from mmagic.models.editors.dcgan.dcgan import DCGAN

    @MODELS.register_module(force=True)
    class CloningDCGAN(DCGAN):  # calls D on a copy of the reals

        def train_discriminator(self, inputs, data_samples, optimizer_wrapper):
            data_samples.gt_img = data_samples.gt_img.clone()
            return super().train_discriminator(inputs, data_samples, optimizer_wrapper)

    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    overrides['model'] = dict(type='CloningDCGAN')
    cfg = write_config(tmp_path / 'cloning.py', SMALL_DCGAN, as_config_body(epsilon=0.05),
                       overrides)
    steps = []
    original_step = OptimWrapper.step
    monkeypatch.setattr(OptimWrapper, 'step',
                        lambda self, **kw: steps.append(1) or original_step(self, **kw))
    with pytest.raises(RuntimeError, match='CloningDCGAN.train_discriminator never called its '
                       'discriminator on the real batch'):
        train(cfg, tmp_path / 'work')
    assert steps == []  # refused at the first D step, before its update


def test_a_model_takes_one_d_step_hook_and_one_gradient_penalty():
    model = _small_dcgan()
    attack = HOOKS.build(dict(type='RealSampleAttackHook'))
    attack.before_train(_fake_runner(model))
    with pytest.raises(RuntimeError, match='already has RealSampleAttackHook on its D step; a '
                       'model takes one D-step hook and at most one gradient penalty'):
        HOOKS.build(dict(type='RealSampleAttackHook')).before_train(_fake_runner(model))
    HOOKS.build(dict(type='R1GradientPenaltyHook')).before_train(_fake_runner(model))  # AS + R1
    with pytest.raises(RuntimeError, match='already has RealSampleAttackHook'):
        HOOKS.build(dict(type='R1GradientPenaltyHook')).before_train(_fake_runner(model))
    assert model.train_discriminator == attack._train_discriminator
    r1_only = _small_dcgan()
    HOOKS.build(dict(type='R1GradientPenaltyHook')).before_train(_fake_runner(r1_only))
    with pytest.raises(RuntimeError, match='already has R1GradientPenaltyHook'):
        HOOKS.build(dict(type='R1GradientPenaltyHook')).before_train(_fake_runner(r1_only))


def _d_step_grads(hooks: list, mode: str = 'mix'):
    """D's parameter gradients and log of one D step of a fresh, seeded small DCGAN
    with ``hooks`` (names, in ``custom_hooks`` order) acting on it."""
    from mmengine.logging import MessageHub

    from mmagic.structures import DataSample
    torch.manual_seed(0)
    model = _small_dcgan()
    runner = SimpleNamespace(model=model, hooks=[], max_iters=10, iter=0,
                             message_hub=MessageHub.get_instance('d_step_grads'))
    configs = dict(AS=dict(type='RealSampleAttackHook', epsilon=0.1, mode=mode,
                           log_interval=1000),
                   R1=dict(type='R1GradientPenaltyHook', gamma=5.0))
    built = [HOOKS.build(configs[name]) for name in hooks]
    for hook in built:
        hook.before_train(runner)
    for hook in built:
        hook.before_train_iter(runner, 0)
    torch.manual_seed(1)
    reals = DataSample(gt_img=torch.rand(4, 3, 16, 16) * 2 - 1)

    class Backward:  # the optimizer wrapper: gradients only, no update
        def update_params(self, loss):
            loss.backward()

    log = model.train_discriminator(inputs={}, data_samples=reals, optimizer_wrapper=Backward())
    return [p.grad.clone() for p in model.discriminator.parameters()], log


@pytest.mark.parametrize('mode', ['mix', 'replace'])
def test_as_plus_r1_adds_both_terms_to_one_d_step(mode):
    """AS + R1: the D step's gradient is the AS step's plus R1's penalty gradient
    (each measured alone against the plain step), whichever hook is listed first;
    in mix mode R1 is taken at the clean reals, in replace mode at x_adv."""
    plain, _ = _d_step_grads([])
    as_only, _ = _d_step_grads(['AS'], mode)
    r1_only, r1_log = _d_step_grads(['R1'])
    both, log = _d_step_grads(['AS', 'R1'], mode)
    both_swapped, log_swapped = _d_step_grads(['R1', 'AS'], mode)
    assert all(torch.equal(a, b) for a, b in zip(both, both_swapped))
    assert {k: float(v) for k, v in log.items()} == {k: float(v) for k, v in log_swapped.items()}
    assert 'loss_r1' in log and ('loss_asgan' in log) == (mode == 'mix')
    if mode == 'mix':
        torch.testing.assert_close(log['loss_r1'], r1_log['loss_r1'])
        for g, a, r, p in zip(both, as_only, r1_only, plain):
            # fp32 summation noise scales with the gradient (R1 makes it ~100 here; the
            # intra-op thread count changes the order of the sums); each term is >= 4e-3 x it
            torch.testing.assert_close(g, a + r - p, rtol=1e-4, atol=1e-5 * float(g.abs().max()))
    else:  # D trains on x_adv as real: the penalty is taken there, not at the clean reals
        assert float(log['loss_r1']) != pytest.approx(float(r1_log['loss_r1']), rel=1e-3)
        assert not all(torch.allclose(g, a) for g, a in zip(both, as_only))


@pytest.mark.parametrize('model_type,reason', [('SinGAN', 'model.reals'),
                                               ('MSPIEStyleGAN2', 'resizes the real batch')])
def test_unsupported_models_are_refused_at_before_train(model_type, reason):
    cls = MODELS.get(model_type)

    class Stub(cls):  # the class is what is refused; no need to build the networks
        def __init__(self):
            torch.nn.Module.__init__(self)
            self.discriminator = torch.nn.Conv2d(1, 1, 1)

    hook = HOOKS.build(dict(type='RealSampleAttackHook'))
    with pytest.raises(RuntimeError, match=f'Stub is not supported: .*{reason}'):
        hook.before_train(_fake_runner(Stub()))


@pytest.mark.parametrize('config', [
    'mmagic::pix2pix/pix2pix_vanilla-unet-bn_1xb1-80kiters_facades.py',
    'mmagic::cyclegan/cyclegan_lsgan-resnet-in_1xb1-80kiters_facades.py'])
def test_translation_models_are_refused_with_the_reason(config, tmp_path):
    """MMagic's own model from its config (not a stub): D judges image pairs."""
    from mmengine.config import Config
    model = MODELS.build(Config.fromfile(str(write_config(tmp_path / 'c.py', config, ''))).model)
    hook = HOOKS.build(dict(type='RealSampleAttackHook'))
    with pytest.raises(RuntimeError, match='is not supported: image-to-image translation'):
        hook.before_train(_fake_runner(model))


# --------------------------------------------------------------- mechanics
def test_locate_and_find_the_real_batch():
    x = torch.zeros(2, 3, 4, 4)
    assert locate_real_batch(x, None) is x
    assert locate_real_batch({}, SimpleNamespace(gt_img=x)) is x
    assert locate_real_batch({'img': x}, SimpleNamespace()) is x
    assert locate_real_batch({'img': x}, SimpleNamespace(gt_img=x + 1), 'inputs.img') is x
    assert locate_real_batch({}, SimpleNamespace()) is None
    assert find_tensor((x, 3), {}, x) == 0 and find_tensor((1, ), dict(img=x), x) == 'img'
    assert find_tensor((x.detach(), ), {}, x) == 0  # same storage and shape
    assert find_tensor((x.clone(), ), {}, x) is None
    with pytest.raises(ValueError, match='real_batch must be one of'):
        HOOKS.build(dict(type='RealSampleAttackHook', real_batch='gt'))


@pytest.mark.parametrize('r1', [False, True], ids=['AS', 'AS + R1'])
def test_logged_loss_is_the_total_d_loss(tmp_path, image_folder, r1):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    body = as_config_body(epsilon=0.05)
    if r1:  # the R1 hook beside the attack hook, as a user would add it
        body += "custom_hooks += [dict(type='R1GradientPenaltyHook', gamma=1.0)]\n"
    cfg = write_config(tmp_path / 'mix.py', SMALL_DCGAN, body, overrides)
    train(cfg, tmp_path / 'work')
    for r in scalars(tmp_path / 'work'):
        total = r['loss_disc_fake'] + r['loss_disc_real'] + r['loss_asgan'] + r.get('loss_r1', 0)
        assert r['loss'] == pytest.approx(total, rel=1e-5)
        assert ('loss_r1' in r) == r1 and r.get('loss_r1', 1) > 0
