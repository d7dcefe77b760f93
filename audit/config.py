"""What a reviewer may tune about the audit: thresholds, grade bands and suppressions.

The defaults are the conventions of AUDIT_RULES.md; `worker/defaults.toml` documents every field
with the same values, and a test keeps the two equal.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

GRADES = ("优", "良", "中", "差")


class Suppression(BaseModel):
    """A rule silenced for one department and/or project, and why: the report still lists it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    rule: str
    department: Optional[str] = None
    project: Optional[str] = None
    reason: str = Field(min_length=1)

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, rule: str) -> str:
        from audit.rules import CATALOGUE

        if rule not in CATALOGUE:
            raise ValueError(f"unknown rule {rule!r}; rules are listed in AUDIT_RULES.md")
        return rule

    def covers(self, rule: str, department: Optional[str], project: Optional[str]) -> bool:
        return (
            rule == self.rule
            and (self.department is None or _same(self.department, department))
            and (self.project is None or _same(self.project, project))
        )


class AuditConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    confidence_threshold: float = Field(0.80, ge=0, le=1)
    funds_explanation_rate: float = Field(90, ge=0, le=100)
    low_execution_rate: float = Field(60, ge=0, le=100)
    far_exceeded_ratio: float = Field(1.5, gt=1)
    proportional_tolerance: float = Field(0.5, ge=0)
    grade_bands: dict[str, float] = Field(default_factory=lambda: {"优": 90, "良": 80, "中": 60, "差": 0})
    suppress: tuple[Suppression, ...] = ()

    @model_validator(mode="after")
    def _bands_ordered(self) -> "AuditConfig":
        if set(self.grade_bands) != set(GRADES):
            raise ValueError(f"grade_bands must give a lower bound for each of {', '.join(GRADES)}")
        bounds = [self.grade_bands[g] for g in GRADES]
        if bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
            raise ValueError("grade_bands must fall strictly from 优 to 差")
        return self

    def bands(self) -> tuple[tuple[Decimal, str], ...]:
        """(lower bound, grade), highest first; the lowest band is open below."""
        return tuple(
            (Decimal(str(self.grade_bands[g])) if g != GRADES[-1] else Decimal("-Infinity"), g) for g in GRADES
        )

    def suppression(self, rule: str, department: Optional[str], project: Optional[str]) -> Optional[Suppression]:
        return next((s for s in self.suppress if s.covers(rule, department, project)), None)


def _same(a: Optional[str], b: Optional[str]) -> bool:
    from extractor.normalize import key

    return a is not None and b is not None and key(a) == key(b)
