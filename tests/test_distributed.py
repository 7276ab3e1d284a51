"""Two-process DDP on CPU (gloo) through tools/dist_train.sh, with AS-GAN on."""
import os
import subprocess
import sys

import pytest
import torch

from helpers import ROOT, SMALL_DCGAN, as_config_body, scalars, tiny_overrides, write_config


def _train_two_ranks(tmp_path, image_folder, body: str, port_offset: int, iters: int = 3,
                     work_name: str = 'work', extra_args: tuple = (), checkpoint_interval=None,
                     **extra_overrides):
    """tools/dist_train.sh with 2 CPU processes (gloo) on the small DCGAN; returns
    the work dir and each rank's dumped parameters and buffers."""
    overrides = tiny_overrides(image_folder, 32, iters=iters, batch_size=2, grayscale=True,
                               checkpoint_interval=checkpoint_interval)
    overrides['env_cfg'] = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
    overrides.update(extra_overrides)
    body = body.replace("imports=['mmagic_asgan']", "imports=['mmagic_asgan', 'dist_dump_hook']")
    body += "custom_hooks += [dict(type='DumpRankParametersHook'), dict(type='RandomStateHook')]\n"
    cfg = write_config(tmp_path / f'{work_name}.py', SMALL_DCGAN, body, overrides)
    env = dict(os.environ, PATH=f'{os.path.dirname(sys.executable)}:{os.environ["PATH"]}',
               PYTHONPATH=f'{ROOT / "tests"}:{os.environ.get("PYTHONPATH", "")}',
               PORT=str(29500 + (os.getpid() % 1000) * 5 + port_offset), OMP_NUM_THREADS='1')
    work = tmp_path / work_name
    proc = subprocess.run(['bash', str(ROOT / 'tools' / 'dist_train.sh'), str(cfg), '2',
                           '--work-dir', str(work), *extra_args], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rank0 = torch.load(work / 'rank0_params.pth')
    rank1 = torch.load(work / 'rank1_params.pth')
    return work, rank0, rank1


TWO_LINES_NO_HOOK = ("custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)\n"
                     "custom_hooks = _base_.get('custom_hooks', [])\n")


def _same_weights(rank0: dict, rank1: dict) -> None:
    """The parameters are the same on both ranks (no rank took another code path).
    Buffers are not: each rank's BatchNorm statistics follow its own last batch,
    broadcast or not; they are checked per rank against an uninterrupted run in
    test_resume_under_ddp_is_exact_for_every_rank."""
    assert rank0.keys() == rank1.keys() and any(k.startswith('discriminator') for k in rank0)
    params = [k for k in rank0 if not k.startswith('asgan_')
              and not k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))]
    different = [k for k in params if not torch.equal(rank0[k], rank1[k])]
    assert not different, different[:3]


@pytest.mark.parametrize('mode,attack', [('mix', 'pgd'), ('replace', 'pgd'), ('replace', 'free')])
def test_two_ranks_end_with_identical_weights(tmp_path, image_folder, mode, attack):
    # the stock runtime wraps the GAN in MMSeparateDistributedDataParallel,
    # find_unused_parameters=False
    body = as_config_body(epsilon=0.05, attack=attack, steps=2, mode=mode, log_interval=1)
    work, rank0, rank1 = _train_two_ranks(tmp_path, image_folder, body,
                                          (mode == 'replace') + (attack == 'free'))
    _same_weights(rank0, rank1)
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


def test_one_rank_with_non_finite_attack_gradients_no_hang_same_weights(tmp_path, image_folder):
    """broadcast_buffers=True makes every forward through D's DDP wrapper a
    collective: a rank that took another code path (e.g. skipped its attack's
    AS term) would hang or diverge. Rank 1's attack gradients have a NaN sample
    at every step; both ranks run the same calls, end with the same weights,
    and only rank 1 counts non-finite samples (on its device, read at the end)."""
    body = as_config_body(epsilon=0.05, attack='fgsm', mode='mix', log_interval=1)
    body += "custom_hooks += [dict(type='NonFiniteAttackGradientHook', rank=1)]\n"
    wrapper = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=True,
                   find_unused_parameters=False)
    work, rank0, rank1 = _train_two_ranks(tmp_path, image_folder, body, 3, iters=3,
                                          model_wrapper_cfg=wrapper)
    _same_weights(rank0, rank1)
    assert int(rank0['asgan_nonfinite']) == 0 and int(rank1['asgan_nonfinite']) == 3
    records = scalars(work)
    assert len(records) == 3 and all(r['loss_asgan'] == r['loss_asgan'] for r in records)


@pytest.mark.slow
@pytest.mark.parametrize('attack', [None, 'free'])
def test_resume_under_ddp_is_exact_for_every_rank(tmp_path, image_folder, attack):
    """4 iterations straight against 2 + resume to 4, two processes, the free attack
    (each rank's own perturbation) and RandomStateHook (each rank's generators and
    BatchNorm statistics): every rank ends where the uninterrupted run's does,
    parameters and buffers. (Before compat.fix_loading_checkpoints_of_distributed_runs the
    resumed run restarted from the initial weights: MMEngine could not read its own DDP
    checkpoints.)"""
    body = (as_config_body(epsilon=0.05, attack=attack, mode='replace', log_interval=100)
            if attack else TWO_LINES_NO_HOOK)
    _, full0, full1 = _train_two_ranks(tmp_path, image_folder, body, 4, iters=4,
                                       work_name='full', checkpoint_interval=2)
    _train_two_ranks(tmp_path, image_folder, body, 5, iters=2, work_name='resumed',
                     checkpoint_interval=2)
    _, res0, res1 = _train_two_ranks(tmp_path, image_folder, body, 6, iters=4,
                                     work_name='resumed', extra_args=('--resume', ),
                                     checkpoint_interval=2)
    for full, resumed in ((full0, res0), (full1, res1)):
        assert full.keys() == resumed.keys()
        different = [k for k in full if k != 'asgan_nonfinite'
                     and not torch.equal(full[k], resumed[k])]
        assert not different, different[:3]
    if attack:
        assert not torch.equal(full0['asgan_free_delta'], full1['asgan_free_delta'])
