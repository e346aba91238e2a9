"""README's `explain` excerpt: every line it shows is a real line of the command's output, in
order, and every cut is marked with an explicit `…` line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "$ tfinit-audit explain "


def _excerpt() -> tuple[list[str], list[str]]:
    text = (ROOT / "README.md").read_text("utf-8")
    block = text[text.index(PROMPT):].split("```", 1)[0]
    lines = block.rstrip("\n").split("\n")
    return lines[0][len("$ tfinit-audit "):].split(), lines[1:]


def _is_cut(line: str) -> bool:
    return line.strip().startswith("…")


@pytest.mark.network
def test_explain_excerpt_is_the_real_output_with_every_cut_marked(real_cache: Path) -> None:
    args, shown = _excerpt()
    res = subprocess.run([sys.executable, "-m", "tfinit_audit", *args, "--cache-dir",
                          str(real_cache)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "COLUMNS": "400"})
    assert res.returncode == 0, res.stderr
    real = [line.rstrip() for line in res.stdout.split("\n")]
    while real and not real[-1]:
        real.pop()
    pos = -1  # index in ``real`` of the last line the excerpt showed
    cut = False  # a `…` line since then
    for line in shown:
        if _is_cut(line):
            cut = True
            continue
        assert line.rstrip() in real[pos + 1:], f"not in the output (in this order): {line}"
        at = real.index(line.rstrip(), pos + 1)
        skipped = [x for x in real[pos + 1:at] if x.strip()]
        assert not skipped or cut, f"{len(skipped)} line(s) left out unmarked before: {line}"
        pos, cut = at, False
    rest = [x for x in real[pos + 1:] if x.strip()]
    assert not rest or cut, f"{len(rest)} line(s) left out at the end without a `…`"
