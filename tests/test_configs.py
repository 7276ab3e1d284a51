"""Configs: stock MMagic GANs train through tools/train.py, and the two AS-GAN lines
turn on adversarial training of D for every model family the project covers."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from helpers import (
    CONDITIONAL_GANS,
    CONFIGS,
    PROGRESSIVE_GANS,
    ROOT,
    as_config_body,
    grow_scale_overrides,
    make_image_folder,
    scalars,
    tiny_overrides,
    train,
    write_config,
)

OURS = CONFIGS / 'asgan'
SNGAN_UNCOND = str(OURS / 'sngan-uncond_hinge-ndisc5-1xb64-500kiters_cifar10-32x32.py')
SNGAN_CNN = str(OURS / 'sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py')

# (base config, image scale, grayscale, extra overrides)
STOCK = {
    'dcgan': ('mmagic::dcgan/dcgan_1xb128-300kiters_celeba-cropped-64.py', 64, False, {}),
    'lsgan': ('mmagic::lsgan/lsgan_dcgan-archi_lr1e-3-1xb128-12Mimgs_celeba-cropped-64x64.py',
              64, False, {}),
    'wgan-gp': ('mmagic::wgan-gp/wgangp_GN_1xb64-160kiters_celeba-cropped-128x128.py', 128,
                False, {}),
    'sngan-uncond': (SNGAN_UNCOND, 32, False, {}),
    'sngan-cnn': (SNGAN_CNN, 32, False, {}),
}
SMALL_STYLEGAN2 = dict(model=dict(generator=dict(out_size=32), discriminator=dict(in_size=32)))
# DragGAN's configs are StyleGAN2 with fixed_noise=True, which MMagic 1.2.0 runs on CUDA only
# (its noise injection calls .cuda()): on the CPU they train with it off
SMALL_DRAGGAN = dict(model=dict(generator=dict(out_size=32, fixed_noise=False),
                                discriminator=dict(in_size=32)))
AS_TARGETS = {
    'dcgan-celeba64': ('mmagic::dcgan/dcgan_1xb128-300kiters_celeba-cropped-64.py', 64, False),
    'dcgan-lsun64': ('mmagic::dcgan/dcgan_1xb128-5epoches_lsun-bedroom-64x64.py', 64, False),
    'dcgan-mnist64': ('mmagic::dcgan/dcgan_Glr4e-4_Dlr1e-4_1xb128-5kiters_mnist-64x64.py', 64,
                      True),
    'lsgan-celeba64': ('mmagic::lsgan/lsgan_dcgan-archi_lr1e-3-1xb128-12Mimgs_celeba-cropped-64x64.py', 64, False),  # noqa: E501
    'lsgan-lsun64': ('mmagic::lsgan/lsgan_dcgan-archi_lr1e-4-1xb128-12Mimgs_lsun-bedroom-64x64.py',
                     64, False),
    'lsgan-celeba128': ('mmagic::lsgan/lsgan_dcgan-archi_lr1e-4-1xb64-10Mimgs_celeba-cropped-128x128.py', 128, False),  # noqa: E501
    'lsgan-lsun128': ('mmagic::lsgan/lsgan_lsgan-archi_lr1e-4-1xb64-10Mimgs_lsun-bedroom-128x128.py',  # noqa: E501
                      128, False),
    'ggan-celeba64': ('mmagic::ggan/ggan_dcgan-archi_lr1e-3-1xb128-12Mimgs_celeba-cropped-64x64.py',
                      64, False),
    'ggan-celeba128': ('mmagic::ggan/ggan_dcgan-archi_lr1e-4-1xb64-10Mimgs_celeba-cropped-128x128.py', 128, False),  # noqa: E501
    'ggan-lsun64': ('mmagic::ggan/ggan_lsgan-archi_lr1e-4-1xb128-20Mimgs_lsun-bedroom-64x64.py', 64,
                    False),
    'wgangp-celeba128': ('mmagic::wgan-gp/wgangp_GN_1xb64-160kiters_celeba-cropped-128x128.py', 128,
                         False),
    'wgangp-lsun128': ('mmagic::wgan-gp/wgangp_GN-GP-50_1xb64-160kiters_lsun-bedroom-128x128.py',
                       128, False),
    'stylegan2-church': ('mmagic::styleganv2/stylegan2_c2_8xb4-800kiters_lsun-church-256x256.py',
                         32, False),
    'sngan-uncond-cifar10': (SNGAN_UNCOND, 32, False),
    'sngan-cnn-cifar10': (SNGAN_CNN, 32, False),
    'stylegan3-ffhq': ('mmagic::styleganv3/stylegan3-t_gamma2.0_8xb4-fp16-noaug_ffhq-256x256.py',
                       32, False),
    'stylegan2-draggan': ('mmagic::draggan/stylegan2_256x256.py', 32, False),  # DragGAN's G
    **{name: (config, 32, False) for name, config in CONDITIONAL_GANS.items()},
}
# the D loss of each model (MMagic's ggan_dcgan-archi configs never set type='GGAN': DCGAN)
EXPECTED_GAN_TYPE = dict(
    {k: 'vanilla' for k in AS_TARGETS if k.startswith(('dcgan', 'stylegan', 'ggan-celeba'))},
    **{k: 'lsgan' for k in AS_TARGETS if k.startswith('lsgan')},
    **{k: 'wgan' for k in AS_TARGETS if k.startswith('wgangp')},
    **{k: 'hinge' for k in AS_TARGETS if k.startswith(('sngan', 'sagan', 'biggan', 'ggan-lsun'))})
# 32x32 and a narrow synthesis network (16,384 / 512 channels upstream): the reference
# filtered-lrelu ops are slow on a CPU, and the hook only needs D's call on the reals
SMALL_STYLEGAN3 = dict(model=dict(
    generator=dict(out_size=32, synthesis_cfg=dict(channel_base=1024, channel_max=32)),
    discriminator=dict(in_size=32)))


def _base(base: str) -> str:
    return base if base.startswith('mmagic::') else str(Path(base).resolve())


@pytest.mark.parametrize('name', list(STOCK))
def test_stock_config_trains(name, tmp_path, image_folder):
    base, scale, gray, extra = STOCK[name]
    overrides = tiny_overrides(image_folder, scale, grayscale=gray)
    overrides.update(extra)
    cfg = write_config(tmp_path / f'{name}.py', _base(base), '', overrides)
    runner = train(cfg, tmp_path / 'work')
    assert runner.iter == 2
    assert (tmp_path / 'work' / 'iter_2.pth').exists()
    records = scalars(tmp_path / 'work')
    assert len(records) == 2 and all('loss_disc_real' in r for r in records)
    assert not any('loss_asgan' in r for r in records)


@pytest.mark.parametrize('name', list(AS_TARGETS))
def test_two_lines_turn_on_asgan(name, tmp_path, image_folder, labelled_image_folder):
    base, scale, gray = AS_TARGETS[name]
    conditional = name in CONDITIONAL_GANS  # their D takes labels
    folder = labelled_image_folder if conditional else image_folder
    overrides = tiny_overrides(folder, scale, grayscale=gray)
    if name.startswith('stylegan2'):
        overrides.update(SMALL_DRAGGAN if name.endswith('draggan') else SMALL_STYLEGAN2)
    if name.startswith('stylegan3'):
        overrides.update(SMALL_STYLEGAN3)
    body = as_config_body(epsilon=4 / 255, log_interval=1)
    cfg = write_config(tmp_path / f'as_{name}.py', _base(base), body, overrides)
    runner = train(cfg, tmp_path / 'work')
    assert (tmp_path / 'work' / 'iter_2.pth').exists()
    records = scalars(tmp_path / 'work')
    assert all(r['asgan_eps'] == pytest.approx(4 / 255) and r['asgan_pert_norm'] > 0
               for r in records)
    assert all('loss_asgan' in r for r in records)
    hook = next(h for h in runner.hooks if type(h).__name__ == 'RealSampleAttackHook')
    base_hooks = Config.fromfile(str(cfg)).custom_hooks[:-1]
    assert sorted(type(h).__name__ for h in runner.hooks if type(h).__name__ in
                  {c['type'] for c in base_hooks}) == sorted(c['type'] for c in base_hooks)  # kept
    # (the runner orders hooks by priority, not by the config's order)
    assert hook.loss.gan_type == EXPECTED_GAN_TYPE[name]  # 'auto' read the model's D loss


STUDY_CONFIGS = sorted(p.name for p in (OURS / 'cifar').glob('*.py')  # the regimes
                       if not p.name.startswith(('asgan-', 'r1-')))
ARM_CONFIGS = sorted(p.name for p in (OURS / 'cifar').glob('*.py')  # held-out arms, picks on
                     if p.name.startswith(('asgan-', 'r1-')))


@pytest.mark.parametrize('name', STUDY_CONFIGS)
def test_cifar_study_configs_train_with_their_own_pipeline(name, tmp_path, image_folder):
    """The CIFAR-10 study's configs (configs/asgan/cifar/), as the study runs them with
    AS-GAN on (their data pipeline, flips included, and hooks), for 2 iterations on a
    tiny colour folder instead of the CIFAR-10 split; the study's widths included."""
    overrides = tiny_overrides(image_folder, 32)
    overrides['train_dataloader'] = dict(dataset=dict(data_root=str(image_folder)))
    body = as_config_body(attack='fgsm', epsilon=2 / 255, objective='score', log_interval=1)
    cfg = write_config(tmp_path / name, str(OURS / 'cifar' / name), body, overrides)
    train(cfg, tmp_path / 'work')
    records = scalars(tmp_path / 'work')
    assert len(records) == 2 and all(r['asgan_pert_norm'] > 0 for r in records)
    assert Config.fromfile(str(cfg)).train_dataloader.dataset.pipeline[1]['type'] == 'Flip'


