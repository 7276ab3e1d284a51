"""The plug-in's D step reads nothing back from the device (no host sync) outside
telemetry iterations: over whole training iterations, a run with a hook makes
exactly as many host reads as the same run without it, plus one per scalar
the hook adds to the log line (``loss_asgan`` and/or ``loss_r1``, which MMEngine's
``RuntimeInfoHook`` reads like every other logged loss). Under a loss scaler
(fp16 AMP emulated on the CPU) too: the attack no longer asks the scaler its
scale."""
import pytest
import sync_count_hooks

from helpers import (
    SMALL_DCGAN,
    as_config_body,
    emulate_cpu_amp,
    tiny_overrides,
    train,
    write_config,
)

ITERS = 4
COUNTING = ("custom_imports = dict(imports=['mmagic_asgan', 'sync_count_hooks'], "
            "allow_failed_imports=False)\n"
            "custom_hooks = _base_.get('custom_hooks', []) + "
            "[dict(type='StartSyncCount'), dict(type='StopSyncCount')]\n")


def host_reads(tmp_path, image_folder, name, hook: str = '', amp: bool = False) -> list:
    overrides = tiny_overrides(image_folder, 32, iters=ITERS, batch_size=4, grayscale=True)
    overrides['default_hooks']['checkpoint']['interval'] = 1000  # no save inside the count
    cfg = write_config(tmp_path / f'{name}.py', SMALL_DCGAN, COUNTING + hook, overrides)
    sync_count_hooks.COUNTS.clear()
    train(cfg, tmp_path / name, *(['--amp', '--amp-dtype', 'float16'] if amp else []))
    return list(sync_count_hooks.COUNTS)


def d_step_hook(kind: str, **args) -> str:
    body = as_config_body(**args).splitlines()[1].replace('RealSampleAttackHook', kind)
    return body.replace("custom_hooks = _base_.get('custom_hooks', []) +",
                        'custom_hooks +=') + '\n'


@pytest.mark.parametrize('amp', [False, True], ids=['fp32', 'fp16-scaler'])
@pytest.mark.parametrize('kind,args,logged', [
    ('RealSampleAttackHook', dict(attack='fgsm', mode='mix'), 1),
    ('RealSampleAttackHook', dict(attack='pgd', steps=2, mode='mix', random_start=True), 1),
    ('RealSampleAttackHook', dict(attack='fgsm', mode='replace'), 0),
    ('RealSampleAttackHook', dict(attack='free', mode='replace'), 0),
    ('R1GradientPenaltyHook', dict(gamma=1.0), 1),
    ('AS + R1', dict(attack='fgsm', mode='mix'), 2)])
def test_a_hook_adds_only_its_logged_scalars(tmp_path, image_folder, monkeypatch, amp, kind, args,
                                             logged):
    if amp:
        emulate_cpu_amp(monkeypatch)
    if kind != 'R1GradientPenaltyHook':
        args = dict(args, epsilon=0.05, log_interval=1000)  # no telemetry iteration
    hook = d_step_hook('RealSampleAttackHook' if kind == 'AS + R1' else kind, **args)
    if kind == 'AS + R1':
        hook += "custom_hooks += [dict(type='R1GradientPenaltyHook', gamma=1.0)]\n"
    stock = host_reads(tmp_path, image_folder, 'stock', amp=amp)
    hooked = host_reads(tmp_path, image_folder, 'hooked', hook, amp=amp)
    assert len(stock) == len(hooked) == ITERS and min(stock) > 0
    assert [h - s for h, s in zip(hooked, stock)] == [logged] * ITERS
