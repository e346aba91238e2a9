"""What a layer is called on, for layers that create variables when called.

TF 0.12-1.4 RNN cells (and many ``tf.contrib`` cells after) create their variables in the call,
through helpers (``_linear``) and ``get_variable`` under ``variable_scope``s; their ``build``
creates nothing. Such a layer is called once, abstractly, on a tensor of the documented input
shape and, for a cell, on the zero state its ``state_size`` describes.
"""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    FunctionV,
    Instance,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.rules.values import TensorV

_STATE_PARAMS = ("state", "states", "initial_state")


def call_entry(it: Any, obj: Instance) -> FunctionV | None:
    """The method that runs a call of ``obj``: ``call`` when its class has one (Keras and
    ``tf.layers`` ``Layer.__call__`` set up the layer's scope and run ``call``), else the
    class's own ``__call__`` (0.x cells) -- also when a class before the one defining
    ``call`` in the MRO overrides ``__call__`` (a TF 1.x cell wrapper's ``__call__`` runs its
    cell's ``__call__``; a Keras metric's runs ``update_state``). None when neither is source
    code."""
    if not isinstance(obj.cls, ClassV):
        return None
    found = {name: it.member(obj.cls, name) for name in ("call", "__call__")}
    order = ("call", "__call__")
    mro = it.source_mro(obj.cls)
    where = {name: next((i for i, c in enumerate(mro) if name in c.info.methods), None)
             for name in order}
    if where["__call__"] is not None and (where["call"] is None
                                          or where["__call__"] < where["call"]):
        order = ("__call__", "call")
    for name in order:
        hit = found[name]
        if hit is not None and isinstance(hit[1], FunctionV) and hit[1].node is not None:
            return hit[1].with_receiver(obj)
    return None


def step_input(it: Any, obj: Instance, shape: list[int | None]) -> list[int | None]:
    """The input a call of ``obj`` gets for the layer's input ``shape``: a cell (``state_size``)
    is called on one step of a sequence (its time axis dropped), any other layer on it."""
    return [shape[0], *shape[2:]] if len(shape) == 3 and is_cell(it, obj) else list(shape)


def is_cell(it: Any, obj: Instance) -> bool:
    """An RNN cell: its class has ``state_size`` (the RNNCell contract)."""
    return isinstance(obj.cls, ClassV) and it.member(obj.cls, "state_size") is not None


def call_arguments(it: Any, fn: FunctionV, obj: Instance, inputs: TensorV,
                   first: Value | None = None) -> list[Value]:
    """Positional arguments for ``fn``: the input tensor first, a cell's zero state for a
    ``state`` parameter -- and, for a cell (``state_size``), for the second parameter whatever
    its name: the RNNCell contract is ``cell(inputs, state)``, positionally (``rnn.py``:
    ``static_rnn``'s ``cell(input_, state)``), and a cell may name it otherwise (1.x
    ``GRUBlockCell.__call__(self, x, h_prev)``) -- the input tensor again for other
    parameters without a default; a function taking only ``*args`` gets the input tensor
    alone. ``first``: what the first parameter gets instead of the input tensor (a tuple of
    tensors, rules/tuple_inputs.py); the state is still the input's."""
    node = fn.node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    a = node.args
    params = [p.arg for p in [*a.posonlyargs, *a.args]][1:]
    required = len(params) - len(a.defaults)
    out: list[Value] = []
    if not params and a.vararg is not None:
        # ``__call__(self, *args, **kwargs)`` hands its arguments on (a Keras metric's to
        # ``update_state(values)``): the input tensor is its one positional argument
        return [inputs]
    cell = is_cell(it, obj)
    for i, p in enumerate(params):
        if i == 0:
            out.append(inputs if first is None else first)
        elif p in _STATE_PARAMS or (cell and i == 1):
            out.append(zero_state(it, obj, inputs))
        elif i < required:
            # another tensor the call requires (Keras MultiHeadAttention.call(query, value)):
            # the documented input too, as for each shape its build takes
            out.append(TensorV(shape=list(inputs.shape), dtype=inputs.dtype))
        else:
            break
    return out


def zero_state(it: Any, obj: Instance, inputs: TensorV) -> Value:
    """The state tensors a cell is called on, from its ``state_size`` (an int, a tuple, or a
    namedtuple of sizes such as ``LSTMStateTuple(c, h)``)."""
    try:
        size = it.getattr(obj, "state_size")
    except Exception:  # noqa: BLE001 - an unknown state is a state of unknown shape
        return Unknown(text="state")
    return _tensors(size, inputs)


def _tensors(size: Any, inputs: TensorV) -> Value:
    batch = inputs.shape[0] if inputs.shape else None
    if isinstance(size, Const) and isinstance(size.value, int) and not isinstance(size.value,
                                                                                bool):
        return TensorV(shape=[batch, size.value], dtype=inputs.dtype)
    if isinstance(size, Seq):
        return Seq(items=[_tensors(s, inputs) for s in size.items], kind="tuple")
    if isinstance(size, Instance) and size.pending is not None:
        args, kwargs, _ = size.pending  # a namedtuple of sizes: its fields, in order
        if not kwargs:
            return Seq(items=[_tensors(s, inputs) for s in args], kind="tuple")
    return Unknown(text="state")


class CellOutputs(Rule):
    """The TF 1.x ``RNNCell`` contract: ``cell(inputs, state)`` returns ``(output,
    new_state)`` where ``output`` is ``[batch, cell.output_size]`` (``rnn_cell_impl.RNNCell``
    documents it; ``MultiRNNCell.call`` feeds each cell's output to the next one as its
    input). The call runs as written (the cell's ``__call__`` opens its scope and creates its
    variables); when the framework code it goes through leaves the output unknown, it is a
    tensor of that shape, so the next cell of a stack is built on it. Added for one layer
    with the weight collector."""

    name = "cell-outputs"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        cell, args = site.callee, site.args
        if not isinstance(cell, Instance) or not isinstance(cell.cls, ClassV) or len(args) < 2 \
                or not isinstance(args[0], TensorV) or it.member(cell.cls, "__call__") is None \
                or it.member(cell.cls, "output_size") is None \
                or it.member(cell.cls, "state_size") is None:
            return None
        out = it.call(cell, args, site.kwargs, (site.frame, site.node))
        if isinstance(out, Seq) and len(out.items) == 2 and isinstance(out.items[0], TensorV):
            return out
        try:
            size = it.getattr(cell, "output_size")
        except Exception:  # noqa: BLE001 - a property the analysis cannot run
            return out
        output = _tensors(size, args[0])
        if isinstance(output, Unknown):
            return out
        state = out.items[1] if isinstance(out, Seq) and len(out.items) == 2 else Unknown(
            text="new state")
        return Seq(items=[output, state], kind="tuple")
