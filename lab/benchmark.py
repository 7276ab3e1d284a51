"""Benchmarks of baseline vs AS-GAN configs: run, collect, tabulate, plot.

Every number comes from a run this module launched (its command is recorded) or
from a results file it wrote; nothing is typed in.
"""
import argparse
import fcntl
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config, DictAction

from .run_logs import EVALUATIONS, metric_keys, probe_keys, read_evaluations, read_scalars, series

# Runs tools/train.py in this interpreter and reports the process's peak RSS.
_CHILD = ('import resource, runpy, sys\n'
          'sys.argv = sys.argv[1:]\n'
          'try:\n'
          '    runpy.run_path(sys.argv[0], run_name="__main__")\n'
          'finally:\n'
          '    print("BENCHMARK_PEAK_RSS_MB",\n'
          '          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n')


@dataclass
class RunResult:
    """One (config, seed) run."""
    label: str
    config: str
    seed: int
    work_dir: str
    command: List[str]
    returncode: int
    wall_s: float
    sec_per_iter: Optional[float] = None
    peak_mem_mb: Optional[float] = None
    metrics: Dict[str, Dict[int, float]] = field(default_factory=dict)
    threads: Optional[int] = None
    machine: Optional[str] = None
    test_command: Optional[List[str]] = None
    test_metrics: Dict[str, float] = field(default_factory=dict)
    # iteration -> tools/test.py command of a checkpoint evaluated after a cut
    evaluation_commands: Dict[int, List[str]] = field(default_factory=dict)
    phase: Optional[str] = None
    regime: Optional[str] = None
    variant: Optional[str] = None


def describe_machine() -> str:
    """CPU model and core count, and the GPU when one is visible."""
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        model = next(line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                     if line.startswith('model name'))
        cpu = model
    except (OSError, StopIteration):
        pass
    text = f'{os.cpu_count()}-core CPU ({cpu})'
    if torch.cuda.is_available():
        text += f', GPU {torch.cuda.get_device_name(0)}'
    return text


def _run_logged(command: List[str], log_path: Path, threads: Optional[int]):
    """Runs ``command``; stdout and stderr go to ``log_path``. ``threads`` caps
    the child's intra-op threads (OMP/MKL and torch) when given."""
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(log_path, 'w') as log:
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        log.write(proc.stdout)
    return proc


def run_one(label: str, config: str, seed: int, work_dir: Path, train_py: Path,
            cfg_options: List[str], test_py: Optional[Path] = None,
            threads: Optional[int] = None, resume: bool = False) -> RunResult:
    """Trains ``config`` with ``seed`` through tools/train.py and collects its logs.

    With ``resume``, training continues from the last checkpoint in ``work_dir``
    (``--resume``); the logs of every attempt are collected.

    With ``test_py`` (tools/test.py), the last checkpoint is then evaluated with
    the config's ``test_evaluator`` (same seed and options) into
    ``result.test_metrics``.
    """
    command = [sys.executable, '-c', _CHILD, str(train_py), config, '--work-dir', str(work_dir),
               *(['--resume'] if resume else []),
               '--cfg-options', f'randomness.seed={seed}', *cfg_options]
    work_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    proc = _run_logged(command, work_dir / 'benchmark_stdout.log', threads)
    result = RunResult(label, config, seed, str(work_dir), command, proc.returncode,
                       time.time() - start, threads=threads, machine=describe_machine())
    for line in proc.stdout.splitlines():
        if line.startswith('BENCHMARK_PEAK_RSS_MB'):
            result.peak_mem_mb = float(line.split()[1])
    if proc.returncode == 0:
        collect(result)
    if proc.returncode == 0 and test_py is not None:
        evaluate_last_checkpoint(result, test_py, cfg_options)
    return result


