"""Data preparation: readers of the official formats, atomic writers, clear errors."""
import gzip
import json
import pickle
import struct
import tarfile
import zipfile

import numpy as np
import pytest

from helpers import load_tool
from lab import data_prep as dp


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f'>{array.ndim}I', *array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fashion_root(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / 'fashion'
    root.mkdir()
    write_idx(root / 'train-images-idx3-ubyte.gz', rng.integers(0, 256, (20, 28, 28)))
    write_idx(root / 'train-labels-idx1-ubyte.gz', np.arange(20) % 10)
    return root


def test_idx_reader_and_truncated_file(fashion_root, tmp_path):
    x = dp.read_idx(fashion_root / 'train-images-idx3-ubyte.gz')
    assert x.shape == (20, 28, 28) and x.dtype == np.uint8
    data = gzip.open(fashion_root / 'train-images-idx3-ubyte.gz').read()
    with gzip.open(tmp_path / 'bad.gz', 'wb') as f:
        f.write(data[:-100])
    with pytest.raises(dp.DataError, match='truncated or corrupt'):
        dp.read_idx(tmp_path / 'bad.gz')


def test_fashion_mnist_to_class_folders_is_idempotent(fashion_root, tmp_path):
    out = tmp_path / 'data' / 'fashion-mnist' / 'train'
    manifest = load_tool('prepare_data').main(['fashion-mnist', '--root', str(fashion_root),
                                               '--out', str(out)])
    assert manifest['count'] == 20 and manifest['classes']['t-shirt'] == 2
    files = sorted(out.rglob('*.png'))
    assert len(files) == 20
    import cv2
    assert cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED).shape == (28, 28)
    mtime = files[0].stat().st_mtime_ns
    load_tool('prepare_data').main(['fashion-mnist', '--root', str(fashion_root), '--out',
                                    str(out)])
    assert files[0].stat().st_mtime_ns == mtime  # nothing rewritten


def test_missing_fashion_file_names_what_and_where(tmp_path):
    with pytest.raises(dp.DataError, match='expected train-images-idx3-ubyte.gz in'):
        dp.load_fashion_mnist('train', tmp_path)


def _cifar_archive(path, cifar100=False):
    rng = np.random.default_rng(0)
    with tarfile.open(path, 'w:gz') as tar:
        def add(name, obj):
            import io
            blob = pickle.dumps(obj)
            info = tarfile.TarInfo(f'cifar-python/{name}')
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        if cifar100:
            add('train', {'data': rng.integers(0, 256, (6, 3072), dtype=np.uint8),
                          'fine_labels': [0, 1, 2, 0, 1, 2]})
            add('meta', {'fine_label_names': ['apple', 'bee', 'cup']})
        else:
            for i in range(1, 6):
                add(f'data_batch_{i}', {'data': rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                                        'labels': [i % 10, (i + 1) % 10]})
            add('batches.meta', {'label_names': list(dp.CIFAR10_CLASSES)})
    return path


@pytest.mark.parametrize('cifar100', [False, True])
def test_cifar_archive(tmp_path, cifar100):
    archive = _cifar_archive(tmp_path / 'cifar.tar.gz', cifar100)
    x, y, names, _ = dp.load_cifar(archive, cifar100)
    assert x.shape == ((6, 32, 32, 3) if cifar100 else (10, 32, 32, 3))
    assert names[0] == ('apple' if cifar100 else 'airplane')
    # CHW rows -> HWC: the first pixel's red value is the row's first byte
    rows = pickle.load(tarfile.open(archive).extractfile(
        'cifar-python/train' if cifar100 else 'cifar-python/data_batch_1'), encoding='latin1')
    assert x[0, 0, 0, 0] == rows['data'][0, 0] and x[0, 0, 0, 2] == rows['data'][0, 2048]


def test_npz_rgb_order_and_bad_keys(tmp_path):
    import cv2
    images = np.zeros((2, 8, 8, 3), np.uint8)
    images[..., 0] = 255  # pure red, RGB
    np.savez(tmp_path / 'ok.npz', images=images, labels=np.array([0, 1]))
    manifest = load_tool('prepare_data').main(['npz', str(tmp_path / 'ok.npz'), '--class-names',
                                               'cifar10', '--out', str(tmp_path / 'out')])
    assert set(manifest['classes']) == {'airplane', 'automobile'}
    img = cv2.imread(str(next((tmp_path / 'out' / 'airplane').glob('*.png'))))  # BGR
    assert img[0, 0].tolist() == [0, 0, 255]
    np.savez(tmp_path / 'bad.npz', x=images)
    with pytest.raises(dp.DataError, match='expected arrays "images"'):
        dp.load_npz(tmp_path / 'bad.npz')


def test_zip_of_class_folders(tmp_path):
    with zipfile.ZipFile(tmp_path / 'imgs.zip', 'w') as zf:
        for cls in ('cat', 'dog'):
            for i in range(3):
                zf.writestr(f'train/{cls}/{i:04d}.jpg', b'jpeg-bytes')
        zf.writestr('test/cat/0000.jpg', b'x')
    manifest = dp.copy_image_folder(tmp_path / 'imgs.zip', tmp_path / 'out', subdir='train')
    assert manifest['count'] == 6 and manifest['classes'] == {'cat': 3, 'dog': 3}
    assert (tmp_path / 'out' / 'cat' / '0000.jpg').read_bytes() == b'jpeg-bytes'
    with pytest.raises(dp.DataError, match='no image files'):
        dp.copy_image_folder(tmp_path / 'imgs.zip', tmp_path / 'out2', subdir='val')


def test_interrupted_write_never_looks_complete(tmp_path, monkeypatch):
    import cv2
    calls = {'n': 0}
    real_imwrite = cv2.imwrite

    def failing(path, img):
        calls['n'] += 1
        if calls['n'] == 3:
            raise KeyboardInterrupt  # interrupted mid-way
        return real_imwrite(path, img)

    monkeypatch.setattr(cv2, 'imwrite', failing)
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        dp.write_class_folders(np.zeros((5, 4, 4), np.uint8), np.zeros(5, int), out)
    assert not out.exists()
    monkeypatch.setattr(cv2, 'imwrite', real_imwrite)
    manifest = dp.write_class_folders(np.zeros((5, 4, 4), np.uint8), np.zeros(5, int), out)
    assert manifest['count'] == 5 and json.loads((out / dp.MANIFEST).read_text())['count'] == 5


def test_foreign_folder_is_not_overwritten(tmp_path):
    out = tmp_path / 'out'
    (out / 'x').mkdir(parents=True)
    (out / 'x' / 'a.png').write_bytes(b'')
    with pytest.raises(dp.DataError, match='no .prepared.json'):
        dp.write_class_folders(np.zeros((1, 4, 4), np.uint8), np.zeros(1, int), out)
