"""Calls: builtins, source functions and classes, argument binding, instances."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis.engine.base import InterpreterBase
from tfinit_audit.analysis.engine.frames import (
    ABSTRACT,
    CallSite,
    Frame,
    Mode,
    PathEnds,
    Raised,
    RaiseSignal,
    Refused,
    Return,
    Site,
    Undecidable,
)
from tfinit_audit.analysis.engine.hooks import Watch
from tfinit_audit.analysis.engine.loops import effect_free
from tfinit_audit.analysis.engine.values import (
    BuiltinClassV,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    GeneratorV,
    Instance,
    ModuleV,
    NamedTupleClassV,
    Seq,
    SuperV,
    Unknown,
    Value,
    decorator_name,
    with_hops,
)
from tfinit_audit.analysis.model import Hop


class Calls(InterpreterBase):
    # ------------------------------------------------------------ call expressions
    def _e_call(self, e: ast.Call, frame: Frame) -> Value:
        func = e.func
        if isinstance(func, ast.Name) and func.id == "super" and (
                frame.owner is not None or e.args or frame.mode.strict):
            return self._super(e, frame)
        if isinstance(func, ast.Name) and func.id == "globals" and not e.args:
            return self.globals_of(frame)
        f = self.eval(func, frame)
        if frame.mode.strict and isinstance(f, Unknown):
            # an unknown callee gives an unknown result whatever the arguments: import-time
            # code is not evaluated further (protobuf descriptors, huge literal tables)
            return Unknown(text=f"{f.text}(...)", module=f.module, path=f.path, line=f.line)
        args: list[Value] = []
        for a in e.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, frame)
                if isinstance(v, Seq):
                    args.extend(v.items)
                elif frame.mode.strict:
                    raise Undecidable("*args")
                continue
            args.append(self.eval(a, frame))
        kwargs: dict[str, Value] = {}
        for k in e.keywords:
            v = self.eval(k.value, frame)
            if k.arg is not None:
                kwargs[k.arg] = v
            elif isinstance(v, DictV):
                kwargs.update({str(kk): vv for kk, vv in v.items.items()})
            elif frame.mode.strict:
                raise Undecidable("**kwargs")
        if isinstance(f, BuiltinV) and f.name == "importlib.import_module":
            target = args[0] if args else kwargs.get("name")
            name = target.value if isinstance(target, Const) else target
            self.imports.ns.hop(frame.path, e.lineno, f"imports module {name}")
        site = CallSite(frame, e, f, args, kwargs)
        try:
            r = _answered(self, site, frame)
        except Refused as exc:  # TensorFlow refuses these arguments: the call raises here
            return self.python_raises(frame, e, exc.exc, exc.message, exc.operands)
        if r is not None:
            self.calls_seen += 1  # rules record what they see (engine/loops.py)
            return r
        return self.call(f, args, kwargs, (frame, e), mode=frame.mode)

    def _super(self, e: ast.Call, frame: Frame) -> Value:
        cls: Value | None
        if e.args:
            cls = self.eval(e.args[0], frame)
            obj = self.eval(e.args[1], frame) if len(e.args) > 1 else Unknown(text="super")
            if not isinstance(cls, ClassV | BuiltinClassV) and frame.owner is not None \
                    and not frame.mode.strict:
                cls = frame.owner
        else:
            cls = frame.owner
            obj = frame.self_obj or frame.locals.get("self") or Unknown(text="self")
        if not isinstance(cls, ClassV | BuiltinClassV):
            return self.undecidable(frame, "super() outside a known class", e)
        return SuperV(cls=cls, obj=obj)

    def globals_of(self, frame: Frame) -> Value:
        return Unknown(text="globals()")


    # ------------------------------------------------------------ calls
    def call(self, fn: Value, args: list[Value], kwargs: dict[str, Value], site: Site = None,
             *, mode: Mode = ABSTRACT, watch: Watch | None = None) -> Value:
        """Call ``fn`` with abstract arguments. ``site`` is the calling frame and call node
        (None for calls the engine or a rule makes); ``watch`` follows a local of the callee."""
        if site is not None:
            mode = site[0].mode
        if isinstance(fn, BuiltinV) and fn.fn is not None:
            try:
                return fn.fn(self, args, kwargs, mode)
            except (Raised, Undecidable):
                if mode.strict:
                    raise
                return Unknown(text=fn.name)
            except Exception as exc:  # noqa: BLE001 - a builtin our model cannot apply here
                if mode.strict:
                    raise Undecidable(f"{fn.name}: {exc}") from None
                return Unknown(text=fn.name)
        # a loop's fixpoint does not count a function that can change nothing (loops.py)
        unseen = isinstance(fn, FunctionV) and effect_free(fn)
        if not unseen:
            self.calls_seen += 1
        for rule in self.rules.asked("call"):
            r = rule.call(self, fn, args, kwargs)
            if r is not None:
                self.calls_seen += unseen  # a rule's answer counts (it may record what it saw)
                return r
        effects = self.imports.effects_of
        if effects is not None and isinstance(fn, FunctionV | ClassV) and fn.module != effects:
            return Unknown(text="call during import effects")  # only the module's own code
        if isinstance(fn, ClassV):
            return self.instantiate(fn, args, kwargs, site, mode)
        if isinstance(fn, BuiltinClassV):
            return self.call_builtin_class(fn, args, kwargs, mode)
        if isinstance(fn, FunctionV):
            return self._call_function(fn, args, kwargs, site, mode, watch)
        if isinstance(fn, Instance) and isinstance(fn.cls, ClassV):
            self.force(fn)  # calling an object runs its class's __call__
            found = self.member(fn.cls, "__call__")
            if found is not None and isinstance(found[1], FunctionV):
                return self._call_function(found[1].with_receiver(fn), args, kwargs, site,
                                           mode, watch)
        if mode.strict:
            if isinstance(fn, Unknown):
                return Unknown(text=f"{fn.text}(...)", module=fn.module, path=fn.path,
                               line=fn.line)
            raise Undecidable(f"call of {fn.describe()}")
        return Unknown(text=self._site_text(site))

    def _site_text(self, site: Site) -> str:
        return self.unparse(site[1]) if site else ""

    def call_builtin_class(self, cls: BuiltinClassV, args: list[Value],
                           kwargs: dict[str, Value], mode: Mode) -> Value:
        raise NotImplementedError

    # ------------------------------------------------------------ source functions
    def _call_function(self, f: FunctionV, args: list[Value], kwargs: dict[str, Value],
                       site: Site, mode: Mode, watch: Watch | None) -> Value:
        node = f.node
        if node is None:
            return Unknown(text=f"{f.qualname}(...)") if mode.strict else Unknown(
                text=self._site_text(site))
        key = _running(f, node)
        if mode.max_depth is not None and (self.depth >= mode.max_depth or key in self.stack):
            return Unknown(text=self._site_text(site))
        if not mode.strict and is_generator(node, f.src.parser_lines):
            return GeneratorV(fn=f, args=list(args), kwargs=dict(kwargs))  # body not run yet
        env = self.bind(f, args, kwargs, mode)
        if env is None:
            return Unknown(text=self._site_text(site))
        frame = Frame(mod=ModuleV(name=f.module, path=f.src.path), src=f.src, locals=env,
                      mode=mode, owner=f.owner, self_obj=_receiver(f, node, env),
                      closure=f.closure, func_name=f.name, quiet=True, watch=watch)
        if mode.strict:
            return self._run_strict(f, node, frame)
        self.depth += 1
        self.stack.append(key)
        try:
            if isinstance(node, ast.Lambda):
                return self.eval(node.body, frame)
            sig = self.exec_block(node.body, frame)
        except PathEnds as ended:  # a lambda's body raised: its call's value is unknown
            sig = ended.signal
        except Raised as exc:  # the innermost function it leaves, as a traceback names it
            if exc.left is None:
                exc.left = f
            raise
        finally:
            self.depth -= 1
            self.stack.pop()
        if isinstance(sig, Return):
            if f.hops and self.rules.traced(self, sig.value, "return"):
                return with_hops(sig.value, f.hops)
            return sig.value
        if sig is None:
            return Const(value=None)
        assert isinstance(sig, RaiseSignal)
        # the call raises on this path: its value is unknown; where it raised is kept
        return Unknown(text=self._site_text(site), path=sig.path, line=sig.line)

    def run_generator(self, gen: GeneratorV, on_yield: Callable[[Value], Value],
                      mode: Mode = ABSTRACT) -> None:
        """Run a generator function's body (as ``with`` does for a context manager made by
        ``@contextmanager``): each ``yield v`` calls ``on_yield(v)``."""
        f = gen.fn
        node = f.node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or (
                mode.max_depth is not None and (self.depth >= mode.max_depth
                                                or id(node) in self.stack)):
            return
        env = self.bind(f, gen.args, gen.kwargs, mode)
        if env is None:
            return
        frame = Frame(mod=ModuleV(name=f.module, path=f.src.path), src=f.src, locals=env,
                      mode=mode, owner=f.owner,
                      self_obj=f.bound if isinstance(f.bound, Instance) else None,
                      closure=f.closure, func_name=f.name, quiet=True, on_yield=on_yield)
        self.depth += 1
        self.stack.append(id(node))
        try:
            self.exec_block(node.body, frame)
        finally:
            self.depth -= 1
            self.stack.pop()

    def _run_strict(self, f: FunctionV, node: ast.AST, frame: Frame) -> Value:
        try:
            if isinstance(node, ast.Lambda):
                return self.eval(node.body, frame)
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            sig = self.exec_block(node.body, frame)
        except Undecidable:
            line = f.info.def_line if f.info is not None else getattr(node, "lineno", 0)
            return Unknown(text=f"{f.qualname}(...)", module=f.module, path=f.src.path,
                           line=line)
        return sig.value if isinstance(sig, Return) else Const(value=None)

    def bind(self, f: FunctionV, args: list[Value], kwargs: dict[str, Value],
             mode: Mode = ABSTRACT) -> dict[str, Value] | None:
        """Arguments -> parameters, defaults evaluated in the defining module. Arguments that
        do not fit the signature: None in abstract mode; import mode fills what it can."""
        node = f.node
        assert node is not None
        a = node.args
        pos, names, pairs = _signature(node)
        env: dict[str, Value] = {}
        args = [f.bound, *args] if f.bound is not None else list(args)
        extra_pos = args[len(pos):]
        for p, v in zip(pos, args, strict=False):
            env[p] = v
        if extra_pos and a.vararg is None and mode.bind_strict:
            return None
        extra_kw: dict[str, Value] = {}
        for k, v in kwargs.items():
            if k not in names:
                extra_kw[k] = v
            elif k in env:
                if mode.bind_strict:
                    return None
            else:
                env[k] = v
        if extra_kw and a.kwarg is None and mode.bind_strict:
            return None
        for p, d in pairs:
            if p in env:
                continue
            if d is None:
                if mode.bind_strict:
                    return None
                env[p] = Unknown(text=p)
                continue
            env[p] = self._default(f, p, d, mode)
        if a.vararg is not None:
            env[a.vararg.arg] = Seq(items=extra_pos, kind="tuple")
        if a.kwarg is not None:
            env[a.kwarg.arg] = DictV(items=dict(extra_kw))
        return env

    def parameter_default(self, f: FunctionV, name: str) -> tuple[Value, ast.expr] | None:
        """The default of ``f``'s parameter ``name``, evaluated in its module (abstract mode),
        and its expression; None when ``f`` has no such parameter with a default."""
        node = f.node
        if node is None or isinstance(node, ast.Lambda):
            return None
        a = node.args
        pos = [*a.posonlyargs, *a.args]
        pairs = [*zip(pos[len(pos) - len(a.defaults):], a.defaults, strict=True),
                 *zip(a.kwonlyargs, a.kw_defaults, strict=True)]
        d = next((d for p, d in pairs if p.arg == name), None)
        return (self._default(f, name, d, ABSTRACT), d) if d is not None else None

    def _default(self, f: FunctionV, name: str, d: ast.expr, mode: Mode) -> Value:
        frame = Frame(mod=ModuleV(name=f.module, path=f.src.path), src=f.src, locals={},
                      mode=mode)
        if mode.strict:
            return self.eval(d, frame)
        return with_hops(self.eval(d, frame), [self._default_hop(f, name, d)])

    def default_hop(self, f: FunctionV, name: str) -> Hop | None:
        """The hop abstract mode puts on the default of ``f``'s parameter ``name`` (the
        value a call that leaves it out binds carries it wherever it goes); None when it has
        no default."""
        found = self.parameter_default(f, name)
        return self._default_hop(f, name, found[1]) if found is not None else None

    def _default_hop(self, f: FunctionV, name: str, d: ast.expr) -> Hop:
        return f.src.hop(d.lineno, f"default {name}={self.unparse(d)}")

    # ------------------------------------------------------------ classes
    def instantiate(self, cls: ClassV, args: list[Value], kwargs: dict[str, Value],
                    site: Site = None, mode: Mode = ABSTRACT) -> Value:
        for rule in self.rules.asked("instantiate"):
            r = rule.instantiate(self, cls, args, kwargs)
            if r is not None:
                return r
        nt = self._namedtuple_base(cls)
        if nt is not None:  # a tuple: made by the namedtuple's __new__, kept as a Seq
            made = self.call_builtin_class(nt, args, kwargs, mode)
            if isinstance(made, Seq):
                made.cls = cls
            return made
        named = _named_kwargs(site, kwargs)
        if mode.lazy_instances:
            return Instance(cls=cls, pending=(args, kwargs, site), named_kwargs=named)
        inst = Instance(cls=cls, named_kwargs=named)
        init = self.member(cls, "__init__")
        if init is not None and isinstance(init[1], FunctionV):
            self.call(init[1].with_receiver(inst), args, kwargs, mode=mode)
        elif args and any(isinstance(c, BuiltinClassV) and c.name == "ModuleType"
                          for c in self.mro(cls)):
            inst.attrs["__name__"] = args[0]
        return inst

    def _namedtuple_base(self, cls: ClassV) -> NamedTupleClassV | None:
        """The namedtuple class ``cls`` derives from, when nothing of its own source makes
        or initialises the object (no ``__new__``/``__init__`` of a source class)."""
        mro = self.mro(cls)
        nt = next((c for c in mro if isinstance(c, NamedTupleClassV)), None)
        if nt is None or self.member(cls, "__new__") is not None \
                or self.member(cls, "__init__") is not None:
            return None
        return nt

    def force(self, obj: Instance) -> Instance:
        """Run a lazily constructed object's ``__init__`` (first time it is looked at)."""
        if obj.pending is None:
            return obj
        args, kwargs, site = obj.pending
        obj.pending = None
        if isinstance(obj.cls, ClassV):
            ctor = self.getattr(obj, "__init__")
            if isinstance(ctor, FunctionV):
                self.call(ctor, args, kwargs, site)
        return obj