@pytest.mark.parametrize('name', ARM_CONFIGS)
def test_cifar_study_arm_configs_train_with_their_hooks(name, tmp_path, image_folder):
    """The model zoo's CIFAR-10 arm configs (a pick of the study's tuning, on its DCGAN
    cell) train as shipped, each hook on: 2 iterations on a tiny colour folder."""
    overrides = tiny_overrides(image_folder, 32)
    overrides['train_dataloader'] = dict(dataset=dict(data_root=str(image_folder)))
    overrides['default_hooks'] = dict(logger=dict(type='LoggerHook', interval=1))
    cfg = write_config(tmp_path / name, str(OURS / 'cifar' / name), '', overrides)
    train(cfg, tmp_path / 'work')
    records = scalars(tmp_path / 'work')
    assert len(records) == 2
    attacked = [r.get('asgan_pert_norm', 0) > 0 for r in records]
    assert attacked == [name.startswith('asgan-')] * 2
    assert ['loss_r1' in r for r in records] == [name.startswith('r1-') or '-r1-' in name] * 2


def test_cifar_study_arm_configs_are_its_heldout_arms(tmp_path):
    """Each held-out arm of the CIFAR-10 study (picks resolved from the committed
    results) is the shipped config its spec's ``zoo`` names, setting for setting."""
    from lab import study
    spec = study.load_spec(str(OURS / 'studies' / 'cifar10_cpu.py'))
    spec = study.resolve_picks(spec, study.load_results(spec))
    arms = spec.phases.heldout.runs.dcgan
    assert sorted(spec.zoo.dcgan) == sorted(arms)
    assert sorted(Path(c).name for c in spec.zoo.dcgan.values()) == sorted(
        ARM_CONFIGS + ['dcgan-wide_1xb32-10kiters_cifar10-32x32.py'])
    for arm in arms:
        generated = study.variant_config(spec, 'dcgan', arm, tmp_path)
        shipped = Config.fromfile(str(ROOT / spec.zoo.dcgan[arm])).to_dict()
        assert Config.fromfile(str(generated)).to_dict() == shipped, arm


