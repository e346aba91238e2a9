"""``--pin``: add the pinning keyword arguments to the calls, with libcst, changing nothing else.

Each pinned call gets its new ``param=value`` arguments after its last one, in the call's own
layout: on the same line for a one-line call, one per line (same indentation, the trailing comma
kept or not) for a call written one argument per line; comments stay where they were. An
argument the call already passes is never added again, so pinning twice changes nothing. An
import is added (after the module's last top-level import) only when a pin's code needs a name
the module does not bind.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import tempfile
from pathlib import Path

import libcst as cst

from tfinit_audit.usercode.files import SourceFile, notebook_with
from tfinit_audit.usercode.model import CallSite, Pin, PinnedFile


def rewrite(text: str, pins: dict[int, list[Pin]]) -> tuple[str, list[str], int]:
    """``text`` with the pins added to the calls at those indices (libcst's call order):
    the new text, the import lines added, and how many calls changed."""
    module = cst.parse_module(text)
    tr = _Pinner(pins)
    new = module.visit(tr)
    imports = sorted({i for p in tr.applied for i in p.imports})
    if imports:
        new = _add_imports(new, imports)
    return new.code, imports, tr.changed


class _Pinner(cst.CSTTransformer):
    def __init__(self, pins: dict[int, list[Pin]]) -> None:
        self.pins = pins
        self.count = 0
        self.index: dict[int, int] = {}
        self.applied: list[Pin] = []
        self.changed = 0

    def visit_Call(self, node: cst.Call) -> bool:
        self.index[id(node)] = self.count
        self.count += 1
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        wanted = self.pins.get(self.index.get(id(original_node), -1))
        if not wanted:
            return updated_node
        have = {a.keyword.value for a in updated_node.args if a.keyword is not None}
        if any(a.star == "**" for a in updated_node.args):
            return updated_node
        new: list[Pin] = []
        for p in wanted:
            if p.param not in have and p.param not in {x.param for x in new}:
                new.append(p)
        if not new:
            return updated_node
        self.applied.extend(new)
        self.changed += 1
        return _extend(updated_node, new)


def _extend(call: cst.Call, pins: list[Pin]) -> cst.Call:
    new_args = [cst.Arg(keyword=cst.Name(p.param), value=cst.parse_expression(p.code),
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace("")))
                for p in pins]
    args = list(call.args)
    if not args:
        spaced = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                  for a in new_args[:-1]]
        return call.with_changes(args=[*spaced, new_args[-1]])
    sep = _separator(call, args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: the tail follows it
        tail = last.comma.whitespace_after
        args[-1] = last.with_changes(comma=last.comma.with_changes(
            whitespace_after=_retarget(tail, sep)))
        new_args = [a.with_changes(comma=cst.Comma(
            whitespace_after=_tail(tail) if j == len(new_args) - 1 else sep))
            for j, a in enumerate(new_args)]
    else:
        tail = last.whitespace_after_arg
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=_retarget(tail, sep)),
                                     whitespace_after_arg=cst.SimpleWhitespace(""))
        new_args = [a.with_changes(comma=cst.Comma(whitespace_after=sep))
                    if j < len(new_args) - 1 else a.with_changes(whitespace_after_arg=_tail(tail))
                    for j, a in enumerate(new_args)]
    return call.with_changes(args=[*args, *new_args])


Ws = cst.BaseParenthesizableWhitespace


def _clean(ws: Ws) -> Ws:
    """The same line break and indentation, without a comment or blank lines."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), empty_lines=[],
                                           indent=ws.indent, last_line=ws.last_line)
    return ws


def _separator(call: cst.Call, args: list[cst.Arg]) -> Ws:
    """What follows a comma between two arguments of this call."""
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        return _clean(args[-2].comma.whitespace_after)
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return _clean(call.whitespace_before_args)
    return cst.SimpleWhitespace(" ")


def _retarget(tail: Ws, sep: Ws) -> Ws:
    """The old tail (comment, line break) ending with the separator's indentation."""
    if not isinstance(tail, cst.ParenthesizedWhitespace):
        return sep
    last = sep.last_line if isinstance(sep, cst.ParenthesizedWhitespace) \
        else cst.SimpleWhitespace("    ")
    return cst.ParenthesizedWhitespace(first_line=tail.first_line, empty_lines=tail.empty_lines,
                                       indent=True, last_line=last)


def _tail(tail: Ws) -> Ws:
    """What stood before the closing parenthesis, without the comment (it stays above)."""
    return _clean(tail)


def _add_imports(module: cst.Module, lines: list[str]) -> cst.Module:
    body = list(module.body)
    at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body):
            at = i + 1
    if at == 0 and body and _is_docstring(body[0]):
        at = 1
    new = [cst.parse_statement(line + "\n") for line in lines]
    if at == 0 and body:  # keep leading comments (a notebook's cell mark) above the import
        new[0] = new[0].with_changes(leading_lines=body[0].leading_lines)
        body[0] = body[0].with_changes(leading_lines=[])
    return module.with_changes(body=[*body[:at], *new, *body[at:]])


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(
        stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString)


def file_text(src: SourceFile, module_text: str) -> str:
    """What the file holds after a rewrite of its module text (a notebook's JSON)."""
    return notebook_with(src, module_text) if src.notebook is not None else module_text


def original_text(src: SourceFile) -> str:
    if src.notebook is None:
        return src.text
    return src.abspath.read_text(encoding="utf-8")


def unified_diff(path: str, before: str, after: str) -> str:
    if before == after:
        return ""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (same permissions), never leaving it half written."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def pins_by_file(sites: list[CallSite]) -> dict[str, dict[int, list[Pin]]]:
    """The pins of every change, per file and call (``pin_index``), in change order."""
    out: dict[str, dict[int, list[Pin]]] = {}
    for s in sites:
        if s.call.ignored:
            continue
        for ch in s.changes:
            if ch.pin is None:
                continue
            calls = out.setdefault(s.call.path, {})
            have = calls.setdefault(s.call.pin_index, [])
            if all(p.param != ch.pin.param for p in have):
                have.append(ch.pin)
    return out


def apply_pins(files: list[SourceFile], sites: list[CallSite], write: bool) -> list[PinnedFile]:
    """Rewrite (``write``) or only diff every file that has pins; unchanged files are left out."""
    by_path = {f.path: f for f in files}
    out: list[PinnedFile] = []
    for path, pins in sorted(pins_by_file(sites).items()):
        src = by_path.get(path)
        if src is None:
            continue
        new_module, imports, changed = rewrite(src.text, pins)
        before = original_text(src)
        after = file_text(src, new_module)
        diff = unified_diff(path, before, after)
        if not diff:
            continue
        if write:
            write_atomic(src.abspath, after)
        out.append(PinnedFile(path, diff, changed, write, imports))
    return out
