"""Installs the ``mmagic_asgan`` plug-in (adversarial symmetric GAN training for MMagic)."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r"__version__ = '([^']+)'",
                    (HERE / 'mmagic_asgan' / 'version.py').read_text()).group(1)

setup(
    name='mmagic_asgan',
    version=VERSION,
    description='Adversarial symmetric GAN (AS-GAN) training for MMagic: '
    'adversarial training of the discriminator on real samples',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['mmagic_asgan', 'mmagic_asgan.*']),
    # Ranges this project supports; the exact tested versions are in
    # requirements/constraints.txt. mmcv must be the full build (compiled ops):
    # tools/setup_env.sh builds it from source when no wheel is at hand.
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'mmengine>=0.10.0,<1.0',
        'mmcv>=2.0.0,<2.2.0',
        'mmagic>=1.2.0,<1.3',
        'numpy<2',
    ],
    extras_require={'tests': ['pytest']},
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
