"""The text ink of a scanned page: what the line cutter and the recogniser see (ocr_cells.py).

Rulings, underlines and dust are taken out of the ink and whitened in the grey image, so a crop
may reach past a cell's border without carrying its ruling into the recogniser, and a speck
beside a number is not read as a mark (specks.py).
"""
from __future__ import annotations

from typing import Iterable

import cv2
import numpy as np

from extractor.model import Segment
from extractor.scan.cleanup import ink_mask
from extractor.scan.specks import dust_mask

RULE_IN = 0.4        # ink runs longer than this (inches) are rulings or underlines, not glyph strokes
RULING_PX = 3        # a ruling found by the grid is taken out this thick (then 1 px more either side)


def as_gray(image: np.ndarray) -> np.ndarray:
    """uint8 gray from gray or RGB input (the scan contract's images)."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


class PageInk:
    """Text ink of a page (boolean `text`) and the grey image with rulings, underlines and dust
    whitened (`gray`), at `dpi`; `segments` (points) are the rulings the grid was built from."""

    def __init__(self, image: np.ndarray, dpi: float, segments: Iterable[Segment] = ()):
        gray = as_gray(image)
        ink = ink_mask(gray)
        k = max(15, int(RULE_IN * dpi))
        across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, k), np.uint8))
        down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8))
        # and the rulings the grid was built from, gaps bridged: a seal or blur breaks a ruling
        # into pieces too short for the opening, which the recogniser then reads as "-" or "|"
        for seg in segments:
            x0, y0, x1, y1 = (int(round(v * dpi / 72.0)) for v in (seg.x0, seg.y0, seg.x1, seg.y1))
            cv2.line(across if abs(y1 - y0) <= abs(x1 - x0) else down, (x0, y0), (x1, y1), 255, RULING_PX)
        rules = cv2.dilate(across | down, np.ones((3, 3), np.uint8)) > 0
        self.text = (ink > 0) & ~rules
        dust = dust_mask(self.text, dpi, rules, along=(across > 0, down > 0))
        self.text &= ~dust
        self.gray = gray.copy()
        self.gray[rules | dust] = 255
        self.dpi = dpi
