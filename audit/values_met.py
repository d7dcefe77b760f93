"""Whether an actual meets its target: AUDIT_RULES "Targets against actuals", "Met".

Part of `audit.values`; import `is_met` from there.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from audit.values_units import convert

if TYPE_CHECKING:
    from audit.values import Value

# "Approximate: at least 90% of it" (AUDIT_RULES). For an approximate upper bound
# ("≤约100") the same 10% is allowed the other way.
APPROX_SHARE = 0.9

_INF = math.inf


@dataclass(frozen=True)
class _Span:
    """An interval of numbers; an actual is one (a point, a range, or a bound like "≥95%"),
    a target is another (what would meet it)."""

    lo: float = -_INF
    hi: float = _INF
    lo_open: bool = False
    hi_open: bool = False


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _below(a: float, b: float) -> bool:
    return a < b and not _close(a, b)


def _inside(a: _Span, t: _Span) -> bool:
    lower = (t.lo == -_INF or (a.lo != -_INF and (_below(t.lo, a.lo) or (
        _close(a.lo, t.lo) and (not t.lo_open or a.lo_open)))))
    upper = (t.hi == _INF or (a.hi != _INF and (_below(a.hi, t.hi) or (
        _close(a.hi, t.hi) and (not t.hi_open or a.hi_open)))))
    return lower and upper


def _apart(a: _Span, t: _Span) -> bool:
    def left_of(x: _Span, y: _Span) -> bool:
        return x.hi != _INF and y.lo != -_INF and (
            _below(x.hi, y.lo) or (_close(x.hi, y.lo) and (x.hi_open or y.lo_open)))
    return left_of(a, t) or left_of(t, a)


def _actual_span(a: "Value", factor: float) -> _Span:
    if a.range is not None:
        return _Span(a.range[0] * factor, a.range[1] * factor)
    n = (a.number or 0.0) * factor
    if a.op in ("≥", ">"):
        return _Span(lo=n, lo_open=a.op == ">")
    if a.op in ("≤", "<"):
        return _Span(hi=n, hi_open=a.op == "<")
    return _Span(n, n)


def _target_span(t: "Value", cost: bool) -> _Span:
    if cost:  # "for cost indicators the actual must not exceed the target"
        hi = t.range[1] if t.range is not None else (t.number or 0.0)
        return _Span(hi=hi, hi_open=t.op == "<")
    if t.range is not None:
        return _Span(t.range[0], t.range[1])
    n = t.number or 0.0
    if t.approx:
        return _Span(hi=n / APPROX_SHARE) if t.op in ("≤", "<") else _Span(lo=n * APPROX_SHARE)
    if t.op == ">":
        return _Span(lo=n, lo_open=True)
    if t.op == "<":
        return _Span(hi=n, hi_open=True)
    if t.op == "≤":
        return _Span(hi=n)
    if t.op == "=" and n == 0:
        return _Span(0.0, 0.0)  # "=0 (次)" accidents: any other count misses it
    # ≥, none, and "=" (see is_met): at least the target.
    return _Span(lo=n)


def _compare_numbers(t: "Value", a: "Value", cost: bool) -> Optional[bool]:
    if t.unit is not None and a.unit is not None:
        factor = convert(1.0, a.unit, t.unit)
        if factor is None:
            return None
    else:
        factor = 1.0  # a unit printed on one side only ("=25人" / "0") is taken as the same unit
    a_span, t_span = _actual_span(a, factor), _target_span(t, cost)
    if _inside(a_span, t_span):
        return True
    if _apart(a_span, t_span):
        return False
    return None


def _compare_deadlines(t: "Value", a: "Value") -> Optional[bool]:
    assert t.deadline is not None and a.deadline is not None
    with_year = t.deadline.year is not None and a.deadline.year is not None
    _, t_hi = t.deadline.span(with_year)
    a_lo, a_hi = a.deadline.span(with_year)
    if a_hi <= t_hi:
        return True
    if a_lo > t_hi:
        return False
    return None


def _all(results: list[Optional[bool]]) -> Optional[bool]:
    if any(r is False for r in results):
        return False
    if all(r is True for r in results):
        return True
    return None


def is_met(target: "Value", actual: "Value", cost: bool = False) -> Optional[bool]:
    """Whether `actual` meets `target`; None where that cannot be decided from the text.

    Numbers: the actual (a point, a range, or a bound such as "≥95%") must lie inside what
    the target allows: its operator; no operator, at least the target; approximate, at
    least 90% of it; a range, inside it; `cost` (成本指标) or a money-per-unit target, at
    most the target. "=" is read as "at least" (=98% satisfaction met by 100%, as the
    seeds score it), except "=0", which only 0 meets. Units are converted (元 ↔ 万元);
    incomparable units give None. Deadlines: the actual names the deadline or an earlier
    time, compared at the granularity printed ("10月前" is met by "10月底"), or says it
    was done in time. Qualitative targets are met unless the actual says otherwise.
    """
    if target.blank or actual.blank:
        return None
    cost = cost or target.money_per_unit
    if target.composite and len(target.composite) == len(actual.composite):
        return _all([is_met(t, a, cost) for t, a in zip(target.composite, actual.composite)])
    if target.has_quantity and actual.has_quantity:
        return _compare_numbers(target, actual, cost)
    if target.deadline is not None:
        if actual.deadline is not None:
            return _compare_deadlines(target, actual)
        if actual.negative or actual.late:
            return False
        return True if actual.done else None
    if target.has_quantity or target.composite:
        return False if actual.negative else None
    if target.yes_no is not None:
        if actual.yes_no is not None:
            return actual.yes_no == target.yes_no
        return False if (target.yes_no and actual.negative) else None
    if not target.qualitative:
        return None
    # Qualitative target ("有效提升", "按时拨付", "合理").
    if actual.negative or actual.late or actual.yes_no is False:
        return False
    if actual.number == 0 and not actual.embedded:
        return False
    return True
