"""Two-process DDP on CPU (gloo) through tools/dist_train.sh, with AS-GAN on."""
import os
import subprocess
import sys

import pytest
import torch

from helpers import ROOT, SMALL_DCGAN, as_config_body, scalars, tiny_overrides, write_config


@pytest.mark.parametrize('mode,attack', [('mix', 'pgd'), ('replace', 'pgd'), ('replace', 'free')])
def test_two_ranks_end_with_identical_weights(tmp_path, image_folder, mode, attack):
    overrides = tiny_overrides(image_folder, 32, iters=3, batch_size=2, grayscale=True)
    overrides['env_cfg'] = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
    body = as_config_body(epsilon=0.05, attack=attack, steps=2, mode=mode, log_interval=1)
    body = body.replace("imports=['mmagic_asgan']", "imports=['mmagic_asgan', 'dist_dump_hook']")
    body += "custom_hooks += [dict(type='DumpRankParametersHook'), dict(type='RandomStateHook')]\n"
    cfg = write_config(tmp_path / 'ddp.py', SMALL_DCGAN, body, overrides)
    # the stock runtime wraps the GAN in MMSeparateDistributedDataParallel, find_unused_parameters=False
    env = dict(os.environ, PATH=f'{os.path.dirname(sys.executable)}:{os.environ["PATH"]}',
               PYTHONPATH=f'{ROOT / "tests"}:{os.environ.get("PYTHONPATH", "")}',
               PORT=str(29500 + (os.getpid() % 1000) * 3 + (mode == 'replace') + (attack == 'free')), OMP_NUM_THREADS='1')
    work = tmp_path / 'work'
    proc = subprocess.run(['bash', str(ROOT / 'tools' / 'dist_train.sh'), str(cfg), '2',
                           '--work-dir', str(work)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rank0 = torch.load(work / 'rank0_params.pth')
    rank1 = torch.load(work / 'rank1_params.pth')
    assert rank0.keys() == rank1.keys() and any(k.startswith('discriminator') for k in rank0)
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    # every rank's random state (and free perturbation) reach rank 0's checkpoint
    saved = torch.load(work / 'iter_3.pth', weights_only=False)
    assert len(saved['random_state']) == 2
    if attack == 'free':
        assert len(saved['asgan_free_perturbation']) == 2
        assert not torch.equal(*(s['delta'] for s in saved['asgan_free_perturbation']))
    records = scalars(work)
    assert len(records) == 3
    # free: the first D step sees clean reals (the perturbation starts at zero)
    assert all(r['asgan_pert_norm'] > 0 for r in records[attack == 'free':])
