"""The TF-layout recipe: one forward step written over TF's own arrays and names.

``_tf_step(xp, w, ...)`` computes what the TF layer computes, from the arrays as TF stores
them (``w["kernel"]``, ``w["gates/bias"]`` ...), with the gate blocks where the gate order fact
puts them, the activations the facts name and the runtime adjustments (``forget_bias``) added
where TF adds them. ``xp`` is the array namespace: ``numpy``, ``jax.numpy`` or ``torch`` (the
code uses only what the three share). It is the NumPy target's forward, and the fallback of a
target without an equivalent module.
"""

from __future__ import annotations

import re

from tfinit_audit.port.layout import Layout
from tfinit_audit.port.plan import activation_names

# Activation name (as the facts give it) -> expression over ``x`` in the shared array API.
ACTIVATIONS: dict[str, str] = {
    "tanh": "xp.tanh(x)",
    "sigmoid": "1.0 / (1.0 + xp.exp(-x))",
    # Keras 2 backend's definition (the releases whose Keras defaults to hard_sigmoid)
    "hard_sigmoid": "xp.clip(0.2 * x + 0.5, 0.0, 1.0)",
    "relu": "xp.clip(x, 0.0, None)",
    "linear": "x",
    "softsign": "x / (1.0 + xp.abs(x))",
    "softplus": "xp.log(1.0 + xp.exp(x))",
    "exponential": "xp.exp(x)",
    "elu": "xp.where(x > 0, x, xp.exp(x) - 1.0)",
    "swish": "x / (1.0 + xp.exp(-x))",
    "silu": "x / (1.0 + xp.exp(-x))",
}
STEP_KINDS = ("lstm", "lstm_fused", "gru", "gru_fused", "rnn", "rnn_fused", "dense",
              "embedding", "batchnorm", "layernorm")


def act_fn(name: str) -> str:
    """The generated function's name for an activation."""
    return "_" + re.sub(r"\W", "_", name or "linear")


def activation_defs(names: list[str], notes: list[str]) -> list[str]:
    """``def _tanh(xp, x): ...`` for each activation used (unknown names raise when called)."""
    out: list[str] = []
    for name in dict.fromkeys(names):
        expr = ACTIVATIONS.get(name)
        out.append(f"def {act_fn(name)}(xp, x):")
        if expr is None:
            notes.append(f"activation {name!r} is not in the port's vocabulary: write "
                         f"{act_fn(name)}() in the generated module")
            out.append(f"    raise NotImplementedError('activation {name}: write it here')")
        else:
            if name == "hard_sigmoid":
                out.append("    # Keras 2's hard_sigmoid (Keras 3 defines it as x / 6 + 0.5)")
            out.append(f"    return {expr}")
        out.append("")
    return out


def recipe_activations(layout: Layout) -> list[str]:
    act, ract = activation_names(layout)
    if layout.kind in ("lstm", "lstm_fused", "gru", "gru_fused"):
        return [ract, act]
    if layout.kind in ("rnn", "rnn_fused", "dense", "conv"):
        return [act]
    return []


def state_doc(layout: Layout) -> str:
    """The state a recurrent step takes and returns, in the TF layer's own convention."""
    if layout.kind == "lstm_fused":
        return "(c, h) in the order of TF's LSTMStateTuple"
    if layout.kind == "lstm":
        return "(h, c) in Keras' order"
    return "h"


def step_args(layout: Layout) -> str:
    """The arguments of ``step`` after the target object."""
    return {"dense": "x", "conv": "x", "embedding": "ids", "batchnorm": "x, epsilon",
            "layernorm": "x, epsilon"}.get(layout.kind, "x, state")


def step_doc(layout: Layout) -> str:
    """``step``'s docstring: TF's conventions for the inputs and the state."""
    if layout.recurrent:
        return (f"One time step with TF's conventions: x [batch, {layout.input_dim}], state "
                f"{state_doc(layout)}; returns (output, new state), NumPy in and out.")
    return "One forward step with TF's conventions; NumPy in and out."


def step_recipe(layout: Layout) -> list[str]:
    """``def _tf_step(xp, w, ...)`` for the layout (empty when there is no recipe)."""
    maker = _RECIPES.get(layout.kind)
    return maker(layout) if maker else []


def _blk(expr: str, index: int, size: int) -> str:
    return f"{expr}[..., {index * size}:{(index + 1) * size}]"


def _gate_lines(layout: Layout, source: str) -> list[str]:
    u = layout.units
    return [f"    g_{g.name} = {_blk(source, g.index, u)}" for g in layout.gates]


def _gates_where(layout: Layout) -> str:
    names = ", ".join(g.name for g in layout.gates)
    return f"columns: gates {names}" + (f" ({layout.gate_where})" if layout.gate_where else "")


