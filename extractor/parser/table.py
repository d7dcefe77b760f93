"""Header-driven tables (summary, targets): columns named by a header row, one record per data row."""
from __future__ import annotations

from typing import Optional

from extractor.parser.rows import RCell, Row


def header_columns(row: Row, fields: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, int]:
    """Field → column of the header cell whose key starts with one of the field's labels."""
    cols: dict[str, int] = {}
    for i, cell in enumerate(row.cells):
        col = cell.col if cell.col is not None else i
        for name, labels in fields:
            if name not in cols and any(cell.key.startswith(label) for label in labels):
                cols[name] = col
                break
    return cols


def place(row: Row, cols: dict[str, int]) -> dict[str, RCell]:
    """Data cells to fields: by position when the row is complete, else by the nearest column."""
    order = sorted(cols, key=cols.get)
    if len(row.cells) == len(order):
        return dict(zip(order, row.cells))
    placed: dict[str, RCell] = {}
    for i, cell in enumerate(row.cells):
        col = cell.col if cell.col is not None else i
        name = min(order, key=lambda f: abs(cols[f] - col))
        placed.setdefault(name, cell)
    return placed


def int_or_none(cell: Optional[RCell]) -> Optional[int]:
    if cell is None:
        return None
    k = cell.key.rstrip(".、")
    return int(k) if k.isdigit() else None
