"""Initializer classes: a class of the vocabulary, instantiated, is an initializer value."""

from __future__ import annotations

import ast
import copy
from typing import Any

from tfinit_audit.analysis.engine.frames import ABSTRACT, Frame
from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.parsing import node_fact
from tfinit_audit.analysis.engine.values import (
    MISSING,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    ModuleV,
    Unknown,
    Value,
    concrete,
    with_hops,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules import vocabulary as vocab
from tfinit_audit.analysis.rules.none_parameters import none_params_through_call
from tfinit_audit.analysis.rules.values import Composite, ConfigV, ExprV, InitV

_NOT_KNOWN = object()  # a constructor argument whose value the analysis does not know


def is_initializer_class(it: Any, cls: ClassV) -> bool:
    """A class whose MRO has a vocabulary class or the ``Initializer`` base."""
    return any(c.name in vocab.VOCABULARY or c.name == "Initializer"
               for c in it.source_mro(cls))


class InitializerClassRule(Rule):
    """Instantiating an initializer class of the release (``init_ops.GlorotUniform``,
    ``keras.initializers.RandomUniform``...) gives an initializer of the canonical vocabulary
    (rules/vocabulary.py) whose parameters are the constructor's, as the release's source
    sets them: the arguments given, else the ``__init__`` defaults of that release; a
    subclass that only calls ``super().__init__(scale=..., mode=...)`` (TF 2.x / Keras
    ``GlorotUniform`` over ``VarianceScaling``) is followed into its base with those values;
    parameters left None are decided where ``__call__`` uses them (rules/none_parameters.py);
    the truncated-normal correction constant is read from the release's ``VarianceScaling``.
    Provenance ends at the line that fixes the parameters.

    Initializer values also record the lines where they are assigned, returned or aliased,
    and their parameters read as attributes (``self.scale``)."""

    name = "initializer-classes"

    def instantiate(self, it: Any, cls: ClassV, args: list[Value],
                    kwargs: dict[str, Value]) -> Value | None:
        return initializer_from_class(it, cls, args, kwargs)

    def traced(self, it: Any, value: Value, event: str) -> bool:
        if isinstance(value, InitV):
            return True
        if isinstance(value, Composite):
            return event in ("assign", "return")
        # a class passed uninstantiated (initializer=init_ops.GlorotUniform)
        return event == "assign" and isinstance(value, ClassV) and is_initializer_class(
            it, value)

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if isinstance(obj, InitV) and attr in obj.params:
            p = obj.params[attr]
            return p if isinstance(p, Value) else Const(value=p)
        if isinstance(obj, InitV) and obj.made is not None:
            return _as_object(it, obj, attr)
        return None

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        """``init.__class__.from_config(init.get_config())`` (Keras 2.15+ MultiHeadAttention
        clones its initializers for each sub-layer): the release's ``from_config`` runs as
        written; a clone equal to the original keeps the lines that decided the original."""
        if self._cloning or not (isinstance(callee, FunctionV) and callee.name == "from_config"
                                 and args and isinstance(args[0], ConfigV)
                                 and args[0].origin is not None):
            return None
        origin = args[0].origin
        self._cloning = True
        try:
            out = it.call(callee, args, kwargs)
        finally:
            self._cloning = False
        if isinstance(out, InitV) and (out.kind, out.params) == (origin.kind, origin.params):
            clone = copy.copy(out)
            clone.hops = origin.hops
            return clone
        # a config changed on the way (Keras 3.15 EinsumDense adds the kernel's axes): the
        # new object's lines, then the original's
        return with_hops(out, list(origin.hops), front=False)

    _cloning = False


def _as_object(it: Any, init: InitV, attr: str) -> Value | None:
    """An attribute of an initializer value as an object of its class: ``__class__`` is the
    class; anything else is the attribute of an instance made with the same arguments
    (``get_config()`` runs the release's own method; its dict knows its origin)."""
    assert init.made is not None
    cls = init.made[0]
    if attr == "__class__":
        return cls if isinstance(cls, ClassV) else None
    if init.shadow is None:
        init.shadow = Instance(cls=cls, pending=(init.made[1], init.made[2], None))
    v = it.getattr(init.shadow, attr)
    if attr == "get_config" and isinstance(v, FunctionV):
        method = v

        def get_config(it2: Any, a: list[Value], k: dict[str, Value], mode: Any) -> Value:
            out = it2.call(method, a, k)
            if isinstance(out, DictV):
                return ConfigV(items=out.items, origin=init, hops=init.hops)
            return out

        return BuiltinV(name=f"{cls.name}.get_config", fn=get_config, bound=init)
    return None if v is MISSING else v


def initializer_from_class(it: Any, cls: ClassV, args: list[Value], kwargs: dict[str, Value],
                           via_super: bool = False) -> InitV | Unknown | None:
    """``cls(*args, **kwargs)`` as an initializer value; None when not an initializer class.

    Provenance ends at the line that fixes the parameters: a base reached through
    ``super().__init__(...)`` adds hops only when its own defaults (or its own base call)
    decide something, and the ``__init__`` default line is a hop only for the vocabulary
    parameters the caller left to it.
    """
    if not is_initializer_class(it, cls):
        return None
    hops = [cls.src.hop(cls.info.line, f"class {cls.name}")]
    through_base = _through_base(it, cls, args, kwargs, hops)
    if through_base is not None:
        return through_base
    kind = vocab.VOCABULARY.get(cls.name)
    if kind is None:
        return Unknown(text=f"initializer class {cls.name}", path=cls.path, line=cls.info.line)
    params: dict[str, Any] = {}
    unknown: dict[str, Value] = {}
    all_given = False
    ctor = it.member(cls, "__init__")
    if ctor is not None and isinstance(ctor[1], FunctionV) and isinstance(
            ctor[1].node, ast.FunctionDef):
        owner, f = ctor
        node = f.node
        assert isinstance(node, ast.FunctionDef)
        bound = it.bind(f.with_receiver(Const(value=None)), args, kwargs)
        if bound is not None:
            for k, v in bound.items():
                try:
                    params[k] = concrete(v)
                except KeyError:
                    # a tensor of known values (another weight's initial value) stays an
                    # expression (rules/expressions.py); anything else is not known
                    params[k] = v if isinstance(v, ExprV) else _NOT_KNOWN
                    if not isinstance(v, ExprV):
                        unknown[k] = v
            pos = [p.arg for p in (*node.args.posonlyargs, *node.args.args)][1:]
            given = set(pos[: len(args)]) | set(kwargs)
            defaulted = [k for k in vocab.PARAMS.get(kind, ()) if k in params and k not in given]
            all_given = bool(vocab.PARAMS.get(kind)) and not defaulted
            if defaulted:
                which = ", ".join(f"{k}={params[k]!r}" if params[k] is not _NOT_KNOWN
                                  else f"{k}=?" for k in defaulted)
                hops.append(owner.src.hop(node.lineno,
                                          f"{owner.name}.__init__ defaults: {which}"))
    hops.extend(none_params_through_call(it, cls, kind, params, args, kwargs))
    if all_given and len(hops) == 1:
        if via_super:
            hops = []  # the base call's line already fixed every parameter
        else:
            h = hops[0]
            hops = [Hop(h.package, h.path, h.line, h.code,
                        f"{h.note}; the call gives every parameter")]
    ini = vocab.canonical(kind, params)
    missing = [k for k, p in ini.params.items() if p is _NOT_KNOWN]
    if missing:  # a parameter of the kind whose value is not known: no answer to give
        v = unknown[missing[0]]
        shown = v.text if isinstance(v, Unknown) and v.text else v.describe()
        return Unknown(text=f"{cls.name} with {missing[0]}={shown}", path=cls.path,
                       line=cls.info.line, hops=tuple(hops))
    return InitV(kind=ini.kind, params=ini.params, truncation=_truncation(it, cls),
                 hops=tuple(hops), made=(cls, list(args), dict(kwargs)))


def _through_base(it: Any, cls: ClassV, args: list[Value], kwargs: dict[str, Value],
                  hops: list[Hop]) -> InitV | None:
    """A class whose own ``__init__`` calls its base's with arguments: the base decides."""
    own_info = cls.info.methods.get("__init__")
    own = cls.src.function_node(own_info) if own_info is not None else None
    if not isinstance(own, ast.FunctionDef):
        return None
    sup = _super_init_call(own)
    if sup is None or not (sup.keywords or len(sup.args) > (0 if _is_super(sup) else 1)):
        return None
    f = FunctionV(src=cls.src, info=own_info, owner=cls, bound=Const(value=None),
                  modname=cls.modname)
    bound = it.bind(f, args, kwargs)
    parents = [b for b in it.class_bases(cls) if isinstance(b, ClassV)]
    if bound is None or not parents:
        return None
    frame = Frame(mod=ModuleV(name=cls.module, path=cls.path), src=cls.src, locals=bound,
                  mode=ABSTRACT, owner=cls)
    sargs = [it.eval(x, frame) for x in sup.args]
    if not _is_super(sup):
        sargs = sargs[1:]
    skw = {k.arg: it.eval(k.value, frame) for k in sup.keywords if k.arg}
    res = initializer_from_class(it, parents[0], sargs, skw, via_super=True)
    if not isinstance(res, InitV):
        return None
    res.hops = (*hops, cls.src.hop(sup.lineno, f"{cls.name} calls its base with "
                                   f"{_kw_text(it, sup)}"), *res.hops)
    res.made, res.shadow = (cls, list(args), dict(kwargs)), None
    return res


def _truncation(it: Any, cls: ClassV) -> float | None:
    """The truncated-normal std correction as written in the release's VarianceScaling."""
    vs = next((c for c in it.source_mro(cls) if c.name == "VarianceScaling"), None)
    if vs is None:
        return None
    src = "\n".join(vs.src.lines[vs.info.line - 1: vs.info.end_line])
    return vocab.truncation_constant(src)


def _is_super(c: ast.Call) -> bool:
    f = c.func
    return (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "super")


def _super_init_call(fn: ast.FunctionDef) -> ast.Call | None:
    """The first ``super().__init__(...)`` or ``Base.__init__(self, ...)`` in ``fn`` (kept on
    the node)."""
    return node_fact(fn, "super_init_call", _find_super_init_call)


def _find_super_init_call(fn: ast.FunctionDef) -> ast.Call | None:
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                and n.func.attr == "__init__":
            if _is_super(n):
                return n
            if isinstance(n.func.value, ast.Name) and n.args \
                    and isinstance(n.args[0], ast.Name) and n.args[0].id == "self":
                return n
    return None


def _kw_text(it: Any, c: ast.Call) -> str:
    return ", ".join(it.unparse(k) for k in c.keywords) or ", ".join(
        it.unparse(a) for a in c.args)


class InitializerFactoryRule(Rule):
    """Old TensorFlow (0.x ``init_ops.py``) spells initializers as factory functions that
    return a nested ``_initializer(shape, dtype=..., partition_info=None)`` closing over the
    factory's arguments: ``uniform_unit_scaling_initializer(factor=1.0, seed=None, dtype=...)``
    (the 0.12 ``get_variable`` default), ``random_normal_initializer(mean=0.0, stddev=1.0)``. A
    call of a factory whose name is in the vocabulary (rules/vocabulary.py) and whose body
    returns its nested function gives that initializer, its parameters the call's arguments
    and the factory's defaults of that release. A factory whose signature lacks one of the
    kind's parameters (another family's spelling), or leaves one None (decided by the op the
    nested function calls), is left to the source."""

    name = "initializer-factories"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if not isinstance(callee, FunctionV) or callee.bound is not None \
                or callee.closure is not None:
            return None
        kind = vocab.VOCABULARY.get(callee.name)
        node = callee.node
        if kind is None or not isinstance(node, ast.FunctionDef) or not _returns_nested(node):
            return None
        bound = it.bind(callee, args, kwargs)
        wanted = vocab.PARAMS.get(kind, ())
        if bound is None or any(k not in bound for k in wanted):
            return None
        params: dict[str, Any] = {}
        for k in wanted:
            try:
                params[k] = concrete(bound[k])
            except KeyError:
                return None
            if params[k] is None:
                return None
        pos = [p.arg for p in (*node.args.posonlyargs, *node.args.args)]
        given = set(pos[: len(args)]) | set(kwargs)
        defaulted = [k for k in wanted if k not in given]
        note = f"factory {callee.name} returns its nested initializer"
        if defaulted:
            note += "; defaults: " + ", ".join(f"{k}={params[k]!r}" for k in defaulted)
        ini = vocab.canonical(kind, params)
        return InitV(kind=ini.kind, params=ini.params,
                     hops=(callee.src.hop(node.lineno, note),))


def initializer_function(it: Any, f: Value) -> InitV | None:
    """A function of the vocabulary that is itself the initializer, passed uncalled: TF 0.x
    ``init_ops.zeros_initializer(shape, dtype=dtypes.float32, partition_info=None)`` (the
    variable's creator calls it with the shape). Its parameters are its defaults in that
    release."""
    if not isinstance(f, FunctionV) or f.closure is not None or f.bound is not None:
        return None
    kind = vocab.VOCABULARY.get(f.name)
    node = f.node
    if kind is None or not isinstance(node, ast.FunctionDef):
        return None
    a = node.args
    pos = [p.arg for p in (*a.posonlyargs, *a.args)]
    if not pos or pos[0] != "shape" or _returns_nested(node):
        return None
    bound = it.bind(f, [Unknown(text="shape")], {})
    wanted = vocab.PARAMS.get(kind, ())
    if bound is None or any(k not in bound for k in wanted):
        return None
    params: dict[str, Any] = {}
    for k in wanted:
        try:
            params[k] = concrete(bound[k])
        except KeyError:
            return None
    ini = vocab.canonical(kind, params)
    note = f"function {f.name} is the initializer: the creator calls it with the shape"
    return InitV(kind=ini.kind, params=ini.params, hops=(f.src.hop(node.lineno, note),))


def _returns_nested(fn: ast.FunctionDef) -> bool:
    """``def f(...): def _initializer(...): ...; return _initializer`` (top-level body)."""
    nested = {s.name for s in fn.body if isinstance(s, ast.FunctionDef)}
    return any(isinstance(s, ast.Return) and isinstance(s.value, ast.Name)
               and s.value.id in nested for s in fn.body)
