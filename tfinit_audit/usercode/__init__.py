"""Your code: the TF/Keras layers a user's code constructs, what their defaults become between
two releases, and the arguments that pin one release's behaviour (``tfinit-audit scan``).

libcst reads the user's code -- its scope metadata says what each name refers to, and a rewrite
keeps formatting and comments; the releases are read by the analysis (``ast``) as for every
other job.

- ``files.py``: which files a scan reads; notebooks' code cells as one module;
- ``find.py``: the calls of one file (imports, aliases, re-bound names, ``functools.partial``,
  ``super().__init__`` in subclasses); ``link.py``: constructions through user classes across
  files; ``scan.py``: every file, cached by content hash;
- ``catalog.py``: what each name is in one release (layer, variable function, layer function),
  read from the release's source; ``bind.py``: a call's arguments bound to its signature, and
  the spec the analysis runs;
- ``diffs.py``, ``compare.py``, ``pins.py``: per call site the differences the call leaves to a
  default, and the arguments that pin them; ``results.py``: the analyses, cached per spec;
- ``codemod.py``: ``--pin`` as a libcst rewrite, its diff, and writing the files;
- ``model.py``: the result types (``ScanResult.to_json_dict()`` is ``scan --format json``);
  ``codeversion.py``: the hash of the code the caches' answers come from.

The job itself is ``tfinit_audit.pipeline.scan`` (``tfinit_audit.scan``).
"""
