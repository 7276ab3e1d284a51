"""Opt-in: ``WGANGP`` reads the gradient-penalty keys its own configs set.

MMagic 1.2.0's ``WGANGP.__init__`` (``mmagic/models/editors/wgan_gp/wgan_gp.py``)
reads ``loss_config['norm_mode']`` / ``['loss_weight']`` (defaults ``'HWC'``,
10), while its configs set ``gp_norm_mode`` / ``gp_loss_weight``; so they are
ignored and every stock WGAN-GP config trains with penalty weight 10 and the
``'HWC'`` norm. What this changes: ``wgangp_GN-GP-50_1xb64-160kiters_lsun-bedroom-128x128``
trains with weight 50 instead of 10 (its name's intent); the other stock config
(``wgangp_GN_...celeba``) sets weight 10 and ``'HWC'``, so it is unchanged. Note
that MMagic's published WGAN-GP numbers were trained with weight 10. No upstream
issue was found (read from the code).

Importing this module applies the fix (once): the ``gp_*`` keys are read first,
then upstream's keys, then upstream's defaults.
"""
_APPLIED = False


def apply() -> None:
    """Patches ``WGANGP.__init__`` (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    from mmagic.models.editors.wgan_gp.wgan_gp import WGANGP
    original_init = WGANGP.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        cfg = self.loss_config
        self.gp_norm_mode = cfg.get('gp_norm_mode', cfg.get('norm_mode', 'HWC'))
        self.gp_loss_weight = cfg.get('gp_loss_weight', cfg.get('loss_weight', 10))

    __init__.__wrapped__ = original_init
    WGANGP.__init__ = __init__
    _APPLIED = True


apply()