@pytest.mark.parametrize('name', list(PROGRESSIVE_GANS))
def test_two_lines_on_progressive_growing_gans(name, tmp_path, image_folder):
    base, top, scales = PROGRESSIVE_GANS[name]
    overrides = grow_scale_overrides(image_folder, top, scales, iters=4)
    cfg = write_config(tmp_path / f'as_{name}.py', base, as_config_body(epsilon=4 / 255,
                                                                        log_interval=1), overrides)
    runner = train(cfg, tmp_path / 'work')
    records = scalars(tmp_path / 'work')
    assert len(records) == 4 and all('loss_asgan' in r and r['asgan_pert_norm'] > 0
                                     for r in records)
    hook = next(h for h in runner.hooks if type(h).__name__ == 'RealSampleAttackHook')
    assert hook.loss.gan_type == ('wgan-drift' if name.startswith('pggan') else 'vanilla')


def test_singan_is_refused_with_its_reason(tmp_path):
    folder = make_image_folder(tmp_path / 'img', per_class=1, size=64)
    image = next((folder / 'class_0').iterdir())
    overrides = dict(train_dataloader=dict(num_workers=0, persistent_workers=False,
                                           dataset=dict(data_root=str(image))),
                     train_cfg=dict(max_iters=2), val_cfg=None, val_dataloader=None,
                     val_evaluator=None, test_cfg=None, test_dataloader=None,
                     test_evaluator=None)
    # the two lines, without SinGAN's own hooks (they pickle and draw at every iteration)
    body = as_config_body(epsilon=4 / 255).replace("_base_.get('custom_hooks', []) + ", '')
    cfg = write_config(tmp_path / 'singan.py', 'mmagic::singan/singan_fish.py', body, overrides)
    with pytest.raises(RuntimeError, match='SinGAN is not supported: .*model.reals'):
        train(cfg, tmp_path / 'work')


