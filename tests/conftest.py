"""Test set-up: MMagic's default scope, and tiny image folders shared by the tests."""
import os

import pytest

os.environ.setdefault('OMP_NUM_THREADS', '2')

import mmagic_asgan  # noqa: E402,F401  (fixes and registrations, as custom_imports would)
from helpers import load_tool, make_image_folder  # noqa: E402
from mmagic.utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=True)

# Integration tests (marked ``slow``): they train tiny GANs through the real runner, start
# processes or build packages. The rest are fast unit tests: `pytest -m "not slow"`.
TRAINING_FIXTURES = {'image_folder', 'labelled_image_folder', 'fd_classifier'}
SLOW_MODULES = {'test_configs.py', 'test_distributed.py', 'test_import_changes_nothing.py',
                'test_resume.py', 'test_jobs_vs_threads.py', 'test_compat.py',
                'test_offline_fid.py'}  # Inception on 299x299 images and 2048-d sqrtm


def pytest_collection_modifyitems(config, items):
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, 'fixturenames', ())) or \
                item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _own_run_instances():
    """No test hands its runs' loggers and visualizers to a later test's run of
    a config of the same name built in the same second (its folder is gone by
    then: lab/run_instances.py)."""
    from lab.run_instances import run_instances_dropped
    with run_instances_dropped():
        yield


@pytest.fixture(scope='session')
def image_folder(tmp_path_factory):
    """One class folder of 8 smooth random 32x32 colour PNGs."""
    return make_image_folder(tmp_path_factory.mktemp('images_1class'), num_classes=1)


@pytest.fixture(scope='session')
def labelled_image_folder(tmp_path_factory):
    """Two class folders of 8 images each (for class-conditional models)."""
    return make_image_folder(tmp_path_factory.mktemp('images_2class'), num_classes=2)


@pytest.fixture(scope='session')
def fd_classifier(tmp_path_factory):
    """A SmallCNN for ClassifierFD, trained on 2 x 40 grey images (its result dict):
    a cheap metric for tests that only need *a* FD in the logs (Inception FID's
    2048-d matrix square root costs ~15 s a call on this CPU)."""
    root = tmp_path_factory.mktemp('fd')
    folder = make_image_folder(root / 'imgs', num_classes=2, per_class=40, channels=1)
    return load_tool('train_fd_classifier').main(
        [str(folder), '--channels', '1', '--epochs', '2', '--out', str(root / 'clf.pth')])
