"""Regenerate configs/asgan/metafile.yml from the configs in that folder and the
measured benchmark results.

A config gets ``Results`` only from a results.json that ``tools/benchmark.py``
wrote (``results/*/results.json``, runs of that exact config without sweep or
per-config options); all others stay ``[]`` (pending). The AS-GAN metadata is
the config's own ``RealSampleAttackHook`` arguments.

Usage: python tools/misc/update_metafile.py
"""
import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / 'configs' / 'asgan'
DATASETS = (('cifar100', 'CIFAR-100'), ('cifar10', 'CIFAR-10'), ('fashion-mnist', 'Fashion-MNIST'),
            ('celeba', 'CelebA-Cropped'), ('lsun', 'LSUN-Bedroom'))
HOOK_ARGS = re.compile(r"dict\(type='RealSampleAttackHook',\s*(.*?)\)\s*\]", re.S)


def attack_of(path: Path) -> str:
    """The hook's arguments as written in the config, or 'off (baseline)'."""
    match = HOOK_ARGS.search(path.read_text())
    return ' '.join(match.group(1).split()) if match else 'off (baseline)'


def measured_results(results_dir: Path = ROOT / 'results') -> dict:
    """``{config path: [result rows]}`` from every results.json (plain runs only)."""
    found = {}
    for file in sorted(results_dir.glob('*/results.json')):
        runs = [r for r in json.loads(file.read_text()) if r['returncode'] == 0
                and r['command'][r['command'].index('--cfg-options') + 2:] == []]
        for config in dict.fromkeys(r['config'] for r in runs):
            mine = [r for r in runs if r['config'] == config]
            metrics = {}
            for key in sorted({k for r in mine for k in r.get('test_metrics', {})
                               if k.endswith(('/fid', '/fd'))}):
                values = [r['test_metrics'][key] for r in mine if key in r['test_metrics']]
                metrics[f'{key} (last ckpt, mean)'] = round(statistics.mean(values), 2)
                if len(values) > 1:
                    metrics[f'{key} (std)'] = round(statistics.stdev(values), 2)
            for key in sorted({k for r in mine for k in r['metrics']}):
                finals = [list(r['metrics'][key].values())[-1] for r in mine]
                metrics[f'{key} (final, mean)'] = round(statistics.mean(finals), 2)
            spi = statistics.median(r['sec_per_iter'] for r in mine)
            found.setdefault(config, []).append(dict(
                Dataset=next(v for k, v in DATASETS if k in config), Metrics=metrics,
                Task='Unconditional GANs',
                Notes=(f'{len(mine)} seeds {sorted(r["seed"] for r in mine)}, {spi:.4f} s/iter on '
                       f'{mine[0].get("machine") or "an unrecorded machine"}; '
                       f'results/{file.parent.name}/results.json')))
    return found


def main() -> Path:
    lines = [
        'Collections:', '- Name: AS-GAN', '  Metadata:', '    Architecture:', '    - DCGAN',
        '    - SNGAN', '  Paper:',
        "    Title: 'Adversarial symmetric GANs: Bridging adversarial samples and adversarial "
        "networks'", '    URL: https://doi.org/10.1016/j.neunet.2020.10.016',
        '  README: configs/asgan/README.md', '  Task:', '  - Unconditional GANs', '  Year: 2021',
        'Models:'
    ]
    results = measured_results()
    for path in sorted(FOLDER.glob('*.py')):
        name = path.stem
        data = next(v for k, v in DATASETS if k in name)
        config = f'configs/asgan/{path.name}'
        lines += [f'- Config: {config}', '  In Collection: AS-GAN', f'  Name: {name}',
                  '  Metadata:', f'    Training Data: {data}',
                  f'    AS-GAN: "{attack_of(path)}"']
        rows = results.get(config)
        if not rows:
            lines.append('  Results: []  # pending: measured rows only')
            continue
        lines.append('  Results:')
        for row in rows:
            lines += [f"  - Task: {row['Task']}", f"    Dataset: {row['Dataset']}", '    Metrics:']
            lines += [f'      {k}: {v}' for k, v in row['Metrics'].items()]
            lines.append(f"    Notes: '{row['Notes']}'")
    out = FOLDER / 'metafile.yml'
    out.write_text('\n'.join(lines) + '\n')
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    main()
