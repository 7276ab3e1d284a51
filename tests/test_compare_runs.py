"""tools/analysis/compare_runs.py and tools/quickstart.sh: the quick start's answer."""
import json
import re
import subprocess

import numpy as np
import pytest
from mmengine.config import Config

from helpers import CONFIGS, ROOT, load_tool

compare = load_tool('analysis/compare_runs')


def _fake_run(work_dir, fd: dict, sec_per_iter: float, shade: int):
    """An MMEngine-like work dir: scalars.json and a sample grid."""
    import cv2
    vis = work_dir / '20260101_000000' / 'vis_data'
    (vis / 'vis_image').mkdir(parents=True)
    lines = [json.dumps(dict(iter=i, time=sec_per_iter, loss=1.0)) for i in (100, 200)]
    lines += [json.dumps({'FD-SmallCNN/fd': v, 'step': s}) for s, v in fd.items()]
    (vis / 'scalars.json').write_text('\n'.join(lines) + '\n')
    cv2.imwrite(str(vis / 'vis_image' / 'fake_img_3000.png'), np.full((64, 64), shade, np.uint8))
    return work_dir


def test_side_by_side_picture_and_two_line_summary(tmp_path, capsys):
    base = _fake_run(tmp_path / 'base', {500: 40.0, 3000: 10.0}, 0.08, 40)
    asgan = _fake_run(tmp_path / 'as', {500: 38.0, 3000: 7.5}, 0.10, 200)
    lines = compare.main([str(base), str(asgan), '--labels', 'baseline', 'AS-GAN',
                          '--out', str(tmp_path / 'q.png')])
    assert lines[0] == ('final FD-SmallCNN/fd: baseline 10.0; AS-GAN 7.5 (-2.5), 1.25x the '
                        'time per iteration')
    assert 'one seed' in lines[1] and len(lines) == 2
    from PIL import Image
    picture = np.asarray(Image.open(tmp_path / 'q.png').convert('L'))
    assert picture.shape[1] > 900  # two grids and the curves
    with pytest.raises(SystemExit):
        compare.main([str(base), '--out', str(tmp_path / 'x.png')])  # one run: nothing to compare


def test_quickstart_runs_both_from_one_config_pair_in_parallel():
    script = (ROOT / 'tools' / 'quickstart.sh').read_text()
    subprocess.run(['bash', '-n', str(ROOT / 'tools' / 'quickstart.sh')], check=True)
    configs = re.findall(r'=(configs/asgan/\S+\.py)', script)
    assert len(configs) == 2
    base, asgan = (Config.fromfile(str(ROOT / c)) for c in configs)
    assert [h['type'] for h in asgan.custom_hooks] == [h['type'] for h in base.custom_hooks] + [
        'RealSampleAttackHook']
    for cfg in (base, asgan):  # scored during training with FD-SmallCNN, FID only at test
        assert cfg.val_evaluator['metrics'][0]['type'] == 'ClassifierFD'
        assert cfg.test_evaluator['metrics'][0]['type'] == 'OfflineFID'
        assert cfg.train_cfg['val_interval'] == 500 and cfg.train_cfg['max_iters'] == 3000
    assert 'OMP_NUM_THREADS=1' in script and ' &\n' in script and 'wait' in script
    assert (CONFIGS / 'asgan' / 'dcgan-small-fd_1xb64-3kiters_fashion-mnist-32x32.py').exists()
