"""Studies: regimes x variants x seeds, run resumably, reported with confidence intervals.

A study is described by a spec file (Python, read with MMEngine's ``Config``):

* ``regimes``: name -> ``dict(config=..., cfg_options=[...])``, a training set-up
  (e.g. the unstressed baseline, D without normalisation, limited data);
* ``variants``: name -> what is added to a regime: ``hooks`` (appended to the
  regime's ``custom_hooks``, e.g. ``RealSampleAttackHook`` or
  ``R1GradientPenaltyHook``) and/or ``model`` (merged into the model config,
  e.g. a spectrally normalised D); ``baseline`` adds nothing;
* ``phases``: name -> ``dict(seeds=[...], runs={regime: [variant, ...]},
  test_metric_runs={regime: [variant, ...]}, test_metric_seeds=[...])``: e.g.
  ``dev`` (tuning seeds) and ``heldout`` (the seeds reported, never looked at
  while tuning); ``test_metric_seeds`` (default: all the phase's seeds) limits
  the costly test metric to a documented subset of seeds; ``baseline_phase``: the
  phase whose baseline runs (same regime and seeds) its variants are compared to,
  when it runs none of its own;
* ``metric`` (logged during training), ``test_metric`` (tools/test.py on the
  last checkpoint, for the runs ``test_metric_runs`` names), ``collapse_ratio``
  (a run has collapsed if its final metric exceeds ``collapse_ratio`` times its
  best), ``jobs``, ``threads``, ``out``; ``verdict_phase`` (its table goes to
  ``<out>/verdict.md`` once every run of the phase is in; before that, how many
  are), ``verdict_marker`` and ``verdict_docs`` (the documents whose marked block
  quotes verdict.md) and ``cost_file`` (the one-process cost measurements the
  verdict table quotes);
* ``picks`` in a phase: family -> the prefix of its variants' names; the report
  names, per regime and family, the variant with the lowest mean score once every
  one of them has run on every seed of the phase. A later phase refers to a pick as
  ``'pick:<phase>:<regime>:<family>'`` (in its runs, in ``verdict_contrasts``, in a
  variant's ``combine``): the rule, fixed before the runs, decides what runs next. A
  variant with ``combine=[variant, ...]`` has the hooks of all of them (AS + R1).

For each (regime, variant) a config is written next to the runs (``_base_`` =
the regime's config, plus the variant), so every run is an ordinary
``tools/train.py`` run whose config can be read back. Runs are recorded in
``<out>/results.json`` as they finish; running a phase again skips the runs
already there, so a study that outlasts a session continues where it stopped: a run
that was interrupted resumes from the last checkpoint in its work dir (``tools/train.py
--resume``; its ``wall_s`` then counts the last attempt only; a run cut off during the
evaluation that follows a checkpoint has that checkpoint evaluated first, as MMEngine would
not repeat it), or starts again from scratch, its old work dir removed, when it saved none. A
test metric asked of runs already recorded (``test_metric_seeds`` widened
later) is scored on their last checkpoints, without training them again.
"""
import copy
import json
import shutil
import statistics
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from . import benchmark as bm
from .stats import compare, holm


def repo_root(start: Optional[Path] = None) -> Path:
    """The repository the study runs in: the working directory or the nearest
    folder above it holding ``tools/train.py`` and ``configs/`` (studies are run
    from a checkout; results, work dirs and configs are found there).

    Raises:
        FileNotFoundError: no such folder above ``start`` (default: the cwd).
    """
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / 'tools' / 'train.py').is_file() and (folder / 'configs').is_dir():
            return folder
    raise FileNotFoundError(f'{start} is not inside a checkout of mmagic_asgan (no tools/train.py '
                            'and configs/ above it): run studies from the repository')
PROBE_KEYS = ('auc_clean', 'auc_adv_e2', 'auc_adv_e4', 'rel_drop_e2', 'rel_drop_e4',
              'grad_norm_real', 'grad_norm_fake', 'grad_hf_share_real', 'grad_hf_share_fake')


PICK = 'pick:'


def _pick_key(name: str) -> Optional[Tuple[str, str, str]]:
    """``(phase, regime, family)`` of ``'pick:<phase>:<regime>:<family>'``, else None."""
    parts = name[len(PICK):].split(':') if name.startswith(PICK) else []
    return tuple(parts) if len(parts) == 3 else None


