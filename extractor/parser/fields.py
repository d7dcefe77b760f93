"""Setting form fields from cells: value, provenance and a warning when the text will not parse."""
from __future__ import annotations

from typing import Optional, Sequence

from extractor.forms import Provenance
from extractor.normalize import clean, key, parse_number
from extractor.parser.rows import RCell, Warnings


class FieldSink:
    """Records provenance for every field filled, and warns (never guesses) when a value won't parse."""

    def __init__(self, cells: dict[str, Provenance], warnings: Warnings, context: str):
        self.cells = cells
        self.warnings = warnings
        self.context = context

    def text(self, path: str, cell: Optional[RCell], role: Optional[str] = None) -> Optional[str]:
        """The cell's text; `role` ("rate", "target") lets a recognised cell's OCR confusions be fixed."""
        if cell is None:
            return None
        printed, provenance = _read(cell, role)
        value = clean(printed)
        if value is not None:
            self.cells[path] = provenance
        return value

    def choice(self, path: str, cell: Optional[RCell], allowed: Sequence[str], role: Optional[str] = None
               ) -> Optional[str]:
        """A field whose value is one of `allowed` (compared in normal form, kept as printed):
        anything else, a misreading the role's fix could not place, is blank with a warning."""
        if cell is None:
            return None
        value = self.text(path, cell, role)
        if value is None or key(value) in allowed:
            return value
        del self.cells[path]  # no value, no provenance: the field is not filled
        self.warn("VALUE_FORMAT", f"{path}: {value!r} is none of {' '.join(allowed)}", cell.page)
        return None

    def number(self, path: str, cell: Optional[RCell]) -> Optional[float]:
        if cell is None:
            return None
        printed, provenance = _read(cell, "number")
        from extractor.ocr.confusions import split_reading

        if cell.confidence < 1.0 and split_reading(printed):
            self.warn("NUMBER_FORMAT", f"{path}: {printed.strip()!r} reads as two figures, not one number", cell.page)
            return None
        try:
            value = parse_number(printed)
        except ValueError:
            self.warn("NUMBER_FORMAT", f"{path}: {printed.strip()!r} is not a number", cell.page)
            return None
        if value is not None:
            self.cells[path] = provenance
        return value

    def warn(self, code: str, message: str, page: Optional[int]) -> None:
        self.warnings.add(code, f"{self.context}: {message}", page)


def _read(cell: RCell, role: Optional[str]) -> tuple[str, Provenance]:
    """The cell's text, with OCR confusions fixed when the cell was recognised (confidence < 1)
    and its role makes the reading unambiguous ("1O0%" in a rate cell is 100%); the provenance
    keeps what the recogniser read."""
    provenance = cell.provenance()
    if role is None or cell.confidence >= 1.0:
        return cell.text, provenance
    from extractor.ocr.confusions import fix

    fixed, changed = fix(cell.text, role)
    if changed:
        provenance.text, provenance.read = fixed, cell.text
    return fixed, provenance
