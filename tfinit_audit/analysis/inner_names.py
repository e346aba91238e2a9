"""Where the name of a wrapper's inner layer or cell leads (analysis/layers.py): a full name
(``tf.keras.layers.GRU``) as it is; a relative one (``LSTMCell``) in the wrapper's own
namespace, else in the first of the table's ``elsewhere`` namespaces that has it (TF 2.x
``tf.nn.RNNCellDropoutWrapper``: ``tf.nn`` has no ``LSTMCell``, ``tf.keras.layers`` has),
with a note saying so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis.engine.values import ClassV

FULL = ("tf", "tensorflow", "keras", "tf_keras")


def lookup(ref: str, namespace: str, elsewhere: tuple[str, ...],
           resolve: Callable[[str], ClassV | str]) -> tuple[ClassV, Any, str | None] | str:
    """(class, its parsed symbol spec, the note when found elsewhere), or why not (one
    line, for the name looked up in the wrapper's namespace)."""
    from tfinit_audit.analysis.symbols import parse_symbol  # noqa: PLC0415 - no cycle

    rel = ref.split("[", 1)[0]
    absolute = rel.split(".")[0] in FULL
    first: tuple[str, str] | None = None
    for ns in [namespace, *(() if absolute else elsewhere)]:
        try:
            spec = parse_symbol(ref if absolute else f"{ns}.{ref}")
        except Exception as exc:  # noqa: BLE001 - a UsageError: one line
            return f"{ref}: {exc}"
        found = resolve(spec.name)
        if not isinstance(found, str):
            note = None if first is None else \
                f"{namespace} has no {rel} ({first[1]}); {spec.name} instead"
            return found, spec, note
        first = first or (spec.name, found)
    assert first is not None
    return f"{first[0]}: {first[1]}"
