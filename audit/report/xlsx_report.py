"""The XLSX report: findings, every extracted indicator, per-form totals and the suppressed findings.

Each sheet has bilingual headers, a frozen header row and an autofilter. The workbook is written in
openpyxl's write-only mode (rows streamed to disk): 10 000 forms give ~100 000 indicator rows, which
the normal mode would hold in memory as cell objects. Text is always written as text: targets such
as "=45人" would otherwise become formulas.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from audit.engine import AuditRun
from audit.findings import SEVERITIES
from audit.report import labels
from audit.report.csv_report import COLUMNS as FINDING_COLUMNS
from audit.report.json_report import form_counts

INDICATOR_COLUMNS = ("source", "department", "project", "level1", "level2", "name", "target", "actual",
                     "weight", "score", "explanation")
FORM_COLUMNS = ("source", "kind", "department", "project", "pages", "adjusted", "executed", "rate",
                "funds_score", "total_score", "grade")
# widths in characters; a CJK character is about two
WIDTHS = {"message": 60, "source": 28, "department": 24, "project": 30, "name": 28, "target": 16,
          "actual": 16, "explanation": 40, "reason": 40, "field": 26, "rule": 24, "level1": 12, "level2": 14,
          "indicator": 24, "kind": 22, "found": 14, "expected": 14, "bbox": 22}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def write_xlsx(run: AuditRun, path: Path) -> None:
    wb = Workbook(write_only=True)
    _sheet(wb, "Findings 问题", FINDING_COLUMNS, len(run.findings),
           (list(f.to_dict().values()) for f in run.findings))
    indicators = [(view, ind) for view in run.forms if view.form.get("kind") == "self_evaluation"
                  for ind in view.form.get("indicators") or []]
    _sheet(wb, "Indicators 指标", INDICATOR_COLUMNS, len(indicators),
           ([view.source, view.form.get("department"), view.form.get("project"),
             *(ind.get(k) for k in INDICATOR_COLUMNS[3:])] for view, ind in indicators))
    counts = form_counts(run)
    severity_columns = tuple(f"findings_{s}" for s in SEVERITIES)
    _sheet(wb, "Forms 表单", FORM_COLUMNS + severity_columns, len(run.forms),
           (_form_row(view.source, view.form) + [counts.get(view.index, {}).get(s, 0) for s in SEVERITIES]
            for view in run.forms))
    _sheet(wb, "Suppressed 已抑制", FINDING_COLUMNS + ("reason",), len(run.suppressed),
           ([*f.to_dict().values(), s.reason] for f, s in run.suppressed))
    wb.save(path)


def _form_row(source: Any, form: dict[str, Any]) -> list[Any]:
    funds = form.get("funds") or {}
    total = (funds.get("rows") or {}).get("total") or {}
    return [source, labels.kind(form.get("kind")), form.get("department"), form.get("project"),
            ", ".join(str(p) for p in form.get("pages") or []), total.get("adjusted"), total.get("executed"),
            funds.get("rate") or total.get("rate"), funds.get("score"), form.get("total_score"), form.get("grade")]


def _sheet(wb: Workbook, title: str, keys: Sequence[str], n_rows: int, rows: Iterable[Sequence[Any]]) -> None:
    ws = wb.create_sheet(title)
    # write-only sheets take their layout before the first row
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{n_rows + 1}"
    for i, key in enumerate(keys, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(key, 12)
    ws.append(list(_header(ws, keys)))
    for row in rows:
        ws.append([_cell(ws, value) for value in row])


def _header(ws: WriteOnlyWorksheet, keys: Sequence[str]) -> Iterator[WriteOnlyCell]:
    for key in keys:
        label = (f"{labels.severity(key[9:])} · {labels.field('findings')}" if key.startswith("findings_")
                 else labels.field(key))
        cell = WriteOnlyCell(ws, value=label)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        yield cell


def _cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, list):  # bbox
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("="):
        return value  # a plain value: a cell object per string would slow big sheets down
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell
