"""项目支出绩效自评表: header, funds block, overall goal, indicators, total score, grade."""
from __future__ import annotations

import re
from typing import Optional

from extractor.forms import SelfEvaluation
from extractor.normalize import is_number, year_of
from extractor.parser import funds as fb
from extractor.parser.fields import FieldSink
from extractor.parser.indicators import IndicatorState, is_indicator_header, read_header, read_indicator
from extractor.parser.rows import Row, Warnings

_GRADE = ("自评等级", "评价等级", "绩效等级", "自评结果")
_SECTION_LABELS = ("项目资金", "年度总体目标", "绩效指标")


def parse_self_evaluation(title: str, rows: list[Row], warnings: Warnings) -> Optional[SelfEvaluation]:
    form = SelfEvaluation(title=title)
    sink = FieldSink(form.cells, warnings, f"{title} on page {rows[0].page}")
    funds_anchors: dict[str, int] = {}
    goal_cols: Optional[dict[str, int]] = None
    indicators = IndicatorState()
    section = "head"
    for row in rows[1:]:
        if row.page not in form.pages:
            form.pages.append(row.page)
        first = row.cells[0].key
        if row.is_line or (len(row.cells) == 1 and section in ("tail", "head")):
            _read_line(row, form, sink)
            continue
        if first == "项目名称":
            form.project = sink.text("project", _after(row, 0))
            sink.context = f"{title} {form.project!r}"
        elif (at := row.find(lambda k: k == "主管部门")) is not None:
            form.department = sink.text("department", _after(row, at))
            if (imp := row.find(lambda k: k == "实施单位")) is not None:
                form.implementer = sink.text("implementer", _after(row, imp))
        elif first == "实施单位":
            form.implementer = sink.text("implementer", _after(row, 0))
        elif fb.is_funds_header(row):
            section, funds_anchors = "funds", fb.read_funds_header(row, form, sink)
        elif section == "funds" and (at := fb.funds_label_at(row)) is not None:
            fb.read_funds_row(row, at, form, funds_anchors, sink)
        elif (cols := fb.goal_header(row)) is not None:
            section, goal_cols = "goal", cols
        elif section == "goal" and goal_cols is not None and not is_indicator_header(row):
            fb.read_goal(row, goal_cols, form, sink)
            goal_cols = None
        elif is_indicator_header(row):
            section = "indicators"
            read_header(row, indicators)
        elif (at := row.find(lambda k: k == "总分")) is not None:
            section = "tail"
            _read_total(row, at, form, sink)
        elif (at := row.find(lambda k: k in _GRADE)) is not None:
            section = "tail"
            form.grade = sink.text("grade", _after(row, at))
        elif first.startswith("注") and len(row.cells) == 1:
            form.note = sink.text("note", row.cells[0])
        elif section == "indicators":
            ind = read_indicator(row, indicators, form.group_weights, len(form.indicators), sink)
            if ind is not None:
                form.indicators.append(ind)
        elif first not in _SECTION_LABELS:
            sink.warn("UNPARSED_ROW", f"row not understood: {row.key[:60]}", row.page)
    _check(form, sink, rows[0].page)
    return form


def _read_line(row: Row, form: SelfEvaluation, sink: FieldSink) -> None:
    cell = row.cells[0]
    k = cell.key
    if form.year is None and re.fullmatch(r"\(?\d{4}年度?\)?", k):
        form.year = year_of(k)
        sink.cells["year"] = cell.provenance()
    elif k.startswith("注") or k.startswith("说明"):
        form.note = sink.text("note", cell)
    elif (m := re.match(r"^单位[:：]?(万元|元)$", k)) is not None:
        form.funds.unit = m.group(1)


def _after(row: Row, index: int):
    return row.cells[index + 1] if index + 1 < len(row.cells) else None


def _read_total(row: Row, at: int, form: SelfEvaluation, sink: FieldSink) -> None:
    numbers = [c for c in row.cells[at + 1:] if is_number(c.text)]
    if len(numbers) >= 2:
        form.total_weight = sink.number("total_weight", numbers[0])
        form.total_score = sink.number("total_score", numbers[1])
    elif numbers:
        form.total_score = sink.number("total_score", numbers[0])


def _check(form: SelfEvaluation, sink: FieldSink, page: int) -> None:
    """A field the form must have but that was not found is reported, never guessed."""
    required = {
        "project": form.project, "department": form.department,
        "funds.rows.total.adjusted": form.funds.rows["total"].adjusted,
        "funds.rows.total.executed": form.funds.rows["total"].executed,
        "total_score": form.total_score,
    }
    for path, value in required.items():
        if value is None:
            sink.warn("MISSING_FIELD", f"{path} not found", page)
    if not form.indicators:
        sink.warn("MISSING_FIELD", "no indicator rows found", page)