def _check_name(spec: Config, name: str, where: str) -> None:
    if name in spec.variants:
        return
    key = _pick_key(name)
    if key is None:
        raise ValueError(f'{where}: unknown variant {name!r}; known: {list(spec.variants)}, or '
                         f"'{PICK}<phase>:<regime>:<family>'")
    phase, regime, family = key
    body = spec.phases.get(phase)
    if body is None or regime not in body.runs or family not in body.get('picks', {}):
        raise ValueError(f'{where}: {name!r} names no pick: phase {phase!r} must be one of '
                         f'{list(spec.phases)}, with regime {regime!r} in its runs and family '
                         f'{family!r} in its picks')


def load_spec(path: str) -> Config:
    """Reads and checks a study spec."""
    spec = Config.fromfile(path)
    for key in ('name', 'regimes', 'variants', 'phases', 'metric'):
        if key not in spec:
            raise ValueError(f'study spec {path}: missing {key!r}')
    for phase, body in spec.phases.items():
        for regime, variants in body.runs.items():
            if regime not in spec.regimes:
                raise ValueError(f'study spec {path}: phase {phase} names regime {regime!r}, '
                                 f'not one of {list(spec.regimes)}')
            for variant in variants:
                _check_name(spec, variant, f'study spec {path}: phase {phase}, regime {regime}')
    for variant, body in spec.variants.items():
        for part in body.get('combine', []):
            _check_name(spec, part, f'study spec {path}: variant {variant} combine')
    for pair in spec.get('verdict_contrasts', []):
        for name in pair:
            _check_name(spec, name, f'study spec {path}: verdict_contrasts')
    return spec


def resolve_picks(spec: Config, results: List[bm.RunResult]) -> Config:
    """A copy of ``spec`` in which each ``'pick:<phase>:<regime>:<family>'`` whose
    phase has every run its rule needs is the variant picked, and each variant
    with ``combine`` whose parts are all known has their hooks, in order.
    Names whose picks are not in yet stay as they are (:func:`unresolved`)."""
    spec = copy.deepcopy(spec)
    chosen: Dict[Tuple[str, str, str], Optional[str]] = {}

    def name_of(name: str) -> str:
        key = _pick_key(name)
        if key is None:
            return name
        if key not in chosen:
            phase = key[0]
            rows = summarize_phase(spec, results, phase)
            chosen.update({(phase, p['regime'], p['family']): p['variant']
                           for p in picks(spec, rows, phase)})
        return chosen.get(key) or name

    for body in spec.phases.values():
        for regime in list(body.runs):
            body.runs[regime] = [name_of(v) for v in body.runs[regime]]
    for body in spec.variants.values():
        if body.get('combine'):
            parts = [name_of(p) for p in body.combine]
            body.combine = parts
            if all(p in spec.variants for p in parts):
                body.hooks = [h for p in parts for h in spec.variants[p].get('hooks', [])]
    if spec.get('verdict_contrasts'):
        spec.verdict_contrasts = [[name_of(a), name_of(b)] for a, b in spec.verdict_contrasts]
    return spec


def phases_needed(spec: Config, phase: str) -> List[str]:
    """The phases (in the spec's order) a phase's runs need before they can
    start: those whose picks it runs, directly or combined, and whose baseline
    it uses, theirs in turn, and the phase itself; a spec read by
    :func:`load_spec`, before :func:`resolve_picks` replaces the picks' names."""
    needed, todo = set(), [phase]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        body = spec.phases[name]
        names = [v for variants in body.runs.values() for v in variants]
        names += [part for v in names if v in spec.variants
                  for part in spec.variants[v].get('combine', [])]
        todo += [_pick_key(v)[0] for v in names if _pick_key(v)]
        todo += [body.baseline_phase] if body.get('baseline_phase') else []
    return [p for p in spec.phases if p in needed]


def unresolved(spec: Config, phase: str) -> List[str]:
    """The phase's runs that still wait for a pick (after :func:`resolve_picks`)."""
    names = [v for variants in spec.phases[phase].runs.values() for v in variants]
    waiting = [v for v in names if v not in spec.variants]
    waiting += [f'{v} (combines {list(spec.variants[v].combine)})' for v in names
                if v in spec.variants and spec.variants[v].get('combine')
                and not spec.variants[v].get('hooks')]
    return list(dict.fromkeys(waiting))


def variant_config(spec: Config, regime: str, variant: str, folder: Path) -> Path:
    """Writes (idempotently) the config of ``variant`` on ``regime``; a variant
    that combines picks needs them resolved (:func:`resolve_picks`) first."""
    base = (repo_root() / spec.regimes[regime].config).resolve()
    body = spec.variants[variant]
    if body.get('combine') and not body.get('hooks'):  # else it would train as the baseline
        raise ValueError(f'variant {variant} combines {list(body.combine)}, not resolved: '
                         'resolve_picks(spec, results) first, once the picks are in')
    lines = [f'# study {spec.name}: regime {regime}, variant {variant} (generated)',
             f'_base_ = {str(base)!r}',
             "custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)"]
    if body.get('hooks'):
        hooks = [h.to_dict() if hasattr(h, 'to_dict') else dict(h) for h in body.hooks]
        lines.append(f"custom_hooks = _base_.get('custom_hooks', []) + {hooks!r}")
    if body.get('model'):
        model = body.model.to_dict() if hasattr(body.model, 'to_dict') else dict(body.model)
        lines.append(f'model = {model!r}')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f'{regime}__{variant}.py'
    text = '\n'.join(lines) + '\n'
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def plan(spec: Config, phase: str,
         regimes: Optional[List[str]] = None) -> List[Tuple[str, str, int]]:
    """(regime, variant, seed), seed-major: every cell of seed s before seed s+1.

    Args:
        spec: the study spec.
        phase: one of ``spec.phases``.
        regimes: only these of the phase's regimes (default: all), e.g. to run
            the regime whose results decide the next phase first.
    """
    if phase not in spec.phases:
        raise ValueError(f'phase must be one of {list(spec.phases)}, got {phase!r}')
    body = spec.phases[phase]
    unknown = [r for r in regimes or [] if r not in body.runs]
    if unknown:
        raise ValueError(f'regimes {unknown} are not in phase {phase}; it has {list(body.runs)}')
    return [(regime, variant, seed) for seed in body.seeds
            for regime, variants in body.runs.items() for variant in variants
            if regimes is None or regime in regimes]


def results_path(spec: Config) -> Path:
    return repo_root() / spec.get('out', f'results/{spec.name}') / 'results.json'


def load_results(spec: Config) -> List[bm.RunResult]:
    """The spec's results.json, refused when a run would be counted twice or
    outside its phase's seeds (it would join a cell's Welch interval and Holm's
    family unseen: the tables show a cell's count, not its seeds)."""
    path = results_path(spec)
    results = bm.load(path) if path.exists() else []
    seen = set()
    for r in results:
        key = bm.run_key(r)
        if key in seen:
            raise ValueError(f'{path}: two runs of phase {r.phase}, {r.regime}/{r.variant}, '
                             f'seed {r.seed}; keep one')
        seen.add(key)
        if r.phase in spec.get('phases', {}) and r.seed not in spec.phases[r.phase].seeds:
            raise ValueError(f'{path}: {r.phase} {r.regime}/{r.variant} has seed {r.seed}, '
                             f'not one of the phase\'s seeds {spec.phases[r.phase].seeds}')
    return results


