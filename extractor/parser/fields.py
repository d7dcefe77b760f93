"""Setting form fields from cells: value, provenance and a warning when the text will not parse."""
from __future__ import annotations

from typing import Optional

from extractor.forms import Provenance
from extractor.normalize import clean, parse_number
from extractor.parser.rows import RCell, Warnings


class FieldSink:
    """Records provenance for every field filled, and warns (never guesses) when a value won't parse."""

    def __init__(self, cells: dict[str, Provenance], warnings: Warnings, context: str):
        self.cells = cells
        self.warnings = warnings
        self.context = context

    def text(self, path: str, cell: Optional[RCell]) -> Optional[str]:
        if cell is None:
            return None
        value = clean(cell.text)
        if value is not None:
            self.cells[path] = cell.provenance()
        return value

    def number(self, path: str, cell: Optional[RCell]) -> Optional[float]:
        if cell is None:
            return None
        try:
            value = parse_number(cell.text)
        except ValueError:
            self.warn("NUMBER_FORMAT", f"{path}: {cell.text.strip()!r} is not a number", cell.page)
            return None
        if value is not None:
            self.cells[path] = cell.provenance()
        return value

    def warn(self, code: str, message: str, page: Optional[int]) -> None:
        self.warnings.add(code, f"{self.context}: {message}", page)
