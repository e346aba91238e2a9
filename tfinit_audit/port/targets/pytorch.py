"""PyTorch: which ``torch`` call draws which distribution, which ``torch.nn`` module holds which
TF weight.

==================  ===========================================================================
TF layout           torch.nn module and parameters
==================  ===========================================================================
lstm, lstm_fused    ``LSTMCell`` (a cell) / ``LSTM(batch_first=True)`` (a layer, or with a
                    projection: ``proj_size``): ``weight_ih = Wx.T``, ``weight_hh = Wh.T`` with
                    the gate blocks reordered to (i, f, g, o), ``bias_ih`` = TF's bias (+ the
                    folded forget bias), ``bias_hh = 0``, ``weight_hr = projection.T``
gru (reset_after)   ``GRUCell`` / ``GRU``: gates reordered to (r, z, n); ``bias_ih = bias[0]``,
                    ``bias_hh = bias[1]``
rnn, rnn_fused      ``RNNCell`` / ``RNN(nonlinearity=tanh|relu)``; ``bias_hh = 0``
dense               ``Linear``: ``weight = kernel.T``
conv                ``Conv1d``/``Conv2d``/``Conv3d``: ``weight`` = kernel ``[*k, in, out]``
                    -> ``[out, in, *k]``; inputs channels-last -> channels-first
embedding           ``Embedding``: ``weight = embeddings``
batchnorm           ``BatchNorm1d``: ``weight = gamma``, ``bias = beta``, ``running_mean``,
                    ``running_var``
layernorm           ``LayerNorm``: ``weight = gamma``, ``bias = beta``
==================  ===========================================================================

No equivalent (peepholes; a GRU that resets before the recurrent matmul; gate activations other
than sigmoid/tanh; a bare variable): a ``torch.nn.Module`` holding TF's arrays under TF's names,
whose ``forward`` is the TF-layout recipe (``port/recipe.py``).
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
    name="pytorch",
    imports=["import torch"],
    rng="g = torch.Generator().manual_seed(seed)",
    draws={
        "uniform": "torch.empty({shape}).uniform_({low}, {high}, generator=g)",
        "normal": "torch.empty({shape}).normal_({mean}, {stddev}, generator=g)",
        "truncated_normal": "torch.nn.init.trunc_normal_(torch.empty({shape}), {mean}, "
                            "{stddev}, {a}, {b}, generator=g)",
        "orthogonal": "torch.nn.init.orthogonal_(torch.empty({rows}, {cols}), {gain}, "
                      "generator=g).reshape({shape})",
        "identity": "{gain} * torch.eye({rows}, {cols})",
        "zeros": "torch.zeros({shape})",
        "ones": "torch.ones({shape})",
        "constant": "torch.full({shape}, {value})",
    },
    as_numpy="{expr}.numpy()",
    rng_note="a torch.Generator seeded with seed (torch >= 2.2 for generator= in torch.nn.init)",
)

TO_TENSOR = '''\
def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float32))
'''


def _suffix(seq: bool) -> str:
    return "_l0" if seq else ""


def _lstm(layout: Layout) -> Plan | str:
    act, ract = activation_names(layout)
    if layout.peepholes:
        return "torch.nn.LSTM has no peephole connections (w_*_diag)"
    if (act, ract) != ("tanh", "sigmoid"):
        return (f"torch.nn.LSTM applies sigmoid to the gates and tanh to the candidate; this "
                f"layer uses {ract} and {act}")
    proj = layout.projection
    seq = layout.sequence or proj is not None
    u, sfx, bias_on = layout.units, _suffix(seq), layout.has("bias")
    order_lines, order = gate_order_comment(layout, "torch", ("i", "f", "g", "o"),
                                            ("input", "forget", "candidate", "output"))
    fold, bias = folded_bias(layout, "torch.nn.LSTM")
    if seq:
        ctor = (f"m = torch.nn.LSTM({layout.input_dim}, {u}, bias={bias_on}, batch_first=True"
                + (f", proj_size={proj})" if proj else ")"))
    else:
        ctor = f"m = torch.nn.LSTMCell({layout.input_dim}, {u}, bias={bias_on})"
    body = [*activation_comment(layout), *kernel_comment(layout), *order_lines,
            f"order = {order}", *fold, ctor, "with torch.no_grad():",
            f"    m.weight_ih{sfx}.copy_(_t(_gates({x_kernel(layout)}, order, {u}).T))"
            "  # torch stores [out, in]",
            f"    m.weight_hh{sfx}.copy_(_t(_gates({h_kernel(layout)}, order, {u}).T))"]
    sources: dict[str, tuple[str, ...]] = {
        f"weight_ih{sfx}": ("kernel",),
        f"weight_hh{sfx}": ("kernel" if layout.kind == "lstm_fused" else "recurrent_kernel",)}
    if bias_on:
        body += [f"    m.bias_ih{sfx}.copy_(_t(_gates({bias}, order, {u})))",
                 f"    m.bias_hh{sfx}.zero_()  # TF has one bias, torch adds two: this one "
                 "stays 0"]
        sources.update({f"bias_ih{sfx}": ("bias",), f"bias_hh{sfx}": ()})
    if proj:
        body.append(f'    m.weight_hr{sfx}.copy_(_t(w["projection/kernel"].T))  # projection')
        sources[f"weight_hr{sfx}"] = ("projection/kernel",)
    keras_order = layout.kind == "lstm"
    return Plan(f"torch.nn.{'LSTM' if seq else 'LSTMCell'}", [*body, "return m"],
                _lstm_step(layout, seq, keras_order), sources, uses_gates=True)


def _lstm_step(layout: Layout, seq: bool, keras_order: bool) -> list[str]:
    state = "(h, c) in Keras' order" if keras_order else "(c, h) as TF's LSTMStateTuple"
    out = ["def step(model, x, state):",
           f'    """One time step with TF\'s conventions: x [batch, {layout.input_dim}], state '
           f'{state}; returns (output, new state) as NumPy arrays."""',
           "    h, c = state" if keras_order else "    c, h = state",
           "    with torch.no_grad():"]
    if seq:
        out += ["        _, (h2, c2) = model(_t(x)[:, None, :], (_t(h)[None], _t(c)[None]))",
                "    h2, c2 = h2[0].numpy(), c2[0].numpy()"]
    else:
        out += ["        h2, c2 = model(_t(x), (_t(h), _t(c)))",
                "    h2, c2 = h2.numpy(), c2.numpy()"]
    out.append("    return h2, (h2, c2)" if keras_order else "    return h2, (c2, h2)")
    return [*out, ""]


