"""Audit reports: JSON (the contract), HTML (for a reviewer, offline), XLSX and CSV (for spreadsheets).

Every report is written from one `AuditRun` and counts the same way (`json_report.totals`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from audit.engine import AuditRun
from audit.report.csv_report import write_csv
from audit.report.html_report import write_html
from audit.report.json_report import report_dict, totals, write_json
from audit.report.xlsx_report import write_xlsx

__all__ = ["report_dict", "totals", "write_csv", "write_html", "write_json", "write_reports", "write_xlsx"]


def write_reports(
    run: AuditRun, json: Optional[Path] = None, html: Optional[Path] = None,
    xlsx: Optional[Path] = None, csv: Optional[Path] = None,
) -> list[Path]:
    """Write each report that has a path; the paths written, in that order."""
    written = []
    for path, writer in ((json, write_json), (html, write_html), (xlsx, write_xlsx), (csv, write_csv)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(run, path)
            written.append(path)
    return written
