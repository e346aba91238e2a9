"""Python's introspection of functions as the engine models it (engine/introspection.py), each
answer checked against CPython running the same module: ``f.__call__`` (a method-wrapper,
not a method), ``hasattr`` of a function decided by Python's function type unless a decorator
or the code set attributes on it, ``inspect.ismethod``, ``inspect.getargspec`` /
``getfullargspec`` (a bound method's receiver is among ``args``), and ``next(gen, default)``
of a generator expression. The helper ``arg_names`` is written the way library code asks a
callable for its parameter names (unwrap decorators, callables, partial-like objects)."""

from __future__ import annotations

import collections
import inspect
import textwrap
import types
from typing import Any

import pytest

from tfinit_audit.analysis.engine.frames import ABSTRACT, IMPORT, Raised
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, Seq, Unknown, Value
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

SOURCE = '''
import inspect


class Wrapping(object):
    def __init__(self, target, spec=None):
        self.target = target
        self.spec = spec


def wrap(target, wrapper, spec=None):
    setattr(wrapper, "_wrapping", Wrapping(target, spec))
    return wrapper


def unwrap(fn):
    found = []
    cur = fn
    while True:
        if isinstance(cur, Wrapping):
            found.append(cur)
        elif hasattr(cur, "_wrapping"):
            found.append(getattr(cur, "_wrapping"))
        else:
            break
        cur = found[-1].target
    return found, cur


def argspec(fn):
    found, target = unwrap(fn)
    return next((w.spec for w in found if w.spec is not None), inspect.getargspec(target))


def arg_names(fn):
    _, fn = unwrap(fn)
    if hasattr(fn, "__call__") and inspect.ismethod(fn.__call__):
        return tuple(argspec(fn.__call__).args)
    if hasattr(fn, "func") and hasattr(fn, "keywords") and hasattr(fn, "args"):
        return ("partial",)
    return tuple(argspec(fn).args)


class Cell(object):
    def call(self, inputs, state, scope=None):
        return inputs

    def plain(self, inputs):
        return inputs

    def __call__(self, x, y=2):
        return x


def plain(a, b=3, *rest, **kw):
    return a


def keyword_only(a, *, b=1):
    return a


def wrapped_plain():
    def inner(*args, **kwargs):
        return plain(*args, **kwargs)
    return wrap(plain, inner)


def with_attribute():
    def marked():
        return 1
    marked.flag = True
    return marked


def has_scope(fn):
    return "scope" in arg_names(fn)


def first_or(items, default):
    return next((x for x in items if x > 1), default)


def empty_generator_is_true():
    return bool(x for x in [])


def first_even(items):
    i = 0
    found = None
    while True:
        if i >= len(items):
            break
        if items[i] % 2:
            i += 1
            continue
        found = items[i]
        break
    else:
        found = "never"
    return found, i


def searched(items):
    for x in items:
        if x > 2:
            break
    else:
        return "none"
    return x


def loop_on(flag):
    n = 0
    while flag:
        n = 1
        break
    return n
'''


def interp() -> Interpreter:
    return Interpreter(MemoryTree({"pkg/__init__.py": "", "pkg/m.py": textwrap.dedent(SOURCE)}),
                       ENGINE_RULES)


ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")


def _getargspec(f: Any) -> ArgSpec:
    """``inspect.getargspec`` of Python 3.0-3.10 (the Python TF 1.x ran on; gone in 3.11)."""
    s = inspect.getfullargspec(f)
    if s.kwonlyargs or s.annotations:
        raise ValueError("Function has keyword-only parameters or annotations")
    return ArgSpec(s.args, s.varargs, s.varkw, s.defaults)


def python() -> dict[str, Any]:
    """The same module run by CPython."""
    mod = types.ModuleType("m")
    exec(compile(textwrap.dedent(SOURCE), "m.py", "exec"), mod.__dict__)  # noqa: S102
    mod.__dict__["inspect"] = types.SimpleNamespace(
        ismethod=inspect.ismethod, getfullargspec=inspect.getfullargspec,
        getargspec=_getargspec)
    return mod.__dict__


def py(v: Value) -> Any:
    return v.to_python()


