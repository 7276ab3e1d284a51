"""DiscriminatorProbeHook through the Runner: it writes probe/* scalars and leaves
the run untouched (same weights as without it)."""
import pytest

from helpers import (
    SMALL_DCGAN,
    assert_same_state,
    model_state,
    scalars,
    tiny_overrides,
    train,
    write_config,
)
from mmagic.registry import HOOKS


def _probe_hook(folder) -> dict:
    return dict(type='DiscriminatorProbeHook', interval=2, num_images=6, batch_size=4,
                epsilons=(2 / 255, 4 / 255),
                dataset=dict(type='BasicConditionalDataset', data_root=str(folder), pipeline=[
                    dict(type='LoadImageFromFile', key='gt', color_type='grayscale'),
                    dict(type='PackInputs')]))


def test_probe_scalars_and_no_trace_on_training(tmp_path, image_folder):
    overrides = tiny_overrides(image_folder, 32, iters=3, batch_size=4, grayscale=True)
    stock = train(write_config(tmp_path / 'stock.py', SMALL_DCGAN, '', overrides),
                  tmp_path / 'stock')
    body = ("custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)\n"
            f'custom_hooks = [{_probe_hook(image_folder)!r}]\n')
    probed = train(write_config(tmp_path / 'probed.py', SMALL_DCGAN, body, overrides),
                   tmp_path / 'probed')
    assert_same_state(model_state(stock), model_state(probed))
    records = [r for r in scalars(tmp_path / 'probed') if 'probe/auc_clean' in r]
    assert [r['step'] for r in records] == [2, 3]  # every 2 iterations and at the end
    for r in records:
        assert 0 <= r['probe/auc_clean'] <= 1 and r['probe/grad_norm_real'] > 0
        assert {'probe/auc_adv_e2', 'probe/rel_drop_e4', 'probe/grad_hf_share_fake'} <= set(r)


@pytest.mark.parametrize('kwargs,message', [
    (dict(interval=0), 'interval must be'), (dict(num_images=1), 'num_images must be'),
    (dict(epsilons=(0, )), 'epsilons must be')])
def test_bad_probe_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HOOKS.build(dict(type='DiscriminatorProbeHook', dataset=dict(), **kwargs))