def evaluate_last_checkpoint(result: RunResult, test_py: Path, cfg_options: List[str]) -> None:
    """tools/test.py on the run's last checkpoint; sets ``test_metrics``
    (``returncode`` too, if the evaluation fails)."""
    work_dir = Path(result.work_dir)
    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    returncode, result.test_command, metrics = _test(result, test_py, cfg_options, checkpoint,
                                                     work_dir / 'test_metrics.json', 'test')
    if returncode:
        result.returncode = returncode
        return
    result.test_metrics = metrics


def _test(result: RunResult, test_py: Path, cfg_options: List[str], checkpoint: str, out: Path,
          name: str) -> Tuple[int, List[str], Dict[str, float]]:
    """tools/test.py on ``checkpoint`` (the run's seed and options): its return
    code, command and numeric metrics (written to ``out``)."""
    work_dir = Path(result.work_dir)
    command = [sys.executable, str(test_py), result.config, checkpoint,
               '--work-dir', str(work_dir / name), '--out', str(out),
               '--cfg-options', f'randomness.seed={result.seed}', *cfg_options]
    proc = _run_logged(command, work_dir / f'benchmark_{name}_stdout.log', result.threads)
    if proc.returncode:
        return proc.returncode, command, {}
    return 0, command, {k: float(v) for k, v in json.loads(out.read_text()).items()
                        if isinstance(v, (int, float))}


def evaluation_due(config: str, cfg_options: List[str], iteration: int) -> bool:
    """Whether MMEngine's ``IterBasedTrainLoop`` evaluates after ``iteration``
    under ``config`` with ``cfg_options`` (``train_cfg.val_begin``, ``val_interval``
    and the last iteration; never without a ``val_evaluator``)."""
    cfg = Config.fromfile(config)
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--cfg-options', *cfg_options]).cfg_options)
    train_cfg = cfg.get('train_cfg') or {}
    if not cfg.get('val_evaluator') or 'max_iters' not in train_cfg:
        return False
    return iteration >= train_cfg.get('val_begin', 1) and (
        iteration % train_cfg.get('val_interval', 1000) == 0 or
        iteration == train_cfg['max_iters'])


def evaluate_interrupted_evaluation(result: RunResult, test_py: Path,
                                    cfg_options: List[str]) -> Optional[int]:
    """Before a cut-off run resumes: if it was cut off during the evaluation
    that follows its last checkpoint, evaluates that checkpoint now.

    MMEngine saves the checkpoint, then evaluates; a resumed run starts after
    the checkpoint's iteration and never repeats that evaluation, and with
    ``max_keep_ckpts=1`` the checkpoint is gone once the run saves the next one.

    Returns:
        The iteration evaluated, or None when there was nothing to do.
    """
    checkpoint = (Path(result.work_dir) / 'last_checkpoint').read_text().strip()
    match = re.search(r'iter_(\d+)\.pth$', checkpoint)
    if not match:  # not an iteration-based run
        return None
    iteration = int(match.group(1))
    evaluated = {int(r['step']) for r in read_scalars(Path(result.work_dir))
                 if 'iter' not in r and 'step' in r}  # val records carry no 'iter'
    if iteration in evaluated or not evaluation_due(result.config, cfg_options, iteration):
        return None
    evaluate_checkpoint(result, test_py, cfg_options, checkpoint, iteration)
    return iteration


def evaluate_checkpoint(result: RunResult, test_py: Path, cfg_options: List[str],
                        checkpoint: str, iteration: int) -> Path:
    """tools/test.py on one of the run's checkpoints (the config's
    ``test_evaluator``, the run's seed and options), recorded as the run's
    evaluation at ``iteration``: ``<work_dir>/evaluations/iter_<N>.json``, with
    the command (:func:`run_logs.read_scalars` reads it as a val record).

    Raises:
        RuntimeError: tools/test.py failed (a cut-off run should not resume without it).
    """
    work_dir = Path(result.work_dir)
    out = work_dir / EVALUATIONS / f'iter_{iteration}.json'
    out.parent.mkdir(exist_ok=True)
    written = out.with_name(f'test_{out.name}')  # --out's suffix names the format: .json
    returncode, command, metrics = _test(result, test_py, cfg_options, checkpoint, written,
                                         'evaluation')
    if returncode:
        raise RuntimeError(f'evaluating {checkpoint} failed ({returncode}): see '
                           f'{work_dir / "benchmark_evaluation_stdout.log"}')
    out.write_text(json.dumps(dict(step=iteration, metrics=metrics, command=command), indent=1))
    written.unlink()
    return out


