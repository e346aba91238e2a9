"""Write the port module: draws in TF's layout, the mapping onto the target, step, convert.

The module's functions, in order: ``tf_weights(seed)`` (every weight under TF's name, drawn with
TF's distribution for TF's shape, one comment per weight citing its provenance), ``to_target(w)``
(layout transforms, gate reordering and folded runtime adjustments, each commented),
``build(seed) = to_target(tf_weights(seed))``, ``step`` (a forward step with TF's conventions),
and with ``convert``: ``convert(arrays)``, which finds each weight in a checkpoint's arrays by
its TF name and maps it the same way.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass

from tfinit_audit._version import __version__
from tfinit_audit.analysis.model import Weight
from tfinit_audit.port.draws import Draw, WeightDraw, weight_draw
from tfinit_audit.port.layout import Layout
from tfinit_audit.port.plan import Plan, Vocabulary, activation_comment
from tfinit_audit.port.recipe import activation_defs, conv_recipe, recipe_activations, step_recipe

GATES_HELPER = '''\
def _gates(a, order, size):
    """Gate blocks of ``a`` (last axis, ``size`` columns each) in ``order`` of TF's block
    indexes: a[..., k*size:(k+1)*size] for k in order."""
    return np.concatenate([a[..., k * size:(k + 1) * size] for k in order], axis=-1)
'''

CONVERT = '''\
def convert(arrays):
    """A TF checkpoint's arrays for this layer -> the same target object build() returns.

    ``arrays``: {name: array} as TF stores them, e.g. from a checkpoint
    (``reader = tf.train.load_checkpoint(path)``;
    ``{n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}``) or from a layer
    (``{v.name: v.numpy() for v in layer.weights}``). Keys may carry scopes and ``:0``
    (``rnn/lstm_cell/kernel``, ``lstm/lstm_cell/kernel:0``); each weight is the one key that
    ends with its TF name. Pass only this layer's arrays when a checkpoint holds several.
    """
    return to_target({name: _pick(arrays, name) for name in TF_SHAPES})


def _tf_key(key):
    key = str(key)
    for suffix in ("/.ATTRIBUTES/VARIABLE_VALUE", ":0"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return key


def _pick(arrays, name):
    hits = []
    for key in arrays:
        k = _tf_key(key)
        if k != name and not k.endswith("/" + name):
            continue
        longer = [n for n in TF_SHAPES if n != name and n.endswith("/" + name) and
                  (k == n or k.endswith("/" + n))]
        if not longer:  # e.g. "kernel" must not take "projection/kernel"
            hits.append(key)
    if len(hits) != 1:
        raise ValueError("%s: %d keys end with %r: %s" % (
            SYMBOL, len(hits), name, sorted(hits) or sorted(arrays)))
    array = np.asarray(arrays[hits[0]], dtype=np.float32)
    if array.shape != TF_SHAPES[name]:
        raise ValueError("%s: %s has shape %s, this port was generated for %s (rerun "
                         "tfinit-audit port with the layer's --units/--input-dim)" % (
                             SYMBOL, hits[0], array.shape, TF_SHAPES[name]))
    return array
'''

SUMMARY = {
    "pytorch": ["for name, value in target.state_dict().items():",
                "    print(name, tuple(value.shape))"],
    "jax": ["print(jax.tree_util.tree_map(lambda a: a.shape, target))"],
    "keras": ["for v in target.weights:", "    print(v.name, tuple(v.shape))"],
    "numpy": ["for name, array in target.items():", "    print(name, array.shape, array.dtype)"],
}


@dataclass
class Context:
    """What the module is about: the layout, its plan for one target, the draw vocabulary."""

    layout: Layout
    plan: Plan
    vocab: Vocabulary
    target: str  # the target asked for
    summary: str  # SUMMARY key: the vocabulary of what build() returns
    release: str
    command: str
    convert: bool
    notes: list[str]


# ----------------------------------------------------------------------------------- draws
def _shape(shape: list[int]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def draw_expr(vocab: Vocabulary, d: Draw) -> str:
    rows, cols = d.rows_cols
    a, b = d.mean - 2.0 * d.stddev, d.mean + 2.0 * d.stddev
    fields = {"shape": _shape(d.shape), "rows": rows, "cols": cols, "low": repr(d.low),
              "high": repr(d.high), "mean": repr(d.mean), "stddev": repr(d.stddev),
              "a": repr(a), "b": repr(b), "gain": repr(d.gain), "value": repr(d.value)}
    return vocab.draws[d.family].format(**fields)


def _hop(weight: Weight, index: int) -> str:
    h = weight.provenance[index]
    code = h.code if len(h.code) <= 70 else h.code[:67] + "..."
    return f"{h.path}:{h.line}  {code}"


def weight_comment(wd: WeightDraw, compact: bool) -> list[str]:
    w = wd.weight
    init = w.initializer
    params = ", ".join(f"{k}={v}" for k, v in init.params.items() if k != "parts")
    head = f"# {w.name} {list(w.shape or [])}: {init.kind}" + (f" ({params})" if params else "")
    head += " [None-fallback]" if w.fallback else ""
    if init.kind == "composite":
        head += ": " + ", ".join(f"{p.kind} [{p.start}:{p.stop}]" for p in wd.parts)
    lines = [head]
    lines += [f"#   {p.draw.formula}" for p in wd.parts if p.draw.formula]
    if w.provenance:
        if compact:
            first, last = w.provenance[0], w.provenance[-1]
            chain = f"{first.path}:{first.line}" + (
                f" ... {last.path}:{last.line}" if len(w.provenance) > 1 else "")
            lines.append(f"#   {chain}")
        else:
            lines.append(f"#   from {_hop(w, 0)}")
            if len(w.provenance) > 1:
                lines.append(f"#   ... {_hop(w, -1)}  ({len(w.provenance)} hops: "
                             "tfinit-audit explain lists each)")
    return lines


def tf_weights_lines(ctx: Context, draws: list[WeightDraw], compact: bool) -> list[str]:
    vocab = ctx.vocab
    n_random = sum(p.draw.random for wd in draws for p in wd.parts)
    out = ["def tf_weights(seed):",
           '    """Every weight under its TF name, in TF\'s layout, drawn with the distribution '
           f"TF {ctx.release} gives it;",
           f'    the draws: {vocab.rng_note or vocab.name}."""']
    if n_random:
        out.append("    " + vocab.rng.format(n=n_random))
    out.append("    w = {}")
    for wd in draws:
        out += ["    " + c for c in weight_comment(wd, compact)]
        exprs = [vocab.as_numpy.format(expr=draw_expr(vocab, p.draw)) for p in wd.parts]
        if len(exprs) == 1:
            out.append(f'    w["{wd.weight.name}"] = {exprs[0]}')
        else:
            out.append(f'    w["{wd.weight.name}"] = np.concatenate([')
            out += [f"        {e}," for e in exprs]
            out.append("    ], axis=-1)")
        for adj in wd.weight.runtime_adjustments:
            out.append(f"    # + {adj.kind}={adj.value} at run time, not stored "
                       f"({adj.path}:{adj.line}): see to_target / step")
    return [*out, "    return w", ""]