def run_phase(spec: Config, phase: str, jobs: Optional[int] = None,
              work_root: Optional[Path] = None, limit: Optional[int] = None,
              regimes: Optional[List[str]] = None) -> List[bm.RunResult]:
    """Runs the phase's runs that results.json lacks (at most ``limit``; only
    ``regimes`` if given), then scores the test metric of runs already there
    that the spec now asks it of (``test_metric_runs`` / ``test_metric_seeds``
    widened after they trained) on their last checkpoint, without training again."""
    spec = resolve_picks(spec, load_results(spec))
    waiting = unresolved(spec, phase)
    if waiting:
        raise ValueError(f'phase {phase} runs picks that are not in yet: {waiting}; run the '
                         'phase that picks them first, to the end')
    jobs = jobs or spec.get('jobs', 1)
    threads = spec.get('threads', bm.threads_per_job(jobs))
    root = repo_root()
    work_root = Path(work_root or root / 'work_dirs' / 'studies' / spec.name)
    results = load_results(spec)
    done = {bm.run_key(r) for r in results if r.returncode == 0}
    results = [r for r in results if r.returncode == 0]  # failed runs are run again
    tests = spec.phases[phase].get('test_metric_runs', {})
    test_seeds = spec.phases[phase].get('test_metric_seeds', spec.phases[phase].seeds)

    def wants_test(regime: str, variant: str, seed: int) -> bool:
        return bool(spec.get('test_metric')) and variant in tests.get(regime, []) and \
            seed in test_seeds

    unscored = [r for r in results if r.phase == phase and wants_test(r.regime, r.variant, r.seed)
                and spec.test_metric not in r.test_metrics
                and (regimes is None or r.regime in regimes)]
    todo = ([item for item in plan(spec, phase, regimes) if (phase, ) + item not in done] +
            unscored)[:limit]
    lock = threading.Lock()
    out = results_path(spec)
    out.parent.mkdir(parents=True, exist_ok=True)

    def score(r: bm.RunResult) -> bm.RunResult:
        label = f'{phase} {r.regime}/{r.variant} seed {r.seed}'
        if not (Path(r.work_dir) / 'last_checkpoint').exists():
            print(f'[study] cannot score {label}: no checkpoint in {r.work_dir}', flush=True)
            return r
        print(f'[study] score {label} (trained before; last checkpoint)', flush=True)
        bm.evaluate_last_checkpoint(r, root / 'tools' / 'test.py',
                                    list(spec.regimes[r.regime].get('cfg_options', [])))
        if r.returncode:  # the training stands; the score is tried again next time
            print(f'[study] scoring FAILED ({r.returncode}): see {r.work_dir}', flush=True)
            r.returncode = 0
        with lock:
            bm.save_runs([r], out)
        return r

    def run(item):
        if isinstance(item, bm.RunResult):
            return score(item)
        regime, variant, seed = item
        config = variant_config(spec, regime, variant, work_root / 'configs')
        label = f'{regime}/{variant}'
        print(f'[study] start {phase} {label} seed {seed}', flush=True)
        test_py = root / 'tools' / 'test.py' if wants_test(regime, variant, seed) else None
        work_dir = work_root / phase / regime / variant / f'seed{seed}'
        config = str(config.relative_to(root) if config.is_relative_to(root) else config)
        cfg_options = list(spec.regimes[regime].get('cfg_options', []))
        resume = (work_dir / 'last_checkpoint').is_file()
        if resume:
            print(f'[study] resume {phase} {label} seed {seed} from '
                  f"{(work_dir / 'last_checkpoint').read_text().strip()}", flush=True)
            cut = bm.RunResult(label, config, seed, str(work_dir), [], 0, 0.0, threads=threads)
            evaluated = bm.evaluate_interrupted_evaluation(cut, root / 'tools' / 'test.py',
                                                           cfg_options)
            if evaluated is not None:
                print(f'[study] evaluated iteration {evaluated} (cut off during its evaluation)',
                      flush=True)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)  # logs of an attempt with no checkpoint
        r = bm.run_one(label, config, seed, work_dir, root / 'tools' / 'train.py', cfg_options,
                       test_py, threads, resume=resume)
        r.phase, r.regime, r.variant = phase, regime, variant
        status = f'FAILED ({r.returncode}): see {r.work_dir}' if r.returncode else 'done'
        print(f'[study] {status} {phase} {label} seed {seed} ({r.wall_s:.0f} s)', flush=True)
        with lock:
            results.append(r)
            bm.save_runs([r], out)  # beside what other study commands saved meanwhile
        return r

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(run, todo))
    return results


# ----------------------------------------------------------------------- report
SCORE_WINDOW = 3  # the per-run score: the mean of the metric's last three evaluations
LATE_RISE = 1.1  # a late rise: the final value >= 1.1 x the run's best


def run_values(run: bm.RunResult, metric: str,
               window: int = SCORE_WINDOW) -> Optional[Dict[str, float]]:
    """A run's ``score`` (the mean of its last ``window`` evaluations, fixed
    before the studies' runs were looked at: one checkpoint's noise averaged
    out), ``final`` (the last evaluation) and ``best`` (the lowest)."""
    values = run.metrics.get(metric)
    if not values:
        return None
    ordered = [values[k] for k in sorted(values, key=int)]
    return dict(score=statistics.mean(ordered[-window:]), final=ordered[-1], best=min(ordered))


def cell_runs(results: List[bm.RunResult], phase: str, regime: str,
              variant: str) -> List[bm.RunResult]:
    return sorted((r for r in results if r.phase == phase and r.regime == regime and
                   r.variant == variant and r.returncode == 0), key=lambda r: r.seed)


def _cell(spec: Config, runs: List[bm.RunResult]) -> dict:
    metric, test_metric = spec.metric, spec.get('test_metric')
    values = [v for v in (run_values(r, metric, spec.get('score_window', SCORE_WINDOW))
                          for r in runs) if v]
    return dict(seeds=[r.seed for r in runs], values=values,
                scores=[v['score'] for v in values],
                tests=[r.test_metrics[test_metric] for r in runs
                       if test_metric and test_metric in r.test_metrics],
                spis=[r.sec_per_iter for r in runs if r.sec_per_iter])


