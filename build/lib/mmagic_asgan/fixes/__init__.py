"""Opt-in fixes of upstream bugs that change what a running config computes.

Unlike :mod:`mmagic_asgan.compat` (applied on ``import mmagic_asgan``, fixes
that only make stock configs *run*), each module here changes numerics, so it
is applied only when imported explicitly, e.g. in a config::

    custom_imports = dict(imports=['mmagic_asgan', 'mmagic_asgan.fixes.wgangp_gp_keys'],
                          allow_failed_imports=False)
"""
