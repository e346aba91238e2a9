"""Imported by the workers' fork server only (``workers.PRELOAD``): the shared TLS context is
made there, with the CA bundle loaded, so every worker forked from it starts with it (~20 ms
of CPU each otherwise, at its first request, on an idle machine; a cold ``--versions all``, whose
workers open several connections each, took 1.4x the wall time and 1.24x the CPU without it,
benchmarks/scale.py). A worker whose environment names another bundle
(``REQUESTS_CA_BUNDLE``) makes its own, as it would without this."""

from tfinit_audit.sources.transport import warm_tls

warm_tls()
