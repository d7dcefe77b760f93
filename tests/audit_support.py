"""Helpers the audit tests share: audit one form, edit a copy of one, pick findings of a rule."""
from __future__ import annotations

import copy
from typing import Any, Optional

from audit.config import AuditConfig
from audit.engine import audit_results


def audit_form(form: dict, **config: Any) -> list[dict]:
    """The findings (as JSON) of one form audited alone; `config` overrides AuditConfig fields."""
    run = audit_results([{"source": "t.pdf", "forms": [form]}], AuditConfig(**config))
    return [f.to_dict() for f in run.findings]


def rules_of(findings: list[dict]) -> list[str]:
    return [f["rule"] for f in findings]


def of_rule(findings: list[dict], rule: str) -> list[dict]:
    return [f for f in findings if f["rule"] == rule]


def edit(form: dict, path: str, value: Any, text: Optional[str] = None) -> dict:
    """A copy with one value changed (and its printed text, as the extractor would record it)."""
    form = copy.deepcopy(form)
    edit_in_place(form, path, value, text)
    return form


def edit_in_place(form: dict, path: str, value: Any, text: Optional[str] = None) -> None:
    node = form
    parts = path.replace("]", "").split(".")
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        node = node[name][int(index)] if index else node[name]
    node[parts[-1]] = value
    if path in form.get("cells", {}):
        form["cells"][path]["text"] = text if text is not None else str(value)
