"""Runs the rules over extracted files: one file or a whole batch at once.

Per-form checks see one form; batch checks see everything audited together (one upload, one
archive, one nightly run), which is where summaries, targets tables and forms meet. Suppressed
findings are kept apart with their reason, never dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from audit.config import AuditConfig, Suppression
from audit.findings import Finding, FormView
from audit.rules import load_rules, merge_unreadable
from extractor.model import error_line


@dataclass
class AuditRun:
    """Everything one audit produced; `forms[i]` is the view a finding with `form == i` is about."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    forms: list[FormView] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def form_of(self, finding: Finding) -> Optional[FormView]:
        return self.forms[finding.form] if finding.form is not None else None


@dataclass
class Batch:
    """What batch checks read: every extracted file and a view of every form in it."""

    results: list[dict[str, Any]]
    views: list[FormView]
    config: AuditConfig

    def of_kind(self, kind: str) -> list[FormView]:
        return [v for v in self.views if v.form.get("kind") == kind]


def audit_results(results: Iterable[dict[str, Any]], config: AuditConfig = AuditConfig()) -> AuditRun:
    """Audit every form of every extracted file (FORMS.md JSON) as one batch."""
    form_checks, batch_checks = load_rules()
    run = AuditRun(results=list(results))
    for result in run.results:
        for form in result.get("forms") or []:
            run.forms.append(FormView(form, result.get("source"), config, len(run.forms)))
    for result in run.results:
        run.messages.extend(error_line(result.get("source"), err) for err in result.get("errors") or [])
    if not run.results:
        run.messages.append("nothing to audit: the batch holds no files")
    elif not run.forms:
        run.messages.append("nothing to audit: no form was extracted from the batch")
    found: list[Finding] = []
    for view in run.forms:
        for kind, check in form_checks:
            if kind == view.form.get("kind"):
                found.extend(check(view))
    batch = Batch(run.results, run.forms, config)
    for check in batch_checks:
        found.extend(check(batch))
    for finding in merge_unreadable(found):
        rule = config.suppression(finding.rule, finding.department, finding.project)
        if rule is None:
            run.findings.append(finding)
        else:
            run.suppressed.append((finding, rule))
    return run
