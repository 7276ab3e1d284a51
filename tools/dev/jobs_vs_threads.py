"""Is a grid of CPU runs faster as N one-thread processes at once, or one at a time
with N threads? Measures both on the same config and writes the answer.

Example (the stress study's plan, 2 cores):
    python tools/dev/jobs_vs_threads.py \\
        work_dirs/studies/stress_fmnist/configs/unstressed__baseline.py \\
        --iters 300 --out results/stress_fmnist/jobs_vs_threads.json

Runs tools/train.py ``--iters`` iterations (a) alone with ``--cores`` threads, then
(b) ``--cores`` copies at once with one thread each, and compares runs per hour from
the median of MMEngine's logged seconds per iteration (evaluation excluded).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lab.benchmark import describe_machine  # noqa: E402
from lab.run_logs import read_scalars  # noqa: E402


def _start(config: str, work_dir: Path, iters: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return subprocess.Popen(
        [sys.executable, str(ROOT / 'tools' / 'train.py'), config, '--work-dir', str(work_dir),
         '--cfg-options', f'train_cfg.max_iters={iters}', 'default_hooks.logger.interval=25'],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _sec_per_iter(work_dir: Path) -> float:
    times = [r['time'] for r in read_scalars(work_dir) if 'time' in r and 'iter' in r]
    return statistics.median(times[1:] or times)  # the first record includes start-up


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--cores', type=int, default=os.cpu_count() or 1)
    parser.add_argument('--work-dir', type=Path, default=ROOT / 'work_dirs' / 'jobs_vs_threads')
    parser.add_argument('--out', type=Path)
    args = parser.parse_args(argv)
    alone = args.work_dir / f'one_process_{args.cores}_threads'
    if _start(args.config, alone, args.iters, args.cores).wait():
        raise SystemExit(f'training failed: see {alone}')
    parallel = [args.work_dir / f'process{i}_of_{args.cores}_1_thread' for i in range(args.cores)]
    procs = [_start(args.config, d, args.iters, 1) for d in parallel]
    if any(p.wait() for p in procs):
        raise SystemExit(f'training failed: see {args.work_dir}')
    one = _sec_per_iter(alone)
    many = [_sec_per_iter(d) for d in parallel]
    result = dict(
        config=args.config, iters=args.iters, cores=args.cores, machine=describe_machine(),
        one_process_sec_per_iter=one, parallel_sec_per_iter=many,
        runs_per_hour_one_process=3600 / (one * args.iters),
        runs_per_hour_parallel=3600 * args.cores / (statistics.mean(many) * args.iters))
    result['parallel_speedup'] = result['runs_per_hour_parallel'] / result[
        'runs_per_hour_one_process']
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return result


if __name__ == '__main__':
    main(sys.argv[1:])
