"""Page images for the OCR tests: text-layer sample PDFs rendered with PDFium, so every test
page comes with its truth (cell boxes in points and texts) from the PDF backend."""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NINGBO = REPO / "samples" / "docs" / "ningbo-2023.pdf"
DPI = 200


@lru_cache(maxsize=None)
def truth(path: Path = NINGBO):
    """The text-layer extraction of a sample PDF: grids with true texts, forms."""
    from extractor.pipeline import extract_file

    return extract_file(path)


@lru_cache(maxsize=None)
def text_pages(path: Path = NINGBO):
    """The PDF backend's pages (segments in points) of a sample PDF."""
    from extractor.backends.pdf import PdfBackend

    return PdfBackend().load(path)


@lru_cache(maxsize=None)
def render(number: int, dpi: int = DPI, path: Path = NINGBO) -> np.ndarray:
    """Page `number` (1-based) as an 8-bit gray image; callers must not modify it."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        image = np.array(doc[number - 1].render(scale=dpi / 72, grayscale=True).to_pil())
    finally:
        doc.close()
    image.setflags(write=False)
    return image


def blank_grids(number: int, path: Path = NINGBO):
    """Copies of the true grids of a page with every cell's text emptied."""
    grids = [copy.deepcopy(g) for g in truth(path).tables if g.page == number]
    for grid in grids:
        for cell in grid.cells:
            cell.text, cell.confidence = "", 0.0
    return grids


def cell_crops(number: int, path: Path = NINGBO) -> list[np.ndarray]:
    """The recogniser's line crops of every cell of page `number` that holds text, in cell order."""
    from extractor.scan import ocr_cells
    from extractor.scan.ink import PageInk

    cells = [c for g in truth(path).tables if g.page == number for c in g.cells if c.text]
    ink = PageInk(render(number, DPI, path), DPI)
    boxes = [ocr_cells._to_px(c.bbox, DPI, ink.gray.shape, inset=1) for c in cells]
    line_h = ocr_cells.line_height(ink.text, boxes, DPI)
    return ocr_cells.crops(ink.gray, ocr_cells.cut_lines(ink.text, boxes, line_h), line_h)
