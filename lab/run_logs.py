"""Reading MMEngine run logs (``<work_dir>/<timestamp>/vis_data/scalars.json``)."""
import json
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

EVALUATIONS = 'evaluations'  # <work_dir>/evaluations/iter_<N>.json: checkpoints evaluated later


def find_scalar_logs(work_dir: Path) -> List[Path]:
    """All ``scalars.json`` of a work dir, oldest run first."""
    return sorted(Path(work_dir).glob('*/vis_data/scalars.json'))


def read_scalars(work_dir: Path) -> List[dict]:
    """The records of every run in ``work_dir`` (a resumed run continues the
    earlier one); later records for the same step and key win. Evaluations of
    a checkpoint made after the run was cut off during it
    (``<work_dir>/evaluations/iter_<N>.json``) come first, as val records."""
    files = find_scalar_logs(work_dir)
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {work_dir}: not an MMEngine '
                                'work dir, or the run logged nothing yet')
    records = [dict(step=e['step'], **e['metrics']) for e in read_evaluations(work_dir)]
    for f in files:
        records += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return records


def read_evaluations(work_dir: Path) -> List[dict]:
    """Checkpoints evaluated after the run was cut off during their evaluation:
    ``{'step', 'metrics', 'command'}`` from ``<work_dir>/evaluations/iter_<N>.json``."""
    return [json.loads(f.read_text())
            for f in sorted(Path(work_dir).glob(f'{EVALUATIONS}/iter_*.json'))]


def series(records: List[dict], key: str) -> Dict[int, float]:
    """``{step: value}`` of one key (train records use 'iter', val records 'step')."""
    out = {}
    for r in records:
        if key in r:
            out[int(r.get('iter', r.get('step', 0)))] = float(r[key])
    return out


def metric_keys(records: List[dict], suffix: str = '/fid') -> List[str]:
    """Keys such as ``FID-1k/fid`` present in the records."""
    return sorted({k for r in records for k in r if k.endswith(suffix)})


def probe_keys(records: List[dict]) -> List[str]:
    """Keys written by ``DiscriminatorProbeHook`` (``probe/...``)."""
    return sorted({k for r in records for k in r if k.startswith('probe/')})


def aggregate(runs: List[Dict[int, float]]) -> Optional[tuple]:
    """Steps common to every run, with the mean, min and max across runs."""
    if not runs or not all(runs):
        return None
    steps = sorted(set.intersection(*(set(r) for r in runs)))
    if not steps:
        return None
    values = np.array([[r[s] for s in steps] for r in runs])
    return np.array(steps), values.mean(0), values.min(0), values.max(0)
