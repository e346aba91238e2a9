"""Source modules of one release: text, binding events and syntax trees, all read lazily.

A ``SourceModule`` answers the engine's questions about one file:
- ``events(name)``: the module-level statements that may bind ``name`` (and the star imports),
  as ``Binding`` events in source order with their guards -- from the module's summary;
- ``node(info)``: the syntax tree of a class or function, with the file's real line numbers.

A large module nobody has parsed yet is not parsed whole: the top-level statements whose text
contains a name are found by ``top_level_starts`` and parsed alone (a binding of a name needs its
identifier in the text); the whole-module summary is used when it is cached on disk, already in
memory, or the module is small. Both views come from the same summary builder, so they agree.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.engine.summaries import (
    Binding,
    ClassInfo,
    FunctionInfo,
    ModuleSummary,
    ParseCache,
    SummaryBuilder,
    ast_parse,
    load_cached_summary,
    module_name_of,
    parse,
    summarize_text,
    top_level_starts,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.sources.base import SourceTree

LAZY_MIN = 16_000  # modules at least this large and not parsed yet are read chunk by chunk
_HEADER = re.compile(r"(?:async[ \t]+def|def|class)[ \t]+(\w+)")
_DECORATED = re.compile(r"\n(?:async[ \t]+def|def|class)[ \t]+(\w+)")
_STAR = re.compile(r"import\s*\*")  # after a non-word character: _star_imports
# ``name.attr = ...``, or ``name`` handed to ``setattr`` (``SourceModule.sets_attribute``)
_SETS_ATTRIBUTE = r"(^\s*{name}\.{attr}\s*=[^=])|(setattr\(\s*{name}\s*,)"
_STAR_RE = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\*", re.M)

# where str.splitlines breaks a line and Python's parser does not
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")

DefNode = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


class SourceModule:
    """One file of the tree (see the module docstring)."""

    def __init__(self, sources: Sources, path: str, text: str, package: str) -> None:
        self.sources = sources
        self.path = path
        self.text = text
        self.package = package  # distribution shipping the file (or its top directory)
        self.dotted = module_name_of(path)
        self.is_pkg = path.endswith("/__init__.py")
        self.sha = ParseCache.sha(text)
        self._lines: list[str] | None = None
        self._summary: ModuleSummary | None = None
        self._by_name: dict[str, list[Binding]] | None = None
        self._stars: list[Binding] | None = None
        self._events: dict[str, list[Binding]] = {}
        self._starts: list[int] | None = None
        self._starts_tried = False
        self._star_seen: bool | None = None
        self._start_lines: list[int] | None = None
        self._chunk_events: dict[int, list[Binding]] = {}
        self._chunk_index: dict[str, set[int]] = {}
        self._chunk_body: dict[int, list[ast.stmt]] = {}
        self._builder: SummaryBuilder | None = None
        self._nodes: dict[tuple[int, str], DefNode] = {}
        self._walked: set[int] = set()  # chunks (-1: the whole tree) indexed into _nodes
        self._may_bind_memo: dict[str, bool] = {}
        self._sets_attr_memo: dict[tuple[str, str], bool] = {}
        self._chunked_all: tuple[list[str] | None] | None = None  # all_names from the chunks
        self._star_targets: list[tuple[int, str]] | None = None
        self._touches_others: bool | None = None
        # facts of the text other parts of the analysis derive once per file (by their name:
        # "effect_bindings" in imports.py, "mentions:WORD"); never interpreter state
        self.derived: dict[str, Any] = {}
        cached = load_cached_summary(text, path, sources.tree.package_of(path), sources.cache_dir)
        if cached is not None:
            self._use(cached)
        elif len(text) < LAZY_MIN or sources.asts.has(self.sha):
            self.full()

    # ------------------------------------------------------------------ text
    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    @property
    def parser_lines(self) -> list[str] | None:
        """``lines``, when they are the lines the parser numbers (None when the text holds a
        character ``str.splitlines`` breaks at and Python's parser does not, e.g. a form
        feed)."""
        hit = self.derived.get("parser_lines")
        if hit is None:
            hit = self.derived["parser_lines"] = (
                None if any(c in self.text for c in _OTHER_BREAKS) else self.lines, )
        return hit[0]

    def code(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def hop(self, line: int, note: str) -> Hop:
        return Hop(package=self.package, path=self.path, line=line, code=self.code(line),
                   note=note)

    # ------------------------------------------------------------------ summary views
    def full(self) -> ModuleSummary:
        """The whole-module summary (parsed once, cached on disk by content)."""
        if self._summary is None:
            s = summarize_text(self.text, self.path, self.sources.tree.package_of(self.path),
                               self.sources.cache_dir, self.sources.asts)
            self.sources.summarized.append(self.path)
            self._use(s)
        assert self._summary is not None
        return self._summary

    def _use(self, s: ModuleSummary) -> None:
        self._summary = s
        by_name: dict[str, list[Binding]] = {}
        stars: list[Binding] = []
        for b in s.bindings:
            if b.kind == "star":
                stars.append(b)
            else:
                by_name.setdefault(b.name, []).append(b)
        self._by_name, self._stars = by_name, stars
        self._events.clear()

    @property
    def summary(self) -> ModuleSummary | None:
        return self._summary

    def events(self, name: str) -> list[Binding]:
        """Module-level events binding ``name`` and the star imports, in source order."""
        hit = self._events.get(name)
        if hit is not None:
            return hit
        if self._by_name is None and not self.may_bind(name) and not self._has_stars():
            self._events[name] = []  # no line can bind it: nothing to parse
            return []
        if self._by_name is None and (not self._ensure_starts()
                                      or not self._chunk_events_for(name)):
            self.full()
        if self._by_name is not None:
            assert self._stars is not None
            own = self._by_name.get(name, [])
            out = sorted([*own, *self._stars], key=lambda b: b.line) if self._stars else own
        else:
            out = self._lazy_events(name)
        self._events[name] = out
        return out

    def _has_stars(self) -> bool:
        if self._star_seen is None:
            self._star_seen = next(_star_imports(self.text), None) is not None
        return self._star_seen

    def stars(self) -> list[Binding]:
        return [b for b in self.events("*") if b.kind == "star"]

    def class_info(self, name: str) -> ClassInfo | None:
        if self._summary is not None:
            return self._summary.classes.get(name)
        self.events(name)
        return self._builder.classes.get(name) if self._builder else None

    def function_info(self, name: str) -> FunctionInfo | None:
        if self._summary is not None:
            return self._summary.functions.get(name)
        self.events(name)
        return self._builder.functions.get(name) if self._builder else None

    @property
    def all_names(self) -> list[str] | None:
        """A literal ``__all__`` (None when absent or computed)."""
        if self._summary is None and self._ensure_starts():
            if self._chunked_all is not None:  # read from the chunks before (same text)
                return self._chunked_all[0]
            builder = SummaryBuilder(self.text, self.path)  # fresh: __all__ edits in order
            for i in sorted(self._chunk_index_for("__all__")):
                body = self._chunk(i)
                if body is None:
                    break
                builder.run(body)
            else:
                self._chunked_all = (builder.all_names,)
                return builder.all_names
        return self.full().all_names

    # ------------------------------------------------------------------ chunks
    def _lazy_events(self, name: str) -> list[Binding]:
        out: list[Binding] = []
        for i in sorted(self._chunk_index_for(name) | self._chunk_index_for("*")):
            out.extend(b for b in self._chunk_events[i] if b.name == name or b.kind == "star")
        return out

    def _chunk_events_for(self, name: str) -> bool:
        """Summarize the chunks that may bind ``name`` (and the star imports); False when one
        does not parse on its own (then only a whole parse is safe)."""
        for word in (name, "*"):
            for i in self._chunk_index_for(word):
                if i in self._chunk_events:
                    continue
                body = self._chunk(i)
                if body is None:
                    return False
                if self._builder is None:
                    self._builder = SummaryBuilder(self.text, self.path)
                start = len(self._builder.bindings)
                self._builder.run(body)
                self._chunk_events[i] = self._builder.bindings[start:]
        return True

    def _chunk_index_for(self, word: str) -> set[int]:
        """Top-level statements whose text can bind ``word`` ("*": star imports)."""
        hit = self._chunk_index.get(word)
        if hit is not None:
            return hit
        starts = self._starts
        assert starts is not None
        text = self.text
        seen: set[int] = set()
        if word == "*":
            for pos in _star_imports(text):
                seen.add(bisect.bisect_right(starts, pos) - 1)
        else:
            n = len(word)
            pos = text.find(word)
            while pos >= 0:
                end = pos + n
                if (pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_")) or (
                        end < len(text) and (text[end].isalnum() or text[end] == "_")):
                    pos = text.find(word, end)  # part of a longer identifier
                    continue
                i = bisect.bisect_right(starts, pos) - 1
                if self._chunk_binds(i, word):
                    seen.add(i)
                if i + 1 >= len(starts):
                    break
                pos = text.find(word, starts[i + 1])
        self._chunk_index[word] = seen
        return seen

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
        return self._may_bind(a, b, name)

    def mentions(self, word: str) -> bool:
        """Does the text hold ``word`` anywhere? (memoized per file)"""
        key = "mentions:" + word
        hit = self.derived.get(key)
        if hit is None:
            hit = self.derived[key] = word in self.text
        return bool(hit)

    def sets_attribute(self, name: str, attr: str) -> bool:
        """Does a line of this file set ``name.attr = ...``, or hand ``name`` to ``setattr``?
        (text only; the text is searched only where it holds ``name.attr`` or ``setattr(``)"""
        key = (name, attr)
        hit = self._sets_attr_memo.get(key)
        if hit is None:
            text = self.text
            hit = (f"{name}.{attr}" in text or "setattr(" in text) and re.search(
                _SETS_ATTRIBUTE.format(name=re.escape(name), attr=re.escape(attr)), text,
                re.MULTILINE) is not None
            self._sets_attr_memo[key] = hit
        return hit

    def may_bind(self, name: str) -> bool:
        """Could a module-level line of this file bind ``name``? (text only, no parse)"""
        hit = self._may_bind_memo.get(name)
        if hit is None:
            hit = self._may_bind_memo[name] = self._may_bind(0, len(self.text), name)
        return hit

    @property
    def star_targets(self) -> list[tuple[int, str]]:
        """The modules this file star-imports, as (leading dots, name) in source order (text
        only; relative ones are resolved by the importer against the module's name)."""
        if self._star_targets is None:
            self._star_targets = [
                (len(m.group(1)), m.group(2) or "") for m in _STAR_RE.finditer(self.text)
            ] if "import *" in self.text else []
        return self._star_targets

    def _may_bind(self, a: int, b: int, name: str) -> bool:
        """Does a line of text[a:b] that mentions ``name`` have it in a binding position?
        (Loose: a false yes costs a parse; a mention elsewhere, as in the thousands of
        ``TF_X = _pywrap_tensorflow_internal.TF_X`` of SWIG modules, is not a binding.)"""
        if not name.isidentifier():  # "" would be found everywhere, and never advance
            return False
        text = self.text
        pat = None if name in _PATTERN_WORDS else _GENERIC_BINDING
        pos = text.find(name, a, b)
        while pos >= 0:
            ls = text.rfind("\n", a, pos) + 1 or a
            le = text.find("\n", pos, b)
            le = b if le < 0 else le
            line = text[ls:le]
            if pat is None or _SENTINEL in line:
                if self.sources.binding_pattern(name).search(line):
                    return True
            elif pat.search(_mark_name(line, name)):
                return True
            pos = text.find(name, le, b)
        return False

    def _ensure_starts(self) -> bool:
        """Find the top-level statement boundaries (False when brackets do not balance)."""
        if self._starts is None and not self._starts_tried:
            self._starts_tried = True
            self._starts = top_level_starts(self.text)
            if self._starts is not None:
                lines = [1]
                for a, b in itertools.pairwise(self._starts):
                    lines.append(lines[-1] + self.text.count("\n", a, b))
                self._start_lines = lines
        return self._starts is not None

    def _chunk(self, i: int) -> list[ast.stmt] | None:
        body = self._chunk_body.get(i)
        if body is None:
            starts, lines = self._starts, self._start_lines
            assert starts is not None and lines is not None
            end = starts[i + 1] if i + 1 < len(starts) else len(self.text)
            try:  # blank lines in front keep the real line numbers
                body = parse("\n" * (lines[i] - 1) + self.text[starts[i]:end]).body
            except Exception:  # noqa: BLE001 - unsure segmentation: parse the whole module
                return None
            self._chunk_body[i] = body
        return body

    def docstring(self) -> str | None:
        """The module's docstring, not cleaned (``ast.get_docstring(tree, clean=False)``),
        from its first statement: the first chunk that holds one, parsed alone, unless the
        module is parsed whole already (or a chunk does not parse alone)."""
        if not self.sources.asts.has(self.sha) and self._ensure_starts():
            assert self._starts is not None
            for i in range(len(self._starts)):
                body = self._chunk(i)
                if body is None:
                    break
                if body:
                    return ast.get_docstring(ast.Module(body=body[:1], type_ignores=[]),
                                             clean=False)
            else:
                return None  # no statement at all
        tree = self.tree()
        return ast.get_docstring(tree, clean=False) if tree is not None else None

    # ------------------------------------------------------------------ syntax trees
    def class_node(self, info: ClassInfo) -> ast.ClassDef | None:
        n = self._def_node(info.start_line or info.line, info.end_line, info.line, info.name)
        return n if isinstance(n, ast.ClassDef) else None

    def function_node(self, info: FunctionInfo) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        n = self._def_node(info.line, info.end_line, info.def_line, info.name)
        return n if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) else None

    def _def_node(self, start: int, end: int, line: int, name: str) -> DefNode | None:
        """The class/function statement ``name`` whose keyword is on ``line`` and whose text
        (decorators included) spans lines ``start``..``end``, with the file's line numbers:
        from the whole parse when there is one, else from a parse of those lines alone."""
        key = (line, name)
        hit = self._nodes.get(key)
        if hit is not None:
            return hit
        if self.sources.asts.has(self.sha):
            if -1 not in self._walked:
                self._walked.add(-1)
                tree = self.tree()
                for n in _walk_defs(tree.body if tree is not None else []):
                    self._nodes.setdefault((n.lineno, n.name), n)
            return self._nodes.get(key)
        if self._start_lines is not None:
            i = bisect.bisect_right(self._start_lines, start) - 1
            chunk = self._chunk_body.get(i)
            if chunk is not None and i not in self._walked:  # its statement is parsed already
                self._walked.add(i)
                for n in _walk_defs(chunk):
                    self._nodes.setdefault((n.lineno, n.name), n)
                hit = self._nodes.get(key)
                if hit is not None:
                    return hit
        segment = "\n".join(self.lines[start - 1:end])
        indented = segment[:1] in (" ", "\t")
        head = "\n" * (start - 2) + "if 1:\n" if indented else "\n" * (start - 1)
        try:
            body = parse(head + segment).body
        except Exception:  # noqa: BLE001 - e.g. a statement split oddly: parse the module
            tree = self.tree()
            body = tree.body if tree is not None else []
        for n in _walk_defs(body):
            self._nodes.setdefault((n.lineno, n.name), n)
        return self._nodes.get(key)

    def tree(self) -> ast.Module | None:
        try:
            return self.sources.asts.parse(self.text, self.sha)
        except Exception:  # noqa: BLE001
            return None


def _star_imports(text: str) -> Iterator[int]:
    """Where ``import *`` (any spaces before the ``*``) starts after no word character: the
    literal ``import`` is searched for first, then the character before it checked (a pattern
    starting with a word boundary is tried at every position of the text, ~40 times slower)."""
    for m in _STAR.finditer(text):
        pos = m.start()
        if pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] == "_"):
            yield pos