@pytest.mark.parametrize("mode", [ABSTRACT, IMPORT])
def test_arg_names_of_methods_and_functions_as_python_gives_them(mode: Any) -> None:
    it, real = interp(), python()
    cell = it.call(it.resolve("pkg.m.Cell"), [], {})
    arg_names = it.resolve("pkg.m.arg_names")
    # a bound method: its __call__ is a method-wrapper (not a method), so argspec of itself
    for method, expected in (("call", ("self", "inputs", "state", "scope")),
                             ("plain", ("self", "inputs"))):
        got = it.call(arg_names, [it.getattr(cell, method)], {}, mode=mode)
        assert py(got) == expected == real["arg_names"](getattr(real["Cell"](), method))
    # a function; a function wrapped with an attribute naming its target
    got = it.call(arg_names, [it.resolve("pkg.m.plain")], {}, mode=mode)
    assert py(got) == ("a", "b") == real["arg_names"](real["plain"])
    wrapped = it.call(it.resolve("pkg.m.wrapped_plain"), [], {}, mode=mode)
    assert py(it.call(arg_names, [wrapped], {}, mode=mode)) == ("a", "b") \
        == real["arg_names"](real["wrapped_plain"]())
    # an object whose class defines __call__: its bound __call__ is a method. Abstract mode
    # does not decide that an object lacks an attribute (code it did not run may set it)
    got = it.call(arg_names, [cell], {}, mode=mode)
    if mode is IMPORT:
        assert py(got) == ("self", "x", "y") == real["arg_names"](real["Cell"]())
    else:
        assert isinstance(got, Unknown)


def test_the_branch_a_layer_takes_on_a_scope_parameter_is_decided() -> None:
    it, real = interp(), python()
    cell = it.call(it.resolve("pkg.m.Cell"), [], {})
    has_scope = it.resolve("pkg.m.has_scope")
    for method in ("call", "plain"):
        got = it.call(has_scope, [it.getattr(cell, method)], {})
        assert isinstance(got, Const)
        assert got.value is real["has_scope"](getattr(real["Cell"](), method))


def test_hasattr_of_a_function_by_its_type() -> None:
    it, real = interp(), python()
    hasattr_ = it.builtin("hasattr")
    cell = it.call(it.resolve("pkg.m.Cell"), [], {})
    values = {"plain": (it.resolve("pkg.m.plain"), real["plain"]),
              "bound": (it.getattr(cell, "call"), real["Cell"]().call)}
    for name in ("__call__", "__doc__", "__self__", "__func__", "_wrapping", "func", "args"):
        for engine_value, python_value in values.values():
            got = it.call(hasattr_, [engine_value, Const(value=name)], {})
            assert got.to_python() is hasattr(python_value, name), name
    # the method-wrapper has only its type's attributes
    wrapper = it.getattr(values["plain"][0], "__call__")
    for name in ("__call__", "__self__", "_wrapping", "__func__"):
        got = it.call(hasattr_, [wrapper, Const(value=name)], {})
        assert got.to_python() is hasattr(real["plain"].__call__, name), name


def test_hasattr_of_a_function_given_attributes() -> None:
    it, real = interp(), python()
    hasattr_ = it.builtin("hasattr")
    # ``marked.flag = True`` in the function that made it: that object has it, and nothing
    # else; the module's own function of that name could have any attribute its text sets
    marked = it.call(it.resolve("pkg.m.with_attribute"), [], {})
    for name in ("flag", "other"):
        got = it.call(hasattr_, [marked, Const(value=name)], {})
        assert got.to_python() is hasattr(real["with_attribute"](), name)
    assert py(it.getattr(marked, "flag")) is True
    tree = MemoryTree({"pkg/__init__.py": "", "pkg/d.py": textwrap.dedent('''
        def deco(f):
            return f

        @deco
        def decorated():
            return 1

        def patched():
            return 1

        patched.extra = 2

        class K(object):
            @staticmethod
            def static():
                return 1
        ''')})
    it3 = Interpreter(tree, ENGINE_RULES)
    hasattr3 = it3.builtin("hasattr")
    # a decorator may set any attribute; import-time code sets ``extra`` (not run here)
    for name, attr in (("decorated", "flag"), ("patched", "extra")):
        got = it3.call(hasattr3, [it3.resolve(f"pkg.d.{name}"), Const(value=attr)], {})
        assert isinstance(got, Unknown), name
    got = it3.call(hasattr3, [it3.resolve("pkg.d.patched"), Const(value="flag")], {})
    assert got.to_python() is False
    static = it3.getattr(it3.resolve("pkg.d.K"), "static")
    assert it3.call(hasattr3, [static, Const(value="flag")], {}).to_python() is False


