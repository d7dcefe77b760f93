"""The three kinds of form and their parts, serialised to exactly the JSON of FORMS.md.

Fields the spec does not name (`note`, `total_weight`, `self_added`, `has_explanation`, …) are
extensions: consumers of FORMS.md ignore them, and no spec field is renamed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from extractor.model import BBox

FUNDS_ROW_KEYS = ("total", "fiscal", "carryover", "other")
OPERATORS = ("=", "≥", "≤", ">", "<", "≠")  # a target's operator (项目绩效目标汇总表 运算符), as printed


@dataclass
class Provenance:
    """Where a form value came from: page, box on the page, how sure the reader was, printed text."""

    page: Optional[int]
    bbox: Optional[BBox]
    confidence: float
    text: str
    read: Optional[str] = None  # OCR's raw reading, when a confusion fix changed it into `text`

    def to_dict(self) -> dict[str, Any]:
        out = {
            "page": self.page,
            "bbox": None if self.bbox is None else [round(v, 1) for v in self.bbox],
            "confidence": round(self.confidence, 4),
            "text": self.text,
        }
        if self.read is not None:
            out["read"] = self.read
        return out


@dataclass
class FundsRow:
    initial: Optional[float] = None
    adjusted: Optional[float] = None
    executed: Optional[float] = None
    rate: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"initial": self.initial, "adjusted": self.adjusted, "executed": self.executed, "rate": self.rate}


@dataclass
class Funds:
    unit: str = "万元"
    rows: dict[str, FundsRow] = field(default_factory=lambda: {k: FundsRow() for k in FUNDS_ROW_KEYS})
    weight: Optional[float] = None
    rate: Optional[str] = None
    score: Optional[float] = None
    explanation: Optional[str] = None
    has_explanation: bool = False  # the form prints a 偏差原因分析 column in its funds block

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "rows": {k: self.rows[k].to_dict() for k in FUNDS_ROW_KEYS},
            "weight": self.weight, "rate": self.rate, "score": self.score,
            "explanation": self.explanation, "has_explanation": self.has_explanation,
        }


@dataclass
class Indicator:
    level1: Optional[str]
    level2: Optional[str]
    name: Optional[str]
    target: Optional[str] = None
    actual: Optional[str] = None
    weight: Optional[float] = None
    score: Optional[float] = None
    explanation: Optional[str] = None
    self_added: bool = False  # printed with a "(自评新增)" mark, removed from `name`

    def to_dict(self) -> dict[str, Any]:
        return {
            "level1": self.level1, "level2": self.level2, "name": self.name, "target": self.target,
            "actual": self.actual, "weight": self.weight, "score": self.score,
            "explanation": self.explanation, "self_added": self.self_added,
        }


@dataclass
class SelfEvaluation:
    title: str
    year: Optional[int] = None
    project: Optional[str] = None
    department: Optional[str] = None
    implementer: Optional[str] = None
    pages: list[int] = field(default_factory=list)
    funds: Funds = field(default_factory=Funds)
    goal_planned: Optional[str] = None
    goal_achieved: Optional[str] = None
    group_weights: dict[str, float] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)
    total_weight: Optional[float] = None
    total_score: Optional[float] = None
    grade: Optional[str] = None
    note: Optional[str] = None
    cells: dict[str, Provenance] = field(default_factory=dict)
    kind: str = "self_evaluation"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "title": self.title, "year": self.year, "project": self.project,
            "department": self.department, "implementer": self.implementer, "pages": self.pages,
            "funds": self.funds.to_dict(),
            "goal": {"planned": self.goal_planned, "achieved": self.goal_achieved},
            "group_weights": {k: _num(v) for k, v in self.group_weights.items()},
            "indicators": [i.to_dict() for i in self.indicators],
            "total_weight": self.total_weight, "total_score": self.total_score, "grade": self.grade,
            "note": self.note,
            "cells": {k: v.to_dict() for k, v in self.cells.items()},
        }


@dataclass
class SummaryRow:
    seq: Optional[int] = None
    project: Optional[str] = None
    code: Optional[str] = None
    unit_name: Optional[str] = None
    adjusted: Optional[float] = None
    executed: Optional[float] = None
    rate: Optional[str] = None
    grade: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "project": self.project, "code": self.code, "unit_name": self.unit_name,
            "adjusted": self.adjusted, "executed": self.executed, "rate": self.rate, "grade": self.grade,
        }


@dataclass
class Summary:
    title: str
    year: Optional[int] = None
    department: Optional[str] = None
    unit: str = "万元"
    pages: list[int] = field(default_factory=list)
    rows: list[SummaryRow] = field(default_factory=list)
    cells: dict[str, Provenance] = field(default_factory=dict)
    kind: str = "summary"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "title": self.title, "year": self.year, "department": self.department,
            "unit": self.unit, "pages": self.pages, "rows": [r.to_dict() for r in self.rows],
            "cells": {k: v.to_dict() for k, v in self.cells.items()},
        }


@dataclass
class TargetIndicator:
    name: Optional[str]
    op: Optional[str] = None
    unit: Optional[str] = None
    value: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "unit": self.unit, "value": self.value}


@dataclass
class TargetRow:
    seq: Optional[int] = None
    project: Optional[str] = None
    overview: Optional[str] = None
    budget: Optional[float] = None
    goal: Optional[str] = None
    indicators: list[TargetIndicator] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "project": self.project, "overview": self.overview, "budget": self.budget,
            "goal": self.goal, "indicators": [i.to_dict() for i in self.indicators],
        }


@dataclass
class Targets:
    title: str
    year: Optional[int] = None
    department: Optional[str] = None
    unit: str = "万元"
    pages: list[int] = field(default_factory=list)
    rows: list[TargetRow] = field(default_factory=list)
    cells: dict[str, Provenance] = field(default_factory=dict)
    kind: str = "targets"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "title": self.title, "year": self.year, "department": self.department,
            "unit": self.unit, "pages": self.pages, "rows": [r.to_dict() for r in self.rows],
            "cells": {k: v.to_dict() for k, v in self.cells.items()},
        }


Form = Union[SelfEvaluation, Summary, Targets]


def _num(v: float) -> Union[int, float]:
    return int(v) if float(v).is_integer() else v
