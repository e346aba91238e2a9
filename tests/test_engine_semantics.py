"""Python semantics the engine models for the coverage work (no network): ``dir()`` of a
module and of a module-like object through its ``__dir__``, ``dict(pairs)``, ``del d[key]``,
loops / ``enumerate`` over a known string (Keras parses einsum equations that way), and
which raises on decided paths leave a call (a raise a ``try`` of a caller catches does not),
``sorted``/``min``/``max`` with a ``key`` function."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

from tfinit_audit.analysis.engine.frames import IMPORT, Raised
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, DictV, Seq, Unknown
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

FILES = {
    "pkg/__init__.py": """
        from pkg.impl import A, helper
        from pkg.impl import *
        import pkg.sub
        _hidden = 1
        if False:
            never = 2
        """,
    "pkg/impl.py": """
        __all__ = ["A", "star_only"]

        class A(object):
            pass

        def helper():
            return 1

        star_only = 3
        not_exported = 4
        """,
    "pkg/sub.py": """
        import importlib


        class Loader(object):
            def __init__(self, name):
                self._name = name

            def __dir__(self):
                return dir(importlib.import_module(self._name))


        proxy = Loader("pkg.impl")


        def shapes(spec, dims):
            out = []
            for ch in spec:
                out.append(dims[ch])
            index = {c: i for i, c in enumerate(spec)}
            return out, index


        def trimmed():
            config = dict([("a", 1), ("b", 2)])
            del config["a"]
            return config


        def check(flag):
            if flag:
                raise ValueError("not with flag")
            return 1


        def can_use(flag):
            try:
                check(flag)
                return True
            except ValueError:
                return False


        def sorted_axes(axis, ndim):
            # Keras Normalization.build: negative axes sort as ndim + a
            return tuple(sorted(axis, key=lambda a: a if a >= 0 else ndim + a))


        def by_len(words, opaque):
            return (sorted(words, key=len, reverse=True), min(words, key=len),
                    max(words, key=lambda w: w[-1]), max([], key=len, default=0),
                    sorted(words, key=opaque))


        class Runner(object):
            def __init__(self, scale):
                self.scale = scale

            def call(self, x):
                return x * self.scale

            def traced(self):
                return self.call

            def run(self, eager, x):
                # Keras Layer.__call__: ``call_fn = self.call if eager else traced()``
                if eager:
                    call_fn = self.call
                else:
                    call_fn = self.traced()
                return call_fn(x)


        def other_receiver(eager):
            fn = Runner(2).call if eager else Runner(3).call
            return fn(1)


        from typing import NamedTuple


        class Attrs(NamedTuple):
            # tf_export's API_ATTRS values (TF 2.13+)
            names: str
            constants: str = "c"

            def both(self):
                return self.names + self.constants


        def attrs():
            a = Attrs("n")
            return a.names, a.constants, Attrs("n", "k")[1], a.both(), Attrs(constants="x",
                                                                              names="y").both()


        def either_tuple(flag):
            # the same tuple of values on either arm: known after the if
            if flag:
                t = (1, "a")
            else:
                t = (1, "a")
            return t


        def wrong_handler(flag):
            try:
                check(flag)
            except KeyError:
                return False
            return True
        """,
}


def interp() -> Interpreter:
    tree = MemoryTree({p: textwrap.dedent(t) for p, t in FILES.items()})
    return Interpreter(tree, ENGINE_RULES)


def names(v: object) -> list[object]:
    assert isinstance(v, Seq)
    return [i.value for i in v.items if isinstance(i, Const)]


def test_dir_of_a_module_lists_what_it_binds() -> None:
    it = interp()
    mod = it.import_module("pkg")
    got = names(it.call(it.builtin("dir"), [mod], {}, mode=IMPORT))
    # guarded-out names are not bound; star imports give __all__; private names are there
    assert got == ["A", "_hidden", "helper", "pkg", "star_only"]


def test_dir_of_a_module_like_object_asks_its_dunder_dir() -> None:
    it = interp()
    proxy = it.resolve("pkg.sub.proxy")
    got = names(it.call(it.builtin("dir"), [proxy], {}, mode=IMPORT))
    assert got == ["A", "__all__", "helper", "not_exported", "star_only"]


def test_loops_and_enumerate_over_a_known_string() -> None:
    it = interp()
    f = it.resolve("pkg.sub.shapes")
    out = it.call(f, [Const(value="bc"), DictV(items={"b": Const(value=32),
                                                      "c": Const(value=64)})], {})
    assert isinstance(out, Seq)
    shape, index = out.items
    assert names(shape) == [32, 64]
    assert isinstance(index, DictV) and {k: v.value for k, v in index.items.items()
                                         if isinstance(v, Const)} == {"b": 0, "c": 1}


def test_dict_of_pairs_and_del_of_a_key() -> None:
    it = interp()
    out = it.call(it.resolve("pkg.sub.trimmed"), [], {})
    assert isinstance(out, DictV) and list(out.items) == ["b"]


def test_a_raise_a_caller_catches_is_not_one_that_leaves_the_call() -> None:
    it = interp()
    it.call(it.resolve("pkg.sub.can_use"), [Const(value=True)], {})
    assert it.raised == []  # Keras BatchNormalization._fused_can_be_used
    it.call(it.resolve("pkg.sub.wrong_handler"), [Const(value=True)], {})
    assert [r[2] for r in it.raised] == ["ValueError: not with flag"]  # not a KeyError
    it.raised.clear()
    it.call(it.resolve("pkg.sub.check"), [Const(value=True)], {})
    assert len(it.raised) == 1


def test_sorted_min_max_with_a_key_function() -> None:
    it = interp()
    out = it.call(it.resolve("pkg.sub.sorted_axes"), [Seq(items=[Const(value=-1),
                                                                 Const(value=1)]),
                                                      Const(value=3)], {})
    assert names(out) == [1, -1]  # -1 sorts as 2
    words = Seq(items=[Const(value=w) for w in ("bb", "a", "ccc")])
    out = it.call(it.resolve("pkg.sub.by_len"), [words, Unknown(text="opaque")], {})
    assert isinstance(out, Seq)
    longest_first, shortest, last_letter, empty, opaque = out.items
    assert names(longest_first) == ["ccc", "bb", "a"]
    assert names(Seq(items=[shortest, last_letter, empty])) == ["a", "ccc", 0]
    assert isinstance(opaque, Unknown)  # a key that cannot be computed: not known


def test_an_index_past_a_known_sequence_raises_index_error_where_it_is_decided() -> None:
    # import mode (what runs at import time): Python's IndexError, which ``except
    # IndexError`` (and ``except LookupError``) catches -- not a KeyError
    tree = MemoryTree({"q/__init__.py": textwrap.dedent("""
        def first(axes):
            try:
                return axes[0]
            except IndexError:
                return -1

        def last():
            try:
                return (1, 2)[5]
            except LookupError:
                return -2

        def wrong():
            try:
                return (1, 2)[5]
            except KeyError:
                return -3
        """)})
    it = Interpreter(tree, ENGINE_RULES)
    empty = Seq(kind="tuple", items=[])
    got = [it.call(it.resolve("q.first"), [empty], {}, mode=IMPORT),
           it.call(it.resolve("q.last"), [], {}, mode=IMPORT)]
    assert [v.value if isinstance(v, Const) else v for v in got] == [-1, -2]
    try:
        it.call(it.resolve("q.wrong"), [], {}, mode=IMPORT)
    except Raised as exc:
        assert exc.message_line() == "IndexError: tuple index out of range"
    else:
        raise AssertionError("an IndexError caught as a KeyError")


def test_the_same_method_either_way_is_known_after_an_undecided_branch() -> None:
    # Python: a bound method equals another of the same function and receiver
    it = interp()
    runner = it.call(it.resolve("pkg.sub.Runner"), [Const(value=4)], {})
    run = it.getattr(runner, "run")
    out = it.call(run, [Unknown(text="eager"), Const(value=5)], {})
    assert isinstance(out, Const) and out.value == 20
    # other receivers: not the same call
    assert isinstance(it.call(it.resolve("pkg.sub.other_receiver"), [Unknown(text="e")], {}),
                      Unknown)


def test_a_typing_namedtuple_class_is_a_namedtuple_of_its_annotated_fields(
        tmp_path: Path) -> None:
    # ``class Attrs(NamedTuple): names: str; constants: str = "c"``, as CPython runs it
    src = tmp_path / "nt_mod.py"
    src.write_text(textwrap.dedent(FILES["pkg/sub.py"]))
    spec = importlib.util.spec_from_file_location("nt_mod", src)
    assert spec is not None and spec.loader is not None
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    expected = real.attrs()
    assert expected == ("n", "c", "k", "nc", "yx")
    it = interp()
    out = it.call(it.resolve("pkg.sub.attrs"), [], {}, mode=IMPORT)
    assert names(out) == list(expected)


def test_a_tuple_alike_on_both_arms_is_known_after_the_if() -> None:
    it = interp()
    out = it.call(it.resolve("pkg.sub.either_tuple"), [Unknown(text="flag")], {})
    assert names(out) == [1, "a"]
