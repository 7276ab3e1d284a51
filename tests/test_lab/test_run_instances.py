"""lab/run_instances.py: two runs of one config built in the same second, in one
process, each log into their own folder."""
import shutil
import time
import types

from helpers import SMALL_DCGAN, load_tool, tiny_overrides, write_config
from lab.run_instances import run_instances_dropped


def test_a_second_run_in_the_same_second_gets_its_own_logger(tmp_path, image_folder,
                                                             monkeypatch):
    import mmengine.runner.runner as runner_module
    frozen = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time)
                                      if not n.startswith('_')})
    frozen.strftime = lambda fmt, *t: '20260101_000000' if fmt == '%Y%m%d_%H%M%S' \
        else time.strftime(fmt, *t)
    monkeypatch.setattr(runner_module, 'time', frozen)  # both runners built "at once"
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    cfg = write_config(tmp_path / 'cfg.py', SMALL_DCGAN, '', overrides)
    train = load_tool('train').main
    with run_instances_dropped():
        train([str(cfg), '--work-dir', str(tmp_path / 'first')])
    shutil.rmtree(tmp_path / 'first')  # as pytest does with a passed test's tmp_path
    with run_instances_dropped():
        runner = train([str(cfg), '--work-dir', str(tmp_path / 'second')])
    log_dir = tmp_path / 'second' / '20260101_000000'
    assert runner.log_dir == str(log_dir)
    assert 'Iter(train) [2/2]' in (log_dir / '20260101_000000.log').read_text()
    assert (log_dir / 'vis_data' / 'config.py').exists()
