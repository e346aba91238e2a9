"""Abstract evaluation of a release's own Python source.

A small interpreter over ``ast`` that runs constructors, ``build`` methods and the library
functions they call with *abstract* values: known constants, instances of source classes,
initializer values, shapes and ``Unknown``. Every value carries the hops (real source lines)
that produced it, which become the provenance chain of a weight.

Generic rules (no per-release knowledge):
- a branch whose condition is unknown and which leaves the function (``return``/``raise``) is
  treated as a special case not taken; non-exiting branches are both run and merged;
- calls into source functions are evaluated with a depth limit; anything else is ``Unknown``;
- ``initializer=None`` passed on to a source function is followed into it (the fallback chain)
  until some line assigns a real initializer to that function's ``initializer`` variable.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis import initializers as vocab
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.summaries import ParseCache, parse, top_level_starts
from tfinit_audit.sources.base import SourceTree

MAX_DEPTH = 14


# ----------------------------------------------------------------------------- values
@dataclass(eq=False)
class Value:
    hops: tuple[Hop, ...] = field(default=(), kw_only=True)


@dataclass(eq=False)
class Unknown(Value):
    text: str = ""
    path: str = ""
    line: int = 0


@dataclass(eq=False)
class Const(Value):
    value: Any = None


@dataclass(eq=False)
class InitV(Value):
    """An initializer object of the canonical vocabulary."""

    kind: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    truncation: float | None = None


@dataclass(eq=False)
class Applied(Value):
    """An initializer called on a shape (inside a nested initializer function)."""

    init: Value = field(default_factory=Unknown)
    shape: list[Any] | None = None


@dataclass(eq=False)
class Composite(Value):
    parts: list[tuple[Value, int, int]] = field(default_factory=list)


@dataclass(eq=False)
class ModuleV(Value):
    mod: Module | None = None
    dotted: str = ""


@dataclass(eq=False)
class ClassV(Value):
    mod: Module | None = None
    node: ast.ClassDef | None = None

    @property
    def name(self) -> str:
        return self.node.name if self.node else "?"


@dataclass(eq=False)
class FuncV(Value):
    mod: Module | None = None
    node: ast.FunctionDef | ast.Lambda | None = None
    owner: ClassV | None = None  # class whose body defines it (for super())
    bound: Value | None = None  # self for bound methods
    closure: dict[str, Value] | None = None
    is_property: bool = False

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<lambda>")


@dataclass(eq=False)
class Obj(Value):
    cls: ClassV = field(default_factory=ClassV)
    attrs: dict[str, Value] = field(default_factory=dict)
    attr_lines: dict[str, Hop] = field(default_factory=dict)
    # constructor call not run yet: objects nobody looks at (name scopes, specs) stay cheap
    pending: tuple[Any, ...] | None = None


@dataclass(eq=False)
class SuperV(Value):
    cls: ClassV = field(default_factory=ClassV)
    obj: Value = field(default_factory=Unknown)


@dataclass(eq=False)
class SeqV(Value):
    items: list[Value] = field(default_factory=list)
    kind: str = "list"  # "list" | "tuple" | "shape" (a TensorShape-like input shape)


@dataclass(eq=False)
class DictV(Value):
    items: dict[Any, Value] = field(default_factory=dict)


@dataclass(eq=False)
class DType(Value):
    name: str = "float32"


@dataclass(eq=False)
class Builtin(Value):
    name: str = ""
    bound: Value | None = None


def with_hops(v: Value, hops: tuple[Hop, ...] | list[Hop], front: bool = True) -> Value:
    """Copy of ``v`` with extra hops (front: newer derivation steps first)."""
    import copy

    if not hops:
        return v
    if isinstance(v, Obj | DictV | SeqV):  # keep identity of mutable objects
        return v
    nv = copy.copy(v)
    nv.hops = tuple(hops) + v.hops if front else v.hops + tuple(hops)
    return nv


def concrete(v: Value) -> Any:
    """Python value of a fully known value (ints, tuples, strings...), else raise KeyError."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, SeqV):
        return tuple(concrete(i) for i in v.items)
    if isinstance(v, DType):
        return v.name
    raise KeyError


def truth(v: Value) -> bool | None:
    if isinstance(v, Const):
        try:
            return bool(v.value)
        except Exception:
            return None
    if isinstance(v, SeqV):
        return bool(v.items)
    if isinstance(v, DictV):
        return bool(v.items) if v.items else None
    if isinstance(v, Unknown):
        return None
    return True


# ----------------------------------------------------------------------------- modules
LAZY_MIN = 16_000  # modules at least this large and not parsed yet are read chunk by chunk
_HEADER = re.compile(r"(?:async[ \t]+def|def|class)[ \t]+(\w+)")
_DECORATED = re.compile(r"\n(?:async[ \t]+def|def|class)[ \t]+(\w+)")
_STAR = re.compile(r"\bimport\s*\*")


