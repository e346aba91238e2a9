"""Find the TensorFlow/Keras constructions in one file of user code (libcst + scope metadata).

A call counts when its callee refers, through the file's own bindings, to a name under
``tensorflow``, ``keras`` or ``tf_keras``: written out (``tf.keras.layers.GRU``), through an
import of any style (``from tensorflow.contrib import rnn``, ``import tensorflow.compat.v1 as
tf``, ``import keras``), an alias bound in the module (``GRU = tf.keras.layers.GRU``;
``tf = tf.compat.v1``), a ``functools.partial`` of one, or ``super().__init__(...)`` /
``Base.__init__(self, ...)`` in a user subclass. What a name refers to is read from libcst's
``ScopeProvider``: each access's referents, the latest binding before it winning (so
``import tensorflow as tf`` then ``tf = tf.compat.v1`` means the second). Constructions of user
classes, and super calls whose base is a user class, are kept as ``PendingCall`` and decided by
``link.py`` once every file is read. Whether a name is a layer at all is decided later, by the
releases' own source (``catalog.py``).

Positions come from CPython's ``ast`` (one fast pass) matched call for call with libcst's
visiting order and checked on every call used; a file where they disagree uses libcst's
``PositionProvider`` instead.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    Assignment,
    ImportAssignment,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from tfinit_audit.usercode.files import SourceFile
from tfinit_audit.usercode.model import (
    Arg,
    FileScan,
    FoundCall,
    PendingCall,
    UserClass,
    is_tf_name,
)

PARTIAL = "functools.partial"
IGNORE = re.compile(r"#\s*tfinit-audit:\s*ignore\b")
CODE_WIDTH = 100
_MAX_DEPTH = 12


@dataclass
class _Target:
    """What a callee expression refers to: a TF/Keras name, a user class, or a name imported
    from the user's project (``kind`` "tf" | "user" | "project")."""

    kind: str
    name: str
    via: str = "call"
    via_name: str = ""
    preargs: list[cst.Arg] = field(default_factory=list)
    pin_node: cst.Call | None = None


@dataclass
class _Ctx:
    """The innermost enclosing class and function of a call."""

    cls: cst.ClassDef | None
    func: cst.FunctionDef | None


