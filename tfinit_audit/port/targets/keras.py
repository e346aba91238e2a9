"""Keras (``tf.keras`` 2 or Keras 3): the upgrade path of a TF 1.x cell's weights, and the same
initial values for any Keras layer. Draws use ``numpy.random``: a Keras initializer would take
its fans from the Keras weight's own shape, not from TF's (the concatenated kernel of a TF 1.x
cell).

==================  ===========================================================================
TF layout           Keras layer and weights
==================  ===========================================================================
lstm_fused          ``LSTMCell``: ``kernel = Wx``, ``recurrent_kernel = Wh``, gate blocks
                    reordered to (i, f, c, o), ``bias`` + the folded forget bias
lstm                ``LSTMCell`` / ``LSTM``: the same weights, gates in (i, f, c, o)
gru_fused           ``GRUCell(reset_after=False)``: kernel columns (z, r, h) from
                    ``gates/kernel`` (u, r) and ``candidate/kernel``; likewise the bias
gru                 ``GRUCell`` / ``GRU`` with the layer's ``reset_after`` and bias layout
rnn, rnn_fused      ``SimpleRNNCell`` / ``SimpleRNN``
dense, conv,        ``Dense``, ``Conv1D``-``Conv3D``, ``Embedding``, ``BatchNormalization``,
embedding, norms    ``LayerNormalization``: the same weights
==================  ===========================================================================

No equivalent (peepholes, a projection, a bare variable): the NumPy recipe.
"""

from __future__ import annotations

from tfinit_audit.port.layout import Layout
from tfinit_audit.port.plan import (
    Plan,
    TargetTable,
    activation_comment,
    activation_names,
    block,
    folded_bias,
    gate_order_comment,
    h_kernel,
    kernel_comment,
    x_kernel,
)
from tfinit_audit.port.recipe import act_fn
from tfinit_audit.port.targets.numpy import VOCABULARY as NUMPY_DRAWS

KERAS_NAMES = ("tanh", "sigmoid", "relu", "linear", "softsign", "softplus", "exponential",
               "elu", "swish", "silu")
KERAS = ["import keras  # Keras 3, or the Keras 2 that TensorFlow 2.x ships (tf.keras)"]
TENSOR = '''\
def _k(a):
    """A float32 tensor for the installed Keras (keras.ops in Keras 3, the backend in Keras 2)."""
    a = np.asarray(a, dtype=np.float32)
    ops = getattr(keras, "ops", None)
    return ops.convert_to_tensor(a) if ops is not None else keras.backend.constant(a)
'''


def keras_act(name: str, defs: list[str]) -> str:
    """The ``activation=`` argument: a Keras name, or a function for the others."""
    if name in KERAS_NAMES:
        return repr(name)
    fn = f"_keras{act_fn(name)}"
    if not any(d.startswith(f"def {fn}(") for d in defs):
        defs.append(f"def {fn}(x):\n    return {act_fn(name)}(getattr(keras, 'ops', "
                    f"keras.backend), x)\n")
    return fn


def _assign_lines(owner: str, assigns: list[tuple[str, str]]) -> list[str]:
    return [f"{owner}.{attr}.assign(np.asarray({expr}, dtype=np.float32))"
            for attr, expr in assigns]


def _rnn_cell_plan(layout: Layout, cls: str, ctor_args: str, assigns: list[tuple[str, str]],
                   head: list[str], sources: dict[str, tuple[str, ...]]) -> Plan:
    seq = layout.sequence
    layer_cls = cls.removesuffix("Cell") if seq else cls
    shape = f"(None, None, {layout.input_dim})" if seq else f"(None, {layout.input_dim})"
    owner = "layer.cell" if seq else "layer"
    body = [*head, f"layer = keras.layers.{layer_cls}({ctor_args})", f"layer.build({shape})",
            *_assign_lines(owner, assigns), "return layer"]
    return Plan(f"keras.layers.{layer_cls}", body, [], sources, imports=KERAS)


