"""PNG, JPEG and TIFF files (multi-page TIFFs included) → one page per frame, image only.

`load` decodes each frame to RGB with its size in points and leaves `spans`/`grids` None:
the scan path (extractor.scan, then OCR) fills them. See `extractor.scan.raster`.
"""
from __future__ import annotations

from pathlib import Path

from extractor.backends import register
from extractor.model import Page
from extractor.scan.raster import MAX_PIXELS, load_image_pages


class ImageBackend:
    """`max_pixels` caps each page's decoded size; a larger page is refused with IMAGE_TOO_LARGE."""

    kind = "image"

    def __init__(self, max_pixels: int = MAX_PIXELS):
        self.max_pixels = max_pixels

    def load(self, path: Path) -> list[Page]:
        return load_image_pages(Path(path), self.max_pixels)


register(ImageBackend())
