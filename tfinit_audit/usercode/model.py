"""What ``scan`` finds in the user's code and what it reports, as plain dataclasses.

The finder (``find.py``) produces ``FoundCall`` records per file; the comparison
(``compare.py``) turns each into a ``CallSite`` with the changes between two releases and the
pins that keep one release's behaviour; ``ScanResult.to_json_dict()`` is the ``scan --format
json`` document (docs/scan-json.md, docs/scan.schema.json). Nothing here imports the report
stage, so the report model can carry a scan for its HTML "Your code" section.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCAN_SCHEMA_VERSION = 1


@dataclass
class Arg:
    """One argument of a call as written: ``keyword`` (None when positional), its source text,
    and its value when the text is a Python literal."""

    text: str
    keyword: str | None = None
    literal: bool = False
    value: Any = None
    star: str = ""  # "" | "*" | "**" (an unpacked sequence or mapping)


@dataclass
class FoundCall:
    """One construction of a TensorFlow/Keras name in the user's code.

    ``qualname`` is the dotted name the callee refers to through the file's imports
    (``tensorflow.keras.layers.GRU``); ``via`` says how the call reaches it: ``call`` (written
    directly), ``alias`` (a name bound to it in the module), ``partial`` (``functools.partial``),
    ``super`` (``super().__init__`` or ``Base.__init__(self, ...)`` in a user subclass),
    ``subclass`` (a user subclass without its own ``__init__`` is constructed).
    ``call_index`` counts the file's call expressions in source order (libcst's visiting order);
    ``pin_index`` is the call whose arguments a pin extends (the ``partial(...)`` call for a
    partial, else the call itself).
    """

    path: str
    line: int
    column: int  # 1-based
    qualname: str
    written: str  # the callee as written, e.g. "rnn.LSTMCell"
    code: str  # the call on one line, shortened
    args: list[Arg] = field(default_factory=list)
    via: str = "call"
    via_name: str = ""  # the alias, partial or user class the call goes through
    call_index: int = 0
    pin_index: int = 0
    cell: int | None = None  # notebooks: 1-based index among the code cells
    ignored: bool = False  # "# tfinit-audit: ignore" on the call's first line

    @property
    def symbol(self) -> str:
        """The public name: ``tensorflow.x`` -> ``tf.x``; ``keras.x`` and ``tf_keras.x`` kept."""
        return public_name(self.qualname)

    @property
    def where(self) -> str:
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"


def public_name(qualname: str) -> str:
    head, _, rest = qualname.partition(".")
    if head == "tensorflow":
        return "tf" + (f".{rest}" if rest else "")
    return qualname


TF_ROOTS = ("tensorflow", "keras", "tf_keras")


def is_tf_name(qualname: str) -> bool:
    return qualname.split(".", 1)[0] in TF_ROOTS


@dataclass
class UserClass:
    """A class defined in the user's code: its bases as qualified names (user classes of the same
    module as ``module.Name``), and whether it defines its own ``__init__``."""

    qualname: str  # module.Class
    bases: list[str]
    has_init: bool
    path: str
    line: int


@dataclass
class PendingCall:
    """A call that constructs a TF/Keras layer only through a user class, decided once every
    file is read (``link.py``): ``kind`` "construct" (``MyCell(...)``) or "super"
    (``super().__init__(...)`` in ``cls``, whose first base is ``target``)."""

    kind: str
    target: str  # the user class constructed, or the base named by super()
    call: FoundCall


@dataclass
class FileScan:
    """Everything one file contributes; cached by the file's content hash."""

    path: str
    module: str  # dotted module name ("pkg.sub.mod"; a notebook's stem)
    calls: list[FoundCall] = field(default_factory=list)
    classes: list[UserClass] = field(default_factory=list)
    pending: list[PendingCall] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # module-level name -> qualified
    imports: dict[str, str] = field(default_factory=dict)  # import x.y as z -> {"z": "x.y"}
    bound: list[str] = field(default_factory=list)  # every module-level name
    error: str | None = None  # the one line saying why the file was skipped
    lines: int = 0


# --------------------------------------------------------------------------------------------
# The comparison of two releases, per call site
# --------------------------------------------------------------------------------------------
@dataclass
class Pin:
    """An argument that keeps the pinned release's behaviour: ``param=code``; ``verified`` says
    how it was checked: "analysis" (the other release, analysed with it, gives the pinned
    release's answer) or "signature" (the spelled initializer class exists in the other
    release and takes these arguments)."""

    param: str
    code: str
    verified: str
    imports: list[str] = field(default_factory=list)  # e.g. ["import tensorflow as tf"]


