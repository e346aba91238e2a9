"""Front end of the engine for layers: construct a class abstractly, run its ``build``, and
collect the weights it creates (or call a variable-creating function), with their
initializers, provenance and porting facts."""

from __future__ import annotations

import ast
import contextlib
from typing import Any

from tfinit_audit.analysis.engine.frames import ABSTRACT, EAGER, Frame, Raised
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.summaries import ast_parse
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    ModuleV,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Dims, Hop, SymbolResult
from tfinit_audit.analysis.rules import facts as facts_mod
from tfinit_audit.analysis.rules import sublayers
from tfinit_audit.analysis.rules.call_time import call_arguments, call_entry
from tfinit_audit.analysis.rules.inputs import input_shape_for, required_args
from tfinit_audit.analysis.rules.none_fallback import follow_none_initializer
from tfinit_audit.analysis.rules.values import TensorV
from tfinit_audit.analysis.rules.variable_scopes import VariableScopes
from tfinit_audit.analysis.rules.weights import Captured, WeightCollector, to_weights


def analyze_class(it: Interpreter, cls: ClassV, kwargs: dict[str, Any], dims: Dims,
                  result: SymbolResult) -> None:
    """The weights ``cls(**kwargs)`` creates in ``build``, and its porting facts."""
    shape = input_shape_for(it, cls, dims)
    obj, captured, bound = build_layer(it, cls, kwargs, dims, shape)
    result.weights = to_weights(it, captured)
    result.facts = facts_mod.collect(it, cls, obj, bound, result.weights)


def build_layer(it: Interpreter, cls: ClassV, kwargs: dict[str, Any], dims: Dims,
                input_shape: list[int | None]) -> tuple[Instance, list[Captured],
                                                        dict[str, Value]]:
    """Construct ``cls`` abstractly and run its build; the instance and captured weights."""
    scopes = VariableScopes()
    collector = WeightCollector(scopes)
    with it.hooks(collector, scopes, sublayers.LayerCalls(collector)):
        call_kwargs = _constructor_kwargs(it, cls, kwargs, dims)
        collector.active = False
        obj = it.instantiate(cls, [], call_kwargs, None)
        if isinstance(obj, Instance):
            it.force(obj)
        collector.active = True
        if not isinstance(obj, Instance):
            return Instance(cls=cls), [], call_kwargs
        collector.top = obj
        if len(input_shape) == 3:
            collector.step_shape = [input_shape[0], input_shape[2]]
        build = it.getattr(obj, "build")
        with contextlib.suppress(Raised):  # what the layer made before it raised stands
            if isinstance(build, FunctionV):
                # one shape per required parameter: Keras 3 passes each call argument's
                # shape to ``build(query_shape, value_shape)``; the documented input for each
                n = sublayers.required_positional(build)
                done = it.call(build, [_shape(input_shape)] * n, {})
                if not collector.captured and isinstance(done, Unknown) and _raised(done):
                    obj = _build_on_unknown_rank(it, cls, call_kwargs, collector, done,
                                                 input_shape)
            sublayers.build_from_signature(it, obj, _shape(input_shape), collector)
            _build_cells(it, obj, collector, input_shape)
            if not collector.captured:
                _call_once(it, obj, input_shape)
            sublayers.build_unbuilt(it, obj, collector)
        sublayers.name_weights(it, obj, collector.captured)
    return obj, collector.captured, call_kwargs


def _raised(v: Unknown) -> bool:
    """A call's result on a path that ended in a ``raise`` of the called function (the
    engine keeps where)."""
    return bool(v.path) and v.line > 0


def _build_on_unknown_rank(it: Interpreter, cls: ClassV, call_kwargs: dict[str, Value],
                           collector: WeightCollector, rejected: Unknown,
                           input_shape: list[int | None]) -> Instance:
    """The layer's own checks rejected the documented input before it created a weight (a
    rank it does not take: ``if len(input_shape) != 3: raise ValueError``). A fresh instance
    is built on an input of unknown rank instead, so that such checks cannot decide: the
    weights are found, with the shapes that do not depend on the input, and each says which
    line rejected the documented one."""
    collector.active = False
    obj = it.instantiate(cls, [], call_kwargs, None)
    if not isinstance(obj, Instance):
        return Instance(cls=cls)
    it.force(obj)
    collector.active = True
    collector.top = obj
    build = it.getattr(obj, "build")
    if isinstance(build, FunctionV):
        it.call(build, [Unknown(text="input_shape")] * sublayers.required_positional(build),
                {})
    src = it.module_source(rejected.path)
    if src is None or not collector.captured:
        return obj
    shown = ", ".join("None" if d is None else str(d) for d in input_shape)
    hop = src.hop(rejected.line, f"the layer rejects the input shape ({shown}) here; "
                                 f"weights as created for an input of unknown rank")
    for c in collector.captured:
        c.hops.insert(1, hop)
    return obj


def _call_once(it: Interpreter, obj: Instance, input_shape: list[int | None]) -> None:
    """A layer whose build created nothing is called on the input (and a cell on its zero
    state): TF 0.12-1.4 cells create their variables in the call (rules/call_time.py)."""
    fn = call_entry(it, obj)
    if fn is None:
        return
    step = [input_shape[0], *input_shape[2:]] if len(input_shape) == 3 else input_shape
    inputs = TensorV(shape=list(step))
    it.call(fn, call_arguments(it, fn, obj, inputs), {}, mode=EAGER)