def test_project_configs_load_and_as_variants_only_add_the_hook():
    names = sorted(p.name for p in OURS.glob('*.py'))
    assert names
    for name in names:
        cfg = Config.fromfile(str(OURS / name))
        if not name.startswith('asgan-'):
            continue
        base_name = name.split('_', 1)[1]
        base_path = OURS / base_name
        if not base_path.exists():
            continue  # AS variants of mmagic:: configs
        base = Config.fromfile(str(base_path))
        a, b = cfg.to_dict(), base.to_dict()
        hooks = a.pop('custom_hooks')
        assert hooks[:-1] == b.pop('custom_hooks') and hooks[-1]['type'] == 'RealSampleAttackHook'
        a.pop('custom_imports'), b.pop('custom_imports', None)
        assert a == b, name


def test_metafile_rows_are_shipped_configs_with_measured_results():
    import yaml
    meta = yaml.safe_load((OURS / 'metafile.yml').read_text())
    listed = [m['Config'] for m in meta['Models']]
    assert listed and len(listed) == len(set(listed))
    shipped = [*OURS.glob('*.py'), *OURS.glob('cifar/*.py')]
    assert set(listed) <= {str(p.relative_to(ROOT)) for p in shipped}
    for m in meta['Models']:
        assert m['In Collection'] == 'AS-GAN'
        assert m['Results'] and all(r['Metrics'] for r in m['Results']), m['Config']


