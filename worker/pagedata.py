"""A read page ⇄ the JSON kept in `PageRow.result`, so a document is assembled from its stored
pages exactly as `extract_file` would parse them in one go.

Values are kept exact (no rounding, unlike the FORMS.md `tables` output) and grids keep their
`order` among the page's lines: the parser reads rows in that order, and the forms' provenance
(bbox, confidence) must come out as a one-go extraction gives it.

    {"grids": [Grid: its fields, `order` too], "lines": [TextLine's fields], "errors": [ErrorItem.to_dict()],
     "fatal": ErrorItem.to_dict() | absent}

`fatal` is an error that stops the whole document, as it stops `extract_file` (no OCR engine,
poppler missing, the file unreadable): the document then gets that one error and no forms.
"""
from __future__ import annotations

from typing import Any, Optional

from extractor.model import ErrorItem, Grid, Page, TextLine


def page_result(page: Page, fatal: Optional[ErrorItem] = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "grids": [_grid(g) for g in page.grids or []],
        "lines": [{"text": t.text, "order": _num(t.order), "bbox": _box(t.bbox), "confidence": _num(t.confidence)}
                  for t in page.lines or []],
        "errors": [e.to_dict() for e in page.errors],
    }
    if fatal is not None:
        data["fatal"] = fatal.to_dict()
    return data


def page_from_result(number: int, result: dict[str, Any]) -> Page:
    return Page(
        number=number,
        grids=[Grid.from_dict(g) for g in result.get("grids") or []],
        lines=[TextLine.from_dict(line) for line in result.get("lines") or []],
        errors=[ErrorItem.from_dict(e) for e in result.get("errors") or []],
    )


def fatal_error(result: Optional[dict[str, Any]]) -> Optional[ErrorItem]:
    found = (result or {}).get("fatal")
    return ErrorItem.from_dict(found) if found else None


def _grid(grid: Grid) -> dict[str, Any]:
    cells = [{"row": c.row, "col": c.col, "text": c.text, "rowspan": c.rowspan, "colspan": c.colspan,
              "bbox": _box(c.bbox), "confidence": _num(c.confidence)} for c in grid.cells]
    return {"page": grid.page, "bbox": _box(grid.bbox), "n_rows": grid.n_rows, "n_cols": grid.n_cols,
            "order": _num(grid.order), "cells": cells}


# OCR hands back numpy scalars; the store keeps plain JSON numbers, exact (no rounding).
def _num(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _box(bbox: Optional[Any]) -> Optional[list[Any]]:
    return None if bbox is None else [_num(v) for v in bbox]
