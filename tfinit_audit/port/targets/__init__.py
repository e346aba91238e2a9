"""One vocabulary table per target: ``pytorch``, ``jax`` (Flax linen), ``keras``, ``numpy``.

Each module holds the target's draw vocabulary (which call draws which distribution) and its
module table (which module holds which TF weight, per layout); nothing in them depends on a
TensorFlow version.
"""
