"""Page images: scanned PDF pages rasterised with pdf2image (poppler), image files decoded with Pillow.

Every page image comes out as an 8-bit RGB numpy array (H×W×3, C-contiguous) whatever the
source mode (1/L/P/LA/RGBA/I;16/I/F/CMYK...), with EXIF orientation applied, and with the page
size in points so that `1 px = width_pt / W`. Oversized pages are refused from their header,
before any pixel is decoded, so that a 20 000 × 20 000 px image costs an error, not the memory.
"""
from __future__ import annotations

import shutil
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from extractor.model import ErrorItem, InputError, Page

DEFAULT_DPI = 200
MAX_PIXELS = 60_000_000      # ~ A4 at 600 dpi is 35 MP; beyond this a page is refused
RUN_PAGES = 4                # pages per pdftoppm call: amortises its start-up, bounds the memory held
A4_LONG_IN = 297 / 25.4      # the assumed paper when an image carries no usable resolution
PAPER_LONG_IN = (3.0, 25.0)  # a declared dpi that makes the page's long side leave this range is wrong
POPPLER_HINT = "poppler is not installed (pdf2image needs pdftoppm/pdfinfo): install it, e.g. `apt install poppler-utils`"

PageImage = Union[np.ndarray, ErrorItem]


# ---- PDFs -------------------------------------------------------------------------------------

def needs_ocr(page: Page) -> bool:
    """True for a PDF page the text-layer backend left for the scan path."""
    return page.spans is None and any(e.code == "NEEDS_OCR" for e in page.errors)


def rasterize_pdf(path: Path, pages: Sequence[Page], dpi: int = DEFAULT_DPI,
                  max_pixels: int = MAX_PIXELS) -> Iterator[tuple[Page, PageImage]]:
    """Yield each given page (1-based `number`, `width`/`height` in points, as the PDF backend
    set them) with its RGB image at `dpi`, or with an ErrorItem saying why it has none.
    Pages are rendered a few at a time, so a caller that drops each image after use holds
    only a handful. Raise `InputError` when poppler itself is missing."""
    todo: list[Page] = []
    for page in sorted(pages, key=lambda p: p.number):
        refusal = _pdf_size_refusal(page, dpi, max_pixels)
        if refusal is not None:
            yield page, refusal
        else:
            todo.append(page)
    for run in _runs(todo):
        yield from _render_run(Path(path), run, dpi)


def attach_pdf_images(path: Path, pages: Sequence[Page], dpi: int = DEFAULT_DPI,
                      max_pixels: int = MAX_PIXELS) -> None:
    """Set `image` on the pages that need OCR (see `needs_ocr`); a page that cannot be rendered
    gets an error instead and empty slots, so later stages skip it. Text-layer pages are untouched."""
    for page, result in rasterize_pdf(path, [p for p in pages if needs_ocr(p)], dpi, max_pixels):
        if isinstance(result, ErrorItem):
            fail_page(page, result)
        else:
            page.image = result


def _pdf_size_refusal(page: Page, dpi: int, max_pixels: int) -> Optional[ErrorItem]:
    w_px = (page.width or 0.0) * dpi / 72.0
    h_px = (page.height or 0.0) * dpi / 72.0
    if w_px * h_px > max_pixels:
        return _too_large(page.number, int(w_px), int(h_px), max_pixels, f" at {dpi} dpi")
    return None


def _runs(pages: Sequence[Page]) -> Iterator[list[Page]]:
    """Consecutive page numbers in groups of at most RUN_PAGES: one pdftoppm call each. The
    first group is the first page alone: nothing is read until it is rendered (a run of four
    kept the recogniser idle ~0.6 s at the start of every file, ~10 % of a 6-page form)."""
    run: list[Page] = []
    limit = 1
    for page in pages:
        if run and (page.number != run[-1].number + 1 or len(run) == limit):
            limit = RUN_PAGES
            yield run
            run = []
        run.append(page)
    if run:
        yield run


def _render_run(path: Path, run: list[Page], dpi: int) -> Iterator[tuple[Page, PageImage]]:
    try:
        images = _convert(path, run[0].number, run[-1].number, dpi)
        if len(images) != len(run):
            raise RuntimeError(f"poppler returned {len(images)} images for {len(run)} pages")
    except InputError:
        raise
    except Exception as exc:
        if len(run) > 1:  # retry page by page: one bad page must not cost its neighbours
            for page in run:
                yield from _render_run(path, [page], dpi)
            return
        yield run[0], ErrorItem("RASTER_FAILED", f"page {run[0].number} cannot be rasterised: {_reason(exc)}",
                                run[0].number)
        return
    for page, img in zip(run, images):
        yield page, to_rgb8(img)


def _convert(path: Path, first: int, last: int, dpi: int) -> list[Image.Image]:
    from pdf2image import convert_from_path

    check_poppler()
    # the crop box is what the PDF backend measures the page by, so the two must agree
    return convert_from_path(path, dpi=dpi, first_page=first, last_page=last, use_cropbox=True, thread_count=1)


@lru_cache(maxsize=1)
def _poppler_tools() -> bool:
    return all(shutil.which(tool) for tool in ("pdfinfo", "pdftoppm"))


