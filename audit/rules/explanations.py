"""Explanations and execution: what the form says about a deviation, and how much was spent.

MISSING_EXPLANATION, FUNDS_UNEXPLAINED, CONTRADICTORY_EXPLANATION, LOW_EXECUTION_HIGH_GRADE,
SPENT_NOTHING_FULL_OUTPUT (`warning`, AUDIT_RULES "Targets against actuals"), and UNREADABLE_VALUE
where the execution rate they need cannot be read. Rows and rate come from `readings.py`.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from audit.findings import Finding, FormView
from audit.rules import form_check, severity, unreadable
from audit.rules.readings import OUTPUT, Row, grade, neighbour, percent, reading
from audit.values import says_not_done
from extractor.normalize import is_blank

TOP_GRADE = "优"
_FUNDS_EXPLANATION = "funds.explanation"
_EXECUTED = "funds.rows.total.executed"
_ROW_CELLS = ("target", "actual", "weight", "score", "explanation")  # what the row rules read


def _cells(view: FormView, row: Row) -> str:
    """The row's comparison as a reviewer reads it: "年度指标值 ≥2次, 实际完成值 1次, 得分 10 of 20"."""
    def at(cell: str) -> str:
        return view.printed(row.path(cell)) or "—"
    return f"年度指标值 {at('target')}, 实际完成值 {at('actual')}, 得分 {at('score')} of {at('weight')}"


@form_check()
def missing_explanation(view: FormView) -> Iterator[Finding]:
    rows = reading(view).rows
    for row in rows:
        if row.explanation or not (row.met is False or row.deducted):
            continue
        why = "the target is missed" if row.met is False else "points are deducted"
        near = neighbour(rows, row, lambda r: bool(r.explanation))
        where = "" if near is None else (
            f"; the neighbouring row {near.name} of the same group carries one "
            f"(\"{near.explanation}\"), which may belong to this indicator")
        yield view.finding(
            "MISSING_EXPLANATION",
            severity(view, "MISSING_EXPLANATION", [row.path(c) for c in _ROW_CELLS]), row.path("explanation"),
            f"偏差原因分析 is blank though {why} ({_cells(view, row)}){where}", indicator=row.name,
        )


@form_check()
def contradictory_explanation(view: FormView) -> Iterator[Finding]:
    rows = reading(view).rows
    for row in rows:
        if not (row.met is True and row.full and row.explanation and says_not_done(row.explanation)):
            continue
        # The explanation may be the neighbour's (one that falls short and explains nothing); the
        # row below first, since a merged cell is flattened onto the first row it spans.
        stray = neighbour(rows, row, _falls_short_unexplained, above_first=False)
        hint = "" if stray is None else (
            f"; it may belong to the neighbouring row {stray.name}, which falls short and explains nothing")
        yield view.finding(
            "CONTRADICTORY_EXPLANATION",
            severity(view, "CONTRADICTORY_EXPLANATION", [row.path(c) for c in _ROW_CELLS]), row.path("explanation"),
            f"{_cells(view, row)}: the target is met with full points, but 偏差原因分析 says the work "
            f"was not done (\"{row.explanation}\"){hint}",
            found=row.explanation, indicator=row.name,
        )


def _falls_short_unexplained(row: Row) -> bool:
    return not row.explanation and (row.met is False or row.deducted)


@form_check()
def funds_unexplained(view: FormView) -> Iterator[Finding]:
    if not view.get("funds.has_explanation") or not is_blank(view.get(_FUNDS_EXPLANATION)):
        return
    execution = reading(view).execution
    threshold = view.config.funds_explanation_rate
    if execution is None or execution.rate >= Decimal(repr(threshold)):
        return
    yield view.finding(
        "FUNDS_UNEXPLAINED", severity(view, "FUNDS_UNEXPLAINED", [*execution.inputs, _FUNDS_EXPLANATION]),
        _FUNDS_EXPLANATION,
        f"执行率 {execution.shown} is below {percent(threshold)} but the funds 偏差原因分析 is blank",
    )


@form_check()
def low_execution_high_grade(view: FormView) -> Iterator[Finding]:
    given, grade_path = grade(view)
    if given != TOP_GRADE:
        return
    execution = reading(view).execution
    low = view.config.low_execution_rate
    if execution is None or execution.rate >= Decimal(repr(low)):
        return
    graded = ("自评等级 is 优" if grade_path == "grade"
              else f"总分 {view.printed('total_score')} puts it in 优 (no 自评等级 printed)")
    yield view.finding(
        "LOW_EXECUTION_HIGH_GRADE", severity(view, "LOW_EXECUTION_HIGH_GRADE", [*execution.inputs, grade_path]),
        grade_path, f"执行率 {execution.shown} is below {percent(low)} yet {graded}",
        found=view.printed(grade_path) if grade_path == "grade" else TOP_GRADE,
    )


@form_check()
def unreadable_rate(view: FormView) -> Iterator[Finding]:
    """One UNREADABLE_VALUE when the execution rate is needed and neither the amounts nor a printed
    执行率 give it. A budget of 0 leaves no rate to fall short, which is no gap in the form."""
    if not reading(view).rate_unknown:
        return
    blocked = []
    if view.get("funds.has_explanation") and is_blank(view.get(_FUNDS_EXPLANATION)):
        blocked.append("FUNDS_UNEXPLAINED")
    if grade(view)[0] == TOP_GRADE:
        blocked.append("LOW_EXECUTION_HIGH_GRADE")
    if not blocked:
        return
    path = next((p for p in ("funds.rows.total.adjusted", _EXECUTED) if view.get(p) is None), _EXECUTED)
    yield unreadable(view, blocked, path, detail=f"{path} is missing or unreadable and no 执行率 is printed")


@form_check()
def spent_nothing_full_output(view: FormView) -> Iterator[Finding]:
    executed = view.get(_EXECUTED)
    if executed is None or executed != 0:
        return
    full = [row for row in reading(view).rows
            if row.level1.startswith(OUTPUT) and row.full and (row.weight or 0) > 0]
    if not full:
        return
    names = "、".join(str(row.name) for row in full)
    yield view.finding(
        "SPENT_NOTHING_FULL_OUTPUT",
        severity(view, "SPENT_NOTHING_FULL_OUTPUT", [_EXECUTED, *(row.path("score") for row in full)]), _EXECUTED,
        f"全年执行数 is {view.printed(_EXECUTED)}, yet {len(full)} 产出指标 keep their full weight: {names}",
        found=view.printed(_EXECUTED),
    )
