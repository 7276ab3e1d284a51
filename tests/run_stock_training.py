"""Trains a config with MMEngine's Runner alone (no ``tools/train.py``, so
``mmagic_asgan`` is imported only if the config's ``custom_imports`` asks) and
saves the trained model's state dict to ``<work_dir>/state.pth``.

Usage: python tests/run_stock_training.py CONFIG WORK_DIR
"""
import sys

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmagic.utils import register_all_modules

if __name__ == '__main__':
    config, work_dir = sys.argv[1:3]
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()},
               f'{work_dir}/state.pth')
    print('imported mmagic_asgan:', 'mmagic_asgan' in sys.modules)
