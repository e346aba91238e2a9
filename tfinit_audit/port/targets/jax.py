"""JAX: ``jax.random`` draws; Flax ``linen`` modules where one is equivalent, else plain arrays.

``build(seed)`` returns a Flax variables dict (``{"params": ...}``, plus ``"batch_stats"`` for
batch normalization) for ``make_module()``; without an equivalent module it returns plain
``jax.numpy`` arrays under TF's names, for the TF-layout recipe ``step``.

==================  ===========================================================================
TF layout           flax.linen module and parameters
==================  ===========================================================================
lstm, lstm_fused    ``LSTMCell`` (``nn.RNN(LSTMCell)`` for a layer): per gate ``i*`` (x, no bias)
                    and ``h*`` (h, with the bias, + the folded forget bias), gates (i, f, g, o);
                    any activations (``gate_fn`` / ``activation_fn``)
gru (reset_after)   ``GRUCell``: ``ir``/``iz`` carry both TF biases summed, ``in`` the input bias
                    of the candidate, ``hn`` its recurrent bias (inside the reset)
rnn, rnn_fused      ``SimpleCell``: ``i`` (x, with the bias), ``h`` (h)
dense               ``Dense``: kernel, bias as TF ([in, out])
conv                ``Conv(padding="VALID")``: kernel as TF ([*k, in, out]), channels-last
embedding           ``Embed``: ``embedding``
batchnorm           ``BatchNorm``: params ``scale``/``bias``, batch_stats ``mean``/``var``
layernorm           ``LayerNorm``: ``scale``/``bias``
==================  ===========================================================================
"""

from __future__ import annotations

from tfinit_audit.port.layout import Layout
from tfinit_audit.port.plan import (
    Plan,
    TargetTable,
    Vocabulary,
    activation_comment,
    activation_names,
    folded_bias,
    gate_order_comment,
    h_kernel,
    kernel_comment,
    reset_comment,
    x_kernel,
)
from tfinit_audit.port.recipe import act_fn, step_args, step_doc

VOCABULARY = Vocabulary(
    name="jax",
    imports=["import jax", "import jax.numpy as jnp"],
    rng="keys = iter(jax.random.split(jax.random.PRNGKey(seed), {n}))",
    draws={
        "uniform": "jax.random.uniform(next(keys), {shape}, minval={low}, maxval={high})",
        "normal": "{mean} + {stddev} * jax.random.normal(next(keys), {shape})",
        "truncated_normal": "{mean} + {stddev} * jax.random.truncated_normal(next(keys), -2.0, "
                            "2.0, {shape})",
        "orthogonal": "jax.nn.initializers.orthogonal(scale={gain})(next(keys), {shape})",
        "identity": "{gain} * jnp.eye({rows}, {cols})",
        "zeros": "jnp.zeros({shape})",
        "ones": "jnp.ones({shape})",
        "constant": "jnp.full({shape}, {value})",
    },
    as_numpy="np.asarray({expr})",
    rng_note="one jax.random key per random weight, split from PRNGKey(seed)",
)

NATIVE = {"tanh": "jnp.tanh", "sigmoid": "jax.nn.sigmoid", "relu": "jax.nn.relu"}
FLAX = ["import flax.linen as nn"]


def jax_fn(name: str) -> str:
    """A JAX callable for an activation the facts name (the recipe's function otherwise)."""
    return NATIVE.get(name) or f"lambda x: {act_fn(name)}(jnp, x)"


def _module(layout: Layout, cell: str) -> list[str]:
    module = f"nn.RNN({cell})" if layout.sequence else cell
    return [f'def make_module():\n    """The flax.linen module build() initializes."""\n'
            f"    return {module}\n"]


def _cell_step(layout: Layout, carry_in: str, carry_out: str, state_doc: str) -> list[str]:
    params = 'variables["params"]["cell"]' if layout.sequence else 'variables["params"]'
    cell = "make_module().cell" if layout.sequence else "make_module()"
    return ["def step(variables, x, state):",
            f'    """One time step with TF\'s conventions: x [batch, {layout.input_dim}], '
            f'state {state_doc}; NumPy in, NumPy out."""',
            f"    carry, y = {cell}.apply({{\"params\": {params}}}, {carry_in}, jnp.asarray(x))",
            f"    return np.asarray(y), {carry_out}", ""]