def _walk_defs(body: list[ast.stmt]) -> list[DefNode]:
    """The classes and functions a summary can name: module level, in class bodies and in
    compound statements -- not inside function bodies."""
    out: list[DefNode] = []
    stack: list[ast.stmt] = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(n)
            continue
        if isinstance(n, ast.ClassDef):
            out.append(n)
            stack.extend(n.body)
        elif isinstance(n, ast.If | ast.For | ast.While | ast.With | ast.AsyncWith):
            stack.extend(n.body)
            stack.extend(getattr(n, "orelse", []))
        elif isinstance(n, ast.Try | ast.TryStar):
            stack.extend(n.body)
            for h in n.handlers:
                stack.extend(h.body)
            stack.extend(n.orelse)
            stack.extend(n.finalbody)
    return out


def _binding_pattern(n: str) -> str:
    """The alternatives of ``Sources.binding_pattern`` for the (escaped) name ``n``."""
    w = rf"(?<![\w.]){n}(?!\w)"
    return (
        rf"^\s*(?:async\s+)?(?:def|class)\s+{n}\b"
        rf"|^\s*{n}\s*(?::[^=\n]*)?=(?!=)"
        rf"|^\s*{n}\s*:(?!=)"  # an annotation whose ``= value`` is on a later line
        rf"|^\s*{n}\s*(?:[-+*/%&|^@]|//|\*\*|<<|>>)="
        rf"|{w}\s*:="
        rf"|,\s*{n}\s*=(?!=)"
        rf"|(?<![=!<>])=\s*{n}\s*=(?!=)"  # the middle of a chain: ``a = {n} = value``
        rf"|\*\s*{n}\s*(?:,|\)|\]|=(?!=))"  # a starred target: ``first, *{n} = items``
        rf"|\bimport\b.*{w}(?!\s+as\b)"
        rf"|\bas\s+{n}\b"
        rf"|^\s*{n}\s*(?:,|\)|$)"
        rf"|[,(\[]\s*{n}\s*(?:,|\)|\]|$)"
        rf"|\bdel\b.*{w}"
        rf"|\bfor\b.*{w}"
        rf"|\.{n}\s*=(?!=)"
        rf"|['\"]{n}['\"]"
    )


