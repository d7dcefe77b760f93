"""Input-side data model: pages, text lines, grids and cells, and the errors met on the way.

Every backend turns its input into `Page`s whose slots are filled in stages
(image → spans → grids); the form parser only ever reads `Page.lines` and `Page.grids`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

BBox = tuple[float, float, float, float]


@dataclass
class Cell:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    bbox: Optional[BBox] = None
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row, "col": self.col, "rowspan": self.rowspan, "colspan": self.colspan,
            "text": self.text, "bbox": _round_bbox(self.bbox), "confidence": round(self.confidence, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Cell":
        """A cell from `to_dict`'s keys (or `dataclasses.asdict`'s, which are the same)."""
        return cls(data["row"], data["col"], data["text"], data.get("rowspan", 1), data.get("colspan", 1),
                   _bbox(data.get("bbox")), data.get("confidence", 1.0))


@dataclass
class Grid:
    """One reconstructed table. `order` places it among the page's text lines (reading order)."""

    page: int
    cells: list[Cell]
    n_rows: int
    n_cols: int
    bbox: Optional[BBox] = None
    order: float = 0.0

    def rows(self) -> list[list[Cell]]:
        """Cells grouped by the row they start in, left to right; spanned positions are not repeated."""
        out: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for cell in self.cells:
            out[cell.row].append(cell)
        for row in out:
            row.sort(key=lambda c: c.col)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page, "bbox": _round_bbox(self.bbox), "n_rows": self.n_rows,
            "n_cols": self.n_cols, "cells": [c.to_dict() for c in self.cells],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Grid":
        """A grid from `to_dict`'s keys; `order`, which `to_dict` leaves out, when given (`asdict`)."""
        return cls(data["page"], [Cell.from_dict(c) for c in data["cells"]], data["n_rows"], data["n_cols"],
                   _bbox(data.get("bbox")), data.get("order", 0.0))


@dataclass
class TextLine:
    """Text outside any table (titles, year lines, notes), in reading order with the grids."""

    text: str
    order: float = 0.0
    bbox: Optional[BBox] = None
    confidence: float = 1.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TextLine":
        return cls(data["text"], data.get("order", 0.0), _bbox(data.get("bbox")), data.get("confidence", 1.0))


@dataclass
class Span:
    """A word or glyph run from a PDF text layer or OCR, in page coordinates (points, top-left origin)."""

    text: str
    bbox: BBox
    confidence: float = 1.0


@dataclass
class Segment:
    """A ruling line (horizontal or vertical) in page coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class ErrorItem:
    """A problem met while reading one file; `page` is 1-based or None for the whole file."""

    code: str
    message: str
    page: Optional[int] = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "page": self.page}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ErrorItem":
        return cls(data["code"], data["message"], data.get("page"))


@dataclass
class Page:
    """One page, with slots that stages fill; a stage skips a page whose slot is already filled."""

    number: int
    width: Optional[float] = None
    height: Optional[float] = None
    image: Any = None
    spans: Optional[list[Span]] = None
    segments: Optional[list[Segment]] = None
    lines: Optional[list[TextLine]] = None
    grids: Optional[list[Grid]] = None
    errors: list[ErrorItem] = field(default_factory=list)


def without_cells(table: Any) -> Any:
    """A table's JSON (`Grid.to_dict`) without its cells: what a batch keeps in memory for the
    audit and a document row stores; anything not a table object passes unchanged."""
    return {k: v for k, v in table.items() if k != "cells"} if isinstance(table, dict) else table


def error_line(source: Optional[str], error: dict[str, Any]) -> str:
    """One problem as users read it: `a.pdf page 3: NEEDS_OCR: …` (an ErrorItem's dict)."""
    where = f" page {error['page']}" if error.get("page") is not None else ""
    return f"{source}{where}: {error.get('code')}: {error.get('message')}"


class InputError(Exception):
    """The input cannot be read at all; the message names what is wrong (the caller adds the file)."""

    def __init__(self, code: str, message: str, page: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.page = page


def _bbox(value: Optional[Any]) -> Optional[BBox]:
    return None if value is None else tuple(value)  # type: ignore[return-value]


def _round_bbox(bbox: Optional[BBox]) -> Optional[list[float]]:
    return None if bbox is None else [round(v, 1) for v in bbox]
