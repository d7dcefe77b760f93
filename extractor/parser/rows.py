"""The row stream the form parsers read: every page's text lines and grid rows in reading order.

Parsers see rows of cells with their printed text, a comparison key, the grid column (a hint only:
text exports drift), and provenance. A text line is a row with one cell and no column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from extractor.forms import Provenance
from extractor.model import BBox, Page
from extractor.normalize import clean, key


@dataclass
class RCell:
    text: str
    col: Optional[int]
    page: int
    bbox: Optional[BBox] = None
    confidence: float = 1.0
    colspan: int = 1
    read: Optional[str] = None  # what the recogniser read, when the text was put right (labels.py)

    @cached_property
    def key(self) -> str:  # cached: parsers test each cell's key many times per row
        return key(self.text)

    @property
    def value(self) -> Optional[str]:
        return clean(self.text)

    def provenance(self) -> Provenance:
        return Provenance(page=self.page, bbox=self.bbox, confidence=self.confidence, text=self.text, read=self.read)

    def relabelled(self, text: str) -> "RCell":
        """The same cell holding `text`, keeping what was read."""
        return RCell(text, self.col, self.page, self.bbox, self.confidence, self.colspan, read=self.read or self.text)


@dataclass
class Row:
    cells: list[RCell]
    page: int
    is_line: bool = False
    grid_id: int = -1

    @property
    def key(self) -> str:
        return "".join(c.key for c in self.cells)

    def find(self, predicate: Any) -> Optional[int]:
        """Index of the first cell whose key satisfies `predicate`."""
        return next((i for i, c in enumerate(self.cells) if predicate(c.key)), None)


def join_cells(cells: list[RCell], sep: str = "\n") -> RCell:
    """Several cells read as one (an explanation split over columns), keeping the least confidence."""
    first = cells[0]
    text = sep.join(c.text.strip() for c in cells if c.text.strip())
    return RCell(text, first.col, first.page, first.bbox, min(c.confidence for c in cells))


@dataclass
class Warnings:
    """Collects the parser's warnings: a field it could not place is null plus one of these."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, message: str, page: Optional[int]) -> None:
        self.items.append({"code": code, "message": message, "page": page})


def row_stream(pages: list[Page]) -> list[Row]:
    rows: list[Row] = []
    grid_id = 0
    for page in pages:
        blocks: list[tuple[float, int, Any]] = []
        blocks += [(line.order, 0, line) for line in page.lines or []]
        blocks += [(grid.order, 1, grid) for grid in page.grids or []]
        for _, is_grid, block in sorted(blocks, key=lambda b: (b[0], b[1])):
            if not is_grid:
                cell = RCell(block.text, None, page.number, block.bbox, block.confidence)
                rows.append(Row([cell], page.number, is_line=True))
                continue
            grid_id += 1
            for grid_row in block.rows():
                cells = [
                    RCell(c.text, c.col, page.number, c.bbox, c.confidence, c.colspan)
                    for c in grid_row
                    if c.text.strip()
                ]
                if cells:
                    rows.append(Row(cells, page.number, grid_id=grid_id))
    return rows
