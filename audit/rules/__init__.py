"""The rule catalogue of AUDIT_RULES.md and the registry of per-form checks.

Each file in this package owns one family of rules and registers its checks with `@form_check`.
A check yields findings; where a value it needs is missing it yields UNREADABLE_VALUE naming the
rule it blocks, and where an input was read with low confidence its finding says `review`.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Sequence, Union

from audit.findings import Finding, FormView

if TYPE_CHECKING:
    from audit.engine import Batch

CATALOGUE: dict[str, str] = {
    "FUNDS_SUBTOTAL": "error", "FUNDS_RATE": "error", "FUNDS_SCORE": "error", "TOTAL_SCORE": "error",
    "WEIGHT_SUM": "error", "GROUP_WEIGHT": "error", "SCORE_RANGE": "error", "GRADE_BAND": "error",
    "UNMET_FULL_SCORE": "warning", "MISSING_EXPLANATION": "warning", "FUNDS_UNEXPLAINED": "warning",
    "COST_OVERRUN": "warning", "UNIT_MISMATCH": "warning", "SPENT_NOTHING_FULL_OUTPUT": "warning",
    "CONTRADICTORY_EXPLANATION": "warning", "LOW_EXECUTION_HIGH_GRADE": "warning",
    "SCORE_NOT_PROPORTIONAL": "info", "TARGET_FAR_EXCEEDED": "info", "NON_QUANTIFIED_TARGET": "info",
    "SUMMARY_MISMATCH": "error", "SUMMARY_WITHOUT_FORM": "warning", "FORM_NOT_IN_SUMMARY": "warning",
    "TARGET_CHANGED": "warning", "INITIAL_BUDGET_MISMATCH": "warning", "INDICATOR_ADDED": "info",
    "INDICATOR_DROPPED": "warning", "DUPLICATE_FORM": "warning",
    "UNREADABLE_VALUE": "review", "UNRECOGNISED_PAGE": "review",
}

FormCheck = Callable[[FormView], Iterable[Finding]]
BatchCheck = Callable[["Batch"], Iterable[Finding]]
FORM_CHECKS: list[tuple[str, FormCheck]] = []  # (form kind, check)
BATCH_CHECKS: list[BatchCheck] = []
_FAMILIES = (
    "audit.rules.arithmetic", "audit.rules.targets", "audit.rules.explanations",
    "audit.rules.documents", "audit.rules.quality",
)


def form_check(kind: str = "self_evaluation") -> Callable[[FormCheck], FormCheck]:
    def register(fn: FormCheck) -> FormCheck:
        FORM_CHECKS.append((kind, fn))
        return fn

    return register


def batch_check(fn: BatchCheck) -> BatchCheck:
    """Register a check over everything audited together (cross-document rules)."""
    BATCH_CHECKS.append(fn)
    return fn


def load_rules() -> tuple[list[tuple[str, FormCheck]], list[BatchCheck]]:
    for name in _FAMILIES:
        importlib.import_module(name)
    return FORM_CHECKS, BATCH_CHECKS


def missing(
    view: FormView, rule: str, paths: Iterable[str], pinned: Optional[Callable[[str], Optional[str]]] = None,
) -> Optional[Finding]:
    """UNREADABLE_VALUE for the first input of `rule` that is absent, else None.

    `pinned(path)` gives the one value the rest of the form allows there, when the arithmetic
    determines it (a missing total is the sum of its parts); it becomes the finding's `expected`.
    """
    paths = list(paths)
    absent = [path for path in paths if view.get(path) is None]
    if not absent:
        return None
    path = absent[0]
    return unreadable(view, rule, path, pinned(path) if pinned is not None and len(absent) == 1 else None)


def unreadable(
    view: FormView, rules: Union[str, Sequence[str]], path: str, expected: Optional[str] = None,
    detail: Optional[str] = None, found: Optional[str] = None, indicator: Optional[str] = None,
) -> Finding:
    """UNREADABLE_VALUE for `path`, which `rules` need; the engine merges those of one value.
    `detail` says what is wrong with it (default: missing or unreadable)."""
    blocks = (rules,) if isinstance(rules, str) else tuple(rules)
    detail = detail or f"{path} is missing or unreadable"
    finding = view.finding("UNREADABLE_VALUE", "review", path, unreadable_message(detail, blocks, expected),
                           found=found, expected=expected, indicator=indicator)
    finding.blocks, finding.detail = blocks, detail
    return finding


def unreadable_message(detail: str, rules: Iterable[str], expected: Optional[str]) -> str:
    hint = f"; the other values make it {expected}" if expected is not None else ""
    return f"{detail}; it blocks {', '.join(rules)}{hint}"


def merge_unreadable(findings: list[Finding]) -> list[Finding]:
    """One UNREADABLE_VALUE per missing value, naming every rule it blocks (rules report it one by one)."""
    out: list[Finding] = []
    first: dict[tuple, Finding] = {}
    for f in findings:
        if f.rule != "UNREADABLE_VALUE" or not f.blocks:
            out.append(f)
            continue
        key = (f.source, f.form, f.field)
        seen = first.get(key)
        if seen is None:
            first[key] = f
            out.append(f)
            continue
        seen.blocks += tuple(r for r in f.blocks if r not in seen.blocks)
        seen.expected = seen.expected if seen.expected is not None else f.expected
        seen.message = unreadable_message(seen.detail, seen.blocks, seen.expected)
    return out


def severity(view: FormView, rule: str, paths: Iterable[str]) -> str:
    """The catalogue severity, or `review` when any input was read below the confidence threshold."""
    return "review" if any(view.unsure(p) for p in paths) else CATALOGUE[rule]
