# ruff: noqa: E501  (source-line fixtures read better unwrapped)
"""Report models built by hand for the renderer tests: shaped like real runs (1.8 LSTMCell falling
through get_variable, 2.15 Keras LSTM with a composite bias, the compat.v1 twin served by the
Keras lazy loader, a partial symbol, unavailable/absent ones, an error release, a live run),
plus hostile text and the empty report. Source lines are short paraphrases, not copies."""

from __future__ import annotations

import gzip
import json
import math
import random
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.model import (
    Dims,
    Hop,
    Initializer,
    Location,
    Member,
    NamespaceListing,
    RuntimeAdjustment,
    SuppliedArgument,
    SymbolResult,
    Weight,
)
from tfinit_audit.live.model import LiveRun, LiveSymbol, LiveWeight
from tfinit_audit.report.model import Report, VersionReport
from tfinit_audit.sources.base import FetchStats, PackageFile

TF = "tensorflow"
RCI = "tensorflow/python/ops/rnn_cell_impl.py"
VS = "tensorflow/python/ops/variable_scope.py"


def glorot(shape: list[int]) -> Initializer:
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    return Initializer(
        "glorot_uniform",
        {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"},
        limit=math.sqrt(6.0 / (fan_in + fan_out)),
    )


def zeros() -> Initializer:
    return Initializer("zeros")


def ones() -> Initializer:
    return Initializer("ones")


def orthogonal() -> Initializer:
    return Initializer("orthogonal", {"gain": 1.0})


def unit_forget_bias(units: int) -> Initializer:
    return Initializer(
        "composite",
        {
            "parts": [
                {"initializer": zeros(), "start": 0, "stop": units},
                {"initializer": ones(), "start": units, "stop": 2 * units},
                {"initializer": zeros(), "start": 2 * units, "stop": 4 * units},
            ]
        },
    )


def _pkgs(tf: str, keras: str | None = None, tf_keras: str | None = None) -> list[PackageFile]:
    py = "cp36-cp36m" if tf.startswith("1.") else "cp311-cp311"
    plat = (
        "manylinux1_x86_64" if tf.startswith("1.") else "manylinux_2_17_x86_64.manylinux2014_x86_64"
    )
    out = [
        PackageFile(
            TF, tf, f"tensorflow-{tf}-{py}-{plat}.whl", sha256=_sha(tf), size=48_000_000 + len(tf)
        )
    ]
    if keras:
        out.append(
            PackageFile(
                "keras",
                keras,
                f"keras-{keras}-py3-none-any.whl",
                sha256=_sha("k" + keras),
                size=1_700_000,
            )
        )
    if tf_keras:
        out.append(
            PackageFile(
                "tf-keras",
                tf_keras,
                f"tf_keras-{tf_keras}-py3-none-any.whl",
                sha256=_sha("t" + tf_keras),
                size=1_600_000,
            )
        )
    return out


def _sha(seed: str) -> str:
    rnd = random.Random(seed)
    return "".join(rnd.choice("0123456789abcdef") for _ in range(64))


def _lstmcell_1x(tf: str, keras_chain: bool, dims: Dims) -> SymbolResult:
    """TF 1.x LSTMCell: kernel over [input+h, 4u] via get_variable's scope default."""
    u, i = dims.units, dims.input_dim
    kshape = [i + u, 4 * u]
    hops = [
        Hop(
            TF,
            RCI,
            762,
            "self._kernel = self.add_variable(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + h_depth, 4 * self._num_units], initializer=self._initializer, partitioner=maybe_partitioner)",
            "initializer=self._initializer, which the constructor left at None",
        ),
    ]
    if keras_chain:
        hops += [
            Hop(
                TF,
                "tensorflow/python/layers/base.py",
                229,
                "return super(Layer, self).add_weight(name, shape, dtype=dtype, initializer=initializer or scope.initializer, ...)",
                "None or the scope's initializer (None) is passed on to the Keras base layer",
            ),
            Hop(
                TF,
                "tensorflow/python/keras/engine/base_layer.py",
                518,
                "initializer = initializers.glorot_uniform()",
                "Keras add_weight: `if initializer is None` for floating dtypes picks glorot_uniform",
            ),
        ]
    else:
        hops += [
            Hop(
                TF,
                "tensorflow/python/layers/base.py",
                187,
                "variable = vs.get_variable(name, shape=shape, initializer=initializer, dtype=dtypes.as_dtype(dtype), ...)",
                "tf.layers add_variable hands the None initializer to get_variable",
            ),
            Hop(
                TF,
                VS,
                775,
                "initializer, initializing_from_value = self._get_default_initializer(name=name, shape=shape, dtype=dtype)",
                "no initializer and no scope initializer: ask for the default",
            ),
            Hop(
                TF,
                VS,
                828,
                "initializer = init_ops.glorot_uniform_initializer()",
                "floating dtype: glorot_uniform_initializer()",
            ),
        ]
    return SymbolResult(
        symbol="tf.nn.rnn_cell.LSTMCell",
        twin="tf.nn.rnn_cell.LSTMCell",
        status="resolved",
        defined_in=Location(TF, RCI, 611, "LSTMCell"),
        name_hops=[
            Hop(
                TF,
                "tensorflow/python/ops/nn.py"
                if tf == "1.8.0"
                else "tensorflow/_api/v1/nn/rnn_cell/__init__.py",
                17,
                "from tensorflow.python.ops.rnn_cell_impl import LSTMCell",
                "the API module re-exports the class",
            )
        ],
        weights=[
            Weight(
                "kernel",
                kshape,
                "[input_depth + h_depth, 4 * num_units]",
                glorot(kshape),
                True,
                hops,
                dtype="float32",
            ),
            Weight(
                "bias",
                [4 * u],
                "[4 * num_units]",
                zeros(),
                False,
                [
                    Hop(
                        TF,
                        RCI,
                        766,
                        "initializer=init_ops.zeros_initializer(dtype=self.dtype))",
                        "explicit zeros_initializer",
                    )
                ],
                runtime_adjustments=[
                    RuntimeAdjustment(
                        "forget_bias", 1.0, "forget gate pre-activation", RCI, 841, TF
                    )
                ],
                dtype="float32",
            ),
        ],
        facts={
            "gate_order": ["i", "j", "f", "o"],
            "activation": "tanh",
            "recurrent_activation": "sigmoid",
            "bias_layout": "one [4*units] vector, forget_bias added in call()",
        },
    )


def _lstmcell_215(dims: Dims) -> SymbolResult:
    u, i = dims.units, dims.input_dim
    kshape = [i + u, 4 * u]
    lc = "keras/src/layers/rnn/legacy_cells.py"
    return SymbolResult(
        symbol="tf.compat.v1.nn.rnn_cell.LSTMCell",
        twin="tf.nn.rnn_cell.LSTMCell",
        status="resolved",
        defined_in=Location("keras", lc, 934, "LSTMCell"),
        name_hops=[
            Hop(
                TF,
                "tensorflow/_api/v2/compat/v1/__init__.py",
                58,
                '_current_module.nn.rnn_cell = _KerasLazyLoader(globals(), "keras.layers.rnn", "legacy_cells")',
                "lazy loader replaces nn.rnn_cell at import time",
            ),
            Hop(
                "keras",
                lc,
                934,
                '@keras_export(v1=["keras.__internal__.legacy.rnn_cell.LSTMCell"])',
                "the class the lazy loader hands out",
            ),
        ],
        weights=[
            Weight(
                "kernel",
                kshape,
                "[input_depth + h_depth, 4 * num_units]",
                glorot(kshape),
                True,
                [
                    Hop(
                        "keras",
                        lc,
                        1090,
                        "self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + h_depth, 4 * self._num_units], initializer=self._initializer, partitioner=maybe_partitioner)",
                        "initializer=None from the constructor",
                    ),
                    Hop(
                        "keras",
                        "keras/src/legacy_tf_layers/base.py",
                        463,
                        "initializer = initializer or scope.initializer",
                        "no scope initializer either",
                    ),
                    Hop(
                        "keras",
                        "keras/src/engine/base_layer.py",
                        650,
                        'initializer = initializers.get("glorot_uniform")',
                        "Keras add_weight default for floating dtypes",
                    ),
                ],
            ),
            Weight(
                "bias",
                [4 * u],
                "[4 * num_units]",
                zeros(),
                False,
                [
                    Hop(
                        "keras",
                        lc,
                        1097,
                        "initializer=tf.compat.v1.zeros_initializer(dtype=self.dtype)",
                        "explicit zeros",
                    ),
                ],
                runtime_adjustments=[
                    RuntimeAdjustment(
                        "forget_bias", 1.0, "forget gate pre-activation", lc, 1150, "keras"
                    )
                ],
            ),
        ],
        facts={
            "gate_order": ["i", "j", "f", "o"],
            "activation": "tanh",
            "recurrent_activation": "sigmoid",
            "bias_layout": "one [4*units] vector, forget_bias added in call()",
        },
    )


def _peephole_1x(dims: Dims) -> SymbolResult:
    u, i, p = dims.units, dims.input_dim, 16
    kshape = [i + p, 4 * u]
    base = _lstmcell_1x("1.8.0", False, dims)
    w = []
    w.append(
        Weight(
            "kernel",
            kshape,
            "[input_depth + num_proj, 4 * num_units]",
            glorot(kshape),
            True,
            base.weights[0].provenance,
        )
    )
    w.append(base.weights[1])
    for n, line in (("w_f_diag", 780), ("w_i_diag", 782), ("w_o_diag", 784)):
        w.append(
            Weight(
                n,
                [u],
                "[num_units]",
                glorot([u]),
                True,
                [
                    Hop(
                        TF,
                        RCI,
                        line,
                        f'self._{n} = self.add_variable("{n}", shape=[self._num_units], initializer=self._initializer)',
                        "peephole weight, initializer None",
                    ),
                    Hop(
                        TF,
                        VS,
                        828,
                        "initializer = init_ops.glorot_uniform_initializer()",
                        "scope default",
                    ),
                ],
                condition="use_peepholes",
            )
        )
    w.append(
        Weight(
            "projection/kernel",
            [u, p],
            "[num_units, num_proj]",
            glorot([u, p]),
            True,
            [
                Hop(
                    TF,
                    RCI,
                    790,
                    'self._proj_kernel = self.add_variable("projection/%s" % _WEIGHTS_VARIABLE_NAME, shape=[self._num_units, self._num_proj], initializer=self._initializer)',
                    "projection, initializer None",
                ),
                Hop(
                    TF,
                    VS,
                    828,
                    "initializer = init_ops.glorot_uniform_initializer()",
                    "scope default",
                ),
            ],
            condition="num_proj is not None",
        )
    )
    return SymbolResult(
        symbol="tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]",
        twin="tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]",
        status="resolved",
        defined_in=base.defined_in,
        weights=w,
        facts=base.facts,
    )


def _keras_lstm(path: str, package: str, line: int, dims: Dims) -> SymbolResult:
    u, i = dims.units, dims.input_dim
    return SymbolResult(
        symbol="tf.keras.layers.LSTM",
        status="resolved",
        defined_in=Location(package, path, line, "LSTM"),
        weights=[
            Weight(
                "kernel",
                [i, 4 * u],
                "(input_dim, units * 4)",
                glorot([i, 4 * u]),
                False,
                [
                    Hop(
                        package,
                        path,
                        line + 12,
                        "kernel_initializer='glorot_uniform',",
                        "constructor default string",
                    ),
                    Hop(
                        package,
                        path,
                        line + 60,
                        "self.kernel_initializer = initializers.get(kernel_initializer)",
                        "the release's initializers.get maps 'glorot_uniform' to GlorotUniform()",
                    ),
                ],
            ),
            Weight(
                "recurrent_kernel",
                [u, 4 * u],
                "(units, units * 4)",
                orthogonal(),
                False,
                [
                    Hop(
                        package,
                        path,
                        line + 13,
                        "recurrent_initializer='orthogonal',",
                        "constructor default string",
                    ),
                ],
            ),
            Weight(
                "bias",
                [4 * u],
                "(units * 4,)",
                unit_forget_bias(u),
                False,
                [
                    Hop(package, path, line + 15, "unit_forget_bias=True,", "constructor default"),
                    Hop(
                        package,
                        path,
                        line + 120,
                        "initializers.get('ones')((self.units,), *args, **kwargs),",
                        "composite: zeros | ones (forget gate) | zeros",
                    ),
                ],
            ),
        ],
        facts={
            "gate_order": ["i", "f", "c", "o"],
            "activation": "tanh",
            "recurrent_activation": "hard_sigmoid" if path.startswith("tensorflow/") else "sigmoid",
            "bias_layout": "[4*units], forget slice starts at ones",
        },
    )


def _keras_gru(path: str, package: str, reset_after: bool, dims: Dims) -> SymbolResult:
    u, i = dims.units, dims.input_dim
    bshape = [2, 3 * u] if reset_after else [3 * u]
    return SymbolResult(
        symbol="tf.keras.layers.GRU",
        status="resolved",
        defined_in=Location(package, path, 1200, "GRU"),
        weights=[
            Weight(
                "kernel",
                [i, 3 * u],
                "(input_dim, units * 3)",
                glorot([i, 3 * u]),
                False,
                [
                    Hop(
                        package,
                        path,
                        1215,
                        "kernel_initializer='glorot_uniform',",
                        "constructor default",
                    )
                ],
            ),
            Weight(
                "recurrent_kernel",
                [u, 3 * u],
                "(units, units * 3)",
                orthogonal(),
                False,
                [
                    Hop(
                        package,
                        path,
                        1216,
                        "recurrent_initializer='orthogonal',",
                        "constructor default",
                    )
                ],
            ),
            Weight(
                "bias",
                bshape,
                "(2, 3 * units) if reset_after else (3 * units,)",
                zeros(),
                False,
                [Hop(package, path, 1217, "bias_initializer='zeros',", "constructor default")],
            ),
        ],
        facts={
            "gate_order": ["z", "r", "h"],
            "reset_after": reset_after,
            "recurrent_activation": "sigmoid" if reset_after else "hard_sigmoid",
        },
    )


def _group_norm(state: str) -> SymbolResult:
    if state == "absent":
        return SymbolResult(
            "tf.keras.layers.GroupNormalization",
            "absent",
            "no public name tf.keras.layers.GroupNormalization in this release",
        )
    p = "keras/src/layers/normalization/group_normalization.py"
    return SymbolResult(
        "tf.keras.layers.GroupNormalization",
        "resolved",
        defined_in=Location("keras", p, 30, "GroupNormalization"),
        weights=[
            Weight(
                "gamma",
                [32],
                "(input_dim,)",
                ones(),
                False,
                [Hop("keras", p, 110, 'gamma_initializer="ones",', "constructor default")],
            ),
            Weight(
                "beta",
                [32],
                "(input_dim,)",
                zeros(),
                False,
                [Hop("keras", p, 111, 'beta_initializer="zeros",', "constructor default")],
            ),
        ],
    )


def _dense_v1(version: str) -> SymbolResult:
    if version.startswith("1."):
        return SymbolResult(
            "tf.layers.Dense",
            "resolved",
            twin="tf.layers.Dense",
            defined_in=Location(TF, "tensorflow/python/layers/core.py", 40, "Dense"),
            weights=[
                Weight(
                    "kernel",
                    [32, 64],
                    "[input_shape[-1], units]",
                    glorot([32, 64]),
                    True,
                    [
                        Hop(
                            TF,
                            "tensorflow/python/layers/core.py",
                            130,
                            "initializer=self.kernel_initializer,",
                            "kernel_initializer=None by default",
                        ),
                        Hop(
                            TF,
                            VS,
                            828,
                            "initializer = init_ops.glorot_uniform_initializer()",
                            "scope default",
                        ),
                    ],
                ),
                Weight(
                    "bias",
                    [64],
                    "[units]",
                    zeros(),
                    False,
                    [
                        Hop(
                            TF,
                            "tensorflow/python/layers/core.py",
                            56,
                            "bias_initializer=init_ops.zeros_initializer(),",
                            "constructor default",
                        )
                    ],
                ),
            ],
        )
    lb = "keras/src/legacy_tf_layers/base.py"
    return SymbolResult(
        "tf.compat.v1.layers.Dense",
        "partial",
        twin="tf.layers.Dense",
        message="kernel initializer depends on the enclosing variable scope at run time",
        defined_in=Location("keras", "keras/src/legacy_tf_layers/core.py", 34, "Dense"),
        weights=[
            Weight(
                "kernel",
                [32, 64],
                "[input_shape[-1], units]",
                Initializer(
                    "unresolved",
                    {"expression": "initializer or scope.initializer", "path": lb, "line": 463},
                ),
                True,
                [
                    Hop(
                        "keras",
                        lb,
                        463,
                        "initializer = initializer or scope.initializer",
                        "scope.initializer is only known at run time",
                    ),
                ],
            ),
            Weight(
                "bias",
                [64],
                "[units]",
                zeros(),
                False,
                [
                    Hop(
                        "keras",
                        "keras/src/layers/core/dense.py",
                        95,
                        'bias_initializer="zeros",',
                        "constructor default",
                    )
                ],
            ),
        ],
    )


def _basic_rnn(version: str, dims: Dims) -> SymbolResult:
    if version == "2.16.1":
        return SymbolResult(
            "tf.compat.v1.nn.rnn_cell.BasicRNNCell",
            "unavailable",
            twin="tf.nn.rnn_cell.BasicRNNCell",
            message="ImportError: Keras 3 does not serve tf.compat.v1 RNN cells; install tf_keras",
        )
    name = (
        "tf.nn.rnn_cell.BasicRNNCell"
        if version.startswith("1.")
        else "tf.compat.v1.nn.rnn_cell.BasicRNNCell"
    )
    u, i = dims.units, dims.input_dim
    pkg, path = (
        (TF, RCI) if version.startswith("1.") else ("keras", "keras/src/layers/rnn/legacy_cells.py")
    )
    return SymbolResult(
        name,
        "resolved",
        twin="tf.nn.rnn_cell.BasicRNNCell",
        defined_in=Location(pkg, path, 330, "BasicRNNCell"),
        weights=[
            Weight(
                "kernel",
                [i + u, u],
                "[input_depth + num_units, num_units]",
                glorot([i + u, u]),
                True,
                [
                    Hop(
                        pkg,
                        path,
                        360,
                        "self._kernel = self.add_variable(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + self._num_units, self._num_units])",
                        "no initializer argument at all",
                    ),
                    Hop(
                        TF,
                        VS,
                        828,
                        "initializer = init_ops.glorot_uniform_initializer()",
                        "scope default",
                    )
                    if version.startswith("1.")
                    else Hop(
                        "keras",
                        "keras/src/engine/base_layer.py",
                        650,
                        'initializer = initializers.get("glorot_uniform")',
                        "Keras add_weight default",
                    ),
                ],
            ),
            Weight(
                "bias",
                [u],
                "[num_units]",
                zeros(),
                False,
                [
                    Hop(
                        pkg,
                        path,
                        364,
                        "initializer=init_ops.zeros_initializer(dtype=self.dtype))",
                        "explicit zeros",
                    )
                ],
            ),
        ],
    )


def _version(
    req: str, tf: str, source: str = "pypi", keras: str | None = None, tf_keras: str | None = None
) -> VersionReport:
    return VersionReport(
        requested=req,
        tensorflow=tf,
        source=source,
        packages=_pkgs(tf, keras, tf_keras),
        fetch=FetchStats(requests=14, bytes=3_400_000, seconds=2.75, from_cache=3, files=21),
        analysis_seconds=1.42,
    )


def _samples(kind: str, n: int, seed: int, a: float = 0.0, b: float = 1.0) -> list[float]:
    rnd = random.Random(seed)
    if kind == "uniform":
        return [rnd.uniform(a, b) for _ in range(n)]
    if kind == "normal":
        return [rnd.gauss(a, b) for _ in range(n)]
    if kind == "forget":  # composite zeros|ones|zeros sampled uniformly over the vector
        return [1.0 if 64 <= rnd.randrange(256) < 128 else 0.0 for _ in range(n)]
    raise ValueError(kind)


def live_run(dims: Dims) -> LiveRun:
    u, i = dims.units, dims.input_dim
    lim = math.sqrt(6 / (i + 4 * u))
    cell_lim = math.sqrt(6 / (i + u + 4 * u))
    return LiveRun(
        python="/root/.cache/tfinit-audit/venvs/tf215/bin/python",
        python_version="3.11.9",
        tensorflow="2.15.0",
        keras="2.15.0",
        seconds=8.4,
        symbols=[
            LiveSymbol(
                "tf.keras.layers.LSTM",
                "ok",
                runtime_file="keras/src/layers/rnn/lstm.py",
                static_file="keras/src/layers/rnn/lstm.py",
                file_agrees=True,
                weights=[
                    LiveWeight(
                        "kernel",
                        [i, 4 * u],
                        "agree",
                        {
                            "reason": "values match glorot_uniform for [32, 256]",
                            "static": {"kind": "glorot_uniform", "params": {}, "limit": round(lim, 6), "stddev": None, "shape": [i, 4 * u], "fallback": False},
                            "checks": [
                                {"check": "bounds", "passed": True, "detail": f"all values in [-{lim:.4f}, {lim:.4f}]"},
                                {"check": "ks", "passed": True, "detail": "KS p=0.61 >= alpha=0.001", "pvalue": 0.61},
                                {"check": "seeds differ", "passed": None, "detail": "one seed only"},
                            ],
                            "alpha": 0.001,
                        },
                        _samples("uniform", 400, 1, -lim, lim),
                    ),
                    LiveWeight(
                        "recurrent_kernel",
                        [u, 4 * u],
                        "agree",
                        {
                            "test": "orthogonality",
                            "max_offdiag": 2.1e-7,
                            "gram": "W W^T = I (rows)",
                        },
                        _samples("normal", 400, 2, 0.0, 1 / math.sqrt(4 * u)),
                    ),
                    LiveWeight(
                        "bias",
                        [4 * u],
                        "agree",
                        {"test": "exact", "slices": {"0:64": 0.0, "64:128": 1.0, "128:256": 0.0}},
                        _samples("forget", 256, 3),
                    ),
                ],
            ),
            LiveSymbol(
                "tf.compat.v1.nn.rnn_cell.LSTMCell",
                "ok",
                runtime_file="keras/src/layers/rnn/legacy_cells.py",
                static_file="keras/src/layers/rnn/legacy_cells.py",
                file_agrees=True,
                weights=[
                    LiveWeight(
                        "kernel",
                        [i + u, 4 * u],
                        "disagree",
                        {
                            "test": "ks_uniform",
                            "limit": round(cell_lim, 6),
                            "ks_pvalue": 3.2e-14,
                            "max_abs": 0.2497,
                        },
                        _samples("uniform", 400, 4, -0.25, 0.25),
                    ),
                    LiveWeight(
                        "bias", [4 * u], "agree", {"test": "exact", "value": 0.0}, [0.0] * 64
                    ),
                ],
            ),
            LiveSymbol(
                "tf.compat.v1.layers.Dense",
                "ok",
                runtime_file="keras/src/legacy_tf_layers/core.py",
                static_file="keras/src/legacy_tf_layers/core.py",
                file_agrees=True,
                weights=[
                    LiveWeight(
                        "kernel",
                        [32, 64],
                        "inconclusive",
                        {"reason": "static initializer unresolved", "observed_max_abs": 0.2499},
                        _samples("uniform", 300, 5, -0.25, 0.25),
                    ),
                ],
            ),
            LiveSymbol(
                "tf.keras.layers.GroupNormalization",
                "ok",
                runtime_file="keras/src/layers/normalization/group_normalization.py",
                static_file="keras/src/layers/normalization/group_normalization.py",
                file_agrees=True,
                weights=[
                    LiveWeight("gamma", [32], "agree", {"test": "exact", "value": 1.0}, [1.0] * 32)
                ],
            ),
        ],
    )


def realistic_report() -> Report:
    """Four analysed releases, one release that failed, one live interpreter."""
    dims = Dims()
    v18 = _version("1.8", "1.8.0")
    v110 = _version("1.10", "1.10.0")
    v215 = _version("2.15", "2.15.0", keras="2.15.0")
    v216 = _version("2.16", "2.16.1", keras="3.0.5")
    keras18 = "tensorflow/python/keras/_impl/keras/layers/recurrent.py"
    keras110 = "tensorflow/python/keras/layers/recurrent.py"
    v18.symbols = [
        _basic_rnn("1.8.0", dims),
        _lstmcell_1x("1.8.0", False, dims),
        _peephole_1x(dims),
        _dense_v1("1.8.0"),
        _keras_lstm(keras18, TF, 1900, dims),
        _keras_gru(keras18, TF, False, dims),
        _group_norm("absent"),
    ]
    v110.symbols = [
        _basic_rnn("1.10.0", dims),
        _lstmcell_1x("1.10.0", True, dims),
        _peephole_1x(dims),
        _dense_v1("1.10.0"),
        _keras_lstm(keras110, TF, 1950, dims),
        _keras_gru(keras110, TF, False, dims),
        _group_norm("absent"),
    ]
    v215.symbols = [
        _basic_rnn("2.15.0", dims),
        _lstmcell_215(dims),
        _dense_v1("2.15.0"),
        _keras_lstm("keras/src/layers/rnn/lstm.py", "keras", 420, dims),
        _keras_gru("keras/src/layers/rnn/gru.py", "keras", True, dims),
        _group_norm("resolved"),
    ]
    v216.symbols = [
        _basic_rnn("2.16.1", dims),
        _keras_lstm("keras/src/layers/rnn/lstm.py", "keras", 160, dims),
    ]
    err = VersionReport(
        requested="2.99",
        tensorflow=None,
        source="pypi",
        status="error",
        error="no TensorFlow release on PyPI matches '2.99'",
    )
    return Report(
        tool_name="tfinit-audit",
        tool_version="0.1.0",
        dims=dims,
        versions=[v18, v110, v215, v216, err],
        live=[
            live_run(dims),
            LiveRun(
                python="/usr/bin/python3.7",
                python_version="3.7.16",
                tensorflow=None,
                keras=None,
                error="tensorflow is not importable in this interpreter: ModuleNotFoundError",
            ),
        ],
        generated_at="2025-01-15T10:42:07Z",
        command="tfinit-audit --versions 1.8 1.10 2.15 2.16 2.99 --live",
    )


HOSTILE = "<script>alert(1)</script>"


def hostile_report() -> Report:
    """Untrusted text everywhere a source or a user can put it."""
    dims = Dims()
    evil = f'x = "{HOSTILE}" + \'"quoted"\' & <b>bold</b>'
    path = "tensorflow/python/ops/evil_<img src=x onerror=alert(2)>.py"
    sym = "tf.keras.layers.Dense[name='\"><svg onload=alert(3)>']"
    w = Weight(
        "<svg onload=alert(4)>",
        [3, 4],
        '"><script>alert(5)</script>',
        Initializer("unresolved", {"expression": f"make({HOSTILE})", "path": path, "line": 3}),
        True,
        [Hop(TF, path, 3, evil, f"note {HOSTILE} \" ' `|`")],
        condition=f"if {HOSTILE}",
        runtime_adjustments=[
            RuntimeAdjustment("forget_bias", HOSTILE, f"gate {HOSTILE}", path, 4, TF)
        ],
    )
    s = SymbolResult(
        sym,
        "partial",
        message=f"unresolved {HOSTILE}",
        twin=sym,
        defined_in=Location(TF, path, 1, f"C{HOSTILE}"),
        weights=[w],
        facts={"gate_order": HOSTILE, "note|pipe": "a|b"},
    )
    s2 = SymbolResult(sym, "unavailable", message=f"ImportError {HOSTILE}", twin=sym)
    v1 = _version("1.8", "1.8.0")
    v1.packages[0].file = f"tensorflow-<i>{HOSTILE}</i>.whl"
    v1.symbols = [s]
    v2 = _version("2.15", "2.15.0", keras="2.15.0")
    v2.symbols = [s2]
    bad = VersionReport(
        requested=f"9.9{HOSTILE}",
        tensorflow=None,
        source="pypi",
        status="error",
        error=f"failed: {HOSTILE}",
    )
    run = LiveRun(
        python=f"/tmp/{HOSTILE}/python",
        python_version="3.11",
        tensorflow="1.8.0",
        keras=None,
        symbols=[
            LiveSymbol(
                sym,
                "ok",
                message=HOSTILE,
                runtime_file=path,
                static_file=path,
                file_agrees=False,
                weights=[
                    LiveWeight(
                        "<svg onload=alert(4)>",
                        [3, 4],
                        "disagree",
                        {HOSTILE: HOSTILE, "nested": {"k": HOSTILE}},
                        [0.1, -0.2, 0.3, 0.05],
                    ),
                ],
            )
        ],
    )
    return Report(
        "tfinit-audit",
        "0.1.0",
        dims,
        [v1, v2, bad],
        [run],
        generated_at=HOSTILE,
        command=f'tfinit-audit --symbols "{sym}" {HOSTILE}',
    )


def empty_report() -> Report:
    return Report("tfinit-audit", "0.1.0", Dims())


def error_only_report() -> Report:
    return Report(
        "tfinit-audit",
        "0.1.0",
        Dims(),
        [
            VersionReport(
                "1.8",
                "1.8.0",
                "pypi",
                status="error",
                error="FetchError: files.pythonhosted.org unreachable",
            )
        ],
        generated_at="2025-01-15T10:42:07Z",
        command="tfinit-audit --versions 1.8",
    )


def pattern_report() -> Report:
    """One release audited with a pattern and --dim: arguments from the symbol, the table
    and --dim, an inner layer, a function's input tensor, a needs-args symbol, and the
    namespace listing with kept and skipped members."""
    dims = Dims(given={"filters": 4})
    v = _version("2.15", "2.15.0", keras="2.15.0")
    conv_path = "keras/src/layers/convolutional/conv2d.py"
    kernel = Weight("kernel", [3, 3, 32, 4], "kernel_shape",
                    Initializer("glorot_uniform", {"scale": 1.0, "mode": "fan_avg",
                                                   "distribution": "uniform"}, limit=0.1336),
                    False, [Hop("keras", conv_path, 150, "self.kernel = self.add_weight(",
                                "build: creates 'kernel'")])
    conv = SymbolResult(
        "tf.keras.layers.Conv2D", "resolved", defined_in=Location("keras", conv_path, 30,
                                                                  "Conv2D"),
        weights=[kernel], kind="class",
        arguments=[SuppliedArgument("filters", 4, "--dim"),
                   SuppliedArgument("kernel_size", 3, "table")],
        input_shape=[None, 5, 5, 32],
        input_note="input_spec min_ndim=4 (keras/src/layers/convolutional/base_conv.py:157)")
    bidi = SymbolResult(
        "tf.keras.layers.Bidirectional", "resolved",
        defined_in=Location("keras", "keras/src/layers/rnn/bidirectional.py", 37,
                            "Bidirectional"),
        weights=[Weight("forward_layer/kernel", [32, 256], "(input_dim, self.units * 4)",
                        Initializer("glorot_uniform", {}, limit=0.1443), False)],
        kind="class",
        arguments=[SuppliedArgument("layer", {"symbol": "tf.keras.layers.LSTM", "arguments": [
            {"name": "units", "value": 64, "source": "table"}]}, "table")],
        input_shape=[None, 5, 32], input_note="input_spec ndim=3")
    dense_fn = SymbolResult(
        "tf.compat.v1.layers.dense", "resolved", kind="function",
        defined_in=Location("keras", "keras/src/legacy_tf_layers/core.py", 154, "dense"),
        weights=[Weight("dense/kernel", [32, 64], "[last_dim, self.units]",
                        Initializer("glorot_uniform", {}, limit=0.25), True)],
        arguments=[SuppliedArgument("inputs", {"tensor": [None, 32]}, "input"),
                   SuppliedArgument("units", 64, "table")],
        input_shape=[None, 32], input_note="inputs: the tensor the function is applied to")
    lam = SymbolResult(
        "tf.keras.layers.Lambda", "needs-args", kind="class",
        message="needs function: not in the argument table (give it as SYMBOL[name=value] "
                "or --dim name=value)",
        defined_in=Location("keras", "keras/src/layers/core/lambda_layer.py", 37, "Lambda"),
        missing_arguments=["function"])
    v.symbols = [conv, bidi, dense_fn, lam]
    v.namespaces = [NamespaceListing("tf.keras.layers.*", members=[
        Member("tf.keras.layers.Conv2D", True, "a layer: its MRO reaches Layer, which defines "
               "add_weight", "class", ["tf.keras.layers.Convolution2D"]),
        Member("tf.keras.layers.Bidirectional", True, "a layer", "class"),
        Member("tf.keras.layers.Lambda", True, "a layer", "class"),
        Member("tf.keras.layers.Dropout", False, "creates no weights: built with no weight, "
               "and no method of Dropout ...", "class"),
        Member("tf.keras.layers.Flatten", False, "creates no weights: built with no weight, "
               "and no method of Flatten ...", "class"),
        Member("tf.keras.layers.experimental", False, "module keras.api._v2.keras.layers."
               "experimental, not a layer or function", "module"),
    ], namespaces=1), NamespaceListing("tf.nope.*", error="tf.nope does not exist in this "
                                       "release")]
    return Report("tfinit-audit", "0.1.0", dims, [v], [],
                  generated_at="2025-01-15T10:42:07Z",
                  command="tfinit-audit --versions 2.15 --symbols 'tf.keras.layers.*' "
                          "--dim filters=4")


# --------------------------------------------------------------------------------------------
# Real analysis results of every release (a snapshot of a real run)
# --------------------------------------------------------------------------------------------
ALL_RELEASES = Path(__file__).resolve().parent / "data" / "all-releases.report.json.gz"


def all_releases_document() -> dict[str, Any]:
    """report.json (compact form) of ``tfinit-audit --versions all --no-live`` over the default
    symbol set: 102 releases, 0.12.0 to 2.21.0, real analysis results (regenerate with
    ``bash scripts/make-all-releases-fixture.sh``)."""
    doc: dict[str, Any] = json.loads(gzip.decompress(ALL_RELEASES.read_bytes()))
    return doc


def all_releases_report() -> Report:
    """The report model of ``all_releases_document()``."""
    from tfinit_audit.report.json_report import load_report

    return load_report(all_releases_document())
