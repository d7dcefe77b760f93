"""Runs the rules over extracted files: one file or a whole batch at once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from audit.findings import Finding, FormView
from audit.rules import load_rules


@dataclass(frozen=True)
class AuditConfig:
    confidence_threshold: float = 0.80  # a value read below this makes its rules say `review`


def audit_results(results: Iterable[dict[str, Any]], config: AuditConfig = AuditConfig()) -> list[Finding]:
    """Findings for every form of every extracted file (FORMS.md JSON), in reading order."""
    checks = load_rules()
    findings: list[Finding] = []
    for result in results:
        for form in result.get("forms") or []:
            view = FormView(form, result.get("source"), config.confidence_threshold)
            for kind, check in checks:
                if kind == form.get("kind"):
                    findings.extend(check(view))
    return findings
