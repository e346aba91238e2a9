"""The live check builds a symbol more times when its smallest weight with a random initializer
is too small for the distribution tests on the default 3 builds (``verify.seeds_for``): TF
0.12.1's ``tf.contrib.slim.conv2d_in_plane`` kernel is ``[3, 3, 1, 1]``, 9 values a build --
27 pooled values were "inconclusive" (30 needed); built 4 times it is decided."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, Initializer, SymbolResult, Weight
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import MAX_SEEDS, probe_request, seeds_for, verify_interpreter
from tfinit_audit.sources.local import open_installed


def result(*weights: tuple[list[int] | None, str]) -> SymbolResult:
    return SymbolResult(symbol="tf.x.Layer", status="resolved", weights=[
        Weight(name=f"w{i}", shape=shape, shape_expr="", initializer=Initializer(kind=kind),
               fallback=False) for i, (shape, kind) in enumerate(weights)])


def test_seeds_grow_with_the_smallest_random_weight_only() -> None:
    base = [1, 2, 3]
    assert seeds_for(result(([32, 64], "glorot_uniform"), ([64], "zeros")), base) == base
    assert seeds_for(result(([3, 3, 1, 1], "uniform_unit_scaling")), base) == [1, 2, 3, 4]
    assert seeds_for(result(([1], "random_normal"), ([8, 8], "glorot_uniform")), base) == \
        list(range(1, 31))
    assert len(seeds_for(result(([1, 1], "random_uniform")), [5])) == 30 <= MAX_SEEDS
    assert seeds_for(result(([2], "zeros"), ([None, 4], "glorot_uniform")), base) == base
    request = probe_request([result(([3, 3, 1, 1], "glorot_uniform")),
                             result(([10, 10], "glorot_uniform"))])
    assert request["seeds"] == [1, 2, 3]
    assert request["symbols"][0]["seeds"] == [1, 2, 3, 4]
    assert request["symbols"][0]["max_values"] == request["max_values"] * 3 // 4  # bounded
    assert "seeds" not in request["symbols"][1] and "max_values" not in request["symbols"][1]


@pytest.mark.live
@pytest.mark.slow
def test_a_tiny_kernel_is_decided_live() -> None:
    python = venv_python("tf012")
    static = analyze(open_installed(python), [parse_symbol("tf.contrib.slim.conv2d_in_plane")],
                     Dims())
    assert static[0].status == "resolved", static[0].message
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    kernel = next(w for w in run.symbols[0].weights if w.name.endswith("weights"))
    assert kernel.verdict == "agree", describe(run)
    assert len(kernel.evidence["seeds"]) == 4
