"""Red official seals (公章) taken off a scanned page before its lines and text are read.

Seal ink is translucent: the stamp multiplies what lies under it by the ink's colour, which dims
red a little and green a lot. So the text and rulings printed under a seal can be recovered, not
just the seal whitened: `seal_free_gray` finds the seal's area (dense red ink in a blob the size
of a seal; the red fringes a JPEG leaves along black strokes are no seal) and there divides out
as much ink as each pixel's colour shows. A hue threshold alone leaves the blurred rims of the
strokes, whose colour a JPEG keeps at half resolution, as grey ghosts that read as ink.
"""
from __future__ import annotations

import cv2
import numpy as np

from extractor.scan.raster import DEFAULT_DPI

SEAL_MIN_PIXELS = 200   # fewer red pixels than this are not a seal (a red tick, JPEG noise)
SEAL_SAT = 60           # HSV saturation (0..255) from which a reddish pixel counts as seal ink
SEAL_CHROMA_SIGMA = 1.0  # px: how far colour is smoothed before the ink's share is told from it
SEAL_TRACE = 0.05       # share of ink from which a pixel was touched by the seal ...
SEAL_GHOST = 0.85       # ... and there, grey at least this share of the paper's is paper
SEAL_LEVEL = 25         # the top quarter of the seal's pixels, by how much ink dims them, is full ink
SEAL_BLOCK_MM = 1.5     # the seal's area is found in blocks this wide ...
SEAL_DENSITY = 0.1      # ... holding at least this share of red pixels ...
SEAL_MIN_MM = 15.0      # ... joined into a blob at least this wide and high (seals are 38-45 mm)
DEFAULT_PX_PER_MM = DEFAULT_DPI / 25.4  # a caller that gives no resolution


def seal_free_gray(rgb: np.ndarray, px_per_mm: float = DEFAULT_PX_PER_MM) -> tuple[np.ndarray, int]:
    """The page in grey with red seal ink taken off and the text and rulings under it kept, and
    the number of seal pixels. Inside the seal's area each pixel's share of ink is told by how
    much its green is dimmed against its red (relative to the paper's), and its red divided by
    what that much ink dims red by gives what lay under it, in grey. (White instead of the
    paper's grey would leave a bright patch on tinted paper, whose edges read as ink.)"""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if cv2.countNonZero(_red_mask(np.ascontiguousarray(rgb[::4, ::4]))) < SEAL_MIN_PIXELS // 16:
        return gray, 0  # one pixel in 16 says there is no seal; most pages have none
    mask = _red_mask(rgb)
    area = _seal_area(mask, px_per_mm)
    n = cv2.countNonZero(mask & area)
    if n < SEAL_MIN_PIXELS:
        return gray, 0
    x, y, w, h = cv2.boundingRect(area)
    near, seal = area[y:y + h, x:x + w] > 0, mask[y:y + h, x:x + w] > 0
    window = gray[y:y + h, x:x + w]
    red = rgb[y:y + h, x:x + w, 0].astype(np.float32) + 1.0
    green = rgb[y:y + h, x:x + w, 1].astype(np.float32) + 1.0
    paper_at = ~near if (~near).any() else near
    paper_red, paper_green = (float(np.percentile(c[paper_at], 80)) for c in (red, green))
    paper_gray = float(np.percentile(window[paper_at], 80))
    # 0 on paper and on black, near 1 on seal ink; smoothed like a JPEG's colour, which is
    # stored at half resolution (else every stroke's edge is mis-told and leaves an outline)
    dimmed = cv2.GaussianBlur(1.0 - (green / red) / (paper_green / paper_red), (0, 0), SEAL_CHROMA_SIGMA)
    full = float(np.percentile(dimmed[seal & near], 100 - SEAL_LEVEL))
    share = np.clip(dimmed / max(full, 0.1), 0.0, 1.0)
    strong = seal & near & (share >= 0.9) & (red >= 0.5 * paper_red)  # the ink itself over paper
    red_kept = min(float(np.median(red[strong])) / paper_red, 1.0) if strong.any() else 1.0
    under = red[near] / (1.0 - share[near] * (1.0 - red_kept))
    out = np.clip(under * (paper_gray / paper_red), 0, 255)
    # the colour's lower resolution leaves a faint outline along each stroke: where there was
    # ink, what is nearly paper is paper (text and rulings under a stroke are far darker)
    out[(share[near] > SEAL_TRACE) & (out >= SEAL_GHOST * paper_gray)] = paper_gray
    window[near] = out.astype(np.uint8)
    return gray, n


def _seal_area(mask: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Where the seals lie (255), in blocks: blocks dense in red ink inside a blob of such blocks
    at least SEAL_MIN_MM across, with a block of margin for the blurred rim. Reddish pixels
    scattered over the page (the colour fringes a JPEG leaves along black strokes, tinted paper)
    are no seal, and text there must keep its own grey."""
    block = max(2, int(round(SEAL_BLOCK_MM * px_per_mm)))
    h, w = mask.shape
    bh, bw = -(-h // block), -(-w // block)
    padded = np.zeros((bh * block, bw * block), np.uint8)
    padded[:h, :w] = mask
    density = cv2.resize(padded, (bw, bh), interpolation=cv2.INTER_AREA)
    dense = cv2.morphologyEx((density > SEAL_DENSITY * 255).astype(np.uint8), cv2.MORPH_CLOSE,
                             np.ones((3, 3), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(dense)
    least = SEAL_MIN_MM * px_per_mm / block
    inside = np.zeros_like(dense)
    for x, y, bw_, bh_, _ in stats[1:]:
        if min(bw_, bh_) >= least:  # a seal's ring; its star and name, apart from it, lie within
            inside[y:y + bh_, x:x + bw_] = 1
    blocks = cv2.dilate((dense & inside) * 255, np.ones((3, 3), np.uint8))
    return cv2.resize(blocks, (bw * block, bh * block), interpolation=cv2.INTER_NEAREST)[:h, :w]


def _red_mask(rgb: np.ndarray, saturation: int = SEAL_SAT) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    return (cv2.inRange(hsv, (0, saturation, 70), (10, 255, 255))
            | cv2.inRange(hsv, (160, saturation, 70), (180, 255, 255)))
