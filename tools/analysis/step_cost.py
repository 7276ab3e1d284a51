"""The cost of AS-GAN (and the controls) in one process: interleaved step timings.

Example:
    OMP_NUM_THREADS=2 python tools/analysis/step_cost.py configs/asgan/studies/stress_fmnist.py \\
        --regime unstressed --variants AS-FGSM-mix-score R1-g1 --repeats 200 \\
        --out results/stress_fmnist/cost.json
Prints and writes, per variant, the D step's and the whole training step's mean time and
their ratio to the baseline's with a paired bootstrap 95% interval
(lab/step_cost.py says how).
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab import study  # noqa: E402
from lab.benchmark import describe_machine  # noqa: E402
from lab.step_cost import measure  # noqa: E402


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('spec', help='a study spec (its regimes and variants)')
    parser.add_argument('--regime', required=True)
    parser.add_argument('--variants', nargs='+', required=True)
    parser.add_argument('--repeats', type=int, default=100)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--work-dir', type=Path, default=Path('work_dirs/step_cost'))
    parser.add_argument('--out', type=Path, help='write the results as JSON here')
    args = parser.parse_args(argv)
    if args.repeats < 2:
        raise SystemExit('--repeats must be >= 2')
    spec = study.load_spec(args.spec)
    spec = study.resolve_picks(spec, study.load_results(spec))  # a combined variant's hooks
    result = measure(spec, args.regime, args.variants, args.work_dir, args.repeats, args.warmup)
    result['_meta'].update(machine=describe_machine(), command=' '.join(
        ['python', 'tools/analysis/step_cost.py'] + (argv if argv is not None else sys.argv[1:])))
    for name, parts in result.items():
        if name.startswith('_'):
            continue
        line = f'{name:>24}:'
        for part, e in parts.items():
            if not isinstance(e, dict):
                continue
            line += f"  {part} {e['mean_s'] * 1000:.1f} ms"
            if 'ratio' in e:
                line += f" ({e['ratio']:.3f}x [{e['ci_low']:.3f}, {e['ci_high']:.3f}])"
        print(f"{line}  D forwards/step {parts['d_forwards']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    main(sys.argv[1:])