def summarize_phase(spec: Config, results: List[bm.RunResult], phase: str) -> List[dict]:
    """One row per (regime, variant) of the phase: the per-run score (mean,
    std) and its difference to the regime's baseline (95% Welch interval,
    Welch's p), final and best beside it, the late-rise and collapse counts,
    the test metric and its difference, s/iter and its ratio to the baseline,
    probe means."""
    collapse = spec.get('collapse_ratio', 2.0)
    rows = []
    for regime, variants in spec.phases[phase].runs.items():
        base = _cell(spec, cell_runs(results, spec.phases[phase].get('baseline_phase', phase),
                                     regime, 'baseline'))
        base_spi = statistics.median(base['spis'] or [float('nan')])
        for variant in variants:
            runs = cell_runs(results, phase, regime, variant)
            cell = _cell(spec, runs)
            values = cell['values']
            row = dict(regime=regime, variant=variant, seeds=cell['seeds'], n=len(values),
                       score=compare(cell['scores'], base['scores']),
                       final=compare([v['final'] for v in values], []),
                       best=compare([v['best'] for v in values], []),
                       late_rise=sum(v['final'] >= LATE_RISE * v['best'] for v in values),
                       collapsed=sum(v['final'] > collapse * v['best'] for v in values),
                       test=compare(cell['tests'], base['tests']) if cell['tests'] else None,
                       sec_per_iter=statistics.median(cell['spis']) if cell['spis'] else None)
            row['time_ratio'] = (row['sec_per_iter'] / base_spi
                                 if row['sec_per_iter'] and base_spi == base_spi else None)
            row['probe'] = {}
            for key in PROBE_KEYS:
                probe = [list(r.metrics[f'probe/{key}'].values())[-1] for r in runs
                         if r.metrics.get(f'probe/{key}')]
                if probe:
                    row['probe'][key] = compare(probe, [])
            rows.append(row)
    return rows


def picks(spec: Config, rows: List[dict], phase: str) -> List[dict]:
    """The phase's picks by the rule its spec fixed before the runs (``picks``: a
    family name -> the prefix of its variants' names): per regime and family, the
    variant with the lowest mean score. ``variant`` is None until every variant
    of the family has a run on every seed of the phase (``runs`` / ``needed``)."""
    seeds = len(spec.phases[phase].seeds)
    out = []
    for regime in spec.phases[phase].runs:
        for family, prefix in spec.phases[phase].get('picks', {}).items():
            cells = [r for r in rows if r['regime'] == regime and
                     r['variant'].startswith(prefix)]
            done = sum(min(r['n'], seeds) for r in cells)
            best = (min(cells, key=lambda r: r['score']['mean'])
                    if cells and done == seeds * len(cells) else None)
            out.append(dict(regime=regime, family=family, runs=done, needed=seeds * len(cells),
                            variant=best and best['variant'],
                            score=best and best['score']['mean']))
    return out


def contrasts(spec: Config, results: List[bm.RunResult], phase: str) -> List[dict]:
    """The direct comparisons a spec names in ``verdict_contrasts`` (pairs of
    variants, e.g. AS against R1), in every regime of the phase that ran both:
    the per-run score's difference (first minus second) with its Welch
    interval and p."""
    out = []
    for first, second in spec.get('verdict_contrasts', []):
        for regime, variants in spec.phases[phase].runs.items():
            if first in variants and second in variants:
                a = _cell(spec, cell_runs(results, phase, regime, first))['scores']
                b = _cell(spec, cell_runs(results, phase, regime, second))['scores']
                if a and b:
                    out.append(dict(regime=regime, first=first, second=second,
                                    diff=compare(a, b)))
    return out


def comparisons(rows: List[dict], pairs: List[dict]) -> List[dict]:
    """Every comparison of a verdict table (scores and test metric to the
    baseline, the contrasts), each with ``p_holm``: Holm's adjustment over all
    of them. The dicts are the rows' own comparison dicts, updated in place."""
    family = []
    for r in rows:
        if r['variant'] != 'baseline':
            family += [c for c in (r['score'], r['test']) if c and c.get('p') is not None]
    family += [c['diff'] for c in pairs if c['diff'].get('p') is not None]
    for c, adjusted in zip(family, holm([c['p'] for c in family])):
        c['p_holm'] = adjusted
    return family


def _ms(c: Optional[dict], digits: int = 1) -> str:
    if not c or c.get('mean') is None:
        return 'n/a'
    if c.get('std') is None:  # one run: no spread to show (the tables give n)
        return f"{c['mean']:.{digits}f}"
    return f"{c['mean']:.{digits}f} +- {c['std']:.{digits}f}"


def _table(head: List[str]) -> List[str]:
    """A markdown table's header line and the line under it, with as many cells
    (a renderer drops a table whose two lines differ)."""
    return ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]


def _p(p: Optional[float]) -> str:
    return '=n/a' if p is None else ('<0.001' if p < 0.001 else f'={p:.3f}')


