"""AS-GAN and R1 under mixed precision, emulated on the CPU.

fp16 and bf16 autocast (``torch.autocast('cpu', ...)``) with a real loss scaler
(``torch.amp.GradScaler('cpu')`` starting at 2^16, as MMEngine's
``AmpOptimWrapper`` builds it on a GPU), on the shipped DCGAN (BatchNorm) and
SNGAN standard-CNN (spectral norm) discriminators: every attack perturbs every
real, R1 stays finite and costs the scaler no extra skipped step.
"""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

import mmagic_asgan.losses as losses_module
from helpers import (
    SMALL_DCGAN,
    as_config_body,
    emulate_cpu_amp,
    gan,
    real_batch,
    scalars,
    tiny_overrides,
    train,
    write_config,
)
from mmagic.registry import HOOKS

DTYPES = {'float16': torch.float16, 'bfloat16': torch.bfloat16}


class AmpDSteps:
    """A GAN's D steps as ``BaseGAN.train_step`` runs them under MMEngine's
    ``AmpOptimWrapper`` (autocast around the step, the scaler on the loss),
    with a D-step hook installed."""

    def __init__(self, monkeypatch, kind: str, dtype: str, hook=None) -> None:
        from mmengine.optim import AmpOptimWrapper
        emulate_cpu_amp(monkeypatch)
        self.model = gan(kind)
        self.data = real_batch(self.model)
        self.wrapper = AmpOptimWrapper(
            optimizer=torch.optim.Adam(self.model.discriminator.parameters(), 2e-4),
            dtype=dtype, loss_scale='dynamic')
        self.dtype = DTYPES[dtype]
        self.runner = SimpleNamespace(model=self.model, hooks=[], max_iters=100, iter=0,
                                      message_hub=MessageHub.get_instance('amp_d_steps'))
        self.hook = hook
        if hook is not None:
            hook.before_train(self.runner)

    def step(self) -> dict:
        if self.hook is not None:
            self.hook.before_train_iter(self.runner, self.runner.iter)
        with torch.autocast('cpu', dtype=self.dtype):
            log_vars = self.model.train_discriminator(**self.data, optimizer_wrapper=self.wrapper)
        self.runner.iter += 1
        return log_vars

    def scale(self) -> float:
        return self.wrapper.loss_scaler.get_scale()


def x_of(steps: 'AmpDSteps'):
    return steps.data['data_samples'].gt_img


def _cases() -> list:
    """Every attack, norm, objective and mode; fp16 with the `score` objective is the
    fast tier (where the attack used to die), bf16 and the `loss` objective are `slow`."""
    cases = [(attack, norm, objective, mode) for attack in ('fgsm', 'pgd', 'mifgsm')
             for norm in ('linf', 'l2') for objective in ('score', 'loss')
             for mode in ('mix', 'replace')]
    cases += [('free', norm, None, mode) for norm in ('linf', 'l2') for mode in ('mix', 'replace')]
    return [(dtype, ) + case for dtype in ('float16', 'bfloat16') for case in cases]


ATTACK_CASES = [pytest.param(*case, marks=[pytest.mark.slow] if case[0] == 'bfloat16'
                             or case[3] == 'loss' else [])
                for case in _cases()]


@pytest.mark.parametrize('kind', ['dcgan', 'sngan'])
@pytest.mark.parametrize('dtype,attack,norm,objective,mode', ATTACK_CASES)
def test_every_real_is_perturbed_under_autocast_and_a_2e16_scaler(monkeypatch, kind, dtype, attack,
                                                                  norm, objective, mode):
    made = []
    real_attack = losses_module.attack

    def spy(objective_fn, x, **kwargs):
        result = real_attack(objective_fn, x, **kwargs)
        made.append((x.detach().clone(), result.x_adv))
        return result

    monkeypatch.setattr(losses_module, 'attack', spy)
    fields = dict(attack=attack, norm=norm, mode=mode, epsilon=2 / 255, steps=2, log_interval=1)
    if objective:
        fields['objective'] = objective
    steps = AmpDSteps(monkeypatch, kind, dtype, HOOKS.build(dict(type='RealSampleAttackHook',
                                                                   **fields)))
    assert steps.scale() == 2.0**16
    log_vars = steps.step()
    if attack == 'free':
        # its gradient is the D update's own backward, scaled by the scaler: where that
        # overflows, the scaler skips the update and halves its scale, and the
        # perturbation keeps its value (counted); the next steps move every sample
        skipped = 0
        while steps.scale() < 2.0**16 / 2**skipped and skipped < 8:
            skipped += 1
            log_vars = steps.step()
        assert int(steps.hook.nonfinite) <= len(x_of(steps)) * skipped
        delta = steps.hook.free.delta.flatten(1).abs().amax(1)
        assert bool((delta > 0).all()), delta
    else:
        assert int(steps.hook.nonfinite) == 0
        x, x_adv = made[-1]
        moved = (x_adv - x).flatten(1).abs().amax(1)
        assert bool((moved > 0).all()), moved
    if mode == 'mix':
        assert torch.isfinite(log_vars['loss_asgan'])


@pytest.mark.parametrize('kind', ['dcgan', pytest.param('sngan', marks=pytest.mark.slow)])
def test_r1_under_fp16_is_finite_and_the_scaler_settles(monkeypatch, kind):
    """R1's gradient is of D's output itself (no 2^16 factor that overflowed fp16,
    logging NaN): loss_r1 is finite from the first step. Where R1's parameter
    gradients fit in fp16 at the scaler's scale (SNGAN here) the scaler skips
    exactly the steps it skips without R1; where they do not (this fresh DCGAN
    D, penalty ~149, max |dR1/dW| ~46 against ~4.5 for its real loss), the
    scaler lowers its scale until they fit, then skips no more."""
    plain = AmpDSteps(monkeypatch, kind, 'float16')
    with_r1 = AmpDSteps(monkeypatch, kind, 'float16',
                        HOOKS.build(dict(type='R1GradientPenaltyHook', gamma=1.0)))
    plain_scales, r1_scales = [], []
    for _ in range(12):
        plain.step()
        log_vars = with_r1.step()
        assert torch.isfinite(log_vars['loss_r1']) and float(log_vars['loss_r1']) > 0
        plain_scales.append(plain.scale())
        r1_scales.append(with_r1.scale())
    if kind == 'sngan':
        assert r1_scales == plain_scales
    assert len(set(r1_scales[-3:])) == 1 and r1_scales[-1] >= 64


@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_train_py_amp_logs_a_perturbation(tmp_path, image_folder, monkeypatch, dtype):
    emulate_cpu_amp(monkeypatch)
    overrides = tiny_overrides(image_folder, 32, iters=3, batch_size=4, grayscale=True)
    body = as_config_body(epsilon=0.05, log_interval=1)
    cfg = write_config(tmp_path / 'amp.py', SMALL_DCGAN, body, overrides)
    runner = train(cfg, tmp_path / 'amp', '--amp', '--amp-dtype', dtype)
    wrapper = runner.optim_wrapper['discriminator']
    assert type(wrapper).__name__ == 'AmpOptimWrapper' and wrapper.cast_dtype == DTYPES[dtype]
    assert isinstance(wrapper.loss_scaler, torch.amp.GradScaler)
    records = scalars(tmp_path / 'amp')
    assert len(records) == 3
    assert all(r['asgan_pert_norm'] > 0 and r['asgan_nonfinite'] == 0 for r in records)
    assert all(r['loss_asgan'] == r['loss_asgan'] for r in records)  # not NaN
