#!/usr/bin/env bash
# Regenerate tests/data/all-releases.report.json.gz: real analysis results of every release
# (the default symbol set, no live check), in report.json's compact form, gzipped. The renderer
# tests and benchmarks/reports.py read it as a large real report. A cold run fetches ~300 MB and
# takes minutes; the cache makes a rerun take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
.venv/bin/tfinit-audit --versions all --no-live --format json --json-form compact --out "$out" \
    >/dev/null
gzip -9 -n -c "$out/report.json" > tests/data/all-releases.report.json.gz
ls -l tests/data/all-releases.report.json.gz
