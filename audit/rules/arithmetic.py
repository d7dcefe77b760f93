"""Arithmetic rules (`error`): the form contradicts itself.

FUNDS_SUBTOTAL, FUNDS_RATE, FUNDS_SCORE, TOTAL_SCORE, WEIGHT_SUM, GROUP_WEIGHT, SCORE_RANGE, GRADE_BAND.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from decimal import Decimal
from typing import Iterable, Iterator, Optional

from audit import precision as p
from audit.findings import Finding, FormView
from audit.rules import form_check, missing, severity, unreadable

COLUMNS = ("initial", "adjusted", "executed")
PARTS = ("fiscal", "carryover", "other")
_BAND = re.compile(r"(\d+(?:\.\d+)?)\(含\)[-—~～至到](\d+(?:\.\d+)?)分?(?:自评)?等级为([优良中差])")
_BOTTOM = re.compile(r"(\d+(?:\.\d+)?)分以下(?:自评)?等级为([优良中差])")


_SUBTOTALS = tuple((col, f"funds.rows.total.{col}", [f"funds.rows.{part}.{col}" for part in PARTS]) for col in COLUMNS)


@lru_cache(maxsize=256)
def _indicator_paths(field: str, n: int) -> tuple[str, ...]:
    return tuple(f"indicators[{i}].{field}" for i in range(n))


def _funds_and_indicators(view: FormView, field: str) -> list[str]:
    """Paths of the funds' and every indicator's `field` (score or weight); empty when no
    indicator table was read, which leaves nothing to add up."""
    n = len(view.form.get("indicators") or [])
    return ["funds." + field, *_indicator_paths(field, n)] if n else []


def _adds_up(total: Optional[float], addends: Iterable[Optional[float]]) -> bool:
    """True when the figures add up exactly, which no printed precision can contradict: most
    forms do, and they skip the Decimal work below."""
    return total is not None and abs(total - sum(a or 0.0 for a in addends)) < 1e-9 * max(1.0, abs(total))


@form_check()
def funds_subtotal(view: FormView) -> Iterator[Finding]:
    for col, total_path, part_paths in _SUBTOTALS:
        if _adds_up(view.get(total_path), (view.get(x) for x in part_paths)):
            continue
        parts = [p.dec(view.get(x)) for x in part_paths]
        if view.get(total_path) is None:
            if col != "initial" and any(view.get(x) is not None for x in part_paths):
                decimals = max(p.places(view.printed(x)) for x in part_paths)
                yield missing(view, "FUNDS_SUBTOTAL", [total_path],  # type: ignore[misc]
                              lambda _path: p.fmt(sum(parts), decimals))
            continue
        total = p.dec(view.get(total_path))
        decimals = max(p.places(view.printed(x)) for x in [total_path, *part_paths])
        if abs(total - sum(parts)) > p.half_unit(decimals):
            expected = p.fmt(sum(parts), decimals)
            yield view.finding(
                "FUNDS_SUBTOTAL", severity(view, "FUNDS_SUBTOTAL", [total_path, *part_paths]), total_path,
                f"{col} total printed {view.printed(total_path)} but the rows add up to {expected}",
                found=view.printed(total_path), expected=expected,
            )


@form_check()
def funds_rate(view: FormView) -> Iterator[Finding]:
    for row in ("total", *PARTS):
        rate_path = f"funds.rows.{row}.rate"
        printed = view.get(rate_path)
        if printed is None:
            continue
        inputs = [f"funds.rows.{row}.adjusted", f"funds.rows.{row}.executed"]
        rate = p.parse(printed)
        if rate is None:
            yield unreadable(view, "FUNDS_RATE", rate_path, detail=f"执行率 {printed!r} is not a rate", found=printed)
            continue
        if (gap := missing(view, "FUNDS_RATE", inputs)) is not None:
            yield gap
            continue
        adjusted, executed = p.dec(view.get(inputs[0])), p.dec(view.get(inputs[1]))
        if adjusted == 0:
            if rate != 0:
                yield view.finding("FUNDS_RATE", severity(view, "FUNDS_RATE", [rate_path, *inputs]), rate_path,
                                   f"执行率 printed {printed} but 全年预算数 is 0", found=printed, expected="0%")
            continue
        true = executed / adjusted * 100
        if not p.matches(printed, true):
            expected = p.fmt(true, p.places(printed)) + "%"
            yield view.finding(
                "FUNDS_RATE", severity(view, "FUNDS_RATE", [rate_path, *inputs]), rate_path,
                f"执行率 printed {printed} but {view.printed(inputs[1])} / {view.printed(inputs[0])} = {p.fmt(true, 2)}%",
                found=printed, expected=expected,
            )


@form_check()
def funds_score(view: FormView) -> Iterator[Finding]:
    if view.get("funds.weight") is None and view.get("funds.score") is None:
        return
    inputs = ["funds.weight", "funds.score"]
    rates = [r for r in (p.parse(view.get("funds.rate")), _true_rate(view)) if r is not None]

    def pinned(path: str) -> Optional[str]:
        if path != "funds.score" or not rates:
            return None
        return p.fmt(p.dec(view.get("funds.weight")) * min(rates[0], Decimal(100)) / 100, 2)

    if (gap := missing(view, "FUNDS_SCORE", inputs, pinned)) is not None:
        yield gap
        return
    weight, score_text = p.dec(view.get("funds.weight")), view.printed("funds.score") or ""
    if not rates:
        return
    candidates = [weight * min(r, Decimal(100)) / 100 for r in rates]
    if any(p.matches(score_text, c) for c in candidates):
        return
    expected = p.fmt(candidates[0], p.places(score_text))
    yield view.finding(
        "FUNDS_SCORE", severity(view, "FUNDS_SCORE", [*inputs, "funds.rate"]), "funds.score",
        f"资金得分 printed {score_text} but {view.printed('funds.weight')} × {view.get('funds.rate')} = {expected}",
        found=score_text, expected=expected,
    )


def _true_rate(view: FormView) -> Optional[Decimal]:
    adjusted, executed = view.get("funds.rows.total.adjusted"), view.get("funds.rows.total.executed")
    if adjusted in (None, 0) or executed is None:
        return None
    return p.dec(executed) / p.dec(adjusted) * 100


@form_check()
def total_score(view: FormView) -> Iterator[Finding]:
    scores = _funds_and_indicators(view, "score")
    if not scores:
        yield unreadable(view, "TOTAL_SCORE", "indicators")
        return
    if all(view.get(s) is not None for s in scores) and _adds_up(view.get("total_score"), (view.get(s) for s in scores)):
        return
    if (gap := missing(view, "TOTAL_SCORE", ["total_score", *scores], lambda path: _balance(view, path, "total_score", scores))) is not None:
        yield gap
        return
    total = p.dec(view.get("total_score"))
    added = sum((p.dec(view.get(s)) for s in scores), Decimal(0))
    least = min(p.places(view.printed(s)) for s in scores)
    if abs(total - added) > p.half_unit(least):
        expected = p.fmt(added, p.places(view.printed("total_score")))
        yield view.finding(
            "TOTAL_SCORE", severity(view, "TOTAL_SCORE", ["total_score", *scores]), "total_score",
            f"总分 printed {view.printed('total_score')} but 资金得分 + 指标得分 = {expected}",
            found=view.printed("total_score"), expected=expected,
        )


def _balance(view: FormView, path: str, total_path: Optional[str], addends: list[str]) -> str:
    """The one value at `path` that makes `total` = sum(addends) (total 100 when `total_path` is None)."""
    printed = [view.printed(a) for a in addends if a != path]
    decimals = max((p.places(t) for t in printed), default=0)
    others = sum((p.dec(view.get(a)) for a in addends if a != path), Decimal(0))
    if path == total_path:
        return p.fmt(others, decimals)
    total = Decimal(100) if total_path is None else p.dec(view.get(total_path))
    return p.fmt(total - others, max(decimals, p.places(view.printed(total_path)) if total_path else 0))


@form_check()
def weight_sum(view: FormView) -> Iterator[Finding]:
    weights = _funds_and_indicators(view, "weight")
    if not weights:
        yield unreadable(view, "WEIGHT_SUM", "indicators")
        return
    if (gap := missing(view, "WEIGHT_SUM", weights, lambda path: _balance(view, path, None, weights))) is not None:
        yield gap
        return
    added = sum((p.dec(view.get(w)) for w in weights), Decimal(0))
    if added != 100:
        yield view.finding("WEIGHT_SUM", severity(view, "WEIGHT_SUM", weights), "indicators",
                           f"分值 add up to {p.plain(added)}, not 100",
                           found=p.plain(added), expected="100")


@form_check()
def group_weight(view: FormView) -> Iterator[Finding]:
    indicators = view.form.get("indicators") or []
    if not indicators:
        return  # no indicator table was read: WEIGHT_SUM and TOTAL_SCORE already say so
    for group, points in (view.form.get("group_weights") or {}).items():
        members = [i for i, ind in enumerate(indicators) if ind.get("level1") == group]
        weights = [f"indicators[{i}].weight" for i in members]
        if any(view.get(w) is None for w in weights):
            continue  # WEIGHT_SUM already names the missing weight
        added = sum((p.dec(view.get(w)) for w in weights), Decimal(0))
        if added != p.dec(points):
            yield view.finding(
                "GROUP_WEIGHT", severity(view, "GROUP_WEIGHT", [f"group_weights.{group}", *weights]),
                f"group_weights.{group}", f"{group} prints {p.plain(p.dec(points))} points but its indicators weigh {p.plain(added)}",
                found=p.plain(p.dec(points)), expected=p.plain(added),
            )


@form_check()
def score_range(view: FormView) -> Iterator[Finding]:
    pairs = [("funds.weight", "funds.score", None)] + [
        (f"indicators[{i}].weight", f"indicators[{i}].score", ind.get("name"))
        for i, ind in enumerate(view.form.get("indicators") or [])
    ]
    for weight_path, score_path, name in pairs:
        weight, score = view.get(weight_path), view.get(score_path)
        if weight is None or score is None:
            continue
        if score < 0 or score > weight:
            yield view.finding(
                "SCORE_RANGE", severity(view, "SCORE_RANGE", [weight_path, score_path]), score_path,
                f"得分 {view.printed(score_path)} is outside 0…{view.printed(weight_path)}",
                found=view.printed(score_path), expected=f"0–{view.printed(weight_path)}", indicator=name,
            )


@form_check()
def grade_band(view: FormView) -> Iterator[Finding]:
    grade, total = view.get("grade"), view.get("total_score")
    if grade is None or total is None:
        return
    bands = note_bands(view.get("note")) or view.config.bands()
    band = next(g for low, g in bands if p.dec(total) >= low)
    if unicodedata.normalize("NFKC", grade).strip() != band:
        yield view.finding("GRADE_BAND", severity(view, "GRADE_BAND", ["grade", "total_score"]), "grade",
                           f"自评等级 printed {grade} but 总分 {view.printed('total_score')} is in band {band}",
                           found=grade, expected=band)


@lru_cache(maxsize=4096)  # a department prints the same note on every form
def note_bands(note: Optional[str]) -> Optional[tuple[tuple[Decimal, str], ...]]:
    """Grade bands printed in the form's note ("总分90（含）-100分自评等级为优，…60分以下…为差")."""
    if not note:
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", note))
    bands = [(Decimal(low), g) for low, _high, g in _BAND.findall(text)]
    bands += [(Decimal("-Infinity"), g) for _limit, g in _BOTTOM.findall(text)]
    if len(bands) < 2:
        return None
    return tuple(sorted(bands, key=lambda b: b[0], reverse=True))
