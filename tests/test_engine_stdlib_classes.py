"""``collections.namedtuple`` and ``functools.partial`` as the engine models them (no
network): TF 1.x keeps its RNN configs and LSTM states in namedtuples (``LSTMStateTuple``
derives from one and adds a property), and hands getters on through ``functools.partial``."""

from __future__ import annotations

import textwrap

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, Seq, Value
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

FILES = {
    "pkg/__init__.py": "",
    "pkg/states.py": """
        import collections
        import functools
        from collections import namedtuple

        _StateTuple = collections.namedtuple("StateTuple", ("c", "h"))
        Config = namedtuple("Config", "num_dims, dims units")


        class StateTuple(_StateTuple):
            __slots__ = ()

            @property
            def width(self):
                return self.c + self.h


        def sizes():
            s = StateTuple(64, h=32)
            return s.c, s.h, s[1], s.width, sum(s), isinstance(s, tuple), \\
                isinstance(s, StateTuple)


        def config():
            conf = Config(num_dims=2, dims=[0, 1], units=8)
            return conf.dims, conf._replace(units=16).units, len(conf)


        def scaled(x, factor=1, offset=0):
            return x * factor + offset


        def bound():
            double = functools.partial(scaled, factor=2)
            return double(5), double(5, factor=3), functools.partial(scaled, 1, offset=4)()
        """,
}


def interp() -> Interpreter:
    tree = MemoryTree({p: textwrap.dedent(t) for p, t in FILES.items()})
    return Interpreter(tree, ENGINE_RULES)


def values(v: Value) -> list[object]:
    assert isinstance(v, Seq)
    return [i.to_python() if isinstance(i, Const | Seq) else i for i in v.items]


def test_a_namedtuple_subclass_is_a_tuple_with_fields_and_its_own_members() -> None:
    it = interp()
    out = it.call(it.resolve("pkg.states.sizes"), [], {})
    assert values(out) == [64, 32, 32, 96, 96, True, True]


def test_namedtuple_fields_as_one_string_and_replace() -> None:
    it = interp()
    out = it.call(it.resolve("pkg.states.config"), [], {})
    assert values(out) == [(0, 1), 16, 3]


def test_functools_partial_stores_arguments_and_keywords() -> None:
    it = interp()
    out = it.call(it.resolve("pkg.states.bound"), [], {})
    assert values(out) == [10, 15, 5]
