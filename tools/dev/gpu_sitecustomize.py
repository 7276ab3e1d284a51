"""Maintainers: numpy 2 compatibility for MMagic 1.2.0 on the GPU machine (``sitecustomize``).

``tools/dev/gpu_bundle.py`` puts this file in the bundle as ``sitecustomize.py``, and the
GPU check's device call copies it into the folder it installs the wheels to; with that
folder on ``PYTHONPATH`` every Python process (the check, data-loader workers) runs it at
start-up.

Why: the device has numpy 2.5 (and an OpenCV, SciPy, pandas, ... built for numpy 2),
while ``mmagic/utils/trans_utils.py`` reads ``np.bool8`` (removed in numpy 2.0) when it
is imported. Rather than carrying numpy 1.26 + OpenCV 4.10 (68 MB) over binaries built
for numpy 2, the alias is restored: ``np.bool8 = np.bool_`` (what it was in numpy 1.x).
A scan of MMagic 1.2.0, MMEngine 0.10.7, MMCV 2.1.0, diffusers 0.24.0, lpips and this
project for attributes missing from numpy 2.5.2 found no other use outside dead code.

A ``sitecustomize`` earlier on ``PYTHONPATH`` hides the interpreter's own (Ubuntu's
python3 has one), so that one is run afterwards, as it would have been.
"""
import os
import sys


def _alias_numpy_bool8() -> None:
    """Sets ``numpy.bool8`` to ``numpy.bool_`` where numpy no longer has it."""
    try:
        import numpy
    except Exception:  # no numpy: nothing to fix
        return
    if 'bool8' not in vars(numpy):
        numpy.bool8 = numpy.bool_


def _run_next_sitecustomize() -> None:
    """Runs the next ``sitecustomize.py`` on ``sys.path`` (the one this file hides)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        folder = os.path.abspath(entry or os.curdir)
        candidate = os.path.join(folder, 'sitecustomize.py')
        if folder == here or not os.path.isfile(candidate):
            continue
        try:
            with open(candidate) as f:
                code = compile(f.read(), candidate, 'exec')
            exec(code, {'__name__': 'sitecustomize', '__file__': candidate})
        except Exception as e:  # as site.py does: a failing sitecustomize only warns
            print(f'Error in {candidate}: {e!r}', file=sys.stderr)
        return


_alias_numpy_bool8()
_run_next_sitecustomize()
