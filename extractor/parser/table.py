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
    return by_nearest_column(row.cells, cols)


def by_exact_column(cells: list[RCell], cols: dict[str, int]) -> Optional[dict[str, RCell]]:
    """Field → cell when every cell sits exactly under a header column (an exported grid), else None."""
    if not cols or any(c.col not in cols.values() for c in cells):
        return None
    field_at = {col: name for name, col in cols.items()}
    return {field_at[c.col]: c for c in cells}  # type: ignore[index]


def by_nearest_column(cells: list[RCell], cols: dict[str, int]) -> dict[str, RCell]:
    """Field → cell by the header column nearest each cell (a cell without one counts its index)."""
    placed: dict[str, RCell] = {}
    if not cols:
        return placed
    for i, cell in enumerate(cells):
        col = cell.col if cell.col is not None else i
        placed.setdefault(min(cols, key=lambda f: abs(cols[f] - col)), cell)
    return placed


def int_or_none(cell: Optional[RCell]) -> Optional[int]:
    """A sequence number; a recognised cell's digit-like letters read as digits (confusions.fix_count)."""
    if cell is None:
        return None
    k = cell.key.rstrip(".、")
    if cell.confidence < 1.0:
        from extractor.ocr.confusions import fix_count

        k = fix_count(k)[0]
    return int(k) if k.isdigit() else None
