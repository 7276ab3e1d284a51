"""Test (evaluate) a checkpoint (OpenMMLab style), with the mmagic_asgan fixes applied.

Examples:
    python tools/test.py CONFIG CHECKPOINT --out results.json
    bash tools/dist_test.sh CONFIG CHECKPOINT 8
"""
import argparse
import sys
from typing import List, Optional

import mmengine
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner

import mmagic_asgan  # noqa: F401  (compatibility fixes, registrations)
from mmagic_asgan.runner_utils import add_common_args, load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='JSON/YAML file to write the metrics to')
    add_common_args(parser)
    return parser.parse_args(argv)


class _KeepMetrics(Hook):
    """Keeps the test metrics (MMagic's MultiTestLoop returns none) and writes
    them to a file when asked."""

    def __init__(self, out: Optional[str] = None) -> None:
        self.out = out
        self.metrics: Optional[dict] = None

    def after_test_epoch(self, runner, metrics=None) -> None:
        self.metrics = metrics
        if metrics is not None and self.out:
            mmengine.dump(metrics, self.out)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    keeper = _KeepMetrics(args.out)
    runner.register_hook(keeper, 'LOWEST')
    runner.test()
    print_log(f'Metrics: {keeper.metrics}', logger='current')
    return keeper.metrics


if __name__ == '__main__':
    main(sys.argv[1:])
