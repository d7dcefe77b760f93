"""The scan path: page images → the same `Page` slots a text-layer PDF fills, then the same geometry.

Contract, stage by stage (every coordinate in points, 1/72 in, from the top-left corner of
the page *as cleaned*; for an image W px wide, `pt_per_px = page.width / W`):

1. Images. `raster.load_image_pages` (PNG/JPEG/TIFF, multi-page included; the image backend)
   and `raster.attach_pdf_images` (pdf2image/poppler at `raster.DEFAULT_DPI`, only for the PDF
   pages flagged NEEDS_OCR; text-layer pages of a mixed PDF keep their text path) set
   `page.image` to an H×W×3 uint8 RGB array and `page.width`/`page.height` to its size in
   points. A page that cannot be had (too many pixels, damaged data, poppler failing on it)
   gets an ErrorItem and empty `spans`/`segments`/`grids`/`lines`, so later stages skip it;
   the other pages go on. A missing poppler is an InputError for the file.
2. Clean-up and rulings. `prepare_page(page)` replaces `page.image` by the cleaned grey image
   (red seals suppressed, quarter turn, skew and upside-down corrected: `cleanup.clean_page`),
   sets `page.width`/`page.height` to its size and `page.segments` to its ruling lines
   (`lines.find_segments`); it returns the `CleanedPage`, whose `transform` maps cleaned-page
   points back to the original page for the report. A blank page gets a BLANK_PAGE error
   and empty slots.
3. OCR (extractor/ocr) fills `page.spans` on pages whose `spans` is None, reading `page.image`.
4. `geometry.extract_grids(page.segments, page.spans, page.number)` builds grids and text
   lines exactly as for a text-layer PDF.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from extractor.model import ErrorItem, Page

if TYPE_CHECKING:
    from extractor.scan.cleanup import CleanedPage

__all__ = ["CleanedPage", "PageTransform", "prepare_page"]


def __getattr__(name: str) -> Any:
    # OpenCV loads when the scan path first runs, not on every start-up (it costs ~0.1 s)
    if name in ("CleanedPage", "PageTransform"):
        from extractor.scan import cleanup

        return getattr(cleanup, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def prepare_page(page: Page, *, orient: bool = True, deskew: bool = True, seals: bool = True) -> Optional[CleanedPage]:
    """Stage 2 for one page with an `image` (see the module contract). Returns None, touching
    nothing, when the page has no image; a failure becomes a SCAN_FAILED error on the page."""
    from extractor.scan.cleanup import clean_page
    from extractor.scan.lines import find_segments
    from extractor.scan.raster import DEFAULT_DPI

    if page.image is None:
        return None
    pt_per_px = page.width / page.image.shape[1] if page.width else 72.0 / DEFAULT_DPI
    try:
        cleaned = clean_page(page.image, pt_per_px, orient=orient, deskew=deskew, seals=seals)
        segments = [] if cleaned.blank else find_segments(cleaned.image, pt_per_px)
    except Exception as exc:  # one bad page must not cost the others
        page.errors.append(ErrorItem("SCAN_FAILED", f"page {page.number} cannot be cleaned up: "
                                                    f"{type(exc).__name__}: {exc}", page.number))
        page.image, page.spans, page.segments, page.grids, page.lines = None, [], [], [], []
        return None
    page.image = cleaned.image
    page.height, page.width = (v * pt_per_px for v in cleaned.image.shape[:2])
    page.segments = segments
    if cleaned.blank:
        page.errors.append(ErrorItem("BLANK_PAGE", f"page {page.number} is blank: nothing to read", page.number))
        page.spans, page.grids, page.lines = [], [], []
    return cleaned
