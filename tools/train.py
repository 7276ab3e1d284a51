"""Train a model (OpenMMLab style), with the mmagic_asgan fixes applied.

Examples:
    python tools/train.py configs/asgan/<config>.py
    python tools/train.py CONFIG --work-dir work_dirs/run1 --resume
    python tools/train.py CONFIG --amp --cfg-options train_cfg.max_iters=1000
    bash tools/dist_train.sh CONFIG 8
"""
import argparse
import logging
import sys
from typing import List, Optional

from mmengine.logging import print_log
from mmengine.runner import Runner

import mmagic_asgan  # noqa: F401  (compatibility fixes, registrations)
from mmagic_asgan.runner_utils import add_common_args, enable_amp, load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--resume', action='store_true',
                        help='resume from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (every optimizer wrapper, GANs included)')
    parser.add_argument('--amp-dtype', choices=['float16', 'bfloat16'], default=None,
                        help='autocast dtype with --amp (default: float16 on CUDA)')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Runner:
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp:
        switched = enable_amp(cfg, args.amp_dtype)
        print_log(f'--amp: AmpOptimWrapper for {switched or "nothing (already on)"}',
                  logger='current', level=logging.INFO)
    if args.resume:
        cfg.resume = True
    runner = Runner.from_cfg(cfg)
    print_log(f'Working directory: {cfg.work_dir}', logger='current')
    runner.train()
    print_log(f'Logs and checkpoints saved under {cfg.work_dir}', logger='current')
    return runner


if __name__ == '__main__':
    main(sys.argv[1:])
