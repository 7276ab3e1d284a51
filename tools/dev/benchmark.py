"""Benchmark a baseline config against AS-GAN variants over several seeds.

Runs every (config, seed) with identical settings through tools/train.py (and,
with ``--test-metric``, tools/test.py on each run's last checkpoint), then
writes results.json (every run with its commands), results.md (metric mean +-
std, final / best, s/iter and its ratio to the first config, peak memory) and a
plot of the metric against iterations and wall-clock time.

Examples (the CPU study's commands are in README "Benchmarks and model zoo"):
    # baseline vs an AS variant, 3 seeds, Inception FID of each last checkpoint
    python tools/dev/benchmark.py \\
        --configs configs/asgan/dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py \\
        configs/asgan/asgan-fgsm_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py \\
        --labels baseline AS-FGSM --seeds 0 1 2 --metric FD-SmallCNN/fd \\
        --test-metric FID-2k/fid --out results/my_study
    # an epsilon sweep of one AS config (each value goes into --cfg-options)
    python tools/dev/benchmark.py \\
        --configs \\
        configs/asgan/asgan-fgsm_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py \\
        --sweep custom_hooks.1.epsilon 0.0039 0.0157 --metric FD-SmallCNN/fd --out results/my_sweep
    # re-tabulate an earlier study without running anything
    python tools/dev/benchmark.py --from-results results/my_study/results.json \\
        --metric FD-SmallCNN/fd --test-metric FID-2k/fid --out results/my_study
"""
import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab import benchmark as bm  # noqa: E402

TOOLS = Path(__file__).resolve().parents[1]  # tools/


def plan(args) -> List[tuple]:
    """(label, config, seed, extra cfg-options) for every run, seed-major (every
    variant of seed 0 first), so that conditions interleave in time and a cut-short
    study still has every variant."""
    labels = args.labels or [Path(c).stem for c in args.configs]
    if len(labels) != len(args.configs):
        raise SystemExit('--labels: one label per config')
    per_config = getattr(args, 'config_options', None) or [''] * len(args.configs)
    if len(per_config) != len(args.configs):
        raise SystemExit("--config-options: one item per config ('' for none)")
    variants = []
    for label, config, own in zip(labels, args.configs, per_config):
        own = own.split()
        for value in (args.sweep[1:] if args.sweep else [None]):
            if value is None:
                variants.append((label, config, own))
            else:
                key = args.sweep[0]
                variants.append((f'{label} {key.split(".")[-1]}={value}', config,
                                 own + [f'{key}={value}']))
    return [(label, config, seed, options) for seed in args.seeds
            for label, config, options in variants]


def main(argv: Optional[List[str]] = None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', help='the baseline first')
    parser.add_argument('--labels', nargs='+')
    parser.add_argument('--seeds', nargs='+', type=int,
                        help='seeds to run (default 0); with --from-results, the seeds kept')
    parser.add_argument('--metric', required=True,
                        help='metric logged during training, e.g. FID-1k/fid or FD-SmallCNN/fd')
    parser.add_argument('--test-metric',
                        help="evaluate each run's last checkpoint with tools/test.py (the "
                        "config's test_evaluator) and tabulate this key, e.g. FID-2k/fid")
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides applied to every run')
    parser.add_argument('--config-options', nargs='+',
                        help="per config, in --configs order: a space-separated 'key=value' list "
                        "('' for none), e.g. '' 'custom_hooks.1.epsilon=0'")
    parser.add_argument('--sweep', nargs='+', metavar=('KEY', 'VALUE'),
                        help='run every config once per value of this cfg key')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at a time; each gets cpu_count // jobs threads (compare '
                        's/iter only between runs made with the same --jobs; on a 2-core CPU '
                        'two jobs were slower in total than one, as data loading competes)')
    parser.add_argument('--work-root', type=Path,
                        help='where the runs train (default: work_dirs/benchmark/<out name>)')
    parser.add_argument('--from-results', type=Path, nargs='+',
                        help='tabulate earlier results.json files (together)')
    parser.add_argument('--keep', nargs='+', metavar='LABEL',
                        help='with --from-results: only these labels, in this order')
    parser.add_argument('--out', type=Path, required=True)
    args = parser.parse_args(argv)
    if args.sweep is not None and len(args.sweep) < 2:
        raise SystemExit('--sweep: a cfg key and at least one value')
    if args.jobs < 1:
        raise SystemExit('--jobs must be >= 1')
    args.out.mkdir(parents=True, exist_ok=True)
    if args.from_results:
        results = [r for f in args.from_results for r in bm.load(f)
                   if args.seeds is None or r.seed in args.seeds]
        if args.keep:
            results = [r for label in args.keep for r in results if r.label == label]
    else:
        args.seeds = args.seeds or [0]
        if not args.configs:
            raise SystemExit('--configs (or --from-results) is required')
        work_root = args.work_root or Path('work_dirs/benchmark') / args.out.name
        threads = bm.threads_per_job(args.jobs)
        test_py = TOOLS / 'test.py' if args.test_metric else None

        def run(item):
            label, config, seed, options = item
            print(f'[benchmark] start {label} seed {seed}', flush=True)
            work_dir = work_root / label.replace(' ', '_').replace('=', '') / f'seed{seed}'
            r = bm.run_one(label, config, seed, work_dir, TOOLS / 'train.py',
                           args.cfg_options + options, test_py, threads)
            status = f'FAILED ({r.returncode}): see {r.work_dir}' if r.returncode else 'done'
            print(f'[benchmark] {status} {label} seed {seed} ({r.wall_s:.0f} s)', flush=True)
            finished.append(r)
            bm.save(finished, args.out / 'results.json')  # in finishing order, so far
            return r

        finished: List[bm.RunResult] = []
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run, plan(args)))
        bm.save(results, args.out / 'results.json')  # in plan order
    rows = bm.summarize(results, args.metric, args.test_metric)
    table = bm.markdown_table(rows, args.metric, args.test_metric)
    commands = '\n'.join(' '.join(r.command[:1] + ['tools/train.py'] + r.command[4:]) +
                         ('\n' + ' '.join(r.test_command) if r.test_command else '')
                         for r in results)
    machines = ', '.join(sorted({r.machine or 'not recorded' for r in results}))
    command = ' '.join(['python', 'tools/dev/benchmark.py'] + list(argv or sys.argv[1:]))
    (args.out / 'results.md').write_text(f'<!-- generated by `{command}`: do not edit -->\n'
                                         f'Machine: {machines}\n\n{table}\n\nRuns:\n```\n'
                                         f'{commands}\n```\n')
    bm.plot(results, args.metric, args.out / 'results.png', args.test_metric)
    print(table)
    print(f'wrote {args.out}/results.json, results.md, results.png')
    return rows


if __name__ == '__main__':
    main(sys.argv[1:])