def collect(result: RunResult) -> None:
    """Metric series, median seconds per iteration and GPU memory from the logs."""
    records = read_scalars(Path(result.work_dir))
    result.evaluation_commands = {e['step']: e['command']
                                  for e in read_evaluations(Path(result.work_dir))}
    result.metrics = {k: series(records, k) for k in metric_keys(records, '/fid') +
                      metric_keys(records, '/fd') + probe_keys(records)}
    times = [r['time'] for r in records if 'time' in r and 'iter' in r]
    if times:
        result.sec_per_iter = statistics.median(times[len(times) // 10:] or times)
    gpu_mem = [r['memory'] for r in records if 'memory' in r]  # MMEngine logs MB on GPU
    if gpu_mem:
        result.peak_mem_mb = max(gpu_mem)


def summarize(results: List[RunResult], metric: str,
              test_metric: Optional[str] = None) -> List[dict]:
    """Per label: final and best metric (mean, std over seeds), stability
    (final / best), seconds per iteration and its ratio to the first label, and
    ``test_metric`` of the last checkpoints (mean, std) when given."""
    rows, base_spi = [], None
    labels = list(dict.fromkeys(r.label for r in results))
    for label in labels:
        runs = [r for r in results if r.label == label and r.returncode == 0]
        finals = [list(r.metrics[metric].values())[-1] for r in runs if r.metrics.get(metric)]
        bests = [min(r.metrics[metric].values()) for r in runs if r.metrics.get(metric)]
        spis = [r.sec_per_iter for r in runs if r.sec_per_iter]
        mems = [r.peak_mem_mb for r in runs if r.peak_mem_mb]

        def stat(values):
            if not values:
                return None
            return (statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0)

        spi = statistics.median(spis) if spis else None
        base_spi = base_spi or spi
        rows.append(dict(label=label, runs=len(runs), seeds=[r.seed for r in runs],
                         final=stat(finals), best=stat(bests),
                         stability=stat([f / b for f, b in zip(finals, bests) if b]),
                         test=stat([r.test_metrics[test_metric] for r in runs
                                    if test_metric in r.test_metrics]) if test_metric else None,
                         sec_per_iter=spi, time_ratio=spi / base_spi if spi and base_spi else None,
                         peak_mem_mb=max(mems) if mems else None))
    return rows


def markdown_table(rows: List[dict], metric: str, test_metric: Optional[str] = None) -> str:
    def fmt(v, digits=2):
        if v is None:
            return 'n/a'
        if isinstance(v, tuple):
            return f'{v[0]:.{digits}f} +- {v[1]:.{digits}f}'
        return f'{v:.{digits}f}' if isinstance(v, float) else str(v)

    test_head = f' {test_metric} (last ckpt) |' if test_metric else ''
    lines = [f'| variant | seeds |{test_head} final {metric} | best {metric} | final/best | '
             's/iter | time vs first | peak mem (MB) |',
             '|---|---|' + '---|' * (7 if test_metric else 6)]
    for r in rows:
        test_cell = f" {fmt(r['test'])} |" if test_metric else ''
        lines.append(f"| {r['label']} | {len(r['seeds'])} |{test_cell} {fmt(r['final'])} "
                     f"| {fmt(r['best'])} "
                     f"| {fmt(r['stability'], 3)} | {fmt(r['sec_per_iter'], 4)} | "
                     f"{fmt(r['time_ratio'], 3)} | {fmt(r['peak_mem_mb'], 0)} |")
    return '\n'.join(lines)


def plot(results: List[RunResult], metric: str, out: Path,
         test_metric: Optional[str] = None) -> Path:
    """Metric against iteration and against (estimated) wall-clock time: mean
    across seeds with a min-max band, one colour per variant; with
    ``test_metric``, a third panel with its value per variant (mean, and every
    seed as a dot)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from .run_logs import aggregate
    labels = list(dict.fromkeys(r.label for r in results))
    fig, axes = plt.subplots(1, 3 if test_metric else 2, figsize=(15 if test_metric else 10, 3.8))
    for i, label in enumerate(labels):
        runs = [r for r in results if r.label == label and r.metrics.get(metric)]
        agg = aggregate([{int(k): v for k, v in r.metrics[metric].items()} for r in runs])
        if agg is None:
            continue
        steps, mean, low, high = agg
        spi = statistics.median([r.sec_per_iter for r in runs if r.sec_per_iter] or [0])
        for ax, x in zip(axes[:2], (steps, steps * spi / 60)):
            ax.plot(x, mean, marker='o', color=f'C{i}', label=f'{label} (n={len(runs)})')
            if len(runs) > 1:
                ax.fill_between(x, low, high, color=f'C{i}', alpha=0.2)
    for ax, xl in zip(axes[:2], ('iteration', 'training minutes (iterations x median s/iter)')):
        ax.set_xlabel(xl)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if test_metric:
        ax = axes[2]
        for i, label in enumerate(labels):
            values = [r.test_metrics[test_metric] for r in results
                      if r.label == label and test_metric in r.test_metrics]
            if values:
                ax.bar(i, statistics.mean(values), color=f'C{i}', alpha=0.5)
                ax.plot([i] * len(values), values, 'o', color=f'C{i}')
        ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
        ax.set_ylabel(f'{test_metric}, last checkpoint')
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3, axis='y')
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out


def save(results: List[RunResult], path: Path) -> None:
    """Writes ``results`` to ``path`` whole or not at all: a process killed while
    saving (a session ending mid-study) leaves the previous file, never a torn one.
    It replaces the file: a study saves through :func:`save_runs`, which keeps what
    another process saved."""
    path = Path(path)
    tmp = path.with_name(f'{path.name}.{os.getpid()}.tmp')
    tmp.write_text(json.dumps([asdict(r) for r in results], indent=1))
    os.replace(tmp, path)


def run_key(r: RunResult) -> Tuple:
    """What makes a run one run of a study's results file: (phase, regime, variant, seed)."""
    return r.phase, r.regime, r.variant, r.seed


def save_runs(runs: List[RunResult], path: Path) -> None:
    """Writes ``runs`` into the study results file at ``path``: each replaces the
    run with its :func:`run_key` there, and the file's other runs stay, those that
    another process saved since this one read it included (two study commands on
    one spec, running different cells: two on one cell would share its work dir).
    An exclusive lock on ``<path>.lock`` makes the read and the write one step."""
    path = Path(path)
    with open(path.with_name(f'{path.name}.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        mine = {run_key(r) for r in runs}
        kept = [r for r in load(path) if run_key(r) not in mine] if path.exists() else []
        save(kept + list(runs), path)


def load(path: Path) -> List[RunResult]:
    runs = [RunResult(**r) for r in json.loads(Path(path).read_text())]
    for r in runs:  # JSON turns the iteration keys of the series into strings
        r.metrics = {k: {int(i): v for i, v in s.items()} for k, s in r.metrics.items()}
        r.evaluation_commands = {int(i): c for i, c in r.evaluation_commands.items()}
    return runs


def threads_per_job(jobs: int) -> Optional[int]:
    """Intra-op threads for each of ``jobs`` concurrent runs (None: leave the
    default when one run has the machine)."""
    return None if jobs <= 1 else max(1, (os.cpu_count() or 1) // jobs)
