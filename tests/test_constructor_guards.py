"""A constructor that raises for the arguments given (``analysis/layers.py``'s guards), on a
synthetic library written for these tests: under a test of parameters the argument table has,
each is tried in turn; under one it lacks, the symbol needs it; under no test of a parameter,
it is unavailable. A constructor that raises nothing runs once: the object its raises were
read from is the one built (it was constructed twice, ~10 % of an analysis)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.sources.base import MemoryTree

LAYERS = """
class Layer(object):
    def add_weight(self, name, shape, initializer=None):
        return initializer


class Zeros(object):
    pass


class Ones(object):
    pass


class Plain(Layer):
    def __init__(self, units):
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", [input_shape[-1], self.units],
                                      initializer=Zeros())


class Either(Layer):
    def __init__(self, units=None, num_units=None):
        if (units is None) == (num_units is None):
            raise ValueError("give one of units and num_units")
        self.n = units or num_units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", [input_shape[-1], self.n], initializer=Ones())


class Needs(Layer):
    def __init__(self, units, depth=None):
        if depth is None:
            raise ValueError("depth is required")
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", [input_shape[-1], self.units],
                                      initializer=Zeros())


class Never(Layer):
    def __init__(self, units):
        raise NotImplementedError("not in this release")
"""

FILES = {
    "tensorflow/__init__.py": "from tensorflow.layers import Plain, Either, Needs, Never\n",
    "tensorflow/layers.py": LAYERS,
}


def _results(names: list[str]) -> dict[str, SymbolResult]:
    tree = MemoryTree({k: textwrap.dedent(v) for k, v in FILES.items()}, release="1.0.0",
                      kind="pypi")
    return {r.symbol: r for r in analyze(tree, [SymbolSpec(n) for n in names], Dims())}


def _kernel(r: SymbolResult) -> tuple[list[int] | None, str]:
    (w,) = r.weights
    return w.shape, w.initializer.kind


def test_a_guard_the_table_can_answer_is_answered() -> None:
    # units and num_units are both unset: the first the table has (units=64) stops the raise
    r = _results(["tf.Either"])["tf.Either"]
    assert r.status == "resolved", r.message
    assert [(a.name, a.value) for a in r.arguments] == [("units", 64)]
    assert _kernel(r) == ([32, 64], "ones")


def test_a_guard_the_table_cannot_answer_is_what_the_symbol_needs() -> None:
    r = _results(["tf.Needs"])["tf.Needs"]
    assert r.status == "needs-args"
    assert r.missing_arguments == ["depth"]
    assert "its constructor raises ValueError" in (r.message or "")
    line = LAYERS.splitlines().index('            raise ValueError("depth is required")') + 1
    assert f"(tensorflow/layers.py:{line})" in (r.message or "")


def test_a_raise_under_no_guard_makes_the_symbol_unavailable() -> None:
    r = _results(["tf.Never"])["tf.Never"]
    assert r.status == "unavailable"
    assert "its constructor raises NotImplementedError" in (r.message or "")
    assert not r.weights


@pytest.mark.parametrize(("name", "constructions"), [("Plain", 1), ("Either", 3)])
def test_a_constructor_runs_once_unless_it_raised(monkeypatch: pytest.MonkeyPatch, name: str,
                                                  constructions: int) -> None:
    # Either: raises (1), tried with units=64 (2), then built with it (3)
    seen: list[str] = []
    instantiate = Interpreter.instantiate

    def spy(self: Interpreter, cls: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(cls.name)
        return instantiate(self, cls, *args, **kwargs)

    monkeypatch.setattr(Interpreter, "instantiate", spy)
    r = _results([f"tf.{name}"])[f"tf.{name}"]
    assert r.status == "resolved", r.message
    assert seen.count(name) == constructions
