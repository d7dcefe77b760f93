"""项目绩效目标汇总表: per project an overview, budget, annual goal and its core indicators.

Exports repeat a project's block at page breaks, sometimes with the part before the break clipped
to the rows it spans; a repeat (same seq, one name a prefix of the other) is merged into the first,
keeping the fuller text and appending new indicators, so each project appears once.
"""
from __future__ import annotations

from typing import Optional

from extractor.forms import OPERATORS, TargetIndicator, TargetRow, Targets
from extractor.normalize import key, year_of
from extractor.parser.fields import FieldSink
from extractor.parser.rows import Row, Warnings
from extractor.parser.table import header_columns, int_or_none

FIELDS = (
    ("seq", ("序号",)),
    ("project", ("项目名称",)),
    ("overview", ("项目概况",)),
    ("budget", ("本年预算金额", "预算金额", "本年预算")),
    ("goal", ("年度绩效目标", "绩效目标")),
    ("name", ("指标名称", "核心绩效指标")),
    ("op", ("运算符",)),
    ("unit", ("单位", "计量单位")),
    ("value", ("年度目标值", "目标值", "指标值")),
)
_PROJECT_FIELDS = ("seq", "project", "overview", "budget", "goal")


def parse_targets(title: str, rows: list[Row], warnings: Warnings) -> Optional[Targets]:
    form = Targets(title=title, year=year_of(title), pages=[rows[0].page])
    sink = FieldSink(form.cells, warnings, f"{title} on page {rows[0].page}")
    cols: dict[str, int] = {}
    current: Optional[TargetRow] = None
    for row in rows[1:]:
        if row.page not in form.pages:
            form.pages.append(row.page)
        if row.find(lambda k: k.startswith("指标名称")) is not None and row.find(lambda k: k == "运算符") is not None:
            cols.update(header_columns(row, FIELDS))
            continue
        if not cols or row.is_line:
            continue
        cells = {name: c for c in row.cells if (name := _column(c.col, cols)) is not None}
        seq = int_or_none(cells.get("seq"))
        if seq is not None:
            current = _repeat_of(form, seq, cells)
            if current is None:
                current = _new_row(form, cells, sink)
            else:
                _fill_from_repeat(form, current, cells, sink)
        if current is None:
            sink.warn("UNPARSED_ROW", f"indicator row before any project: {row.key[:60]}", row.page)
            continue
        _add_indicator(form, current, cells, sink)
    if not form.rows:
        sink.warn("MISSING_FIELD", "targets table has no project rows", rows[0].page)
    return form


def _column(col: Optional[int], cols: dict[str, int]) -> Optional[str]:
    return next((name for name, c in cols.items() if c == col), None)


def _repeat_of(form: Targets, seq: int, cells: dict) -> Optional[TargetRow]:
    name = key(cells["project"].text) if "project" in cells else ""
    for row in form.rows:
        other = key(row.project)
        if row.seq == seq and (other.startswith(name) or name.startswith(other)):
            return row
    return None


def _fill_from_repeat(form: Targets, row: TargetRow, cells: dict, sink: FieldSink) -> None:
    """A clipped first part leaves prefixes: the repeat's longer text replaces them."""
    base = f"rows[{form.rows.index(row)}]"
    for field in ("project", "overview", "goal"):
        cell = cells.get(field)
        if cell is None:
            continue
        old = getattr(row, field) or ""
        if len(key(cell.text)) > len(key(old)) and key(cell.text).startswith(key(old)):
            setattr(row, field, sink.text(f"{base}.{field}", cell))
    if row.budget is None and "budget" in cells:
        row.budget = sink.number(f"{base}.budget", cells["budget"])


def _new_row(form: Targets, cells: dict, sink: FieldSink) -> TargetRow:
    base = f"rows[{len(form.rows)}]"
    row = TargetRow(
        seq=int_or_none(cells.get("seq")),
        project=sink.text(f"{base}.project", cells.get("project")),
        overview=sink.text(f"{base}.overview", cells.get("overview")),
        budget=sink.number(f"{base}.budget", cells.get("budget")),
        goal=sink.text(f"{base}.goal", cells.get("goal")),
    )
    form.rows.append(row)
    return row


def _add_indicator(form: Targets, row: TargetRow, cells: dict, sink: FieldSink) -> None:
    if "name" not in cells:
        return
    known = {key(i.name) for i in row.indicators}
    if key(cells["name"].text) in known:
        return  # repeated at a page break
    base = f"rows[{form.rows.index(row)}].indicators[{len(row.indicators)}]"
    row.indicators.append(TargetIndicator(
        name=sink.text(f"{base}.name", cells.get("name")),
        op=sink.choice(f"{base}.op", cells.get("op"), OPERATORS, role="op"),
        unit=sink.text(f"{base}.unit", cells.get("unit")),
        value=sink.text(f"{base}.value", cells.get("value")),
    ))