@dataclass(eq=False)
class Module:
    """One source module. A large module nobody has parsed yet is not parsed whole: a name is
    looked up by parsing only the top-level statements whose text contains it (a binding of a
    name needs its identifier in the text), found by ``top_level_starts``."""

    dotted: str
    path: str
    package: str
    text: str
    is_pkg: bool
    asts: ParseCache = field(default_factory=ParseCache)
    sha: str = ""
    cache: dict[str, Value] = field(default_factory=dict)
    _tree: ast.Module | None = None
    _lines: list[str] | None = None
    _index: dict[str, ast.AST] | None = None  # every module-level binding (whole parse)
    _stars: list[str] | None = None
    _found: dict[str, ast.AST | None] = field(default_factory=dict)
    _starts: list[int] | None = None
    _start_lines: list[int] | None = None
    _chunk: dict[int, list[ast.stmt]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sha = self.sha or ParseCache.sha(self.text)
        self.defs = _Defs(self)
        if len(self.text) < LAZY_MIN or self.asts.has(self.sha):
            self._full()
        else:
            starts = top_level_starts(self.text)
            if starts is None:
                self._full()
            else:
                self._starts = starts
                lines = [1]
                for a, b in itertools.pairwise(starts):
                    lines.append(lines[-1] + self.text.count("\n", a, b))
                self._start_lines = lines

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    @property
    def tree(self) -> ast.Module:
        if self._tree is None:
            self._tree = self.asts.parse(self.text, self.sha)
        return self._tree

    @property
    def stars(self) -> list[str]:
        if self._stars is None:
            stars: list[str] = []
            if not self._visit_chunks("*", {}, stars):
                self._whole()
                return self._stars or []
            self._stars = stars
        return self._stars

    def _full(self) -> None:
        defs: dict[str, ast.AST] = {}
        stars: list[str] = []
        _index_body(self, self.tree.body, defs, stars)
        self._index, self._stars = defs, stars

    def _whole(self) -> None:
        """Fall back to the whole parse after a lazy start; unparsable -> no bindings."""
        try:
            self._full()
        except Exception:  # noqa: BLE001 - like a module Python cannot import
            self._index, self._stars = {}, []

    def lookup(self, name: str) -> ast.AST | None:
        """The binding node of module-level ``name`` (last one wins), or None."""
        if self._index is not None:
            return self._index.get(name)
        if name in self._found:
            return self._found[name]
        defs: dict[str, ast.AST] = {}
        if not self._visit_chunks(name, defs, []):
            self._whole()
            return self.lookup(name)
        self._found[name] = defs.get(name)
        return self._found[name]

    def _chunk_binds(self, i: int, name: str) -> bool:
        """Can top-level statement ``i`` bind ``name``? A def/class binds only its own name
        (read from its header); any other statement may, when the name is in its text."""
        starts = self._starts
        assert starts is not None
        a = starts[i]
        b = starts[i + 1] if i + 1 < len(starts) else len(self.text)
        m = _HEADER.match(self.text, a, b)
        if m is None and self.text.startswith("@", a):
            m = _DECORATED.search(self.text, a, b)
        if m is not None:  # decorators are expressions: they bind nothing themselves
            return m.group(1) == name or self.text.find(name, a, m.start()) >= 0
        return True

    def _visit_chunks(self, word: str, defs: dict[str, ast.AST], stars: list[str]) -> bool:
        """Index, in source order, the top-level statements that can bind ``word`` (its text
        occurs in them; "*" finds star imports); False when one does not parse on its own
        (then only a whole parse is safe)."""
        starts, lines = self._starts, self._start_lines
        assert starts is not None and lines is not None
        text = self.text
        seen: list[int] = []
        pos = text.find(word)
        while pos >= 0:
            end = pos + len(word)
            if word == "*" or (
                not (pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"))
                and not (end < len(text) and (text[end].isalnum() or text[end] == "_"))
            ):
                i = bisect.bisect_right(starts, pos) - 1
                if word == "*" or self._chunk_binds(i, word):
                    seen.append(i)
                if i + 1 >= len(starts):
                    break
                pos = text.find(word, starts[i + 1])
            else:
                pos = text.find(word, end)
        for i in seen:
            body = self._chunk.get(i)
            if body is None:
                end = starts[i + 1] if i + 1 < len(starts) else len(text)
                chunk = text[starts[i] : end]
                if word == "*" and not _STAR.search(chunk):
                    continue
                try:  # blank lines in front keep the real line numbers
                    tree = parse("\n" * (lines[i] - 1) + chunk)
                except Exception:  # noqa: BLE001 - unsure segmentation: parse the whole module
                    return False
                body = self._chunk[i] = tree.body
            _index_body(self, body, defs, stars)
        return True

    def code(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    def hop(self, line: int, note: str) -> Hop:
        return Hop(package=self.package, path=self.path, line=line, code=self.code(line), note=note)


class _Defs:
    """``name in mod.defs`` / ``mod.defs.get(name)`` over a module's lazy index."""

    def __init__(self, mod: Module) -> None:
        self.mod = mod

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.mod.lookup(name) is not None

    def get(self, name: str) -> ast.AST | None:
        return self.mod.lookup(name)

    def __getitem__(self, name: str) -> ast.AST:
        node = self.mod.lookup(name)
        if node is None:
            raise KeyError(name)
        return node

    def items(self) -> list[tuple[str, ast.AST]]:
        if self.mod._index is None:
            self.mod._whole()
        assert self.mod._index is not None
        return list(self.mod._index.items())


class Fixed(Exception):  # noqa: N818 - control flow, not an error
    """Raised when a followed ``initializer`` variable receives a real initializer."""

    def __init__(self, value: Value, hops: list[Hop]) -> None:
        super().__init__()
        self.value = value
        self.hops = hops


@dataclass
class Return:
    value: Value


class RaiseSig:
    pass


RAISE = RaiseSig()


@dataclass
class Frame:
    mod: Module
    locals: dict[str, Value]
    owner: ClassV | None = None
    self_obj: Value | None = None
    closure: dict[str, Value] | None = None
    follow: bool = False  # track the local ``follow_var`` (fallback chain)
    follow_var: str = "initializer"  # the followed local: "initializer", or a None parameter
    func_name: str = ""
    conds: list[str] = field(default_factory=list)
    trail: list[Hop] = field(default_factory=list)  # follow mode: lines that kept it None


# hook signature: (program, frame, call node, callee, args, kwargs) -> Value | None
CallHook = Callable[
    ["Program", Frame, ast.Call, Value, list[Value], dict[str, Value]], Value | None
]


class Program:
    """All modules of one release that the evaluation touches, plus the evaluator itself."""

    def __init__(self, tree: SourceTree, asts: ParseCache | None = None) -> None:
        self.tree = tree
        self.asts = asts or ParseCache()  # shared with the name resolver's summaries
        self.modules: dict[str, Module | None] = {}
        self.read: dict[str, str] = {}  # path -> sha256 of every file read
        self.depth = 0
        self.stack: list[int] = []
        self.call_hook: CallHook | None = None
        self.steps = 0
        # public dotted name -> (kind, module dotted, path, qualname); set by the caller so that
        # names only reachable through generated API modules / lazy loaders (``tf.compat.v1.x``
        # inside Keras) resolve the way Python would resolve them at import time.
        self.public_resolver: Callable[[str], tuple[str, str, str, str] | None] | None = None
        self._public_cache: dict[str, Value | None] = {}

    # --- module loading -------------------------------------------------------------
    def _paths_for(self, dotted: str) -> list[tuple[str, bool]]:
        parts = dotted.split(".")
        outs = []
        roots = [parts]
        if parts[0] == "tensorflow":
            roots.append(["tensorflow_core", *parts[1:]])
        for r in roots:
            base = "/".join(r)
            outs.append((base + ".py", False))
            outs.append((base + "/__init__.py", True))
        return outs

    def module(self, dotted: str) -> Module | None:
        if dotted in self.modules:
            return self.modules[dotted]
        self.modules[dotted] = None
        for path, is_pkg in self._paths_for(dotted):
            text = self.tree.read_text(path)
            if text is None:
                continue
            sha = ParseCache.sha(text)
            self.read[path] = sha
            try:
                m = Module(
                    dotted=dotted,
                    path=path,
                    package=self.tree.package_of(path) or path.split("/", 1)[0],
                    text=text,
                    is_pkg=is_pkg,
                    asts=self.asts,
                    sha=sha,
                )
            except Exception:  # noqa: BLE001 - a module Python could not import either
                continue
            self.modules[dotted] = m
            return m
        return None

    def module_by_path(self, path: str) -> Module | None:
        dotted = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if dotted.startswith("tensorflow_core."):
            m = self.module("tensorflow." + dotted.split(".", 1)[1])
            if m and m.path == path:
                return m
        return self.module(dotted)

    def public_value(self, dotted: str) -> Value | None:
        """Resolve ``tensorflow.compat.v1.zeros_initializer``-style names via the name resolver."""
        if self.public_resolver is None:
            return None
        if dotted in self._public_cache:
            return self._public_cache[dotted]
        self._public_cache[dotted] = None
        found = self.public_resolver(dotted)
        val: Value | None = None
        if found is not None:
            kind, module, path, qualname = found
            if kind == "module":
                m = self.module_by_path(path) if path else self.module(module)
                val = ModuleV(mod=m, dotted=module)
            elif kind in ("class", "function") and path:
                m = self.module_by_path(path)
                if m is not None:
                    parts = qualname.split(".")
                    v = self.global_value(m, parts[0])
                    for part in parts[1:]:
                        v = self.getattr(v, part, None, None)
                    val = None if isinstance(v, Unknown) else v
        self._public_cache[dotted] = val
        return val

    def is_module(self, dotted: str) -> bool:
        return any(self.tree.exists(p) for p, _ in self._paths_for(dotted))

    # --- globals ------------------------------------------------------------------------
    def global_value(
        self, mod: Module, name: str, _seen: set[tuple[str, str]] | None = None
    ) -> Value:
        if name in mod.cache:
            return mod.cache[name]
        seen = _seen or set()
        if (mod.dotted, name) in seen:
            return Unknown(text=name, path=mod.path)
        seen.add((mod.dotted, name))
        node = mod.defs.get(name)
        val: Value
        if node is None:
            val = Unknown(text=name, path=mod.path)
            for star in mod.stars:
                sm = self.module(star)
                if sm and (name in sm.defs or sm.stars):
                    val = self.global_value(sm, name, seen)
                    if not isinstance(val, Unknown):
                        break
            if isinstance(val, Unknown) and mod.is_pkg and self.is_module(f"{mod.dotted}.{name}"):
                sub = self.module(f"{mod.dotted}.{name}")
                val = ModuleV(mod=sub, dotted=f"{mod.dotted}.{name}")
        elif isinstance(node, ast.ClassDef):
            val = ClassV(mod=mod, node=node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            val = FuncV(mod=mod, node=node)  # type: ignore[arg-type]
        elif isinstance(node, _ImportBinding):
            val = self._import_value(mod, node, seen)
        elif isinstance(node, ast.expr):
            mod.cache[name] = Unknown(text=name, path=mod.path)  # recursion guard
            frame = Frame(mod=mod, locals={})
            try:
                val = self.eval(node, frame)
            except Fixed:
                val = Unknown(text=name, path=mod.path)
            line = getattr(node, "lineno", 0)
            if isinstance(val, ClassV | FuncV | InitV):
                val = with_hops(val, [mod.hop(line, f"module-level alias {name}")])
        else:
            val = Unknown(text=name, path=mod.path)
        mod.cache[name] = val
        return val

    def _import_value(self, mod: Module, b: _ImportBinding, seen: set[tuple[str, str]]) -> Value:
        target = b.module
        if b.level:
            pkg = mod.dotted.split(".") if mod.is_pkg else mod.dotted.split(".")[:-1]
            if b.level > 1:
                pkg = pkg[: -(b.level - 1)]
            target = ".".join(pkg + ([b.module] if b.module else []))
        if b.name is None:  # import a.b.c [as x]
            return ModuleV(mod=self.module(target), dotted=target)
        full = f"{target}.{b.name}"
        src = self.module(target)
        if src is not None and (b.name in src.defs or b.name in src.cache):
            v = self.global_value(src, b.name, seen)
            if not (isinstance(v, Unknown) and self.is_module(full)):
                return v
        if self.is_module(full):
            return ModuleV(mod=self.module(full), dotted=full)
        if src is not None:
            return self.global_value(src, b.name, seen)
        return Unknown(text=full, path=mod.path)

    # --- classes --------------------------------------------------------------------------
    def bases(self, cls: ClassV) -> list[ClassV]:
        cache: dict[int, list[ClassV]] = self.__dict__.setdefault("_bases_cache", {})
        key = id(cls.node)
        if key not in cache:
            cache[key] = self._bases(cls)
        return cache[key]

    def _bases(self, cls: ClassV) -> list[ClassV]:
        out: list[ClassV] = []
        assert cls.node is not None and cls.mod is not None
        for b in cls.node.bases:
            try:
                v = self.eval(b, Frame(mod=cls.mod, locals={}))
            except Fixed:
                continue
            if isinstance(v, ClassV):
                out.append(v)
        return out

    def mro(self, cls: ClassV) -> list[ClassV]:
        """C3 linearisation over source classes (unresolvable bases are skipped)."""
        key = id(cls.node)
        cache: dict[int, list[ClassV]] = self.__dict__.setdefault("_mro", {})
        if key in cache:
            return cache[key]
        cache[key] = [cls]
        seqs = [self.mro(b) for b in self.bases(cls)] + [self.bases(cls)]
        result = [cls]
        seqs = [list(s) for s in seqs if s]
        while seqs:
            for s in seqs:
                head = s[0]
                if not any(head.node is t.node for o in seqs for t in o[1:]):
                    break
            else:
                head = seqs[0][0]
            result.append(head)
            seqs = [[c for c in s if c.node is not head.node] for s in seqs]
            seqs = [s for s in seqs if s]
        cache[key] = result
        return result

    def class_member(
        self, cls: ClassV, name: str, after: ClassV | None = None
    ) -> tuple[ClassV, ast.AST] | None:
        chain = self.mro(cls)
        if after is not None:
            idx = next((i for i, c in enumerate(chain) if c.node is after.node), None)
            chain = chain[idx + 1 :] if idx is not None else []
        for c in chain:
            assert c.node is not None
            st = _members(c.node).get(name)
            if st is not None:
                return c, st
        return None

    def member_value(
        self, cls: ClassV, name: str, obj: Value | None, after: ClassV | None = None
    ) -> Value:
        found = self.class_member(cls, name, after)
        if found is None:
            return Unknown(text=f"{cls.name}.{name}")
        owner, node = found
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            decos = {_deco_name(d) for d in node.decorator_list}
            f = FuncV(mod=owner.mod, node=node, owner=owner, bound=obj)  # type: ignore[arg-type]
            if "property" in decos or "cached_property" in decos:
                if obj is None:
                    return Unknown(text=f"{cls.name}.{name}")
                return self.call(f, [], {}, None)
            if "staticmethod" in decos:
                f.bound = None
            if "classmethod" in decos:
                f.bound = cls
            if any(d.endswith("setter") for d in decos):
                return Unknown(text=f"{cls.name}.{name}")
            return f
        assert isinstance(node, ast.Assign) and owner.mod is not None
        return self.eval(node.value, Frame(mod=owner.mod, locals={}, owner=owner))

    # --- calls ----------------------------------------------------------------------------
    def bind(
        self, f: FuncV, args: list[Value], kwargs: dict[str, Value]
    ) -> tuple[dict[str, Value], dict[str, Hop]] | None:
        """Bind arguments to parameters (defaults evaluated in the defining module)."""
        node = f.node
        assert node is not None and f.mod is not None
        a = node.args
        pos = [*a.posonlyargs, *a.args]
        env: dict[str, Value] = {}
        where: dict[str, Hop] = {}
        args = list(args)
        if f.bound is not None and not isinstance(node, ast.Lambda) or f.bound is not None:
            args = [f.bound, *args]
        defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
        extra_pos: list[Value] = []
        for i, v in enumerate(args):
            if i < len(pos):
                env[pos[i].arg] = v
            else:
                extra_pos.append(v)
        if extra_pos and a.vararg is None:
            return None
        extra_kw: dict[str, Value] = {}
        names = {p.arg for p in pos} | {p.arg for p in a.kwonlyargs}
        for k, v in kwargs.items():
            if k in names:
                if k in env:
                    return None
                env[k] = v
            else:
                extra_kw[k] = v
        if extra_kw and a.kwarg is None:
            return None
        frame = Frame(mod=f.mod, locals={})
        for p, d in zip(pos, defaults, strict=True):
            if p.arg not in env:
                if d is None:
                    return None
                env[p.arg] = with_hops(
                    self.eval(d, frame), [f.mod.hop(d.lineno, f"default {p.arg}={_unparse(d)}")]
                )
                where[p.arg] = f.mod.hop(d.lineno, f"default {p.arg}={_unparse(d)}")
        for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            if p.arg not in env:
                if d is None:
                    return None
                env[p.arg] = with_hops(
                    self.eval(d, frame), [f.mod.hop(d.lineno, f"default {p.arg}={_unparse(d)}")]
                )
        if a.vararg is not None:
            env[a.vararg.arg] = SeqV(items=extra_pos)
        if a.kwarg is not None:
            env[a.kwarg.arg] = DictV(items=dict(extra_kw))
        return env, where

    def call(
        self,
        f: Value,
        args: list[Value],
        kwargs: dict[str, Value],
        site: tuple[Frame, ast.Call] | None,
        follow: bool = False,
        follow_var: str = "initializer",
    ) -> Value:
        """Call a source function, class or builtin abstractly."""
        if isinstance(f, Builtin):
            return _builtin(self, f, args, kwargs)
        fname = getattr(f, "name", "")
        if fname in ("TensorShape", "as_shape") and args and isinstance(args[0], SeqV):
            return args[0]  # a shape given as a list already is that shape
        if fname == "TensorShape" and args and isinstance(args[0], Const) and args[0].value is None:
            return Unknown(text="TensorShape(None)")
        if isinstance(f, ClassV):
            return self.instantiate(f, args, kwargs, site)
        if isinstance(f, InitV | Applied) and args:
            return Applied(init=f, shape=_shape_list(args[0]), hops=f.hops)
        if not isinstance(f, FuncV) or f.node is None or f.mod is None:
            return Unknown(text=_site_text(site))
        if f.name == "as_dtype" and args:  # dtype normalisation: a dtype name or object
            a0 = args[0]
            if isinstance(a0, DType):
                return a0
            if isinstance(a0, Const) and isinstance(a0.value, str) and a0.value in _DTYPES:
                return DType(name=a0.value)
        if (
            f.name in ("get", "deserialize")
            and f.mod.dotted.rsplit(".", 1)[-1] in ("activations",)
            and args
            and isinstance(args[0], Const)
            and isinstance(args[0].value, str)
        ):
            target, _hop = self._identifier_target(f.mod, args[0].value, set())
            if target is not None:
                return target
        if (
            f.name in ("get", "deserialize")
            and "initializers" in f.mod.dotted
            and args
            and isinstance(args[0], Const)
            and isinstance(args[0].value, str)
        ):
            return self.initializer_identifier(f.mod, args[0].value, args[0].hops)
        if self.depth >= MAX_DEPTH or id(f.node) in self.stack:
            return Unknown(text=_site_text(site))
        bound = self.bind(f, args, kwargs)
        if bound is None:
            return Unknown(text=_site_text(site))
        env, _ = bound
        frame = Frame(
            mod=f.mod,
            locals=env,
            owner=f.owner,
            self_obj=f.bound if isinstance(f.bound, Obj) else None,
            closure=f.closure,
            follow=follow,
            follow_var=follow_var,
            func_name=f.name,
        )
        self.depth += 1
        self.stack.append(id(f.node))
        try:
            if isinstance(f.node, ast.Lambda):
                return self.eval(f.node.body, frame)
            sig = self.exec_block(f.node.body, frame)
        finally:
            self.depth -= 1
            self.stack.pop()
        if isinstance(sig, Return):
            if isinstance(sig.value, InitV | Composite) and f.hops:
                return with_hops(sig.value, f.hops)
            return sig.value
        if sig is None:
            return Const(value=None)
        return Unknown(text=_site_text(site))

    def instantiate(
        self,
        cls: ClassV,
        args: list[Value],
        kwargs: dict[str, Value],
        site: tuple[Frame, ast.Call] | None,
    ) -> Value:
        init = self.initializer_from_class(cls, args, kwargs)
        if init is not None:
            return init
        obj = Obj(cls=cls)
        obj.pending = (args, kwargs, site)
        return obj

    def force(self, obj: Obj) -> Obj:
        """Run a lazily instantiated object's ``__init__`` (first time it is looked at)."""
        if obj.pending is None:
            return obj
        args, kwargs, site = obj.pending
        obj.pending = None
        ctor = self.member_value(obj.cls, "__init__", obj)
        if isinstance(ctor, FuncV):
            self.call(ctor, args, kwargs, site)
        return obj

    def initializer_identifier(
        self, mod: Module, ident: str, arg_hops: tuple[Hop, ...] = ()
    ) -> Value:
        """A string identifier looked up the way the release's initializers module does.

        In order: explicit alias entries in that module (``TABLE["uniform"] = ...``,
        ``{"uniform": RandomUniform}``), a module-level name, then the class whose
        snake_case name is the identifier (``glorot_uniform`` -> ``GlorotUniform``) among the
        module's own and imported names.
        """
        target, hop = self._identifier_target(mod, ident, set())
        hops = [mod.hop(hop[0], hop[1])] if hop and hop[0] > 0 else []
        if target is None:
            return Unknown(
                text=f"initializer identifier {ident!r}", path=mod.path, line=0, hops=arg_hops
            )
        if isinstance(target, ClassV):
            val = self.instantiate(target, [], {}, None)
        elif isinstance(target, FuncV):
            val = self.call(target, [], {}, None)
        else:
            val = target
        if isinstance(val, InitV | Composite):
            # the line that names the identifier may also be the alias line: one hop, not two
            seen = {(h.path, h.line) for h in hops}
            more = [h for h in target.hops if (h.path, h.line) not in seen]
            return with_hops(val, list(arg_hops) + hops + more)
        return Unknown(
            text=f"initializer identifier {ident!r}", path=mod.path, line=hop[0] if hop else 0
        )

    def _identifier_target(
        self, mod: Module, ident: str, seen: set[str]
    ) -> tuple[Value | None, tuple[int, str] | None]:
        if ident in seen:
            return None, None
        seen.add(ident)
        frame = Frame(mod=mod, locals={})
        for node in ast.walk(mod.tree):
            expr: ast.expr | None = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                t = node.targets[0]
                if (
                    isinstance(t, ast.Subscript)
                    and isinstance(t.slice, ast.Constant)
                    and t.slice.value == ident
                ):
                    expr = node.value
            elif isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == ident:
                        expr = v
            if expr is None:
                continue
            line = expr.lineno
            if (
                isinstance(expr, ast.Subscript)
                and isinstance(expr.slice, ast.Constant)
                and isinstance(expr.slice.value, str)
            ):
                tgt, _ = self._identifier_target(mod, expr.slice.value, seen)
                if tgt is not None:
                    return tgt, (line, f"identifier {ident!r} is an alias of {expr.slice.value!r}")
                continue
            try:
                found = self.eval(expr, frame)
            except Fixed:
                continue
            if isinstance(found, ClassV | FuncV):
                return found, (line, f"identifier {ident!r} -> {_unparse(expr)}")
        if ident in mod.defs:
            gv = self.global_value(mod, ident)
            if isinstance(gv, ClassV | FuncV):
                line = getattr(mod.defs[ident], "lineno", 0)
                return gv, (line, f"identifier {ident!r} is the module-level name {ident}")
        camel = (
            "".join(w[:1].upper() + w[1:] for w in ident.split("_")) if ident.islower() else ident
        )
        cands: list[tuple[int, Value, int]] = []
        if camel in mod.defs:
            cv0 = self.global_value(mod, camel)
            if isinstance(cv0, ClassV):
                return cv0, (
                    getattr(mod.defs[camel], "lineno", 0),
                    f"identifier {ident!r} names class {camel}",
                )
        for name, b in mod.defs.items():
            if not isinstance(b, _ImportBinding):
                continue
            mv = self.global_value(mod, name)
            if isinstance(mv, ModuleV) and mv.mod is not None and camel in mv.mod.defs:
                cv = self.global_value(mv.mod, camel)
                if isinstance(cv, ClassV):
                    penalty = 1 if "v1" in mv.dotted.rsplit(".", 1)[-1] else 0
                    cands.append((penalty, cv, len(cands)))
        if cands:
            cands.sort(key=lambda c: (c[0], c[2]))
            cv = cands[0][1]
            assert isinstance(cv, ClassV) and cv.mod is not None and cv.node is not None
            return cv, (0, "")
        return None, None

    def is_initializer_class(self, cls: ClassV) -> bool:
        return any(c.name in vocab.VOCABULARY or c.name == "Initializer" for c in self.mro(cls))

    def initializer_from_class(
        self,
        cls: ClassV,
        args: list[Value],
        kwargs: dict[str, Value],
        via_super: bool = False,
    ) -> InitV | Unknown | None:
        """Instantiate an initializer class: follow super().__init__(...) to a vocabulary class.

        Provenance ends at the line that fixes the parameters: a base reached through
        ``super().__init__(...)`` adds hops only when its own defaults (or its own base call)
        decide something, and the ``__init__`` default line is a hop only for the vocabulary
        parameters the caller left to it.
        """
        if not self.is_initializer_class(cls):
            return None
        assert cls.node is not None and cls.mod is not None
        hops = [cls.mod.hop(cls.node.lineno, f"class {cls.name}")]
        own = next(
            (s for s in cls.node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"),
            None,
        )
        if own is not None:
            sup = _super_init_call(own)
            if sup is not None and (sup.keywords or len(sup.args) > (0 if _is_super(sup) else 1)):
                f = FuncV(mod=cls.mod, node=own, owner=cls, bound=Const(value=None))
                bound = self.bind(f, args, kwargs)
                parents = self.bases(cls)
                if bound is not None and parents:
                    env, _ = bound
                    frame = Frame(mod=cls.mod, locals=env, owner=cls)
                    sargs = [self.eval(x, frame) for x in sup.args]
                    if not _is_super(sup):
                        sargs = sargs[1:]
                    skw = {k.arg: self.eval(k.value, frame) for k in sup.keywords if k.arg}
                    parent = parents[0]
                    if _is_super(sup) and sup.func.value.args:  # type: ignore[attr-defined]
                        parent = parents[0]
                    res = self.initializer_from_class(parent, sargs, skw, via_super=True)
                    if isinstance(res, InitV):
                        res.hops = (
                            tuple(hops)
                            + (
                                cls.mod.hop(
                                    sup.lineno, f"{cls.name} calls its base with {_kw_text(sup)}"
                                ),
                            )
                            + res.hops
                        )
                        return res
        kind = vocab.VOCABULARY.get(cls.name)
        if kind is None:
            return Unknown(
                text=f"initializer class {cls.name}", path=cls.mod.path, line=cls.node.lineno
            )
        ctor = self.class_member(cls, "__init__")
        params: dict[str, Any] = {}
        all_given = False
        if ctor is not None and isinstance(ctor[1], ast.FunctionDef):
            owner, node = ctor
            assert isinstance(node, ast.FunctionDef)
            f = FuncV(mod=owner.mod, node=node, owner=owner, bound=Const(value=None))
            bound = self.bind(f, args, kwargs)
            if bound is not None:
                for k, v in bound[0].items():
                    try:
                        params[k] = concrete(v)
                    except KeyError:
                        params[k] = f"<{_describe(v)}>"
                pos = [p.arg for p in (*node.args.posonlyargs, *node.args.args)][1:]
                given = set(pos[: len(args)]) | set(kwargs)
                defaulted = [
                    k for k in vocab.PARAMS.get(kind, ()) if k in params and k not in given
                ]
                all_given = bool(vocab.PARAMS.get(kind)) and not defaulted
                if defaulted:
                    assert owner.mod is not None
                    which = ", ".join(f"{k}={params[k]!r}" for k in defaulted)
                    hops.append(
                        owner.mod.hop(node.lineno, f"{owner.name}.__init__ defaults: {which}")
                    )
        hops.extend(self._none_params_through_call(cls, kind, params, args, kwargs))
        if all_given and len(hops) == 1:
            if via_super:
                hops = []  # the base call's line already fixed every parameter
            else:
                h = hops[0]
                note = f"{h.note}; the call gives every parameter"
                hops = [Hop(h.package, h.path, h.line, h.code, note)]
        ini = vocab.canonical(kind, params)
        trunc = None
        vs = next((c for c in self.mro(cls) if c.name == "VarianceScaling"), None)
        if vs is not None and vs.mod is not None and vs.node is not None:
            src = "\n".join(
                vs.mod.lines[vs.node.lineno - 1 : (vs.node.end_lineno or vs.node.lineno)]
            )
            trunc = vocab.truncation_constant(src)
        return InitV(kind=ini.kind, params=ini.params, truncation=trunc, hops=tuple(hops))

    def _none_params_through_call(
        self,
        cls: ClassV,
        kind: str,
        params: dict[str, Any],
        args: list[Value],
        kwargs: dict[str, Value],
    ) -> list[Hop]:
        """Effective value of parameters the constructor leaves ``None``.

        ``RandomUniform(minval=0, maxval=None)`` does not mean an unbounded range: its
        ``__call__`` hands ``self.maxval`` to a function whose body decides what None means
        (``if maxval is None: maxval = 1``). The object is built, ``__call__`` is run, and at
        each call that passes a None attribute the callee is run with that parameter followed
        until a line assigns it a constant. ``params`` is updated in place; returns the hops.
        """
        nones = [k for k in vocab.PARAMS.get(kind, ()) if k in params and params[k] is None]
        found = self.class_member(cls, "__call__") if nones else None
        if found is None or not isinstance(found[1], ast.FunctionDef):
            return []
        owner, node = found[0], found[1]
        assert isinstance(node, ast.FunctionDef)
        obj = Obj(cls=cls, pending=(args, kwargs, None))
        saved_hook, self.call_hook = self.call_hook, None
        try:
            self.force(obj)
            attrs: dict[str, str] = {}  # attribute holding None -> constructor parameter
            for p in nones:
                for a in (p, "_" + p):
                    v = obj.attrs.get(a)
                    if isinstance(v, Const) and v.value is None:
                        attrs[a] = p
                        break
            sites = {
                id(c)
                for c in ast.walk(node)
                if isinstance(c, ast.Call)
                and any(
                    isinstance(x, ast.Attribute)
                    and isinstance(x.value, ast.Name)
                    and x.value.id == "self"
                    and x.attr in attrs
                    for x in [*c.args, *(k.value for k in c.keywords)]
                )
            }
            if not sites:
                return []
            out: list[Hop] = []
            done: set[str] = set()

            def hook(
                prog: Program,
                frame: Frame,
                e: ast.Call,
                f: Value,
                cargs: list[Value],
                ckw: dict[str, Value],
            ) -> Value | None:
                if id(e) not in sites or not isinstance(f, FuncV) or f.node is None:
                    return None
                bound = self.bind(f, cargs, ckw)
                if bound is None:
                    return None
                for a, p in attrs.items():
                    if p in done:
                        continue
                    held = obj.attrs.get(a)
                    q = next((k for k, v in bound[0].items() if v is held), None)
                    if q is None:
                        continue
                    line = next(
                        (
                            x.lineno
                            for x in [*e.args, *(k.value for k in e.keywords)]
                            if isinstance(x, ast.Attribute) and x.attr == a
                        ),
                        e.lineno,
                    )
                    site = frame.mod.hop(
                        line, f"{frame.func_name} passes self.{a} = None as {f.name}({q}=...)"
                    )
                    try:
                        self.call(f, cargs, ckw, (frame, e), follow=True, follow_var=q)
                    except Fixed as fx:
                        if isinstance(fx.value, Const) and fx.value.value is not None:
                            params[p] = fx.value.value
                            out.extend([site, *fx.hops])
                    done.add(p)
                return Unknown(text=_unparse(e))

            self.call_hook = hook
            call = FuncV(mod=owner.mod, node=node, owner=owner, bound=obj)
            shape = SeqV(items=[Unknown(text="shape")])
            with contextlib.suppress(Fixed):
                self.call(call, [shape], {}, None)
            return out
        finally:
            self.call_hook = saved_hook

    def _follow_param(self, name: str, v: Value, frame: Frame, st: ast.stmt) -> None:
        """Follow mode for a None parameter: a constant assigned to it fixes its value."""
        if isinstance(v, Const) and v.value is None:
            frame.trail.append(frame.mod.hop(st.lineno, f"{frame.func_name}: {name} stays None"))
            return
        if isinstance(v, Const):
            when = f" when {frame.conds[-1]}" if frame.conds else ""
            hop = frame.mod.hop(st.lineno, f"{frame.func_name}: {name} = {v.value!r}{when}")
            raise Fixed(v, [*frame.trail, hop])
        raise Fixed(Unknown(text=name), [])

    # --- statements -----------------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], frame: Frame) -> Return | RaiseSig | None:
        for st in body:
            sig = self.exec_stmt(st, frame)
            if sig is not None:
                return sig
        return None

    def exec_stmt(self, st: ast.stmt, frame: Frame) -> Return | RaiseSig | None:
        self.steps += 1
        if isinstance(st, ast.Expr):
            self.eval(st.value, frame)
        elif isinstance(st, ast.Assign):
            v = self.eval(st.value, frame)
            for t in st.targets:
                self.assign(t, v, frame, st)
        elif isinstance(st, ast.AnnAssign):
            if st.value is not None:
                self.assign(st.target, self.eval(st.value, frame), frame, st)
        elif isinstance(st, ast.AugAssign):
            cur = (
                self.eval(st.target, frame)
                if not isinstance(st.target, ast.Subscript)
                else Unknown()
            )
            v = _binop(st.op, cur, self.eval(st.value, frame))
            self.assign(st.target, v, frame, st)
        elif isinstance(st, ast.Return):
            rv = self.eval(st.value, frame) if st.value is not None else Const(value=None)
            if isinstance(rv, InitV | Composite):
                rv = with_hops(
                    rv, [frame.mod.hop(st.lineno, f"{frame.func_name} returns {_describe(rv)}")]
                )
            return Return(rv)
        elif isinstance(st, ast.Raise):
            return RAISE
        elif isinstance(st, ast.If):
            return self.exec_if(st, frame)
        elif isinstance(st, ast.With | ast.AsyncWith):
            for item in st.items:
                ctx = self.eval(item.context_expr, frame)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, _enter(self, ctx), frame, st)
            return self.exec_block(st.body, frame)
        elif isinstance(st, ast.Try):
            sig = self.exec_block(st.body, frame)
            if sig is None:
                sig = self.exec_block(st.orelse, frame)
            fin = self.exec_block(st.finalbody, frame)
            return sig if sig is not None and not isinstance(sig, RaiseSig) else fin
        elif isinstance(st, ast.For):
            seq = self.eval(st.iter, frame)
            if isinstance(seq, SeqV) and len(seq.items) <= 64:
                for elem in seq.items:
                    self.assign(st.target, elem, frame, st)
                    sig = self.exec_block(st.body, frame)
                    if isinstance(sig, Return):
                        return sig
        elif isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
            env = dict(frame.closure or {})
            env.update(frame.locals)
            f = FuncV(mod=frame.mod, node=st, owner=frame.owner, closure=env)  # type: ignore[arg-type]
            env[st.name] = f
            frame.locals[st.name] = f
        elif isinstance(st, ast.Delete):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    frame.locals.pop(t.id, None)
        elif isinstance(st, ast.Import | ast.ImportFrom):
            for name, b in _import_bindings(st):
                frame.locals[name] = self._import_value(frame.mod, b, set())
        return None

    def exec_if(self, st: ast.If, frame: Frame) -> Return | RaiseSig | None:
        cond = self.eval(st.test, frame)
        t = truth(cond)
        text = _unparse(st.test)
        if t is True:
            frame.conds.append(text)
            try:
                return self.exec_block(st.body, frame)
            finally:
                frame.conds.pop()
        if t is False:
            return self.exec_block(st.orelse, frame)
        body_exits = _exits(st.body)
        else_exits = _exits(st.orelse) if st.orelse else False
        if body_exits and not else_exits:
            return self.exec_block(st.orelse, frame)
        if else_exits and not body_exits:
            frame.conds.append(text)
            try:
                return self.exec_block(st.body, frame)
            finally:
                frame.conds.pop()
        # run both, merge
        f1 = Frame(
            **{**frame.__dict__, "locals": dict(frame.locals), "conds": [*frame.conds, text]}
        )
        f2 = Frame(
            **{
                **frame.__dict__,
                "locals": dict(frame.locals),
                "conds": [*frame.conds, f"not ({text})"],
            }
        )
        s1 = self.exec_block(st.body, f1)
        s2 = self.exec_block(st.orelse, f2)
        if isinstance(s1, Return) and isinstance(s2, Return):
            return s1 if not isinstance(s1.value, Unknown) else s2
        if isinstance(s1, Return):
            return s1
        if isinstance(s2, Return):
            return s2
        for k in set(f1.locals) | set(f2.locals):
            a, b = f1.locals.get(k), f2.locals.get(k)
            frame.locals[k] = _merge(a, b)
        return None

    def assign(self, target: ast.expr, v: Value, frame: Frame, st: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            if frame.follow and frame.follow_var != "initializer" and target.id == frame.follow_var:
                self._follow_param(target.id, v, frame, st)
            if frame.follow and target.id == "initializer" and _is_initializer(v):
                hop = frame.mod.hop(st.lineno, f"{frame.func_name}: initializer = {_describe(v)}")
                raise Fixed(v, [*frame.trail, hop])
            if frame.follow and target.id == "initializer" and isinstance(v, Const):
                src = _unparse(st.value) if isinstance(st, ast.Assign) else "..."
                frame.trail.append(
                    frame.mod.hop(
                        st.lineno, f"{frame.func_name}: initializer = {src} -> {v.value!r}"
                    )
                )
            if isinstance(v, InitV | Composite) or (
                isinstance(v, ClassV) and v.node is not None and self.is_initializer_class(v)
            ):
                v = with_hops(
                    v,
                    [frame.mod.hop(st.lineno, f"{frame.func_name}: {target.id} = {_describe(v)}")],
                )
            frame.locals[target.id] = v
        elif isinstance(target, ast.Tuple | ast.List):
            if isinstance(v, SeqV) and len(v.items) == len(target.elts):
                items = v.items
            else:
                items = [Unknown(text=_unparse(target)) for _ in target.elts]
            for t, i in zip(target.elts, items, strict=True):
                self.assign(t, i, frame, st)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, frame)
            if isinstance(obj, Obj):
                self.force(obj)
                hop = frame.mod.hop(
                    st.lineno, f"{frame.func_name}: self.{target.attr} = {_describe(v)}"
                )
                obj.attrs[target.attr] = with_hops(v, [hop]) if not isinstance(v, Obj) else v
                obj.attr_lines[target.attr] = hop
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, frame)
            if isinstance(obj, SeqV):
                key = self.eval(target.slice, frame)
                if (
                    isinstance(key, Const)
                    and isinstance(key.value, int)
                    and -len(obj.items) <= key.value < len(obj.items)
                ):
                    obj.items[key.value] = v
            if isinstance(obj, DictV):
                key = self.eval(target.slice, frame)
                if isinstance(key, Const):
                    obj.items[key.value] = v

    # --- expressions ----------------------------------------------------------------------
    def eval(self, e: ast.expr, frame: Frame) -> Value:
        self.steps += 1
        m = getattr(self, "_e_" + type(e).__name__, None)
        if m is None:
            return Unknown(text=_unparse(e), path=frame.mod.path, line=getattr(e, "lineno", 0))
        return m(e, frame)  # type: ignore[no-any-return,unused-ignore]

    def _e_Constant(self, e: ast.Constant, frame: Frame) -> Value:  # noqa: N802
        return Const(value=e.value)

    def _e_Name(self, e: ast.Name, frame: Frame) -> Value:  # noqa: N802
        if e.id in frame.locals:
            return frame.locals[e.id]
        if frame.closure and e.id in frame.closure:
            return frame.closure[e.id]
        if e.id in frame.mod.defs or frame.mod.stars:
            v = self.global_value(frame.mod, e.id)
            if not (isinstance(v, Unknown) and e.id in _BUILTINS):
                return v
        if e.id in _BUILTINS:
            return Builtin(name=e.id)
        return Unknown(text=e.id, path=frame.mod.path, line=e.lineno)

    def _e_Attribute(self, e: ast.Attribute, frame: Frame) -> Value:  # noqa: N802
        return self.getattr(self.eval(e.value, frame), e.attr, e, frame)

    def getattr(self, obj: Value, attr: str, e: ast.expr | None, frame: Frame | None) -> Value:
        text = _unparse(e) if e is not None else attr
        if isinstance(obj, ModuleV):
            if attr in _DTYPES and obj.dotted.endswith("dtypes"):
                return DType(name=attr)
            if obj.mod is not None:
                if attr in obj.mod.defs or obj.mod.stars:
                    v = self.global_value(obj.mod, attr)
                    if not isinstance(v, Unknown):
                        return v
                sub = f"{obj.dotted}.{attr}"
                if self.is_module(sub):
                    return ModuleV(mod=self.module(sub), dotted=sub)
            elif self.is_module(f"{obj.dotted}.{attr}"):
                sub = f"{obj.dotted}.{attr}"
                return ModuleV(mod=self.module(sub), dotted=sub)
            if attr in _DTYPES and obj.dotted.endswith("dtypes"):
                return DType(name=attr)
            pv = self.public_value(f"{obj.dotted}.{attr}")
            if pv is not None:
                return pv
            return Unknown(text=text)
        if isinstance(obj, Obj):
            self.force(obj)
            if attr in obj.attrs:
                return obj.attrs[attr]
            if attr == "__class__":
                return obj.cls
            return self.member_value(obj.cls, attr, obj)
        if isinstance(obj, SuperV):
            mro_cls = obj.obj.cls if isinstance(obj.obj, Obj) else obj.cls
            found = self.class_member(mro_cls, attr, after=obj.cls)
            if found is None:
                return Unknown(text=text)
            owner, node = found
            if isinstance(node, ast.FunctionDef):
                return FuncV(mod=owner.mod, node=node, owner=owner, bound=obj.obj)
            return self.member_value(mro_cls, attr, obj.obj, after=obj.cls)
        if isinstance(obj, ClassV):
            found = self.class_member(obj, attr)
            if found is None:
                return Unknown(text=text)
            owner, node = found
            if isinstance(node, ast.FunctionDef):
                return FuncV(mod=owner.mod, node=node, owner=owner)
            return self.member_value(obj, attr, None)
        if isinstance(obj, DType):
            return _dtype_attr(obj, attr)
        if isinstance(obj, Const):
            if isinstance(obj.value, int) and attr == "value":  # TensorShape Dimension.value
                return obj
            if isinstance(obj.value, str) and obj.value in _DTYPES:
                return _dtype_attr(DType(name=obj.value), attr)
            if obj.value is None and attr == "value":
                return obj
            return Builtin(name="method:" + attr, bound=obj)
        if isinstance(obj, SeqV) and attr in ("ndims", "rank"):
            return Const(value=len(obj.items))
        if isinstance(obj, SeqV) and attr == "dims":
            return obj
        if isinstance(obj, SeqV | DictV):
            return Builtin(name="method:" + attr, bound=obj)
        if isinstance(obj, InitV) and attr in obj.params:
            return Const(value=obj.params[attr])
        return Unknown(text=text)

    def _e_Call(self, e: ast.Call, frame: Frame) -> Value:  # noqa: N802
        if isinstance(e.func, ast.Name) and e.func.id == "super" and frame.owner is not None:
            obj = frame.self_obj or frame.locals.get("self") or Unknown()
            if e.args:
                c = self.eval(e.args[0], frame)
                if isinstance(c, ClassV):
                    return SuperV(cls=c, obj=obj)
            return SuperV(cls=frame.owner, obj=obj)
        f = self.eval(e.func, frame)
        args: list[Value] = []
        for a in e.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, frame)
                if isinstance(v, SeqV):
                    args.extend(v.items)
                continue
            args.append(self.eval(a, frame))
        kwargs: dict[str, Value] = {}
        for k in e.keywords:
            v = self.eval(k.value, frame)
            if k.arg is None:
                if isinstance(v, DictV):
                    kwargs.update({str(kk): vv for kk, vv in v.items.items()})
            else:
                kwargs[k.arg] = v
        if self.call_hook is not None:
            r = self.call_hook(self, frame, e, f, args, kwargs)
            if r is not None:
                return r
        # fallback chain: an "initializer" argument that is None is followed into the callee
        if frame.follow and frame.follow_var == "initializer" and isinstance(f, FuncV | ClassV):
            init_arg = _initializer_arg(self, f, args, kwargs)
            forwards_all = any(isinstance(a, ast.Starred) for a in e.args) or any(
                k.arg is None for k in e.keywords
            )
            if (
                init_arg is None
                and forwards_all
                and isinstance(f, FuncV)
                and _has_param(f, "initializer")
            ):
                init_arg = Const(value=None)  # *args/**kwargs pass-through without an initializer
            if init_arg is not None:
                if _is_initializer(init_arg):
                    hop = frame.mod.hop(
                        e.lineno, f"{frame.func_name}: passes initializer={_describe(init_arg)}"
                    )
                    raise Fixed(init_arg, [hop])
                if isinstance(init_arg, Const) and init_arg.value is None and isinstance(f, FuncV):
                    kw = next((k for k in e.keywords if k.arg == "initializer"), None)
                    line = kw.value.lineno if kw is not None else e.lineno
                    expr = _unparse(kw.value) if kw is not None else "initializer"
                    hop = frame.mod.hop(
                        line, f"{frame.func_name}: passes {expr} = None on to {f.name}"
                    )
                    try:
                        self.call(f, args, kwargs, (frame, e), follow=True)
                    except Fixed as fx:
                        raise Fixed(fx.value, [*frame.trail, hop, *fx.hops]) from None
                    raise Fixed(
                        Unknown(
                            text=f"initializer stays None in {f.name}",
                            path=f.mod.path if f.mod else "",
                            line=getattr(f.node, "lineno", 0),
                        ),
                        [hop],
                    )
        if isinstance(f, FuncV) and f.name in ("concatenate", "concat") and args:
            comp = _composite(args[0])
            if comp is not None:
                return comp
        return self.call(f, args, kwargs, (frame, e))

    def _e_BinOp(self, e: ast.BinOp, frame: Frame) -> Value:  # noqa: N802
        return _binop(e.op, self.eval(e.left, frame), self.eval(e.right, frame))

    def _e_BoolOp(self, e: ast.BoolOp, frame: Frame) -> Value:  # noqa: N802
        cur: Value = Const(value=None)
        for i, sub in enumerate(e.values):
            cur = self.eval(sub, frame)
            t = truth(cur)
            if t is None:
                if i == len(e.values) - 1:
                    return cur
                return Unknown(text=_unparse(e), path=frame.mod.path, line=e.lineno)
            if isinstance(e.op, ast.Or) and t:
                return cur
            if isinstance(e.op, ast.And) and not t:
                return cur
        return cur

    def _e_UnaryOp(self, e: ast.UnaryOp, frame: Frame) -> Value:  # noqa: N802
        v = self.eval(e.operand, frame)
        if isinstance(e.op, ast.Not):
            t = truth(v)
            return Unknown(text=_unparse(e)) if t is None else Const(value=not t)
        if isinstance(v, Const) and isinstance(v.value, int | float):
            if isinstance(e.op, ast.USub):
                return Const(value=-v.value)
            if isinstance(e.op, ast.UAdd):
                return v
        return Unknown(text=_unparse(e))

    def _e_Compare(self, e: ast.Compare, frame: Frame) -> Value:  # noqa: N802
        left = self.eval(e.left, frame)
        result = True
        for op, rx in zip(e.ops, e.comparators, strict=True):
            right = self.eval(rx, frame)
            r = _compare(op, left, right)
            if r is None:
                return Unknown(text=_unparse(e), path=frame.mod.path, line=e.lineno)
            result = result and r
            left = right
        return Const(value=result)

    def _e_IfExp(self, e: ast.IfExp, frame: Frame) -> Value:  # noqa: N802
        t = truth(self.eval(e.test, frame))
        if t is True:
            return self.eval(e.body, frame)
        if t is False:
            return self.eval(e.orelse, frame)
        return Unknown(text=_unparse(e), path=frame.mod.path, line=e.lineno)

    def _e_Tuple(self, e: ast.Tuple, frame: Frame) -> Value:  # noqa: N802
        return SeqV(items=self._elts(e.elts, frame), kind="tuple")

    def _e_List(self, e: ast.List, frame: Frame) -> Value:  # noqa: N802
        return SeqV(items=self._elts(e.elts, frame), kind="list")

    def _elts(self, elts: list[ast.expr], frame: Frame) -> list[Value]:
        out: list[Value] = []
        for x in elts:
            if isinstance(x, ast.Starred):
                v = self.eval(x.value, frame)
                out.extend(v.items if isinstance(v, SeqV) else [Unknown(text=_unparse(x))])
            else:
                out.append(self.eval(x, frame))
        return out

    def _e_Dict(self, e: ast.Dict, frame: Frame) -> Value:  # noqa: N802
        d = DictV()
        for k, v in zip(e.keys, e.values, strict=True):
            if k is None:
                continue
            kv = self.eval(k, frame)
            if isinstance(kv, Const):
                d.items[kv.value] = self.eval(v, frame)
        return d

    def _e_Subscript(self, e: ast.Subscript, frame: Frame) -> Value:  # noqa: N802
        obj = self.eval(e.value, frame)
        if isinstance(e.slice, ast.Slice):
            if isinstance(obj, SeqV):
                try:
                    lo = concrete(self.eval(e.slice.lower, frame)) if e.slice.lower else None
                    hi = concrete(self.eval(e.slice.upper, frame)) if e.slice.upper else None
                    return SeqV(items=obj.items[lo:hi])
                except (KeyError, TypeError):
                    pass
            return Unknown(text=_unparse(e))
        key = self.eval(e.slice, frame)
        if isinstance(obj, SeqV) and isinstance(key, Const) and isinstance(key.value, int):
            try:
                return obj.items[key.value]
            except IndexError:
                return Unknown(text=_unparse(e))
        if isinstance(obj, DictV) and isinstance(key, Const) and key.value in obj.items:
            return obj.items[key.value]
        return Unknown(text=_unparse(e), path=frame.mod.path, line=e.lineno)

    def _comprehension(
        self, e: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, frame: Frame
    ) -> Value:
        if len(e.generators) != 1:
            return Unknown(text=_unparse(e))
        g = e.generators[0]
        it = self.eval(g.iter, frame)
        if isinstance(it, DictV):
            it = SeqV(items=[Const(value=k) for k in it.items])
        if not isinstance(it, SeqV) or len(it.items) > 256:
            return Unknown(text=_unparse(e))
        inner = Frame(**{**frame.__dict__, "locals": dict(frame.locals)})
        items: list[Value] = []
        d = DictV()
        for item in it.items:
            self.assign(g.target, item, inner, ast.Pass(lineno=e.lineno))
            ok = True
            for cond in g.ifs:
                t = truth(self.eval(cond, inner))
                if t is None:
                    return Unknown(text=_unparse(e))
                ok = ok and t
            if not ok:
                continue
            if isinstance(e, ast.DictComp):
                k = self.eval(e.key, inner)
                if not isinstance(k, Const):
                    return Unknown(text=_unparse(e))
                d.items[k.value] = self.eval(e.value, inner)
            else:
                items.append(self.eval(e.elt, inner))
        return d if isinstance(e, ast.DictComp) else SeqV(items=items)

    _e_ListComp = _comprehension
    _e_SetComp = _comprehension
    _e_GeneratorExp = _comprehension
    _e_DictComp = _comprehension

    def _e_Lambda(self, e: ast.Lambda, frame: Frame) -> Value:  # noqa: N802
        env = dict(frame.closure or {})
        env.update(frame.locals)
        return FuncV(mod=frame.mod, node=e, owner=frame.owner, closure=env)

    def _e_JoinedStr(self, e: ast.JoinedStr, frame: Frame) -> Value:  # noqa: N802
        out = []
        for part in e.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif (
                isinstance(part, ast.FormattedValue)
                and part.format_spec is None
                and part.conversion == -1
            ):
                v = self.eval(part.value, frame)
                if not isinstance(v, Const):
                    return Unknown(text=_unparse(e))
                out.append(str(v.value))
            else:
                return Unknown(text=_unparse(e))
        return Const(value="".join(out))

    def _e_Starred(self, e: ast.Starred, frame: Frame) -> Value:  # noqa: N802
        return self.eval(e.value, frame)


# ----------------------------------------------------------------------------- helpers
_MEMBERS: dict[int, tuple[ast.ClassDef, dict[str, ast.stmt]]] = {}


def _members(node: ast.ClassDef) -> dict[str, ast.stmt]:
    """Class-body bindings by name (a later definition wins, like Python; setters skipped)."""
    hit = _MEMBERS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    out: dict[str, ast.stmt] = {}
    for st in node.body:
        if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(_unparse(d).endswith((".setter", ".deleter")) for d in st.decorator_list):
                continue
            out[st.name] = st
        elif isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = st
    _MEMBERS[id(node)] = (node, out)
    return out


_UNPARSED: dict[int, tuple[ast.AST, str]] = {}


def _unparse(node: ast.AST) -> str:
    """``ast.unparse`` memoized per node (module ASTs live as long as their Program)."""
    hit = _UNPARSED.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    text = ast.unparse(node)
    if len(_UNPARSED) > 200_000:
        _UNPARSED.clear()
    _UNPARSED[id(node)] = (node, text)
    return text


@dataclass
class _ImportBinding:
    module: str
    name: str | None
    level: int = 0
    lineno: int = 0


def _import_bindings(st: ast.Import | ast.ImportFrom) -> list[tuple[str, _ImportBinding]]:
    out = []
    if isinstance(st, ast.Import):
        for a in st.names:
            if a.asname:
                out.append((a.asname, _ImportBinding(a.name, None, 0, st.lineno)))
            else:
                top = a.name.split(".")[0]
                out.append((top, _ImportBinding(top, None, 0, st.lineno)))
    else:
        for a in st.names:
            if a.name == "*":
                continue
            out.append(
                (a.asname or a.name, _ImportBinding(st.module or "", a.name, st.level, st.lineno))
            )
    return out


def _index_body(
    m: Module, body: list[ast.stmt], defs: dict[str, ast.AST], stars: list[str]
) -> None:
    """Module-level bindings (last one wins, in source order, descending into if/try)."""
    for st in body:
        if isinstance(st, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            defs[st.name] = st
        elif isinstance(st, ast.Import | ast.ImportFrom):
            if isinstance(st, ast.ImportFrom) and any(a.name == "*" for a in st.names):
                mod = st.module or ""
                if st.level:
                    pkg = m.dotted.split(".") if m.is_pkg else m.dotted.split(".")[:-1]
                    if st.level > 1:
                        pkg = pkg[: -(st.level - 1)]
                    mod = ".".join(pkg + ([mod] if mod else []))
                stars.append(mod)
            for name, b in _import_bindings(st):
                defs[name] = b  # type: ignore[assignment]
        elif isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    defs[t.id] = st.value
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value:
            defs[st.target.id] = st.value
        elif isinstance(st, ast.If | ast.Try):
            _index_body(m, st.body, defs, stars)
            if isinstance(st, ast.Try):
                for h in st.handlers:
                    _index_body(m, h.body, defs, stars)
            _index_body(m, st.orelse, defs, stars)


def _deco_name(d: ast.expr) -> str:
    if isinstance(d, ast.Call):
        d = d.func
    return _unparse(d).split(".")[-1] if not _unparse(d).endswith(".setter") else "setter"


def _is_super(c: ast.Call) -> bool:
    f = c.func
    return (
        isinstance(f, ast.Attribute)
        and isinstance(f.value, ast.Call)
        and isinstance(f.value.func, ast.Name)
        and f.value.func.id == "super"
    )


def _super_init_call(fn: ast.FunctionDef) -> ast.Call | None:
    for n in ast.walk(fn):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "__init__"
        ):
            if _is_super(n):
                return n
            if isinstance(n.func.value, ast.Name) and n.args and _unparse(n.args[0]) == "self":
                return n
    return None


def _kw_text(c: ast.Call) -> str:
    return ", ".join(_unparse(k) for k in c.keywords) or ", ".join(_unparse(a) for a in c.args)


def _exits(body: list[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    if isinstance(last, ast.If):
        return _exits(last.body) and _exits(last.orelse)
    if isinstance(last, ast.With):
        return _exits(last.body)
    return False


def _merge(a: Value | None, b: Value | None) -> Value:
    if a is None:
        return b or Unknown()
    if b is None or a is b:
        return a
    if (
        isinstance(a, Const)
        and isinstance(b, Const)
        and a.value == b.value
        and type(a.value) is type(b.value)
    ):
        return a
    if isinstance(a, Unknown):
        return b
    if isinstance(b, Unknown):
        return a
    if isinstance(a, SeqV) and isinstance(b, SeqV):
        try:
            if concrete(a) == concrete(b):
                return a
        except KeyError:
            pass
    return Unknown(text="value differs between branches")


def _is_initializer(v: Value) -> bool:
    return isinstance(v, InitV | Composite) or (isinstance(v, FuncV) and v.closure is not None)


def _describe(v: Value) -> str:
    if isinstance(v, Const):
        return repr(v.value)
    if isinstance(v, InitV):
        ps = ", ".join(f"{k}={p!r}" for k, p in v.params.items())
        return f"{v.kind}({ps})"
    if isinstance(v, FuncV):
        return f"function {v.name}"
    if isinstance(v, ClassV):
        return f"class {v.name}"
    if isinstance(v, Obj):
        return f"{v.cls.name} instance"
    if isinstance(v, Unknown):
        return f"<unknown {v.text}>" if v.text else "<unknown>"
    return type(v).__name__


def _site_text(site: tuple[Frame, ast.Call] | None) -> str:
    return _unparse(site[1]) if site else ""


def _shape_list(v: Value) -> list[Any] | None:
    if isinstance(v, SeqV):
        out = []
        for i in v.items:
            out.append(i.value if isinstance(i, Const) else None)
        return out
    if isinstance(v, Const) and isinstance(v.value, int):
        return [v.value]
    return None


def _composite(v: Value) -> Composite | None:
    if not isinstance(v, SeqV) or not v.items or not all(isinstance(i, Applied) for i in v.items):
        return None
    parts: list[tuple[Value, int, int]] = []
    start = 0
    for i in v.items:
        assert isinstance(i, Applied)
        if not i.shape or i.shape[-1] is None:
            return None
        parts.append((i.init, start, start + int(i.shape[-1])))
        start += int(i.shape[-1])
    return Composite(parts=parts)


def _initializer_arg(
    p: Program, f: FuncV | ClassV, args: list[Value], kwargs: dict[str, Value]
) -> Value | None:
    if "initializer" in kwargs:
        return kwargs["initializer"]
    if isinstance(f, FuncV) and f.node is not None and not isinstance(f.node, ast.Lambda):
        pos = [a.arg for a in [*f.node.args.posonlyargs, *f.node.args.args]]
        if f.bound is not None:
            pos = pos[1:]
        if "initializer" in pos:
            i = pos.index("initializer")
            if i < len(args):
                return args[i]
    return None


def _has_param(f: FuncV, name: str) -> bool:
    if f.node is None:
        return False
    a = f.node.args
    return any(p.arg == name for p in [*a.posonlyargs, *a.args, *a.kwonlyargs])


_DTYPES = {
    "float16",
    "float32",
    "float64",
    "bfloat16",
    "half",
    "double",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "bool",
    "string",
    "complex64",
    "complex128",
}


def _dtype_attr(d: DType, attr: str) -> Value:
    n = d.name
    if attr == "is_floating":
        return Const(value=n.startswith(("float", "bfloat")) or n in ("half", "double"))
    if attr == "is_integer":
        return Const(value=n.startswith(("int", "uint")))
    if attr == "is_unsigned":
        return Const(value=n.startswith("uint"))
    if attr == "is_bool":
        return Const(value=n == "bool")
    if attr == "is_complex":
        return Const(value=n.startswith("complex"))
    if attr in ("base_dtype", "real_dtype"):
        return d
    if attr == "name":
        return Const(value=n)
    return Unknown(text=f"dtype.{attr}")


def _enter(p: Program, ctx: Value) -> Value:
    """``with X as y``: y is what ``X.__enter__()`` returns, evaluated from source."""
    if isinstance(ctx, Obj):
        ent = p.getattr(ctx, "__enter__", None, None)
        if isinstance(ent, FuncV):
            return p.call(ent, [], {}, None)
    return Unknown(text="context manager")


def _binop(op: ast.operator, a: Value, b: Value) -> Value:
    if isinstance(a, Const) and isinstance(b, Const):
        try:
            r = {
                ast.Add: lambda x, y: x + y,
                ast.Sub: lambda x, y: x - y,
                ast.Mult: lambda x, y: x * y,
                ast.Div: lambda x, y: x / y,
                ast.FloorDiv: lambda x, y: x // y,
                ast.Mod: lambda x, y: x % y,
                ast.Pow: lambda x, y: x**y,
            }[type(op)](a.value, b.value)
            return Const(value=r)
        except Exception:
            return Unknown(text="arithmetic")
    if isinstance(a, SeqV) and isinstance(b, SeqV) and isinstance(op, ast.Add):
        return SeqV(items=a.items + b.items, kind=a.kind)
    return Unknown(text="arithmetic")


def _compare(op: ast.cmpop, a: Value, b: Value) -> bool | None:
    if isinstance(op, ast.Is | ast.IsNot):
        res: bool | None
        a_none = isinstance(a, Const) and a.value is None
        b_none = isinstance(b, Const) and b.value is None
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            res = None
        elif a_none or b_none:
            res = a_none and b_none
        elif isinstance(a, Const) and isinstance(b, Const):
            res = a.value is b.value
        elif isinstance(a, ClassV) and isinstance(b, ClassV):
            res = a.node is b.node
        else:
            res = a is b if not (isinstance(a, Const) or isinstance(b, Const)) else False
        if res is None:
            return None
        return res if isinstance(op, ast.Is) else not res
    try:
        x, y = concrete(a), concrete(b)
    except KeyError:
        if isinstance(op, ast.Eq | ast.NotEq) and (
            (isinstance(a, Const) and a.value is None and not isinstance(b, Unknown))
            or (isinstance(b, Const) and b.value is None and not isinstance(a, Unknown))
        ):
            return isinstance(op, ast.NotEq)
        return None
    try:
        return bool(
            {
                ast.Eq: lambda: x == y,
                ast.NotEq: lambda: x != y,
                ast.Lt: lambda: x < y,
                ast.LtE: lambda: x <= y,
                ast.Gt: lambda: x > y,
                ast.GtE: lambda: x >= y,
                ast.In: lambda: x in y,
                ast.NotIn: lambda: x not in y,
            }[type(op)]()
        )
    except Exception:
        return None


_BUILTINS = {
    "len",
    "isinstance",
    "int",
    "float",
    "max",
    "min",
    "tuple",
    "list",
    "callable",
    "hasattr",
    "getattr",
    "str",
    "dict",
    "bool",
    "abs",
    "issubclass",
    "type",
    "sum",
    "any",
    "all",
    "enumerate",
    "zip",
    "range",
    "set",
    "sorted",
}


def _builtin(p: Program, f: Builtin, args: list[Value], kwargs: dict[str, Value]) -> Value:
    n = f.name
    try:
        if n.startswith("method:"):
            meth = n[7:]
            obj = f.bound
            if isinstance(obj, SeqV) and meth in (
                "as_list",
                "with_rank_at_least",
                "with_rank",
                "merge_with",
            ):
                return obj
            if isinstance(obj, DictV) and meth in ("items", "keys", "values"):
                if meth == "keys":
                    return SeqV(items=[Const(value=k) for k in obj.items])
                if meth == "values":
                    return SeqV(items=list(obj.items.values()))
                return SeqV(items=[SeqV(items=[Const(value=k), v]) for k, v in obj.items.items()])
            if isinstance(obj, DictV):
                if meth == "get" and args and isinstance(args[0], Const):
                    return obj.items.get(
                        args[0].value, args[1] if len(args) > 1 else Const(value=None)
                    )
                if meth == "update" and args and isinstance(args[0], DictV):
                    obj.items.update(args[0].items)
                    return Const(value=None)
                if meth == "pop" and args and isinstance(args[0], Const):
                    return obj.items.pop(args[0].value, args[1] if len(args) > 1 else Unknown())
            if isinstance(obj, SeqV) and meth == "append" and args:
                obj.items.append(args[0])
                return Const(value=None)
            if isinstance(obj, Const) and isinstance(obj.value, str):
                a = [concrete(x) for x in args]
                return Const(value=getattr(obj.value, meth)(*a))
            return Unknown(text=meth)
        if n == "enumerate" and args and isinstance(args[0], SeqV):
            return SeqV(
                items=[SeqV(items=[Const(value=i), v]) for i, v in enumerate(args[0].items)]
            )
        if n == "zip" and args and all(isinstance(a, SeqV) for a in args):
            seqs = [a.items for a in args if isinstance(a, SeqV)]
            return SeqV(items=[SeqV(items=list(t)) for t in zip(*seqs, strict=False)])
        if n == "range":
            return SeqV(items=[Const(value=i) for i in range(*[int(concrete(a)) for a in args])])
        if n == "isinstance" and len(args) == 2:
            return _isinstance(p, args[0], args[1])
        if n == "len" and args:
            if isinstance(args[0], SeqV):
                return Const(value=len(args[0].items))
            if isinstance(args[0], DictV):
                return Const(value=len(args[0].items))
            return Const(value=len(concrete(args[0])))
        if n == "callable" and args:
            v = args[0]
            if isinstance(v, FuncV | ClassV | InitV | Builtin):
                return Const(value=True)
            if isinstance(v, Const | SeqV | DictV):
                return Const(value=callable(v.value) if isinstance(v, Const) else False)
            return Unknown(text="callable")
        if n in ("tuple", "list"):
            if not args:
                return SeqV()
            if isinstance(args[0], SeqV):
                return SeqV(items=list(args[0].items), kind=n)
            return Unknown(text=n)
        if n == "dict":
            d = DictV(items=dict(kwargs))
            if args and isinstance(args[0], DictV):
                d.items = {**args[0].items, **kwargs}
            return d
        if n == "getattr" and len(args) >= 2 and isinstance(args[1], Const):
            v = p.getattr(args[0], str(args[1].value), None, None)
            if isinstance(v, Unknown) and len(args) > 2:
                return args[2]
            return v
        if (
            n == "hasattr"
            and len(args) == 2
            and isinstance(args[1], Const)
            and isinstance(args[0], Obj)
        ):
            v = p.getattr(args[0], str(args[1].value), None, None)
            return Unknown(text="hasattr") if isinstance(v, Unknown) else Const(value=True)
        vals = [concrete(a) for a in args]
        if n in ("int", "float", "str", "bool", "abs", "max", "min", "sum", "any", "all"):
            import builtins

            return Const(value=getattr(builtins, n)(*vals))
    except Exception:  # noqa: BLE001 - a builtin on abstract values that Python rejects
        pass
    return Unknown(text=n)


def _isinstance(p: Program, v: Value, cls: Value) -> Value:
    if isinstance(cls, SeqV):
        outs = [_isinstance(p, v, c) for c in cls.items]
        if any(isinstance(o, Const) and o.value for o in outs):
            return Const(value=True)
        if all(isinstance(o, Const) for o in outs):
            return Const(value=False)
        return Unknown(text="isinstance")
    pytypes = {
        "str": str,
        "int": int,
        "float": float,
        "dict": dict,
        "tuple": tuple,
        "list": list,
        "bool": bool,
    }
    if isinstance(cls, Builtin) and cls.name in pytypes:
        t = pytypes[cls.name]
        if isinstance(v, Const):
            return Const(value=isinstance(v.value, t))
        if isinstance(v, DictV):
            return Const(value=t is dict)
        if isinstance(v, SeqV):
            return Const(
                value=(t is list and v.kind == "list") or (t is tuple and v.kind == "tuple")
            )
        if isinstance(v, Obj | InitV | FuncV | ClassV | DType):
            return Const(value=False)
        return Unknown(text="isinstance")
    if isinstance(cls, ClassV):
        if isinstance(v, Obj):
            return Const(value=any(c.node is cls.node for c in p.mro(v.cls)))
        if isinstance(v, Const) and v.value is None:
            return Const(value=False)
        if isinstance(v, Const | SeqV | DictV | FuncV):
            return Const(value=False) if not isinstance(v, SeqV) else Unknown(text="isinstance")
    return Unknown(text="isinstance")
