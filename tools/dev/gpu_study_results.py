"""Progress and results of the GPU study's runs (used by tools/dev/gpu_study.sh).

Each run is given as ``FAMILY|LABEL|CONFIG|SEED|WORK_DIR`` (``--run``, repeated).

Examples:
    # per run: iteration reached, last checkpoint, s/iter, time left to --iters
    python3 tools/dev/gpu_study_results.py progress --iters 10000 --run 'dcgan|DCGAN|cfg.py|0|w'
    # the last iteration at which every run has a checkpoint (0: none)
    python3 tools/dev/gpu_study_results.py common-iter --run ...
    # results.json (the project's RunResult records), one table per family through
    # tools/dev/benchmark.py --from-results, and study.md (protocol and per-run details)
    python3 tools/dev/gpu_study_results.py results --iters 10000 --eval-iter 10000 \\
        --out work_dirs/gpu_study/results --run ...

``progress`` and ``common-iter`` read only the run folders (no MMagic import);
``results`` imports the project's benchmark module (``lab.benchmark`` or
``mmagic_asgan.benchmark``).
"""
import argparse
import dataclasses
import importlib
import json
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[2]
TEST_METRIC = 'FID-10k/fid'
_CKPT_RE = re.compile(r'iter_(\d+)\.pth$')


@dataclass
class RunSpec:
    """One training of the study."""
    family: str
    label: str
    config: str
    seed: int
    work_dir: Path

    @classmethod
    def parse(cls, text: str) -> 'RunSpec':
        """From ``FAMILY|LABEL|CONFIG|SEED|WORK_DIR``."""
        fields = text.split('|')
        if len(fields) != 5:
            raise ValueError(f'{text!r}: expected FAMILY|LABEL|CONFIG|SEED|WORK_DIR')
        family, label, config, seed, work_dir = fields
        return cls(family, label, config, int(seed), Path(work_dir))


