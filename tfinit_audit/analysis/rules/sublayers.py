"""Weights made by sub-layers: a Keras layer whose ``build`` (or first ``call``) constructs
other layers owns their weights, named under each sub-layer's name.

Keras tracks a layer assigned to an attribute of another layer (``self._query_dense =
EinsumDense(..., name="query")``); the sub-layer's variables are the parent's weights and are
named with the sub-layer's name as a scope (``multi_head_attention/query/kernel``; the
report drops the parent's own scope as it does for every weight: ``query/kernel``). When the
parent's ``build`` builds the sub-layer itself (Keras 3 ``MultiHeadAttention.build`` calls
``self._query_dense.build(query_shape)``), the collector sees its weights being created.
Otherwise Keras builds it when the parent's ``call`` first calls it (Keras 2.x: ``call`` runs
``self._build_from_signature(query, value, key)`` once, which constructs the ``EinsumDense``
sub-layers; their ``build`` runs inside ``self._query_dense(query)``): those sub-layers are
built here, on an input whose shape the analysis does not compute (the shapes that depend on it
stay unknown). An RNN's ``cell`` is not a named sub-layer: its weights are the RNN's own
(analysis/layers.py builds it on the per-step input)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules import shapes
from tfinit_audit.analysis.rules.values import TensorV

if TYPE_CHECKING:
    from tfinit_audit.analysis.rules.weights import Captured, WeightCollector


class LayerCalls(Rule):
    """Keras ``Layer.__call__`` builds a layer the first time it is called, on its input's
    shape (``_maybe_build(inputs)``: ``self.build(input_shapes)``), in every Keras release: a
    sub-layer the parent's ``call`` calls on a tensor of known shape (``self._query_dense(
    query)``, Keras 2.x ``MultiHeadAttention``) is built on that shape. The call's output is
    not modelled. Not inside a ``variable_scope`` the layer's code opened (TF 1.x graph code,
    ``MultiRNNCell``'s ``cell_0``): there the layer's own ``__call__`` opens its scope before it
    builds (``cell_0/lstm_cell/kernel``) and gives the next cell its output, so it runs as
    written. Added for one layer with the weight collector."""

    name = "layer-calls"

    def __init__(self, collector: WeightCollector) -> None:
        self.collector = collector

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        sub, args = site.callee, site.args
        c = self.collector
        if not c.active or not isinstance(sub, Instance) or sub is c.top \
                or not args or not isinstance(args[0], TensorV) or not is_layer(it, sub):
            return None
        if (c.scopes is not None and c.scopes.current.path) or overrides_call(it, sub):
            # TF 1.x graph code (inside ``variable_scope("cell_0")``), or a layer whose class
            # has a ``__call__`` of its own: that ``__call__`` opens its scope and builds;
            # the engine runs it as written
            return None
        built = sub.attrs.get("built")
        shape = Seq(items=[Const(value=d) for d in args[0].shape], kind="tuple")
        if id(sub) in {id(x.owner) for x in c.captured} or (
                isinstance(built, Const) and built.value is True):
            return output_of(it, sub, shape, args[0].dtype)
        build = it.getattr(sub, "build")
        if isinstance(build, FunctionV):
            before = len(c.captured)
            it.call(build, [shape] * required_positional(build), {})
            hop = site.frame.hop(site.node.lineno, f"{site.frame.func_name}: calling "
                                                   f"{sub.cls.name} on {args[0].describe()} "
                                                   f"builds it")
            for x in c.captured[before:]:
                x.hops.insert(1, hop)
            sub.attrs["built"] = Const(value=True)
        return output_of(it, sub, shape, args[0].dtype)


def output_of(it: Any, sub: Instance, shape: Seq, dtype: str) -> Value:
    """What calling the built layer ``sub`` on an input of ``shape`` returns, as far as its
    shape goes: the layer's own ``compute_output_shape`` (Keras ``Layer`` contract; the
    generic one of the class that defines ``add_weight`` -- the base ``Layer``, which traces
    the call -- is not used), when it gives every axis as a number or None. So the next layer
    the parent's call applies to that output is built on its shape (Keras 2
    ``MultiHeadAttention``: ``_output_dense`` on the attention output)."""
    unknown = Unknown(text=f"output of {sub.cls.name}")
    if not isinstance(sub.cls, ClassV):
        return unknown
    own = it.member(sub.cls, "compute_output_shape")
    base = it.member(sub.cls, "add_weight")
    if own is None or not isinstance(own[1], FunctionV) or (
            base is not None and own[0] is base[0]):
        return unknown
    try:
        out = it.call(own[1].with_receiver(sub), [shape], {})
    except Exception:  # noqa: BLE001 - an output the analysis cannot compute is unknown
        return unknown
    if isinstance(out, Seq) and all(isinstance(d, Const) and (
            d.value is None or (isinstance(d.value, int) and not isinstance(d.value, bool)))
            for d in out.items):
        return TensorV(shape=[d.value for d in out.items if isinstance(d, Const)],
                       dtype=dtype)
    return unknown

CELL_ATTRS = ("cell", "_cell")  # an RNN's cell: its weights are the RNN's own
SIGNATURE_BUILDER = "_build_from_signature"
_MAX_DEPTH = 4


@dataclass
class Step:
    """One attribute on the way from a layer to a sub-layer it holds."""

    attr: str
    obj: Instance
    hop: Hop | None  # the line that assigned it to the holder
    index: str | None = None  # the list index (dict key) when the attribute holds several


def overrides_call(it: Any, sub: Instance) -> bool:
    """The layer's class has a ``__call__`` other than the one of the base class that gives
    layers their weights (``add_weight``/``add_variable``, ``weights``): TF 1.x
    ``RNNCell.__call__`` opens the cell's variable scope and runs ``call``, where the cell
    makes its variables (``DropoutWrapper.__call__`` calls ``self._cell(inputs, state)``)."""
    if not isinstance(sub.cls, ClassV):
        return False
    own = it.member(sub.cls, "__call__")
    base = next((found for m in ("add_weight", "add_variable", "weights", "variables")
                 if (found := it.member(sub.cls, m)) is not None), None)
    return own is not None and base is not None and own[0] is not base[0]


def is_layer(it: Any, obj: Value) -> bool:
    """An instance of a source class with both ``build`` and ``add_weight`` (a Keras/TF
    layer), or with ``weights`` or ``variables`` (what the live probe looks at to name a
    variable by its owner), decided from its class (nothing is constructed to ask)."""
    if not isinstance(obj, Instance) or not isinstance(obj.cls, ClassV):
        return False
    return all(it.member(obj.cls, m) is not None for m in ("build", "add_weight")) or any(
        it.member(obj.cls, m) is not None for m in ("weights", "variables"))


def build_from_signature(it: Any, obj: Instance, shape: Value,
                         collector: WeightCollector) -> None:
    """Keras 2.x ``MultiHeadAttention`` builds its sub-layers in ``_build_from_signature``,
    which its ``call`` runs once (``if not self._built_from_signature``) with the query, value
    and key: run it with the input for each of its required parameters, unless the layer's
    ``build`` already did."""
    f = it.getattr(obj, SIGNATURE_BUILDER)
    if not isinstance(f, FunctionV) or f.node is None:
        return
    done = obj.attrs.get("_built_from_signature")
    if isinstance(done, Const) and done.value is True:
        return
    it.call(f, [shape] * required_positional(f), {})


def required_positional(f: FunctionV) -> int:
    """How many positional parameters of a bound method have no default."""
    node = f.node
    if node is None:
        return 0
    a = node.args
    pos = [*a.posonlyargs, *a.args][1 if f.bound is not None else 0:]
    return max(1, len(pos) - len(a.defaults))


def build_unbuilt(it: Any, top: Instance, collector: WeightCollector,
                  constructed: frozenset[int] | set[int] = frozenset()) -> None:
    """Sub-layers the top layer made while it was built (not those its constructor made:
    ``constructed``, ids) that created no weight yet and are not marked built: built as the
    top layer's ``call`` would build them, on an input of unknown shape (or the input it was
    declared for: ``_declared_input``). A sub-layer the
    constructor made and ``build`` left alone is not one the call builds (Keras 2.x
    ``Bidirectional`` keeps the layer it was given unbuilt beside its two copies)."""
    made = {id(c.owner) for c in collector.captured}
    for steps in sublayer_paths(it, top):
        sub = steps[-1].obj
        if id(sub) in made or id(sub) in constructed or any(s.attr in CELL_ATTRS
                                                            for s in steps):
            continue
        built = sub.attrs.get("built")
        if isinstance(built, Const) and built.value is True:
            continue
        build = it.getattr(sub, "build")
        if not isinstance(build, FunctionV):
            continue
        before = len(collector.captured)
        declared = _declared_input(sub)
        given: Value = Unknown(text="input_shape") if declared is None else declared
        if declared is not None and isinstance(sub.cls, ClassV):
            given = shapes.build_input(it, sub.cls, build, declared)
        it.call(build, [given] * required_positional(build), {})
        made.add(id(sub))
        h = steps[-1].hop
        if h is None:
            continue
        how = "input shape unknown" if declared is None else (
            "on the input shape its input_shape argument declares: ("
            + ", ".join("None" if not isinstance(d, Const) or d.value is None
                        else str(d.value) for d in declared.items) + ")")
        hop = Hop(h.package, h.path, h.line, h.code,
                  f"{h.note}; built when {top.cls.name}.call first calls it ({how})")
        for c in collector.captured[before:]:
            c.hops.insert(1, hop)


def _declared_input(sub: Instance) -> Seq | None:
    """The input a Keras layer was declared for: ``Layer.__init__`` keeps its
    ``input_shape=`` / ``batch_input_shape=`` argument as ``_batch_input_shape`` (the batch
    size first; Keras' ``Sequential`` makes its ``Input`` of that shape): the call built on
    an input of unknown shape otherwise. None unless every dimension is a number or None."""
    v = sub.attrs.get("_batch_input_shape")
    if not isinstance(v, Seq) or v.fields is not None or not v.items or not all(
            isinstance(d, Const) and (d.value is None or (isinstance(d.value, int)
                                                          and not isinstance(d.value, bool)))
            for d in v.items):
        return None
    return Seq(items=list(v.items), kind="tuple")


def name_weights(it: Any, top: Instance, captured: list[Captured]) -> None:
    """Prefix each weight a sub-layer made with the names of the sub-layers on the way from
    the top layer, and add the lines that put each sub-layer there. A sub-layer is named by
    the name its constructor was given when the analysis knows it as a string (Keras names
    its variables under it: ``query/kernel``), else by the attribute that holds it (leading
    underscores dropped, a list item by its index: ``forward_layer/kernel``,
    ``cells/0/kernel``); a recurrent layer's cell is left out (its weights are the
    layer's). A weight already named by variable scopes (``cell_0/lstm_cell/kernel``, TF 1.x
    call time) keeps that name, as TensorFlow gives it."""
    paths = {id(steps[-1].obj): steps for steps in sublayer_paths(it, top)}
    for c in captured:
        if c.owner is None or c.owner is top or "/" in c.name:
            continue
        steps = paths.get(id(c.owner))
        if steps is None:
            continue
        names = [step_name(it, s) for s in steps if s.attr not in CELL_ATTRS]
        if names:
            c.name = "/".join([*names, c.name])
        seen = {(h.path, h.line) for h in c.hops}
        more = [s.hop for s in steps if s.hop is not None and s.attr not in CELL_ATTRS
                and (s.hop.path, s.hop.line) not in seen]
        c.hops[1:1] = more


def step_name(it: Any, step: Step) -> str:
    """One component of a sub-layer weight's name: the sub-layer's known name, else its
    attribute (``_cells`` -> ``cells``) and list index."""
    name = layer_name(it, step.obj)
    if name:
        return name
    attr = step.attr.lstrip("_") or step.attr
    return f"{attr}/{step.index}" if step.index is not None else attr


def layer_name(it: Any, obj: Instance) -> str | None:
    """The name the layer was given by name where it was constructed (``EinsumDense(...,
    name="query")``, ``EinsumDense(..., name=name)`` with a known string), which Keras names
    its variables under. A name the layer got otherwise is not used: one Keras makes up
    (``lstm``, made unique per process: ``lstm_1``), or a config's passed through
    ``**config`` (``"forward_" + layer.name``), changes with what else was built."""
    given = (obj.named_kwargs or {}).get("name")
    if isinstance(given, Const) and isinstance(given.value, str) and given.value:
        return given.value
    return None


def sublayer_paths(it: Any, top: Instance) -> list[list[Step]]:
    """Every layer reachable from ``top`` through attributes (and lists/dicts in them), each
    once, with the first path found to it: breadth first over public attributes (in sorted
    order), then over all attributes for the layers not found yet -- the order the live probe
    walks a built layer in (live/probe.py ``sub_layers``)."""
    out: list[list[Step]] = []
    found = {id(top)}
    for public_only in (True, False):
        seen = {id(top)}
        frontier: list[tuple[Instance, list[Step]]] = [(top, [])]
        for _ in range(_MAX_DEPTH):
            nxt: list[tuple[Instance, list[Step]]] = []
            for holder, path in frontier:
                for attr, index, item in _children(it, holder, public_only):
                    if id(item) in seen:
                        continue
                    seen.add(id(item))
                    steps = [*path, Step(attr, item, holder.attr_lines.get(attr), index)]
                    if id(item) not in found:
                        found.add(id(item))
                        out.append(steps)
                    nxt.append((item, steps))
            frontier = nxt
    return out


def _children(it: Any, holder: Instance, public_only: bool
              ) -> list[tuple[str, str | None, Instance]]:
    """(attribute, list index or dict key, layer) of the layers ``holder`` holds: attributes
    holding one layer first, then lists and dicts (a framework's tracking list of every
    sub-layer does not name one an attribute names), each group in sorted order."""
    out: list[tuple[str, str | None, Instance]] = []
    for attr in sorted(holder.attrs, key=lambda a: (
            isinstance(holder.attrs[a], Seq | DictV), a)):
        if attr.startswith("__") or (public_only and attr.startswith("_")):
            continue
        v = holder.attrs[attr]
        items: list[tuple[str | None, Value]]
        if isinstance(v, Seq):
            items = [(str(i), x) for i, x in enumerate(v.items)]
        elif isinstance(v, DictV):
            items = [(str(k), x) for k, x in v.items.items()]
        else:
            items = [(None, v)]
        out.extend((attr, index, x) for index, x in items
                   if isinstance(x, Instance) and is_layer(it, x))
    return out