def _answered(it: Any, site: CallSite, frame: Frame) -> Value | None:
    """A call's value as a rule (the extra rules first, then the frame's watch, then the
    registered ones) gives it; None: no rule answers, the function is called."""
    for rule in it.rules.extra_by_hook["call_site"]:
        r = rule.call_site(it, site)
        if r is not None:
            return r
    if frame.watch is not None:
        r = frame.watch.on_call(it, site)
        if r is not None:
            return r
    for rule in it.rules.by_hook["call_site"]:
        r = rule.call_site(it, site)
        if r is not None:
            return r
    return None


def _running(f: FunctionV, node: ast.AST) -> Any:
    """What the recursion guard knows a running function by: its code, and for a nested
    function its closure (one decorator's ``wrapper`` around two methods is two functions:
    ``RNN.build``'s wrapper calling its cell's ``build`` wrapper is no recursion)."""
    return id(node) if f.closure is None else (id(node), id(f.closure))


def _receiver(f: FunctionV, node: ast.AST, env: dict[str, Value]) -> Instance | None:
    """The object a method runs on: the receiver it was bound to, or, for a function of a
    class body called through the class (``fn(instance, input_shape)`` in a decorator's
    wrapper, ``Base.build(self, shape)``), the instance its first parameter got."""
    if isinstance(f.bound, Instance):
        return f.bound
    if f.bound is None and f.owner is not None and isinstance(node, ast.FunctionDef) \
            and node.args.args and not any(
                decorator_name(d) in ("staticmethod", "classmethod") for d in f.decorators):
        got = env.get(node.args.args[0].arg)
        return got if isinstance(got, Instance) else None
    return None