def _wrap(layout: Layout) -> str:
    return '{"params": {"cell": params}}' if layout.sequence else '{"params": params}'


def _lstm(layout: Layout) -> Plan | str:
    if layout.peepholes:
        return "flax.linen.LSTMCell has no peephole connections (w_*_diag)"
    if layout.projection:
        return "flax.linen.LSTMCell has no projection (num_proj)"
    act, ract = activation_names(layout)
    u = layout.units
    order_lines, order = gate_order_comment(layout, "flax", ("i", "f", "g", "o"),
                                            ("input", "forget", "candidate", "output"))
    fold, bias = folded_bias(layout, "flax.linen.LSTMCell")
    pairs = tuple(zip("ifgo", order, strict=True))
    body = [*activation_comment(layout), *kernel_comment(layout), *order_lines, *fold,
            f"wx, wh = {x_kernel(layout)}, {h_kernel(layout)}"]
    if layout.has("bias"):
        body.append(f"b = {bias}")
    else:
        body.append(f"b = np.zeros({4 * u}, np.float32)  # use_bias=False: flax's biases stay 0")
    body += ["# flax: i* take x (no bias), h* take h (with the bias)", "params = {}",
             f"for gate, k in {pairs}:",
             f'    cols = slice(k * {u}, (k + 1) * {u})',
             '    params["i" + gate] = {"kernel": jnp.asarray(wx[:, cols])}',
             '    params["h" + gate] = {"kernel": jnp.asarray(wh[:, cols]), '
             '"bias": jnp.asarray(b[cols])}',
             f"return {_wrap(layout)}"]
    cell = (f"nn.LSTMCell(features={u}, gate_fn={jax_fn(ract)}, "
            f"activation_fn={jax_fn(act)})")
    keras_order = layout.kind == "lstm"
    carry_in = ("(jnp.asarray(state[1]), jnp.asarray(state[0]))" if keras_order
                else "(jnp.asarray(state[0]), jnp.asarray(state[1]))")
    carry_out = ("(np.asarray(carry[1]), np.asarray(carry[0]))" if keras_order
                 else "(np.asarray(carry[0]), np.asarray(carry[1]))")
    doc = "(h, c) in Keras' order" if keras_order else "(c, h) as TF's LSTMStateTuple"
    prefix = "cell/" if layout.sequence else ""
    wh_src = "kernel" if layout.kind == "lstm_fused" else "recurrent_kernel"
    sources: dict[str, tuple[str, ...]] = {f"{prefix}i{g}/kernel": ("kernel",) for g in "ifgo"}
    for g in "ifgo":
        sources[f"{prefix}h{g}/kernel"] = (wh_src,)
        sources[f"{prefix}h{g}/bias"] = ("bias",) if layout.has("bias") else ()
    return Plan("Flax variables for " + ("nn.RNN(nn.LSTMCell)" if layout.sequence
                                         else "nn.LSTMCell"),
                body, _cell_step(layout, carry_in, carry_out, doc), sources, imports=FLAX,
                defs=_module(layout, cell))


