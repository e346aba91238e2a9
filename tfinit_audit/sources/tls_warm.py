"""Imported by the workers' fork server only (``workers.PRELOAD``): the shared TLS context is
made there, with the CA bundle loaded, so every worker forked from it starts with it (~20 ms
of CPU each otherwise, at its first request). A worker whose environment names another bundle
(``REQUESTS_CA_BUNDLE``) makes its own, as it would without this."""

from tfinit_audit.sources.transport import warm_tls

warm_tls()
