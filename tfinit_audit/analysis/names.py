"""Front end of the engine for public names: ``tf.nn.rnn_cell.LSTMCell`` -> its definition.

The engine's import system (engine/imports.py) resolves the name as Python would at import
time -- generated API modules, re-exports, star imports, package shims, lazy loaders -- and
records each line that decided it. Where a source checkout has no generated API modules, the
``tf_export``/``keras_export`` decorators name the public symbols. ``Resolver.mro`` gives a
class's C3 linearization across modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.engine.frames import IMPORT, Raised, Undecidable
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.namespaces import REMOVED_NOTE
from tfinit_audit.analysis.engine.summaries import (
    ClassInfo,
    Export,
    FunctionInfo,
    ModuleSummary,
    ParseCache,
    module_name_of,
)
from tfinit_audit.analysis.engine.values import (
    MISSING,
    BuiltinClassV,
    ClassV,
    FunctionV,
    ModuleV,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Hop, Location
from tfinit_audit.sources.base import SourceTree


@dataclass
class Definition:
    kind: str  # "class" | "function" | "module" | "value" | "builtin" | "unresolved"
    module: str  # dotted module name as Python knows it
    qualname: str
    location: Location | None
    info: ClassInfo | FunctionInfo | None
    expr: str | None = None


@dataclass
class PublicResolution:
    status: str  # "found" | "absent" | "unavailable" | "unresolved" (could not follow; message)
    definition: Definition | None
    message: str | None
    hops: list[Hop] = field(default_factory=list)


API_DIRS = ("tensorflow/_api", "tensorflow_core/_api", "tensorflow/tools/api/generator/api",
            "keras/api")
EXPORT_ROOTS = ("tensorflow/python", "keras")
# Trees made from built distributions (wheels, site-packages): the pip package build generated
# their public API modules (in 1.10 directly under tensorflow/, later under _api/), so a name
# they lack is absent; only source checkouts need the export-decorator fallback.
BUILT_KINDS = ("pypi", "wheel", "installed")
ROOTS = {"tf": "tensorflow", "tensorflow": "tensorflow", "keras": "keras", "tf_keras": "tf_keras"}


class Resolver:
    """Resolves public names in one release tree with the engine ``it`` (one is made when
    none is given)."""

    def __init__(
        self, tree: SourceTree, cache_dir: Path | None = None, asts: ParseCache | None = None,
        engine: Interpreter | None = None,
    ) -> None:
        self.tree = tree
        self.it = engine or Interpreter(tree, cache_dir=cache_dir, asts=asts)

    # ------------------------------------------------------------------ modules
    def module(self, dotted: str) -> ModuleSummary | None:
        """Summary of the module Python would import as ``dotted`` (sys.modules aliases kept)."""
        mod = self.it.import_module(dotted)
        if not isinstance(mod, ModuleV) or mod.path is None:
            return None
        return self.it.sources.summary(mod.path)

    def module_path(self, dotted: str) -> str | None:
        mod = self.it.import_module(dotted)
        return mod.path if isinstance(mod, ModuleV) else None

    # ------------------------------------------------------------------ names
    def resolve(self, module: str, dotted_name: str) -> Definition | None:
        """``dotted_name`` as seen in ``module``'s namespace (follows imports, aliases...)."""
        mod = self.it.import_module(module)
        if not isinstance(mod, ModuleV):
            return None
        val = self._walk(mod, dotted_name.split("."))
        return None if val is None else self.definition(val)

    def _walk(self, mod: ModuleV, parts: list[str]) -> Value | None:
        try:
            with self.it.imports.ns.quiet():
                val = self.it.module_global(mod, parts[0])
                for p in parts[1:]:
                    if val is MISSING:
                        break
                    val = self.it.getattr(val, p, IMPORT)
        except Raised:
            return None
        return None if val is MISSING else val

    def mro(self, definition: Definition) -> list[Definition]:
        """``cls.__mro__`` of a class Definition: Python's C3 linearization, each base
        resolved in the module that defines its subclass (imports, aliases, lazy loaders).

        Entries: kind "class" (with ClassInfo), "builtin" (``object``, ``types.ModuleType``:
        module "builtins", no location) or "unresolved" (a base that cannot be followed;
        ``expr`` is the base as written, location the ``class`` line that names it; its own
        ancestry is unknown). When no consistent order exists -- Python raises TypeError
        creating the class -- the result is ``[cls, unresolved]`` with that message.
        """
        src = self.it.sources.module(definition.location.path) if definition.location else None
        if definition.kind != "class" or not isinstance(definition.info, ClassInfo) \
                or definition.location is None or src is None:
            raise ValueError(f"not a class definition: {definition.kind} {definition.qualname}")
        cls = ClassV(src=src, info=definition.info, modname=definition.module)
        order = self.it.c3_mro(cls)
        if order is None:
            return [definition, Definition(
                "unresolved", definition.module, "", definition.location, None,
                "TypeError: Cannot create a consistent method resolution order (MRO)")]
        return [definition, *(self.definition(c) for c in order[1:])]

    def definition(self, val: Value) -> Definition:
        """A Definition for an engine value."""
        return to_definition(self.it, val)

    def resolve_public(self, public_name: str) -> PublicResolution:
        """``tf.nn.rnn_cell.LSTMCell`` -> found / absent / unavailable, with the hops taken."""
        parts = public_name.split(".")
        root = ROOTS.get(parts[0], parts[0])
        it = self.it
        hops: list[Hop] = []
        with it.question(hops):
            try:
                val: Any = it.import_module(root)
                if val is MISSING:
                    return PublicResolution(
                        "absent", None, f"the tree has no package {root!r}", hops
                    )
                walked = [parts[0]]
                for p in parts[1:]:
                    try:
                        nxt = it.getattr(val, p, IMPORT)
                    except Raised as sig:
                        if not sig.missing_attribute:
                            raise
                        nxt = MISSING  # Python's own AttributeError (through a __getattr__)
                    if nxt is MISSING:
                        if isinstance(val, ModuleV | ClassV):
                            fb = self._export_fallback(root, parts)
                            if fb is not None:
                                return fb
                        why = next((f" ({h.note.split(REMOVED_NOTE, 1)[1]}: {h.path}:{h.line})"
                                    for h in reversed(hops)
                                    if h.note.startswith(f"{p} {REMOVED_NOTE}")), "")
                        return PublicResolution(
                            "absent", None, f"{'.'.join(walked)} has no attribute {p!r}{why}",
                            hops)
                    walked.append(p)
                    val = nxt
            except Raised as sig:
                return PublicResolution("unavailable", None, sig.message_line(), hops)
            except (Undecidable, RecursionError) as exc:
                return PublicResolution(
                    "unresolved", None, f"cannot follow {public_name}: {exc}", hops
                )
        d = self.definition(val)
        if d.kind == "unresolved":
            where = f" ({d.location.path}:{d.location.line})" if d.location else ""
            return PublicResolution(
                "unresolved", d, f"cannot follow {d.expr or public_name}{where}", hops
            )
        if d.location is not None:
            hops.append(
                Hop(
                    d.location.package,
                    d.location.path,
                    d.location.line,
                    it.sources.line_text(d.location.path, d.location.line),
                    f"{public_name} is defined here ({d.kind} {d.qualname})",
                )
            )
        return PublicResolution("found", d, None, hops)

    # ------------------------------------------------------------------ exports
    def _export_fallback(self, root: str, parts: list[str]) -> PublicResolution | None:
        """tf_export/keras_export decorators, used only where generated API modules are absent.

        A source checkout (GitHub) has no ``_api`` tree: the public name is then found where a
        ``*_export("...")`` decorator or call names it. ``tf.compat.v1.X`` matches v1 names
        (the positional names when no ``v1=`` is given); ``tf.X`` matches the positional names
        first, then v1 names.
        """
        if self.tree.kind in BUILT_KINDS or any(self.tree.exists(d) for d in API_DIRS):
            return None  # a built distribution carries the generated API: its answer stands
        rest = parts[1:]
        v1_only = rest[:2] == ["compat", "v1"]
        if v1_only or rest[:2] == ["compat", "v2"]:
            rest = rest[2:]
        wanted = ".".join(rest)
        if not wanted:
            return None
        found: list[tuple[int, str, Export]] = []
        for top in EXPORT_ROOTS:
            for path in self.tree.list(top):
                if not path.endswith(".py"):
                    continue
                text = self.tree.read_text(path) or ""
                if f'"{wanted}"' not in text and f"'{wanted}'" not in text:
                    continue
                s = self.it.sources.summary(path)
                for e in s.exports if s else []:
                    v1 = e.v1 if e.v1 is not None else e.names
                    if v1_only:
                        rank = 0 if wanted in v1 else -1
                    else:
                        rank = 0 if wanted in e.names else (1 if wanted in v1 else -1)
                    if rank >= 0:
                        found.append((rank, path, e))
        if not found:
            return None
        found.sort(key=lambda t: t[0])
        _, path, e = found[0]
        s = self.it.sources.summary(path)
        assert s is not None
        val = self._walk(ModuleV(name=module_name_of(path), path=path), e.target.split("."))
        if val is None:
            return None
        line_text = self.it.sources.line_text
        hops = [Hop(s.package or "", path, e.line, line_text(path, e.line),
                    f"{'.'.join(parts)} is exported here by {e.api}")]
        d = self.definition(val)
        if d.location is not None:
            hops.append(Hop(d.location.package, d.location.path, d.location.line,
                            line_text(d.location.path, d.location.line),
                            f"{'.'.join(parts)} is defined here ({d.kind} {d.qualname})"))
        return PublicResolution("found", d, None, hops)


def to_definition(it: Interpreter, val: Value) -> Definition:
    package_of = it.tree.package_of
    if isinstance(val, ClassV):
        info = val.info
        loc = Location(package_of(val.path) or "", val.path, info.line, info.qualname)
        return Definition("class", val.module, info.qualname, loc, info)
    if isinstance(val, FunctionV) and val.info is not None:
        finfo: FunctionInfo = val.info
        loc = Location(package_of(val.src.path) or "", val.src.path, finfo.def_line,
                       finfo.qualname)
        return Definition("function", val.module, finfo.qualname, loc, finfo)
    if isinstance(val, ModuleV):
        mloc = None
        if val.path is not None:
            mloc = Location(package_of(val.path) or "", val.path, 1, val.name)
        return Definition("module", val.name, val.name, mloc, None)
    if isinstance(val, BuiltinClassV):
        return Definition("builtin", "builtins", val.name, None, None)
    if isinstance(val, Unknown):
        uloc = None
        if val.path:
            uloc = Location(package_of(val.path) or "", val.path, val.line, "")
        return Definition("unresolved", val.module or "", "", uloc, None, val.text)
    return Definition("value", "", "", None, None, val.describe())
