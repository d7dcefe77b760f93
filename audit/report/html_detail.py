"""What a reviewer sees under one finding: the form's values involved, side by side, as printed.

An indicator finding shows its indicator row; a funds finding the funds block; a score finding the
scores with their sums; a summary/targets finding the row it is about; the offending value is
highlighted. Values are shown as printed (provenance text), so the reviewer compares like with like.
Every text goes through `esc`: form text is untrusted input.
"""
from __future__ import annotations

import base64
import re
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any, Iterable, Optional

from audit.findings import Finding, FormView
from audit.report import labels

FUNDS_ROWS = ("total", "fiscal", "carryover", "other")
FUNDS_COLUMNS = ("initial", "adjusted", "executed", "rate")
INDICATOR_COLUMNS = ("level1", "level2", "name", "target", "actual", "weight", "score", "explanation")
FUNDS_RULES = frozenset({"FUNDS_SUBTOTAL", "FUNDS_RATE", "FUNDS_SCORE", "FUNDS_UNEXPLAINED",
                         "SPENT_NOTHING_FULL_OUTPUT", "LOW_EXECUTION_HIGH_GRADE", "SUMMARY_MISMATCH",
                         "INITIAL_BUDGET_MISMATCH", "DUPLICATE_FORM"})
SCORE_RULES = frozenset({"TOTAL_SCORE", "WEIGHT_SUM", "GROUP_WEIGHT", "GRADE_BAND", "LOW_EXECUTION_HIGH_GRADE",
                         "SPENT_NOTHING_FULL_OUTPUT"})
_INDICATOR_PATH = re.compile(r"^indicators\[(\d+)\]")
_ROW_PATH = re.compile(r"^(rows\[\d+\])")


def esc(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def detail(finding: Finding, view: Optional[FormView], crop: Optional[bytes]) -> str:
    parts = [_where(finding, view), _pair(finding)]
    if view is not None:
        parts.extend(_values(finding, view))
    if crop is not None:
        data = base64.b64encode(crop).decode("ascii")
        parts.append(f'<div class="crop"><img alt="page {esc(finding.page)}" src="data:image/png;base64,{data}"></div>')
    return '<div class="detail">' + "".join(parts) + "</div>"


def _where(finding: Finding, view: Optional[FormView]) -> str:
    bits = [f"{labels.field('source')}: {esc(finding.source or '—')}"]
    if finding.page is not None:
        bits.append(f"{labels.field('page')}: {esc(finding.page)}")
    if view is not None:
        bits.append(esc(view.form.get("title") or labels.kind(view.form.get("kind"))))
    if finding.field:
        bits.append(f"{labels.field('field')}: <code>{esc(finding.field)}</code>")
    return '<div class="where">' + " · ".join(bits) + "</div>"


def _pair(finding: Finding) -> str:
    if finding.found is None and finding.expected is None:
        return ""
    return (f'<table class="pair"><tr><th>{labels.field("found")}</th><th>{labels.field("expected")}</th></tr>'
            f'<tr><td class="hit">{esc(finding.found)}</td><td>{esc(finding.expected)}</td></tr></table>')


def _values(finding: Finding, view: FormView) -> Iterable[str]:
    field = finding.field or ""
    kind = view.form.get("kind")
    if kind == "self_evaluation":
        index = _indicator_index(finding, view)
        if index is not None:
            yield _indicator_table(view, index, field)
        if field.startswith("funds") or finding.rule in FUNDS_RULES:
            yield _funds_table(view, field)
        if field in ("total_score", "grade") or field.startswith("group_weights") or finding.rule in SCORE_RULES:
            yield _scores_table(view, field)
    elif (match := _ROW_PATH.match(field)) is not None:
        yield _row_table(view, match.group(1), field)


def _indicator_index(finding: Finding, view: FormView) -> Optional[int]:
    if (match := _INDICATOR_PATH.match(finding.field or "")) is not None:
        return int(match.group(1))
    if finding.indicator:
        names = [ind.get("name") for ind in view.form.get("indicators") or []]
        return names.index(finding.indicator) if finding.indicator in names else None
    return None


def _cell(view: FormView, path: str, hit: str, numeric: bool = False) -> str:
    classes = [c for c, on in (("hit", path == hit), ("num", numeric)) if on]
    attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attr}>{esc(view.printed(path))}</td>"


def _head(keys: Iterable[str], first: str = "") -> str:
    cells = ([f"<th>{esc(first)}</th>"] if first else []) + [f"<th>{esc(labels.field(k))}</th>" for k in keys]
    return "<tr>" + "".join(cells) + "</tr>"


