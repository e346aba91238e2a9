"""tfinit-audit: the initializer each TF/Keras weight really gets, per release, with evidence.

The Python API is six functions, the same code path as the ``tfinit-audit`` commands::

    import tfinit_audit

    report = tfinit_audit.audit(["1.8", "2.15"], symbols=["tf.nn.rnn_cell.LSTMCell"])
    report.versions[0].symbols[0].weights[0].initializer.kind   # 'glorot_uniform'
    report.to_json_dict()                                        # == report.json
    print(tfinit_audit.explain("tf.keras.layers.LSTM", version="2.15"))
    print(tfinit_audit.diff("1.8", "2.15"))
    tfinit_audit.verify(python="/path/to/python")                # a Report with .live runs
    tfinit_audit.port("tf.nn.rnn_cell.LSTMCell", "1.8", to="pytorch").code   # a runnable module
    tfinit_audit.scan("model/", from_version="1.15", to_version="2.15")  # your code

- ``audit(versions, *, symbols=None, ...) -> Report``: no live check unless ``live=True`` or
  ``python=`` is given;
- ``explain(symbol, version, ...) -> Explanation`` (``.symbol``, ``.release``, ``.text``);
- ``diff(*versions, ...) -> Diff`` (``.changes``, ``.report``, ``.text``);
- ``verify(python=None, ...) -> Report`` (``.live``: one run per interpreter);
- ``port(symbol, version, *, to, convert=False, ...) -> Port`` (``.code``: a module whose
  ``build(seed)`` returns the initialized PyTorch / Flax / Keras / NumPy object);
- ``scan(paths, *, from_version, to_version, pin=None, write=False, ...) -> ScanResult``
  (``.sites``: the layer calls in the user's code and what their defaults become).

Options mirror the CLI's, with its defaults, cache (``$TFINIT_AUDIT_CACHE``) and index
(``$PIP_INDEX_URL``). Every error raised is an ``AuditError`` (``UsageError`` for bad input,
``FetchError`` for the index or a download). The functions live in ``tfinit_audit.pipeline``
and are imported on first use, so ``import tfinit_audit`` stays light (``port`` imports no
framework: only the code it writes does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfinit_audit._version import __version__
from tfinit_audit.errors import AuditError, FetchError, UsageError

if TYPE_CHECKING:
    from tfinit_audit.pipeline import audit, diff, explain, port, scan, verify

__all__ = [
    "AuditError",
    "FetchError",
    "UsageError",
    "__version__",
    "audit",
    "diff",
    "explain",
    "port",
    "scan",
    "verify",
]

_API = ("audit", "diff", "explain", "port", "scan", "verify")


def __getattr__(name: str) -> Any:
    """The API functions, imported from ``pipeline`` on first use. ``port`` is the
    ``tfinit_audit.port`` package, which calls ``pipeline.port`` when called (a submodule import
    binds the package under that name, so the function cannot be bound there)."""
    if name in _API:
        from tfinit_audit import pipeline

        value = getattr(pipeline, name)
        if name == "port":
            import tfinit_audit.port as package  # the callable package

            value = package

        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