def _gru(layout: Layout) -> Plan | str:
    if not layout.reset_after:
        return ("flax.linen.GRUCell applies the reset gate after the recurrent matmul; this "
                "layer applies it to h before (reset_after=False)")
    act, ract = activation_names(layout)
    u = layout.units
    order_lines, (r, z, n) = gate_order_comment(layout, "flax", ("r", "z", "n"),
                                                ("reset", "update", "candidate"))
    two = layout.has("bias") and len(layout.shape("bias")) == 2
    body = [*activation_comment(layout), *reset_comment(layout, "flax.linen.GRUCell"),
            *order_lines, 'k, rk = w["kernel"], w["recurrent_kernel"]']
    if two:
        body.append('b_x, b_h = w["bias"][0], w["bias"][1]  # added to x @ kernel / '
                    "h @ recurrent_kernel")
    elif layout.has("bias"):
        body.append(f'b_x, b_h = w["bias"], np.zeros({3 * u}, np.float32)')
    else:
        body.append(f"b_x = b_h = np.zeros({3 * u}, np.float32)  # use_bias=False")

    def c(k: int) -> str:
        return f"{k * u}:{(k + 1) * u}"

    body += [
        "# flax sums x- and h-terms for r and z with one bias: TF's two biases are added",
        "params = {",
        f'    "ir": {{"kernel": jnp.asarray(k[:, {c(r)}]), "bias": jnp.asarray(b_x[{c(r)}] + '
        f"b_h[{c(r)}])}},",
        f'    "iz": {{"kernel": jnp.asarray(k[:, {c(z)}]), "bias": jnp.asarray(b_x[{c(z)}] + '
        f"b_h[{c(z)}])}},",
        f'    "in": {{"kernel": jnp.asarray(k[:, {c(n)}]), "bias": jnp.asarray(b_x[{c(n)}])}},',
        f'    "hr": {{"kernel": jnp.asarray(rk[:, {c(r)}])}},',
        f'    "hz": {{"kernel": jnp.asarray(rk[:, {c(z)}])}},',
        f'    "hn": {{"kernel": jnp.asarray(rk[:, {c(n)}]), "bias": jnp.asarray(b_h[{c(n)}])}},'
        "  # inside the reset",
        "}", f"return {_wrap(layout)}"]
    cell = f"nn.GRUCell(features={u}, gate_fn={jax_fn(ract)}, activation_fn={jax_fn(act)})"
    p = "cell/" if layout.sequence else ""
    b = ("bias",) if layout.has("bias") else ()
    sources: dict[str, tuple[str, ...]] = {
               f"{p}ir/kernel": ("kernel",), f"{p}iz/kernel": ("kernel",),
               f"{p}in/kernel": ("kernel",), f"{p}hr/kernel": ("recurrent_kernel",),
               f"{p}hz/kernel": ("recurrent_kernel",), f"{p}hn/kernel": ("recurrent_kernel",),
               f"{p}ir/bias": b, f"{p}iz/bias": b, f"{p}in/bias": b, f"{p}hn/bias": b}
    step = _cell_step(layout, "jnp.asarray(state)", "np.asarray(carry)", "h")
    return Plan("Flax variables for " + ("nn.RNN(nn.GRUCell)" if layout.sequence
                                         else "nn.GRUCell"),
                body, step, sources, imports=FLAX, defs=_module(layout, cell))


def _rnn(layout: Layout) -> Plan:
    act = activation_names(layout)[0]
    u = layout.units
    bias = 'w["bias"]' if layout.has("bias") else f"np.zeros({u}, np.float32)"
    body = [*activation_comment(layout), *kernel_comment(layout),
            "# flax SimpleCell: i takes x (with the bias), h takes h",
            f'params = {{"i": {{"kernel": jnp.asarray({x_kernel(layout)}), '
            f'"bias": jnp.asarray({bias})}},',
            f'          "h": {{"kernel": jnp.asarray({h_kernel(layout)})}}}}',
            f"return {_wrap(layout)}"]
    cell = f"nn.SimpleCell(features={u}, activation_fn={jax_fn(act)})"
    p = "cell/" if layout.sequence else ""
    sources: dict[str, tuple[str, ...]] = {
               f"{p}i/kernel": ("kernel",), f"{p}i/bias": ("bias",) if layout.has("bias") else (),
               f"{p}h/kernel": ("kernel" if layout.kind == "rnn_fused" else "recurrent_kernel",)}
    step = _cell_step(layout, "jnp.asarray(state)", "np.asarray(carry)", "h")
    return Plan("Flax variables for " + ("nn.RNN(nn.SimpleCell)" if layout.sequence
                                         else "nn.SimpleCell"),
                body, step, sources, imports=FLAX, defs=_module(layout, cell))


def _layer(module: str, body: list[str], sources: dict[str, tuple[str, ...]],
           step: list[str]) -> Plan:
    defs = [f'def make_module():\n    """The flax.linen module build() initializes."""\n'
            f"    return {module}\n"]
    return Plan(f"Flax variables for {module.split('(')[0]}", body, step, sources,
                imports=FLAX, defs=defs)


def _apply_step(arg: str, act: str | None) -> list[str]:
    y = f"make_module().apply(variables, jnp.asarray({arg}))"
    return [f"def step(variables, {arg}):",
            '    """One forward step with TF\'s conventions; NumPy in, NumPy out."""',
            f"    return np.asarray({f'{act_fn(act)}(jnp, {y})' if act else y})", ""]


