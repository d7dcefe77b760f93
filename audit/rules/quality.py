"""Data quality (`review`): UNRECOGNISED_PAGE.

UNREADABLE_VALUE is raised by the rule that misses a value (`audit.rules.missing`); this family
covers what the extractor saw but could not place: a page holding a table that belongs to no form.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from audit.findings import Finding
from audit.rules import batch_check

if TYPE_CHECKING:
    from audit.engine import Batch


@batch_check
def unrecognised_page(batch: "Batch") -> Iterator[Finding]:
    for result in batch.results:
        for page in _stray_table_pages(result):
            yield Finding(
                rule="UNRECOGNISED_PAGE", severity="review", source=result.get("source"), page=page,
                department=None, project=None, indicator=None, field=None, found=None, expected=None,
                message=f"page {page} holds a table that matches no known form (项目支出绩效自评表, "
                        "自评情况汇总表, 项目绩效目标汇总表); check it by hand",
            )


def _stray_table_pages(result: dict[str, Any]) -> list[int]:
    """Pages with a table that no extracted form covers, and pages the parser skipped a table on."""
    covered = {p for form in result.get("forms") or [] for p in form.get("pages") or []}
    stray = {t["page"] for t in result.get("tables") or [] if t.get("page") is not None} - covered
    stray |= {w["page"] for w in result.get("warnings") or []
              if w.get("code") == "UNRECOGNISED_TABLE" and w.get("page") is not None}
    return sorted(stray)