def check_poppler() -> None:
    """Raise `InputError` POPPLER_MISSING, with the install hint, when pdf2image cannot run."""
    if not _poppler_tools():
        raise InputError("POPPLER_MISSING", POPPLER_HINT)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


# ---- image files ------------------------------------------------------------------------------

def load_image_pages(path: Path, max_pixels: int = MAX_PIXELS) -> list[Page]:
    """Every frame of a PNG/JPEG/TIFF (multi-page included) as a Page with `image` (RGB uint8) and
    `width`/`height` in points. A frame that is too large or cannot be decoded becomes a page
    with an error and empty slots; the other frames go on. Raise `InputError` when the file is
    not a readable image at all (or its only page is too large)."""
    img = _open_image(Path(path), max_pixels)
    with img:
        n = max(1, getattr(img, "n_frames", 1))
        pages = [_load_frame(img, i, max_pixels) for i in range(n)]
    if n == 1 and pages[0].image is None and pages[0].errors[0].code == "IMAGE_TOO_LARGE":
        err = pages[0].errors[0]
        raise InputError(err.code, err.message, err.page)
    return pages


def _open_image(path: Path, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        # Pillow refuses to even open beyond twice its own limit; its message gives the size
        raise InputError("IMAGE_TOO_LARGE", f"page 1: over the {max_pixels / 1e6:.0f} MP limit ({exc})", 1) from exc
    except UnidentifiedImageError as exc:
        raise InputError("CORRUPT_FILE", "damaged image: its header cannot be read as PNG, JPEG or TIFF") from exc
    except OSError as exc:
        raise InputError("UNREADABLE_FILE", f"cannot open: {exc.strerror or exc}") from exc


def _load_frame(img: Image.Image, index: int, max_pixels: int) -> Page:
    number = index + 1
    page = Page(number=number)
    try:
        img.seek(index)
        w, h = img.size
        if w * h > max_pixels:
            return fail_page(page, _too_large(number, w, h, max_pixels))
        if w < 1 or h < 1:
            return fail_page(page, ErrorItem("CORRUPT_IMAGE", f"page {number}: the image has no pixels", number))
        dpi = page_dpi(img.size, img.info.get("dpi"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = ImageOps.exif_transpose(img)  # a copy of this frame, upright as the camera held it
        page.image = to_rgb8(frame)
    except Image.DecompressionBombError as exc:
        return fail_page(page, ErrorItem("IMAGE_TOO_LARGE", f"page {number}: the image is too large to decode safely ({exc})",
                                     number))
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # Pillow reports truncated and damaged data as OSError ("image file is truncated"),
        # broken TIFF tags as ValueError/SyntaxError, a missing frame as EOFError
        return fail_page(page, ErrorItem("CORRUPT_IMAGE", f"page {number}: damaged or truncated image data ({exc})", number))
    h_px, w_px = page.image.shape[:2]
    page.width, page.height = w_px * 72.0 / dpi, h_px * 72.0 / dpi
    return page


def page_dpi(size: tuple[int, int], declared: object = None) -> float:
    """The image's resolution: the declared one when it gives a paper-sized page, else the one
    that makes the long side an A4's (a phone photo says 72 dpi; a form is still A4 paper)."""
    long_px = max(size)
    if isinstance(declared, tuple) and declared:
        try:
            dpi = float(declared[0])
        except (TypeError, ValueError):
            dpi = 0.0
        if dpi > 0 and PAPER_LONG_IN[0] <= long_px / dpi <= PAPER_LONG_IN[1]:
            return dpi
    return long_px / A4_LONG_IN


def _too_large(number: int, w: int, h: int, max_pixels: int, how: str = "") -> ErrorItem:
    return ErrorItem("IMAGE_TOO_LARGE",
                     f"page {number}: {w} × {h} px{how} is {w * h / 1e6:.0f} MP, over the {max_pixels / 1e6:.0f} MP limit",
                     number)


def fail_page(page: Page, error: ErrorItem) -> Page:
    """The page cannot be had: say why, and leave empty slots so later stages skip it."""
    page.errors.append(error)
    page.image = None
    page.spans, page.segments, page.grids, page.lines = [], [], [], []
    return page


# ---- pixel formats ----------------------------------------------------------------------------

def to_rgb8(img: Image.Image) -> np.ndarray:
    """Any Pillow mode → H×W×3 uint8 RGB. Transparency is flattened onto white (a transparent
    PNG background must not read as black ink); high-bit-depth grey is scaled, not clipped."""
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        grey = _to_8bit(np.asarray(img))
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info):
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img.convert("RGBA"))
    if mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


def _to_8bit(arr: np.ndarray) -> np.ndarray:
    """16-bit grey spans its full range (scanners write it so); 32-bit integer or float grey has
    no fixed range, so its own min..max is stretched to 0..255."""
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 2:
        return (arr.astype(np.uint32) // 257).astype(np.uint8)
    arr = arr.astype(np.float32)
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    if hi <= lo:
        return np.full(arr.shape, 255, np.uint8)  # a flat image is a blank page
    return np.clip((arr - lo) * (255.0 / (hi - lo)) + 0.5, 0, 255).astype(np.uint8)
