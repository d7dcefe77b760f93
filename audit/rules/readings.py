"""What the target and explanation rules read from one form, parsed once and shared.

The eleven rules of "Targets against actuals" all look at the same indicator rows and the same
execution rate; parsing a target for each of them would cost the audit its speed (thousands of
forms a second), so the rows are read once per form (`reading`). Printed targets and actuals
repeat across forms ("≥90%", "100%", "不断提升"), so they are parsed once per distinct text.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, Callable, Optional

from audit import precision as p
from audit.findings import FormView
from audit.rules.arithmetic import note_bands
from audit.values import Value, comparable_units, is_met, parse_value, to_unit
from extractor.normalize import is_blank, key

OUTPUT = "产出指标"
COST = "成本指标"
_BLANK_CELL = Value(raw=None)
# Targets whose bigger-is-better direction is reversed ("≤5次" complaints): no proportion, no overshoot.
UPPER_BOUNDS = ("≤", "<")


@dataclass(frozen=True, eq=False)
class Comparison:
    """A printed target and actual, parsed, and what follows from them alone.

    One object per distinct (target, actual, cost) text, shared by every form that prints it
    (`compared`), so whatever is derived here is derived once; identity hashing keeps it a cheap
    cache key for the rules' own derivations.
    """

    target: Value
    actual: Value
    cost: bool

    @cached_property
    def met(self) -> Optional[bool]:
        return is_met(self.target, self.actual, cost=self.cost)

    @cached_property
    def quantities(self) -> Optional[tuple[float, float]]:
        """(target, actual) as numbers in the target's unit, where both are single quantities."""
        t, a = self.target, self.actual
        if t.number is None or a.number is None or t.composite or a.composite:
            return None
        if t.unit is not None and a.unit is not None:
            converted = to_unit(a, t.unit)
            if converted is None or converted.number is None:
                return None
            return t.number, converted.number
        return t.number, a.number  # a unit printed on one side only is the same unit, as in is_met

    @cached_property
    def units_differ(self) -> bool:
        return units_apart(self.target, self.actual)

    @cached_property
    def unreadable(self) -> tuple[str, ...]:
        """The cells that block the comparison: "target"/"actual" when blank, "number" when a
        quantity target is answered by an actual giving no number, date, yes/no or "not done".

        A worded target ("不断提升") is no gap: NON_QUANTIFIED_TARGET reports it, and a worded
        actual for a worded or dated target is compared as words.
        """
        t, a = self.target, self.actual
        gaps = tuple(cell for cell, v in (("target", t), ("actual", a)) if v.blank)
        if (not gaps and t.has_quantity and not t.composite and self.met is None
                and not (a.has_quantity or a.composite or a.deadline is not None or a.yes_no is not None)):
            return ("number",)
        return gaps


@lru_cache(maxsize=8192)
def parsed(text: Optional[str]) -> Value:
    """One printed cell, parsed once however many pairs and forms print it."""
    return parse_value(text) if text is not None else _BLANK_CELL


@lru_cache(maxsize=8192)
def compared(target: Optional[str], actual: Optional[str], cost: bool) -> Comparison:
    t = parsed(target)
    return Comparison(t, parsed(actual), cost or t.money_per_unit)


_level = lru_cache(maxsize=1024)(key)  # group labels repeat on every form


@dataclass(slots=True)
class Row:
    """One indicator row of one form: its comparison, points and explanation (read-only by convention;
    not frozen, because a frozen dataclass is slower to build and there is one per row of every form)."""

    index: int
    name: Optional[str]
    level1: str
    level2: str
    comparison: Comparison
    weight: Optional[float]
    score: Optional[float]
    explanation: Optional[str]

    def path(self, cell: str) -> str:
        return f"indicators[{self.index}].{cell}"

    @property
    def target(self) -> Value:
        return self.comparison.target

    @property
    def actual(self) -> Value:
        return self.comparison.actual

    @property
    def met(self) -> Optional[bool]:
        return self.comparison.met

    @property
    def cost(self) -> bool:
        return self.comparison.cost

    @property
    def full(self) -> bool:
        return self.weight is not None and self.score is not None and self.score >= self.weight

    @property
    def deducted(self) -> bool:
        return self.weight is not None and self.score is not None and self.score < self.weight

    @property
    def proportional(self) -> Optional[Decimal]:
        """weight × actual / target (AUDIT_RULES: a partly met quantity target is scored so), capped at the weight.

        Only for bigger-is-better quantity targets: a cost or a "≤5次" target has no such formula.
        """
        q = self.comparison.quantities
        if q is None or self.weight is None or self.cost or self.target.op in UPPER_BOUNDS or q[0] <= 0:
            return None
        weight = p.dec(self.weight)
        share = p.dec(q[1]) / p.dec(q[0])
        return max(Decimal(0), min(weight, weight * share))