def _lstm_fused(layout: Layout) -> list[str]:
    act, ract = (act_fn(n) for n in activation_names(layout))
    i, f, j, o = (layout.gate(r).name for r in ("input", "forget", "candidate", "output"))
    peep = set(layout.peepholes)
    fb = layout.forget_bias
    bias = ' + w["bias"]' if layout.has("bias") else ""
    out = [
        "def _tf_step(xp, w, x, state):",
        f'    """One step in TF\'s layout: x [batch, {layout.input_dim}], state (c, h) in the '
        "order of TF's LSTMStateTuple; returns (output, (c, h)).\"\"\"",
        "    c, h = state",
        f'    z = xp.concatenate([x, h], axis=-1) @ w["kernel"]{bias}  # {_gates_where(layout)}',
        *_gate_lines(layout, "z"),
    ]
    if f"w_{i}_diag" in peep or f"w_{f}_diag" in peep:
        out.append("    # peepholes: the input and forget gates see the previous cell state")
        for g in (i, f):
            if f"w_{g}_diag" in peep:
                out.append(f'    g_{g} = g_{g} + w["w_{g}_diag"] * c')
    if fb is not None:
        out.append(f"    g_{f} = g_{f} + {fb.value!r}  # forget_bias, added in call() "
                   f"({fb.where})")
    out.append(f"    c = {ract}(xp, g_{f}) * c + {ract}(xp, g_{i}) * {act}(xp, g_{j})")
    if f"w_{o}_diag" in peep:
        out.append(f'    g_{o} = g_{o} + w["w_{o}_diag"] * c  # peephole: the new cell state')
    out.append(f"    h = {ract}(xp, g_{o}) * {act}(xp, c)")
    if layout.projection:
        out.append('    h = h @ w["projection/kernel"]  # projection (num_proj)')
    return [*out, "    return h, (c, h)", ""]


def _lstm(layout: Layout) -> list[str]:
    act, ract = (act_fn(n) for n in activation_names(layout))
    i, f, c, o = (layout.gate(r).name for r in ("input", "forget", "candidate", "output"))
    bias = ' + w["bias"]' if layout.has("bias") else ""
    return [
        "def _tf_step(xp, w, x, state):",
        f'    """One step in TF\'s layout: x [batch, {layout.input_dim}], state (h, c) in '
        'Keras\' order; returns (output, (h, c))."""',
        "    h, c = state",
        f'    z = x @ w["kernel"] + h @ w["recurrent_kernel"]{bias}  # {_gates_where(layout)}',
        *_gate_lines(layout, "z"),
        f"    c = {ract}(xp, g_{f}) * c + {ract}(xp, g_{i}) * {act}(xp, g_{c})",
        f"    h = {ract}(xp, g_{o}) * {act}(xp, c)",
        "    return h, (h, c)",
        "",
    ]


def _gru(layout: Layout) -> list[str]:
    act, ract = (act_fn(n) for n in activation_names(layout))
    z, r, hh = (layout.gate(role) for role in ("update", "reset", "candidate"))
    u = layout.units
    two_biases = layout.has("bias") and len(layout.shape("bias")) == 2
    out = [
        "def _tf_step(xp, w, x, state):",
        f'    """One step in TF\'s layout: x [batch, {layout.input_dim}], state h; returns '
        '(output, h)."""',
        "    h = state",
    ]
    b_x = ' + w["bias"][0]' if two_biases else (' + w["bias"]' if layout.has("bias") else "")
    out.append(f'    zx = x @ w["kernel"]{b_x}  # {_gates_where(layout)}')
    if layout.reset_after:
        b_h = ' + w["bias"][1]' if two_biases else ""
        where = f" ({layout.reset_where})" if layout.reset_where else ""
        out += [
            f'    zh = h @ w["recurrent_kernel"]{b_h}  # reset_after=True{where}: the reset '
            "gate scales h @ recurrent_kernel",
            f"    g_{z.name} = {ract}(xp, {_blk('zx', z.index, u)} + {_blk('zh', z.index, u)})",
            f"    g_{r.name} = {ract}(xp, {_blk('zx', r.index, u)} + {_blk('zh', r.index, u)})",
            f"    g_{hh.name} = {act}(xp, {_blk('zx', hh.index, u)} + g_{r.name} * "
            f"{_blk('zh', hh.index, u)})",
        ]
    else:
        rk = 'w["recurrent_kernel"]'
        out += [
            f"    g_{z.name} = {ract}(xp, {_blk('zx', z.index, u)} + h @ "
            f"{_blk(rk, z.index, u)})",
            f"    g_{r.name} = {ract}(xp, {_blk('zx', r.index, u)} + h @ "
            f"{_blk(rk, r.index, u)})",
            "    # reset_after=False: the reset gate scales h before the recurrent matmul",
            f"    g_{hh.name} = {act}(xp, {_blk('zx', hh.index, u)} + (g_{r.name} * h) @ "
            f"{_blk(rk, hh.index, u)})",
        ]
    out += [f"    h = g_{z.name} * h + (1.0 - g_{z.name}) * g_{hh.name}", "    return h, h", ""]
    return out


