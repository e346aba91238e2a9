"""An ``expression`` initializer (rules/expressions.py) in every renderer and in ``port``: the
terminal matrix cell says ``expr`` and the per-weight ranges ``expression``; a change to or
from one shows its expression (terminal diff, Markdown change list); the HTML report has the
kind's class, the expression in the weight's details and the port's refusal; ``port``
refuses it with the expression (it reproduces single initializers only)."""

from __future__ import annotations

import copy
import re

import pytest
from report_fixtures import _version
from rich.console import Console

from tfinit_audit.analysis.model import (
    Dims,
    Hop,
    Initializer,
    Location,
    SymbolResult,
    Weight,
)
from tfinit_audit.port.generate import generate
from tfinit_audit.port.model import PortError
from tfinit_audit.report import (
    Report,
    diff_versions,
    render_diff_terminal,
    render_html,
    render_markdown,
    render_terminal,
)

P = "tensorflow_core/contrib/layers/python/layers/layers.py"
EXPR = "math_ops.sqrt(self._gamma_init * eye + pedestal)"
TREE = {"op": "sqrt", "args": [{"op": "add", "args": [
    {"initializer": {"kind": "identity", "params": {"gain": 0.1}, "limit": None,
                     "stddev": None}, "shape": [32, 32]}, 2.0**-36]}]}


def gdn() -> SymbolResult:
    """TF 1.15.5 ``tf.contrib.layers.gdn`` as the analysis answers it."""
    gamma = Weight("gdn/reparam_gamma", [32, 32], "[num_channels, num_channels]",
                   Initializer("expression", {"expression": EXPR, "tree": TREE}), False,
                   [Hop("tensorflow", P, 2046, f"return {EXPR}",
                        f"gamma_initializer: {EXPR}")])
    beta = Weight("gdn/reparam_beta", [32], "[num_channels]",
                  Initializer("constant", {"value": (1 + 2.0**-36) ** 0.5}), False, [])
    return SymbolResult("tf.contrib.layers.gdn", "resolved", kind="function",
                        defined_in=Location("tensorflow", P, 2119, "gdn"),
                        weights=[beta, gamma])


def report(*, before: Initializer | None = None) -> Report:
    """1.15.5 alone, or after a 1.14.0 whose ``reparam_gamma`` had ``before``."""
    v = _version("1.15.5", "1.15.5")
    v.symbols = [gdn()]
    versions = [v]
    if before is not None:
        old = _version("1.14.0", "1.14.0")
        s = copy.deepcopy(v.symbols[0])
        s.weights[1].initializer = before
        old.symbols = [s]
        versions = [old, v]
    return Report("tfinit-audit", "0.1.0", Dims(), versions, [])


def terminal(fn: object, *args: object, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    fn(*args, console)  # type: ignore[operator]
    return console.export_text()


def test_the_terminal_matrix_and_ranges_name_the_kind() -> None:
    wide = terminal(render_terminal, report(), width=200)
    assert "gdn/reparam_gamma expr " in wide
    narrow = terminal(render_terminal, report(), width=40)  # per-weight ranges
    assert re.search(r"gdn/reparam_gamma\n\s+1\.15\.5 expression\n", narrow), narrow


def test_a_change_to_an_expression_shows_the_expression() -> None:
    changes = diff_versions(report(before=Initializer("identity", {"gain": 0.1})))
    text = terminal(render_diff_terminal, changes, width=250)
    assert f"gdn/reparam_gamma: initializer: identity(gain=0.1) → expression: {EXPR}" in text
    md = render_markdown(report(before=Initializer("identity", {"gain": 0.1})))
    assert (f"- ▲ `tf.contrib.layers.gdn` — initializer `gdn/reparam_gamma`: "
            f"`identity(gain=0.1)` → `expression: {EXPR}`") in md
    assert "`gdn/reparam_gamma expr`" in render_markdown(report())


def test_the_html_report_shows_the_kind_the_expression_and_the_port_refusal() -> None:
    html = render_html(report())
    assert 'k-expression">expr</span>' in html
    assert f"expression: {EXPR}" in html
    assert (f"the initial value is an expression of initializers ({EXPR}); the port "
            "reproduces single initializers only") in html


@pytest.mark.parametrize("target", ["pytorch", "jax", "keras", "numpy"])
def test_port_refuses_an_expression_with_it(target: str) -> None:
    with pytest.raises(PortError, match=re.escape(
            "tf.contrib.layers.gdn: gdn/reparam_gamma: the initial value is an expression of "
            f"initializers ({EXPR}); the port reproduces single initializers only")):
        generate(gdn(), target, Dims(), "1.15.5")
