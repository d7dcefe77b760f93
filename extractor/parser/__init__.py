"""One form parser for every input kind: finds each form by its title and hands its rows on.

A form runs from its title to the next title, over page breaks; rows before the first title
that still look like a form's table (a continuation page) join the form before them.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from extractor.forms import Form
from extractor.model import Page
from extractor.parser.rows import Row, Warnings, row_stream

# Trailing punctuation is allowed: a scan's dust is read as a quote or a dot after the title.
KIND_TITLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("summary", re.compile(r"自评(情况)?汇总表[^\w]*$")),
    ("targets", re.compile(r"绩效目标(汇总)?表[^\w]*$")),
    ("self_evaluation", re.compile(r"项目(支出)?绩效自评表[^\w]*$")),
)
_TITLE_MAX = 40  # a title is short; longer text that ends with a title word is prose


def title_kind(text_key: str) -> Optional[str]:
    if len(text_key) > _TITLE_MAX:
        return None
    return next((kind for kind, rx in KIND_TITLES if rx.search(text_key)), None)


def _parsers() -> dict[str, Callable[[str, list[Row], Warnings], Optional[Form]]]:
    from extractor.parser.self_eval import parse_self_evaluation
    from extractor.parser.summary import parse_summary
    from extractor.parser.targets import parse_targets

    return {"self_evaluation": parse_self_evaluation, "summary": parse_summary, "targets": parse_targets}


def segments(rows: list[Row]) -> tuple[list[tuple[str, str, list[Row]]], list[Row]]:
    """Split the stream at titles: [(kind, printed title, rows)], and the rows before any title."""
    out: list[tuple[str, str, list[Row]]] = []
    before: list[Row] = []
    for row in rows:
        title = _title_cell(row)
        kind = title_kind(title.key) if title is not None else None
        if kind is not None:
            out.append((kind, title.text.strip(), [row]))
        elif out:
            out[-1][2].append(row)
        else:
            before.append(row)
    return out, before


def _title_cell(row: Row) -> Optional[Any]:
    """The row's one cell of text, a title candidate; lone single characters beside it are a scan's
    specks read as text, not a second cell of a table row."""
    cells = [c for c in row.cells if len(c.key) > 1]
    return cells[0] if len(cells) == 1 and len(row.cells) <= 3 else None


def parse_pages(pages: list[Page]) -> tuple[list[Form], list[dict[str, Any]]]:
    """All forms found on the pages, in reading order, and the warnings met on the way."""
    from extractor.parser.labels import snap_labels

    warnings = Warnings()
    rows = row_stream(pages)
    snap_labels(rows)
    found, before = segments(rows)
    if any(len(r.cells) > 2 for r in before):
        page = next(r.page for r in before if len(r.cells) > 2)
        warnings.add("UNRECOGNISED_TABLE", "a table before any known form title was skipped", page)
    parsers = _parsers()
    forms: list[Form] = []
    for kind, title, rows in found:
        form = parsers[kind](title, rows, warnings)
        if form is not None:
            forms.append(form)
    return forms, warnings.items
