"""Image crops of the page around a finding's cell, for the reviewer to compare with the form.

A bbox is in PDF points (1/72 inch) from the page's top-left (FORMS.md). PDFs are rendered with
pypdfium2, only the window around the cell; image files (PNG/JPEG/TIFF, from scans) are read at
the resolution the scan reader used for their bboxes (`extractor.scan.raster.page_dpi`: the declared
DPI when it gives a paper-sized page, else the one that makes the page A4). The cell gets a red frame. A source that is
missing, unreadable or not a PDF or image simply has no crop: a report never fails for want of one.
"""
from __future__ import annotations

import io
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Sequence

from PIL import Image, ImageDraw, ImageOps

log = logging.getLogger(__name__)

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
DEFAULT_DPI = 200.0
PAD_PT = 40.0
MAX_WINDOW_PT = (600.0, 320.0)  # a wide project-name cell must not turn into a whole-page image
SCALE = 2.0  # render PDFs at 144 dpi: small Chinese print stays legible
_OPEN_FILES = 4  # documents kept open; findings come sorted by source, so a few suffice


class Cropper:
    """Makes crops, keeping a few documents open and every crop made, since findings share cells."""

    def __init__(self, max_crops: int = 500) -> None:
        self.max_crops = max_crops
        self.made = 0
        self._docs: OrderedDict[str, Any] = OrderedDict()
        self._crops: dict[tuple[str, int, tuple[float, ...]], Optional[bytes]] = {}

    def __enter__(self) -> "Cropper":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        while self._docs:
            _, doc = self._docs.popitem()
            doc.close()

    def crop(self, source: Optional[str], page: Optional[int], bbox: Optional[Sequence[float]]) -> Optional[bytes]:
        """PNG bytes of the page around `bbox`, or None when there is no page image to show."""
        if not source or page is None or page < 1 or not bbox or len(bbox) != 4:
            return None
        key = (source, page, tuple(float(v) for v in bbox))
        if key in self._crops:
            return self._crops[key]
        if self.made >= self.max_crops:
            return None
        png = None
        try:
            png = self._make(Path(source), page, key[2])
        except Exception as exc:  # a broken source costs its crop, never the report
            log.info("no crop for %s page %s: %s", source, page, exc)
        self._crops[key] = png
        self.made += png is not None
        return png

    def _make(self, path: Path, page: int, bbox: tuple[float, ...]) -> Optional[bytes]:
        suffix = path.suffix.lower()
        if not path.is_file() or suffix not in PDF_SUFFIXES | IMAGE_SUFFIXES:
            return None
        if suffix in PDF_SUFFIXES:
            image, px_per_pt, origin = self._pdf_window(path, page, bbox)
        else:
            image, px_per_pt, origin = _image_window(path, page, bbox)
        if image is None:
            return None
        frame = [(bbox[0] - origin[0]) * px_per_pt, (bbox[1] - origin[1]) * px_per_pt,
                 (bbox[2] - origin[0]) * px_per_pt, (bbox[3] - origin[1]) * px_per_pt]
        image = image.convert("RGB")
        ImageDraw.Draw(image).rectangle(frame, outline=(220, 0, 0), width=max(2, round(px_per_pt)))
        out = io.BytesIO()
        # a palette PNG is a third of the size and text crops need few colours
        image.quantize(colors=64).save(out, format="PNG", optimize=True)
        return out.getvalue()

    def _pdf_window(self, path: Path, page: int, bbox: tuple[float, ...]) -> tuple[Optional[Image.Image], float, tuple[float, float]]:
        doc = self._open(path)
        if page > len(doc):
            return None, 0, (0, 0)
        pdf_page = doc[page - 1]
        width, height = pdf_page.get_size()
        if pdf_page.get_rotation() % 180:
            width, height = height, width
        x0, y0, x1, y1 = window(bbox, width, height)
        if pdf_page.get_rotation():
            # pdfium crops before rotating; render the page and cut the window out instead
            full = pdf_page.render(scale=SCALE).to_pil()
            image = full.crop(tuple(round(v * SCALE) for v in (x0, y0, x1, y1)))
        else:
            image = pdf_page.render(scale=SCALE, crop=(x0, height - y1, width - x1, y0)).to_pil()
        return image, SCALE, (x0, y0)

    def _open(self, path: Path) -> Any:
        import pypdfium2

        key = str(path)
        if key in self._docs:
            self._docs.move_to_end(key)
            return self._docs[key]
        doc = pypdfium2.PdfDocument(str(path))
        self._docs[key] = doc
        if len(self._docs) > _OPEN_FILES:
            self._docs.popitem(last=False)[1].close()
        return doc


def _image_window(path: Path, page: int, bbox: tuple[float, ...]) -> tuple[Optional[Image.Image], float, tuple[float, float]]:
    with Image.open(path) as img:
        if page > getattr(img, "n_frames", 1):
            return None, 0, (0, 0)
        img.seek(page - 1)
        px_per_pt = _dpi(img) / 72.0
        upright = ImageOps.exif_transpose(img)  # the scan reader measured the upright page
        width, height = upright.size[0] / px_per_pt, upright.size[1] / px_per_pt
        x0, y0, x1, y1 = window(bbox, width, height)
        image = upright.crop(tuple(round(v * px_per_pt) for v in (x0, y0, x1, y1)))
    # a scan at 300 dpi would make crops twice the size of the PDF ones for no gain
    if px_per_pt > SCALE:
        image = image.resize((max(1, round(image.width * SCALE / px_per_pt)), max(1, round(image.height * SCALE / px_per_pt))))
        px_per_pt = SCALE
    return image, px_per_pt, (x0, y0)


def _dpi(img: Image.Image) -> float:
    """The resolution the scan reader gave this image's bboxes, so the crop lands on the same cell."""
    try:
        from extractor.scan.raster import page_dpi
    except ImportError:  # the scan reader is optional; without it no bbox on an image exists anyway
        declared = img.info.get("dpi")
        return float(declared[0]) if declared and declared[0] >= 50 else DEFAULT_DPI
    return page_dpi(img.size, img.info.get("dpi"))


def window(bbox: Sequence[float], width: float, height: float) -> tuple[float, float, float, float]:
    """The cell padded by PAD_PT, capped at MAX_WINDOW_PT around the cell's centre, within the page."""
    x0, y0, x1, y1 = bbox
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = min((x1 - x0) / 2 + PAD_PT, MAX_WINDOW_PT[0] / 2)
    half_h = min((y1 - y0) / 2 + PAD_PT, MAX_WINDOW_PT[1] / 2)
    left, top = max(0.0, cx - half_w), max(0.0, cy - half_h)
    right, bottom = min(width, cx + half_w), min(height, cy + half_h)
    if right - left < 1 or bottom - top < 1:
        raise ValueError(f"bbox {list(bbox)} lies outside the page ({width:.0f}×{height:.0f} pt)")
    return left, top, right, bottom
