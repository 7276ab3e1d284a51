"""Regenerate configs/asgan/metafile.yml and the results table of
configs/asgan/README.md from the configs in that folder and the measured
benchmark results.

A config gets results only from a results.json that ``tools/dev/benchmark.py``
wrote (``results/*/results.json``, runs of that exact config without sweep or
per-config options); all others stay ``[]`` (pending). The AS-GAN metadata is
the config's own ``RealSampleAttackHook`` arguments.

Usage: python tools/dev/update_metafile.py
"""
import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / 'configs' / 'asgan'
DATASETS = (('cifar100', 'CIFAR-100'), ('cifar10', 'CIFAR-10'), ('fashion-mnist', 'Fashion-MNIST'),
            ('celeba', 'CelebA-Cropped'), ('lsun', 'LSUN-Bedroom'))
TABLE_START, TABLE_END = '<!-- results-table:start -->', '<!-- results-table:end -->'
COMMANDS = {'fmnist_cpu': 'bash tools/dev/cpu_study.sh study'}
HOOK_ARGS = re.compile(
    r"dict\(type='(RealSampleAttackHook|R1GradientPenaltyHook)',\s*(.*?)\)\s*\]", re.S)


def attack_of(path: Path) -> str:
    """The hook's arguments as written in the config ('R1 control: ...' for the
    R1 penalty), or 'off (baseline)'."""
    match = HOOK_ARGS.search(path.read_text())
    if not match:
        return 'off (baseline)'
    args = ' '.join(match.group(2).split())
    return args if match.group(1) == 'RealSampleAttackHook' else f'off; R1 control: {args}'


def measured_results(results_dir: Path = ROOT / 'results') -> dict:
    """``{config path: [result rows]}`` from every results.json (plain runs only)."""
    found = {}
    for file in sorted(results_dir.glob('*/results.json')):
        runs = [r for r in json.loads(file.read_text()) if r['returncode'] == 0
                and not r.get('phase')  # studies (tools/dev/study.py) have their own tables
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
                runs=mine, study=file.parent.name, sec_per_iter=spi,
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
    readme = FOLDER / 'README.md'
    text = readme.read_text()
    if TABLE_START in text and TABLE_END in text:
        head, rest = text.split(TABLE_START, 1)
        readme.write_text(f'{head}{TABLE_START}\n{results_table(results)}\n'
                          f'{TABLE_END}{rest.split(TABLE_END, 1)[1]}')
    print(f'wrote {out} and the results table of {readme}')
    return out


def _mean_std(values) -> str:
    if not values:
        return 'n/a'
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} +- {std:.2f}'


def data_copy(config: Path) -> str:
    """The prepared data folder the config reads, with its source and fingerprint
    (tools/prepare_data.py's manifest), as found now."""
    match = re.search(r"data_root\s*=\s*'([^']+)'", _config_text(config))
    manifest = ROOT / match.group(1) / '.prepared.json' if match else None
    if manifest is None or not manifest.is_file():
        return 'unknown (no manifest)'
    info = json.loads(manifest.read_text())
    return (f"{match.group(1)}: {info['count']} images from {info['source']} "
            f"(fingerprint {info['fingerprint']})")


def _config_text(config: Path) -> str:
    """The config and its project _base_ files, concatenated (for simple lookups)."""
    text, todo, seen = '', [config], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        body = path.read_text()
        text += body
        todo += [(path.parent / b).resolve() for b in re.findall(r"'(\.{1,2}/[^']+\.py)'", body)]
    return text


def results_table(results: dict) -> str:
    """Markdown rows (baseline first within a study) of every measured config."""
    lines = ['| config | data copy | iterations | seeds | FID-2k, last ckpt (mean +- std) | '
             'FD-SmallCNN final (mean +- std) | final/best FD | s/iter | machine | command |',
             '|---|---|---|---|---|---|---|---|---|---|']
    if not results:
        return '\n'.join(lines + ['| (pending) | | | | | | | | | |'])
    ordered = sorted(results.items(),
                     key=lambda kv: (kv[1][0]['study'], Path(kv[0]).name.startswith('asgan'), kv[0]))

    def fids(runs):
        return [r['test_metrics'][k] for r in runs for k in r['test_metrics'] if k.endswith('/fid')]

    baseline_fid = {rows[0]['study']: statistics.mean(fids(rows[0]['runs']))
                    for config, rows in ordered
                    if not Path(config).name.startswith('asgan') and fids(rows[0]['runs'])}
    for config, rows in ordered:
        for row in rows:
            runs = row['runs']
            fid = fids(runs)
            base = baseline_fid.get(row['study'])
            change = (f' ({100 * (statistics.mean(fid) / base - 1):+.1f}% vs baseline)'
                      if fid and base and Path(config).name.startswith('asgan') else '')
            key = next(iter(runs[0]['metrics']), None)
            finals = [list(r['metrics'][key].values())[-1] for r in runs] if key else []
            ratio = [f / min(r['metrics'][key].values()) for r, f in zip(runs, finals)]
            iters = max(int(k) for k in runs[0]['metrics'][key]) if key else 'n/a'
            name = Path(config).stem
            lines.append(
                f'| [{name}]({Path(config).name}) | {data_copy(ROOT / config)} | {iters} | '
                f"{sorted(r['seed'] for r in runs)} | {_mean_std(fid)}{change} | {_mean_std(finals)} | "
                f"{_mean_std(ratio)} | {row['sec_per_iter']:.4f} | {runs[0].get('machine')} | "
                f"`{COMMANDS.get(row['study'], 'see results/' + row['study'] + '/results.md')}` |")
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
