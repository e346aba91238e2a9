"""A value written into a weight by the Keras backend's ``set_value`` while the layer is built."""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.arrays import ArrayV
from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Unknown, Value
from tfinit_audit.analysis.rules.values import Composite, InitV, TensorV

SETTERS = ("set_value", "batch_set_value")


class SetValueRule(Rule):
    """Keras 2 as shipped in TF 1.2/1.3 (``tf.contrib.keras`` ``layers/recurrent.py``
    ``LSTM.build``, ``convolutional_recurrent.py`` ``ConvLSTM2D.build``) creates the bias with
    ``add_weight(initializer=self.bias_initializer)`` and then, for ``unit_forget_bias``,
    builds ``bias_value = np.zeros(...)``, writes ones into the forget gate's slice and calls
    ``K.set_value(self.bias, bias_value)``: the backend's ``set_value(x, value)`` (and
    ``batch_set_value([(x, value), ...])``) runs ``x.assign`` in Keras' session, so the user
    gets that value, not the initializer's. A call of a module-level ``set_value`` /
    ``batch_set_value`` of a module named ``backend`` on a weight the layer created makes the
    value written the weight's initializer: a numpy array of known values (engine/arrays.py)
    of the weight's shape that is constant along every axis but the last is a ``constant``
    (``zeros``/``ones``) or, piecewise, a ``composite`` of them over column ranges; any other
    value, or a call under a condition the creation was not under, is ``unresolved`` with the
    expression -- never the initializer it replaced. The call itself is not followed (it
    only runs a session)."""

    name = "set-value"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if not (isinstance(f, FunctionV) and f.name in SETTERS and f.bound is None
                and f.owner is None and f.module.rsplit(".", 1)[-1] == "backend"):
            return None
        pairs = _pairs(site, f.name)
        if not pairs:
            return None
        for target, value, text in pairs:
            _overwrite(it, site, f.name, target.variable, value, text)
        return Const(value=None)


def _pairs(site: CallSite, fname: str) -> list[tuple[TensorV, Value, str]]:
    """(weight, value, the value as written) for each weight the call writes."""
    args, node = site.args, site.node
    if fname == "set_value":
        if len(args) != 2 or site.kwargs:
            return []
        pairs = [(args[0], args[1], ast.unparse(node.args[1]) if len(node.args) > 1 else "")]
    else:
        if len(args) != 1 or not isinstance(args[0], Seq):
            return []
        text = ast.unparse(node.args[0]) if node.args else ""
        pairs = [(p.items[0], p.items[1], text) for p in args[0].items
                 if isinstance(p, Seq) and len(p.items) == 2]
    return [(t, v, s) for t, v, s in pairs if isinstance(t, TensorV) and t.variable is not None]


def _overwrite(it: Any, site: CallSite, fname: str, c: Any, value: Value, text: str) -> None:
    """The captured weight ``c`` takes ``value`` as its initial value; under a condition the
    engine could not decide (an arm it follows speculatively) and the creation was not under,
    the value is not known."""
    frame, line = site.frame, site.node.lineno
    extra = [x for x in frame.conds if x not in c.conds] \
        if getattr(it, "speculating", 0) else []
    new = None if extra else array_initializer(value, c.shape)
    if new is None:
        why = f" only when {' and '.join(extra)}" if extra else ""
        new = Unknown(text=f"{ast.unparse(site.node)}{why}: value {text or value.describe()}",
                      path=frame.path or "", line=line)
        note = f"{fname} writes {text or 'a value'} into {c.name!r}{why}; the value is " \
               "not known"
    else:
        note = f"{fname} writes {text} into {c.name!r}: {describe(new)}"
    c.init_value = new
    c.fallback = False
    c.hops.append(frame.hop(line, note))


def array_initializer(value: Value, shape: list[int] | None) -> Value | None:
    """The initializer that gives ``value`` (a known numpy array of ``shape``): constant
    along every axis but the last, piecewise constant along the last. None otherwise."""
    if not isinstance(value, ArrayV) or value.data is None or shape is None \
            or list(value.data.shape) != list(shape) or not shape:
        return None
    data = value.data.reshape(-1, shape[-1])
    if (data != data[:1]).any():
        return None  # differs along another axis
    row = [float(x) for x in data[0]]
    runs: list[tuple[float, int, int]] = []
    for j, x in enumerate(row):
        if runs and runs[-1][0] == x:
            runs[-1] = (x, runs[-1][1], j + 1)
        else:
            runs.append((x, j, j + 1))
    parts: list[tuple[Value, int, int]] = [(_constant(x), a, b) for x, a, b in runs]
    if len(parts) == 1:
        return parts[0][0]
    return Composite(parts=parts)


def _constant(x: float) -> InitV:
    if x == 0:
        return InitV(kind="zeros")
    if x == 1:
        return InitV(kind="ones")
    return InitV(kind="constant", params={"value": x})


def describe(v: Value) -> str:
    if isinstance(v, Composite):
        return ", ".join(f"[{a}:{b}] {describe(p)}" for p, a, b in v.parts)
    return v.describe() if not isinstance(v, InitV) or v.params else v.kind
