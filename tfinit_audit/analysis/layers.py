"""Front end of the engine for layers: construct a class abstractly with the arguments of the
table (analysis/arguments.py), build it on an input of the rank it declares, and collect the
weights it creates (or call a variable-creating function), with their initializers,
provenance and porting facts.

Wrappers get their inner layer or cell from the table (``layer``/``cell``/``cells``: a class
of the wrapper's own public namespace), built first; weights created by a sub-layer are named
by rules/sublayers.py (the sub-layer's name when known, else the attribute that holds it:
``query/kernel``, ``forward_layer/kernel``), except a recurrent layer's ``cell``, whose
weights are the layer's own (Keras ``RNN.weights`` are its cell's).
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tfinit_audit.analysis import arguments as table
from tfinit_audit.analysis import inner_choice, refused_inputs
from tfinit_audit.analysis.engine.frames import (
    ABSTRACT,
    EAGER,
    BudgetExceeded,
    Frame,
    Raised,
    Refusal,
)
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.parsing import ast_parse
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    DictV,
    FunctionV,
    GeneratorV,
    Instance,
    ModuleV,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.guards import (
    function_refused,
    guard_parameters,
    refused_by_guard,
)
from tfinit_audit.analysis.inner_names import lookup
from tfinit_audit.analysis.model import Dims, Hop, SuppliedArgument, SymbolResult, Weight
from tfinit_audit.analysis.plans import Plan, ends, needs_args
from tfinit_audit.analysis.refused_defaults import constructor_of, refused_default
from tfinit_audit.analysis.refused_inputs import FEATURES
from tfinit_audit.analysis.rules import facts as facts_mod
from tfinit_audit.analysis.rules import inner_raises, metrics, shapes, sublayers, tuple_inputs
from tfinit_audit.analysis.rules.call_time import (
    CellOutputs,
    call_arguments,
    call_entry,
    step_input,
)
from tfinit_audit.analysis.rules.inputs import (
    RANKS,
    BuildRanks,
    RankHint,
    SubLayerRanks,
    constructor_requirements,
    input_rank,
    input_shape,
    parameters,
    required_parameters,
    signature_of,
)
from tfinit_audit.analysis.rules.none_fallback import follow_none_initializer
from tfinit_audit.analysis.rules.op_checks import OpChecks
from tfinit_audit.analysis.rules.values import TensorV
from tfinit_audit.analysis.rules.variable_scopes import VariableScopes
from tfinit_audit.analysis.rules.weights import Captured, WeightCollector, to_weights

# public name -> the class it leads to in this release, or why not (one line)
ResolveInner = Callable[[str], "ClassV | str"]
MAX_INNER_DEPTH = 3
RECURRENT_CELL_ATTRS = sublayers.CELL_ATTRS  # an RNN layer's cell: its weights are the layer's


# ----------------------------------------------------------------------------- arguments
def plan_arguments(it: Interpreter, required: list[str], spec_kwargs: dict[str, Any],
                   dims: Dims, namespace: str, resolve: ResolveInner | None,
                   depth: int = 0, owner: ClassV | None = None,
                   refused: dict[str, str] | None = None) -> Plan:
    """The spec's arguments, plus each ``required`` parameter from the table; an inner
    layer/cell entry (given or from the table) is resolved in ``namespace`` and built (the
    table's next choice when the checks of ``owner``, the wrapper, refuse it, or when
    ``refused`` says why the first choice cannot be built inside it)."""
    plan = Plan()
    values = dims.arguments
    defaults = Dims().arguments
    for name, v in spec_kwargs.items():
        _supply(it, plan, name, v, "symbol", dims, namespace, resolve, depth)
    for name in required:
        if name in spec_kwargs:
            continue
        if name not in values or table.kind_of(name) == "input":
            plan.missing.append(name)
            continue
        origin = "table" if name in defaults and defaults[name] == values[name] else "--dim"
        _supply(it, plan, name, values[name], origin, dims, namespace, resolve, depth, owner,
                (refused or {}).get(name))
    return plan


def _supply(it: Interpreter, plan: Plan, name: str, v: Any, origin: str, dims: Dims,
            namespace: str, resolve: ResolveInner | None, depth: int,
            owner: ClassV | None = None, refused: str | None = None) -> None:
    if table.kind_of(name) == "inner" and (isinstance(v, table.Inner | str) or (
            isinstance(v, tuple | list) and v and all(isinstance(x, str) for x in v))):
        try:
            inner = table.to_inner(v, f"{name}=")
        except table.ArgumentError as exc:
            plan.missing.append(name)
            plan.notes.append(str(exc))
            return
        entry = table.BY_NAME.get(name)
        elsewhere = entry.default.elsewhere if entry is not None and isinstance(
            entry.default, table.Inner) else ()
        built = [_inner(it, ref, dims, namespace, resolve, depth, elsewhere)
                 for ref in inner.names]
        if owner is not None and inner.instead and not inner.many:
            built = inner_choice.accepted(
                it, owner, name, inner, built, refused,
                lambda ref: _inner(it, ref, dims, namespace, resolve, depth))
        problems = [b for b in built if isinstance(b, str)]
        if problems:
            plan.missing.append(name)
            plan.notes.extend(problems)
            return
        objs = [b[0] for b in built if not isinstance(b, str)]
        plain = [b[1] for b in built if not isinstance(b, str)]
        plan.kwargs[name] = Seq(items=list(objs)) if inner.many else objs[0]
        plan.supplied.append(SuppliedArgument(name, plain if inner.many else plain[0], origin))
        return
    plan.kwargs[name] = _const(v)
    plan.supplied.append(SuppliedArgument(name, table.plain(v), origin))


def _inner(it: Interpreter, ref: str, dims: Dims, namespace: str,
           resolve: ResolveInner | None, depth: int, elsewhere: tuple[str, ...] = ()
           ) -> tuple[Value, dict[str, Any]] | str:
    """Build the inner layer ``ref`` (``LSTM``, ``tf.keras.layers.GRU[units=8]``): a
    relative name in the wrapper's ``namespace``, else in the first of ``elsewhere`` that
    has it (noted in what the symbol was built with)."""
    if resolve is None or depth >= MAX_INNER_DEPTH:
        return f"{ref}: inner layers nested too deep"
    found = lookup(ref, namespace, elsewhere, resolve)
    if isinstance(found, str):
        return found
    cls, spec, note = found
    required = class_requirements(it, cls)
    plan = plan_arguments(it, required, spec.kwargs, dims,
                          spec.name.rpartition(".")[0], resolve, depth + 1)
    if plan.missing:
        return (f"{spec.name} needs {', '.join(plan.missing)}"
                + (f" ({'; '.join(plan.notes)})" if plan.notes else ""))
    obj = it.instantiate(cls, [], plan.kwargs, None)
    if isinstance(obj, Instance):
        it.force(obj)
    plain: dict[str, Any] = {"symbol": spec.display(), "arguments": [
        {"name": a.name, "value": a.value, "source": a.source} for a in plan.supplied],
        **({"note": note} if note is not None else {})}
    return obj, plain


def class_requirements(it: Interpreter, cls: ClassV) -> list[str]:
    """Required constructor parameters of ``cls`` (with those forwarded to its base)."""
    found = it.member(cls, "__init__")
    if found is None or not isinstance(found[1], FunctionV):
        return []
    return constructor_requirements(it, found[1])


# ----------------------------------------------------------------------------- classes
def analyze_class(it: Interpreter, cls: ClassV, kwargs: dict[str, Any], dims: Dims,
                  result: SymbolResult, namespace: str = "",
                  resolve: ResolveInner | None = None, derived: Refusal | None = None) -> None:
    """The weights ``cls(**kwargs)`` creates in ``build``, and its porting facts. The input
    rank is the one the layer declares (rules/inputs.py); with none declared, the first of
    the candidate ranks on which every weight gets a concrete shape. An input TensorFlow
    refuses (a broadcast of the build's tensors) is not answered: the layer is built again
    on the input the refusal asks for, else it is ``needs-args`` (analysis/refused_inputs.py;
    ``derived``: the refusal that made this the second build)."""
    asked = dict(kwargs)
    required = class_requirements(it, cls)
    plan = plan_arguments(it, required, kwargs, dims, namespace, resolve, owner=cls)
    if ends(result, plan):
        return
    r0 = len(it.refusals)
    made = _construct(it, cls, plan.kwargs)
    first: Made | None = made  # the object the first build takes
    if made.raised:  # not that object: the arguments change, or the symbol ends here
        del it.raised[made.raised_from:]
        kwargs, plan, first = _guarded_arguments(it, cls, required, kwargs, plan, dims,
                                                 namespace, resolve, made.raised)
        if ends(result, plan):
            return
        r0 = first.refusals_from if first is not None else len(it.refusals)
    search = Search(it, cls, required, kwargs, dims, namespace, resolve, plan, made=first)
    best, hint, mismatch = search.run(1)
    if not best[1]:  # nothing made: the inner layer may be one the wrapper cannot build
        why = inner_raises.refused_inner(
            it, cls, {n: v for n, v in plan.kwargs.items() if table.kind_of(n) == "inner"},
            search.escapes)
        if why:
            again = plan_arguments(it, required, kwargs, dims, namespace, resolve, owner=cls,
                                   refused=why)
            if not again.missing:
                plan = again
                result.arguments = plan.supplied
                search = Search(it, cls, required, kwargs, dims, namespace, resolve, plan,
                                refused=why)
                best, hint, mismatch = search.run(1)
    count = 1
    why_list = (f"its build refuses one input ({search.rejected})" if search.rejected
                else "on one input, a weight's shape is not known")
    if not _complete(best[1]) or search.rejected:
        # a layer called on a list of inputs (Keras Attention: ``[query, value]``, its build
        # reads ``input_shape[0][-1]``) gets its shapes from a list of two of them
        try:
            listed, _, listed_mismatch = search.run(2, hint.ranks)
        except BudgetExceeded:
            listed = None
        if listed is not None and _complete(listed[1]) and listed_mismatch is None \
                and search.rejected is None:
            best, mismatch, count = listed, None, 2
    found = None if _complete(best[1]) else _tuple_input(search, hint.ranks, len(best[1]))
    best, mismatch, parts = found if found is not None else (best, mismatch, None)
    obj, weights, bound, shape = best
    refused = refused_default(it, [constructor_of(it, cls)], plan.supplied, it.refusals[r0:]) \
        or (refused_by_guard(it, cls, plan, shape) if not weights else None)
    if refused is not None:
        needs_args(result, refused)
        return
    refusal = refused_inputs.shape_refusal(search.refusals.get(id(obj), []))
    if refused_inputs.refused_input(
            dims, result, refusal, derived, _origin(dims, FEATURES) == "table",
            lambda d, r: analyze_class(it, cls, asked, d, result, namespace, resolve, r)):
        return
    result.weights = weights
    result.input_shape = shape
    result.input_count = count
    result.build_input = search.handed.get(id(obj))
    result.input_note = hint.reason + "".join(f" ({h.path}:{h.line})" for h in hint.hops[:1])
    if count > 1:
        result.input_note += f"; called on a list of {count} inputs of that shape ({why_list})"
    if parts is not None:
        result.input_parts, how = parts
        result.input_note += f"; {how}"
    if mismatch is not None and len(hint.ranks) > 1:
        result.input_note += f"; no rank tried fits its sub-layers ({mismatch})"
    if derived is not None:  # the input the first build's refusal asked for
        result.input_note = f"{refused_inputs.derived_note(derived, dims)}; {result.input_note}"
    result.facts = facts_mod.collect(it, cls, obj, bound, result.weights)


Built = tuple[Instance, list[Weight], dict[str, Value], list[int | None]]


def _tuple_input(search: Search, ranks: list[int], made: int
                 ) -> tuple[Built, str | None, tuple[list[list[int | None]], str]] | None:
    """A cell whose call unpacks its input into a tuple, called on such a tuple
    (rules/tuple_inputs.py ``choose_part``)."""
    def build(part: tuple[int, int]) -> tuple[Built, bool]:
        got, _, mismatch = search.run(1, ranks, part=part)
        return got, _complete(got[1]) and mismatch is None

    found = tuple_inputs.choose_part(search.it, search.cls, build, made)
    return None if found is None else (found[0], None, found[1])


def _complete(weights: list[Weight]) -> bool:
    return bool(weights) and all(w.shape is not None for w in weights)


@dataclass
class Search:
    """The input a layer is built on: the rank it declares, else the first of the candidate
    ranks on which every weight gets a shape and every sub-layer the rank it declares."""

    it: Interpreter
    cls: ClassV
    required: list[str]
    kwargs: dict[str, Any]
    dims: Dims
    namespace: str
    resolve: ResolveInner | None
    plan: Plan
    rejected: str | None = None  # the best build's input was refused by the layer (where)
    # the table's first choice of an inner layer, refused (why): rules/inner_raises.py
    refused: dict[str, str] = field(default_factory=dict)
    escapes: list[Any] = field(default_factory=list)  # per build: the exception that left it
    # per build (id of its instance): the refusals made while it was built
    refusals: dict[int, list[Refusal]] = field(default_factory=dict)
    # per build (id of its instance): what its build was handed ("TensorShape" | "tuple")
    handed: dict[int, str | None] = field(default_factory=dict)
    # the object of the first build on one input, constructed already (taken by that build)
    made: Made | None = None

    def run(self, count: int, ranks: list[int] | None = None,
            part: tuple[int, int] | None = None) -> tuple[Built, RankHint, str | None]:
        """(best build, the rank hint, the sub-layer rank mismatch left) for ``count``
        inputs (1: one tensor; more: a list of that many); ``part`` (n, i): a cell called on
        a tuple of n inputs whose i-th has the features (rules/tuple_inputs.py)."""
        it, args = self.it, self.dims.arguments
        hint: RankHint | None = None
        best: Built | None = None
        mismatch: str | None = None
        attempt = 0
        while True:
            plan = self.plan if not attempt and count == 1 and part is None else plan_arguments(
                it, self.required, self.kwargs, self.dims, self.namespace, self.resolve,
                owner=self.cls, refused=self.refused)
            # each attempt builds fresh objects (inner layers included)
            todo = ranks if ranks is not None else hint.ranks if hint is not None else None
            rank = todo[attempt] if todo is not None else None
            made, self.made = (self.made, None) if plan is self.plan else (None, self.made)
            n0 = made.refusals_from if made is not None else len(it.refusals)
            try:
                obj, captured, h, shape = _build(it, self.cls, plan.kwargs, rank, args,
                                                 count=count, part=part, made=made)
                self.refusals[id(obj)] = it.refusals[n0:]
                self.handed[id(obj)] = h.handed
            except BudgetExceeded:
                if best is None or hint is None:
                    raise
                break
            hint = hint or h
            if h.rejected is None:  # an input the wrapper's own checks accepted
                self.escapes.append(h.escaped)
            sublayers.name_weights(it, obj, captured)
            weights = to_weights(it, captured)
            if best is None or (weights and not best[1]):
                best = (obj, weights, plan.kwargs, shape)
                self.rejected = h.rejected
            if h.mismatch is None and h.rejected is None and (
                    weights or h.escaped is None) and all(w.shape is not None for w in weights):
                if weights:  # every weight has a shape, every sub-layer its rank: done
                    best = (obj, weights, plan.kwargs, shape)
                    self.rejected = None
                    mismatch = None
                break
            mismatch = h.mismatch
            attempt += 1
            if attempt >= len(todo or hint.ranks):
                break
        assert best is not None and hint is not None
        return best, hint, mismatch


def _guarded_arguments(it: Interpreter, cls: ClassV, required: list[str],
                       kwargs: dict[str, Any], plan: Plan, dims: Dims, namespace: str,
                       resolve: ResolveInner | None, raises: list[tuple[str, int, str]]
                       ) -> tuple[dict[str, Any], Plan, Made | None]:
    """A constructor that raises (``raises``: where, what) for the arguments given, under a
    test of optional parameters (``if (cell_size is None) == (num_units is None): raise
    ValueError(...)``): each of those parameters the table has is tried in turn
    (``num_units``), constructed under the rules of a build as the first was; the first that
    stops the raise gives the arguments and the object the build takes. When none does, the
    test's parameters are what the symbol needs."""
    path, line, what = raises[0]
    guard = guard_parameters(it, cls, path, line)
    if not guard:  # under no test of a parameter: nothing to give would stop it
        return kwargs, replace(plan, refused=f"its constructor raises {what} ({path}:{line}) "
                                            "for the arguments given"), None
    values = dims.arguments
    tried = [p for p in guard if p not in kwargs and p in values
             and table.kind_of(p) == "parameter"]
    for p in tried:
        more = {**kwargs, p: values[p]}
        again = plan_arguments(it, required, more, dims, namespace, resolve, owner=cls)
        if again.missing:
            continue
        made = _construct(it, cls, again.kwargs)
        if made.raised:
            del it.raised[made.raised_from:]
            continue
        for a in again.supplied:
            if a.name == p:
                a.source = _origin(dims, p)
        return more, again, made
    plan = Plan(supplied=plan.supplied,
                missing=[p for p in guard if p not in kwargs and p not in tried] or guard,
                notes=[f"its constructor raises {what} ({path}:{line}) for the arguments "
                       "given" + (f", also with {', '.join(tried)} from the table" if tried
                                  else "")])
    return kwargs, plan, None


@dataclass
class Made:
    """``cls(**kwargs)`` constructed under the rules of a build (``_construct``), which its
    build then runs under: the object (an ``Instance``, or what the call gave), those rules,
    and what the class's own code raised on decided paths while it was constructed (the
    guards of ``_guarded_arguments``). ``raised_from``/``refusals_from``: the lengths of the
    interpreter's ``raised`` and ``refusals`` before the construction."""

    obj: Value
    scopes: VariableScopes
    collector: WeightCollector  # active in the constructor too (a metric's state)
    ranks: SubLayerRanks
    calls: sublayers.LayerCalls
    outputs: CellOutputs
    raised: list[tuple[str, int, str]]
    raised_from: int
    refusals_from: int

    def rules(self, it: Interpreter) -> contextlib.AbstractContextManager[None]:
        return it.hooks(self.ranks, self.collector, self.scopes, self.calls, self.outputs)


def _construct(it: Interpreter, cls: ClassV, call_kwargs: dict[str, Value]) -> Made:
    """Construct ``cls`` (forced: its constructor runs now) under the rules of a build. Once
    per build: the constructor's raises decide the arguments (``analyze_class``), and when
    they change nothing the same object is built."""
    scopes = VariableScopes()
    collector = WeightCollector(scopes)
    ranks = SubLayerRanks(lambda: collector.step_shape)
    made = Made(Unknown(), scopes, collector, ranks, sublayers.LayerCalls(collector),
                CellOutputs(), [], len(it.raised), len(it.refusals))
    with made.rules(it):
        obj = it.instantiate(cls, [], call_kwargs, None)
        if isinstance(obj, Instance):
            it.force(obj)
    own = {c.path for c in it.source_mro(cls)}
    made.obj, made.raised = obj, [r for r in it.raised[made.raised_from:] if r[0] in own]
    return made


def _build(it: Interpreter, cls: ClassV, call_kwargs: dict[str, Value], rank: int | None,
           args: dict[str, Any], given: list[int | None] | None = None, count: int = 1,
           part: tuple[int, int] | None = None, made: Made | None = None
           ) -> tuple[Instance, list[Captured], RankHint, list[int | None]]:
    """Construct ``cls`` (or take ``made``, constructed with ``call_kwargs`` already) and run
    its build on an input of ``rank`` (None: the first rank the instance declares) or on the
    ``given`` shape -- a list of ``count`` such inputs when ``count`` > 1; the instance,
    captured weights, the rank hint and the input shape. A layer whose build creates nothing
    is called once on that input (``_call_once``)."""
    made = made or _construct(it, cls, call_kwargs)
    obj, collector, ranks = made.obj, made.collector, made.ranks
    with made.rules(it):
        if not isinstance(obj, Instance):
            hint = RankHint([2], "the class could not be constructed")
            return Instance(cls=cls), [], hint, input_shape(2, args["features"],
                                                             args["length"])
        hint = input_rank(it, obj)
        shape = list(given) if given is not None else input_shape(
            rank if rank is not None else hint.ranks[0], args["features"], args["length"])
        collector.top = ranks.top = obj
        constructed = {id(steps[-1].obj) for steps in sublayers.sublayer_paths(it, obj)}
        rejected: str | None = None
        if len(shape) >= 3:
            collector.step_shape = [shape[0], *shape[2:]]
        build = it.getattr(obj, "build")
        if isinstance(build, FunctionV) and build.decorates is not None:
            # the method as written: ``build_input`` hands it what its ``__call__`` and the
            # decorator (``shape_type_conversion``) would (rules/shapes.py)
            build = build.decorates.original.with_receiver(obj)
        escaped: Raised | None = None
        handed: str | None = None
        try:  # what the layer made before it raised stands
            if isinstance(build, FunctionV):
                # one shape per required parameter: Keras 3 passes each call argument's
                # shape to ``build(query_shape, value_shape)``; the documented input for each
                n = sublayers.required_positional(build)
                n0 = len(it.raised)
                given_ = shapes.build_input(it, cls, build, _shape(shape, count))
                handed = shapes.handed_kind(given_)
                done = it.call(build, [given_] * n, {})
                own = {c.path for c in it.source_mro(cls)}
                refused = next((r for r in it.raised[n0:] if r[0] in own), None)
                if refused is not None:  # a check of the layer raised for this input
                    rejected = f"{refused[0]}:{refused[1]}"
                if not collector.captured and isinstance(done, Unknown) and _raised(done):
                    obj = _build_on_unknown_rank(it, cls, call_kwargs, collector, done, shape)
                    rejected = f"{done.path}:{done.line}"
            sublayers.build_from_signature(it, obj, _shape(shape), collector)
            _build_cells(it, obj, collector, shape)
            if not collector.captured:
                if count == 1 and metrics.is_metric(it, obj):  # state from the first update
                    shape[:] = metrics.first_update_shape(shape, args["batch"])
                _call_once(it, obj, shape, count, part)
            if not collector.captured and len(shape) < 3:  # the wrapper's call made nothing
                _build_cells(it, obj, collector, shape, step=False)
            sublayers.build_unbuilt(it, obj, collector, constructed)
        except Raised as exc:
            escaped = exc
    if ranks.mismatches or rejected or escaped is not None:  # a sub-layer got another rank
        # than it declares, or the layer's own check refused this input: not the input to
        # build on (an exception that left the build: where, for the inner layer's choice)
        hint = RankHint(hint.ranks, hint.reason, hint.hops, hint.declared,
                        mismatch=ranks.mismatches[0] if ranks.mismatches else None,
                        rejected=rejected, escaped=escaped)
    return obj, collector.captured, replace(hint, handed=handed), shape


def _raised(v: Unknown) -> bool:
    """A call's result on a path that ended in a ``raise`` of the called function (the
    engine keeps where)."""
    return bool(v.path) and v.line > 0


def _build_on_unknown_rank(it: Interpreter, cls: ClassV, call_kwargs: dict[str, Value],
                           collector: WeightCollector, rejected: Unknown,
                           input_shape_: list[int | None]) -> Instance:
    """The layer's own checks rejected the input of this rank before it created a weight
    (``if len(input_shape) != 3: raise ValueError``). A fresh instance is built on an input
    of unknown rank instead, so that such checks cannot decide: the weights are found, with
    the shapes that do not depend on the input, and each says which line rejected the
    input. (The rank search of ``analyze_class`` goes on to the next rank; this answer stands
    when no rank is accepted.)"""
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
    shown = ", ".join("None" if d is None else str(d) for d in input_shape_)
    hop = src.hop(rejected.line, f"the layer rejects the input shape ({shown}) here; "
                                 f"weights as created for an input of unknown rank")
    for c in collector.captured:
        c.hops.insert(1, hop)
    return obj


def _call_once(it: Interpreter, obj: Instance, shape: list[int | None], count: int = 1,
               part: tuple[int, int] | None = None) -> None:
    """A layer whose build created nothing is called on the input (a cell on one step of it
    and its zero state): TF 0.12-1.4 cells create their variables in the call
    (rules/call_time.py). A layer taking a list of inputs is called on that list."""
    fn = call_entry(it, obj)
    if fn is None:
        return
    if count > 1:
        it.call(fn, [Seq(items=[TensorV(shape=list(shape)) for _ in range(count)])], {},
                mode=EAGER)
        return
    # a cell (``state_size``: the RNNCell contract) is called on one step of a sequence;
    # any other layer on the input itself
    step = step_input(it, obj, shape)
    inputs = TensorV(shape=list(step))
    # a tuple of inputs, one with the features (rules/tuple_inputs.py)
    first = None if part is None else tuple_inputs.tuple_of(tuple_inputs.part_shapes(step, *part))
    it.call(fn, call_arguments(it, fn, obj, inputs, first), {}, mode=EAGER)


def build_layer(it: Interpreter, cls: ClassV, kwargs: dict[str, Any], dims: Dims,
                input_shape_: list[int | None] | None = None
                ) -> tuple[Instance, list[Captured], dict[str, Value]]:
    """Construct ``cls`` with ``kwargs`` plus the table's required arguments and build it on
    ``input_shape_`` (default: the first rank it declares); the instance, captured weights
    and the constructor arguments. For rule tests."""
    plan = plan_arguments(it, class_requirements(it, cls), kwargs, dims, "", None)
    obj, captured, _, _ = _build(it, cls, plan.kwargs, None, dims.arguments, input_shape_)
    sublayers.name_weights(it, obj, captured)
    return obj, captured, plan.kwargs


def _build_cells(it: Interpreter, obj: Instance, collector: WeightCollector,
                 shape: list[int | None], step: bool = True) -> None:
    """Sub-layers (an RNN's cell) whose build was not reached: build them on the step input
    (the sequence without its time axis). Not on one step's input (a cell wrapper's), where
    the wrapper's own call builds its cell, inside its scope and beside its own variables --
    unless that call made nothing the analysis saw (``step=False``: the shape as given)."""
    if step and len(shape) < 3:
        return
    built = {id(c.owner) for c in collector.captured}
    for attr, sub in list(obj.attrs.items()):
        if not isinstance(sub, Instance) or attr not in RECURRENT_CELL_ATTRS:
            continue
        it.force(sub)
        if id(sub) in built:
            continue
        sb = it.getattr(sub, "build")
        if isinstance(sb, FunctionV):
            it.call(sb, [_shape([shape[0], *shape[2:]] if step else shape)], {})


# ----------------------------------------------------------------------------- functions
def analyze_function(it: Interpreter, f: FunctionV, kwargs: dict[str, Any], dims: Dims,
                     result: SymbolResult) -> None:
    """A function that creates variables. A get_variable-style one (first parameter
    ``name``) is asked for the table's ``name`` ("v") of shape ``[features, units]`` with no
    initializer; any other (``tf.layers.dense``, ``tf.contrib.layers.fully_connected``) is
    called on an input (``_call_creating_function``). A required parameter the table lacks
    makes the symbol ``needs-args``."""
    node = f.node
    assert node is not None
    sig = signature_of(it, f)  # a functools.wraps forwarder takes its target's parameters
    params = parameters(sig)
    values = dims.arguments
    if params[:1] != ["name"]:
        _call_creating_function(it, f, kwargs, dims, result)
        return
    required = required_parameters(sig, False) or []
    plan = Plan(missing=[p for p in required if p not in kwargs and p not in ("name", "shape")
                         and (p not in values or table.kind_of(p) != "parameter")])
    if plan.missing:
        needs_args(result, plan)
        return
    features, units = values["features"], values["units"]
    vname = values["name"]
    result.arguments = [
        SuppliedArgument("name", vname, _origin(dims, "name")),
        SuppliedArgument("shape", [features, units], "table"),
        *(SuppliedArgument(k, table.plain(v), "symbol") for k, v in kwargs.items())]
    call = ast_parse(f'{f.name}({vname!r}, shape=[input_dim, units])', mode="eval").body
    assert isinstance(call, ast.Call)
    frame = Frame(mod=ModuleV(name=f.module, path=f.src.path), src=f.src, locals={},
                  mode=ABSTRACT, func_name="user code")
    hop = Hop(package=f.src.package, path=f.src.path, line=node.lineno,
              code=f.src.code(node.lineno),
              note=f'user calls {f.name}("{vname}", shape=[input_dim, units]) with no '
                   'initializer')
    call_kwargs: dict[str, Value] = {
        "shape": Seq(items=[Const(value=features), Const(value=units)]),
        **{k: _const(v) for k, v in kwargs.items()}}
    value = call_kwargs.get("initializer", Const(value=None))
    hops = [hop]
    fallback = isinstance(value, Const) and value.value is None
    if fallback:
        value, more = follow_none_initializer(it, f, [Const(value=vname)],
                                              call_kwargs, (frame, call))
        hops.extend(more or [])
        hops.extend(value.hops)
    captured = [Captured(name=str(vname), shape=[features, units],
                         shape_expr="[input_dim, units]", init_value=value, fallback=fallback,
                         hops=hops, condition=None, owner=None)]
    result.weights = to_weights(it, captured)


def _call_creating_function(it: Interpreter, f: FunctionV, kwargs: dict[str, Any],
                            dims: Dims, result: SymbolResult,
                            derived: Refusal | None = None) -> None:
    """A function that makes a layer and applies it (``tf.layers.dense(inputs, units)``):
    its required ``inputs`` (the table's tensor entry) is the input it is applied to -- a
    tensor of shape ``[batch, length, ..., features]``, of the rank the layer it makes
    declares, else the first of ``RANKS`` on which every weight gets a shape -- and its other
    required parameters come from the table; the variables the call creates are the
    weights. An input TensorFlow refuses is handled as for a class
    (analysis/refused_inputs.py; ``derived``: the refusal that made this the second call)."""
    required = required_parameters(f, False) or []
    values = dims.arguments
    first = next((p for p in required if p not in kwargs and table.kind_of(p) == "tensor"),
                 None)
    plan = Plan(missing=[p for p in required if p not in kwargs and p != first and (
        p not in values or table.kind_of(p) != "parameter")])
    if plan.missing:
        needs_args(result, plan)
        return
    best: tuple[list[Captured], list[int | None], list[SuppliedArgument], list[Refusal],
                list[Refusal]] | None = None
    raised: list[tuple[str, int, str]] = []
    r0 = len(it.refusals)
    ranks = list(RANKS) if first is not None else [2]
    tried: set[int] = set()
    note = "the first rank on which every weight has a shape"
    while ranks:
        rank = ranks.pop(0)
        if rank in tried:
            continue
        tried.add(rank)
        shape = input_shape(rank, values["features"], values["length"])
        call_kwargs: dict[str, Value] = {k: _const(v) for k, v in kwargs.items()}
        supplied = [SuppliedArgument(first, {"tensor": shape}, "input")] if first else []
        supplied += [SuppliedArgument(k, table.plain(v), "symbol") for k, v in kwargs.items()]
        for p in required:
            if p not in kwargs and p != first:
                call_kwargs[p] = _const(values[p])
                supplied.append(SuppliedArgument(p, table.plain(values[p]), _origin(dims, p)))
        args: list[Value] = [TensorV(shape=list(shape))] if first is not None else []
        n0, m0 = len(it.raised), len(it.refusals)
        captured, builds, checks = _apply(it, f, args, call_kwargs)
        raised += it.raised[n0:]
        made = it.refusals[m0:]
        # the layer the function made declares the rank it takes (when it was built: its
        # build may declare the rank it was given): try that one next
        owner = next((c.owner for c in captured if isinstance(c.owner, Instance)), None)
        hint = builds.first(it, owner) if owner is not None else None
        if hint is not None and hint.hops and rank not in hint.ranks:
            ranks = [r for r in hint.ranks if r not in tried]
            note = f"the rank the layer it makes declares: {hint.reason}"
            if best is None:
                best = (captured, shape, supplied, made, checks)
            continue
        if best is None or (captured and (not best[0] or rank in (hint.ranks if hint else []))):
            best = (captured, shape, supplied, made, checks)
        if captured and all(c.shape is not None for c in captured):
            best = (captured, shape, supplied, made, checks)
            break
    assert best is not None
    refused = refused_default(it, [f, signature_of(it, f)], best[2], it.refusals[r0:]) \
        or (function_refused(it, f, raised, best[2]) if not best[0] else None)
    if refused is not None:
        result.arguments = best[2]
        needs_args(result, refused)
        return
    result.arguments = best[2]
    if first is not None and refused_inputs.refused_input(  # a tensor op's, or an op's check
            dims, result, refused_inputs.shape_refusal(best[3]) or next(iter(best[4]), None),
            derived,
            _origin(dims, FEATURES) == "table",
            lambda d, r: _call_creating_function(it, f, kwargs, d, result, r)):
        return
    result.weights = to_weights(it, best[0])
    if first is not None:
        result.input_shape = best[1]
        result.input_note = f"{first}: the tensor the function is applied to; {note}"
        if derived is not None:  # the input the first call's refusal asked for
            result.input_note = f"{refused_inputs.derived_note(derived, dims)}; " \
                f"{result.input_note}"


def _apply(it: Interpreter, f: FunctionV, args: list[Value], call_kwargs: dict[str, Value]
           ) -> tuple[list[Captured], BuildRanks, list[Refusal]]:
    """Call the variable-creating function ``f``: the variables it created, the ranks the
    layers it built declared, and the op wrappers' own refusals (rules/op_checks.py)."""
    scopes = VariableScopes()
    collector = WeightCollector(scopes)
    builds = BuildRanks()
    checks = OpChecks()
    with it.hooks(collector, scopes, builds, checks), contextlib.suppress(Raised):
        made = it.call(f, args, call_kwargs, mode=EAGER)
        if isinstance(made, GeneratorV):
            # a @contextmanager function is used as ``with f(...):``: entering the block
            # runs its body up to the ``yield``
            it.run_generator(made, lambda _: Const(value=None), EAGER)
    return collector.captured, builds, checks.refusals


def _origin(dims: Dims, name: str) -> str:
    """``table`` when the entry has the table's default value, else ``--dim``."""
    default = Dims().arguments
    return "table" if name in default and default[name] == dims.arguments.get(name) \
        else "--dim"


def _shape(dims: list[int | None], count: int = 1) -> Seq:
    """A shape tuple; ``count`` > 1: a list of that many."""
    one = Seq(items=[Const(value=d) for d in dims], kind="tuple")
    if count == 1:
        return one
    return Seq(items=[Seq(items=list(one.items), kind="tuple") for _ in range(count)])


def _const(v: Any) -> Value:
    if isinstance(v, tuple | list):
        return Seq(items=[_const(i) for i in v])
    if isinstance(v, dict):
        return DictV(items={k: _const(i) for k, i in v.items()})
    return Const(value=v)