def _dense(layout: Layout) -> Plan:
    b = layout.has("bias")
    body = ['params = {"kernel": jnp.asarray(w["kernel"])}  # [in, out], as TF']
    if b:
        body.append('params["bias"] = jnp.asarray(w["bias"])')
    return _layer(f"nn.Dense(features={layout.units}, use_bias={b})",
                  [*body, 'return {"params": params}'],
                  {"kernel": ("kernel",), **({"bias": ("bias",)} if b else {})},
                  _apply_step("x", activation_names(layout)[0]))


def _conv(layout: Layout) -> Plan:
    b = layout.has("bias")
    window = tuple(layout.shape("kernel")[:layout.conv_rank])
    body = ['params = {"kernel": jnp.asarray(w["kernel"])}  # [*k, in, out], as TF']
    if b:
        body.append('params["bias"] = jnp.asarray(w["bias"])')
    module = (f'nn.Conv(features={layout.units}, kernel_size={window}, padding="VALID", '
              f"use_bias={b})")
    return _layer(module, [*body, 'return {"params": params}'],
                  {"kernel": ("kernel",), **({"bias": ("bias",)} if b else {})},
                  _apply_step("x", activation_names(layout)[0]))


def _embedding(layout: Layout) -> Plan:
    n, d = layout.shape("embeddings")
    return _layer(f"nn.Embed(num_embeddings={n}, features={d})",
                  ['return {"params": {"embedding": jnp.asarray(w["embeddings"])}}'],
                  {"embedding": ("embeddings",)}, _apply_step("ids", None))


def _norm(layout: Layout) -> Plan:
    bn = layout.kind == "batchnorm"
    g, b = layout.has("gamma"), layout.has("beta")
    params = []
    if g:
        params.append('"scale": jnp.asarray(w["gamma"])')
    if b:
        params.append('"bias": jnp.asarray(w["beta"])')
    body = [f"params = {{{', '.join(params)}}}"]
    sources = {**({"scale": ("gamma",)} if g else {}), **({"bias": ("beta",)} if b else {})}
    if bn:
        body += ['stats = {"mean": jnp.asarray(w["moving_mean"]), '
                 '"var": jnp.asarray(w["moving_variance"])}',
                 'return {"params": params, "batch_stats": stats}']
        sources.update({"batch_stats/mean": ("moving_mean",),
                        "batch_stats/var": ("moving_variance",)})
        module = f"nn.BatchNorm(use_running_average=True, use_scale={g}, use_bias={b}"
    else:
        body.append('return {"params": params}')
        module = f"nn.LayerNorm(use_scale={g}, use_bias={b}"
    defs = ["def make_module(epsilon):\n"
            "    \"\"\"The flax.linen module; epsilon is the layer's constructor argument.\"\"\"\n"
            f"    return {module}, epsilon=epsilon)\n"]
    step = ["def step(variables, x, epsilon):",
            '    """Inference with the layer\'s epsilon; NumPy in, NumPy out."""',
            "    return np.asarray(make_module(epsilon).apply(variables, jnp.asarray(x)))", ""]
    return Plan(f"Flax variables for nn.{'BatchNorm' if bn else 'LayerNorm'}", body, step,
                sources, imports=FLAX, defs=defs)


PLANS = {"lstm": _lstm, "lstm_fused": _lstm, "gru": _gru, "rnn": _rnn, "rnn_fused": _rnn,
         "dense": _dense, "conv": _conv, "embedding": _embedding, "batchnorm": _norm,
         "layernorm": _norm}
NO_EQUIVALENT = {
    "gru_fused": "flax.linen.GRUCell applies the reset gate after the recurrent matmul; TF "
                 "1.x's GRUCell applies it to h before the candidate's matmul",
}


def recipe_plan(layout: Layout, reason: str) -> Plan:
    """Plain jax.numpy arrays under TF's names, with TF's forward (the recipe) in jax.numpy."""
    args = step_args(layout)
    step = [f"def step(w, {args}):", f'    """{step_doc(layout)}"""',
            f"    return jax.tree_util.tree_map(np.asarray, _tf_step(jnp, w, {args}))", ""]
    return Plan("dict of jax.numpy arrays named and laid out as TF stores them",
                ["return {name: jnp.asarray(w[name]) for name in TF_SHAPES}"], step,
                {n: (n,) for n in layout.weights}, equivalent=False,
                notes=[f"no flax.linen equivalent: {reason}; build() returns plain "
                       "jax.random arrays in TF's layout"])


TABLE = TargetTable("jax", VOCABULARY, PLANS, NO_EQUIVALENT, recipe_plan)
