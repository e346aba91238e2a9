"""Fixture modules for engine tests, run both ways: by the engine (``interp``) and by CPython
(``imported``), so a test can check the engine's answer against Python's own."""

from __future__ import annotations

import contextlib
import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, DictV, Seq, Value
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree


def interp(files: dict[str, str]) -> Interpreter:
    """An engine over ``files`` (path -> source, dedented), with the engine's rules."""
    return Interpreter(MemoryTree({p: textwrap.dedent(t) for p, t in files.items()}),
                       ENGINE_RULES)


@contextlib.contextmanager
def imported(files: dict[str, str], where: Path) -> Iterator[Callable[[str], ModuleType]]:
    """``files`` written under ``where`` and importable by CPython for the block (an import
    function is yielded); the packages they make are forgotten before and afterwards."""
    for path, text in files.items():
        (where / path).parent.mkdir(parents=True, exist_ok=True)
        (where / path).write_text(textwrap.dedent(text))
    roots = {p.split("/")[0].removesuffix(".py") for p in files}

    def forget() -> None:
        for name in [n for n in sys.modules if n.split(".")[0] in roots]:
            del sys.modules[name]

    forget()
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module
    finally:
        sys.path.remove(str(where))
        forget()


def cpython_of(files: dict[str, str]) -> Any:
    """A pytest fixture: ``files`` imported by CPython (a fresh copy per test)."""
    @pytest.fixture()
    def cpython(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
        with imported(files, tmp_path) as get:
            yield get
    return cpython


def plain(v: Value) -> Any:
    """A constant, list/tuple/set or dict value as the Python value it stands for (tuples for
    lists); anything else as it is."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, Seq):
        items = tuple(plain(i) for i in v.items)
        return set(items) if v.kind == "set" else items
    if isinstance(v, DictV):
        return {k: plain(i) for k, i in v.items.items()}
    return v
