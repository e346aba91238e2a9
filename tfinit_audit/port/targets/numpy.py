"""NumPy: the weights as TF stores them (names and layout), drawn with ``numpy.random``.

``build(seed)`` returns ``{tf_name: float32 array}``; ``step`` is the TF-layout recipe
(``port/recipe.py``) run with NumPy, with the runtime adjustments added where TF adds them (the
stored arrays stay exactly as TF would store them). The Keras target and any target without an
equivalent module fall back to this recipe.
"""

from __future__ import annotations

from tfinit_audit.port.layout import Layout
from tfinit_audit.port.plan import Plan, TargetTable, Vocabulary
from tfinit_audit.port.recipe import STEP_KINDS, step_args, step_doc

TRUNCATED_NORMAL = '''\
def _truncated_normal(rng, mean, stddev, shape):
    """TF's truncated normal: N(mean, stddev) redrawn outside mean +- 2 stddev."""
    x = rng.standard_normal(shape)
    bad = np.abs(x) > 2.0
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(x) > 2.0
    return mean + stddev * x
'''

ORTHOGONAL = '''\
def _orthogonal(rng, shape, gain):
    """TF's orthogonal: QR of a normal (prod(shape[:-1]), shape[-1]) matrix, signs of R's
    diagonal folded into Q, so the smaller side is orthonormal (times gain)."""
    rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)
'''

VOCABULARY = Vocabulary(
    name="numpy",
    imports=[],
    rng="rng = np.random.default_rng(seed)",
    draws={
        "uniform": "rng.uniform({low}, {high}, size={shape})",
        "normal": "rng.normal({mean}, {stddev}, size={shape})",
        "truncated_normal": "_truncated_normal(rng, {mean}, {stddev}, {shape})",
        "orthogonal": "_orthogonal(rng, {shape}, {gain})",
        "identity": "{gain} * np.eye({rows}, {cols})",
        "zeros": "np.zeros({shape})",
        "ones": "np.ones({shape})",
        "constant": "np.full({shape}, {value})",
    },
    as_numpy="np.asarray({expr}, dtype=np.float32)",
    helpers={"truncated_normal": TRUNCATED_NORMAL, "orthogonal": ORTHOGONAL},
    rng_note="numpy.random.default_rng(seed)",
)


def plan(layout: Layout) -> Plan:
    """Identity: the TF-named arrays are the target."""
    names = list(layout.weights)
    has_step = layout.kind in STEP_KINDS or layout.kind == "conv"
    return Plan(
        builds="dict of NumPy arrays named and laid out as TF stores them",
        to_target=["return {name: np.array(w[name], dtype=np.float32) for name in TF_SHAPES}"],
        step=recipe_step(layout, "np") if has_step else [],
        sources={n: (n,) for n in names},
        summary=["for name, array in target.items():",
                 "    print(name, array.shape, array.dtype)"],
    )


def recipe_step(layout: Layout, xp: str) -> list[str]:
    """``step(w, ...)``: the recipe (``_tf_step``) run with ``xp``."""
    args = step_args(layout)
    return [f"def step(w, {args}):", f'    """{step_doc(layout)}"""',
            f"    return _tf_step({xp}, w, {args})", ""]


TABLE = TargetTable("numpy", VOCABULARY, {})  # every layout: plan() (TF's own layout)
