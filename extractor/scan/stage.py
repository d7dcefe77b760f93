"""The scan path as one stage over a document's pages: every page without text (a scanned PDF
page, an image file's frame) is rasterised, cleaned up, read, and given grids and lines, so the
form parser sees it like any text-layer page. Pages are taken one at a time and their images
dropped once read, so a 300-page scan holds a few page images, not all of them.

Layout: the CDLA model's table regions tell a page whose table has no ruling lines (which the
grid reconstruction cannot read) from a page with no table at all (a photo, a letter); each gets
its own per-page error. Only a page whose rulings give no grid needs telling, so only such a page
runs the model (~0.15 s a page saved on every form page). Coordinates: grids are built on the
cleaned page, then every cell and line box is mapped back to the original page, which is what a
reviewer's crop is cut from.

The next page is rasterised, cleaned up and cut into line crops in a background thread while
this one is recognised (extractor/scan/ahead.py): those stages run on one core, the recogniser
on all of them, and a page's crops all go to the recogniser at once.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from extractor import geometry
from extractor.model import ErrorItem, Grid, Page, TextLine
from extractor.scan import prepare_page
from extractor.scan.ahead import ahead
from extractor.scan.options import ScanOptions
from extractor.scan.raster import fail_page, needs_ocr, rasterize_pdf

if TYPE_CHECKING:
    from extractor.scan.cleanup import CleanedPage


def wants_scan(page: Page) -> bool:
    return page.spans is None and (page.image is not None or needs_ocr(page))


def scan_pages(path: Path, pages: list[Page], options: ScanOptions = ScanOptions()) -> None:
    """Fill grids and lines of every page that has no text yet; the other pages are untouched."""
    images = _with_images(path, [p for p in pages if wants_scan(p)], options)
    for page, cleaned, plan in ahead(_prepared(page) for page in images):
        try:
            if isinstance(plan, Exception):
                raise plan
            _read_page(page, cleaned, plan, options)
        except Exception as exc:  # one bad page must not cost the others
            fail_page(page, ErrorItem("SCAN_FAILED", f"page {page.number} cannot be read: {type(exc).__name__}: {exc}",
                                     page.number))
        finally:
            page.image = None


def _prepared(page: Page) -> tuple[Page, Optional[CleanedPage], Any]:
    """What the look-ahead thread does for a page: clean it up, then cut its lines for the
    recogniser (the plan, or the exception that cutting raised, for the page's own error)."""
    from extractor.scan.ocr_cells import plan_for

    cleaned = prepare_page(page)
    try:
        plan = plan_for(page) if cleaned is not None else None
    except Exception as exc:  # raised when the page is read: this page fails, not the file
        plan = exc
    return page, cleaned, plan


def _with_images(path: Path, pages: list[Page], options: ScanOptions) -> Iterator[Page]:
    """Pages with their image set: image files have theirs; scanned PDF pages are rendered a few at a time."""
    from_pdf = [p for p in pages if p.image is None]
    yield from (p for p in pages if p.image is not None)
    for page, image in rasterize_pdf(path, from_pdf, options.dpi, options.max_pixels):
        if isinstance(image, ErrorItem):
            fail_page(page, image)
        else:
            page.image = image
            yield page


def _read_page(page: Page, cleaned: Optional[CleanedPage], plan: Any, options: ScanOptions) -> None:
    from extractor.scan.ocr_cells import fix_cells, ocr_page

    if cleaned is None or page.spans is not None:
        return  # blank, or could not be cleaned: prepare_page said so on the page
    dpi = 72.0 * page.image.shape[1] / page.width
    ocr_page(page, scan_engine(options), plan)
    grids, lines = geometry.extract_grids(page.segments or [], page.spans or [], page.number)
    fix_cells(grids)
    if not grids:
        page.errors.append(_no_grid(page.number, _table_regions(page, dpi, options) if options.layout else None))
    _to_original(grids, lines, cleaned.transform)
    page.grids, page.lines = grids, lines
    page.errors[:] = [e for e in page.errors if e.code != "NEEDS_OCR"]


def _table_regions(page: Page, dpi: float, options: ScanOptions) -> list[Any]:
    from extractor.scan.layout import detect_regions

    regions = detect_regions(page.image, dpi, page.segments, threads=options.ocr_threads)
    return [r for r in regions if r.label == "table"]


def _no_grid(number: int, tables: Optional[list[Any]]) -> ErrorItem:
    if tables:
        return ErrorItem("TABLE_WITHOUT_RULINGS", f"page {number} holds a table without ruling lines, which the "
                                                  "scan path cannot rebuild; send a ruled scan or the original file", number)
    return ErrorItem("NO_TABLE", f"page {number} holds no table: not a form page (a photo, a letter or a cover?)", number)


def load_models(options: ScanOptions = ScanOptions()) -> None:
    """Load now what the scan path will ask for under `options`, the OCR engine and (when layout is
    on) the layout model, so the first page does not pay for it: a queue worker's process calls
    this once, before its first task. Both stay cached in the process."""
    scan_engine(options)
    if options.layout:
        from extractor.scan.layout import load_model

        load_model(options.ocr_threads)


def scan_engine(options: ScanOptions = ScanOptions()) -> Any:
    """The OCR engine the scan path reads with under `options`: the very instance, since
    get_engine keeps one per engine and options (a bench or a test warms and times this one)."""
    from extractor.ocr import get_engine

    # Only what the settings give: an engine defaults its own threads, and the same options
    # find the instance already loaded in this process (get_engine caches by them).
    kwargs: dict[str, Any] = {"threads": options.ocr_threads} if options.ocr_threads else {}
    if options.ocr_engine == "paddle":
        kwargs["model_dir"] = options.paddle_model_dir or ""
    return get_engine(options.ocr_engine, **kwargs)


def _to_original(grids: Iterable[Grid], lines: Iterable[TextLine], transform: Any) -> None:
    for grid in grids:
        grid.bbox = transform.box_to_original(grid.bbox) if grid.bbox else None
        for cell in grid.cells:
            cell.bbox = transform.box_to_original(cell.bbox) if cell.bbox else None
    for line in lines:
        line.bbox = transform.box_to_original(line.bbox) if line.bbox else None