def _constructor_kwargs(it: Interpreter, cls: ClassV, kwargs: dict[str, Any],
                        dims: Dims) -> dict[str, Value]:
    """The spec's arguments, plus required parameters filled from the run's dims."""
    call_kwargs: dict[str, Value] = {k: _const(v) for k, v in kwargs.items()}
    ctor = it.getattr(cls, "__init__")
    node = ctor.node if isinstance(ctor, FunctionV) else None
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        req = required_args(dims)
        a = node.args
        pos = [x.arg for x in [*a.posonlyargs, *a.args]][1:]
        ndef = len(a.defaults)
        for name in pos[: len(pos) - ndef] if ndef else pos:
            if name not in call_kwargs and name in req:
                call_kwargs[name] = _const(req[name])
    return call_kwargs


def _build_cells(it: Interpreter, obj: Instance, collector: WeightCollector,
                 input_shape: list[int | None]) -> None:
    """Sub-layers (an RNN's cell) whose build was not reached: build them on the step input."""
    built = {id(c.owner) for c in collector.captured}
    for attr, sub in list(obj.attrs.items()):
        if not isinstance(sub, Instance) or attr not in ("cell", "_cell"):
            continue
        it.force(sub)
        if id(sub) in built:
            continue
        sb = it.getattr(sub, "build")
        if isinstance(sb, FunctionV):
            it.call(sb, [_shape([input_shape[0], *input_shape[2:]])], {})


def analyze_function(it: Interpreter, f: FunctionV, kwargs: dict[str, Any], dims: Dims,
                     result: SymbolResult) -> None:
    """A function that creates variables: ``tf.get_variable``-like ones (first parameter
    ``name``) are asked for ``"v"`` of shape ``[input_dim, units]``; others (``tf.layers.dense``,
    ``tf.contrib.layers.fully_connected``) are called on an input tensor with their required
    arguments, and the variables the call creates are the weights."""
    node = f.node
    assert node is not None
    params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]] \
        if not isinstance(node, ast.Lambda) else []
    if params[:1] != ["name"]:
        _call_creating_function(it, f, params, kwargs, dims, result)
        return
    call = ast_parse(f'{f.name}("v", shape=[input_dim, units])', mode="eval").body
    assert isinstance(call, ast.Call)
    frame = Frame(mod=ModuleV(name=f.module, path=f.src.path), src=f.src, locals={},
                  mode=ABSTRACT, func_name="user code")
    hop = Hop(package=f.src.package, path=f.src.path, line=node.lineno,
              code=f.src.code(node.lineno),
              note=f'user calls {f.name}("v", shape=[input_dim, units]) with no initializer')
    call_kwargs: dict[str, Value] = {
        "shape": Seq(items=[Const(value=dims.input_dim), Const(value=dims.units)]),
        **{k: Const(value=v) for k, v in kwargs.items()}}
    value = call_kwargs.get("initializer", Const(value=None))
    hops = [hop]
    fallback = isinstance(value, Const) and value.value is None
    if fallback:
        value, more = follow_none_initializer(it, f, [Const(value="v")], call_kwargs,
                                              (frame, call))
        hops.extend(more or [])
        hops.extend(value.hops)
    captured = [Captured(name="v", shape=[dims.input_dim, dims.units],
                         shape_expr="[input_dim, units]", init_value=value, fallback=fallback,
                         hops=hops, condition=None, owner=None)]
    result.weights = to_weights(it, captured)


def _call_creating_function(it: Interpreter, f: FunctionV, params: list[str],
                            kwargs: dict[str, Any], dims: Dims, result: SymbolResult) -> None:
    node = f.node
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    required = params[: len(params) - len(node.args.defaults)]
    table = required_args(dims)
    call_kwargs: dict[str, Value] = {k: _const(v) for k, v in kwargs.items()}
    args: list[Value] = []
    missing: list[str] = []
    for i, p in enumerate(required):
        if p in call_kwargs:
            continue
        if i == 0:
            args.append(TensorV(shape=[None, dims.input_dim]))  # what the function is applied to
        elif p in table:
            call_kwargs[p] = _const(table[p])
        else:
            missing.append(p)
    if missing:
        result.status = "partial"
        result.message = f"required arguments not in the table: {', '.join(missing)}"
        return
    scopes = VariableScopes()
    collector = WeightCollector(scopes)
    with it.hooks(collector, scopes), contextlib.suppress(Raised):
        it.call(f, args, call_kwargs, mode=EAGER)
    result.weights = to_weights(it, collector.captured)


def _shape(dims: list[int | None]) -> Seq:
    return Seq(items=[Const(value=d) for d in dims], kind="tuple")


def _const(v: Any) -> Value:
    if isinstance(v, tuple | list):
        return Seq(items=[_const(i) for i in v])
    if isinstance(v, dict):
        return DictV(items={k: _const(i) for k, i in v.items()})
    return Const(value=v)
