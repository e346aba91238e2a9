"""Option defaults shared by the command line and the Python API.

One table, read by ``cli.py`` (argparse defaults) and ``pipeline.py`` (keyword defaults of
``audit``/``explain``/``diff``/``verify``), so ``tfinit-audit`` and ``tfinit_audit.audit()`` cannot
drift apart. The cache directory and the package index have no entry here on purpose: ``None``
means "``$TFINIT_AUDIT_CACHE`` or the user cache dir" and "``$PIP_INDEX_URL`` or PyPI", decided
in one place each (``sources.cache.Cache`` and ``sources.index.index_url_from_env``).
"""

SOURCE = "pypi"  # where release files come from (see sources.parse_source)
UNITS = 64  # units for the concrete shapes and bounds
INPUT_DIM = 32  # input feature size for the concrete shapes
PROBE_TIMEOUT = 300.0  # seconds for one interpreter's live probe
