"""Run a study (regimes x variants x seeds) resumably, or report it.

Examples:
    python tools/dev/study.py configs/asgan/studies/stress_fmnist.py --phase dev --jobs 2
    python tools/dev/study.py configs/asgan/studies/stress_fmnist.py --phase dev --regime data250_6k
    python tools/dev/study.py configs/asgan/studies/stress_fmnist.py --report
A phase that runs another phase's picks refuses to start before that phase is complete:
name both, in order (``--phase dev heldout``).
The spec format and the resumption rule: lab/study.py.
"""
import argparse
import sys
from pathlib import Path  # noqa: E402
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab import study  # noqa: E402


def main(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('spec', help='the study spec (a Python config file)')
    parser.add_argument('--phase', nargs='+', help='phases to run, in order (e.g. dev heldout)')
    parser.add_argument('--jobs', type=int, help='runs at a time (default: the spec\'s)')
    parser.add_argument('--limit', type=int, help='run at most this many missing runs')
    parser.add_argument('--regime', nargs='+', help="only these of the phases' regimes")
    parser.add_argument('--report', action='store_true',
                        help="write results.md, summary.json, the figures and verdict.md, and "
                             "rewrite the verdict blocks of the spec's verdict_docs (every "
                             '--phase run ends with this report too)')
    args = parser.parse_args(argv)
    spec = study.load_spec(args.spec)
    if not args.phase and not args.report:
        raise SystemExit('nothing to do: give --phase and/or --report')
    for phase in args.phase or []:
        study.run_phase(spec, phase, args.jobs, limit=args.limit, regimes=args.regime)
    if args.report or args.phase:
        return study.report(spec)


if __name__ == '__main__':
    main(sys.argv[1:])
