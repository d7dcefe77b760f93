"""Forms back from the JSON of FORMS.md (the inverse of `Form.to_dict`), to render sample documents.

Lenient on purpose: a hand-written fixture may leave out any field, and unknown keys are ignored.
"""
from __future__ import annotations

from typing import Any, Optional, Union

from extractor.forms import (
    FUNDS_ROW_KEYS, Form, Funds, FundsRow, Indicator, Provenance, SelfEvaluation, Summary, SummaryRow,
    TargetIndicator, TargetRow, Targets,
)


def forms_from_dict(data: Union[dict[str, Any], list[Any]]) -> list[Form]:
    """Accept an extraction result (`{"forms": [...]}`), a bare list of forms, or one form."""
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and "forms" in data:
        items = data["forms"]
    elif isinstance(data, dict) and "kind" in data:
        items = [data]
    else:
        raise ValueError('expected {"forms": [...]}, a list of forms or one form object')
    return [form_from_dict(item) for item in items]


def form_from_dict(d: dict[str, Any]) -> Form:
    kind = d.get("kind")
    if kind == "self_evaluation":
        return _self_evaluation(d)
    if kind == "summary":
        return Summary(
            title=d.get("title") or "预算项目单位自评情况汇总表", year=d.get("year"),
            department=d.get("department"), unit=d.get("unit") or "万元", pages=list(d.get("pages") or []),
            rows=[SummaryRow(
                seq=r.get("seq"), project=r.get("project"), code=r.get("code"), unit_name=r.get("unit_name"),
                adjusted=_float(r.get("adjusted")), executed=_float(r.get("executed")), rate=r.get("rate"),
                grade=r.get("grade"),
            ) for r in d.get("rows") or []],
            cells=_cells(d),
        )
    if kind == "targets":
        return Targets(
            title=d.get("title") or "项目绩效目标汇总表", year=d.get("year"), department=d.get("department"),
            unit=d.get("unit") or "万元", pages=list(d.get("pages") or []),
            rows=[TargetRow(
                seq=r.get("seq"), project=r.get("project"), overview=r.get("overview"),
                budget=_float(r.get("budget")), goal=r.get("goal"),
                indicators=[TargetIndicator(name=i.get("name"), op=i.get("op"), unit=i.get("unit"),
                                            value=i.get("value")) for i in r.get("indicators") or []],
            ) for r in d.get("rows") or []],
            cells=_cells(d),
        )
    raise ValueError(f"unknown form kind: {kind!r}")


def _self_evaluation(d: dict[str, Any]) -> SelfEvaluation:
    f = d.get("funds") or {}
    rows = f.get("rows") or {}
    funds = Funds(
        unit=f.get("unit") or "万元",
        rows={k: FundsRow(
            initial=_float((rows.get(k) or {}).get("initial")),
            adjusted=_float((rows.get(k) or {}).get("adjusted")),
            executed=_float((rows.get(k) or {}).get("executed")),
            rate=(rows.get(k) or {}).get("rate"),
        ) for k in FUNDS_ROW_KEYS},
        weight=_float(f.get("weight")), rate=f.get("rate"), score=_float(f.get("score")),
        explanation=f.get("explanation"),
        has_explanation=bool(f.get("has_explanation", f.get("explanation") is not None)),
    )
    goal = d.get("goal") or {}
    return SelfEvaluation(
        title=d.get("title") or "项目支出绩效自评表", year=d.get("year"), project=d.get("project"),
        department=d.get("department"), implementer=d.get("implementer"), pages=list(d.get("pages") or []),
        funds=funds, goal_planned=goal.get("planned"), goal_achieved=goal.get("achieved"),
        group_weights={k: float(v) for k, v in (d.get("group_weights") or {}).items()},
        indicators=[Indicator(
            level1=i.get("level1"), level2=i.get("level2"), name=i.get("name"), target=i.get("target"),
            actual=i.get("actual"), weight=_float(i.get("weight")), score=_float(i.get("score")),
            explanation=i.get("explanation"), self_added=bool(i.get("self_added", False)),
        ) for i in d.get("indicators") or []],
        total_weight=_float(d.get("total_weight")), total_score=_float(d.get("total_score")),
        grade=d.get("grade"), note=d.get("note"), cells=_cells(d),
    )


def _float(v: Any) -> Optional[float]:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return float(v.replace(",", ""))
    return float(v)


def _cells(d: dict[str, Any]) -> dict[str, Provenance]:
    out: dict[str, Provenance] = {}
    for key, p in (d.get("cells") or {}).items():
        bbox = p.get("bbox")
        out[key] = Provenance(page=p.get("page"), bbox=None if bbox is None else tuple(bbox),
                              confidence=float(p.get("confidence", 1.0)), text=p.get("text", ""))
    return out