def _gru(layout: Layout) -> Plan | str:
    act, ract = activation_names(layout)
    if not layout.reset_after:
        return ("torch.nn.GRU applies the reset gate after the recurrent matmul (Keras "
                "reset_after=True); this layer applies it to h before (reset_after=False)")
    if (act, ract) != ("tanh", "sigmoid"):
        return (f"torch.nn.GRU applies sigmoid to the gates and tanh to the candidate; this "
                f"layer uses {ract} and {act}")
    seq, u = layout.sequence, layout.units
    sfx = _suffix(seq)
    order_lines, order = gate_order_comment(layout, "torch", ("r", "z", "n"),
                                            ("reset", "update", "candidate"))
    cls = "GRU" if seq else "GRUCell"
    extra = ", batch_first=True" if seq else ""
    body = [*activation_comment(layout), *reset_comment(layout, "torch.nn.GRU"), *order_lines,
            f"order = {order}",
            f"m = torch.nn.{cls}({layout.input_dim}, {u}, bias={layout.has('bias')}{extra})",
            "with torch.no_grad():",
            f'    m.weight_ih{sfx}.copy_(_t(_gates(w["kernel"], order, {u}).T))',
            f'    m.weight_hh{sfx}.copy_(_t(_gates(w["recurrent_kernel"], order, {u}).T))']
    sources: dict[str, tuple[str, ...]] = {f"weight_ih{sfx}": ("kernel",),
                                           f"weight_hh{sfx}": ("recurrent_kernel",)}
    if layout.has("bias"):
        two = len(layout.shape("bias")) == 2
        body.append(f"    # bias {layout.shape('bias')}: " + (
            "row 0 is added to x @ kernel, row 1 to h @ recurrent_kernel (inside the reset)"
            if two else "one bias, added to x @ kernel"))
        body.append(f'    m.bias_ih{sfx}.copy_(_t(_gates(w["bias"]{"[0]" if two else ""}, '
                    f"order, {u})))")
        body.append(f'    m.bias_hh{sfx}.copy_(_t(_gates(w["bias"][1], order, {u})))' if two
                    else f"    m.bias_hh{sfx}.zero_()")
        sources.update({f"bias_ih{sfx}": ("bias",), f"bias_hh{sfx}": ("bias",) if two else ()})
    return Plan(f"torch.nn.{cls}", [*body, "return m"], _single_state_step(layout, seq),
                sources, uses_gates=True)


