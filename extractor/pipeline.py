"""One file in, one result out: route by content, load pages, parse forms. Errors are data.

`extract_file` never raises for a bad input: the result carries `status` ("ok", "partial",
"failed") and `errors`, so one bad file never stops a batch.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from extractor.archive import ARCHIVE_SUFFIXES, expand, is_archive
from extractor.backends import detect_kind, load_backends
from extractor.digest import sha256_of
from extractor.forms import Form
from extractor.model import ErrorItem, Grid, InputError, Page
from extractor.ocr import OcrUnavailable
from extractor.parser import parse_pages
from extractor.scan.options import ScanOptions
from extractor.scan.stage import scan_pages, wants_scan

DOCUMENT_EXTENSIONS = frozenset({".txt", ".text", ".csv", ".tsv", ".xlsx", ".docx", ".pdf",
                                 ".png", ".jpg", ".jpeg", ".tif", ".tiff"})
INPUT_EXTENSIONS = DOCUMENT_EXTENSIONS | ARCHIVE_SUFFIXES


@dataclass
class ExtractResult:
    source: str
    sha256: Optional[str] = None
    input_kind: Optional[str] = None
    pages: int = 0
    tables: list[Grid] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[ErrorItem] = field(default_factory=list)

    @property
    def status(self) -> str:
        return extraction_status(bool(self.forms), bool(self.errors))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "sha256": self.sha256, "input_kind": self.input_kind,
            "pages": self.pages, "tables": [t.to_dict() for t in self.tables],
            "forms": [f.to_dict() for f in self.forms], "warnings": self.warnings,
            "status": self.status, "errors": [e.to_dict() for e in self.errors],
        }


def extraction_status(has_forms: bool, has_errors: bool) -> str:
    """FORMS.md `status`: "ok", "partial" (forms, and errors beside them) or "failed" (no form)."""
    if has_forms and not has_errors:
        return "ok"
    return "partial" if has_forms else "failed"


def extract_file(path: Path, source: Optional[str] = None, scan: ScanOptions = ScanOptions()) -> ExtractResult:
    result = ExtractResult(source=source or str(path))
    try:
        result.sha256 = sha256_of(path)
        pages, result.input_kind = load_pages(path)
        if any(wants_scan(p) for p in pages):
            scan_pages(path, pages, scan)
    except READ_ERRORS as exc:
        result.errors.append(read_error(exc))
        return result
    collect_pages(result, pages)
    return result


READ_ERRORS = (OcrUnavailable, InputError, OSError)


def load_pages(path: Path) -> tuple[list[Page], str]:
    """The file's pages as its backend reads them (pages without text not yet scanned), and its
    FORMS.md input kind; raises one of READ_ERRORS when the file as a whole cannot be read."""
    backend = load_backends()[detect_kind(path)]
    pages = backend.load(path)
    return pages, getattr(backend, "input_kind", lambda p: backend.kind)(pages)


def read_error(exc: Exception) -> ErrorItem:
    """The error item for one of READ_ERRORS: the whole file's one error."""
    if isinstance(exc, OcrUnavailable):
        return ErrorItem("OCR_UNAVAILABLE", str(exc))
    if isinstance(exc, InputError):
        return ErrorItem(exc.code, exc.message, exc.page)
    assert isinstance(exc, OSError)
    return ErrorItem("UNREADABLE_FILE", f"cannot read: {exc.strerror or exc}")


def extract_path(path: Path, scan: ScanOptions = ScanOptions()) -> Iterator[ExtractResult]:
    """The results of one input: a document gives one; a zip archive one per member, named
    "batch.zip!dept/a.pdf", members it refuses included, as failed results with the reason."""
    if not is_archive(path):
        yield extract_file(path, scan=scan)
        return
    with tempfile.TemporaryDirectory(prefix="formaudit-") as work:
        for member in expand(path, Path(work)):
            if member.error is not None:
                yield ExtractResult(source=member.name, errors=[ErrorItem(*member.error)])
            else:
                assert member.path is not None
                yield extract_file(member.path, source=member.name, scan=scan)
                member.path.unlink(missing_ok=True)  # a large archive must not hold all its members on disk


def collect_pages(result: ExtractResult, pages: list[Page]) -> None:
    """Fill `result` from the read pages: their errors and tables, the parsed forms and warnings."""
    result.pages = len(pages)
    for page in pages:
        result.errors.extend(page.errors)
        result.tables.extend(page.grids or [])
    try:
        result.forms, result.warnings = parse_pages(pages)
    except Exception as exc:  # a parser bug must not lose the rest of a batch
        result.errors.append(ErrorItem("PARSER_ERROR", f"{type(exc).__name__}: {exc}"))
        return
    if not result.forms and not result.errors:
        result.errors.append(ErrorItem("NO_FORM", "no known form title (项目支出绩效自评表, 自评情况汇总表, 项目绩效目标汇总表) found"))


def iter_inputs(paths: Iterable[Path], extensions: frozenset[str] = INPUT_EXTENSIONS,
                skip: Optional[Path] = None) -> Iterator[Path]:
    """Files as given, and directories walked (sorted) for files with one of `extensions`,
    hidden files and anything under `skip` left out."""
    skipped = skip.resolve() if skip is not None else None
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix.lower() not in extensions or child.name.startswith("."):
                continue
            if skipped is None or not child.resolve().is_relative_to(skipped):
                yield child
