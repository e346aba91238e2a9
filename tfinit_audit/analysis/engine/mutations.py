"""A module-level list, set or dict changed in place after its assignment, as Python runs it.

``_allowed_symbols = [...]`` and then ``_allowed_symbols.extend([...])`` at module level (TF
0.12-1.x ``tensorflow/python/__init__.py`` before its ``remove_undocumented`` call), or
``X = [...]`` and ``X += [...]``: the name's value at a line is the value its assignment made
with every such change before that line applied, in source order -- a method call on the name
(``append``, ``extend``, ``insert``, ``update``, ``setdefault`` ...) as a statement of its own,
or an augmented assignment. Each change is applied to a copy, so the value the name had before
the change stays what it was for the lines before it (and a list imported from another module
and changed here changes here only). A change the engine cannot make (an argument it cannot
evaluate, a method it does not model: ``sort``, ``set.add`` ...) leaves the value unknown, as
does a module-level loop whose text changes the name, or a change under an ``if`` whose test
cannot be decided. A subscript assignment ``X[k] = v`` as a statement of its own sets the key
of a dict or the index of a list the same way (a key that is not a plain constant, a slice, an
index out of range: unknown); any other statement starting ``X[...]`` (``X[k] += v``,
``X[k].append(v)``: a change of an element) leaves ``X`` unknown; ``del X[k]`` removes the key
or index (a missing one: unknown). ``__all__`` has its own reading (summaries.py). Not seen:
changes by a function called at module level.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from tfinit_audit.analysis.engine.copying import copy_container
from tfinit_audit.analysis.engine.frames import IMPORT, Raised, Undecidable
from tfinit_audit.analysis.engine.parsing import ast_parse
from tfinit_audit.analysis.engine.source import SourceModule
from tfinit_audit.analysis.engine.summaries import Binding
from tfinit_audit.analysis.engine.values import MISSING, Const, DictV, ModuleV, Seq, Unknown

# the methods of a list, set or dict that change it in place (engine/loops.py asks too)
MUTATORS = ("append", "extend", "insert", "update", "add", "setdefault", "remove", "discard",
            "pop", "clear", "sort", "reverse", "popitem")


def changes(src: SourceModule, name: str) -> list[Binding]:
    """The module-level statements of ``src`` that may change ``name`` in place (method-call
    statements on it, statements starting ``name[``; loops whose text has either), in source
    order; text only, read once per file and name. Empty without a parse when no line starts
    ``name.<mutator>(`` or ``name[``."""
    key = "mutations:" + name
    hit = src.derived.get(key)
    if hit is not None:
        return hit
    out: list[Binding] = []
    pattern = re.compile(rf"^[ \t]*(?:del\b[^\n#]*?(?<![\w.]))?{re.escape(name)}[ \t]*"
                         rf"(?:\.[ \t]*(?:{'|'.join(MUTATORS)})[ \t]*\(|\[)", re.M)
    if pattern.search(src.text):
        for b in src.full().bindings:
            if b.kind == "effect" and not b.handler and b.expr and pattern.search(b.expr):
                out.append(b)
    src.derived[key] = out
    return out


def _call_on(expr: str, name: str) -> tuple[ast.Call, str] | None:
    """``name.<mutator>(...)``, when that is the whole statement: the call and the method."""
    try:
        tree = ast_parse(expr.strip(), mode="eval")
    except SyntaxError:
        return None
    call = tree.body
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
            and isinstance(call.func.value, ast.Name) and call.func.value.id == name \
            and call.func.attr in MUTATORS:
        return call, call.func.attr
    return None


def _item_set(expr: str, name: str) -> tuple[ast.expr, ast.expr] | None:
    """``name[key] = value``, when that is the whole statement: the key and the value."""
    found = _item_statement(expr, name)
    if found is not None and isinstance(found[0], ast.Assign):
        return found[1], found[0].value
    return None


def _item_del(expr: str, name: str) -> ast.expr | None:
    """``del name[key]``, when that is the whole statement: the key."""
    found = _item_statement(expr, name)
    return found[1] if found is not None and isinstance(found[0], ast.Delete) else None


def _item_statement(expr: str, name: str) -> tuple[ast.stmt, ast.expr] | None:
    """An assignment or ``del`` whose one target is ``name[key]`` (not a slice), when that
    is the whole statement: the statement and the key."""
    try:
        tree = ast_parse(expr.strip())
    except SyntaxError:
        return None
    st = tree.body[0] if len(tree.body) == 1 else None
    targets = st.targets if isinstance(st, ast.Assign | ast.Delete) else []
    t = targets[0] if len(targets) == 1 else None
    if st is not None and isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) \
            and t.value.id == name and not isinstance(t.slice, ast.Slice):
        return st, t.slice
    return None


def _del_item(ns: Any, mod: ModuleV, line: int, out: Any, key_node: ast.expr) -> None:
    """``del out[key]`` as CPython would do it (a missing key or index: Undecidable -- the
    import would raise), or Undecidable."""
    key = ns.imports.eval_text(ast.unparse(key_node), mod, line)
    if not isinstance(key, Const):
        raise Undecidable(f"a key the engine cannot evaluate: {ast.unparse(key_node)}")
    index = key.value
    try:
        if isinstance(out, DictV):
            del out.items[index]
            return
        if isinstance(out, Seq) and out.kind == "list" and isinstance(index, int) \
                and not isinstance(index, bool):
            del out.items[index]
            return
    except (KeyError, IndexError, TypeError):
        pass
    raise Undecidable(f"del {out.describe()}[{index!r}]")


def _set_item(ns: Any, mod: ModuleV, line: int, out: Any, key_node: ast.expr,
              value_node: ast.expr) -> None:
    """``out[key] = value`` as CPython would do it, or Undecidable."""
    key = ns.imports.eval_text(ast.unparse(key_node), mod, line)
    value = ns.imports.eval_text(ast.unparse(value_node), mod, line)
    if not isinstance(key, Const):
        raise Undecidable(f"a key the engine cannot evaluate: {ast.unparse(key_node)}")
    if isinstance(out, DictV):
        try:
            out.items[key.value] = value
        except TypeError:  # unhashable
            raise Undecidable("an unhashable key") from None
        return
    index = key.value
    if isinstance(out, Seq) and out.kind == "list" and isinstance(index, int) \
            and not isinstance(index, bool) \
            and -len(out.items) <= index < len(out.items):
        out.items[index] = value
        return
    raise Undecidable(f"{out.describe()}[{index!r}] = ...")


def apply(ns: Any, mod: ModuleV, b: Binding, name: str, val: Any, before: int | None) -> Any:
    """``val``, the value binding ``b`` gave ``name`` in ``mod``, with the in-place changes
    after it and before line ``before`` (None: the module's end) applied."""
    if not isinstance(val, Seq | DictV):
        return val
    src = ns.it.sources.module(mod.path)
    if src is None:
        return val
    todo = [e for e in changes(src, name)
            if e.line > b.line and (before is None or e.line < before)]
    if not todo:
        return val
    out = copy_container(val)
    for e in todo:
        runs = ns.guard_state(mod, e)
        if runs is False:
            continue
        found = _call_on(e.expr or "", name)
        item = _item_set(e.expr or "", name) if found is None else None
        gone = _item_del(e.expr or "", name) if found is None and item is None else None
        if out is None or (found is None and item is None and gone is None) or runs is None:
            return Unknown(text=f"{name}, changed at module level by code the analysis does "
                                "not follow", module=mod.name, path=mod.path or "", line=e.line)
        try:
            if item is not None:
                _set_item(ns, mod, e.line, out, *item)
                ns.hop(mod.path, e.line, f"{name}[...] is set")
                continue
            if gone is not None:
                _del_item(ns, mod, e.line, out, gone)
                ns.hop(mod.path, e.line, f"{name}[...] is deleted")
                continue
            assert found is not None
            call, attr = found
            method = ns.it.getattr(out, attr, IMPORT)
            if method is MISSING:
                raise Undecidable(f"a method the engine does not model: {attr}")
            args = [ns.imports.eval_text(ast.unparse(a), mod, e.line) for a in call.args]
            kwargs = {k.arg: ns.imports.eval_text(ast.unparse(k.value), mod, e.line)
                      for k in call.keywords if k.arg}
            if len(kwargs) != len(call.keywords) or any(
                    isinstance(a, ast.Starred) for a in call.args):
                raise Undecidable("** or * arguments")
            ns.it.call(method, args, kwargs, mode=IMPORT)
        except (Raised, Undecidable, RecursionError):
            return Unknown(text=(e.expr or "").strip(), module=mod.name, path=mod.path or "",
                           line=e.line)
        ns.hop(mod.path, e.line, f"{name} is changed in place")
    return out


def augmented(ns: Any, mod: ModuleV, b: Binding, name: str) -> Any:
    """``name op= expr`` at module level: the value before the line combined with the
    expression's -- a list extended by any sequence (``+=`` on a list is ``extend``), else
    the binary operator (what ``op=`` does on immutable values)."""
    line = b.expr_line or b.line
    prev = ns.module_attr(mod, name, b.line)
    if prev is MISSING:
        return prev
    op = (b.attr or "?=")[:-1]
    try:
        if op == "+" and isinstance(prev, Seq) and prev.kind == "list":
            rhs = ns.imports.eval_text(b.expr or "", mod, line)
            if isinstance(rhs, Seq) and rhs.kind in ("list", "tuple"):
                return Seq(items=[*prev.items, *rhs.items], kind="list")
            raise Undecidable(f"list += {rhs.describe()}")
        if op == "?":
            raise Undecidable("an operator the summary does not name")
        return ns.imports.eval_text(f"({name}) {op} ({b.expr})", mod, line)
    except (Raised, Undecidable, RecursionError, SyntaxError):
        return Unknown(text=f"{name} {b.attr} {b.expr}", module=mod.name, path=mod.path or "",
                       line=b.line)
