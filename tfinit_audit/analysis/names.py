"""Public name -> defining class, as Python would resolve it at import time.

The resolver reads module summaries (analysis/summaries.py) lazily: a module's namespace is its
ordered binding events; an attribute is the last binding of that name (a star import provides
the names its module exports, respecting ``__all__``), else a submodule. Values are computed on
demand, so resolving ``tf.nn.rnn_cell.LSTMCell`` touches only the modules on that path.

Import-time code that is not a plain binding -- ``setattr(_current_module, ...)``,
``_current_module.nn.rnn_cell = Loader(...)``, ``sys.modules`` aliasing in a package shim,
a package extending its own ``__path__`` (TF 2.0's ``tensorflow_core.keras``), lazy-loader
classes -- is run by a small interpreter over the release's own source
(analysis/names_interp.py). The only assumptions are generic Python semantics and a default
environment (no environment variables set, ``typing.TYPE_CHECKING`` false).
``Resolver.mro`` gives a class's C3 linearization across modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfinit_audit.analysis.model import Hop, Location
from tfinit_audit.analysis.names_interp import (
    BuiltinClass,
    ClassVal,
    FuncVal,
    Interpreter,
    Missing,
    ModVal,
    Opaque,
    RaiseSignal,
    Value,
)
from tfinit_audit.analysis.names_interp import _Unknown as Unknown
from tfinit_audit.analysis.summaries import (
    ClassInfo,
    Export,
    FunctionInfo,
    ModuleSummary,
    ParseCache,
    module_name_of,
)
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
    """Resolves names in one release tree; memoizes per instance, summaries cached on disk."""

    def __init__(
        self, tree: SourceTree, cache_dir: Path | None = None, asts: ParseCache | None = None
    ) -> None:
        self.tree = tree
        self.cache_dir = cache_dir
        self.interp = Interpreter(tree, cache_dir, asts)

    # ------------------------------------------------------------------ modules
    def module(self, dotted: str) -> ModuleSummary | None:
        """Summary of the module Python would import as ``dotted`` (sys.modules aliases kept)."""
        mod = self.interp.import_module(dotted, quiet=True)
        if not isinstance(mod, ModVal) or mod.path is None:
            return None
        return self.interp.summary(mod.path)

    def module_path(self, dotted: str) -> str | None:
        mod = self.interp.import_module(dotted, quiet=True)
        return mod.path if isinstance(mod, ModVal) else None

    # ------------------------------------------------------------------ names
    def resolve(self, module: str, dotted_name: str) -> Definition | None:
        """``dotted_name`` as seen in ``module``'s namespace (follows imports, aliases...)."""
        mod = self.interp.import_module(module, quiet=True)
        if not isinstance(mod, ModVal):
            return None
        parts = dotted_name.split(".")
        try:
            with self.interp.quiet():
                val = self.interp.lookup_global(mod, parts[0])
                for p in parts[1:]:
                    if isinstance(val, Missing):
                        break
                    val = self.interp.getattr(val, p)
        except RaiseSignal:
            return None
        if isinstance(val, Missing):
            return None
        return self.definition(val)

    def mro(self, definition: Definition) -> list[Definition]:
        """``cls.__mro__`` of a class Definition: Python's C3 linearization, each base
        resolved in the module that defines its subclass (imports, aliases, lazy loaders).

        Entries: kind "class" (with ClassInfo), "builtin" (``object``, ``types.ModuleType``:
        module "builtins", no location) or "unresolved" (a base that cannot be followed;
        ``expr`` is the base as written, location the ``class`` line that names it; its own
        ancestry is unknown). When no consistent order exists -- Python raises TypeError
        creating the class -- the result is ``[cls, unresolved]`` with that message.
        """
        if definition.kind != "class" or not isinstance(definition.info, ClassInfo) \
                or definition.location is None:
            raise ValueError(f"not a class definition: {definition.kind} {definition.qualname}")
        cls = ClassVal(definition.module, definition.location.path, definition.info)
        order = self.interp.c3_mro(cls)
        if order is None:
            return [definition, Definition(
                "unresolved", definition.module, "", definition.location, None,
                "TypeError: Cannot create a consistent method resolution order (MRO)")]
        return [definition, *(self.definition(c) for c in order[1:])]

    def definition(self, val: Value) -> Definition:
        """A Definition for an interpreter value."""
        return to_definition(self.interp, val)

    def resolve_public(self, public_name: str) -> PublicResolution:
        """``tf.nn.rnn_cell.LSTMCell`` -> found / absent / unavailable, with the hops taken."""
        parts = public_name.split(".")
        root = ROOTS.get(parts[0], parts[0])
        interp = self.interp
        hops: list[Hop] = []
        interp.begin_trace(hops)
        try:
            val: Value = interp.import_module(root)
            if isinstance(val, Missing):
                return PublicResolution(
                    "absent", None, f"the tree has no package {root!r}", hops
                )
            walked = [parts[0]]
            for p in parts[1:]:
                nxt = interp.getattr(val, p)
                if isinstance(nxt, Missing):
                    if isinstance(val, ModVal | ClassVal):
                        fb = self._export_fallback(root, parts)
                        if fb is not None:
                            return fb
                    return PublicResolution(
                        "absent",
                        None,
                        f"{'.'.join(walked)} has no attribute {p!r}",
                        hops,
                    )
                walked.append(p)
                val = nxt
        except RaiseSignal as sig:
            return PublicResolution("unavailable", None, sig.message_line(), hops)
        except (Unknown, RecursionError) as exc:
            return PublicResolution(
                "unresolved", None, f"cannot follow {public_name}: {exc}", hops
            )
        finally:
            interp.end_trace()
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
                    interp.line_text(d.location.path, d.location.line),
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
                s = self.interp.summary(path)
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
        s = self.interp.summary(path)
        assert s is not None
        first = e.target.split(".")[0]
        mod = ModVal(module_name_of(path), path)
        with self.interp.quiet():
            val = self.interp.lookup_global(mod, first)
            for p in e.target.split(".")[1:]:
                val = self.interp.getattr(val, p)
        if isinstance(val, Missing):
            return None
        hops = [Hop(s.package or "", path, e.line, self.interp.line_text(path, e.line),
                    f"{'.'.join(parts)} is exported here by {e.api}")]
        d = self.definition(val)
        if d.location is not None:
            hops.append(Hop(d.location.package, d.location.path, d.location.line,
                            self.interp.line_text(d.location.path, d.location.line),
                            f"{'.'.join(parts)} is defined here ({d.kind} {d.qualname})"))
        return PublicResolution("found", d, None, hops)


def to_definition(interp: Interpreter, val: Value) -> Definition:
    if isinstance(val, ClassVal):
        s = interp.summary(val.path)
        info = val.info
        return Definition(
            "class",
            val.module,
            info.qualname,
            Location(s.package or "" if s else "", val.path, info.line, info.qualname),
            info,
        )
    if isinstance(val, FuncVal) and val.path is not None:
        s = interp.summary(val.path)
        finfo = val.info
        return Definition(
            "function",
            val.module,
            finfo.qualname,
            Location(s.package or "" if s else "", val.path, finfo.def_line, finfo.qualname),
            finfo,
        )
    if isinstance(val, ModVal):
        loc = None
        if val.path is not None:
            loc = Location(interp.tree.package_of(val.path) or "", val.path, 1, val.name)
        return Definition("module", val.name, val.name, loc, None)
    if isinstance(val, BuiltinClass):
        return Definition("builtin", "builtins", val.name, None, None)
    if isinstance(val, Opaque):
        loc = None
        if val.path:
            loc = Location(interp.tree.package_of(val.path) or "", val.path, val.line, "")
        return Definition("unresolved", val.module or "", "", loc, None, val.expr)
    return Definition("value", "", "", None, None, repr(val))
