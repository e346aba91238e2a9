"""An input TensorFlow refuses: a tensor op of the build whose two static shapes cannot
broadcast.

TF 1.x ``tf.contrib.rnn.HighwayWrapper`` adds its cell's input to the cell's output in
``_highway``: ``return inp * carry + out * transform``, where ``out`` is the wrapped cell's
output (``[batch, num_units]``) and ``transform`` has the input's width. With the table's input
(``features`` 32) and cell (``num_units`` 64) TensorFlow's shape inference raises ``ValueError:
Dimensions must be equal, but are 64 and 32`` when the graph is built: no layer exists, so
no weight list may be reported for that construction. The tensor rule refuses such a broadcast
(rules/tensors.py ``_broadcast``: ``Refused``), the engine records the refusal with its
operands and ends the path there as a ``raise`` does (engine/expressions.py
``python_raises``); a ``try`` whose handler catches ``ValueError`` forgets it.

What the symbol is then built on (analysis/layers.py ``analyze_class``):

- when the input's feature size is the table's and the refused axis is the input's last one,
  one operand having the input's size there and the other a size of its own (the refusal says
  which size the input must have), the layer is built again on an input of that size; if
  nothing is refused then, that is the answer, and its ``input_note`` says why the input is
  not the table's (the refusal, with its expression and line);
- otherwise the symbol is ``needs-args``: ``features`` when the input's size is one of the two
  (give ``--input-dim``), with the refusal as the reason; no weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.rules.values import TensorV

if TYPE_CHECKING:
    from tfinit_audit.analysis.engine.frames import Refusal
    from tfinit_audit.analysis.model import SymbolResult

FEATURES = "features"  # the table's entry of the input's last axis (--input-dim)


def shape_refusal(refusals: Iterable[Refusal]) -> Refusal | None:
    """The first refusal of a tensor op on tensors (TensorFlow's, not Python's): its shape
    inference's ``ValueError``, or a kernel's ``InvalidArgumentError`` (a slice past the
    input's width, rules/tensors.py ``_slice``)."""
    return next((r for r in refusals if len(r.operands) == 2
                 and any(isinstance(v, TensorV) for v in r.operands)
                 and r.what.startswith(("ValueError", "InvalidArgumentError"))), None)


def wanted_features(r: Refusal, features: int) -> int | None:
    """The size the input's last axis must have for ``r`` not to happen: the other
    operand's size on the last axis, when one operand has ``features`` there and the other a
    size of its own (not 1: that would broadcast); None when the refusal is not about the
    input's width."""
    lasts = [v.shape[-1] if isinstance(v, TensorV) and v.shape else None for v in r.operands]
    if len(lasts) != 2 or features not in lasts:
        return None
    other = lasts[1] if lasts[0] == features else lasts[0]
    return other if isinstance(other, int) and other not in (1, features) else None


def describe(r: Refusal) -> str:
    """The refusal as the reports say it: the expression, where, what TensorFlow raises."""
    return f"`{r.expression}` ({r.path}:{r.line}) raises {r.what}"


def derived_note(r: Refusal, dims: Dims) -> str:
    """``input_note``'s reason for the input of ``dims`` instead of the table's."""
    features = table_features()
    return (f"input of {dims.arguments[FEATURES]} features, not the table's {features}: "
            f"with {features}, {describe(r)}")


def table_features() -> int:
    """The table's own input width (``--input-dim`` not given)."""
    return int(Dims().arguments[FEATURES])


def refused_input(dims: Dims, result: SymbolResult, refusal: Refusal | None,
                  derived: Refusal | None, from_table: bool,
                  rebuild: Callable[[Dims, Refusal], None]) -> bool:
    """TensorFlow refuses the input the symbol was built on (``refusal``; ``derived``: the
    refusal of a first build, this build is on the input it asked for). The table's input
    (``from_table``) refused for its width: the symbol is built again on the width the
    refusal asks for (``rebuild(dims, refusal)``, which answers ``result``). Refused
    otherwise, or again: ``needs-args`` (``features``, when the refusal is about the
    input's width) or ``unavailable``, with the refusal as the reason and no weights.
    False: nothing refused, the build stands."""
    if refusal is None:
        return False
    features = table_features() if derived is not None else int(dims.arguments[FEATURES])
    first = derived or refusal
    wanted = wanted_features(first, features)
    if derived is None and wanted is not None and from_table:
        rebuild(dataclasses.replace(dims, input_dim=wanted), refusal)
        return True
    result.weights = []
    result.input_shape = None
    result.status = "needs-args" if wanted is not None else "unavailable"
    result.missing_arguments = [FEATURES] if wanted is not None else []
    result.message = refused_message(first, features, wanted if derived is None else None) + (
        f"; with {wanted} features too: {describe(refusal)}" if derived is not None else "")
    return True


def refused_message(r: Refusal, features: int, wanted: int | None) -> str:
    """The ``needs-args`` message of an input TensorFlow refuses."""
    fix = (f"; give an input of {wanted} features (--input-dim {wanted}, or --dim "
           f"{FEATURES}={wanted})" if wanted is not None else "")
    return (f"TensorFlow refuses the input of {features} features: {describe(r)}"
            f"{fix}; no weight list for a construction that raises")