def _lstm(layout: Layout) -> Plan | str:
    if layout.peepholes:
        return "Keras' LSTMCell has no peephole connections (w_*_diag)"
    if layout.projection:
        return "Keras' LSTMCell has no projection (num_proj)"
    act, ract = activation_names(layout)
    u = layout.units
    plan_defs: list[str] = []
    order_lines, order = gate_order_comment(layout, "Keras", ("i", "f", "c", "o"),
                                            ("input", "forget", "candidate", "output"))
    fold, bias = folded_bias(layout, "Keras' LSTMCell")
    args = (f"{u}, activation={keras_act(act, plan_defs)}, "
            f"recurrent_activation={keras_act(ract, plan_defs)}, use_bias={layout.has('bias')}")
    assigns = [("kernel", f"_gates({x_kernel(layout)}, order, {u})"),
               ("recurrent_kernel", f"_gates({h_kernel(layout)}, order, {u})")]
    sources: dict[str, tuple[str, ...]] = {
        "kernel": ("kernel",),
        "recurrent_kernel": ("kernel" if layout.kind == "lstm_fused" else "recurrent_kernel",)}
    if layout.has("bias"):
        assigns.append(("bias", f"_gates({bias}, order, {u})"))
        sources["bias"] = ("bias",)
    head = [*activation_comment(layout), *kernel_comment(layout), *order_lines,
            f"order = {order}", *fold]
    plan = _rnn_cell_plan(layout, "LSTMCell", args, assigns, head, sources)
    keras_order = layout.kind == "lstm"
    plan.step = _cell_step(layout, "(h, c) in Keras' order" if keras_order
                           else "(c, h) as TF's LSTMStateTuple",
                           "h, c = state" if keras_order else "c, h = state",
                           "[_k(h), _k(c)]",
                           "(h2, c2)" if keras_order else "(c2, h2)", "h2, c2")
    plan.defs += plan_defs
    plan.uses_gates = True
    return plan


def _cell_step(layout: Layout, doc: str, unpack: str, states: str, result: str,
               new: str) -> list[str]:
    cell = "layer.cell" if layout.sequence else "layer"
    return ["def step(layer, x, state):",
            f'    """One time step with TF\'s conventions: x [batch, {layout.input_dim}], '
            f'state {doc}; NumPy in, NumPy out."""',
            f"    {unpack}",
            f"    y, new = {cell}(_k(x), {states})",
            f"    {new} = (np.asarray(s) for s in new)" if "," in new
            else f"    {new} = np.asarray(new[0])",
            f"    return np.asarray(y), {result}", ""]


def _gru(layout: Layout) -> Plan | str:
    act, ract = activation_names(layout)
    u, defs = layout.units, list[str]()
    z, r = layout.gate("update"), layout.gate("reset")
    if layout.kind == "gru_fused":
        reset_after = False
        gk, ck = 'w["gates/kernel"]', 'w["candidate/kernel"]'
        n_in = layout.input_dim
        names = ", ".join(g.name for g in layout.gates)
        head = [*activation_comment(layout),
                f"# TF 1.x GRUCell: gates/kernel columns ({names}) ({layout.gate_where}) and "
                "candidate/kernel, each over [x, h];",
                "# Keras' GRUCell(reset_after=False) keeps x and h apart, columns (z, r, h), "
                f"z<-{z.name}"]
        assigns = [("kernel", f"np.concatenate([{block(gk + f'[:{n_in}]', z.index, u)}, "
                              f"{block(gk + f'[:{n_in}]', r.index, u)}, {ck}[:{n_in}]], "
                              "axis=-1)"),
                   ("recurrent_kernel", f"np.concatenate([{block(gk + f'[{n_in}:]', z.index, u)}"
                                        f", {block(gk + f'[{n_in}:]', r.index, u)}, "
                                        f"{ck}[{n_in}:]], axis=-1)")]
        sources: dict[str, tuple[str, ...]] = {
            "kernel": ("gates/kernel", "candidate/kernel"),
            "recurrent_kernel": ("gates/kernel", "candidate/kernel")}
        if layout.has("gates/bias") and layout.has("candidate/bias"):
            gb = 'w["gates/bias"]'
            assigns.append(("bias", f"np.concatenate([{block(gb, z.index, u)}, "
                                    f"{block(gb, r.index, u)}, w[\"candidate/bias\"]], axis=-1)"))
            sources["bias"] = ("gates/bias", "candidate/bias")
        use_bias = layout.has("gates/bias")
    else:
        reset_after = bool(layout.reset_after)
        order_lines, order = gate_order_comment(layout, "Keras", ("z", "r", "h"),
                                                ("update", "reset", "candidate"))
        head = [*activation_comment(layout), *order_lines, f"order = {order}"]
        assigns = [("kernel", f'_gates(w["kernel"], order, {u})'),
                   ("recurrent_kernel", f'_gates(w["recurrent_kernel"], order, {u})')]
        sources = {"kernel": ("kernel",), "recurrent_kernel": ("recurrent_kernel",)}
        if layout.has("bias"):
            assigns.append(("bias", f'_gates(w["bias"], order, {u})'))
            sources["bias"] = ("bias",)
        use_bias = layout.has("bias")
    args = (f"{u}, activation={keras_act(act, defs)}, "
            f"recurrent_activation={keras_act(ract, defs)}, use_bias={use_bias}, "
            f"reset_after={reset_after}")
    plan = _rnn_cell_plan(layout, "GRUCell", args, assigns, head, sources)
    plan.step = _cell_step(layout, "h", "h = state", "[_k(h)]", "h2", "h2")
    plan.defs += defs
    plan.uses_gates = layout.kind == "gru"
    return plan