def _named_kwargs(site: Site, kwargs: dict[str, Value]) -> dict[str, Value] | None:
    """The keyword arguments a call expression writes by name (not through ``**``)."""
    if site is None or not isinstance(site[1], ast.Call):
        return None
    return {k.arg: kwargs[k.arg] for k in site[1].keywords
            if k.arg is not None and k.arg in kwargs} or None


Signature = tuple[tuple[str, ...], frozenset[str],
                  tuple[tuple[str, ast.expr | None], ...]]


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> Signature:
    """The positional parameters' names, every name a keyword can bind, and each parameter
    with its default expression (None: none), in signature order -- read once per syntax
    tree (a fact of the source text, kept on the node as ``is_generator``'s is)."""
    cached = node.__dict__.get("_tfa_signature")
    if cached is None:
        a = node.args
        pos = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(pos) - len(a.defaults))
        defaults += list(a.defaults)
        pairs = [*zip(pos, defaults, strict=True), *zip(a.kwonlyargs, a.kw_defaults,
                                                        strict=True)]
        cached = (tuple(p.arg for p in pos),
                  frozenset(p.arg for p in [*pos, *a.kwonlyargs]),
                  tuple((p.arg, d) for p, d in pairs))
        node.__dict__["_tfa_signature"] = cached
    return cached


def is_generator(node: ast.AST, lines: list[str] | None = None) -> bool:
    """Does the function's own body ``yield`` (nested functions and classes aside)? ``lines``:
    the text of the file the node was parsed from (with its line numbers): no ``yield`` in the
    function's lines is no (the syntax tree is not walked)."""
    cached = node.__dict__.get("_tfa_generator")
    if cached is None:
        cached = False
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if lines is not None and start is not None and end is not None and not any(
                "yield" in line for line in lines[start - 1:end]):
            node.__dict__["_tfa_generator"] = False
            return False
        todo = list(ast.iter_child_nodes(node))
        while todo:
            n = todo.pop()
            if isinstance(n, ast.Yield | ast.YieldFrom):
                cached = True
                break
            if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                              | ast.ClassDef):
                todo.extend(ast.iter_child_nodes(n))
        node.__dict__["_tfa_generator"] = cached
    return bool(cached)