@dataclass(frozen=True)
class Execution:
    """The execution rate (全年执行数 / 全年预算数) and how the message shows it."""

    rate: Decimal
    shown: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    rows: tuple[Row, ...]
    execution: Optional[Execution]
    # True when neither the amounts nor a printed rate give the rate; False when the budget is 0.
    rate_unknown: bool


_last: Optional[tuple[FormView, Reading]] = None


def reading(view: FormView) -> Reading:
    """The form's rows and execution rate. The engine runs every check on one form before the next,
    so remembering the last form is enough to parse each form once; identity, not equality, because
    two forms may print the same values and still be two findings' worth of provenance."""
    global _last
    if _last is not None and _last[0] is view:
        return _last[1]
    indicators = view.form.get("indicators") or []
    rows = tuple(_row(i, ind) for i, ind in enumerate(indicators))
    execution, unknown = _execution(view)
    result = Reading(rows, execution, unknown)
    _last = (view, result)
    return result


def _row(index: int, ind: dict[str, Any]) -> Row:
    level1, level2 = _level(ind.get("level1")), _level(ind.get("level2"))
    # 成本指标 is a level-2 group under 产出指标 in most provinces and its own level-1 group in
    # Shanghai's 2023 form; a money-per-unit target ("元/项") is a cost wherever it sits.
    cost = level1 == COST or level2 == COST
    explanation = ind.get("explanation")
    return Row(
        index=index, name=ind.get("name"), level1=level1, level2=level2,
        comparison=compared(ind.get("target"), ind.get("actual"), cost),
        weight=ind.get("weight"), score=ind.get("score"),
        explanation=None if explanation is None or is_blank(explanation) else explanation,
    )


def _execution(view: FormView) -> tuple[Optional[Execution], bool]:
    adjusted_path, executed_path = "funds.rows.total.adjusted", "funds.rows.total.executed"
    # The dicts directly rather than view.get, which parses its path on every call.
    funds = view.form.get("funds") or {}
    total = (funds.get("rows") or {}).get("total") or {}
    adjusted, executed = total.get("adjusted"), total.get("executed")
    printed_path = "funds.rate" if funds.get("rate") is not None else "funds.rows.total.rate"
    printed = funds.get("rate") if funds.get("rate") is not None else total.get("rate")
    if adjusted is not None and executed is not None:
        if adjusted == 0:
            return None, False  # nothing left to spend: no execution rate to fall short
        rate = p.dec(executed) / p.dec(adjusted) * 100
        sums = f"{view.printed(executed_path)} / {view.printed(adjusted_path)} = {p.fmt(rate, 2)}%"
        shown = f"{printed} ({sums})" if printed is not None else sums
        return Execution(rate, shown, (adjusted_path, executed_path, printed_path)), False
    rate = p.parse(printed)
    if rate is None:
        return None, True
    return Execution(rate, str(printed), (printed_path,)), False


def grade(view: FormView) -> tuple[Optional[str], str]:
    """The form's grade and the path it comes from: as printed, else the band of its total score
    (several provinces print no grade; the score still puts the project in one)."""
    printed = view.get("grade")
    if printed is not None:
        return key(printed), "grade"
    total = view.get("total_score")
    if total is None:
        return None, "grade"
    bands = note_bands(view.get("note")) or view.config.bands()
    return next(g for low, g in bands if p.dec(total) >= low), "total_score"


def neighbour(
    rows: tuple[Row, ...], row: Row, wanted: Callable[[Row], bool], above_first: bool = True,
) -> Optional[Row]:
    """The adjacent row of the same group that is `wanted`. Explanations stray by one row: forms
    misalign them, and a merged 偏差原因分析 cell is flattened onto its first row, hence the row
    above first when looking for the owner of an explanation."""
    for other in (row.index - 1, row.index + 1) if above_first else (row.index + 1, row.index - 1):
        if 0 <= other < len(rows):
            near = rows[other]
            if (near.level1, near.level2) == (row.level1, row.level2) and wanted(near):
                return near
    return None


def units_apart(target: Value, actual: Value) -> bool:
    """Both sides print a unit and no conversion joins them (人 vs 人次; 元 vs 万元 converts)."""
    if target.composite and len(target.composite) == len(actual.composite):
        return any(units_apart(t, a) for t, a in zip(target.composite, actual.composite))
    if not (target.has_quantity and actual.has_quantity) or target.unit is None or actual.unit is None:
        return False
    return not comparable_units(target.unit, actual.unit)


def number(value: Decimal) -> str:
    """A computed score as a reviewer reads it: two decimals at most, no trailing zeros."""
    return p.plain(value.quantize(Decimal("0.01")))


def percent(threshold: float) -> str:
    return p.plain(Decimal(repr(threshold))) + "%"
