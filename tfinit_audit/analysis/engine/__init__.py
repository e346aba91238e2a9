"""One abstract interpreter of Python over a release's source (see ``interp.Interpreter``).

The engine knows Python, not TensorFlow; library conventions are rules (analysis/rules)
registered through ``hooks.Rule``. Layout:

- ``values``: the value model; ``frames``: modes, frames, control-flow signals;
- ``source``/``summaries``: source files, their binding events and syntax trees;
- ``imports``: the import system and module namespaces (``namespaces``, with ``mutations``:
  module-level lists changed in place, and ``globals_writers``: names set through
  ``globals()``);
- ``interp``: the interpreter, assembled from ``expressions``, ``statements``, ``calls``,
  ``attributes`` (classes, MRO, descriptors) and ``builtins``;
- ``hooks``: the hook points rules use.
"""
