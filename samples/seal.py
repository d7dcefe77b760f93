"""A red round official seal (公章) stamped over a page, as on the forms departments scan back.

A Chinese unit seal is a red ring about 42 mm across, the unit's name set along the upper arc
and a five-pointed star in the middle. The ink is translucent: text under the seal stays
readable as dark strokes tinted red, which is what makes seals hard for OCR and colour
thresholds alike, so the stamp multiplies the page by the ink colour instead of covering it.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from samples.pdfwriter import DEFAULT_FONT_PATH, FONT_ENV, FONT_PACKAGE, FontMissingError

SEAL_DIAMETER_MM = 42.0
INK_RGB = (214, 38, 44)
_ARC_STEP_DEG = 29.0   # angle each arc character takes; long names squeeze into MAX_ARC_DEG
_MAX_ARC_DEG = 260.0


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = Path(os.environ.get(FONT_ENV) or DEFAULT_FONT_PATH)
    if not path.is_file():
        raise FontMissingError(f"CJK TrueType font not found at {path}: install it with "
                               f"`apt-get install -y {FONT_PACKAGE}`, or point {FONT_ENV} at another .ttf file")
    return ImageFont.truetype(str(path), size)


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """Five-pointed star, one point up; the inner radius of a regular star is 0.382 of the outer."""
    pts = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.382
        phi = math.radians(-90 + 36 * k)
        pts.append((cx + radius * math.cos(phi), cy + radius * math.sin(phi)))
    return pts


def seal_mask(diameter_px: int, text: str, rng: np.random.Generator, angle: float = 0.0) -> np.ndarray:
    """Ink coverage in [0, 1] of a seal `diameter_px` wide (square array), turned `angle` degrees
    counter-clockwise, with the uneven inking and gaps of a hand stamp drawn from `rng`."""
    size = diameter_px + 4
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    c, r = size / 2, diameter_px / 2
    ring = max(2, round(diameter_px * 0.035))
    draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=ring)
    draw.polygon(_star(c, c, r * 0.27), fill=255)
    chars = [ch for ch in text if not ch.isspace()]
    if chars:
        font_px = max(8, round(diameter_px * 0.14))
        font = _font(font_px)
        r_text = r - ring - font_px * 0.62
        span = min(_MAX_ARC_DEG, _ARC_STEP_DEG * (len(chars) - 1))
        for k, ch in enumerate(chars):
            phi = -span / 2 + (span * k / (len(chars) - 1) if len(chars) > 1 else 0.0)
            glyph = Image.new("L", (font_px * 2, font_px * 2), 0)
            ImageDraw.Draw(glyph).text((font_px, font_px), ch, fill=255, font=font, anchor="mm",
                                       stroke_width=font_px // 40, stroke_fill=255)  # seal type is bold
            glyph = glyph.rotate(-phi, resample=Image.BICUBIC)  # each character faces the centre
            x = c + r_text * math.sin(math.radians(phi)) - font_px
            y = c - r_text * math.cos(math.radians(phi)) - font_px
            img.paste(glyph, (round(x), round(y)), glyph)
    if angle:
        img = img.rotate(angle, resample=Image.BICUBIC)
    # ink bleeds a little into the paper fibres
    mask = np.asarray(img.filter(ImageFilter.GaussianBlur(diameter_px / 500)), dtype=np.float32) / 255.0
    # a hand stamp inks unevenly: one side presses harder, and small specks stay blank
    pressure = _smooth_field(rng.uniform(0.6, 1.0, size=(5, 5)), size)
    gaps = _smooth_field(rng.random((size // 5, size // 5)), size) > 0.8
    return np.clip(mask * pressure * np.where(gaps, 0.3, 1.0), 0.0, 1.0)


def _smooth_field(values: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(values.astype(np.float32)).resize((size, size), Image.BILINEAR),
                      dtype=np.float32)


def stamp(page: np.ndarray, mask: np.ndarray, centre_px: tuple[float, float], opacity: float,
          ink: tuple[int, int, int] = INK_RGB) -> None:
    """Multiply the RGB float page (0..255, H×W×3) in place by the ink where `mask` covers it,
    the mask centred on `centre_px`; parts off the page are dropped."""
    h, w = page.shape[:2]
    m = mask.shape[0]
    x0, y0 = round(centre_px[0] - m / 2), round(centre_px[1] - m / 2)
    px0, py0, px1, py1 = max(0, x0), max(0, y0), min(w, x0 + m), min(h, y0 + m)
    if px0 >= px1 or py0 >= py1:
        return
    a = mask[py0 - y0:py1 - y0, px0 - x0:px1 - x0, None] * opacity
    tint = np.asarray(ink, dtype=np.float32) / 255.0
    page[py0:py1, px0:px1] *= 1.0 - a + a * tint


def circle_hits_box(centre: tuple[float, float], radius: float, box: Optional[list[float]]) -> bool:
    """Whether a disc overlaps the box [x0, y0, x1, y1] (same units)."""
    if not box:
        return False
    nx = min(max(centre[0], box[0]), box[2])
    ny = min(max(centre[1], box[1]), box[3])
    return (nx - centre[0]) ** 2 + (ny - centre[1]) ** 2 < radius ** 2