def _gru_fused(layout: Layout) -> list[str]:
    act, ract = (act_fn(n) for n in activation_names(layout))
    r, z = layout.gate("reset").name, layout.gate("update").name
    gb = ' + w["gates/bias"]' if layout.has("gates/bias") else ""
    cb = ' + w["candidate/bias"]' if layout.has("candidate/bias") else ""
    return [
        "def _tf_step(xp, w, x, state):",
        f'    """One step in TF\'s layout: x [batch, {layout.input_dim}], state h; returns '
        '(output, h)."""',
        "    h = state",
        f'    gates = {ract}(xp, xp.concatenate([x, h], axis=-1) @ w["gates/kernel"]{gb})'
        f"  # {_gates_where(layout)}",
        *_gate_lines(layout, "gates"),
        "    # the reset gate scales h before the candidate's matmul",
        f'    cand = {act}(xp, xp.concatenate([x, g_{r} * h], axis=-1) @ '
        f'w["candidate/kernel"]{cb})',
        f"    h = g_{z} * h + (1.0 - g_{z}) * cand",
        "    return h, h",
        "",
    ]


def _rnn(layout: Layout) -> list[str]:
    act = act_fn(activation_names(layout)[0])
    bias = ' + w["bias"]' if layout.has("bias") else ""
    if layout.kind == "rnn_fused":
        z = f'xp.concatenate([x, h], axis=-1) @ w["kernel"]{bias}'
    else:
        z = f'x @ w["kernel"] + h @ w["recurrent_kernel"]{bias}'
    return [
        "def _tf_step(xp, w, x, state):",
        f'    """One step in TF\'s layout: x [batch, {layout.input_dim}], state h; returns '
        '(output, h)."""',
        "    h = state",
        f"    h = {act}(xp, {z})",
        "    return h, h",
        "",
    ]


def _dense(layout: Layout) -> list[str]:
    act = act_fn(activation_names(layout)[0])
    bias = ' + w["bias"]' if layout.has("bias") else ""
    return [
        "def _tf_step(xp, w, x):",
        f'    """y = activation(x @ kernel + bias): x [batch, {layout.input_dim}]."""',
        f'    return {act}(xp, x @ w["kernel"]{bias})',
        "",
    ]


def _embedding(layout: Layout) -> list[str]:
    return [
        "def _tf_step(xp, w, ids):",
        '    """The rows of the table for integer ids."""',
        '    return w["embeddings"][ids]',
        "",
    ]


def _batchnorm(layout: Layout) -> list[str]:
    scale = ' * w["gamma"]' if layout.has("gamma") else ""
    shift = ' + w["beta"]' if layout.has("beta") else ""
    return [
        "def _tf_step(xp, w, x, epsilon):",
        '    """Inference: the moving statistics normalise x; epsilon is the layer\'s '
        'constructor argument."""',
        '    y = (x - w["moving_mean"]) / xp.sqrt(w["moving_variance"] + epsilon)',
        f"    return y{scale}{shift}",
        "",
    ]


def _layernorm(layout: Layout) -> list[str]:
    scale = ' * w["gamma"]' if layout.has("gamma") else ""
    shift = ' + w["beta"]' if layout.has("beta") else ""
    return [
        "def _tf_step(xp, w, x, epsilon):",
        '    """Normalise over the last axis; epsilon is the layer\'s constructor argument."""',
        "    mean = xp.mean(x, axis=-1, keepdims=True)",
        "    var = xp.mean((x - mean) ** 2, axis=-1, keepdims=True)",
        f"    return (x - mean) / xp.sqrt(var + epsilon){scale}{shift}",
        "",
    ]


def conv_recipe(layout: Layout) -> list[str]:
    """NumPy only: TF's convolution with padding 'valid', strides 1, dilation 1."""
    n = layout.conv_rank
    act = act_fn(activation_names(layout)[0])
    spatial = tuple(range(1, 1 + n))
    bias = ' + w["bias"]' if layout.has("bias") else ""
    win_axes = (1 + n, *range(2 + n, 2 + 2 * n))  # channels, then the window
    k_axes = (n, *range(n))
    return [
        "def _tf_step(xp, w, x):",
        f'    """TF\'s {n}-D convolution on channels-last x with padding \'valid\', strides 1, '
        "dilation 1 (the layer's defaults; other settings are constructor arguments the static "
        'answer does not carry)."""',
        '    k = w["kernel"]  # [*window, in, out]',
        f"    win = np.lib.stride_tricks.sliding_window_view(x, k.shape[:{n}], axis={spatial})",
        f"    y = np.tensordot(win, k, axes=({win_axes}, {k_axes}))",
        f"    return {act}(xp, y{bias})",
        "",
    ]


_RECIPES = {
    "lstm_fused": _lstm_fused, "lstm": _lstm, "gru": _gru, "gru_fused": _gru_fused,
    "rnn": _rnn, "rnn_fused": _rnn, "dense": _dense, "embedding": _embedding,
    "batchnorm": _batchnorm, "layernorm": _layernorm,
}
