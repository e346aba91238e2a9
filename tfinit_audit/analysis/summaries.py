"""One libcst pass per module -> a compact, picklable summary, cached on disk by content hash.

The summary keeps what name resolution and initializer evaluation need (classes, methods with
their exact source, parameter defaults, module-level binding events in source order, exports),
so a warm run never parses a module again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import MetadataWrapper, PositionProvider

from tfinit_audit.sources.base import SourceTree

SCHEMA = "summaries-v3"  # bump when the summary layout changes (invalidates the disk cache)


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


def summarize(tree: SourceTree, path: str, cache_dir: Path | None = None) -> ModuleSummary | None:
    """Summary of the module at import path ``path``; None if the tree has no such file."""
    text = tree.read_text(path)
    if text is None:
        return None
    return summarize_text(text, path, tree.package_of(path), cache_dir)


def summarize_text(
    text: str, path: str, package: str | None = None, cache_dir: Path | None = None
) -> ModuleSummary:
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    key = hashlib.sha256(f"{SCHEMA}\0{path}\0{package}\0{sha}".encode()).hexdigest()
    cfile = cache_dir / "summaries" / key[:2] / f"{key}.pkl" if cache_dir else None
    if cfile is not None and cfile.exists():
        try:
            with cfile.open("rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, ModuleSummary):
                return cached
        except Exception:  # noqa: BLE001 - a corrupt cache entry is just recomputed
            pass
    summary = _build(text, path, package, sha)
    if cfile is not None:
        cfile.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cfile.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(summary, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cfile)
    return summary


def _build(text: str, path: str, package: str | None, sha: str) -> ModuleSummary:
    empty = ModuleSummary(path, package, sha, {}, {}, [], None, [])
    try:
        module = cst.parse_module(text)
    except Exception as exc:  # noqa: BLE001 - Python 2 era files etc.: empty summary
        empty.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return empty
    positions: dict[cst.CSTNode, tuple[int, int]]
    try:
        positions = _line_positions(module)
        builder = _Builder(module, text, path, positions)
        builder.run(module.body)
    except KeyError:  # a node without a recorded position: use libcst's own provider
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        full = wrapper.resolve(PositionProvider)
        positions = {n: (r.start.line, r.end.line) for n, r in full.items()}
        builder = _Builder(module, text, path, positions)
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


class _LineState(CodegenState):
    """Codegen state that records only start/end *lines* of nodes.

    libcst's PositionProvider tracks columns for every token and costs ~5x a plain codegen;
    the summaries only need line numbers (same values, checked against PositionProvider).
    """

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.line = 1
        self.pos: dict[cst.CSTNode, tuple[int, int]] = {}

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.line += value.count("\n")

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.line
        try:
            yield
        finally:
            end = self.line
            if start_node is not None and start_node in self.pos:
                start = self.pos[start_node][0]
            if end_node is not None and end_node in self.pos:
                end = self.pos[end_node][1]
            self.pos[node] = (start, end)


def _line_positions(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int]]:
    state = _LineState(module)
    module._codegen(state)
    return state.pos


def _dotted(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _str_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        val = node.evaluated_value
        return val if isinstance(val, str) else None
    return None


def _str_list(node: cst.BaseExpression) -> list[str] | None:
    if isinstance(node, cst.List | cst.Tuple):
        out = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                return None
            s = _str_value(el.value)
            if s is None:
                return None
            out.append(s)
        return out
    s = _str_value(node)
    return [s] if s is not None else None


class _Builder:
    def __init__(
        self, module: cst.Module, text: str, path: str,
        positions: dict[cst.CSTNode, tuple[int, int]],
    ) -> None:
        self.module = module
        self.lines = text.splitlines(keepends=True)
        self.path = path
        self.pkg = python_package_of(path)
        self.pos = positions
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.bindings: list[Binding] = []
        self.exports: list[Export] = []
        self.all_names: list[str] | None = None
        self.all_computed = False

    # helpers
    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()

    def line(self, node: cst.CSTNode) -> int:
        return self.pos[node][0]

    def end(self, node: cst.CSTNode) -> int:
        return self.pos[node][1]

    def text(self, node: cst.CSTNode) -> str:
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
    def run(
        self, body: object, guard: str | None = None, handler: bool = False
    ) -> None:
        for stmt in body:  # type: ignore[attr-defined]
            self.stmt(stmt, guard, handler)

    def stmt(self, stmt: cst.CSTNode, guard: str | None, handler: bool) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small, stmt, guard, handler)
        elif isinstance(stmt, cst.ClassDef):
            info = self.class_info(stmt, "")
            self.classes[info.name] = info
            self.add(Binding(info.name, "class", line=info.line), guard, handler)
            self.decorator_exports(stmt.decorators, info.name, info.line)
        elif isinstance(stmt, cst.FunctionDef):
            finfo = self.func_info(stmt, "")
            self.functions[finfo.name] = finfo
            self.add(Binding(finfo.name, "def", line=finfo.def_line), guard, handler)
            self.decorator_exports(stmt.decorators, finfo.name, finfo.def_line)
        elif isinstance(stmt, cst.If):
            cond = self.code(stmt.test)
            self.run(stmt.body.body, _and(guard, cond), handler)
            orelse = stmt.orelse
            neg = f"not ({cond})"
            while orelse is not None:
                if isinstance(orelse, cst.If):
                    c2 = self.code(orelse.test)
                    self.run(orelse.body.body, _and(_and(guard, neg), c2), handler)
                    neg = f"{neg} and not ({c2})"
                    orelse = orelse.orelse
                else:
                    self.run(orelse.body.body, _and(guard, neg), handler)
                    orelse = None
        elif isinstance(stmt, cst.Try):
            self.run(stmt.body.body, guard, handler)
            for h in stmt.handlers:
                self.run(h.body.body, guard, True)
            if stmt.orelse is not None:
                self.run(stmt.orelse.body.body, guard, handler)
            if stmt.finalbody is not None:
                self.run(stmt.finalbody.body.body, guard, handler)
        elif isinstance(stmt, cst.With):
            self.run(stmt.body.body, guard, handler)
        else:  # for / while / match ...: kept as an effect for the interpreter
            self.add(
                Binding("", "effect", expr=self.text(stmt), line=self.line(stmt),
                        end_line=self.end(stmt)),
                guard,
                handler,
            )

    def small(
        self, small: cst.BaseSmallStatement, line_node: cst.CSTNode, guard: str | None,
        handler: bool,
    ) -> None:
        ln = self.line(small)
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = _dotted(alias.name) or ""
                if alias.asname is not None:
                    name = _dotted(alias.asname.name) or full
                    self.add(Binding(name, "import", module=full, line=ln, alias=True,
                                     expr=self.code(small)), guard, handler)
                else:
                    self.add(Binding(full.split(".")[0], "import", module=full, line=ln,
                                     expr=self.code(small)), guard, handler)
        elif isinstance(small, cst.ImportFrom):
            rel = len(small.relative)
            mod = _dotted(small.module) if small.module is not None else None
            absmod = self.absolute(rel, mod)
            if isinstance(small.names, cst.ImportStar):
                self.add(Binding("*", "star", module=absmod, line=ln, expr=self.code(small)),
                         guard, handler)
            else:
                for alias in small.names:
                    attr = _dotted(alias.name) or ""
                    name = attr
                    if alias.asname is not None:
                        name = _dotted(alias.asname.name) or attr
                    self.add(Binding(name, "from", module=absmod, attr=attr, line=ln,
                                     expr=self.code(small)), guard, handler)
        elif isinstance(small, cst.Assign):
            value = self.code(small.value)
            for t in small.targets:
                self.target(t.target, value, small.value, ln, guard, handler)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self.target(small.target, self.code(small.value), small.value, ln, guard, handler)
        elif isinstance(small, cst.AugAssign):
            aug = _dotted(small.target)
            if aug:
                name = aug
                value = self.code(small.value)
                self.add(Binding(name, "augassign", expr=value, line=ln,
                                 attr=self.code(small.operator)), guard, handler)
                if name == "__all__" and isinstance(small.operator, cst.AddAssign):
                    extra = _str_list(small.value)
                    if extra is not None and self.all_names is not None:
                        self.all_names = [*self.all_names, *extra]
                    elif extra is None:
                        self.all_computed = True
                        self.all_names = None
        elif isinstance(small, cst.Del):
            for el in _del_targets(small.target):
                self.add(Binding(el, "del", line=ln), guard, handler)
        elif isinstance(small, cst.Expr):
            self.expr_stmt(small, ln, guard, handler)
        else:
            # pass / raise / global / assert ...: nothing that binds a module name
            if isinstance(small, cst.Raise):
                self.add(Binding("", "effect", expr=self.code(small), line=ln, end_line=ln),
                         guard, handler)

    def target(
        self, t: cst.BaseExpression, value: str, value_node: cst.BaseExpression, ln: int,
        guard: str | None, handler: bool,
    ) -> None:
        if isinstance(t, cst.Name):
            self.add(Binding(t.value, "assign", expr=value, line=ln), guard, handler)
            if t.value == "__all__":
                names = _str_list(value_node)
                if names is not None and not isinstance(value_node, cst.SimpleString):
                    self.all_names = names
                    self.all_computed = False
                else:
                    self.all_names = None
                    self.all_computed = True
        elif isinstance(t, cst.Attribute):
            self.add(Binding(t.attr.value, "attr", target=self.code(t.value), expr=value,
                             line=ln), guard, handler)
        elif isinstance(t, cst.Tuple | cst.List):
            for el in t.elements:
                name = _dotted(el.value)
                if name and "." not in name:
                    self.add(Binding(name, "unpack", expr=value, line=ln), guard, handler)
        else:  # subscript targets (``sys.modules[x] = ...``) are effects
            self.add(Binding("", "effect", expr=f"{self.code(t)} = {value}", line=ln,
                             end_line=ln), guard, handler)

    def expr_stmt(self, small: cst.Expr, ln: int, guard: str | None, handler: bool) -> None:
        v = small.value
        if isinstance(v, cst.Call):
            fname = _dotted(v.func)
            args = v.args
            if fname == "setattr" and len(args) == 3:
                attr = _str_value(args[1].value)
                if attr is not None:
                    self.add(Binding(attr, "setattr", target=self.code(args[0].value),
                                     expr=self.code(args[2].value), line=ln), guard, handler)
                    return
            # tf_export("x")(obj) / keras_export(...)(obj) call form
            if isinstance(v.func, cst.Call):
                inner = _dotted(v.func.func)
                if inner and inner.split(".")[-1].endswith("_export") and args:
                    target = _dotted(args[0].value)
                    if target:
                        self.export_from_call(v.func, inner, target, ln)
                        return
        self.add(Binding("", "effect", expr=self.text(small), line=ln, end_line=self.end(small)),
                 guard, handler)

    # exports
    def decorator_exports(self, decorators: object, target: str, line: int) -> None:
        for d in decorators:  # type: ignore[attr-defined]
            dec = d.decorator
            if isinstance(dec, cst.Call):
                fname = _dotted(dec.func)
                if fname and fname.split(".")[-1].endswith("_export"):
                    self.export_from_call(dec, fname, target, self.line(d))

    def export_from_call(self, call: cst.Call, api: str, target: str, line: int) -> None:
        names: list[str] = []
        v1: list[str] | None = None
        api_name: str | None = None
        for arg in call.args:
            if arg.keyword is None:
                if arg.star:
                    continue
                s = _str_value(arg.value)
                if s is not None:
                    names.append(s)
            elif arg.keyword.value == "v1":
                v1 = _str_list(arg.value) or []
            elif arg.keyword.value == "api_name":
                api_name = _str_value(arg.value)
        self.exports.append(Export(names, api.split(".")[-1], v1, target, line, api_name))

    # classes and functions
    def params(self, fn: cst.FunctionDef) -> list[Param]:
        ps = fn.params
        out: list[Param] = []

        def one(p: cst.Param, kind: str) -> None:
            out.append(Param(p.name.value, self.code(p.default) if p.default else None, kind))

        for p in [*ps.posonly_params, *ps.params]:
            one(p, "pos")
        if isinstance(ps.star_arg, cst.Param):
            one(ps.star_arg, "vararg")
        for p in ps.kwonly_params:
            one(p, "kwonly")
        if ps.star_kwarg is not None:
            one(ps.star_kwarg, "kwarg")
        return out

    def func_info(self, fn: cst.FunctionDef, prefix: str) -> FunctionInfo:
        def_line = self.line(fn.name) if fn.name else self.line(fn)
        start = min([def_line, *(self.line(d) for d in fn.decorators)])
        end = self.end(fn)
        name = fn.name.value
        return FunctionInfo(
            name=name,
            qualname=f"{prefix}{name}",
            line=start,
            end_line=end,
            params=self.params(fn),
            decorators=[self.code(d.decorator) for d in fn.decorators],
            source="".join(self.lines[start - 1 : end]),
            def_line=def_line,
        )

    def class_info(self, node: cst.ClassDef, prefix: str) -> ClassInfo:
        name = node.name.value
        qual = f"{prefix}{name}"
        cline = self.line(node.name)
        start = min([cline, *(self.line(d) for d in node.decorators)])
        methods: dict[str, FunctionInfo] = {}
        attrs: dict[str, tuple[str, int]] = {}
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
        for st in body:
            if isinstance(st, cst.FunctionDef):
                methods[st.name.value] = self.func_info(st, qual + ".")
            elif isinstance(st, cst.SimpleStatementLine):
                for small in st.body:
                    if isinstance(small, cst.Assign):
                        for t in small.targets:
                            if isinstance(t.target, cst.Name):
                                attrs[t.target.value] = (self.code(small.value), self.line(small))
                    elif (
                        isinstance(small, cst.AnnAssign)
                        and small.value is not None
                        and isinstance(small.target, cst.Name)
                    ):
                        attrs[small.target.value] = (self.code(small.value), self.line(small))
            elif isinstance(st, cst.If):  # e.g. `if sys.version...: def x` -> first wins
                for inner in st.body.body:
                    if isinstance(inner, cst.FunctionDef):
                        methods.setdefault(inner.name.value, self.func_info(inner, qual + "."))
        bases = [self.code(a.value) for a in node.bases if a.keyword is None and not a.star]
        keywords = {
            a.keyword.value: self.code(a.value) for a in node.keywords if a.keyword is not None
        }
        return ClassInfo(
            name=name,
            qualname=qual,
            line=cline,
            end_line=self.end(node),
            bases=bases,
            decorators=[self.code(d.decorator) for d in node.decorators],
            methods=methods,
            attrs=attrs,
            start_line=start,
            keywords=keywords,
        )


def _and(a: str | None, b: str) -> str:
    return f"({a}) and ({b})" if a else b


def _del_targets(t: cst.BaseExpression) -> list[str]:
    if isinstance(t, cst.Name):
        return [t.value]
    if isinstance(t, cst.Tuple | cst.List):
        out: list[str] = []
        for el in t.elements:
            out.extend(_del_targets(el.value))
        return out
    return []
