"""The comparison on a fake pair of releases (no network): binding, what counts as left to a
default, cumulative pins and the attribution of a shape to the pin that fixes it, reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.engine.summaries import Param
from tfinit_audit.analysis.model import Hop, Initializer, SymbolResult, Weight
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.usercode.bind import bind, literal_args
from tfinit_audit.usercode.catalog import Entry, Signature
from tfinit_audit.usercode.compare import Comparison, compat_twin
from tfinit_audit.usercode.diffs import governing
from tfinit_audit.usercode.model import Arg, FoundCall


def sig(*names: str, defaults: dict[str, str] | None = None, varkw: bool = False) -> Signature:
    d = defaults or {}
    return Signature([Param(n, d.get(n), "pos") for n in names], set(names), dict(d), varkw)


GRU_SIG = sig("units", "activation", "recurrent_activation", "kernel_initializer",
              "reset_after", "name",
              defaults={"activation": "'tanh'", "kernel_initializer": "'glorot_uniform'",
                        "recurrent_activation": "'x'", "reset_after": "True", "name": "None"})


@dataclass
class FakeTree:
    release: str


@dataclass
class FakeCatalog:
    release: str
    entries: dict[str, Entry] = field(default_factory=dict)

    @property
    def tree(self) -> FakeTree:
        return FakeTree(self.release)

    def entry(self, name: str) -> Entry:
        return self.entries.get(name) or Entry(name, "absent", f"no {name}")


def gru_entry(name: str = "tf.keras.layers.GRU") -> Entry:
    return Entry(name, "found", kind="layer", signature=GRU_SIG, analyse_as=name,
                 inits=[("gru.py", 10, 30)])


def fake_gru(release: int, kwargs: dict[str, Any]) -> SymbolResult:
    """Release 0 defaults: reset_after False, hard_sigmoid; release 1: True, sigmoid."""
    reset = kwargs.get("reset_after", release == 1)
    ract = kwargs.get("recurrent_activation", "sigmoid" if release else "hard_sigmoid")
    kernel = Initializer("glorot_uniform" if release == 0 else "orthogonal")
    if "kernel_initializer" in kwargs:
        kernel = Initializer(kwargs["kernel_initializer"])
    units = kwargs.get("units", 64)
    weights = [
        Weight("kernel", [32, 3 * units], "", kernel, False,
               [Hop("keras", "gru.py", 12, "kernel_initializer='glorot_uniform',",
                    "default kernel_initializer='glorot_uniform'")]),
        Weight("bias", [2, 3 * units] if reset else [3 * units], "", Initializer("zeros"),
               False),
    ]
    facts = {"gate_order": {"value": ["z", "r", "h"]}, "reset_after": {"value": reset},
             "recurrent_activation": {"value": ract}}
    return SymbolResult("tf.keras.layers.GRU", "resolved", weights=weights, facts=facts)


def comparison(entries: dict[str, Entry]) -> tuple[Comparison, list[list[SymbolSpec]]]:
    asked: list[list[SymbolSpec]] = []

    def analyse(i: int, specs: list[SymbolSpec]) -> dict[str, SymbolResult]:
        asked.append(specs)
        return {f"{s.kind_hint}|{s.display()}": fake_gru(i, s.kwargs) for s in specs}

    cats = [FakeCatalog("1.0", dict(entries)), FakeCatalog("2.0", dict(entries))]
    return Comparison(cats, ["1.0", "2.0"], analyse), asked  # type: ignore[arg-type]


def call(*args: Arg, symbol: str = "tensorflow.keras.layers.GRU") -> FoundCall:
    return FoundCall("m.py", 1, 1, symbol, "GRU", "GRU(...)", list(args))


def lit(v: Any, kw: str | None = None) -> Arg:
    return Arg(repr(v), kw, True, v)


def test_bind_positional_by_the_releases_own_signature() -> None:
    b = bind([lit(64), lit("relu"), Arg("x", "reset_after")], GRU_SIG)
    assert {k: a.text for k, a in b.bound.items()} == {
        "units": "64", "activation": "'relu'", "reset_after": "x"}
    assert literal_args(b.bound, GRU_SIG) == (("activation", "relu"), ("units", 64))
    starred = bind([Arg("a", star="*"), lit(3), Arg("kw", star="**")], GRU_SIG)
    assert starred.star and starred.starstar and starred.bound == {}
    too_many = bind([lit(i) for i in range(7)], GRU_SIG)
    assert too_many.problem is not None


def test_name_is_not_passed_to_the_analysis() -> None:
    b = bind([lit(8), lit("enc", "name")], GRU_SIG)
    assert literal_args(b.bound, GRU_SIG) == (("units", 8),)


def test_changes_pins_and_attribution_of_the_bias_shape() -> None:
    comp, asked = comparison({"tf.keras.layers.GRU": gru_entry()})
    (site,) = comp.run([call(lit(64))], {})
    got = {c.subject: (c.kind, c.before, c.after, c.pin and f"{c.pin.param}={c.pin.code}",
                       c.reason) for c in site.changes}
    assert got["bias"] == ("shape", "[192]", "[2, 192]", "reset_after=False", None)
    assert got["reset_after"][3] == "reset_after=False"
    assert got["recurrent_activation"][3] == 'recurrent_activation="hard_sigmoid"'
    assert got["kernel"][3] == 'kernel_initializer="glorot_uniform"'
    assert set(got) == {"bias", "reset_after", "recurrent_activation", "kernel"}
    # base analyses of both releases, then one analysis of 2.0 per added pin
    assert len(asked) == 2 + 3


def test_what_the_call_sets_is_not_a_default() -> None:
    comp, _ = comparison({"tf.keras.layers.GRU": gru_entry()})
    (site,) = comp.run([call(lit(64), Arg("flag", "reset_after"),
                             lit("sigmoid", "recurrent_activation"),
                             Arg("init", "kernel_initializer"))], {})
    # reset_after (non-literal) decides the bias shape too: attributed to it, so dropped
    assert site.changes == []
    assert site.set_by_user == ["kernel_initializer", "recurrent_activation", "reset_after",
                                "units"]


def test_double_star_kwargs_lists_changes_without_pins() -> None:
    comp, _ = comparison({"tf.keras.layers.GRU": gru_entry()})
    (site,) = comp.run([call(lit(64), Arg("cfg", star="**"))], {})
    assert site.changes and all(c.pin is None and "**kwargs" in (c.reason or "")
                                for c in site.changes)


def test_gate_order_has_no_argument() -> None:
    comp, _ = comparison({"tf.keras.layers.GRU": gru_entry()})

    def analyse(i: int, specs: list[SymbolSpec]) -> dict[str, SymbolResult]:
        out = {}
        for s in specs:
            r = fake_gru(0, s.kwargs)
            r.facts["gate_order"] = {"value": ["z", "r", "h"] if i == 0 else ["r", "z", "h"]}
            out[f"{s.kind_hint}|{s.display()}"] = r
        return out

    comp.analyse = analyse
    (site,) = comp.run([call(lit(64))], {})
    (ch,) = site.changes
    assert ch.subject == "gate_order" and ch.pin is None and "gate order" in (ch.reason or "")


def test_a_name_absent_in_one_release_is_analysed_as_its_compat_twin() -> None:
    old = gru_entry("tf.nn.rnn_cell.GRUCell")
    twin = gru_entry("tf.compat.v1.nn.rnn_cell.GRUCell")
    comp, _ = comparison({})
    comp.catalogs[0].entries.update({old.name: old})  # type: ignore[attr-defined]
    comp.catalogs[1].entries.update({twin.name: twin})  # type: ignore[attr-defined]
    (site,) = comp.run([call(lit(8), symbol="tensorflow.nn.rnn_cell.GRUCell")], {})
    assert site.unavailable_in == ["2.0"]
    assert site.releases[1].name_status == "absent"
    assert site.releases[1].analysed_as.startswith("tf.compat.v1.nn.rnn_cell.GRUCell")
    assert compat_twin("tf.nn.rnn_cell.GRUCell") == "tf.compat.v1.nn.rnn_cell.GRUCell"
    assert compat_twin("tf.compat.v1.layers.dense") is None
    assert compat_twin("keras.layers.GRU") is None


def test_names_no_release_has_are_counted_not_reported() -> None:
    comp, _ = comparison({})
    assert comp.run([call(symbol="tensorflow.foo.Bar")], {}) == []
    assert comp.unknown == {"tf.foo.Bar": 1}


def test_governing_parameter_from_the_default_hop_inside_init() -> None:
    entry = gru_entry()
    w = fake_gru(0, {}).weights[0]
    assert governing(w, entry) == "kernel_initializer"
    entry.inits = [("other.py", 1, 5)]
    assert governing(w, entry) is None
    assert governing(w, Entry("tf.get_variable", "found", kind="variable")) == "initializer"


def test_an_unresolved_initializer_is_not_a_change_but_a_note() -> None:
    comp, _ = comparison({"tf.keras.layers.GRU": gru_entry()})

    def analyse(i: int, specs: list[SymbolSpec]) -> dict[str, SymbolResult]:
        out = {}
        for s in specs:
            r = fake_gru(0, s.kwargs)
            if i == 1:
                r.weights[0].initializer = Initializer("unresolved", {"expression": "f(x)"})
            out[f"{s.kind_hint}|{s.display()}"] = r
        return out

    comp.analyse = analyse
    (site,) = comp.run([call(lit(64))], {})
    assert site.changes == []
    assert site.notes == ["2.0: the analysis leaves the initializer of kernel unresolved; it is "
                          "not compared"]


RNN_SIG = sig("cell", "return_sequences", defaults={"return_sequences": "False"})


def test_a_layer_the_call_passes_itself_is_not_the_tables() -> None:
    # RNN(cell): the analysis builds RNN with the argument table's LSTMCell, whose facts
    # change between the releases; the call passes its own cell, so none of that is its default
    from tfinit_audit.analysis.model import SuppliedArgument

    entry = Entry("tf.keras.layers.RNN", "found", kind="layer", signature=RNN_SIG,
                  analyse_as="tf.keras.layers.RNN", inits=[("rnn.py", 10, 30)])
    comp, _ = comparison({"tf.keras.layers.RNN": entry})
    real = comp.analyse

    def analyse(i: int, specs: list[SymbolSpec]) -> dict[str, SymbolResult]:
        out = real(i, specs)
        for r in out.values():
            r.arguments = [SuppliedArgument("cell", {"symbol": "tf.keras.layers.LSTMCell",
                                                     "arguments": []}, "table")]
        return out

    comp.analyse = analyse
    (site,) = comp.run([call(Arg("cell", None), symbol="tensorflow.keras.layers.RNN")], {})
    assert site.changes == [] and site.set_by_user == ["cell"]
    (site,) = comp.run([call(symbol="tensorflow.keras.layers.RNN")], {})  # left to the table
    assert site.changes