# One pattern for every name (compiling ``binding_pattern`` per name cost ~0.4 ms each, a few
# hundred per release): a line's whole-identifier occurrences of the name are replaced by one
# word character that source text does not hold, and this pattern looks for it. Equivalent:
# every alternative needs the name delimited by non-word characters on both sides, and an
# identifier replaced by a word character keeps those; the pattern's own words are left alone
# (a name that is one of them, or a line holding the sentinel, uses the per-name pattern).
_SENTINEL = "\ua66e"
_GENERIC_BINDING = re.compile(_binding_pattern(_SENTINEL), re.M)
_PATTERN_WORDS = frozenset({"async", "def", "class", "import", "as", "del", "for"})


def _mark_name(line: str, name: str) -> str:
    """``line`` with each occurrence of ``name`` that is a whole identifier (no word character
    on either side) replaced by ``_SENTINEL``."""
    parts: list[str] = []
    n, start, pos = len(name), 0, line.find(name)
    while pos >= 0:
        end = pos + n
        if not ((pos > 0 and _is_word(line[pos - 1]))
                or (end < len(line) and _is_word(line[end]))):
            parts.append(line[start:pos])
            parts.append(_SENTINEL)
            start = end
        pos = line.find(name, end)
    if not parts:
        return line
    parts.append(line[start:])
    return "".join(parts)


