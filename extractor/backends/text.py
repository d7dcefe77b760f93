"""Plain-text exports: tab-separated table exports (seeds 000/003) and pdftotext layout (seed 001).

Tab exports flatten merged cells, so a cell's column is only its position on its line; the
form parser reads rows by order and uses columns only as a hint. A form feed starts a new page.
"""
from __future__ import annotations

import re
from pathlib import Path

from extractor.backends import register
from extractor.backends.text_layout import targets_grid
from extractor.model import Cell, Grid, InputError, Page, TextLine

_HEADING = re.compile(r"^\s*#+\s*")


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("UNSUPPORTED_FORMAT", "text is neither UTF-8 nor GB18030")


def page_from_text(text: str, number: int) -> Page:
    """Tab lines that follow each other make one grid; other non-blank lines are text lines."""
    lines: list[TextLine] = []
    grids: list[Grid] = []
    table: list[list[str]] = []
    order = 0

    def flush() -> None:
        nonlocal order
        if table:
            grids.append(_grid(table, number, order))
            order += 1
            table.clear()

    for raw in text.splitlines():
        if "\t" in raw:
            table.append(raw.split("\t"))
            continue
        flush()
        stripped = _HEADING.sub("", raw).strip()
        if stripped:
            lines.append(TextLine(text=stripped, order=order))
            order += 1
    flush()
    return Page(number=number, lines=lines, grids=grids)


def _grid(rows: list[list[str]], page: int, order: int) -> Grid:
    cells = [
        Cell(row=r, col=c, text=value.strip())
        for r, values in enumerate(rows)
        for c, value in enumerate(values)
        if value.strip()
    ]
    return Grid(page=page, cells=cells, n_rows=len(rows), n_cols=max(len(v) for v in rows), order=order)


class TextBackend:
    kind = "text"

    def load(self, path: Path) -> list[Page]:
        text = decode(path.read_bytes())
        if not text.strip():
            raise InputError("EMPTY_FILE", "the file holds no text")
        chunks = text.split("\f")
        if "\t" not in text:
            grid_pages = targets_grid(chunks)
            if grid_pages is not None:
                return grid_pages
        return [page_from_text(chunk, i + 1) for i, chunk in enumerate(chunks) if chunk.strip() or i == 0]


register(TextBackend())
