"""One parse per module -> a compact, picklable summary, cached on disk by content hash.

The summary keeps what name resolution and initializer evaluation need (classes, methods with
their exact source, parameter defaults, module-level binding events in source order, exports),
so a warm run never parses a module again.

The parser is CPython's own (``ast``): the grammar the release's code is run with, exact line
and column positions on every node, and ~15x faster than a concrete-syntax-tree parse (libcst)
on TensorFlow's 100 KB modules. Only module-level statements, class bodies and function
signatures are walked; function bodies are kept as their exact source text (``FunctionInfo.
source``) and parsed again only if an interpreter needs them.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import os
import pickle
import re
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tfinit_audit.analysis.engine.parsing import ast_parse, parse, text_sha
from tfinit_audit.sources.base import SourceTree

SCHEMA = "summaries-v6"  # the layout; a cached summary is keyed by this and by the builder's code


@functools.cache
def builder_key() -> str:
    """What a summary cached on disk is keyed by besides its text: ``SCHEMA`` and the code
    that builds it (this module's source), so a summary built by other code -- an older
    ``SummaryBuilder`` that read some statement differently -- is never read back."""
    h = hashlib.sha256(SCHEMA.encode())
    with contextlib.suppress(OSError):
        h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:24]


@dataclass
class Param:
    name: str
    default: str | None  # source text of the default expression
    kind: str  # "pos" | "kwonly" | "vararg" | "kwarg"


@dataclass
class FunctionInfo:
    name: str
    qualname: str
    line: int  # first line of ``source`` (first decorator, or the ``def`` line)
    end_line: int
    params: list[Param]
    decorators: list[str]
    source: str  # exact text of lines line..end_line of the file
    def_line: int = 0  # line of the ``def`` keyword


@dataclass
class ClassInfo:
    name: str
    qualname: str
    line: int  # line of the ``class`` keyword
    end_line: int
    bases: list[str]
    decorators: list[str]
    methods: dict[str, FunctionInfo]
    attrs: dict[str, tuple[str, int]]  # class-level NAME = expr -> (expr text, line)
    start_line: int = 0  # first decorator line (== line without decorators)
    keywords: dict[str, str] = field(default_factory=dict)  # metaclass=... etc.


@dataclass
class Binding:
    """One module-level name binding event, in source order.

    kind: "import" (``import a.b`` binds ``a``; ``import a.b as x`` binds x to a.b, alias=True),
    "from" (module, attr), "star" (module), "assign" (expr), "augassign", "unpack",
    "class", "def", "setattr" (``setattr(target, "name", expr)``), "attr"
    (``target.name = expr``), "del", "effect" (any other top-level statement; expr = its text).
    ``guard`` is the condition text under which the statement runs (``if`` blocks),
    ``handler`` is True inside an ``except`` block (taken only when the ``try`` body fails).
    """

    name: str
    kind: str
    module: str | None = None
    attr: str | None = None
    expr: str | None = None
    line: int = 0
    target: str | None = None
    alias: bool = False
    guard: str | None = None
    handler: bool = False
    end_line: int = 0
    expr_line: int = 0  # first line of ``expr`` (its value expression) in the file


@dataclass
class Export:
    """A ``*_export(...)`` decorator or call: public names under an API (tensorflow/keras)."""

    names: list[str]
    api: str  # decorator function name as written, e.g. "tf_export", "keras_export"
    v1: list[str] | None  # v1=[...] when given, else None (TF: v1 defaults to ``names``)
    target: str  # qualname inside the module
    line: int
    api_name: str | None = None  # api_name="keras" keyword when given


@dataclass
class ModuleSummary:
    path: str
    package: str | None  # distribution that ships the file (tree.package_of)
    sha256: str
    classes: dict[str, ClassInfo]
    functions: dict[str, FunctionInfo]
    bindings: list[Binding]
    all_names: list[str] | None  # literal __all__, None when absent or computed
    exports: list[Export]
    all_computed: bool = False  # __all__ exists but is not a literal
    error: str | None = None  # parse error text (summary then has no content)

    @property
    def dotted(self) -> str:
        return module_name_of(self.path)


def module_name_of(path: str) -> str:
    """``a/b/__init__.py`` -> ``a.b``; ``a/b/c.py`` -> ``a.b.c``."""
    p = path[:-3] if path.endswith(".py") else path
    parts = p.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def python_package_of(path: str) -> str:
    """The Python package relative imports are resolved against."""
    parts = path[:-3].split("/")
    return ".".join(parts[:-1])


# ---------------------------------------------------------------- summarize


class ParseCache:
    """Parsed modules of one run, keyed by the text's sha256.

    The name resolver (through summaries) and the evaluator need the same modules; one parse
    serves both. In memory only: a parse is worth keeping for one run, not on disk.
    """

    def __init__(self) -> None:
        self._trees: dict[str, ast.Module | Exception] = {}
        self.parsed = 0  # number of real parses (benchmarks)

    sha = staticmethod(text_sha)

    def has(self, sha: str) -> bool:
        return sha in self._trees

    def parse(self, text: str, sha: str | None = None) -> ast.Module:
        """``parse(text)`` once per content; a parse error is re-raised on every call."""
        key = sha or self.sha(text)
        hit = self._trees.get(key)
        if hit is None:
            try:
                hit = parse(text)
            except Exception as exc:  # noqa: BLE001 - remembered, re-raised below
                hit = exc
            self._trees[key] = hit
            self.parsed += 1
        if isinstance(hit, Exception):
            raise hit
        return hit


# Top-level statement boundaries without a parse: string literals and comments are skipped
# whole (their brackets and newlines do not count), brackets are counted between them, and a
# newline at bracket depth 0 followed by a non-blank, non-comment character in column 0 starts
# a new top-level statement (unless it is an else/elif/except/finally clause or follows a
# backslash continuation).
_TOKENS = re.compile(
    r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|\#[^\n]*|\n(?=[^\s#])",
    re.S,
)
_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")


def _depth(text: str, a: int, b: int | None = None) -> int:
    """Openers minus closers in ``text[a:b]``, ``text`` with every bracket made a parenthesis."""
    if b is None:
        b = len(text)
    return text.count("(", a, b) - text.count(")", a, b)


def top_level_starts(text: str) -> list[int] | None:
    """Character offsets at which top-level statements start (decorators belong to their def's
    chunk), or None when brackets do not balance. ~10x faster than ``ast.parse``.

    A missed boundary only makes a chunk hold two statements; a spurious one (not possible
    with balanced brackets and well-formed strings) makes a chunk fail to parse, which
    callers treat as "parse the whole module".
    """
    starts = [0]
    depth = 0
    last = 0
    deco = text.startswith("@")
    # every bracket a parenthesis (same offsets): two counts a gap instead of six
    flat = text.replace("[", "(").replace("{", "(").replace("]", ")").replace("}", ")")
    for m in _TOKENS.finditer(text):
        a = m.start()
        if a > last:
            depth += _depth(flat, last, a)
        last = m.end()
        if text[a] == "\n":
            if depth < 0:
                return None
            if depth == 0 and text[a - 1 : a] != "\\" and not _CLAUSE.match(text, last):
                if deco:  # decorators and the def/class they decorate are one statement
                    deco = text.startswith("@", last)
                    continue
                starts.append(last)
                deco = text.startswith("@", last)
    if depth + _depth(flat, last) != 0:
        return None
    return starts


def summarize(
    tree: SourceTree, path: str, cache_dir: Path | None = None, asts: ParseCache | None = None
) -> ModuleSummary | None:
    """Summary of the module at import path ``path``; None if the tree has no such file."""
    text = tree.read_text(path)
    if text is None:
        return None
    return summarize_text(text, path, tree.package_of(path), cache_dir, asts)


def _cache_file(text: str, path: str, package: str | None, cache_dir: Path | None) -> Path | None:
    if cache_dir is None:
        return None
    sha = text_sha(text)
    key = hashlib.sha256(f"{builder_key()}\0{path}\0{package}\0{sha}".encode()).hexdigest()
    return cache_dir / "summaries" / key[:2] / f"{key}.pkl"


def load_cached_summary(
    text: str, path: str, package: str | None, cache_dir: Path | None
) -> ModuleSummary | None:
    """The summary cached on disk for this exact content, or None."""
    cfile = _cache_file(text, path, package, cache_dir)
    if cfile is None or not cfile.exists():
        return None
    try:
        with cfile.open("rb") as fh:
            cached = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a corrupt cache entry is just recomputed
        return None
    return cached if isinstance(cached, ModuleSummary) else None


def summarize_text(
    text: str,
    path: str,
    package: str | None = None,
    cache_dir: Path | None = None,
    asts: ParseCache | None = None,
) -> ModuleSummary:
    cached = load_cached_summary(text, path, package, cache_dir)
    if cached is not None:
        return cached
    sha = text_sha(text)
    summary = _build(text, path, package, sha, asts)
    cfile = _cache_file(text, path, package, cache_dir)
    if cfile is not None:
        cfile.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cfile.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(summary, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cfile)
    return summary


def _build(
    text: str, path: str, package: str | None, sha: str, asts: ParseCache | None = None
) -> ModuleSummary:
    empty = ModuleSummary(path, package, sha, {}, {}, [], None, [])
    try:
        module = asts.parse(text, sha) if asts is not None else parse(text)
    except Exception as exc:  # noqa: BLE001 - Python 2 era files, nesting too deep: empty summary
        empty.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return empty
    builder = SummaryBuilder(text, path)
    builder.run(module.body)
    return ModuleSummary(
        path=path,
        package=package,
        sha256=sha,
        classes=builder.classes,
        functions=builder.functions,
        bindings=builder.bindings,
        all_names=builder.all_names,
        exports=builder.exports,
        all_computed=builder.all_computed,
    )


def _dotted(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _str_value(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _str_list(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple):
        out = []
        for el in node.elts:
            if isinstance(el, ast.Starred):
                return None
            s = _str_value(el)
            if s is None:
                return None
            out.append(s)
        return out
    s = _str_value(node)
    return [s] if s is not None else None


_AUG_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.MatMult: "@=", ast.Div: "/=",
    ast.Mod: "%=", ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=", ast.BitOr: "|=",
    ast.BitXor: "^=", ast.BitAnd: "&=", ast.FloorDiv: "//=",
}

_Positioned = ast.expr | ast.stmt | ast.excepthandler | ast.arg | ast.keyword


class SummaryBuilder:
    """Walks module-level statements into binding events, class and function infos; ``run``
    may be called on several statement lists (chunks of one file), in any order."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self._blines: dict[int, bytes] = {}
        self.path = path
        self.pkg = python_package_of(path)
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.bindings: list[Binding] = []
        self.exports: list[Export] = []
        self.all_names: list[str] | None = None
        self.all_computed = False

    # helpers
    def _bline(self, i: int) -> bytes:
        b = self._blines.get(i)
        if b is None:
            b = self._blines[i] = self.lines[i].encode("utf-8", "surrogatepass")
        return b

    def code(self, node: _Positioned) -> str:
        """Exact source text of ``node`` (columns are UTF-8 offsets). A multi-line expression
        that only parses inside the parentheses around it gets them back."""
        l0, l1 = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        c0, c1 = node.col_offset, node.end_col_offset or 0
        if l0 == l1:
            raw = self._bline(l0)[c0:c1]
        else:
            raw = b"".join(
                [self._bline(l0)[c0:], *(self._bline(i) for i in range(l0 + 1, l1)),
                 self._bline(l1)[:c1]]
            )
        seg = raw.decode("utf-8", "surrogatepass").strip()
        if "\n" in seg and isinstance(node, ast.expr):
            try:
                ast_parse(seg, mode="eval")
            except SyntaxError:
                seg = f"({seg})"
        return seg

    def line(self, node: _Positioned) -> int:
        return node.lineno

    def end(self, node: _Positioned) -> int:
        return node.end_lineno or node.lineno

    def text(self, node: ast.stmt) -> str:
        """Original source lines of ``node``, dedented (parses on its own with ``ast``)."""
        return textwrap.dedent("".join(self.lines[self.line(node) - 1 : self.end(node)])).strip()

    def absolute(self, relative: int, module: str | None) -> str:
        if not relative:
            return module or ""
        base = self.pkg.split(".") if self.pkg else []
        if relative > 1:
            base = base[: len(base) - (relative - 1)]
        parts = [*base, *([module] if module else [])]
        return ".".join(p for p in parts if p)

    def add(self, b: Binding, guard: str | None, handler: bool) -> None:
        b.guard = guard
        b.handler = handler
        self.bindings.append(b)

    # walking module-level statements
    def run(self, body: Sequence[ast.stmt], guard: str | None = None,
            handler: bool = False) -> None:
        for stmt in body:
            self.stmt(stmt, guard, handler)

    def stmt(self, stmt: ast.stmt, guard: str | None, handler: bool) -> None:
        if isinstance(stmt, ast.ClassDef):
            info = self.class_info(stmt, "")
            self.classes[info.name] = info
            self.add(Binding(info.name, "class", line=info.line), guard, handler)
            self.decorator_exports(stmt.decorator_list, info.name)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            finfo = self.func_info(stmt, "")
            self.functions[finfo.name] = finfo
            self.add(Binding(finfo.name, "def", line=finfo.def_line), guard, handler)
            self.decorator_exports(stmt.decorator_list, finfo.name)
        elif isinstance(stmt, ast.If):
            cond = self.code(stmt.test)
            self.run(stmt.body, _and(guard, cond), handler)
            orelse = stmt.orelse
            neg = f"not ({cond})"
            while orelse:
                first = orelse[0]
                if len(orelse) == 1 and isinstance(first, ast.If) and self._is_elif(first):
                    c2 = self.code(first.test)
                    self.run(first.body, _and(_and(guard, neg), c2), handler)
                    neg = f"{neg} and not ({c2})"
                    orelse = first.orelse
                else:
                    self.run(orelse, _and(guard, neg), handler)
                    orelse = []
        elif isinstance(stmt, ast.Try | ast.TryStar):
            self.run(stmt.body, guard, handler)
            for h in stmt.handlers:
                self.run(h.body, guard, True)
            self.run(stmt.orelse, guard, handler)
            self.run(stmt.finalbody, guard, handler)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            self.run(stmt.body, guard, handler)
        elif isinstance(stmt, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign
                        | ast.AugAssign | ast.Delete | ast.Expr | ast.Raise | ast.Pass
                        | ast.Global | ast.Nonlocal | ast.Assert | ast.Break | ast.Continue
                        | ast.Return):
            self.small(stmt, guard, handler)
        else:  # for / while / match ...: kept as an effect for the interpreter
            self.add(
                Binding("", "effect", expr=self.text(stmt), line=self.line(stmt),
                        end_line=self.end(stmt)),
                guard,
                handler,
            )

    def _is_elif(self, node: ast.If) -> bool:
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        return line.lstrip().startswith("elif")

    def small(self, small: ast.stmt, guard: str | None, handler: bool) -> None:
        ln = self.line(small)
        if isinstance(small, ast.Import):
            for alias in small.names:
                full = alias.name
                if alias.asname is not None:
                    self.add(Binding(alias.asname, "import", module=full, line=ln, alias=True,
                                     expr=self.code(small)), guard, handler)
                else:
                    self.add(Binding(full.split(".")[0], "import", module=full, line=ln,
                                     expr=self.code(small)), guard, handler)
        elif isinstance(small, ast.ImportFrom):
            absmod = self.absolute(small.level or 0, small.module)
            if len(small.names) == 1 and small.names[0].name == "*":
                self.add(Binding("*", "star", module=absmod, line=ln, expr=self.code(small)),
                         guard, handler)
            else:
                for alias in small.names:
                    attr = alias.name
                    name = alias.asname or attr
                    self.add(Binding(name, "from", module=absmod, attr=attr, line=ln,
                                     expr=self.code(small)), guard, handler)
        elif isinstance(small, ast.Assign):
            value = self.code(small.value)
            for t in small.targets:
                self.target(t, value, small.value, ln, guard, handler)
        elif isinstance(small, ast.AnnAssign) and small.value is not None:
            self.target(small.target, self.code(small.value), small.value, ln, guard, handler)
        elif isinstance(small, ast.AugAssign):
            aug = _dotted(small.target)
            if aug:
                name = aug
                value = self.code(small.value)
                self.add(Binding(name, "augassign", expr=value, line=ln,
                                 attr=_AUG_OPS.get(type(small.op), "?="),
                                 expr_line=small.value.lineno), guard, handler)
                if name == "__all__" and isinstance(small.op, ast.Add):
                    extra = _str_list(small.value)
                    if extra is not None and self.all_names is not None:
                        self.all_names = [*self.all_names, *extra]
                    elif extra is None:
                        self.all_computed = True
                        self.all_names = None
            else:  # ``X[k] += v``: a change of X (mutations.py), kept as an effect
                self.add(Binding("", "effect", expr=self.code(small), line=ln, end_line=ln),
                         guard, handler)
        elif isinstance(small, ast.Delete):
            for t in small.targets:
                for el in _del_targets(t):
                    self.add(Binding(el, "del", line=ln), guard, handler)
            if any(isinstance(t, ast.Subscript) for t in small.targets):
                # ``del X[k]``: a change of X (mutations.py), kept as an effect
                self.add(Binding("", "effect", expr=self.code(small), line=ln, end_line=ln),
                         guard, handler)
        elif isinstance(small, ast.Expr):
            self.expr_stmt(small, ln, guard, handler)
        elif isinstance(small, ast.Raise):
            # pass / global / assert ...: nothing that binds a module name; raise is an effect
            self.add(Binding("", "effect", expr=self.code(small), line=ln, end_line=ln),
                     guard, handler)

    def target(
        self, t: ast.expr, value: str, value_node: ast.expr, ln: int,
        guard: str | None, handler: bool,
    ) -> None:
        if isinstance(t, ast.Name):
            self.add(Binding(t.id, "assign", expr=value, line=ln, expr_line=value_node.lineno),
                     guard, handler)
            if t.id == "__all__":
                names = _str_list(value_node)
                if names is not None and not isinstance(value_node, ast.Constant):
                    self.all_names = names
                    self.all_computed = False
                else:
                    self.all_names = None
                    self.all_computed = True
        elif isinstance(t, ast.Attribute):
            self.add(Binding(t.attr, "attr", target=self.code(t.value), expr=value,
                             line=ln, expr_line=value_node.lineno), guard, handler)
        elif isinstance(t, ast.Tuple | ast.List):
            for el in t.elts:
                inner = el.value if isinstance(el, ast.Starred) else el
                if isinstance(inner, ast.Name):
                    self.add(Binding(inner.id, "unpack", expr=value, line=ln), guard, handler)
        else:  # subscript targets (``sys.modules[x] = ...``) are effects
            self.add(Binding("", "effect", expr=f"{self.code(t)} = {value}", line=ln,
                             end_line=ln), guard, handler)

    def expr_stmt(self, small: ast.Expr, ln: int, guard: str | None, handler: bool) -> None:
        v = small.value
        if isinstance(v, ast.Call):
            fname = _dotted(v.func)
            if fname == "setattr" and len(v.args) == 3 and not v.keywords:
                attr = _str_value(v.args[1])
                if attr is not None:
                    self.add(Binding(attr, "setattr", target=self.code(v.args[0]),
                                     expr=self.code(v.args[2]), line=ln,
                                     expr_line=v.args[2].lineno), guard, handler)
                    return
            # tf_export("x")(obj) / keras_export(...)(obj) call form
            if isinstance(v.func, ast.Call):
                inner = _dotted(v.func.func)
                if inner and inner.split(".")[-1].endswith("_export") and v.args:
                    target = _dotted(v.args[0])
                    if target:
                        self.export_from_call(v.func, inner, target, ln)
                        return
        self.add(Binding("", "effect", expr=self.text(small), line=ln, end_line=self.end(small)),
                 guard, handler)

    # exports
    def decorator_exports(self, decorators: list[ast.expr], target: str) -> None:
        for dec in decorators:
            if isinstance(dec, ast.Call):
                fname = _dotted(dec.func)
                if fname and fname.split(".")[-1].endswith("_export"):
                    self.export_from_call(dec, fname, target, self.line(dec))

    def export_from_call(self, call: ast.Call, api: str, target: str, line: int) -> None:
        names: list[str] = []
        v1: list[str] | None = None
        api_name: str | None = None
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                continue
            s = _str_value(arg)
            if s is not None:
                names.append(s)
        for kw in call.keywords:
            if kw.arg == "v1":
                v1 = _str_list(kw.value) or []
            elif kw.arg == "api_name":
                api_name = _str_value(kw.value)
        self.exports.append(Export(names, api.split(".")[-1], v1, target, line, api_name))

    # classes and functions
    def params(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Param]:
        a = fn.args
        out: list[Param] = []
        positional = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
        defaults += list(a.defaults)
        for p, d in zip(positional, defaults, strict=True):
            out.append(Param(p.arg, self.code(d) if d is not None else None, "pos"))
        if a.vararg is not None:
            out.append(Param(a.vararg.arg, None, "vararg"))
        for p, kd in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            out.append(Param(p.arg, self.code(kd) if kd is not None else None, "kwonly"))
        if a.kwarg is not None:
            out.append(Param(a.kwarg.arg, None, "kwarg"))
        return out

    def func_info(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> FunctionInfo:
        def_line = self.line(fn)
        start = min([def_line, *(self.line(d) for d in fn.decorator_list)])
        end = self.end(fn)
        name = fn.name
        return FunctionInfo(
            name=name,
            qualname=f"{prefix}{name}",
            line=start,
            end_line=end,
            params=self.params(fn),
            decorators=[self.code(d) for d in fn.decorator_list],
            source="".join(self.lines[start - 1 : end]),
            def_line=def_line,
        )

    def class_info(self, node: ast.ClassDef, prefix: str) -> ClassInfo:
        name = node.name
        qual = f"{prefix}{name}"
        cline = self.line(node)
        start = min([cline, *(self.line(d) for d in node.decorator_list)])
        methods: dict[str, FunctionInfo] = {}
        attrs: dict[str, tuple[str, int]] = {}
        for st in node.body:
            if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
                if _is_accessor(st):
                    continue  # @x.setter / @x.deleter: the property keeps its getter
                methods[st.name] = self.func_info(st, qual + ".")
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        attrs[t.id] = (self.code(st.value), self.line(st))
            elif (
                isinstance(st, ast.AnnAssign)
                and st.value is not None
                and isinstance(st.target, ast.Name)
            ):
                attrs[st.target.id] = (self.code(st.value), self.line(st))
            elif isinstance(st, ast.If):  # e.g. `if sys.version...: def x` -> first wins
                for inner in st.body:
                    if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                        methods.setdefault(inner.name, self.func_info(inner, qual + "."))
        bases = [self.code(b) for b in node.bases if not isinstance(b, ast.Starred)]
        keywords = {kw.arg: self.code(kw.value) for kw in node.keywords if kw.arg is not None}
        return ClassInfo(
            name=name,
            qualname=qual,
            line=cline,
            end_line=self.end(node),
            bases=bases,
            decorators=[self.code(d) for d in node.decorator_list],
            methods=methods,
            attrs=attrs,
            start_line=start,
            keywords=keywords,
        )


def _is_accessor(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter") for d in fn.decorator_list
    )


def _and(a: str | None, b: str) -> str:
    return f"({a}) and ({b})" if a else b


def _del_targets(t: ast.expr) -> list[str]:
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, ast.Tuple | ast.List):
        out: list[str] = []
        for el in t.elts:
            out.extend(_del_targets(el))
        return out
    return []
