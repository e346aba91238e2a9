"""Across files: constructions that reach a TF/Keras layer through the user's own classes.

``MyCell(...)`` constructs ``tf.nn.rnn_cell.LSTMCell`` when ``MyCell`` (in any scanned module)
derives from it without defining ``__init__`` -- the arguments go to the first class of the
chain that defines one. ``super().__init__(...)`` in a class whose base is a user class without
``__init__`` likewise reaches that class's TF/Keras base. Only the first base that leads
somewhere is followed (single inheritance; a mixin without ``__init__`` before the layer base is
skipped), as Python's MRO would for those chains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tfinit_audit.usercode.model import FileScan, FoundCall, UserClass, is_tf_name


class ClassIndex:
    """The user classes of every scanned file, by qualified name (``pkg.mod.Class``), and the
    names modules re-export (``from .common import Dense`` in ``pkg/__init__.py``)."""

    def __init__(self, scans: Iterable[FileScan]) -> None:
        self.classes: dict[str, UserClass] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        for s in scans:
            for c in s.classes:
                self.classes.setdefault(c.qualname, c)
            self.aliases.setdefault(s.module, {}).update(s.aliases)

    def resolve(self, qualname: str) -> str:
        """Follow module-level aliases and re-exports: ``pkg.Dense`` -> ``pkg.common.Dense``
        -> ..., until a class, a TF/Keras name, or a name no scanned module binds. An alias
        may stand for a module and be followed by attributes: with ``tfv1 = tf.compat.v1`` in
        ``pkg/compat.py``, ``pkg.compat.tfv1.layers.Dense`` is
        ``tensorflow.compat.v1.layers.Dense``."""
        for _ in range(16):
            if is_tf_name(qualname) or qualname in self.classes:
                return qualname
            nxt = self._alias_prefix(qualname)
            if nxt is None or nxt == qualname:
                return qualname
            qualname = nxt
        return qualname

    def _alias_prefix(self, qualname: str) -> str | None:
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            target = self.aliases.get(".".join(parts[:i]), {}).get(parts[i])
            if target is not None:
                return ".".join([target, *parts[i + 1:]])
        return None

    def find(self, qualname: str) -> UserClass | None:
        return self.classes.get(self.resolve(qualname))

    def tf_base(self, bases: list[str], seen: frozenset[str] = frozenset()) -> str | None:
        """The TF/Keras class whose ``__init__`` receives a construction's arguments, following
        ``bases`` (user classes without ``__init__`` are passed through)."""
        for b in (self.resolve(x) for x in bases):
            if is_tf_name(b):
                return b
            c = self.classes.get(b)
            if c is None or b in seen:
                continue  # not a class of the scanned code: assumed not to define __init__
            if c.has_init:
                return None  # the user's __init__ takes the arguments
            found = self.tf_base(c.bases, seen | {b})
            if found is not None:
                return found
        return None

    def derived_from_tf(self) -> dict[str, str]:
        """Every user class that derives (at any depth) from a TF/Keras name -> that name."""
        out: dict[str, str] = {}
        for name in self.classes:
            base = self._any_tf_ancestor(name, frozenset())
            if base is not None:
                out[name] = base
        return out

    def _any_tf_ancestor(self, name: str, seen: frozenset[str]) -> str | None:
        c = self.classes.get(name)
        if c is None or name in seen:
            return None
        for b in (self.resolve(x) for x in c.bases):
            if is_tf_name(b):
                return b
            found = self._any_tf_ancestor(b, seen | {name})
            if found is not None:
                return found
        return None


def link(scans: list[FileScan]) -> list[FoundCall]:
    """The pending calls of every file that do construct a TF/Keras layer, as found calls."""
    index = ClassIndex(scans)
    out: list[FoundCall] = []
    for s in scans:
        for p in s.pending:
            resolved = index.resolve(p.target)
            if is_tf_name(resolved):  # a name another module binds to a TF/Keras name
                if p.kind == "super":
                    out.append(replace(p.call, qualname=resolved))
                else:
                    out.append(replace(p.call, qualname=resolved, via="alias",
                                       via_name=p.call.via_name or p.call.written))
                continue
            target = index.find(resolved)
            if p.kind == "construct":
                if target is None or target.has_init:
                    continue
                base = index.tf_base(target.bases)
                via = "subclass"
                name = target.qualname.rsplit(".", 1)[-1]
            else:  # super: the base named first in the class statement
                if target is None:
                    continue
                base = index.tf_base([target.qualname])
                via, name = "super", p.call.via_name
            if base is not None:
                out.append(replace(p.call, qualname=base, via=via, via_name=name))
    return out
