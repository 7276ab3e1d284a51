"""docs/studies/cost.md quotes results/stress_fmnist/cost.json, digit for digit."""
import json
import re

from helpers import ROOT

COST = json.loads((ROOT / 'results' / 'stress_fmnist' / 'cost.json').read_text())
ROWS = {'FGSM `mix`': 'AS-FGSM-mix-score', 'FGSM `replace`': 'AS-FGSM-replace-score',
        '`free`': 'AS-free-replace', 'lazy FGSM `mix`': 'AS-FGSM-mix-score-lazy4',
        'R1 (gamma 1)': 'R1-g1', 'lazy R1': 'R1-g1-lazy4'}


def _quoted(part: dict) -> str:
    return f"{part['ratio']:.2f}x [{part['ci_low']:.2f}, {part['ci_high']:.2f}]"


def test_cost_table_quotes_cost_json():
    text = (ROOT / 'docs' / 'studies' / 'cost.md').read_text()
    rows = [line for line in text.splitlines() if line.startswith('| ') and 'x [' in line]
    assert len(rows) == len(ROWS)
    for line in rows:
        label = next(k for k in ROWS if line.startswith(f'| {k}'))
        variant = COST[ROWS[label]]
        assert _quoted(variant['train_step']) in line and _quoted(variant['d_step']) in line, line
    base = COST['baseline']
    assert (f"{base['train_step']['mean_s'] * 1000:.1f} ms and "
            f"{base['d_step']['mean_s'] * 1000:.1f} ms") in text
    assert re.search(r'missed by 0\.07', text) and round(
        COST['AS-FGSM-mix-score']['train_step']['ratio'] - 1.25, 2) == 0.07