def _diff(c: Optional[dict], digits: int = 1) -> str:
    """``+d [low, high], p=..`` (and the Holm-adjusted p where one was made)."""
    if not c or c.get('diff') is None:
        return ''
    if c.get('ci_low') is None:
        return f"{c['diff']:+.{digits}f}"
    text = f"{c['diff']:+.{digits}f} [{c['ci_low']:+.{digits}f}, {c['ci_high']:+.{digits}f}]"
    if c.get('p') is not None:
        text += f", p{_p(c['p'])}"
    if c.get('p_holm') is not None:
        text += f", Holm p{_p(c['p_holm'])}"
    return text


def _test(row: dict) -> str:
    return f"{_ms(row['test'])} (n={row['test']['n']})" if row['test'] else 'not scored'


def runs_in(spec: Config, results: List[bm.RunResult], phase: str) -> Tuple[int, int]:
    """(runs of the phase that are in, runs its plan has): a run is in when it
    trained and has an evaluation of the spec's metric."""
    scored = {(r.regime, r.variant, r.seed) for r in results
              if r.phase == phase and r.returncode == 0 and run_values(r, spec.metric)}
    planned = plan(spec, phase)
    return sum(item in scored for item in planned), len(planned)


def markdown(spec: Config, rows: List[dict], phase: str,
             progress: Optional[Tuple[int, int]] = None) -> str:
    """The phase's table (cells with runs) and its probe table; ``progress``
    (:func:`runs_in`) says how many of its runs are in while some are not."""
    metric, test_metric = spec.metric, spec.get('test_metric')
    test_head = [f'{test_metric} (last ckpt)', 'diff to baseline'] if test_metric else []
    lines = _table(['regime', 'variant', 'n', f'score (mean of last 3 {metric})',
                    'diff to baseline [95% Welch CI], p', 'final', 'best', 'late rise',
                    'collapsed'] + test_head + ['s/iter', 'cost vs baseline'])
    for r in (r for r in rows if r['n']):  # cells not run yet are left out
        spi = f"{r['sec_per_iter']:.3f}" if r['sec_per_iter'] else 'n/a'
        ratio = f"{r['time_ratio']:.2f}x" if r['time_ratio'] else 'n/a'
        same = r['variant'] == 'baseline'
        test = f"{_test(r)} | {'' if same else _diff(r['test'])} | " if test_metric else ''
        lines.append(f"| {r['regime']} | {r['variant']} | {r['n']} | {_ms(r['score'])} | "
                     f"{'' if same else _diff(r['score'])} | {_ms(r['final'])} | "
                     f"{_ms(r['best'])} | {r['late_rise']}/{r['n']} | {r['collapsed']}/{r['n']} "
                     f"| {test}{spi} | {ratio} |")
    probe_lines = _table(['regime', 'variant'] + list(PROBE_KEYS))
    for r in rows:
        if r['probe']:
            probe_lines.append(f"| {r['regime']} | {r['variant']} | " + ' | '.join(
                _ms(r['probe'].get(k), 3) for k in PROBE_KEYS) + ' |')
    chosen = [f"- {p['regime']}, {p['family']}: " + (
        f"**{p['variant']}** (mean score {p['score']:.1f})" if p['variant'] else
        f"not yet ({p['runs']} of {p['needed']} runs in)") for p in picks(spec, rows, phase)]
    if chosen:
        lines += ['', 'Picks by the rule fixed before the runs (per family, the lowest mean '
                  'score over the phase\'s seeds):', ''] + chosen
    waiting = (f'Interim: {progress[0]} of {progress[1]} runs in.\n\n'
               if progress and progress[0] < progress[1] else '')
    return (f'### Phase `{phase}` (seeds {spec.phases[phase].seeds})\n\n' + waiting +
            '\n'.join(lines) +
            '\n\nD at the end of training (`DiscriminatorProbeHook`, held-out reals and fixed '
            'fakes; mean +- std over seeds):\n\n' + '\n'.join(probe_lines) + '\n')


