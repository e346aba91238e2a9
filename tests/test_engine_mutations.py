"""A module-level list, set or dict changed in place after its assignment (engine/mutations.py):
``X.extend(...)``/``X.append(...)``/``X.update(...)`` statements and ``X += ...`` apply, in
source order, to the value a later line reads -- and not to the value an earlier line read;
under a module-level ``if`` only when the guard holds; a change the engine cannot follow (a
loop, an argument it cannot evaluate) leaves the value unknown. ``X[k] = v`` sets a key or an
index the same way, ``del X[k]`` removes it; another statement starting ``X[`` leaves ``X``
unknown. Each known case is checked against CPython importing the same module. TF 0.12-1.x build
``remove_undocumented``'s allowed list so (``_allowed_symbols.extend([...])``)."""

from __future__ import annotations

from typing import Any

from engine_modules import cpython_of, plain
from engine_modules import interp as engine_interp

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Unknown

FILES = {
    "m/__init__.py": "",
    "m/lists.py": """
        NEW = True
        NAMES = ["a"]
        EARLY = tuple(NAMES)  # read before the changes: ("a",)
        NAMES.extend(["b", "c"])
        NAMES.append("d")
        NAMES.insert(0, "z")
        if NEW:
            NAMES.append("py3")
        else:
            NAMES.append("py2")
        NAMES += ("e",)
        LATE = tuple(NAMES)

        TABLE = {"x": 1}
        TABLE.update({"y": 2})
        TABLE.setdefault("z", 3)

        KINDS = {"a"}
        KINDS.add("b")

        COUNT = 1
        COUNT += 2

        LOOPED = []
        for _i in range(3):
            LOOPED.append(_i)


        def names():
            return tuple(NAMES)
        """,
    "m/items.py": """
        KEY = "k"
        TABLE = {"a": 1}
        BEFORE = dict(TABLE)
        TABLE["b"] = 2
        TABLE[KEY] = 3
        TABLE["a"] = TABLE["b"] + 10
        if KEY == "k":
            TABLE["t"] = "guarded"
        ORDER = ["x", "y", "z"]
        ORDER[0] = "first"
        ORDER[-1] = TABLE["b"]
        AFTER = dict(TABLE)

        GROWN = {"a": []}
        GROWN["a"].append(1)  # an element changed in place

        COUNTS = {"a": 1}
        COUNTS["a"] += 1

        SLICED = [1, 2, 3]
        SLICED[0:2] = [9]

        PRUNED = {"a": 1, "b": 2, "c": 3}
        del PRUNED["b"]
        SHORTER = ["x", "y", "z"]
        del SHORTER[-1]
        del SHORTER[0]
        """,
}


def interp() -> Interpreter:
    return engine_interp(FILES)


cpython = cpython_of(FILES)


def test_changes_apply_in_source_order_to_later_reads_only(cpython: Any) -> None:
    lists = cpython("m.lists")
    it = interp()
    assert lists.LATE == ("z", "a", "b", "c", "d", "py3", "e")
    assert plain(it.resolve("m.lists.LATE")) == lists.LATE
    assert plain(it.resolve("m.lists.EARLY")) == lists.EARLY == ("a",)
    assert plain(it.resolve("m.lists.NAMES")) == tuple(lists.NAMES)
    # a function reads the module's final value
    assert plain(it.call(it.resolve("m.lists.names"), [], {})) == lists.names()


def test_dicts_and_augmented_assignment(cpython: Any) -> None:
    lists = cpython("m.lists")
    it = interp()
    assert plain(it.resolve("m.lists.TABLE")) == lists.TABLE == {"x": 1, "y": 2, "z": 3}
    assert plain(it.resolve("m.lists.COUNT")) == lists.COUNT == 3


def test_a_change_the_engine_does_not_follow_leaves_the_value_unknown(cpython: Any) -> None:
    lists = cpython("m.lists")
    assert lists.LOOPED == [0, 1, 2]
    kinds = lists.KINDS
    assert kinds == {"a", "b"}
    assert isinstance(interp().resolve("m.lists.LOOPED"), Unknown)  # not [] (no guess)
    assert isinstance(interp().resolve("m.lists.KINDS"), Unknown)  # set.add: not modelled
    unreadable = {**FILES, "m/lists.py": FILES["m/lists.py"].replace(
        'NAMES.append("d")', "NAMES.append(compute())")}
    it = engine_interp(unreadable)
    assert isinstance(it.resolve("m.lists.LATE"), Unknown)
    assert plain(it.resolve("m.lists.EARLY")) == ("a",)  # before the change: still known
    undecided = {**FILES, "m/lists.py": FILES["m/lists.py"].replace("if NEW:", "if compute():")}
    it = engine_interp(undecided)
    assert isinstance(it.resolve("m.lists.LATE"), Unknown)  # one arm or the other: unknown


def test_subscript_assignments_set_keys_and_indices_in_source_order(cpython: Any) -> None:
    items = cpython("m.items")
    it = interp()
    assert plain(it.resolve("m.items.BEFORE")) == items.BEFORE == {"a": 1}
    assert items.AFTER == {"a": 12, "b": 2, "k": 3, "t": "guarded"}
    assert plain(it.resolve("m.items.AFTER")) == items.AFTER
    assert plain(it.resolve("m.items.TABLE")) == items.TABLE
    assert plain(it.resolve("m.items.ORDER")) == tuple(items.ORDER) == ("first", "y", 2)
    assert plain(it.resolve("m.items.PRUNED")) == items.PRUNED == {"a": 1, "c": 3}
    assert plain(it.resolve("m.items.SHORTER")) == tuple(items.SHORTER) == ("y",)


def test_an_element_changed_or_a_key_not_followed_leaves_the_container_unknown(
        cpython: Any) -> None:
    items = cpython("m.items")
    assert (items.GROWN, items.COUNTS, items.SLICED) == ({"a": [1]}, {"a": 2}, [9, 3])
    it = interp()
    for name in ("GROWN", "COUNTS", "SLICED"):  # not {"a": []}, {"a": 1}, [1, 2, 3]
        assert isinstance(it.resolve(f"m.items.{name}"), Unknown), name
    unreadable = {**FILES, "m/items.py": FILES["m/items.py"].replace(
        'TABLE["b"] = 2', "TABLE[compute()] = 2")}
    it = engine_interp(unreadable)
    assert isinstance(it.resolve("m.items.AFTER"), Unknown)
    assert plain(it.resolve("m.items.BEFORE")) == {"a": 1}
    out_of_range = {**FILES, "m/items.py": FILES["m/items.py"].replace(
        'ORDER[0] = "first"', 'ORDER[5] = "first"')}
    assert isinstance(engine_interp(out_of_range).resolve("m.items.ORDER"), Unknown)
    # a key not there: the import raises KeyError; the engine does not pretend it went on
    gone = {**FILES, "m/items.py": FILES["m/items.py"].replace('del PRUNED["b"]',
                                                               'del PRUNED["zz"]')}
    assert isinstance(engine_interp(gone).resolve("m.items.PRUNED"), Unknown)
    both = {**FILES, "m/items.py": FILES["m/items.py"].replace('del PRUNED["b"]',
                                                               'del KEY, PRUNED["b"]')}
    assert isinstance(engine_interp(both).resolve("m.items.PRUNED"), Unknown)