def _indicator_table(view: FormView, index: int, hit: str) -> str:
    base = f"indicators[{index}]"
    if view.get(base) is None:
        return ""
    numeric = {"weight", "score"}
    row = "".join(_cell(view, f"{base}.{k}", hit, k in numeric) for k in INDICATOR_COLUMNS)
    return f"<table>{_head(INDICATOR_COLUMNS)}<tr>{row}</tr></table>"


def _funds_table(view: FormView, hit: str) -> str:
    if view.get("funds") is None:
        return '<p class="empty">资金表缺失 no funds block</p>'
    unit = view.get("funds.unit") or "万元"
    rows = [_head(FUNDS_COLUMNS, f"（{unit}）")]
    for name in FUNDS_ROWS:
        cells = "".join(_cell(view, f"funds.rows.{name}.{col}", hit, True) for col in FUNDS_COLUMNS)
        rows.append(f"<tr><th>{labels.field(name)}</th>{cells}</tr>")
    keys = ("weight", "rate", "score", "explanation")
    scores = "".join(_cell(view, f"funds.{k}", hit, k != "explanation") for k in keys)
    return f"<table>{''.join(rows)}</table><table>{_head(keys)}<tr>{scores}</tr></table>"


def _scores_table(view: FormView, hit: str) -> str:
    """Funds and indicator weights/scores, their sums and the printed total: both sides of the sum."""
    indicators = view.form.get("indicators") or []
    rows = [_head(("level1", "name", "weight", "score"))]
    rows.append(f"<tr><td>{labels.field('funds_score')}</td><td></td>"
                f"{_cell(view, 'funds.weight', hit, True)}{_cell(view, 'funds.score', hit, True)}</tr>")
    for i in range(len(indicators)):
        rows.append("<tr>" + "".join(_cell(view, f"indicators[{i}].{k}", hit, k in ("weight", "score"))
                                     for k in ("level1", "name", "weight", "score")) + "</tr>")
    weights = [view.get("funds.weight"), *(ind.get("weight") for ind in indicators)]
    scores = [view.get("funds.score"), *(ind.get("score") for ind in indicators)]
    rows.append(f'<tr><th colspan="2">合计 Sum</th><th class="num">{esc(_sum(weights))}</th>'
                f'<th class="num">{esc(_sum(scores))}</th></tr>')
    rows.append(f'<tr><th colspan="3">{labels.field("total_score")}</th>{_cell(view, "total_score", hit, True)}</tr>')
    rows.append(f'<tr><th colspan="3">{labels.field("grade")}</th>{_cell(view, "grade", hit)}</tr>')
    return f"<table>{''.join(rows)}</table>{_groups_table(view, indicators, hit)}"


def _groups_table(view: FormView, indicators: list[dict[str, Any]], hit: str) -> str:
    printed = view.form.get("group_weights") or {}
    if not printed:
        return ""
    sums: dict[str, list[Any]] = {}
    for ind in indicators:
        sums.setdefault(ind.get("level1") or "", []).append(ind.get("weight"))
    rows = [f'<tr><th>{labels.field("level1")}</th><th>{labels.field("group_weights")}</th><th>合计 Sum</th></tr>']
    for group, points in printed.items():
        cls = ' class="num hit"' if hit == f"group_weights.{group}" else ' class="num"'
        rows.append(f"<tr><td>{esc(group)}</td><td{cls}>{esc(points)}</td>"
                    f'<td class="num">{esc(_sum(sums.get(group, [])))}</td></tr>')
    return f"<table>{''.join(rows)}</table>"


def _row_table(view: FormView, base: str, hit: str) -> str:
    """A summary or targets row as key/value pairs (targets rows nest their indicators: shown as text)."""
    row = view.get(base)
    if not isinstance(row, dict):
        return ""
    cells = []
    for key in row:
        path = f"{base}.{key}"
        value = row[key] if isinstance(row[key], (list, dict)) else view.printed(path)
        cls = ' class="hit"' if hit == path or hit.startswith(path + ".") or hit.startswith(path + "[") else ""
        cells.append(f"<tr><th>{esc(labels.field(key))}</th><td{cls}>{esc(_brief(value))}</td></tr>")
    return f"<table>{''.join(cells)}</table>"


def _brief(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(" ".join(str(v) for v in item.values() if v is not None) if isinstance(item, dict) else str(item)
                         for item in value)
    return value


def _sum(values: Iterable[Any]) -> str:
    """Decimal sum of the numbers present: float sums print 99.99999999 where the form has 100."""
    total = Decimal(0)
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                total += Decimal(str(value))
            except InvalidOperation:
                continue
    return format(total.normalize(), "f")