# ----------------------------------------------------------------------------------- module
def uses_recipe(plan: Plan) -> bool:
    """Whether the plan runs the TF-layout recipe (``_tf_step``)."""
    return "_tf_step(" in "\n".join([*plan.to_target, *plan.step, *plan.defs])


def helpers(ctx: Context, draws: list[WeightDraw]) -> list[str]:
    """Module-level definitions the code below uses: draw helpers, _gates, activations, the
    plan's own definitions, the TF-layout recipe."""
    out: list[str] = []
    families = {p.draw.family for wd in draws for p in wd.parts}
    for family, code in ctx.vocab.helpers.items():
        if family in families:
            out.append(code)
    if ctx.plan.uses_gates:
        out.append(GATES_HELPER)
    text = "\n".join([*ctx.plan.to_target, *ctx.plan.step, *ctx.plan.defs])
    recipe: list[str] = []
    if uses_recipe(ctx.plan):
        recipe = step_recipe(ctx.layout) if ctx.layout.kind != "conv" else conv_recipe(
            ctx.layout)
    used = [a for a in recipe_activations(ctx.layout)
            if f"_{a}(" in text or f"_{a}(" in "\n".join(recipe)]
    if used:
        out.append("\n".join(activation_defs(used, ctx.notes)))
    out += [d if d.endswith("\n") else d + "\n" for d in ctx.plan.defs if d.strip()]
    if recipe:
        out.append("\n".join(recipe))
    return out


