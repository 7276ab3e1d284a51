"""What a variant costs, measured in one process: interleaved, repeated timings.

Separate runs of the same config differ by 10-15% in seconds per iteration on a
shared CPU, more than the differences being measured. Here every variant (a
regime of a study plus its hooks or model change) is built in this process, fed
one fixed batch, and timed step by step, the variants interleaved (baseline,
variant 1, ..., baseline, ...), ``repeats`` times: the D step alone
(``train_discriminator`` with the hook installed) and the whole training step
(``train_step``: D and G). Each variant's time is reported as a ratio of means
to the baseline's with a paired bootstrap 95% interval.
"""
import time
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmagic_asgan.hooks.discriminator_step import DiscriminatorStepHook
from mmagic_asgan.module_state import unwrap

from .stats import ratio_ci
from .study import variant_config


def build_variant(spec: Config, regime: str, variant: str, folder, seed: int = 0):
    """A Runner of the variant with its model, optimizers and hooks ready, and
    one preprocessed training batch."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(variant_config(spec, regime, variant, folder)))
    cfg.work_dir = str(folder / f'{regime}__{variant}')
    cfg.randomness = dict(seed=seed)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader',
                'test_evaluator'):
        cfg[key] = None
    runner = Runner.from_cfg(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner._init_model_weights()
    model = unwrap(runner.model)
    batch = next(iter(runner.train_dataloader))
    for hook in runner.hooks:  # what train() would do before the first iteration
        if isinstance(hook, DiscriminatorStepHook):
            hook.before_train(runner)
    return runner, model, batch


def _d_step(runner, model, batch) -> None:
    data = model.data_preprocessor(batch, True)
    wrapper = runner.optim_wrapper['discriminator']
    with wrapper.optim_context(model.discriminator):
        model.train_discriminator(**data, optimizer_wrapper=wrapper)


def _d_forwards(runner, model, batch) -> int:
    """D's forward calls in one D step at iteration 0 (hooks prepared as
    ``train()`` would)."""
    calls = []
    MessageHub.get_current_instance().update_info('iter', 0)  # StyleGAN2's D step reads it
    runner.train_loop._iter = 0
    handle = unwrap(model.discriminator).register_forward_hook(lambda *_: calls.append(1))
    try:
        for hook in runner.hooks:
            if isinstance(hook, DiscriminatorStepHook):
                hook.before_train_iter(runner, 0, batch)
        _d_step(runner, model, batch)
    finally:
        handle.remove()
    return len(calls)


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(spec: Config, regime: str, variants: List[str], folder, repeats: int = 100,
            warmup: int = 5) -> Dict[str, dict]:
    """Interleaved timings of ``['baseline'] + variants`` on ``regime``.

    Returns:
        dict: per variant, ``d_step`` and ``train_step``: mean seconds and, but
        for the baseline, ``ratio``, ``ci_low``, ``ci_high`` (to the baseline);
        ``d_forwards``: D's forward calls in one D step (counted once, at the
        first repeat: what the variant adds to the step, telemetry aside).
    """
    names = ['baseline'] + [v for v in variants if v != 'baseline']
    built = {name: build_variant(spec, regime, name, folder) for name in names}
    hub = MessageHub.get_current_instance()
    times = {name: dict(d_step=[], train_step=[]) for name in names}
    forwards = {name: _d_forwards(*built[name]) for name in names}

    for rep in range(1, warmup + repeats + 1):
        for name in names:
            runner, model, batch = built[name]
            hub.update_info('iter', rep)
            runner.train_loop._iter = rep
            for hook in runner.hooks:
                if isinstance(hook, DiscriminatorStepHook):
                    hook.before_train_iter(runner, rep, batch)
            t_d = _time(lambda: _d_step(runner, model, batch))
            t_all = _time(lambda: model.train_step(batch, runner.optim_wrapper))
            if rep > warmup:
                times[name]['d_step'].append(t_d)
                times[name]['train_step'].append(t_all)
    out = {}
    for name in names:
        out[name] = {}
        for part in ('d_step', 'train_step'):
            values = times[name][part]
            entry = dict(mean_s=sum(values) / len(values), repeats=len(values))
            if name != 'baseline':
                ratio, low, high = ratio_ci(values, times['baseline'][part])
                entry.update(ratio=ratio, ci_low=low, ci_high=high)
            out[name][part] = entry
        out[name]['d_forwards'] = forwards[name]
    out['_meta'] = dict(regime=regime, repeats=repeats, warmup=warmup,
                        threads=torch.get_num_threads())
    return out
