"""ClassifierFD (FD-SmallCNN): a project-trained feature space, never called FID."""
import numpy as np
import pytest
import torch

from helpers import SMALL_DCGAN, scalars, tiny_overrides, train, with_validation, write_config
from mmagic.registry import METRICS


@pytest.fixture(scope='module')
def classifier(fd_classifier):
    return fd_classifier


def test_classifier_is_trained_and_reports_accuracy(classifier):
    assert 0.0 <= classifier['accuracy'] <= 1.0 and classifier['test_images'] == 8
    state = torch.load(classifier['path'], weights_only=False)
    assert state['in_channels'] == 1 and state['classes'] == ['class_0', 'class_1']


def test_fd_of_a_set_with_itself_is_zero(classifier):
    metric = METRICS.build(dict(type='ClassifierFD', fake_nums=8, classifier=classifier['path']))
    images = torch.rand(32, 1, 32, 32) * 255
    feats = metric.forward_inception(images).numpy().astype(np.float64)
    assert feats.shape == (32, 128)
    mean, cov = feats.mean(0), np.cov(feats, rowvar=False)
    assert abs(metric._calc_fid(mean, cov, mean, cov)[0]) < 1e-3
    with pytest.raises(ValueError, match='1-channel'):
        metric.forward_inception(torch.rand(2, 3, 32, 32))


def test_logged_as_fd_not_fid(classifier, tmp_path, image_folder):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    with_validation(overrides, dict(type='ClassifierFD', fake_nums=8, real_nums=8,
                                    sample_model='orig', classifier=classifier['path'],
                                    cache_dir=str(tmp_path / 'cache')))
    overrides['default_hooks']['checkpoint'].update(save_best='FD-SmallCNN/fd', rule='less')
    train(write_config(tmp_path / 'fd.py', SMALL_DCGAN, '', overrides), tmp_path / 'work')
    keys = {k for r in scalars(tmp_path / 'work') for k in r}
    assert 'FD-SmallCNN/fd' in keys and not any(k.endswith('/fid') for k in keys)
    assert list((tmp_path / 'cache').glob('classifier-fd-*_8_*.pkl'))
