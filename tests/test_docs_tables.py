"""Every markdown table the project ships renders: its header, the line under it and each
row have as many cells (a renderer drops a table whose header and delimiter differ, and
shifts a row's cells when it has more)."""
import re
from pathlib import Path
from typing import List

import pytest

from helpers import ROOT

SEPARATOR = re.compile(r'^\|(\s*:?-+:?\s*\|)+$')
DOCUMENTS = sorted({p.relative_to(ROOT) for pattern in (
    '*.md', 'docs/**/*.md', 'configs/**/*.md', 'results/**/*.md', 'tools/**/*.md')
    for p in ROOT.glob(pattern)})


def _cells(line: str) -> int:
    return len(re.sub(r'`[^`]*`', '', line.strip()).strip('|').split('|'))


def malformed_tables(text: str) -> List[str]:
    """Lines of ``text`` whose cell count differs from their table's header's."""
    lines, bad = text.splitlines(), []
    for i, line in enumerate(lines):
        if i and SEPARATOR.match(line.strip()) and lines[i - 1].lstrip().startswith('|'):
            width = _cells(lines[i - 1])
            j = i
            while j < len(lines) and lines[j].lstrip().startswith('|'):
                if _cells(lines[j]) != width:
                    bad.append(f'line {j + 1}: {_cells(lines[j])} cells, header {width}')
                j += 1
    return bad


def test_the_check_finds_a_short_delimiter_line():
    assert malformed_tables('| a | b | c |\n|---|---|\n| 1 | 2 | 3 |')
    assert not malformed_tables('| a | `x | y` | c |\n|---|---|---|\n| 1 | 2 | 3 |')


@pytest.mark.parametrize('document', DOCUMENTS, ids=str)
def test_every_table_renders(document: Path):
    assert not malformed_tables((ROOT / document).read_text())
