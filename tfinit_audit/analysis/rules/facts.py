"""Porting facts and runtime adjustments, read from the layer's ``call`` (the TF 0.x cells'
``__call__``) and constructor.

Each fact is one rule (a function with the convention in its docstring), run in the order of
``FACT_RULES`` on the constructed layer -- or on its cell, for RNN layers -- after its build:

- ``gate_order``: the names a ``split`` of the kernel (or of the pre-activation) is unpacked
  into inside ``call`` (TF1 ``i, j, f, o = array_ops.split(...)``, Keras ``k_i, k_f, k_c, k_o``);
- ``activation`` / ``recurrent_activation`` / ``reset_after``: instance attributes set by
  ``__init__`` (TF1 cells apply ``sigmoid`` to the gates directly in ``call``);
- ``forget_bias``: a constructor value that ``call`` adds to one of the gates (a runtime
  adjustment of the bias weight, not stored in it).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.parsing import node_fact
from tfinit_audit.analysis.engine.source import SourceModule
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    FunctionV,
    Instance,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import RuntimeAdjustment, Weight


def _methods(
    it: Interpreter, cls: ClassV, names: tuple[str, ...]
) -> list[tuple[SourceModule, ast.FunctionDef]]:
    """The source methods of ``cls`` named ``names``. ``call`` stands for the method that runs
    a call of the layer: ``call`` where the class has one (Keras, ``tf.layers``, TF 1.x cells
    from 1.2 on, whose ``Layer.__call__`` runs it), else -- or when a class nearer ``cls``
    defines ``__call__`` -- the class's ``__call__`` (the TF 0.x cells and 1.4
    ``LSTMBlockCell``, whose ``__call__`` is the step itself): the method rules/call_time.py
    runs."""
    out = []
    for n in names:
        found = it.member(cls, n)
        if n == "call" and _overrides_call(it, cls, found):
            found = it.member(cls, "__call__")
        if found and isinstance(found[1], FunctionV):
            node = found[1].node
            if isinstance(node, ast.FunctionDef):
                out.append((found[0].src, node))
    return out


def _overrides_call(it: Interpreter, cls: ClassV, call: Any) -> bool:
    """A call of the object runs its ``__call__`` rather than ``call``: there is no source
    ``call``, or a class nearer ``cls`` in the MRO than ``call``'s defines ``__call__`` (TF 1.4
    ``LSTMBlockCell.__call__`` over the base ``Layer.call``: the step is written in it)."""
    if not _source_method(call):
        return True
    dunder = it.member(cls, "__call__")
    if dunder is None or not _source_method(dunder):
        return False
    order = [id(c) for c in it.source_mro(cls)]
    mine, theirs = id(dunder[0]), id(call[0])
    return mine in order and theirs in order and order.index(mine) < order.index(theirs)


def _source_method(found: Any) -> bool:
    return bool(found) and isinstance(found[1], FunctionV) \
        and isinstance(found[1].node, ast.FunctionDef)


_CALL_METHODS = ("call", "_compute_carry_and_output", "_compute_carry_and_output_fused", "step")


def _loc(mod: SourceModule, line: int) -> dict[str, Any]:
    return {"package": mod.package, "path": mod.path, "line": line, "code": mod.code(line)}


def gate_order(it: Interpreter, cls: ClassV) -> dict[str, Any] | None:
    """Unpacking of a 3- or 4-way (or 2-way) ``split`` in ``call``; prefer splits of a kernel."""
    best: tuple[int, tuple[str, ...], SourceModule, int] | None = None
    for mod, fn in _methods(it, cls, _CALL_METHODS):
        found = node_fact(fn, "split_unpacking", _split_unpacking)
        if found is not None and (best is None or found[0] > best[0]):
            best = (found[0], found[1], mod, found[2])
    if best is None:
        return _slice_order(it, cls)
    _, names, mod, line = best
    return {"value": [n.rsplit("_", 1)[-1] for n in names], **_loc(mod, line)}


def _split_unpacking(fn: ast.AST) -> tuple[int, tuple[str, ...], int] | None:
    """The best unpacking of a ``split`` in ``fn`` (score, names, line; the first of the
    highest score; a split of a kernel scores higher), a fact kept on the node."""
    best: tuple[int, tuple[str, ...], int] | None = None
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        t = node.targets[0]
        if not (isinstance(t, ast.Tuple) and all(isinstance(x, ast.Name) for x in t.elts)):
            continue
        v = node.value
        if not (isinstance(v, ast.Call) and ast.unparse(v.func).split(".")[-1] == "split"):
            continue
        names = tuple(x.id for x in t.elts)  # type: ignore[attr-defined]
        if len(names) < 2:
            continue
        src = ast.unparse(v.args[0]) if v.args else ast.unparse(v)
        score = (2 if "kernel" in src else 1) * 10 + len(names)
        if best is None or score > best[0]:
            best = (score, names, node.lineno)
    return best


def _slice_order(it: Interpreter, cls: ClassV) -> dict[str, Any] | None:
    """Keras 2.0-style cells: ``self.kernel_i = self.kernel[:, :self.units]`` in column order."""
    for mod, fn in _methods(it, cls, ("build", *_CALL_METHODS)):
        names, first = node_fact(fn, "kernel_slices", _kernel_slices)
        if len(names) >= 2:
            return {"value": list(names), **_loc(mod, first)}
    return None


def _kernel_slices(fn: ast.AST) -> tuple[tuple[str, ...], int]:
    """The gates ``fn`` slices out of ``self.kernel`` by column (``self.kernel_i =
    self.kernel[:, :self.units]``), in order, and the line of the first (kept on the node)."""
    names: list[str] = []
    first = 0
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        for v in ast.walk(node.value):
            if isinstance(v, ast.Subscript) and ast.unparse(v.value) == "self.kernel":
                sl = v.slice
                if isinstance(sl, ast.Tuple) and len(sl.elts) == 2 \
                        and isinstance(sl.elts[1], ast.Slice):
                    t = ast.unparse(node.targets[0]).split(".")[-1]
                    names.append(t.rsplit("_", 1)[-1])
                    first = first or node.lineno
                    break
    return tuple(names), first


def _describe_callable(v: Value) -> str | None:
    if isinstance(v, FunctionV):
        return v.name
    if isinstance(v, Const):
        return None if v.value is None else str(v.value)
    if isinstance(v, ClassV):
        return v.name
    if isinstance(v, Instance):
        return v.cls.name
    return None


def attr_fact(
    it: Interpreter, obj: Instance, names: tuple[str, ...], bound: dict[str, Value], param: str
) -> dict[str, Any] | None:
    for n in names:
        if n in obj.attrs:
            v = obj.attrs[n]
            desc = _describe_callable(v)
            if desc is None and isinstance(v, Unknown | Instance):
                # e.g. activations.get('tanh'): report the identifier the constructor passed
                arg = bound.get(param)
                if isinstance(arg, Const) and isinstance(arg.value, str):
                    desc = arg.value
            hop = obj.attr_lines.get(n)
            out: dict[str, Any] = {"value": desc}
            if hop is not None:
                out.update(
                    {"package": hop.package, "path": hop.path, "line": hop.line, "code": hop.code}
                )
            return out
    return None


def hardcoded_recurrent_activation(
    it: Interpreter, cls: ClassV, gates: list[str]
) -> dict[str, Any] | None:
    """TF1 cells apply ``sigmoid(...)`` to gates directly in ``call``."""
    for mod, fn in _methods(it, cls, ("call",)):
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                fname = ast.unparse(node.func).split(".")[-1]
                if fname == "sigmoid" and node.args:
                    used = {n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name)}
                    if used & set(gates):
                        return {"value": "sigmoid", **_loc(mod, node.lineno)}
    return None


def forget_bias(
    it: Interpreter, cls: ClassV, obj: Instance, gates: list[str] | None
) -> RuntimeAdjustment | None:
    """A constructor value (``self._forget_bias``) that ``call`` adds to a gate pre-activation,
    or hands to the op that computes the step as its ``forget_bias=`` (the fused
    ``LSTMBlockCell`` kernels of ``tf.contrib.rnn``, whose op adds it to the forget gate)."""
    attr = next((a for a in ("_forget_bias", "forget_bias") if a in obj.attrs), None)
    if attr is None:
        return None
    val = obj.attrs[attr]
    if (
        not isinstance(val, Const)
        or not isinstance(val.value, int | float)
        or isinstance(val.value, bool)
    ):
        return None
    for mod, fn in _with_helpers(it, cls, _methods(it, cls, ("call",))):
        derived = {f"self.{attr}"}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and f"self.{attr}" in ast.unparse(node.value):
                derived |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        found = _added(fn, derived, gates) or _passed(fn, derived)
        if found is not None:
            line, applies_to = found
            return RuntimeAdjustment(kind="forget_bias", value=val.value, applies_to=applies_to,
                                     path=mod.path, line=line, package=mod.package)
    return None


def _with_helpers(it: Interpreter, cls: ClassV,
                  methods: list[tuple[SourceModule, ast.FunctionDef]]
                  ) -> list[tuple[SourceModule, ast.FunctionDef]]:
    """``methods`` and, after them, the methods of ``cls`` they call on ``self``
    (``self._call_cell(...)``: ``LSTMBlockWrapper.call`` runs the fused cell's step in
    ``LSTMBlockFusedCell._call_cell``), each once."""
    out = list(methods)
    seen = {id(fn) for _, fn in out}
    for _, fn in methods:
        for node in ast.walk(fn):
            f = node.func if isinstance(node, ast.Call) else None
            if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and f.value.id == "self"):
                continue
            for found in _methods(it, cls, (f.attr,)) if f.attr != "call" else []:
                if id(found[1]) not in seen:
                    seen.add(id(found[1]))
                    out.append(found)
    return out


def _added(fn: ast.FunctionDef, derived: set[str],
           gates: list[str] | None) -> tuple[int, str] | None:
    """``f + self._forget_bias`` (or ``add(f, ...)``) in ``fn``: its line and the gate."""
    for node in ast.walk(fn):
        pair: tuple[ast.expr, ast.expr] | None = None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            pair = (node.left, node.right)
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).split(".")[-1] == "add"
            and len(node.args) == 2
        ):
            pair = (node.args[0], node.args[1])
        if pair is None:
            continue
        hit = [i for i, x in enumerate(pair) if ast.unparse(x) in derived]
        if not hit:
            continue
        other = pair[1 - hit[0]]
        names = [n.id for n in ast.walk(other) if isinstance(n, ast.Name)]
        gate = next((n for n in names if gates and n in gates), names[0] if names else "?")
        idx = gates.index(gate) if gates and gate in gates else None
        where = f"gate {gate!r}" + (
            f" (block {idx} of {len(gates)} in the kernel/bias columns)"
            if idx is not None and gates
            else ""
        )
        return getattr(node, "lineno", 0), f"{where}: added to the pre-activation in " \
            "call(), not stored in the variable"
    return None


def _passed(fn: ast.FunctionDef, derived: set[str]) -> tuple[int, str] | None:
    """``op(..., forget_bias=self._forget_bias)`` in ``fn``: its line and the op."""
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        kw = next((k for k in node.keywords if k.arg == "forget_bias"
                   and ast.unparse(k.value) in derived), None)
        if kw is not None:
            op = ast.unparse(node.func)
            return kw.value.lineno, f"the forget gate: passed to {op}() as forget_bias, " \
                "which adds it to the pre-activation; not stored in the variable"
    return None


@dataclass
class FactContext:
    """What the fact rules read: the layer (or its cell), its constructor arguments, the
    weights found, and the facts collected so far (written in place)."""

    it: Interpreter
    cls: ClassV
    obj: Instance
    bound: dict[str, Value]
    weights: list[Weight]
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def gates(self) -> list[str] | None:
        go = self.facts.get("gate_order")
        return go["value"] if go else None


def gate_order_fact(ctx: FactContext) -> None:
    """Gate order of a recurrent cell: the unpacking of a ``split`` in ``call`` (a kernel's
    split preferred), else the column slices of ``self.kernel`` (Keras 2.0 cells)."""
    go = gate_order(ctx.it, ctx.cls)
    if go:
        ctx.facts["gate_order"] = go


def activation_fact(ctx: FactContext) -> None:
    """``self.activation`` / ``self._activation`` as ``__init__`` sets it."""
    act = attr_fact(ctx.it, ctx.obj, ("activation", "_activation"), ctx.bound, "activation")
    if act:
        ctx.facts["activation"] = act


def recurrent_activation_fact(ctx: FactContext) -> None:
    """``self.recurrent_activation`` (Keras), or the ``sigmoid`` TF 1.x cells apply to the
    gates in ``call``."""
    ract = attr_fact(ctx.it, ctx.obj, ("recurrent_activation", "_recurrent_activation"),
                     ctx.bound, "recurrent_activation")
    if ract is None and ctx.gates:
        ract = hardcoded_recurrent_activation(ctx.it, ctx.cls, ctx.gates)
    if ract:
        ctx.facts["recurrent_activation"] = ract


def reset_after_fact(ctx: FactContext) -> None:
    """Keras GRU ``reset_after`` (and with it the bias layout: ``[2, 3 * units]`` when
    true)."""
    ra = attr_fact(ctx.it, ctx.obj, ("reset_after", "_reset_after"), ctx.bound, "reset_after")
    if not ra:
        return
    v = ctx.obj.attrs.get("reset_after", ctx.obj.attrs.get("_reset_after"))
    ra["value"] = v.value if isinstance(v, Const) else ra["value"]
    ctx.facts["reset_after"] = ra
    bias = next((w for w in ctx.weights if w.name.endswith("bias")), None)
    if bias is not None:
        ctx.facts["bias_shape"] = {"value": bias.shape, "shape_expr": bias.shape_expr}


def forget_bias_fact(ctx: FactContext) -> None:
    """TF 1.x ``BasicLSTMCell``/``LSTMCell`` add ``forget_bias`` (default 1.0) to the forget
    gate inside ``call()``; it is not in the stored bias: a runtime adjustment of it."""
    fb = forget_bias(ctx.it, ctx.cls, ctx.obj, ctx.gates)
    if fb is None:
        return
    ctx.facts["forget_bias"] = {"value": fb.value, "path": fb.path, "line": fb.line,
                                "package": fb.package}
    tgt = _gate_bias(ctx.weights)
    if tgt is not None:
        tgt.runtime_adjustments.append(fb)


def _gate_bias(weights: list[Weight]) -> Weight | None:
    """The bias the gates' pre-activations get: the weight named ``bias`` (any case: the 0.x
    ``Linear/Bias``), else the 1-D weight as wide as a 2-D kernel's columns (0.x ``LSTMCell``'s
    ``B`` beside ``W_0``; not a peephole vector), else the first weight."""
    named = next((w for w in weights if w.name.lower().endswith("bias")), None)
    if named is not None:
        return named
    widths = {w.shape[-1] for w in weights if w.shape is not None and len(w.shape) == 2}
    return next((w for w in weights if w.shape is not None and len(w.shape) == 1
                 and w.shape[0] in widths), weights[0] if weights else None)


FACT_RULES: list[Callable[[FactContext], None]] = [
    gate_order_fact,
    activation_fact,
    recurrent_activation_fact,
    reset_after_fact,
    forget_bias_fact,
]


def collect(
    it: Interpreter, cls: ClassV, obj: Instance, bound: dict[str, Value], weights: list[Weight]
) -> dict[str, Any]:
    """Facts for one layer; RNN layers (``self.cell``) report the facts of their cell."""
    ctx = FactContext(it, cls, obj, bound, weights)
    cell = obj.attrs.get("cell") or obj.attrs.get("_cell")
    if isinstance(cell, Instance) and isinstance(cell.cls, ClassV):
        ctx.cls, ctx.obj = cell.cls, cell
        ctx.facts["cell"] = cell.cls.name
    for rule in FACT_RULES:
        rule(ctx)
    return ctx.facts
