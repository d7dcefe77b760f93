"""The JSON report, and the totals every report shares.

Layout (`ensure_ascii=False`, UTF-8):

    {
      "findings":   [<finding>, ...],                 # exactly the 12 keys of AUDIT_RULES.md "One finding"
      "suppressed": [{"finding": <finding>, "reason": "..."}, ...],
      "totals": {
        "severity":   {"error": n, "warning": n, "info": n, "review": n},   # all four, always
        "rule":       {"FUNDS_RATE": n, ...},                                 # most frequent first
        "department": {"中共宁波市委组织部": n, ...}                          # "" for findings without one
      },
      "files": n,          # files in the batch, read or not
      "forms": n,          # forms extracted from them
      "messages": ["..."]  # input problems ("a.pdf page 3: CODE: reason") and batch-wide notes (nothing to audit)
    }

Totals count findings only; suppressed findings are listed apart and not counted.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, TextIO

from audit.engine import AuditRun
from audit.findings import SEVERITIES, Finding


def totals(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    by_severity: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    by_department: Counter[str] = Counter()
    for f in findings:
        by_severity[f.severity] += 1
        by_rule[f.rule] += 1
        by_department[f.department or ""] += 1
    return {
        "severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "rule": dict(by_rule.most_common()),
        "department": dict(by_department.most_common()),
    }


def form_counts(run: AuditRun) -> dict[int, Counter[str]]:
    """Findings per form index, by severity: one pass, so per-form tables stay linear in size."""
    counts: dict[int, Counter[str]] = {}
    for f in run.findings:
        if f.form is not None:
            counts.setdefault(f.form, Counter())[f.severity] += 1
    return counts


def report_dict(run: AuditRun) -> dict[str, Any]:
    return {
        "findings": [f.to_dict() for f in run.findings],
        "suppressed": [{"finding": f.to_dict(), "reason": s.reason} for f, s in run.suppressed],
        "totals": totals(run.findings),
        "files": len(run.results),
        "forms": len(run.forms),
        "messages": list(run.messages),
    }


def dump_json(run: AuditRun, out: TextIO, indent: int | None = 1) -> None:
    json.dump(report_dict(run), out, ensure_ascii=False, indent=indent)
    out.write("\n")


def write_json(run: AuditRun, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        dump_json(run, fh)