def _is_word(ch: str) -> bool:
    """``re``'s ``\\w`` for one character of a str pattern."""
    return ch.isalnum() or ch == "_"


class Sources:
    """The source modules of one tree read so far; one parse per content (``ParseCache``),
    summaries cached on disk under ``cache_dir`` by content hash."""

    def __init__(self, tree: SourceTree, cache_dir: Path | None = None,
                 asts: ParseCache | None = None) -> None:
        self.tree = tree
        self.cache_dir = cache_dir
        self.asts = asts or ParseCache()
        self._mods: dict[str, SourceModule | None] = {}
        self._lines: dict[str, list[str]] = {}
        self._snippets: dict[tuple[str, int, str], Any] = {}
        self._binding_patterns: dict[str, re.Pattern[str]] = {}
        # text-only answers of the import system, shared by the interpreters of the tree
        self.files: dict[tuple[tuple[str, ...], str], str | None] = {}  # finder results
        self.touches_others: dict[str, bool] = {}  # path -> may patch other modules
        self.writes_sys_modules: dict[str, bool] = {}  # path -> writes sys.modules
        self.summarized: list[str] = []  # paths whose whole summary was built or loaded

    def module(self, path: str | None) -> SourceModule | None:
        """The module at ``path`` (``a/b.py`` or ``a/__init__.py``); None when absent."""
        if path is None or path.endswith("/") or not path.endswith(".py"):
            return None
        if path in self._mods:
            return self._mods[path]
        text = self.tree.read_text(path)
        mod = None
        if text is not None:
            package = self.tree.package_of(path) or path.split("/", 1)[0]
            mod = SourceModule(self, path, text, package)
        self._mods[path] = mod
        return mod

    def summary(self, path: str | None) -> ModuleSummary | None:
        mod = self.module(path)
        return mod.full() if mod is not None else None

    def binding_pattern(self, name: str) -> re.Pattern[str]:
        """Lines that may bind ``name``: def/class, (annotated, augmented, walrus) assignment,
        tuple and import-list entry, import and ``as`` clause, ``del``, ``for`` target,
        attribute assignment, a quoted name (``setattr``)."""
        pat = self._binding_patterns.get(name)
        if pat is None:
            pat = self._binding_patterns[name] = re.compile(_binding_pattern(re.escape(name)),
                                                            re.M)
        return pat

    def snippet(self, text: str, line: int, kind: str) -> Any:
        """Source text of a module starting on ``line``, parsed with the file's line numbers:
        an expression (``kind`` "eval") or a list of statements."""
        key = (text, line, kind)
        node = self._snippets.get(key)
        if node is None:
            pad = "\n" * (line - 1)
            if kind == "eval":
                node = ast_parse(pad + text.strip(), mode="eval").body
            else:
                node = ast_parse(pad + textwrap.dedent(text)).body
            self._snippets[key] = node
        return node

    def line_text(self, path: str, line: int) -> str:
        lines = self._lines.get(path)
        if lines is None:  # a module read already has them (the same text, split the same)
            mod = self._mods.get(path)
            lines = self._lines[path] = mod.lines if mod is not None else (
                self.tree.read_text(path) or "").splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""