class _Collector(cst.CSTVisitor):
    """One pass: every call with its index and context, simple assignments, classes."""

    def __init__(self) -> None:
        self.calls: list[tuple[cst.Call, _Ctx]] = []
        self.values: dict[cst.Name, cst.BaseExpression] = {}
        self.classes: list[cst.ClassDef] = []
        self.top_names: list[cst.Name] = []  # module-level assignment targets
        self.top_imports: list[tuple[str, str]] = []  # (bound name, "module.name" imported)
        self.top_modules: dict[str, str] = {}  # import x.y as z -> {"z": "x.y"}; import x -> x
        # ids of bindings (assigned Names, import statements) inside an ``except`` handler:
        # they run only when the ``try`` body failed, so the ``try`` body's binding is the one
        self.in_except: set[int] = set()
        # ids of module-level assigned Names inside a compound statement (if/try/for/with ...)
        self.in_branch: set[int] = set()
        self._cls: list[cst.ClassDef | None] = [None]
        self._func: list[cst.FunctionDef | None] = [None]
        self._except = 0
        self._branch = 0

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, _Ctx(self._cls[-1], self._func[-1])))

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            if isinstance(t.target, cst.Name):
                self.values[t.target] = node.value
                self._mark(t.target)
                if self._func[-1] is None and self._cls[-1] is None:
                    self.top_names.append(t.target)

    def _mark(self, node: cst.CSTNode) -> None:
        if self._except:
            self.in_except.add(id(node))
        if self._branch:
            self.in_branch.add(id(node))

    def _enter_except(self, node: cst.CSTNode) -> None:
        self._except += 1

    def _leave_except(self, original_node: cst.CSTNode) -> None:
        self._except -= 1

    visit_ExceptHandler = visit_ExceptStarHandler = _enter_except
    leave_ExceptHandler = leave_ExceptStarHandler = _leave_except

    def _enter_branch(self, node: cst.CSTNode) -> None:
        self._branch += 1

    def _leave_branch(self, original_node: cst.CSTNode) -> None:
        self._branch -= 1

    visit_If = visit_Try = visit_TryStar = visit_For = visit_While = visit_With = _enter_branch
    leave_If = leave_Try = leave_TryStar = leave_For = leave_While = leave_With = _leave_branch

    def visit_Import(self, node: cst.Import) -> None:
        self._mark(node)
        if self._func[-1] is None and self._cls[-1] is None:
            for alias in node.names:
                full = get_full_name_for_node(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.top_modules[alias.asname.name.value] = full
                elif full:
                    head = full.split(".", 1)[0]
                    self.top_modules.setdefault(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._mark(node)
        if self._func[-1] is None and self._cls[-1] is None \
                and not isinstance(node.names, cst.ImportStar):
            module = "." * len(node.relative) + (get_full_name_for_node(node.module) or "" \
                                                  if node.module is not None else "")
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                real = get_full_name_for_node(alias.name)
                if isinstance(bound, cst.Name) and real:
                    sep = "" if module.endswith(".") or not module else "."
                    self.top_imports.append((bound.value, f"{module}{sep}{real}"))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self.values[node.target] = node.value

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node)
        self._cls.append(node)
        self._func.append(None)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._cls.pop()
        self._func.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._func.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._func.pop()


def scan_source(src: SourceFile, project: frozenset[str] = frozenset()) -> FileScan:
    """The calls, user classes and pending calls of one file. ``project`` holds the top-level
    names of the scanned modules: calls of names imported from them may construct a user
    subclass of a layer. A file that does not parse is returned with its one-line ``error``."""
    out = FileScan(src.path, src.module, lines=src.text.count("\n"))
    if src.error:
        out.error = src.error
        return out
    try:
        module = cst.parse_module(src.text)
    except cst.ParserSyntaxError as exc:
        out.error = _syntax_error(src.text, exc)
        return out
    except (RecursionError, ValueError) as exc:
        out.error = f"cannot parse: {type(exc).__name__}"
        return out
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    col = _Collector()
    wrapper.module.visit(col)
    finder = _Finder(src, module, scopes, col, project)
    finder.run(out)
    out.imports = dict(col.top_modules)
    glob = scopes.get(module)
    out.bound = sorted({a.name for a in glob.assignments}) if glob is not None else []
    _place(src, module, wrapper, col, out)
    return out


class _Finder:
    """Resolves callees to targets and records found and pending calls."""

    def __init__(self, src: SourceFile, module: cst.Module,
                 scopes: Mapping[cst.CSTNode, Scope | None], col: _Collector,
                 project: frozenset[str]) -> None:
        self.src, self.module, self.col, self.project = src, module, col, project
        self.scopes = scopes
        self.index = {id(c): i for i, (c, _) in enumerate(col.calls)}
        self.class_names = {id(c): c for c in col.classes}

    # ---------------------------------------------------------------- what a name refers to
    def scope_of(self, node: cst.CSTNode) -> Scope | None:
        return self.scopes.get(node)

    def target(self, expr: cst.BaseExpression, depth: int = 0) -> _Target | None:
        """What ``expr`` (a callee) refers to, or None."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            inner = self.target(expr.func, depth + 1)
            if inner is not None and inner.kind == "tf" and inner.name == PARTIAL and expr.args:
                base = self.target(expr.args[0].value, depth + 1)
                if base is None or base.kind == "user" and base.name == PARTIAL:
                    return None
                return _Target(base.kind, base.name, "partial",
                               self.module.code_for_node(expr.args[0].value),
                               [*base.preargs, *expr.args[1:]], expr)
            return None
        full = get_full_name_for_node(expr)
        head = expr
        while isinstance(head, cst.Attribute):
            head = head.value
        if full is None or not isinstance(head, cst.Name):
            return None
        return self._named(head, full, depth)

    def _named(self, head: cst.Name, full: str, depth: int) -> _Target | None:
        scope = self.scope_of(head)
        if scope is None:
            return None
        referents = [r for a in scope.accesses[head] for r in a.referents]
        if not referents:
            return None
        # a binding in an ``except`` handler runs only when its ``try`` failed: the try's wins
        usual = [r for r in referents
                 if id(getattr(r, "node", None)) not in self.col.in_except] or referents
        latest = max(usual, key=lambda r: getattr(r, "_index", -1))
        rest = full[len(head.value):]
        if isinstance(latest, ImportAssignment):
            names = latest.get_qualified_names_for(full)
            if not names:
                return None
            raw = min(n.name for n in names)
            name = self._absolute(raw)
            if name == "functools.partial" or is_tf_name(name):
                return _Target("tf", name)
            if raw.startswith(".") or name.split(".", 1)[0] in self.project:
                return _Target("project", name)
            return None
        if not isinstance(latest, Assignment):
            return None
        node = latest.node
        if isinstance(node, cst.ClassDef) and not rest:
            qual = _local_qualname(latest)
            return _Target("user", f"{self.src.module}.{qual}")
        value = self.col.values.get(node) if isinstance(node, cst.Name) else None
        if value is None:
            return None
        base = self.target(value, depth + 1)
        if base is None:
            return None
        if rest:
            if base.kind == "user" or base.via == "partial":
                return None
            return _Target(base.kind, base.name + rest, "alias", head.value)
        via = base.via if base.via == "partial" else "alias"
        return _Target(base.kind, base.name, via, base.via_name or head.value, base.preargs,
                       base.pin_node)

    def _absolute(self, name: str) -> str:
        """``.common.Dense`` seen from ``pkg.layers.rnn`` -> ``pkg.layers.common.Dense``."""
        if not name.startswith("."):
            return name
        dots = len(name) - len(name.lstrip("."))
        base = self.src.module.split(".")
        is_pkg = self.src.abspath.name == "__init__.py"
        keep = len(base) - dots + (1 if is_pkg else 0)
        return ".".join([*base[:max(keep, 0)], name.lstrip(".")])

    # ---------------------------------------------------------------- calls
    def run(self, out: FileScan) -> None:
        out.classes = [self._user_class(c) for c in self.col.classes]
        out.aliases = self._aliases()
        for i, (call, ctx) in enumerate(self.col.calls):
            self._call(i, call, ctx, out)

    def _call(self, i: int, call: cst.Call, ctx: _Ctx, out: FileScan) -> None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "__init__" \
                and ctx.cls is not None:
            self._base_init(i, call, ctx, out)
            return
        t = self.target(func)
        if t is None or t.name == PARTIAL:
            return
        written = self.module.code_for_node(func)
        args = [*t.preargs, *call.args]
        pin = self.index.get(id(t.pin_node), i) if t.pin_node is not None else i
        found = self._found(i, call, t.name, written, args, t.via, t.via_name, pin)
        if t.kind == "tf":
            out.calls.append(found)
        else:
            out.pending.append(PendingCall("construct", t.name, found))

    def _base_init(self, i: int, call: cst.Call, ctx: _Ctx, out: FileScan) -> None:
        """``super().__init__(...)``, ``super(C, self).__init__(...)`` or
        ``Base.__init__(self, ...)`` inside class ``ctx.cls``."""
        assert isinstance(call.func, cst.Attribute) and ctx.cls is not None
        owner = call.func.value
        args = list(call.args)
        if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name) \
                and owner.func.value == "super":
            base = next((b for b in (self.target(a.value) for a in ctx.cls.bases) if b), None)
        else:
            base = self.target(owner)
            args = args[1:]  # the explicit self
        if base is None or base.via == "partial":
            return
        written = self.module.code_for_node(call.func)
        found = self._found(i, call, base.name, written, args, "super", ctx.cls.name.value, i)
        if base.kind == "tf":
            out.calls.append(found)
        else:
            out.pending.append(PendingCall("super", base.name, found))

    def _found(self, i: int, call: cst.Call, qualname: str, written: str, args: list[cst.Arg],
               via: str, via_name: str, pin: int) -> FoundCall:
        return FoundCall(
            path=self.src.path, line=0, column=0, qualname=qualname, written=written,
            code=_one_line(self.module.code_for_node(call)),
            args=[self._arg(a) for a in args], via=via, via_name=via_name, call_index=i,
            pin_index=pin,
        )

    def _arg(self, a: cst.Arg) -> Arg:
        text = self.module.code_for_node(a.value)
        keyword = a.keyword.value if a.keyword is not None else None
        out = Arg(text=text, keyword=keyword, star=a.star if isinstance(a.star, str) else "")
        if not out.star:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out.value = ast.literal_eval(text.strip())
                out.literal = True
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                pass
        return out

    def _aliases(self) -> dict[str, str]:
        """Module-level names bound to a TF/Keras name or re-exported from the project, so
        that ``from mylayers import Dense`` in another module can be followed."""
        out: dict[str, str] = {}
        for bound, imported in self.col.top_imports:
            name = self._absolute(imported)
            if is_tf_name(name) or imported.startswith(".") \
                    or name.split(".", 1)[0] in self.project:
                out[bound] = name
        by_name: dict[str, list[cst.Name]] = {}
        for node in self.col.top_names:
            by_name.setdefault(node.value, []).append(node)
        for name, nodes in by_name.items():
            value = self._module_binding(nodes)
            if value is not None:
                out[name] = value
        return out

    def _module_binding(self, nodes: list[cst.Name]) -> str | None:
        """What a module-level name is bound to, for other modules: the last binding; where it
        is bound in branches (``if``/``try``), the one name every branch that can run gives it
        (``except`` handlers only run when their ``try`` failed), else nothing (no guess)."""
        usual = [n for n in nodes if id(n) not in self.col.in_except] or nodes
        names = []
        for node in usual:
            t = self.target(self.col.values[node])
            ok = t is not None and t.via != "partial" and t.name != PARTIAL
            names.append(t.name if ok and t is not None else None)
        if not any(id(n) in self.col.in_branch for n in usual):
            return names[-1]
        return names[0] if len(set(names)) == 1 else None

    # ---------------------------------------------------------------- classes
    def _user_class(self, node: cst.ClassDef) -> UserClass:
        bases = []
        for a in node.bases:
            if a.keyword is not None:
                continue
            t = self.target(a.value)
            bases.append(t.name if t is not None and t.via != "partial" else "?")
        has_init = any(isinstance(s, cst.FunctionDef) and s.name.value == "__init__"
                       for s in _body(node))
        scope = self.scope_of(node)
        qual = node.name.value
        if scope is not None:
            for binding in scope.assignments[node.name.value]:
                if isinstance(binding, Assignment) and binding.node is node:
                    qual = _local_qualname(binding)
        return UserClass(f"{self.src.module}.{qual}", bases, has_init, self.src.path, 0)


def _syntax_error(text: str, exc: cst.ParserSyntaxError) -> str:
    """One line, as Python itself would put it when it agrees the file is invalid."""
    try:
        ast.parse(text)
    except SyntaxError as py:
        return f"syntax error at line {py.lineno}: {py.msg}"
    except (ValueError, RecursionError, MemoryError):
        pass
    return f"syntax error at line {exc.raw_line}: {' '.join(exc.message.split())}"


def _body(node: cst.ClassDef) -> list[cst.CSTNode]:
    body = node.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _local_qualname(a: Assignment) -> str:
    names = a.scope.get_qualified_names_for(a.name) if a.scope is not None else set()
    return min((n.name for n in names), default=a.name)


def _one_line(code: str) -> str:
    """The call on one line without its comments, shortened to ``CODE_WIDTH``."""
    text = " ".join(_without_comments(code).split())
    text = text.replace("( ", "(").replace(" )", ")").replace("[ ", "[").replace(" ]", "]")
    return text if len(text) <= CODE_WIDTH else text[: CODE_WIDTH - 1] + "…"


def _without_comments(code: str) -> str:
    if "#" not in code:
        return code
    lines = code.split("\n")
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                lines[row - 1] = lines[row - 1][:col]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return code
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------
def _place(src: SourceFile, module: cst.Module, wrapper: MetadataWrapper, col: _Collector,
           out: FileScan) -> None:
    """Line and 1-based column of every found call (and of user classes), ignore comments,
    notebook cells."""
    wanted = [c.call_index for c in out.calls] + [p.call.call_index for p in out.pending]
    where = _ast_positions(src.text, col, wanted, module)
    if where is None:
        positions = wrapper.resolve(PositionProvider)
        where = {i: (positions[col.calls[i][0]].start.line,
                     positions[col.calls[i][0]].start.column + 1) for i in wanted}
        cls_where = {id(c): positions[c].start.line for c in col.classes}
    else:
        cls_where = _class_lines(src.text, col)
    lines = re.split(r"\r\n|\r|\n", src.text)
    for found in [*out.calls, *(p.call for p in out.pending)]:
        line, column = where[found.call_index]
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        found.ignored = bool(IGNORE.search(text))
        found.cell, found.line = src.locate(line)
        found.column = column
    for uc, node in zip(out.classes, col.classes, strict=True):
        uc.line = src.locate(cls_where.get(id(node), 0))[1]


def _ast_positions(text: str, col: _Collector, wanted: list[int],
                   module: cst.Module) -> dict[int, tuple[int, int]] | None:
    """Positions of the wanted calls from ``ast``, or None when ``ast`` and libcst do not agree
    call for call (count, and the callee's last name of every wanted call)."""
    if not wanted:
        return {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if len(nodes) != len(col.calls):
        return None
    nodes.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0),
                              -(n.end_col_offset or 0)))
    lines = re.split(r"\r\n|\r|\n", text)
    out: dict[int, tuple[int, int]] = {}
    for i in wanted:
        node, (call, _) = nodes[i], col.calls[i]
        if _tail_ast(node.func) != _tail_cst(call.func):
            return None
        line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
        prefix = line.encode("utf-8")[: node.col_offset].decode("utf-8", "replace")
        out[i] = (node.lineno, len(prefix) + 1)
    return out


def _class_lines(text: str, col: _Collector) -> dict[int, int]:
    """``class`` lines in source order, matched with libcst's ClassDefs by order and name."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    defs = sorted((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)),
                  key=lambda n: (n.lineno, n.col_offset))
    out = {}
    for node, c in zip(defs, col.classes, strict=False):
        if node.name == c.name.value:
            out[id(c)] = node.lineno
    return out


def _tail_ast(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return type(node).__name__


def _tail_cst(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return {"Subscript": "Subscript", "Call": "Call", "Lambda": "Lambda"}.get(
        type(node).__name__, type(node).__name__)
