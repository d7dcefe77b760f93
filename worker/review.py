"""What a reviewer does with findings: list them with filters, group them, confirm, dismiss, reopen,
and correct an extracted value with its history kept.

Every action is a row: a `Decision` (who, when, why) per confirm/dismiss/reopen/correct, a
`Correction` per changed value holding the old value for good. A finding's `status` is its last
decision. The functions take an open Session and leave committing to the caller, so an API route
is one transaction; they raise `ReviewError` (a bad request, said in words) or `NotFound`.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from audit.findings import SEVERITIES, Finding
from worker.store.models import Correction, Decision, FindingRow, FormRow, Run, utcnow

ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "reopen": "open"}  # action → the status it leaves
STATUSES = ("open", "confirmed", "dismissed", "corrected")
FINDING_KEYS = ("rule", "severity", "source", "page", "department", "project", "indicator", "field",
                "found", "expected", "message", "bbox")
# FORMS.md: amounts, weights and scores are JSON numbers; rates, targets and actuals stay printed text.
NUMERIC_KEYS = frozenset({"initial", "adjusted", "executed", "weight", "score", "total_score", "budget", "year", "seq"})
PROTECTED = frozenset({"kind", "cells", "pages"})  # what the extractor knows better than a reviewer
BLANKS = frozenset({"", "—", "-", "－"})
_PATH = re.compile(r"^[A-Za-z_]\w*(\[\d+\])?(\.[^.\[\]]+(\[\d+\])?)*$")


class ReviewError(ValueError):
    """A review request that cannot be carried out as asked; the message says why."""


class NotFound(LookupError):
    """The finding, form or run asked for does not exist."""


@dataclass(frozen=True)
class FindingFilter:
    """Which findings to list; None means any. Department is compared after NFKC normalisation."""

    run: Optional[int] = None
    form: Optional[int] = None
    severity: Optional[str] = None
    rule: Optional[str] = None
    department: Optional[str] = None
    status: Optional[str] = None

    def __post_init__(self) -> None:
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ReviewError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")
        if self.status is not None and self.status not in STATUSES:
            raise ReviewError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")


def nfkc(text: Optional[str]) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def latest_run_id(session: Session) -> Optional[int]:
    return session.scalar(select(Run.id).order_by(Run.id.desc()).limit(1))


def list_findings(session: Session, filt: FindingFilter) -> list[FindingRow]:
    """Findings matching `filt`, most severe first, then by department and reading order."""
    query = select(FindingRow).options(selectinload(FindingRow.decisions))
    for column, value in ((FindingRow.run_id, filt.run), (FindingRow.form_id, filt.form),
                          (FindingRow.severity, filt.severity), (FindingRow.rule, filt.rule),
                          (FindingRow.status, filt.status)):
        if value is not None:
            query = query.where(column == value)
    rows = list(session.scalars(query.order_by(FindingRow.id)))
    if filt.department is not None:
        # Stored names come from OCR and spreadsheets: full-width and half-width forms must match.
        wanted = nfkc(filt.department)
        rows = [row for row in rows if nfkc(row.department) == wanted]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(rows, key=lambda r: (rank.get(r.severity, len(rank)), nfkc(r.department)))


def finding_dict(row: FindingRow) -> dict[str, Any]:
    """A finding as the API shows it: the AUDIT_RULES JSON under `finding`, with the review state."""
    return {
        "id": row.id, "run_id": row.run_id, "key": row.key, "status": row.status, "rule": row.rule,
        "severity": row.severity, "department": row.department, "form_id": row.form_id,
        "document_id": row.document_id, "suppressed": row.suppressed,
        "finding": {k: row.data.get(k) for k in FINDING_KEYS},
        "decisions": [decision_dict(d) for d in row.decisions],
    }


def decision_dict(decision: Decision) -> dict[str, Any]:
    return {"action": decision.action, "who": decision.who, "why": decision.why, "at": decision.at.isoformat()}


def group_findings(rows: Iterable[FindingRow]) -> list[dict[str, Any]]:
    """[{severity, count, departments: [{department, findings: [row, …]}]}] in severity order; the
    department "" holds findings without one (batch-wide ones)."""
    groups: dict[str, dict[str, list[FindingRow]]] = {}
    for row in rows:
        groups.setdefault(row.severity, {}).setdefault(nfkc(row.department), []).append(row)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return [
        {"severity": severity, "count": sum(len(v) for v in by_dept.values()),
         "departments": [{"department": dept, "findings": found} for dept, found in sorted(by_dept.items())]}
        for severity, by_dept in sorted(groups.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    ]


def as_finding(row: FindingRow) -> Finding:
    """The stored JSON back as the audit's Finding, for the report's detail renderer."""
    return Finding(**{k: row.data.get(k) for k in FINDING_KEYS})


def get_finding(session: Session, finding_id: int) -> FindingRow:
    row = session.get(FindingRow, finding_id)
    if row is None:
        raise NotFound(f"no finding {finding_id}")
    return row


def get_form(session: Session, form_id: int, lock: bool = False) -> FormRow:
    """The form; `lock`: held until commit (PostgreSQL), so two reviewers' corrections do not overwrite each other."""
    row = session.get(FormRow, form_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"no form {form_id}")
    return row


