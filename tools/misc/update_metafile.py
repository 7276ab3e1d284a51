"""Regenerate configs/asgan/metafile.yml from the configs in that folder.

Results stay empty: rows are added only from measured runs (see configs/asgan/README.md).
Usage: python tools/misc/update_metafile.py
"""
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / 'configs' / 'asgan'
DATASETS = (('cifar100', 'CIFAR-100'), ('cifar10', 'CIFAR-10'), ('fashion-mnist', 'Fashion-MNIST'),
            ('celeba', 'CelebA-Cropped'), ('lsun', 'LSUN-Bedroom'))


def main() -> Path:
    lines = [
        'Collections:', '- Name: AS-GAN', '  Metadata:', '    Architecture:', '    - DCGAN',
        '    - SNGAN', '  Paper:',
        "    Title: 'Adversarial symmetric GANs: Bridging adversarial samples and adversarial "
        "networks'", '    URL: https://doi.org/10.1016/j.neunet.2020.10.016',
        '  README: configs/asgan/README.md', '  Task:', '  - Unconditional GANs', '  Year: 2021',
        'Models:'
    ]
    for path in sorted(FOLDER.glob('*.py')):
        name = path.stem
        data = next(v for k, v in DATASETS if k in name)
        attack = 'FGSM, epsilon 2/255, mix 0.5' if name.startswith('asgan') else 'off (baseline)'
        lines += [f'- Config: configs/asgan/{path.name}', '  In Collection: AS-GAN',
                  f'  Name: {name}', '  Metadata:', f'    Training Data: {data}',
                  f'    AS-GAN: {attack}', '  Results: []  # pending: measured rows only']
    out = FOLDER / 'metafile.yml'
    out.write_text('\n'.join(lines) + '\n')
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    main()