def _single_state_step(layout: Layout, seq: bool) -> list[str]:
    call = ("        _, h2 = model(_t(x)[:, None, :], _t(h)[None])\n    h2 = h2[0].numpy()"
            if seq else "        h2 = model(_t(x), _t(h)).numpy()")
    return ["def step(model, x, state):",
            f'    """One time step with TF\'s conventions: x [batch, {layout.input_dim}], '
            'state h; returns (output, new state) as NumPy arrays."""',
            "    h = state", "    with torch.no_grad():", *call.split("\n"),
            "    return h2, h2", ""]


def _rnn(layout: Layout) -> Plan | str:
    act = activation_names(layout)[0]
    if act not in ("tanh", "relu"):
        return f"torch.nn.RNN applies tanh or relu; this layer applies {act}"
    seq, u = layout.sequence, layout.units
    sfx, cls = _suffix(seq), "RNN" if layout.sequence else "RNNCell"
    extra = ", batch_first=True" if seq else ""
    body = [*activation_comment(layout), *kernel_comment(layout),
            f"m = torch.nn.{cls}({layout.input_dim}, {u}, bias={layout.has('bias')}, "
            f"nonlinearity={act!r}{extra})",
            "with torch.no_grad():",
            f"    m.weight_ih{sfx}.copy_(_t({x_kernel(layout)}.T))",
            f"    m.weight_hh{sfx}.copy_(_t({h_kernel(layout)}.T))"]
    sources: dict[str, tuple[str, ...]] = {
        f"weight_ih{sfx}": ("kernel",),
        f"weight_hh{sfx}": ("kernel" if layout.kind == "rnn_fused" else "recurrent_kernel",)}
    if layout.has("bias"):
        body += [f'    m.bias_ih{sfx}.copy_(_t(w["bias"]))',
                 f"    m.bias_hh{sfx}.zero_()  # TF has one bias, torch adds two"]
        sources.update({f"bias_ih{sfx}": ("bias",), f"bias_hh{sfx}": ()})
    return Plan(f"torch.nn.{cls}", [*body, "return m"], _single_state_step(layout, seq),
                sources)


def _dense(layout: Layout) -> Plan:
    act = act_fn(activation_names(layout)[0])
    bias_on = layout.has("bias")
    body = [f"m = torch.nn.Linear({layout.input_dim}, {layout.units}, bias={bias_on})",
            "with torch.no_grad():",
            '    m.weight.copy_(_t(w["kernel"].T))  # TF [in, out] -> torch [out, in]']
    if bias_on:
        body.append('    m.bias.copy_(_t(w["bias"]))')
    step = ["def step(model, x):",
            f'    """y = activation(x @ kernel + bias) with TF\'s activation ({act[1:]}); '
            'torch.nn.Linear has none."""',
            "    with torch.no_grad():",
            f"        return {act}(torch, model(_t(x))).numpy()", ""]
    sources = {"weight": ("kernel",), **({"bias": ("bias",)} if bias_on else {})}
    return Plan("torch.nn.Linear", [*body, "return m"], step, sources)


def _conv(layout: Layout) -> Plan:
    n, act = layout.conv_rank, act_fn(activation_names(layout)[0])
    window = tuple(layout.shape("kernel")[:n])
    perm = (n + 1, n, *range(n))
    to_first, to_last = (0, n + 1, *range(1, n + 1)), (0, *range(2, n + 2), 1)
    bias_on = layout.has("bias")
    body = [f"m = torch.nn.Conv{n}d({layout.input_dim}, {layout.units}, kernel_size={window}, "
            f"bias={bias_on})  # padding 0, stride 1: TF's 'valid' default",
            "with torch.no_grad():",
            f'    m.weight.copy_(_t(np.transpose(w["kernel"], {perm})))  # TF [*k, in, out] -> '
            "torch [out, in, *k]"]
    if bias_on:
        body.append('    m.bias.copy_(_t(w["bias"]))')
    step = ["def step(model, x):",
            "    \"\"\"TF's channels-last x -> torch's channels-first and back; TF's "
            f'activation ({act[1:]})."""',
            "    with torch.no_grad():",
            f"        y = model(_t(x).permute{to_first}).permute{to_last}",
            f"        return {act}(torch, y).numpy()", ""]
    sources = {"weight": ("kernel",), **({"bias": ("bias",)} if bias_on else {})}
    return Plan(f"torch.nn.Conv{n}d", [*body, "return m"], step, sources)


def _embedding(layout: Layout) -> Plan:
    n, d = layout.shape("embeddings")
    body = [f"m = torch.nn.Embedding({n}, {d})", "with torch.no_grad():",
            '    m.weight.copy_(_t(w["embeddings"]))', "return m"]
    step = ["def step(model, ids):", '    """The rows of the table for integer ids."""',
            "    with torch.no_grad():",
            "        return model(torch.as_tensor(np.asarray(ids), dtype=torch.long)).numpy()", ""]
    return Plan("torch.nn.Embedding", body, step, {"weight": ("embeddings",)})


