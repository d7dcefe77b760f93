"""Findings as CSV: UTF-8 with a BOM (so Excel opens the Chinese text right), one row per finding.

Columns are the 12 keys of a finding, in their JSON order; `bbox` is "x0,y0,x1,y1", null is an
empty cell. Targets are printed like "=45人", which Excel would run as a formula: a cell that starts
with = + - @ or a tab/CR, or with the quote itself, gets a leading "'" (Excel's text marker), and
`read_csv` takes it off again, so the file round-trips.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable, Optional

from audit.engine import AuditRun

COLUMNS = ("rule", "severity", "source", "page", "department", "project", "indicator", "field",
           "found", "expected", "message", "bbox")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def write_csv(run: AuditRun, path: Path) -> None:
    write_rows((f.to_dict() for f in run.findings), path)


def write_rows(findings: Iterable[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for finding in findings:
            writer.writerow([_cell(key, finding.get(key)) for key in COLUMNS])


def read_csv(path: Path) -> list[dict[str, Any]]:
    """The findings of a CSV written by `write_csv`, as the JSON dicts they were written from."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{key: _value(key, row[key]) for key in COLUMNS} for row in csv.DictReader(fh)]


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "bbox":
        return ",".join(_number(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _value(key: str, text: str) -> Optional[Any]:
    if text == "":
        return None
    if key == "page":
        return int(text)
    if key == "bbox":
        return [float(v) for v in text.split(",")]
    return text[1:] if text.startswith("'") else text


def _number(value: float) -> str:
    # repr keeps every digit, so the bbox reads back equal
    return repr(float(value))