def test_ismethod_and_argspecs() -> None:
    it = interp()
    cell = it.call(it.resolve("pkg.m.Cell"), [], {})
    ismethod = it.getattr(it.import_module("inspect"), "ismethod")
    plain = it.resolve("pkg.m.plain")
    bound = it.getattr(cell, "call")
    for v, expected in ((plain, False), (bound, True), (it.getattr(bound, "__call__"), False),
                        (cell, False), (it.resolve("pkg.m.Cell"), False), (Const(value=1), False)):
        assert it.call(ismethod, [v], {}).to_python() is expected
    assert isinstance(it.call(ismethod, [Unknown(text="x")], {}), Unknown)

    inspect_mod = it.import_module("inspect")
    spec = it.call(it.getattr(inspect_mod, "getargspec"), [plain], {})
    assert isinstance(spec, Seq) and spec.fields == ("args", "varargs", "keywords", "defaults")
    assert py(spec) == (("a", "b"), "rest", "kw", (3,))
    assert tuple(inspect.getfullargspec(python()["plain"]))[:4] == (["a", "b"], "rest", "kw",
                                                                  (3,))
    full = it.call(it.getattr(inspect_mod, "getfullargspec"),
                   [it.resolve("pkg.m.keyword_only")], {})
    assert isinstance(full, Seq) and py(it.getattr(full, "kwonlyargs")) == ("b",)
    assert py(it.getattr(full, "args")) == ("a",)
    # getargspec refuses keyword-only parameters, as Python's does
    with pytest.raises(Raised, match="ValueError"):
        it.call(it.getattr(inspect_mod, "getargspec"), [it.resolve("pkg.m.keyword_only")], {},
                mode=IMPORT)


def test_next_of_a_generator_expression() -> None:
    it, real = interp(), python()
    first_or = it.resolve("pkg.m.first_or")
    items = Seq(items=[Const(value=1), Const(value=5), Const(value=7)])
    got = it.call(first_or, [items, Const(value=0)], {})
    assert py(got) == 5 == real["first_or"]([1, 5, 7], 0)
    got = it.call(first_or, [Seq(items=[Const(value=1)]), Const(value=0)], {})
    assert py(got) == 0 == real["first_or"]([1], 0)
    # a generator is true even when it would yield nothing
    got = it.call(it.resolve("pkg.m.empty_generator_is_true"), [], {})
    assert py(got) is True is real["empty_generator_is_true"]()
    # next advances the iterator iter() makes; a list is not an iterator
    iterator = it.call(it.builtin("iter"), [Seq(items=[Const(value=1), Const(value=2)])], {})
    nxt = it.builtin("next")
    assert [py(it.call(nxt, [iterator], {})) for _ in range(2)] == [1, 2]
    with pytest.raises(Raised, match="StopIteration"):
        it.call(nxt, [iterator], {}, mode=IMPORT)
    with pytest.raises(Raised, match="TypeError"):
        it.call(nxt, [Seq(items=[Const(value=1)])], {}, mode=IMPORT)


@pytest.mark.parametrize("mode", [ABSTRACT, IMPORT])
def test_while_break_continue_and_loop_else(mode: Any) -> None:
    it, real = interp(), python()
    for items in ([1, 3, 4, 5], [1, 3], []):
        arg = Seq(items=[Const(value=x) for x in items])
        got = it.call(it.resolve("pkg.m.first_even"), [arg], {}, mode=mode)
        assert py(got) == real["first_even"](items)
        got = it.call(it.resolve("pkg.m.searched"), [arg], {}, mode=mode)
        assert py(got) == real["searched"](items)


def test_a_while_loop_on_an_unknown_test_forgets_what_it_assigns() -> None:
    it = interp()
    got = it.call(it.resolve("pkg.m.loop_on"), [Unknown(text="flag")], {})
    assert isinstance(got, Unknown)
    got = it.call(it.resolve("pkg.m.loop_on"), [Const(value=True)], {})
    assert py(got) == 1
