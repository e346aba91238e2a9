"""Canonical vocabulary: preset naming, fans and the numbers for concrete shapes."""

from __future__ import annotations

import math

import pytest

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.analysis.rules import vocabulary as ini


@pytest.mark.parametrize(
    ("scale", "mode", "dist", "name"),
    [
        (1.0, "fan_avg", "uniform", "glorot_uniform"),
        (1.0, "fan_avg", "truncated_normal", "glorot_normal"),
        (1.0, "fan_avg", "normal", "glorot_normal"),  # TF 1.x spelled truncated normal "normal"
        (2.0, "fan_in", "uniform", "he_uniform"),
        (2.0, "fan_in", "truncated_normal", "he_normal"),
        (1.0, "fan_in", "uniform", "lecun_uniform"),
        (1.0, "fan_in", "truncated_normal", "lecun_normal"),
        (1.0, "fan_in", "untruncated_normal", "variance_scaling"),
        (3.0, "fan_avg", "uniform", "variance_scaling"),
    ],
)
def test_preset_names(scale: float, mode: str, dist: str, name: str) -> None:
    got = ini.canonical(
        "variance_scaling", {"scale": scale, "mode": mode, "distribution": dist, "seed": None}
    )
    assert got.kind == name
    assert got.params == {
        "scale": scale,
        "mode": mode,
        "distribution": dist,
    }  # seed dropped, args kept


def test_fans_dense_and_conv() -> None:
    assert ini.compute_fans([96, 256]) == (96, 256)
    assert ini.compute_fans([64]) == (64, 64)
    assert ini.compute_fans([3, 3, 3, 8]) == (27, 72)  # receptive field 9


def test_glorot_limit_tf1_lstm_kernel() -> None:
    got = ini.with_numbers(
        ini.canonical(
            "variance_scaling", {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}
        ),
        [96, 256],
    )
    assert got.limit == pytest.approx(math.sqrt(6 / 352))
    assert got.stddev is None


def test_truncated_normal_uses_correction() -> None:
    i = Initializer(
        "he_normal",
        {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal", "truncation": 0.8796},
    )
    ini.with_numbers(i, [27, 8])
    assert i.stddev == pytest.approx(math.sqrt(2 / 27) / 0.8796)


def test_truncation_constant_from_source() -> None:
    src = (
        "    if self.distribution == 'normal':\n"
        "      stddev = math.sqrt(scale) / .87962566103423978\n"
    )
    assert ini.truncation_constant(src) == pytest.approx(0.87962566103423978)
    assert ini.truncation_constant("stddev = math.sqrt(scale)") is None


def test_random_uniform_limit_only_when_symmetric() -> None:
    assert (
        ini.with_numbers(
            Initializer("random_uniform", {"minval": -0.05, "maxval": 0.05}), [100, 16]
        ).limit
        == 0.05
    )
    assert (
        ini.with_numbers(
            Initializer("random_uniform", {"minval": 0, "maxval": None}), [100, 16]
        ).limit
        is None
    )


def test_composite_parts_get_their_own_shapes() -> None:
    g = ini.canonical(
        "variance_scaling", {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}
    )
    comp = Initializer("composite", {"parts": [{"initializer": g, "start": 0, "stop": 64}]})
    ini.with_numbers(comp, [32, 256])
    assert g.limit == pytest.approx(math.sqrt(6 / (32 + 64)))


def test_variance_scaling_fans_over_given_axes() -> None:
    """Keras 3.15+ VarianceScaling(input_axes, output_axes): fans are those axes' products;
    axes carried only when given, and no number when they are not known."""
    vs = ini.canonical("variance_scaling", {"scale": 1.0, "mode": "fan_avg",
                                            "distribution": "uniform", "input_axes": [0],
                                            "output_axes": [1, 2]})
    assert vs.kind == "glorot_uniform" and vs.params["input_axes"] == [0]
    assert ini.with_numbers(vs, [32, 2, 8]).limit == pytest.approx(math.sqrt(6 / (32 + 16)))
    plain = ini.canonical("variance_scaling", {"scale": 1.0, "mode": "fan_avg",
                                               "distribution": "uniform", "input_axes": None})
    assert "input_axes" not in plain.params
    assert ini.with_numbers(plain, [32, 2, 8]).limit == pytest.approx(math.sqrt(6 / 320))
    unknown = ini.canonical("variance_scaling", {"scale": 1.0, "mode": "fan_avg",
                                                 "distribution": "uniform",
                                                 "input_axes": "<unknown>",
                                                 "output_axes": [1, 2]})
    assert ini.with_numbers(unknown, [32, 2, 8]).limit is None