def verdict(spec: Config, rows: List[dict], phase: str, pairs: List[dict]) -> str:
    """The verdict table of a phase (the model zoo and the study's page lead with it):
    per regime and variant, the per-run score and its difference to the
    baseline (95% Welch interval, raw and Holm-adjusted p over every comparison
    of the table), final and best, late rises and collapses, the test metric,
    the cost; then the direct contrasts (``pairs``, e.g. AS minus R1). A
    difference is a finding only where its Holm-adjusted p is below 0.05
    (marked **). Cost is the train-step ratio measured in one process
    (``spec.cost_file``, tools/analysis/step_cost.py) where the variant was
    measured there, else the runs' s/iter ratio (marked "runs")."""
    comparisons(rows, pairs)
    cost_file = repo_root() / spec.cost_file if spec.get('cost_file') else None
    costs = json.loads(cost_file.read_text()) if cost_file and cost_file.exists() else {}
    metric, test_metric = spec.metric, spec.get('test_metric')
    test_head = [f'{test_metric} (last ckpt)', 'diff to baseline'] if test_metric else []
    lines = _table(['regime', 'variant', 'seeds', f'score: mean of last 3 {metric}',
                    'diff to baseline [95% Welch CI], p, Holm p', 'final / best',
                    'late rise / collapsed'] + test_head + ['cost'])
    for r in (r for r in rows if r['n']):
        step = costs.get(r['variant'], {}).get('train_step', {})
        if r['variant'] == 'baseline':
            cost = '1.00x'
        elif step.get('ratio'):
            cost = f"{step['ratio']:.2f}x [{step['ci_low']:.2f}, {step['ci_high']:.2f}]"
        else:
            cost = f"{r['time_ratio']:.2f}x (runs)" if r['time_ratio'] else 'n/a'
        same = r['variant'] == 'baseline'
        test = f"{_test(r)} | {'' if same else _finding(r['test'])} | " if test_metric else ''
        lines.append(
            f"| {r['regime']} | {r['variant']} | {r['n']} | {_ms(r['score'])} | "
            f"{'' if same else _finding(r['score'])} | {r['final']['mean']:.1f} / "
            f"{r['best']['mean']:.1f} | {r['late_rise']}/{r['n']} / {r['collapsed']}/{r['n']} | "
            f"{test}{cost} |")
    text = _generated_by(spec) + '\n'.join(lines) + '\n'
    if pairs:
        text += '\n' + '\n'.join(_table(['regime', 'contrast', 'score difference '
                                          '[95% Welch CI], p, Holm p'])) + '\n'
        text += ''.join(f"| {c['regime']} | {c['first']} minus {c['second']} | "
                        f"{_finding(c['diff'])} |\n" for c in pairs)
    return text + '\n' + findings(rows, pairs)


def quote_verdict(spec: Config, text: str) -> List[Path]:
    """Writes ``text`` between ``<!-- {spec.verdict_marker}:start -->`` and
    ``...:end -->`` in each of ``spec.verdict_docs`` (the model zoo, the study's
    page, README), so the documents quote the verdict as generated."""
    marker, written = spec.get('verdict_marker'), []
    for name in spec.get('verdict_docs', []) if marker else []:
        path = repo_root() / name
        start, end = f'<!-- {marker}:start -->\n', f'<!-- {marker}:end -->'
        doc = path.read_text()
        if start not in doc or end not in doc:
            raise ValueError(f'{path}: no {start.strip()} ... {end} block to write the verdict in')
        head, rest = doc.split(start, 1)
        path.write_text(head + start + text + end + rest.split(end, 1)[1])
        written.append(path)
    return written


def _generated_by(spec: Config) -> str:
    path = Path(spec.filename).resolve()
    try:
        path = path.relative_to(repo_root())
    except ValueError:
        pass
    return f'<!-- generated by `python tools/dev/study.py {path} --report`: do not edit -->\n'


def _sentence(what: str, c: dict, metric: str) -> str:
    """One comparison in words: a difference where Holm's p < 0.05, else none
    detectable; lower is better (a distance)."""
    if c.get('ci_low') is None:
        return f"- {what}: {c['diff']:+.1f}, no interval (too few runs)"
    interval = f"{c['diff']:+.1f} [{c['ci_low']:+.1f}, {c['ci_high']:+.1f}]"
    if c.get('p_holm') is not None and c['p_holm'] < 0.05:
        side = 'lower (better)' if c['diff'] < 0 else 'higher (worse)'
        return f"- {what}: {side} {metric}, {interval}, Holm p{_p(c['p_holm'])}"
    return (f"- {what}: no detectable difference, {interval}, Holm p{_p(c.get('p_holm'))}")


def findings(rows: List[dict], pairs: List[dict], metric: str = 'score') -> str:
    """The table's comparisons in words, each a finding only where its
    Holm-adjusted p is below 0.05 (call after :func:`comparisons`)."""
    lines = ['Findings (per-run score; Holm-adjusted over every comparison above):']
    for r in rows:
        if r['n'] and r['variant'] != 'baseline' and r['score'].get('diff') is not None:
            lines.append(_sentence(f"{r['regime']}, {r['variant']} vs baseline", r['score'],
                                   metric))
    for c in pairs:
        lines.append(_sentence(f"{c['regime']}, {c['first']} vs {c['second']}", c['diff'],
                               metric))
    return '\n'.join(lines) + '\n'


def _finding(c: Optional[dict]) -> str:
    """:func:`_diff`, in bold where the Holm-adjusted p is below 0.05."""
    text = _diff(c)
    return f'**{text}**' if text and c.get('p_holm') is not None and c['p_holm'] < 0.05 else text