def read_records(work_dir: Path) -> List[dict]:
    """Training records (with ``iter``) of every launch of a run, oldest launch first."""
    records = []
    for path in sorted(Path(work_dir).glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line being written
                continue
            if 'iter' in record:
                records.append(record)
    return records


def last_checkpoint_iter(work_dir: Path) -> int:
    """Iteration of the checkpoint named in ``last_checkpoint`` (0 when none)."""
    pointer = Path(work_dir) / 'last_checkpoint'
    if not pointer.is_file():
        return 0
    match = _CKPT_RE.search(pointer.read_text().strip())
    return int(match.group(1)) if match else 0


def checkpoint_iters(work_dir: Path) -> List[int]:
    """Iterations of the complete checkpoints of a run: ``iter_N.pth`` files up to the
    one ``last_checkpoint`` names (a later file may be one cut off while written)."""
    last = last_checkpoint_iter(work_dir)
    found = []
    for path in Path(work_dir).glob('iter_*.pth'):
        match = _CKPT_RE.search(path.name)
        if match and int(match.group(1)) <= last:
            found.append(int(match.group(1)))
    return sorted(found)


def common_iter(runs: Sequence[RunSpec]) -> int:
    """The last iteration at which every run that has checkpoints has a complete one
    (0: none). Runs without any checkpoint (crashed at start) are left out."""
    saved = [set(checkpoint_iters(run.work_dir)) for run in runs]
    saved = [s for s in saved if s]
    return max(set.intersection(*saved), default=0) if saved else 0


def sec_per_iter(records: List[dict], last: int = 5) -> Optional[float]:
    """Median of the last ``last`` logged ``time`` values (s/iter)."""
    times = [r['time'] for r in records if 'time' in r][-last:]
    return statistics.median(times) if times else None


def progress_table(runs: Sequence[RunSpec], iters: int) -> str:
    """One line per run: iteration reached, last checkpoint, s/iter, minutes left."""
    lines = [f'{"run":<28} {"iter":>7} {"ckpt":>7} {"s/iter":>8} {"it/s":>6} {"min left":>8}']
    for run in runs:
        records = read_records(run.work_dir) if run.work_dir.is_dir() else []
        reached = max((int(r['iter']) for r in records), default=0)
        spi = sec_per_iter(records)
        left = (max(iters - reached, 0) * spi / 60) if spi else None
        lines.append(f'{run.label:<28} {reached:>7} {last_checkpoint_iter(run.work_dir):>7} '
                     f'{spi if spi is not None else float("nan"):>8.4f} '
                     f'{1 / spi if spi else float("nan"):>6.1f} '
                     f'{left if left is not None else float("nan"):>8.1f}')
    return '\n'.join(lines)


def _benchmark_module():
    """The project's benchmark module, wherever it lives now."""
    for name in ('lab.benchmark', 'mmagic_asgan.benchmark'):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name not in (name, name.rsplit('.', 1)[0]):  # a missing dependency
                raise
    raise ImportError('neither lab.benchmark nor mmagic_asgan.benchmark')


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def build_results(runs: Sequence[RunSpec], eval_iter: int, machine: str = '') -> list:
    """RunResult records: training commands and logs, and the FID-10k of the checkpoint
    at ``eval_iter`` (``<work_dir>/fid_iter<eval_iter>.json``, from tools/test.py)."""
    bm = _benchmark_module()
    known = {f.name for f in dataclasses.fields(bm.RunResult)}
    results = []
    for run in runs:
        info = _read_json(run.work_dir / 'gpu_study_run.json')
        test = run.work_dir / f'fid_iter{eval_iter}.json'
        records = read_records(run.work_dir) if run.work_dir.is_dir() else []
        previous, wall = 0, 0.0
        for r in records:  # training time ~ sum of logged s/iter over the iterations
            if 'time' in r:
                wall += float(r['time']) * max(int(r['iter']) - previous, 0)
                previous = int(r['iter'])
        fields = dict(
            label=run.label, config=run.config, seed=run.seed, work_dir=str(run.work_dir),
            # the 4-item prefix is the layout tools/dev/benchmark.py prints as 'tools/train.py ...'
            command=['python3', '-c', '(tools/dev/gpu_study.sh)'] + info.get('train_command', []),
            returncode=0 if test.is_file() else 1, wall_s=wall, machine=machine or None,
            test_command=info.get('test_command'),
            test_metrics={k: float(v) for k, v in _read_json(test).items()
                          if isinstance(v, (int, float))})
        result = bm.RunResult(**{k: v for k, v in fields.items() if k in known})
        if records:
            try:
                bm.collect(result)
            except Exception as e:  # keep the other runs' results
                print(f'[results] {run.label}: could not read its logs: {e}', file=sys.stderr)
        results.append(result)
    return results


def write_study_md(runs: Sequence[RunSpec], results: list, iters: int, eval_iter: int,
                   tables: Dict[str, str], notes: str, path: Path) -> None:
    """The protocol, one table per family and each run's commands, as Markdown."""
    lines = ['# CIFAR-10 GPU study (tools/dev/gpu_study.sh)', '', notes.strip(), '',
             f'Planned iterations: {iters}; FID-10k evaluated at iteration **{eval_iter}** '
             '(the last one at which every run has a checkpoint).', '']
    for family, table in tables.items():
        lines += [f'## {family}', '', table.strip(), '']
    lines += ['## Runs', '', '| run | config | seed | iter reached | s/iter | '
              f'{TEST_METRIC} @ {eval_iter} |', '|---|---|---|---|---|---|']
    for run, r in zip(runs, results):
        reached = max((int(x['iter']) for x in read_records(run.work_dir)), default=0) \
            if run.work_dir.is_dir() else 0
        fid = r.test_metrics.get(TEST_METRIC) if hasattr(r, 'test_metrics') else None
        spi = getattr(r, 'sec_per_iter', None)
        lines.append(f'| {run.label} | `{run.config}` | {run.seed} | {reached} | '
                     f'{f"{spi:.4f}" if spi else "n/a"} | {f"{fid:.2f}" if fid else "n/a"} |')
    lines += ['', 'Commands (train, then test):', '```']
    for r in results:
        lines.append(' '.join(r.command[:1] + r.command[3:]))
        if getattr(r, 'test_command', None):
            lines.append(' '.join(r.test_command))
    lines += ['```', '']
    path.write_text('\n'.join(lines))


def results_command(runs: Sequence[RunSpec], iters: int, eval_iter: int, out: Path,
                    notes: str = '', machine: str = '') -> Path:
    """Writes ``out/results.json``, ``out/<family>/results.md|png`` (tools/dev/benchmark.py
    --from-results) and ``out/study.md``."""
    bm = _benchmark_module()
    out.mkdir(parents=True, exist_ok=True)
    results = build_results(runs, eval_iter, machine)
    bm.save(results, out / 'results.json')
    tables = {}
    for family in dict.fromkeys(r.family for r in runs):
        labels = [r.label for r in runs if r.family == family]
        folder = out / family
        proc = subprocess.run(
            [sys.executable, str(ROOT / 'tools' / 'benchmark.py'), '--from-results',
             str(out / 'results.json'), '--keep', *labels, '--metric', TEST_METRIC,
             '--test-metric', TEST_METRIC, '--out', str(folder)],
            capture_output=True, text=True)
        if proc.returncode == 0 and (folder / 'results.md').is_file():
            tables[family] = (folder / 'results.md').read_text()
        else:
            tables[family] = f'(tools/dev/benchmark.py failed: {proc.stderr.strip()[-2000:]})'
    write_study_md(runs, results, iters, eval_iter, tables, notes, out / 'study.md')
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['progress', 'common-iter', 'results'])
    parser.add_argument('--run', action='append', required=True,
                        help='FAMILY|LABEL|CONFIG|SEED|WORK_DIR (repeat per run)')
    parser.add_argument('--iters', type=int, default=0)
    parser.add_argument('--eval-iter', type=int, default=0)
    parser.add_argument('--out', type=Path)
    parser.add_argument('--notes', default='', help='protocol text for study.md')
    parser.add_argument('--machine', default='')
    args = parser.parse_args(argv)
    runs = [RunSpec.parse(text) for text in args.run]
    if args.command == 'progress':
        print(progress_table(runs, args.iters))
    elif args.command == 'common-iter':
        print(common_iter(runs))
    else:
        if args.out is None or args.eval_iter <= 0:
            parser.error('results needs --out and --eval-iter > 0')
        out = results_command(runs, args.iters, args.eval_iter, args.out, args.notes,
                              args.machine)
        print(f'[results] wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
