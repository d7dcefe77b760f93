"""A finding, exactly the JSON of AUDIT_RULES.md ("One finding"), and the form view rules read.

Rules read the extracted form JSON (FORMS.md), not the extractor's classes: forms may come from the
store or another program. The view answers a rule's questions about one form: a value by its JSON
path, the printed text behind it, and whether the reader was sure of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from audit.config import AuditConfig

SEVERITIES = ("error", "warning", "info", "review")


@dataclass
class Finding:
    rule: str
    severity: str
    source: Optional[str]
    page: Optional[int]
    department: Optional[str]
    project: Optional[str]
    indicator: Optional[str]
    field: Optional[str]
    found: Optional[str]
    expected: Optional[str]
    message: str
    bbox: Optional[list[float]] = None
    form: Optional[int] = field(default=None, compare=False)  # index into AuditRun.forms; not in the JSON
    blocks: tuple[str, ...] = field(default=(), compare=False)  # UNREADABLE_VALUE: the rules it stops
    detail: str = field(default="", compare=False)  # UNREADABLE_VALUE: what is wrong with the value

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "severity": self.severity, "source": self.source, "page": self.page,
            "department": self.department, "project": self.project, "indicator": self.indicator,
            "field": self.field, "found": self.found, "expected": self.expected,
            "message": self.message, "bbox": self.bbox,
        }


class FormView:
    """One form of one source file, with the provenance of its values."""

    def __init__(self, form: dict[str, Any], source: Optional[str], config: "AuditConfig", index: Optional[int] = None):
        self.form = form
        self.source = source
        self.config = config
        self.index = index
        self.threshold = config.confidence_threshold
        self.cells: dict[str, dict[str, Any]] = form.get("cells") or {}
        self._values: dict[str, Any] = {}  # rules read the same paths many times; forms don't change

    def get(self, path: str) -> Any:
        """The value at a JSON path such as "funds.rows.total.executed" or "indicators[3].score"."""
        try:
            return self._values[path]
        except KeyError:
            pass
        node: Any = self.form
        for name, index in _steps(path):
            node = node.get(name) if isinstance(node, dict) else None
            if index is not None and node is not None:
                node = node[index] if index < len(node) else None
            if node is None:
                break
        self._values[path] = node
        return node

    def printed(self, path: str) -> Optional[str]:
        """The text as printed (from provenance), else the value itself as text."""
        cell = self.cells.get(path)
        if cell is not None:
            return cell.get("text")
        value = self.get(path)
        return None if value is None else _plain(value)

    def unsure(self, path: str) -> bool:
        cell = self.cells.get(path)
        return cell is not None and cell.get("confidence", 1.0) < self.threshold

    def finding(
        self, rule: str, severity: str, field: Optional[str], message: str,
        found: Optional[str] = None, expected: Optional[str] = None, indicator: Optional[str] = None,
    ) -> Finding:
        cell = self.cells.get(field or "") or {}
        pages = self.form.get("pages") or [None]
        return Finding(
            rule=rule, severity=severity, source=self.source, page=cell.get("page", pages[0]),
            department=self.form.get("department"), project=self.form.get("project"), indicator=indicator,
            field=field, found=found, expected=expected, message=message, bbox=cell.get("bbox"),
            form=self.index,
        )


_STEPS: dict[str, tuple[tuple[str, Optional[int]], ...]] = {}


def _steps(path: str) -> tuple[tuple[str, Optional[int]], ...]:
    """A JSON path split into (key, list index) steps, once per distinct path: rules ask for the
    same few hundred paths on every form of a batch."""
    steps = _STEPS.get(path)
    if steps is None:
        parts = (part.partition("[") for part in path.replace("]", "").split("."))
        steps = _STEPS[path] = tuple((name, int(index) if index else None) for name, _, index in parts)
    return steps


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
