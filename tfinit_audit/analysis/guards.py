"""A layer or function whose own code raised for what it was given, under a test of
parameters: which parameters that test names (what the symbol needs) -- the guards of
``analysis/layers.py``'s constructors, builds and calls."""

from __future__ import annotations

import ast

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.summaries import FunctionInfo
from tfinit_audit.analysis.engine.values import ClassV, FunctionV
from tfinit_audit.analysis.model import SuppliedArgument
from tfinit_audit.analysis.plans import Plan
from tfinit_audit.analysis.rules.inputs import parameters


def refused_by_guard(it: Interpreter, cls: ClassV, plan: Plan,
                      shape: list[int | None]) -> Plan | None:
    """A layer that created nothing because its own code raised for the input it was given,
    under a test of parameters nobody supplied (TF 1.x ``IntersectionRNNCell.call``:
    ``if input_size != self._num_units: if self._num_input_proj: ... else: raise
    ValueError``): those parameters are what the symbol needs, with the raise as the note.
    None when its code raised nothing, or the test names no parameter left to give."""
    own = {c.path for c in it.source_mro(cls)}
    given = {a.name for a in plan.supplied}
    for path, line, what in it.raised:
        if path not in own:
            continue
        # a parameter of the build or call that raised, named as such in the test, is its
        # input (TextVectorization.build's ``input_shape``, LSTMBlockWrapper.call's
        # ``dtype``), never a constructor argument to give
        guard = [p for p in guard_parameters(it, cls, path, line) if p not in given
                 and p not in _method_parameters(it, cls, path, line)]
        if not guard:
            return None
        shown = ", ".join("None" if d is None else str(d) for d in shape)
        return Plan(supplied=plan.supplied, missing=guard, notes=[
            f"its code raises {what} ({path}:{line}) for the input ({shown}) and the "
            "arguments given"])
    return None


def _method_parameters(it: Interpreter, cls: ClassV, path: str, line: int) -> set[str]:
    """The parameters of the method of ``cls``'s MRO containing ``path:line`` (none for a
    constructor: its parameters are the arguments)."""
    found = _method_at(it, cls, path, line)
    if found is None or found[1] is found[0].info.methods.get("__init__"):
        return set()
    c, info = found
    return set(parameters(FunctionV(src=c.src, info=info, owner=c)))


def _method_at(it: Interpreter, cls: ClassV, path: str, line: int
               ) -> tuple[ClassV, FunctionInfo] | None:
    """The class of ``cls``'s MRO defined in ``path`` and its method containing ``line``."""
    for c in it.source_mro(cls):
        if c.src.path != path:
            continue
        for info in c.info.methods.values():
            if info.line <= line <= info.end_line:
                return c, info
    return None


def guard_parameters(it: Interpreter, cls: ClassV, path: str, line: int) -> list[str]:
    """The parameters of the method of ``cls``'s MRO containing ``path:line`` that the tests
    of the ``if`` statements around that line (in their body or their ``else``) name, in
    signature order."""
    found = _method_at(it, cls, path, line)
    if found is None:
        return []
    c, info = found
    f = FunctionV(src=c.src, info=info, owner=c, modname=c.modname)
    node = f.node
    if node is None:
        return []
    mro = it.source_mro(cls)
    bases = mro[mro.index(c) + 1:] if c in mro else []
    names: set[str] = set()
    for n in _guards(node, line):
        names |= {x.id for x in ast.walk(n.test) if isinstance(x, ast.Name)}
        names |= {_param_of([c, *bases], x.attr) or "" for x in ast.walk(n.test)
                  if isinstance(x, ast.Attribute) and isinstance(x.value, ast.Name)
                  and x.value.id == "self"}
    params = parameters(f)[1:] if f.owner is not None else parameters(f)
    init = c.info.methods.get("__init__")
    if init is not None and init is not info:  # a helper of the constructor
        params += [p for p in parameters(FunctionV(src=c.src, info=init, owner=c))[1:]
                   if p not in params]
    elif init is info and isinstance(node, ast.FunctionDef) and (
            node.args.vararg is not None or node.args.kwarg is not None):
        # a constructor passing ``*args, **kwargs`` on: its bases' parameters are its own
        # (TF 2.4 rnn_cell_wrapper_v2.DropoutWrapper's ``cell``, set by a base)
        for b in bases:
            b_init = b.info.methods.get("__init__")
            if b_init is not None:
                params += [p for p in parameters(FunctionV(src=b.src, info=b_init, owner=b))[1:]
                           if p not in params]
    return [p for p in params if p in names]


def _guards(node: ast.AST, line: int) -> list[ast.If]:
    """The ``if`` statements of ``node`` with the ``raise`` at ``line`` in their body or
    their ``else``."""
    return [n for n in ast.walk(node) if isinstance(n, ast.If) and any(
        isinstance(r, ast.Raise) and r.lineno == line
        for r in ast.walk(ast.Module(body=n.body + n.orelse, type_ignores=[])))]


def function_refused(it: Interpreter, f: FunctionV, raised: list[tuple[str, int, str]],
                      supplied: list[SuppliedArgument]) -> Plan | None:
    """A function whose call created nothing because its own code raised, under a test of
    its parameters nobody gave (``if not (keras_model or keras_model_path): raise``): those
    parameters are what the symbol needs, with the raise as the note. None otherwise."""
    node, info = f.node, f.info
    if node is None or info is None:
        return None
    given = {a.name for a in supplied}
    for path, line, what in raised:
        if path != f.src.path or not info.line <= line <= info.end_line:
            continue
        names = {x.id for n in _guards(node, line) for x in ast.walk(n.test)
                 if isinstance(x, ast.Name)}
        guard = [p for p in parameters(f) if p in names and p not in given]
        if guard:
            return Plan(supplied=supplied, missing=guard, notes=[
                f"its code raises {what} ({path}:{line}) for the arguments given"])
        return None
    return None


def _param_of(classes: list[ClassV], attr: str) -> str | None:
    """The ``__init__`` parameter stored as ``self.<attr>`` (``self._n = n``) by the first of
    ``classes`` (a class, then its bases in MRO order) whose constructor stores it, if any."""
    for c in classes:
        info = c.info.methods.get("__init__")
        node = FunctionV(src=c.src, info=info, owner=c).node if info is not None else None
        if node is None:
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) and any(
                    isinstance(t, ast.Attribute) and t.attr == attr
                    and isinstance(t.value, ast.Name) and t.value.id == "self"
                    for t in n.targets):
                return n.value.id
    return None
