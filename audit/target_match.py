"""Whether a self-evaluation's target is the one set at budget time, however each is printed.

The targets table prints operator, unit and value in three cells ("≥", "人", "45"); the form
prints them in one ("≥45人"), sometimes as words ("根据实际活动要求确定"). `targets_agree`
compares them as values (units converted, 左右 and ranges allowed) and, for wording without a
number, as normalised text.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from audit.values import Value, is_unit, parse_target_parts, parse_value, to_unit
from extractor.normalize import key


@dataclass(frozen=True)
class Target:
    """A parsed target and, for wording without a number, the spellings that count as the same."""

    value: Value
    words: frozenset[str]


_OPS = "≥≤=<>"


def _words(text: Optional[str]) -> str:
    return key(text).lstrip(_OPS)


@lru_cache(maxsize=1 << 16)  # targets repeat ("≥98%", "有效提升"): parse each spelling once
def form_value(text: Optional[str]) -> Target:
    """A self-evaluation's 年度指标值 as printed ("≥4人", "根据实际活动要求确定人")."""
    return Target(parse_value(text), frozenset({_words(text)}))


@lru_cache(maxsize=1 << 16)
def table_value(op: Optional[str], unit: Optional[str], value: Optional[str]) -> Target:
    """A targets-table indicator printed as op, unit and value columns ("=", "人", "45").

    Wording may sit in the value or, where the value is blank, in the unit column; a form
    prints it with the unit appended ("根据实际活动要求确定人"), which is the same target.
    """
    words = _words(value) or _words(unit)
    return Target(parse_target_parts(op, unit, value), frozenset({words, words + key(unit)}))


@lru_cache(maxsize=1 << 16)
def targets_agree(
    op: Optional[str], unit: Optional[str], value: Optional[str], printed: Optional[str],
) -> Optional[bool]:
    """`same_target` of a targets-table indicator's columns and a form's printed target, by text."""
    return same_target(table_value(op, unit, value), form_value(printed))


def same_target(set_at_budget: Target, evaluated: Target) -> Optional[bool]:
    """Whether two targets mean the same; None when either is blank (nothing to compare).

    Printing does not matter ("≥90%" and op "≥", unit "%", value "90"; "100%" and "=100%":
    a missing operator is read as the other's), the operator, number, unit, approximation,
    range, date and wording do.
    """
    a, b = set_at_budget.value, evaluated.value
    if a.blank or b.blank:
        return None
    if a.qualitative or b.qualitative:
        return a.qualitative and b.qualitative and bool(set_at_budget.words & evaluated.words)
    if a.yes_no is not None or b.yes_no is not None:
        return a.yes_no == b.yes_no
    if a.composite or b.composite:
        return len(a.composite) == len(b.composite) and all(
            _same_quantity(x, y) and _same_deadline(x, y) for x, y in zip(a.composite, b.composite))
    return _same_quantity(a, b) and _same_deadline(a, b)


def _same_quantity(a: Value, b: Value) -> bool:
    if not (a.has_quantity or b.has_quantity):
        return True
    if not (a.has_quantity and b.has_quantity):
        return False
    if a.unit and b.unit:
        converted = to_unit(b, a.unit)
        if converted is None:
            return False
        b = converted
    if a.op and b.op and a.op != b.op or a.approx != b.approx:
        return False
    if a.range or b.range:
        return a.range is not None and b.range is not None and all(map(_close, a.range, b.range))
    return _close(a.number, b.number)


def _same_deadline(a: Value, b: Value) -> bool:
    if a.deadline is None or b.deadline is None:
        return a.deadline is None and b.deadline is None
    return a.deadline.span() == b.deadline.span() and same_or_unknown(a.deadline.year, b.deadline.year)


def _close(x: Optional[float], y: Optional[float]) -> bool:
    return x is not None and y is not None and abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def show_target(indicator: dict[str, Optional[str]]) -> str:
    """A targets-table indicator as a form would print it: op, value, unit ("=45人", "≥90%")."""
    return _show(*(indicator.get(k) or "" for k in ("op", "unit", "value")))


@lru_cache(maxsize=1 << 14)
def _show(op: str, unit: str, value: str) -> str:
    parsed = form_value(value).value
    if not parsed.has_quantity:
        return (value or unit).strip()
    text = value.strip() + (unit.strip() if parsed.unit is None and is_unit(unit) else "")
    return text if text.startswith(tuple(_OPS)) or not op else op.strip() + text
