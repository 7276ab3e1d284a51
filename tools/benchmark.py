"""Benchmark a baseline config against AS-GAN variants over several seeds.

Runs every (config, seed) with identical settings through tools/train.py, then
writes results.json (every run with its command), results.md (final / best
metric mean +- std, final/best, s/iter and its ratio to the first config, peak
memory) and a plot of the metric against iterations and wall-clock time.

Examples:
    python tools/benchmark.py --configs configs/asgan/dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py \\
        configs/asgan/asgan-fgsm_dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py \\
        --labels baseline AS-FGSM --seeds 0 1 2 --metric FID-1k/fid --out results/fmnist_cpu
    python tools/benchmark.py --from-results results/fmnist_cpu/results.json --metric FID-1k/fid \\
        --out results/fmnist_cpu          # re-tabulate without running
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

from mmagic_asgan import benchmark as bm

TRAIN_PY = Path(__file__).resolve().parent / 'train.py'


def main(argv: Optional[List[str]] = None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', help='the baseline first')
    parser.add_argument('--labels', nargs='+')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument('--metric', required=True, help='e.g. FID-1k/fid or FD-SmallCNN/fd')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides applied to every run')
    parser.add_argument('--from-results', type=Path, help='tabulate an earlier results.json')
    parser.add_argument('--out', type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.from_results:
        results = bm.load(args.from_results)
    else:
        if not args.configs:
            raise SystemExit('--configs (or --from-results) is required')
        labels = args.labels or [Path(c).stem for c in args.configs]
        if len(labels) != len(args.configs):
            raise SystemExit('--labels: one label per config')
        results = []
        for label, config in zip(labels, args.configs):
            for seed in args.seeds:
                print(f'[benchmark] {label} seed {seed}', flush=True)
                r = bm.run_one(label, config, seed, args.out / 'runs' / label / f'seed{seed}',
                               TRAIN_PY, args.cfg_options)
                if r.returncode:
                    print(f'[benchmark] FAILED ({r.returncode}): see {r.work_dir}/benchmark_stdout.log')
                results.append(r)
                bm.save(results, args.out / 'results.json')
    rows = bm.summarize(results, args.metric)
    table = bm.markdown_table(rows, args.metric)
    commands = '\n'.join(' '.join(r.command[:1] + ['tools/train.py'] + r.command[4:]) for r in results)
    (args.out / 'results.md').write_text(f'{table}\n\nRuns:\n```\n{commands}\n```\n')
    bm.plot(results, args.metric, args.out / 'results.png')
    print(table)
    print(f'wrote {args.out}/results.json, results.md, results.png')
    return rows


if __name__ == '__main__':
    main(sys.argv[1:])
