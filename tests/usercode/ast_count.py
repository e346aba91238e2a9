"""An independent count of TF/Keras constructions, written apart from ``tfinit_audit.usercode``
and on another parser (CPython's ``ast``, not libcst), for checking the scanner on real code.

Per module it reads the imports (any style, relative ones included) and every ``NAME = dotted``
assignment of a TF/Keras name (flow-insensitive: a name assigned two different things is
dropped); a call's dotted callee is resolved through them. ``functools.partial(X, ...)`` bound
to a name counts where that name is called. Classes are indexed across modules by
``module.Class``: ``super().__init__`` / ``super(C, self).__init__`` / ``Base.__init__(self)``
in a class counts for the first base that leads to a TF/Keras class, and constructing a class
without ``__init__`` counts for the TF/Keras class its bases lead to.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOTS = ("tensorflow", "keras", "tf_keras")


def public(name: str) -> str:
    return "tf" + name[len("tensorflow"):] if name.split(".")[0] == "tensorflow" else name


@dataclass
class Module:
    name: str
    tree: ast.Module
    is_pkg: bool
    names: dict[str, str] = field(default_factory=dict)  # local -> qualified
    partials: set[str] = field(default_factory=set)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def absolute(mod: Module, level: int, name: str | None) -> str:
    if not level:
        return name or ""
    base = mod.name.split(".")
    keep = len(base) - level + (1 if mod.is_pkg else 0)
    return ".".join([*base[:keep], *([name] if name else [])])


def read_bindings(mod: Module) -> None:
    """Bindings of the module; one made in an ``except`` handler only counts for a name
    nothing outside a handler binds (the handler runs when its ``try`` failed)."""
    handled = {id(n) for h in ast.walk(mod.tree) if isinstance(h, ast.ExceptHandler)
               for n in ast.walk(h)}
    usual = Module(mod.name, mod.tree, mod.is_pkg)
    _bindings(usual, lambda n: id(n) not in handled)
    _bindings(mod, lambda n: id(n) in handled)
    mod.names.update(usual.names)
    mod.partials |= usual.partials


def _bindings(mod: Module, keep) -> None:  # type: ignore[no-untyped-def]
    assigned: dict[str, set[str]] = {}
    for node in ast.walk(mod.tree):
        if not keep(node):
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    mod.names[a.asname] = a.name
                else:
                    head = a.name.split(".")[0]
                    mod.names.setdefault(head, head)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(mod, node.level, node.module)
            for a in node.names:
                if a.name != "*":
                    mod.names[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
    for node in ast.walk(mod.tree):
        if keep(node) and isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and resolve(mod, dotted(value.func)) \
                    == "functools.partial":
                mod.partials.add(node.targets[0].id)
                value = value.args[0] if value.args else value
            target = resolve(mod, dotted(value))
            if target:
                assigned.setdefault(node.targets[0].id, set()).add(target)
    for name, targets in assigned.items():
        if len(targets) == 1:
            mod.names[name] = targets.pop()
        else:
            mod.names.pop(name, None)


def resolve(mod: Module, name: str | None) -> str | None:
    if not name:
        return None
    head, _, rest = name.partition(".")
    q = mod.names.get(head)
    if q is None:
        return None
    return f"{q}.{rest}" if rest else q


def count(root: Path, top: str) -> Counter[str]:
    """Constructions per public name in package directory ``root / top``."""
    mods: dict[str, Module] = {}
    for path in sorted((root / top).rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        m = Module(module_name(path, root), tree, path.name == "__init__.py")
        mods[m.name] = m
    for m in mods.values():
        read_bindings(m)
    classes: dict[str, tuple[list[str], bool]] = {}
    for m in mods.values():
        for node in m.tree.body:
            if isinstance(node, ast.ClassDef):
                m.names.setdefault(node.name, f"{m.name}.{node.name}")
        for node in m.tree.body:
            if isinstance(node, ast.ClassDef):
                bases = [resolve(m, dotted(b)) or "?" for b in node.bases]
                has_init = any(isinstance(s, ast.FunctionDef) and s.name == "__init__"
                               for s in node.body)
                classes[f"{m.name}.{node.name}"] = (bases, has_init)

    def follow(name: str) -> str:
        for _ in range(10):  # re-exports: pkg.Name -> what pkg/__init__ binds; pkg.alias.x.y
            parts = name.split(".")
            nxt = None
            for i in range(len(parts) - 1, 0, -1):
                mod = mods.get(".".join(parts[:i]))
                if mod is not None and parts[i] in mod.names:
                    nxt = ".".join([mod.names[parts[i]], *parts[i + 1:]])
                    break
            if nxt is None or nxt == name:
                return name
            name = nxt
        return name

    def tf_base(bases: list[str], seen: frozenset[str] = frozenset()) -> str | None:
        for b in (follow(x) for x in bases):
            if b.split(".")[0] in ROOTS:
                return b
            if b in classes and b not in seen:
                sub, has_init = classes[b]
                if has_init:
                    return None
                found = tf_base(sub, seen | {b})
                if found:
                    return found
        return None

    out: Counter[str] = Counter()
    for m in mods.values():
        for node, cls in _calls_with_class(m.tree):
            name = _callee(m, node, cls, classes, follow, tf_base)
            if name:
                out[public(name)] += 1
    return out


def _callee(m, node, cls, classes, follow, tf_base):  # type: ignore[no-untyped-def]
    f = node.func
    if isinstance(f, ast.Attribute) and f.attr == "__init__" and cls is not None:
        own = f"{m.name}.{cls.name}"
        if isinstance(f.value, ast.Call) and dotted(f.value.func) == "super":
            return tf_base(classes[own][0]) if own in classes else None
        base = resolve(m, dotted(f.value))
        return tf_base([base]) if base else None
    name = resolve(m, dotted(f))
    if name is None and isinstance(f, ast.Call) and f.args \
            and resolve(m, dotted(f.func)) == "functools.partial":  # partial(X, ...)(...)
        name = resolve(m, dotted(f.args[0]))
    if name is None:
        return None
    name = follow(name)
    if name.split(".")[0] in ROOTS:
        return name
    if name in classes and not classes[name][1]:
        return tf_base(classes[name][0])
    return None


def _calls_with_class(tree: ast.Module):  # type: ignore[no-untyped-def]
    """Every call with the class whose method (directly) contains it, if any."""
    stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(tree, None)]
    while stack:
        node, cls = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = cls
            if isinstance(child, ast.ClassDef):
                inner = child
            if isinstance(child, ast.Call):
                yield child, cls
            stack.append((child, inner))