def _rnn(layout: Layout) -> Plan:
    act = activation_names(layout)[0]
    defs: list[str] = []
    args = f"{layout.units}, activation={keras_act(act, defs)}, use_bias={layout.has('bias')}"
    assigns = [("kernel", x_kernel(layout)), ("recurrent_kernel", h_kernel(layout))]
    sources: dict[str, tuple[str, ...]] = {
        "kernel": ("kernel",),
        "recurrent_kernel": ("kernel" if layout.kind == "rnn_fused" else "recurrent_kernel",)}
    if layout.has("bias"):
        assigns.append(("bias", 'w["bias"]'))
        sources["bias"] = ("bias",)
    head = [*activation_comment(layout), *kernel_comment(layout)]
    plan = _rnn_cell_plan(layout, "SimpleRNNCell", args, assigns, head, sources)
    plan.step = _cell_step(layout, "h", "h = state", "[_k(h)]", "h2", "h2")
    plan.defs += defs
    return plan


def _same_weights(layout: Layout, cls: str, args: str, shape: str,
                  names: dict[str, str]) -> Plan:
    """A Keras layer whose weights are TF's, unchanged: ``names`` maps TF name -> attribute."""
    assigns = [(attr, f'w["{tf}"]') for tf, attr in names.items() if tf in layout.weights]
    body = [f"layer = keras.layers.{cls}({args})", f"layer.build({shape})",
            *_assign_lines("layer", assigns), "return layer"]
    arg = "ids" if layout.kind == "embedding" else "x"
    extra = ", training=False" if layout.kind == "batchnorm" else ""
    step = [f"def step(layer, {arg}):",
            '    """One forward step; NumPy in, NumPy out."""',
            f"    return np.asarray(layer({'np.asarray(ids)' if arg == 'ids' else '_k(x)'}"
            f"{extra}))", ""]
    return Plan(f"keras.layers.{cls}", body, step,
                {attr: (tf,) for tf, attr in names.items() if tf in layout.weights},
                imports=KERAS)


def _dense(layout: Layout) -> Plan:
    defs: list[str] = []
    act = layout.activation.value
    args = (f"{layout.units}, activation={keras_act(str(act), defs) if act else None}, "
            f"use_bias={layout.has('bias')}")
    plan = _same_weights(layout, "Dense", args, f"(None, {layout.input_dim})",
                         {"kernel": "kernel", "bias": "bias"})
    plan.defs += defs
    return plan


def _conv(layout: Layout) -> Plan:
    n, defs = layout.conv_rank, list[str]()
    window = tuple(layout.shape("kernel")[:n])
    act = activation_names(layout)[0]
    args = (f"{layout.units}, {window}, activation={keras_act(act, defs)}, "
            f"use_bias={layout.has('bias')}")
    shape = "(None, " + "None, " * n + f"{layout.input_dim})"
    plan = _same_weights(layout, f"Conv{n}D", args, shape, {"kernel": "kernel", "bias": "bias"})
    plan.defs += defs
    return plan


def _embedding(layout: Layout) -> Plan:
    n, d = layout.shape("embeddings")
    return _same_weights(layout, "Embedding", f"{n}, {d}", "(None,)",
                         {"embeddings": "embeddings"})


def _norm(layout: Layout) -> Plan:
    bn = layout.kind == "batchnorm"
    c = layout.shape("moving_mean" if bn else next(iter(layout.weights)))[-1]
    args = f"center={layout.has('beta')}, scale={layout.has('gamma')}"
    names = {"gamma": "gamma", "beta": "beta", "moving_mean": "moving_mean",
             "moving_variance": "moving_variance"}
    plan = _same_weights(layout, "BatchNormalization" if bn else "LayerNormalization", args,
                         f"(None, {c})", names)
    plan.notes.append("epsilon (and momentum) are constructor arguments: set them to the "
                      "layer's own")
    return plan


PLANS = {"lstm": _lstm, "lstm_fused": _lstm, "gru": _gru, "gru_fused": _gru, "rnn": _rnn,
         "rnn_fused": _rnn, "dense": _dense, "conv": _conv, "embedding": _embedding,
         "batchnorm": _norm, "layernorm": _norm}
NO_EQUIVALENT: dict[str, str] = {}


TABLE = TargetTable("keras", NUMPY_DRAWS, PLANS, NO_EQUIVALENT, None, [TENSOR])