def docstring(ctx: Context) -> list[str]:
    s = ctx.layout.symbol
    plan = ctx.plan
    lines = [f'"""{s.symbol} (TensorFlow {ctx.release}) -> {plan.builds}.', "",
             f"Generated by tfinit-audit {__version__}" + (f": {ctx.command}" if ctx.command
                                                          else "."),
             f"Dims: input {ctx.layout.input_dim}" + (f", units {ctx.layout.units}"
                                                      if ctx.layout.units else "")
             + " -- every number below is for TF's shapes at these dims (TF_SHAPES).", "",
             f"build(seed) -> {plan.builds}, initialized as TF initializes {s.symbol}:",
             "tf_weights(seed) draws each weight under its TF name with TF's distribution for "
             "TF's shape,", "and to_target(w) lays the arrays out for the target."]
    if plan.step:
        lines.append("step(...) runs one forward step with TF's conventions (NumPy in and out).")
    if ctx.convert:
        lines.append("convert(arrays) maps a TF checkpoint's arrays (TF's names) onto the "
                     "target.")
    acts = [c.removeprefix("# ") for c in activation_comment(ctx.layout)] if (
        ctx.layout.recurrent or ctx.layout.kind in ("dense", "conv")) else []
    if acts:
        lines += ["", "Activations to use: " + "; ".join(acts) + "."]
    if ctx.layout.forget_bias is not None:
        fb = ctx.layout.forget_bias
        where = ("added by step() where TF adds it; the stored bias stays as TF stores it"
                 if uses_recipe(plan)
                 else "folded into the target's bias (it has no such term); see to_target")
        lines += ["", f"Runtime adjustment: forget_bias={fb.value!r} is added to the forget gate "
                      f"in call() ({fb.where}): {where}."]
    if ctx.notes:
        lines += ["", "Notes:", *[f"- {n}" for n in dict.fromkeys(ctx.notes)]]
    wrapped: list[str] = []
    for line in lines:
        hang = "  " if line.startswith("- ") else ""
        wrapped += textwrap.wrap(line, 99, subsequent_indent=hang, break_long_words=False,
                                 break_on_hyphens=False) or [""]
    return [*wrapped, '"""', ""]


def render(ctx: Context, *, compact: bool = False) -> str:
    """The module (or, ``compact``, the snippet: imports, helpers, draws, mapping, build)."""
    layout, plan = ctx.layout, ctx.plan
    draws = [weight_draw(w) for w in layout.symbol.weights]
    blocks = helpers(ctx, draws)  # first: it adds notes (an activation it cannot write)
    imports = list(dict.fromkeys(["import numpy as np", *ctx.vocab.imports, *plan.imports]))
    shapes = ", ".join(f'"{n}": {_shape(w.shape or [])}' for n, w in layout.weights.items())
    out: list[str] = []
    if compact:
        out.append(f"# {layout.symbol.symbol} (TF {ctx.release}) -> {plan.builds}; the whole "
                   f"module: tfinit-audit port {shlex.quote(layout.symbol.symbol)} "
                   f"--version {ctx.release} --to {ctx.target}")
        out += [f"# note: {n}" for n in dict.fromkeys(ctx.notes)]
    else:
        out += docstring(ctx)
    out += [*imports, "", f"SYMBOL = {layout.symbol.symbol!r}", f"TENSORFLOW = {ctx.release!r}",
            f"TF_SHAPES = {{{shapes}}}  # TF's names and shapes"]
    if not compact:
        out.append(f"SOURCES = {plan.sources!r}  # target parameter <- the TF weights it holds")
    out += ["", ""]
    for block in blocks:
        out += [block.rstrip("\n"), "", ""]
    out += tf_weights_lines(ctx, draws, compact) + ["", ""]
    out += ["def to_target(w):",
            f'    """TF\'s arrays (TF\'s names and layout) -> {plan.builds}."""',
            *["    " + line if line else "" for line in plan.to_target], "", ""]
    out += ["def build(seed):",
            f'    """{plan.builds}, initialized as TF {ctx.release} initializes '
            f'{layout.symbol.symbol}."""', "    return to_target(tf_weights(seed))", ""]
    if not compact:
        if plan.step:
            out += ["", *plan.step]
        if ctx.convert:
            out += ["", CONVERT.rstrip("\n"), ""]
        out += ["", 'if __name__ == "__main__":', "    target = build(0)",
                *["    " + line for line in (plan.summary or SUMMARY[ctx.summary])]]
    return "\n".join(_tidy(out)).rstrip("\n") + "\n"


def _tidy(lines: list[str]) -> list[str]:
    """At most two blank lines in a row; comments wrapped at 99 columns."""
    out: list[str] = []
    for line in lines:
        for part in line.split("\n"):
            if part.strip() == "" and len(out) >= 2 and out[-1] == "" and out[-2] == "":
                continue
            out += _wrap_comment(part.rstrip()) if part.strip() else [""]
    return out


def _wrap_comment(line: str, width: int = 99) -> list[str]:
    body = line.lstrip()
    if len(line) <= width or not body.startswith("#"):
        return [line]
    indent = line[: len(line) - len(body)]
    prefix = re.match(r"#\s*", body).group(0)  # type: ignore[union-attr]
    return textwrap.wrap(body[len(prefix):], width=width, initial_indent=indent + prefix,
                         subsequent_indent=indent + prefix + "  ", break_long_words=False,
                         break_on_hyphens=False)
