"""Targets against actuals: the indicator's 年度指标值 and 实际完成值 compared (AUDIT_RULES.md).

UNMET_FULL_SCORE, COST_OVERRUN, UNIT_MISMATCH (`warning`); SCORE_NOT_PROPORTIONAL,
TARGET_FAR_EXCEEDED, NON_QUANTIFIED_TARGET (`info`); and UNREADABLE_VALUE for a target or actual
these rules need and cannot read. The explanation rules of the same section live in
`explanations.py`; both read the rows parsed once in `readings.py`.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Iterator, Optional

from audit import precision as p
from audit.findings import Finding, FormView
from audit.rules import form_check, severity, unreadable
from audit.rules.readings import UPPER_BOUNDS, Comparison, Row, number, reading, units_apart
from audit.values import convert

# Cells each rule reads; a low-confidence one turns the finding into `review`.
_COMPARED = ("target", "actual")
_SCORED = ("target", "actual", "weight", "score")


def _inputs(row: Row, cells: tuple[str, ...]) -> list[str]:
    return [row.path(c) for c in cells]


def _printed(view: FormView, row: Row, cell: str) -> str:
    return view.printed(row.path(cell)) or ""


@form_check()
def unreadable_target_or_actual(view: FormView) -> Iterator[Finding]:
    """One UNREADABLE_VALUE per cell that blocks a comparison, naming every rule it blocks
    (which cells do: `Comparison.unreadable`)."""
    for row in reading(view).rows:
        for gap in row.comparison.unreadable:
            if gap == "number":
                yield unreadable(
                    view, _blocked_rules(row), row.path("actual"), found=_printed(view, row, "actual"), indicator=row.name,
                    detail=f"实际完成值 {_printed(view, row, 'actual')!r} gives no number to compare with 年度指标值 "
                           f"{_printed(view, row, 'target')}",
                )
            elif row.name is not None or len(row.comparison.unreadable) == 1:  # an empty row has nothing to read
                yield unreadable(view, _blocked_rules(row), row.path(gap), indicator=row.name,
                                 detail=f"{'年度指标值' if gap == 'target' else '实际完成值'} is blank or unreadable")
        if row.met is False and (row.weight is None or row.score is None):
            # A missed target whose points are unknown: arithmetic reports the blank cell for the
            # total; here it blocks the question whether the miss was scored.
            cell = "weight" if row.weight is None else "score"
            yield unreadable(
                view, ["UNMET_FULL_SCORE", "SCORE_NOT_PROPORTIONAL"], row.path(cell), indicator=row.name,
                detail=f"实际完成值 {_printed(view, row, 'actual')} misses 年度指标值 {_printed(view, row, 'target')} "
                       f"but {'分值' if cell == 'weight' else '得分'} is blank",
            )


def _blocked_rules(row: Row) -> list[str]:
    rules = ["SCORE_NOT_PROPORTIONAL"] if row.deducted else ["UNMET_FULL_SCORE"]
    if row.cost:
        rules.append("COST_OVERRUN")
    if not row.explanation and not row.deducted:
        rules.append("MISSING_EXPLANATION")
    return rules


@form_check()
def unmet_full_score(view: FormView) -> Iterator[Finding]:
    for row in reading(view).rows:
        if row.met is not False or not row.full:
            continue
        expected = row.proportional
        shown = None if expected is None else number(expected)
        hint = f"; in proportion it would score {shown}" if shown is not None else ""
        yield view.finding(
            "UNMET_FULL_SCORE", severity(view, "UNMET_FULL_SCORE", _inputs(row, _SCORED)), row.path("score"),
            f"实际完成值 {_printed(view, row, 'actual')} does not meet 年度指标值 {_printed(view, row, 'target')}, "
            f"yet 得分 is the full {_printed(view, row, 'weight')}{hint}",
            found=_printed(view, row, "score"), expected=shown, indicator=row.name,
        )


@form_check()
def cost_overrun(view: FormView) -> Iterator[Finding]:
    for row in reading(view).rows:
        if not (row.cost and row.met is False and row.target.has_quantity and row.actual.has_quantity):
            continue
        target = _printed(view, row, "target")
        yield view.finding(
            "COST_OVERRUN", severity(view, "COST_OVERRUN", _inputs(row, _COMPARED)), row.path("actual"),
            f"成本 实际完成值 {_printed(view, row, 'actual')} exceeds 年度指标值 {target}",
            found=_printed(view, row, "actual"), expected=target, indicator=row.name,
        )


@form_check()
def unit_mismatch(view: FormView) -> Iterator[Finding]:
    for row in reading(view).rows:
        if not row.comparison.units_differ:
            continue
        found, expected = _unit_pair(row)
        yield view.finding(
            "UNIT_MISMATCH", severity(view, "UNIT_MISMATCH", _inputs(row, _COMPARED)), row.path("actual"),
            f"年度指标值 {_printed(view, row, 'target')} counts in {expected} but 实际完成值 "
            f"{_printed(view, row, 'actual')} in {found}: the two cannot be compared",
            found=found, expected=expected, indicator=row.name,
        )


def _unit_pair(row: Row) -> tuple[str, str]:
    """(actual unit, target unit) of the first pair that differs, composites part by part."""
    pairs = list(zip(row.target.composite, row.actual.composite)) or [(row.target, row.actual)]
    t, a = next((t, a) for t, a in pairs if units_apart(t, a))
    return a.unit or "", t.unit or ""


@form_check()
def score_not_proportional(view: FormView) -> Iterator[Finding]:
    tolerance = Decimal(repr(view.config.proportional_tolerance))
    for row in reading(view).rows:
        # A deducted score for a met target is the department's judgement, not a formula to check.
        if not (row.deducted and row.met is False):
            continue
        expected = row.proportional
        if expected is None or abs(p.dec(row.score) - expected) <= tolerance:
            continue
        q = row.comparison.quantities
        assert q is not None  # proportional implies both quantities
        weight = _printed(view, row, "weight")
        yield view.finding(
            "SCORE_NOT_PROPORTIONAL", severity(view, "SCORE_NOT_PROPORTIONAL", _inputs(row, _SCORED)),
            row.path("score"),
            f"得分 {_printed(view, row, 'score')} of {weight} for 实际完成值 {_printed(view, row, 'actual')} against "
            f"年度指标值 {_printed(view, row, 'target')}; in proportion {weight} × "
            f"{p.plain(p.dec(q[1]))} / {p.plain(p.dec(q[0]))} = {number(expected)}",
            found=_printed(view, row, "score"), expected=number(expected), indicator=row.name,
        )


@form_check()
def target_far_exceeded(view: FormView) -> Iterator[Finding]:
    ratio = view.config.far_exceeded_ratio
    for row in reading(view).rows:
        top = _target_top(row.comparison)
        if top is None or top[1] < ratio * top[0]:
            continue
        yield view.finding(
            "TARGET_FAR_EXCEEDED", severity(view, "TARGET_FAR_EXCEEDED", _inputs(row, _COMPARED)),
            row.path("target"),
            f"实际完成值 {_printed(view, row, 'actual')} is {top[1] / top[0]:.1f}× 年度指标值 "
            f"{_printed(view, row, 'target')} (≥ {ratio:g}×): the target was set too low",
            found=_printed(view, row, "target"), indicator=row.name,
        )


@lru_cache(maxsize=8192)
def _target_top(c: Comparison) -> Optional[tuple[float, float]]:
    """(target, actual) for a bigger-is-better count, in the target's unit; a range counts from its top.

    Rates are left out: a rate stops at 100%, so 1.5× would say more about a low rate target
    than about an achievement.
    """
    t, a = c.target, c.actual
    if c.cost or t.op in UPPER_BOUNDS or t.percent or a.percent or a.number is None or t.composite or a.composite:
        return None
    top = t.range[1] if t.range is not None else t.number
    # A unit printed on one side only is the same unit (as `is_met` reads it).
    factor = 1.0 if t.unit is None or a.unit is None else convert(1.0, a.unit, t.unit)
    if top is None or top <= 0 or factor is None:
        return None
    return top, a.number * factor


@form_check()
def non_quantified_target(view: FormView) -> Iterator[Finding]:
    for row in reading(view).rows:
        if not row.target.qualitative:
            continue
        target = _printed(view, row, "target")
        yield view.finding(
            "NON_QUANTIFIED_TARGET", severity(view, "NON_QUANTIFIED_TARGET", [row.path("target")]),
            row.path("target"),
            f"年度指标值 {target!r} carries no number, date or yes/no: whether it was met cannot be verified",
            found=target, indicator=row.name,
        )
