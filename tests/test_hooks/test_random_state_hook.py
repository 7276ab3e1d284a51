"""RandomStateHook: generators saved with checkpoints and restored on resume."""
import random

import numpy as np
import torch

from helpers import (
    SMALL_DCGAN,
    assert_same_state,
    model_state,
    scalars,
    tiny_overrides,
    train,
    write_config,
)
from mmagic_asgan.hooks.random_state_hook import capture_random_state, restore_random_state


def test_capture_restore_roundtrip():
    state = capture_random_state()
    a = (random.random(), np.random.rand(), torch.rand(3))
    restore_random_state(state)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


def _cfg(tmp_path, folder, name, iters, with_hook):
    overrides = tiny_overrides(folder, 32, iters=iters, batch_size=4, grayscale=True,
                               checkpoint_interval=3)
    # (the small DCGAN config has RandomStateHook itself: the lists replace its hooks)
    body = "custom_hooks = [dict(type='RandomStateHook')]" if with_hook else 'custom_hooks = []'
    return write_config(tmp_path / f'{name}.py', SMALL_DCGAN, body, overrides)


def test_resume_is_exact_only_with_the_hook(tmp_path, image_folder):
    results = {}
    for with_hook in (True, False):
        tag = 'hook' if with_hook else 'nohook'
        full = train(_cfg(tmp_path, image_folder, f'full_{tag}', 6, with_hook),
                     tmp_path / f'f_{tag}')
        train(_cfg(tmp_path, image_folder, f'part_{tag}', 3, with_hook), tmp_path / f'r_{tag}')
        resumed = train(_cfg(tmp_path, image_folder, f'full_{tag}', 6, with_hook),
                        tmp_path / f'r_{tag}', '--resume')
        results[tag] = (model_state(full), model_state(resumed))
    assert_same_state(*results['hook'])
    full, resumed = results['nohook']  # MMEngine alone re-seeds: G's noise differs
    assert any(not torch.equal(full[k], resumed[k]) for k in full)


def test_evaluating_does_not_change_what_training_draws(tmp_path, image_folder, fd_classifier):
    """Validation (which samples fakes from the global generators) runs on a fork of
    them: a run evaluated every 2 iterations ends with the weights of the same run
    never evaluated; without the hook the evaluations change them."""
    from helpers import with_validation
    results = {}
    for with_hook in (True, False):
        tag = 'hook' if with_hook else 'nohook'
        plain = train(_cfg(tmp_path, image_folder, f'plain_{tag}', 4, with_hook),
                      tmp_path / f'p_{tag}')
        cfg = _cfg(tmp_path, image_folder, f'val_{tag}', 4, with_hook)
        overrides = with_validation(
            tiny_overrides(image_folder, 32, iters=4, batch_size=4, grayscale=True),
            dict(type='ClassifierFD', prefix='FD-4', fake_nums=4, real_nums=4,
                 sample_model='orig', classifier=fd_classifier['path'],
                 cache_dir=str(tmp_path / 'cache')), iters=2)
        cfg.write_text(cfg.read_text() + '\n'.join(
            f'{k} = {overrides[k]!r}' for k in ('val_cfg', 'val_dataloader', 'val_evaluator'))
            + "\ntrain_cfg = dict(max_iters=4, val_interval=2)\n")
        evaluated = train(cfg, tmp_path / f'v_{tag}')
        assert any('FD-4/fd' in r for r in scalars(tmp_path / f'v_{tag}'))  # it evaluated
        results[tag] = (model_state(plain), model_state(evaluated))
    assert_same_state(*results['hook'])
    plain, evaluated = results['nohook']
    assert any(not torch.equal(plain[k], evaluated[k]) for k in plain)
