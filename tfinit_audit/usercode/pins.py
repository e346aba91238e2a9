"""How to keep the pinned release's behaviour in the other one: the argument for each change.

A porting fact is pinned by passing the pinned release's value under the fact's name
(``reset_after=False``, ``recurrent_activation="hard_sigmoid"``, ``forget_bias=1.0``). A
weight's initializer is pinned through the parameter that decides it, spelt first as a string
identifier (``"glorot_uniform"``) -- kept only when the other release, analysed with it, gives
the pinned initializer -- else as the public initializer class with every parameter given
(``tf.keras.initializers.RandomUniform(minval=0.0, maxval=1.0)``), kept only when that class
exists in the other release and takes those arguments. Shapes, weights and runtime adjustments
have no parameter of their own: they are pinned when the pins above make them agree, which the
analysis of the other release with the pins checks.

The class names per canonical kind are the initializer vocabulary (DESIGN.md section 3) spelt
as TensorFlow and Keras name their public initializer classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.usercode.catalog import Catalog, Signature
from tfinit_audit.usercode.model import FileScan, Pin

# canonical kind -> (class name, the parameters that define it)
INIT_CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "glorot_uniform": ("GlorotUniform", ()),
    "glorot_normal": ("GlorotNormal", ()),
    "he_uniform": ("HeUniform", ()),
    "he_normal": ("HeNormal", ()),
    "lecun_uniform": ("LecunUniform", ()),
    "lecun_normal": ("LecunNormal", ()),
    "variance_scaling": ("VarianceScaling", ("scale", "mode", "distribution")),
    "orthogonal": ("Orthogonal", ("gain",)),
    "identity": ("Identity", ("gain",)),
    "zeros": ("Zeros", ()),
    "ones": ("Ones", ()),
    "constant": ("Constant", ("value",)),
    "random_uniform": ("RandomUniform", ("minval", "maxval")),
    "random_normal": ("RandomNormal", ("mean", "stddev")),
    "truncated_normal": ("TruncatedNormal", ("mean", "stddev")),
}
# Kinds whose lower-case name is also a string identifier of the Keras initializer tables.
STRING_KINDS = tuple(INIT_CLASSES)


@dataclass
class Candidate:
    """A pin to try: constructor parameter, the literal the analysis is given (None when the
    pin cannot be analysed, e.g. a spelled class), and the code written into the call."""

    param: str
    literal: Any
    code: str
    verified: str = "analysis"
    imports: tuple[str, ...] = ()
    attribution_only: bool = False  # the user already sets it: used to attribute, not written


def fact_candidate(param: str, value: Any) -> Candidate | None:
    """``reset_after=False``: the pinned release's fact value, when it is a literal."""
    if value is None or isinstance(value, bool | int | float | str):
        return Candidate(param, value, repr(value).replace("'", '"'))
    return None


def string_candidate(param: str, init: Initializer) -> Candidate | None:
    """``kernel_initializer="glorot_uniform"`` (checked by analysis before it is kept)."""
    if init.kind in STRING_KINDS:
        return Candidate(param, init.kind, f'"{init.kind}"')
    return None


def class_candidate(param: str, init: Initializer, scan: FileScan | None, symbol: str,
                    catalogs: list[Catalog]) -> tuple[Candidate | None, str | None]:
    """The initializer spelt as its public class, with every defining parameter; or why not."""
    spec = INIT_CLASSES.get(init.kind)
    if spec is None:
        return None, f"no public initializer class spells {init.kind}"
    cls, names = spec
    args = []
    for n in names:
        if n not in init.params:
            return None, f"the pinned {init.kind} has no value for {n}"
        args.append(f"{n}={_lit(init.params[n])}")
    for public, code_root, imports in _roots(symbol, scan):
        name = f"{public}.initializers.{cls}"
        problem = _missing(name, [n for n in names], catalogs)
        if problem is None:
            return Candidate(param, None, f"{code_root}.initializers.{cls}({', '.join(args)})",
                             "signature", imports), None
    return None, problem or f"no release has {cls}"


def _missing(name: str, params: list[str], catalogs: list[Catalog]) -> str | None:
    """None when ``name`` is a class in every release whose constructor takes ``params``."""
    for cat in catalogs:
        e = cat.entry(name)
        if e.status != "found":
            return f"{cat.tree.release} has no {name}: {e.message}"
        sig: Signature = e.signature
        lacking = [p for p in params if p not in sig.accepts and not sig.varkw]
        if lacking:
            return f"{name} in {cat.tree.release} takes no {', '.join(lacking)}"
    return None


def _roots(symbol: str, scan: FileScan | None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(public prefix, how the file spells it, imports to add) for the initializers module of
    the package the call's symbol comes from."""
    pkg = symbol.split(".", 1)[0]
    imports = scan.imports if scan is not None else {}
    bound = set(scan.bound) if scan is not None else set()
    if pkg in ("keras", "tf_keras"):
        alias = next((k for k, v in imports.items() if v == pkg), None)
        if alias is not None:
            return [(pkg, alias, ())]
        return [(pkg, pkg, (f"import {pkg}",))] if pkg not in bound else []
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for alias, module in sorted(imports.items()):
        if module == "tensorflow":
            out.append(("tf.keras", f"{alias}.keras", ()))
    for alias, module in sorted(imports.items()):
        if module == "tensorflow.compat.v1":
            out.append(("tf.compat.v1.keras", f"{alias}.keras", ()))
    if not out:
        if "tf" not in bound:
            out.append(("tf.keras", "tf.keras", ("import tensorflow as tf",)))
        elif "tensorflow" not in bound:
            out.append(("tf.keras", "tensorflow.keras", ("import tensorflow",)))
    return out


def to_pin(c: Candidate, call_param: str) -> Pin:
    return Pin(call_param, c.code, c.verified, list(c.imports))


def _lit(v: Any) -> str:
    if isinstance(v, float) and v == int(v):
        return f"{v:.1f}"
    return repr(v).replace("'", '"')