def decide(session: Session, finding_id: int, action: str, who: str, why: Optional[str] = None) -> FindingRow:
    """Confirm, dismiss (a reason required) or reopen a finding; the decision is kept with who/when/why."""
    if action not in ACTIONS:
        raise ReviewError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    why = (why or "").strip() or None
    if action == "dismiss" and why is None:
        raise ReviewError("a dismissal needs a reason: say why the finding does not apply")
    row = get_finding(session, finding_id)
    _record(session, row, action, who, why)
    row.status = ACTIONS[action]
    return row


def _record(session: Session, row: FindingRow, action: str, who: str, why: Optional[str]) -> None:
    decision = Decision(finding=row, finding_key=row.key, run_id=row.run_id, action=action, who=who, why=why,
                        at=utcnow())
    session.add(decision)


def correct(session: Session, form_id: int, path: str, value: Any, who: str, why: Optional[str]) -> Correction:
    """Change one extracted value of a form: the Correction row keeps the old value, the form's JSON
    (and the provenance text the reports print) takes the new one, and the open findings on that
    value are marked corrected. The caller re-audits the runs holding the form (`runs_holding`)."""
    why = (why or "").strip() or None
    if why is None:
        raise ReviewError("a correction needs a reason: say where the right value comes from")
    form = get_form(session, form_id, lock=True)
    data = copy.deepcopy(form.data)  # a new object, so the JSON column sees the change
    slot = _slot(data, path or "")
    if slot is None:
        raise ReviewError(f"{path!r} is not a value of form {form_id} (a FORMS.md path such as "
                          f"'funds.rows.total.executed' or 'indicators[2].actual')")
    container, key = slot
    old = container[key]
    new = coerce(path, value)
    if isinstance(old, (dict, list)):
        raise ReviewError(f"{path!r} is a block of form {form_id}, not one value: correct its values one by one")
    container[key] = new
    cell = (data.get("cells") or {}).get(path)
    if cell is not None:
        # Reports print provenance text; the reviewer's value is certain, and the scan's reading stays in history.
        cell.update(text=None if new is None else _text(new), confidence=1.0, corrected=True)
    form.data = data
    correction = Correction(form_id=form.id, path=path, old_value=old, new_value=new, who=who, why=why, at=utcnow())
    session.add(correction)
    for row in session.scalars(select(FindingRow).where(FindingRow.form_id == form.id)):
        if row.data.get("field") == path and row.status == "open":
            _record(session, row, "correct", who, why)
            row.status = "corrected"
    return correction


def history(session: Session, form_id: int) -> list[dict[str, Any]]:
    """Every correction of a form, oldest first, with the value it replaced."""
    get_form(session, form_id)
    rows = session.scalars(select(Correction).where(Correction.form_id == form_id).order_by(Correction.at, Correction.id))
    return [{"id": c.id, "path": c.path, "old_value": c.old_value, "new_value": c.new_value, "who": c.who,
             "why": c.why, "at": c.at.isoformat()} for c in rows]


def runs_holding(session: Session, document_id: int) -> list[int]:
    """The runs whose batch holds the document: the ones a correction of its forms re-audits."""
    runs = session.execute(select(Run.id, Run.document_ids)).all()
    return [run_id for run_id, ids in runs if document_id in (ids or [])]


def coerce(path: str, value: Any) -> Any:
    """The reviewer's input as FORMS.md types it: a number for amounts/weights/scores ("1,563.92" →
    1563.92), trimmed text otherwise; a blank or dash is null."""
    if isinstance(value, str):
        value = value.strip()
        if value in BLANKS:
            return None
    if value is None or not _numeric(path):
        return value
    if isinstance(value, bool):
        raise ReviewError(f"{path} takes a number, not {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(Decimal(nfkc(str(value)).replace(",", "")))
    except InvalidOperation:
        raise ReviewError(f"{path} takes a number (an amount, weight or score), not {value!r}") from None


def _numeric(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last in NUMERIC_KEYS or path.startswith("group_weights.")


def _slot(data: dict[str, Any], path: str) -> Optional[tuple[Any, Any]]:
    """(container, key or index) of an existing value at a FORMS.md JSON path, else None.
    FORMS.md writes every field (null when blank), so a path to no key is a typo, not a new field."""
    if not _PATH.match(path) or path.split(".")[0].split("[")[0] in PROTECTED:
        return None
    node: Any = data
    steps = [(name, int(index) if index else None)
             for name, _, index in (part.partition("[") for part in path.replace("]", "").split("."))]
    slot: Optional[tuple[Any, Any]] = None
    for name, index in steps:
        if not isinstance(node, dict) or name not in node:
            return None
        slot, node = (node, name), node[name]
        if index is not None:
            if not isinstance(node, list) or index >= len(node):
                return None
            slot, node = (node, index), node[index]
    return slot


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
