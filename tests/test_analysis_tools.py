"""tools/analysis: training curves and the run summary, on a tiny real run."""
import json

import pytest

from helpers import SMALL_DCGAN, as_config_body, load_tool, tiny_overrides, train, write_config


@pytest.fixture(scope='module')
def two_runs(tmp_path_factory, image_folder):
    root = tmp_path_factory.mktemp('runs')
    dirs = []
    for name, body in (('base', ''), ('as', as_config_body(epsilon=0.03, log_interval=1))):
        overrides = tiny_overrides(image_folder, 32, iters=3, batch_size=4, grayscale=True)
        train(write_config(root / f'{name}.py', SMALL_DCGAN, body, overrides), root / name)
        dirs.append(root / name)
    return dirs


def test_plot_curves(two_runs, tmp_path):
    from PIL import Image
    plot = load_tool('analysis/plot_curves')
    png = plot.main([str(d) for d in two_runs] + ['--labels', 'baseline', 'AS', '--out',
                                                   str(tmp_path / 'curves.png')])
    assert Image.open(png).size[0] > 500
    with pytest.raises(SystemExit, match='labels'):
        plot.main([str(two_runs[0]), '--labels', 'a', 'b', '--out', str(tmp_path / 'x.png')])


def test_summarize_run(two_runs, capsys):
    summ = load_tool('analysis/summarize_run')
    summary = summ.main([str(two_runs[1])])
    assert summary['checkpoint'].endswith('iter_3.pth')
    assert summary['telemetry']['asgan_eps'][1] == pytest.approx(0.03)
    assert 'AS-GAN telemetry' in capsys.readouterr().out


def test_d_robustness_is_threshold_free(two_runs, tmp_path):
    import csv
    tool = load_tool('analysis/d_robustness')
    cfg = two_runs[0].parent / 'base.py'
    ckpts = [str(d / 'iter_3.pth') for d in two_runs]
    path = tool.main([str(cfg), *ckpts, '--labels', 'baseline', 'AS', '--epsilons', '2', '8',
                      '--num-images', '8', '--out-dir', str(tmp_path)])
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == 2 * 2 and (tmp_path / 'd_robustness.png').exists()
    assert 'accuracy' not in ' '.join(rows[0])  # no decision threshold anywhere
    for label in ('baseline', 'AS'):
        mine = {float(r['epsilon_255']): r for r in rows if r['label'] == label}
        # FGSM lowers D's score on reals, the more the larger the budget
        assert 0 < float(mine[2.0]['score_drop']) < float(mine[8.0]['score_drop'])
        assert all(0 <= float(r['auc_clean']) <= 1 and float(r['grad_norm_real']) > 0
                   for r in mine.values())
        assert float(mine[8.0]['auc_attacked']) <= float(mine[8.0]['auc_clean'])


def test_high_frequency_share_separates_noise_from_smooth_gradients():
    import torch
    import torch.nn.functional as F

    from mmagic_asgan.probes import high_frequency_share
    noise = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    smooth = F.interpolate(torch.randn(4, 3, 4, 4), size=(64, 64), mode='bilinear',
                           align_corners=False)
    assert abs(float(high_frequency_share(noise).mean()) - 0.80) < 0.03
    assert float(high_frequency_share(smooth).max()) < 0.05


def test_d_gradients_command_line(two_runs, tmp_path):
    import subprocess
    import sys

    from helpers import ROOT
    cfg = two_runs[0].parent / 'base.py'
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tools/analysis/d_gradients.py'), str(cfg),
         *[str(d / 'iter_3.pth') for d in two_runs], '--labels', 'baseline', 'AS',
         '--num-images', '4', '--out-dir', str(tmp_path)], capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / 'd_gradients.json').read_text())
    assert set(summary) == {'baseline', 'AS'}
    assert all(0 <= s['high_frequency_share'] <= 1 for s in summary.values())
    assert (tmp_path / 'd_gradients.png').exists() and 'high-frequency share' in proc.stdout


@pytest.mark.slow  # Inception FID
def test_dataset_fd_sanity_tool(tmp_path):
    from helpers import make_image_folder
    a = make_image_folder(tmp_path / 'a', num_classes=2, per_class=6, seed=1)
    b = make_image_folder(tmp_path / 'b', num_classes=2, per_class=6, seed=2)
    tool = load_tool('analysis/dataset_fd')
    same = tool.main([str(a), str(a), '--metric', 'fid', '--channels', '3'])
    other = tool.main([str(a), str(b), '--metric', 'fid', '--channels', '3'])
    assert abs(same) < 1e-3 and other > same
    out = tmp_path / 'floor.json'
    disjoint = tool.main([str(a), str(a), '--metric', 'fid', '--channels', '3', '--num', '6',
                          '--disjoint', '--out', str(out)])
    assert disjoint > same  # two different halves of one folder
    record = json.loads(out.read_text())
    assert record['value'] == disjoint and record['images'] == [6, 6]
    assert record['command'].endswith(f'{a} {a} --metric fid --channels 3 --num 6 --disjoint '
                                      f'--out {out}')
    with pytest.raises(SystemExit):
        tool.main([str(a), str(b), '--channels', '3', '--num', '6', '--disjoint'])