@dataclass
class SiteChange:
    """One difference, between the two releases, that the call leaves to a default.

    ``kind``: initializer | shape | weights | adjustment | facts; ``subject`` is the weight or
    the fact; ``param`` the constructor argument that decides it (None when no argument does);
    ``pin`` the argument that keeps the pinned release's behaviour, or ``reason`` why none can.
    """

    kind: str
    subject: str
    before: str
    after: str
    param: str | None = None
    pin: Pin | None = None
    reason: str | None = None


@dataclass
class ReleaseView:
    """The call's symbol in one release: what the analysis said and which name it used."""

    release: str
    status: str  # resolved | partial | absent | unavailable | unresolved
    message: str | None = None
    name_status: str = "found"  # the name as written: found | absent | unavailable | unresolved
    name_message: str | None = None
    analysed_as: str | None = None  # the spec analysed (with the call's literal arguments)
    row: str | None = None  # the report row of that analysis (HTML links)
    defined_in: str | None = None  # "package:path:line"


@dataclass
class CallSite:
    """A found call with what changes for it between ``--from`` and ``--to``."""

    call: FoundCall
    kind: str  # layer | variable | layer_function
    releases: list[ReleaseView] = field(default_factory=list)
    changes: list[SiteChange] = field(default_factory=list)
    unavailable_in: list[str] = field(default_factory=list)
    set_by_user: list[str] = field(default_factory=list)  # parameters the call gives
    notes: list[str] = field(default_factory=list)

    @property
    def relies_on_defaults(self) -> bool:
        return bool(self.changes) and not self.call.ignored

    @property
    def unpinnable(self) -> list[SiteChange]:
        return [c for c in self.changes if c.pin is None]


@dataclass
class PinnedFile:
    """What ``--pin`` did (or, with ``--diff``, would do) to one file."""

    path: str
    diff: str  # unified diff, empty when nothing changes
    pinned: int  # call sites given new arguments
    written: bool
    imports: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    """What ``scan`` returns: every call site, the releases compared, and what pinning did."""

    paths: list[str]
    from_release: str
    to_release: str
    sites: list[CallSite] = field(default_factory=list)
    files: list[FileScan] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    pin_release: str | None = None
    pinned: list[PinnedFile] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)  # names neither release has
    seconds: float = 0.0
    report: Any = field(default=None, repr=False)  # report.model.Report of the two releases

    @property
    def relying(self) -> list[CallSite]:
        return [s for s in self.sites if s.relies_on_defaults]

    @property
    def unavailable(self) -> list[CallSite]:
        return [s for s in self.sites if s.unavailable_in]

    @property
    def summary(self) -> dict[str, int]:
        return {
            "files": len({f.path for f in self.files if f.error is None}),
            "call_sites": len(self.sites),
            "relying_on_changed_defaults": len(self.relying),
            "unavailable": len(self.unavailable),
            "unpinnable": sum(1 for s in self.relying if s.unpinnable),
            "ignored": sum(1 for s in self.sites if s.call.ignored and s.changes),
            "skipped_files": len(self.skipped),
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The ``scan --format json`` document (docs/scan-json.md)."""
        return {
            "schema_version": SCAN_SCHEMA_VERSION,
            "from": self.from_release,
            "to": self.to_release,
            "pin": self.pin_release,
            "paths": list(self.paths),
            "summary": self.summary,
            "call_sites": [_site_json(s) for s in self.sites],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "pinned": [asdict(p) for p in self.pinned],
            "unknown_names": dict(sorted(self.unknown.items())),
            "seconds": round(self.seconds, 3),
        }


def _site_json(s: CallSite) -> dict[str, Any]:
    c = s.call
    return {
        "path": c.path,
        "line": c.line,
        "column": c.column,
        "cell": c.cell,
        "symbol": c.symbol,
        "qualname": c.qualname,
        "written": c.written,
        "code": c.code,
        "via": c.via,
        "via_name": c.via_name or None,
        "kind": s.kind,
        "arguments": [
            {"keyword": a.keyword, "text": a.text, "literal": a.literal,
             "value": _jsonable(a.value) if a.literal else None, "star": a.star or None}
            for a in c.args
        ],
        "set_by_user": list(s.set_by_user),
        "releases": [asdict(r) for r in s.releases],
        "changes": [_change_json(ch) for ch in s.changes],
        "unavailable_in": list(s.unavailable_in),
        "ignored": c.ignored,
        "notes": list(s.notes),
    }


def _change_json(ch: SiteChange) -> dict[str, Any]:
    return {
        "kind": ch.kind, "subject": ch.subject, "before": ch.before, "after": ch.after,
        "param": ch.param, "pin": asdict(ch.pin) if ch.pin else None, "reason": ch.reason,
    }


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else repr(v)
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return repr(v)