def _norm(layout: Layout) -> Plan:
    bn = layout.kind == "batchnorm"
    c = layout.shape("moving_mean" if bn else next(iter(layout.weights)))[-1]
    g, b = layout.has("gamma"), layout.has("beta")
    if bn:
        ctor = f"m = torch.nn.BatchNorm1d({c}, affine={g or b})"
    else:
        ctor = f"m = torch.nn.LayerNorm({c}, elementwise_affine={g or b}, bias={b})"
    body = ["# set eps (and momentum) to the layer's own constructor arguments: they are not "
            "part of the initial values", ctor, "with torch.no_grad():"]
    sources: dict[str, tuple[str, ...]] = {}
    for attr, name, fill in (("weight", "gamma", "fill_(1.0)"), ("bias", "beta", "zero_()")):
        if name in layout.weights:
            body.append(f'    m.{attr}.copy_(_t(w["{name}"]))')
            sources[attr] = (name,)
        elif (g or b) and (bn or attr == "weight"):
            body.append(f"    m.{attr}.{fill}  # TF has no {name}")
    if bn:
        body += ['    m.running_mean.copy_(_t(w["moving_mean"]))',
                 '    m.running_var.copy_(_t(w["moving_variance"]))']
        sources.update({"running_mean": ("moving_mean",), "running_var": ("moving_variance",)})
        call = ("torch.nn.functional.batch_norm(_t(x), model.running_mean, model.running_var, "
                "model.weight, model.bias, False, 0.0, epsilon)")
    else:
        call = ("torch.nn.functional.layer_norm(_t(x), model.normalized_shape, model.weight, "
                "model.bias, epsilon)")
    step = ["def step(model, x, epsilon):",
            "    \"\"\"Inference with the layer's epsilon (a constructor argument).\"\"\"",
            "    with torch.no_grad():", f"        return {call}.numpy()", ""]
    cls = "BatchNorm1d" if bn else "LayerNorm"
    return Plan(f"torch.nn.{cls}", [*body, "return m"], step, sources)


PLANS = {"lstm": _lstm, "lstm_fused": _lstm, "gru": _gru, "rnn": _rnn, "rnn_fused": _rnn,
         "dense": _dense, "conv": _conv, "embedding": _embedding, "batchnorm": _norm,
         "layernorm": _norm}
NO_EQUIVALENT = {
    "gru_fused": "torch.nn.GRUCell applies the reset gate after the recurrent matmul; TF 1.x's "
                 "GRUCell applies it to h before the candidate's matmul",
}

RECIPE_MODULE = '''\
class TFLayout(torch.nn.Module):
    """The weights under TF's names and in TF's layout ("/" becomes "__" in attribute names);
    forward() is TF's computation (_tf_step)."""

    def __init__(self, arrays):
        super().__init__()
        self.tf_names = list(arrays)
        for name in self.tf_names:
            self.register_parameter(name.replace("/", "__"), torch.nn.Parameter(_t(arrays[name])))

    def tf_weights(self):
        return {name: getattr(self, name.replace("/", "__")) for name in self.tf_names}

    def forward(self, *args):
        return _tf_step(torch, self.tf_weights(), *args)


def _np(tree):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_np(t) for t in tree)
    return tree.detach().numpy()
'''


def recipe_plan(layout: Layout, reason: str) -> Plan:
    """A torch module holding TF's arrays, with TF's forward: the cell the user needs when
    torch.nn has no equivalent."""
    args = step_args(layout)
    tensors = "_t(x), (tuple(_t(s) for s in state) if isinstance(state, tuple) else _t(state))"
    call = {"x, state": tensors, "x": "_t(x)", "ids": "torch.as_tensor(np.asarray(ids))",
            "x, epsilon": "_t(x), epsilon"}[args]
    step = ["def step(model, " + args + "):", f'    """{step_doc(layout)}"""',
            "    with torch.no_grad():", f"        return _np(model({call}))", ""]
    return Plan("TFLayout (a torch.nn.Module in TF's layout)",
                ["return TFLayout({name: w[name] for name in TF_SHAPES})"], step,
                {n.replace("/", "__"): (n,) for n in layout.weights}, equivalent=False,
                defs=[RECIPE_MODULE], notes=[f"no torch.nn equivalent: {reason}"])


TABLE = TargetTable("pytorch", VOCABULARY, PLANS, NO_EQUIVALENT, recipe_plan, [TO_TENSOR])
