"""report.json: ``Report.to_json_dict()`` serialised strictly (no NaN, UTF-8, stable indent)."""

from __future__ import annotations

import json

from tfinit_audit.report.model import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