def plot_phase(spec: Config, results: List[bm.RunResult], phase: str, out: Path) -> Path:
    """The metric over iterations, mean and min-max band over seeds, one panel
    per regime with runs, one colour per variant."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from .run_logs import aggregate
    runs_by_regime = {regime: variants for regime, variants in spec.phases[phase].runs.items()
                      if any(cell_runs(results, phase, regime, v) for v in variants)}
    if not runs_by_regime:  # nothing run yet: a single empty panel
        runs_by_regime = dict(list(spec.phases[phase].runs.items())[:1])
    fig, axes = plt.subplots(1, len(runs_by_regime), figsize=(4.6 * len(runs_by_regime), 3.8),
                             squeeze=False)
    colours = {v: f'C{i}' for i, v in enumerate(spec.variants)}
    for ax, (regime, variants) in zip(axes[0], runs_by_regime.items()):
        for variant in variants:
            runs = [r for r in cell_runs(results, phase, regime, variant)
                    if r.metrics.get(spec.metric)]
            agg = aggregate([r.metrics[spec.metric] for r in runs])
            if agg is None:
                continue
            steps, mean, low, high = agg
            ax.plot(steps, mean, color=colours[variant], label=f'{variant} (n={len(runs)})')
            ax.fill_between(steps, low, high, color=colours[variant], alpha=0.15)
        ax.set_title(regime)
        ax.set_xlabel('iteration')
        ax.set_ylabel(spec.metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def verdict_text(spec: Config, results: List[bm.RunResult],
                 rows: Optional[List[dict]] = None) -> str:
    """verdict.md of a spec with picks resolved: :func:`verdict` of its
    ``verdict_phase`` once every run of that phase is in; before that (Holm's
    family and each interval are the whole phase's) how many are. ``rows``: the
    phase's :func:`summarize_phase` when the caller has it (they get their Holm p)."""
    phase = spec.verdict_phase
    done, needed = runs_in(spec, results, phase)
    if done < needed:
        return (_generated_by(spec) + f'No verdict yet: {done} of the {needed} runs of phase '
                f'`{phase}` are in. It is written, with every comparison Holm-adjusted over the '
                'whole table, when all are in; results.md shows the runs so far.\n')
    return verdict(spec, rows or summarize_phase(spec, results, phase), phase,
                   contrasts(spec, results, phase))


def report(spec: Config, phases: Optional[List[str]] = None) -> Dict[str, List[dict]]:
    """Writes ``<out>/results.md``, ``summary.json``, ``<phase>.png`` and, if the
    spec names a ``verdict_phase``, ``verdict.md`` (:func:`verdict_text`), quoted
    into the spec's ``verdict_docs``."""
    results = load_results(spec)
    spec = resolve_picks(spec, results)
    out = results_path(spec).parent
    phases = phases or [p for p in spec.phases if any(r.phase == p for r in results)]
    summary, sections = {}, []
    for phase in phases:
        rows = summarize_phase(spec, results, phase)
        summary[phase] = rows
        sections.append(markdown(spec, rows, phase, runs_in(spec, results, phase)))
        plot_phase(spec, results, phase, out / f'{phase}.png')
    if spec.get('verdict_phase'):
        text = verdict_text(spec, results, summary.get(spec.verdict_phase))
        (out / 'verdict.md').write_text(text)
        quote_verdict(spec, text)
    machines = ', '.join(sorted({r.machine or 'not recorded' for r in results}))
    commands = '\n'.join(
        '\n'.join([' '.join(['python', 'tools/train.py'] + r.command[4:])] +
                  [' '.join(['python', 'tools/test.py'] + c[2:])  # a checkpoint evaluated later
                   for _, c in sorted(r.evaluation_commands.items())]) for r in results)
    (out / 'results.md').write_text(
        _generated_by(spec) + f'# Study `{spec.name}`\n\nMachine: {machines}. '
        f'Metric: {spec.metric} over training; '
        f'per-run score: the mean of its last {spec.get("score_window", SCORE_WINDOW)} '
        f'evaluations; late rise: final >= {LATE_RISE} x best; collapse: final > '
        f'{spec.get("collapse_ratio", 2.0)} x best. Differences are to the same regime\'s '
        "baseline: mean difference with a 95% Welch t-interval over seeds and Welch's p.\n\n" +
        '\n'.join(sections) +
        f'\n<details><summary>Every run\'s command</summary>\n\n```\n{commands}\n```\n</details>\n')
    (out / 'summary.json').write_text(json.dumps(summary, indent=1))
    return summary