def test_two_lines_work_when_the_base_has_no_custom_hooks(tmp_path):
    from helpers import TWO_LINES
    base = tmp_path / 'base.py'
    base.write_text("model = dict(type='DCGAN')\n")
    child = write_config(tmp_path / 'child.py', str(base),
                         TWO_LINES.format(hook_args='epsilon=2 / 255'))
    hooks = Config.fromfile(str(child)).custom_hooks
    assert [h['type'] for h in hooks] == ['RealSampleAttackHook']


# MMagic's GAN families this project refuses (tests: test_singan_is_refused_with_its_reason
# here; test_unsupported_models_are_refused_at_before_train and
# test_translation_models_are_refused_with_the_reason in test_hooks/test_discriminator_step.py)
REFUSED = ('singan', 'positional_encoding_in_gans', 'pix2pix', 'cyclegan')
INFERENCE_ONLY = ('eg3d',)
# how README's "Supported models" table names each family (by MMagic's config folder)
README_NAMES = {'dcgan': 'DCGAN', 'lsgan': 'LSGAN', 'ggan': 'GGAN', 'wgan-gp': 'WGAN-GP',
                'pggan': 'PGGAN', 'styleganv1': 'StyleGANv1', 'styleganv2': 'StyleGAN2',
                'styleganv3': 'StyleGAN3', 'draggan': 'DragGAN', 'sngan_proj': 'SNGAN-Proj',
                'sagan': 'SAGAN', 'biggan': 'BigGAN', 'singan': 'SinGAN',
                'positional_encoding_in_gans': 'MSPIE-StyleGAN2', 'pix2pix': 'Pix2Pix',
                'cyclegan': 'CycleGAN', 'eg3d': 'EG3D'}


def _mmagic_gan_families() -> dict:
    """MMagic's config folders whose first config that loads here builds a GAN: a
    BaseGAN or BaseTranslationModel subclass (a folder holds one model family)."""
    import mmagic
    from mmagic.models.base_models import BaseGAN, BaseTranslationModel
    from mmagic.registry import MODELS
    families = {}
    for folder in sorted((Path(mmagic.__file__).parent / '.mim' / 'configs').iterdir()):
        for config in sorted(folder.glob('*.py')) if not folder.name.startswith('_') else []:
            try:
                model_type = Config.fromfile(str(config)).model.type
            except Exception:  # a config that needs what is not installed: try the next
                continue
            cls = MODELS.get(model_type) if isinstance(model_type, str) else model_type
            if cls is not None and issubclass(cls, (BaseGAN, BaseTranslationModel)):
                families[folder.name] = config
            break
    return families


def test_every_gan_family_mmagic_ships_is_tried_or_refused():
    """README's "Supported models": every family MMagic 1.2.0 ships GAN configs for is
    trained with the two lines above, refused with its reason, or inference-only."""
    families = _mmagic_gan_families()
    tried = {base.split('::')[1].split('/')[0] for base, *_ in
             [*STOCK.values(), *AS_TARGETS.values(), *PROGRESSIVE_GANS.values()]
             if base.startswith('mmagic::')}
    assert set(families) == tried | set(REFUSED) | set(INFERENCE_ONLY)
    assert set(README_NAMES) == set(families)
    table = (ROOT / 'README.md').read_text().split('## Supported models', 1)[1].split('\n## ')[0]
    rows = [line for line in table.splitlines() if line.startswith('| ')]
    for family, name in README_NAMES.items():
        row = next((r for r in rows if re.search(rf'[|,] {re.escape(name)}\b', r)), None)
        assert row is not None, f'README table has no row for {name}'
        result = row.rstrip(' |').rsplit(' | ', 1)[1]
        expected = ('refused' if family in REFUSED else 'not covered' if family in INFERENCE_ONLY
                    else 'trains')
        assert result.startswith(expected), (name, result)
    for family in INFERENCE_ONLY:
        cfg = Config.fromfile(str(families[family]))
        assert cfg.train_dataloader is None and cfg.train_cfg is None
