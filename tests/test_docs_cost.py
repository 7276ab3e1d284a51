"""docs/studies/cost.md quotes each study's cost.json, digit for digit."""
import json
import re

import pytest

from helpers import ROOT

CIFAR_HEADING = '## The CIFAR-10 DCGAN cell'
TABLES = {  # study (results/<study>/cost.json) -> its table's row labels -> variants
    'stress_fmnist': {'FGSM `mix`': 'AS-FGSM-mix-score', 'FGSM `replace`': 'AS-FGSM-replace-score',
                      '`free`': 'AS-free-replace', 'lazy FGSM `mix`': 'AS-FGSM-mix-score-lazy4',
                      'R1 (gamma 1)': 'R1-g1', 'lazy R1': 'R1-g1-lazy4'},
    'cifar10_cpu': {'FGSM `mix` 1/255': 'AS-FGSM-mix-e1', 'R1 gamma 0.01': 'R1-g0.01',
                    'AS + R1': 'AS+R1'},
}


def _cost(study: str) -> dict:
    return json.loads((ROOT / 'results' / study / 'cost.json').read_text())


def _section(study: str) -> str:
    text = (ROOT / 'docs' / 'studies' / 'cost.md').read_text()
    assert CIFAR_HEADING in text
    before, after = text.split(CIFAR_HEADING)
    return after if study == 'cifar10_cpu' else before


def _quoted(part: dict) -> str:
    return f"{part['ratio']:.2f}x [{part['ci_low']:.2f}, {part['ci_high']:.2f}]"


@pytest.mark.parametrize('study', sorted(TABLES))
def test_cost_table_quotes_cost_json(study):
    rows_to_variants, cost, text = TABLES[study], _cost(study), _section(study)
    rows = [line for line in text.splitlines() if line.startswith('| ') and 'x [' in line]
    assert len(rows) == len(rows_to_variants)
    for line in rows:
        label = next(k for k in rows_to_variants if line.startswith(f'| {k}'))
        variant = cost[rows_to_variants[label]]
        assert _quoted(variant['train_step']) in line and _quoted(variant['d_step']) in line, line
    base = cost['baseline']
    assert (f"{base['train_step']['mean_s'] * 1000:.1f} ms and "
            f"{base['d_step']['mean_s'] * 1000:.1f} ms") in ' '.join(text.split())


def test_cost_targets_quote_the_stress_measurement():
    cost = _cost('stress_fmnist')
    assert re.search(r'missed by 0\.07', _section('stress_fmnist')) and round(
        cost['AS-FGSM-mix-score']['train_step']['ratio'] - 1.25, 2) == 0.07


def test_the_cifar_study_page_quotes_its_cost():
    cost = _cost('cifar10_cpu')
    text = ' '.join((ROOT / 'docs' / 'studies' / 'cifar10_cpu.md').read_text().split())
    ratios = [f"{cost[v]['train_step']['ratio']:.2f}x"
              for v in ('AS-FGSM-mix-e1', 'R1-g0.01', 'AS+R1')]
    assert (f"costs {ratios[0]} the baseline's with AS (FGSM `mix` 1/255), {ratios[1]} with R1 "
            f"(gamma 0.01) and {ratios[2]} with both") in text
