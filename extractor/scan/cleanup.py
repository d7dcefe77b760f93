"""Page clean-up before line detection and OCR: red seals out, page upright, skew removed.

`clean_page` returns the cleaned grey image and the `PageTransform` that maps its coordinates
(points, top-left origin) back to the original page. The decisions are taken on a ~100 dpi
ink mask, and the full-resolution image is resampled once:

- seals (seals.py): inside a seal's area, what lay under its translucent ink is recovered, so
  the seal becomes paper and the text and rulings printed under it stay;
- quarter turns: CJK glyphs are square, but a text line is long: closing the ink along the
  text direction welds glyphs into thin long blobs, across it does not;
- skew (±5°): the angle at which the ink's row profile is sharpest (ruling lines and text
  lines both line up), coarse to fine, ≤ 0.05° error on a ruled form;
- upside down: PP-OCR's text-direction classifier (shipped in the rapidocr wheel) votes on
  a handful of deskewed text-line crops; tables alone cannot tell 0° from 180°.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from extractor.model import BBox
from extractor.scan.seals import seal_free_gray

ANALYSIS_DPI = 100      # decisions need shapes, not strokes: a quarter of the pixels
MAX_SKEW = 5.0          # degrees searched either way
SKEW_MIN = 0.02         # below this the image is not resampled
BLANK_INK = 0.0005      # share of ink pixels below which a page is blank
INK_OF_PAPER = 0.8      # ink is darker than this share of the paper's grey
CLS_CROPS = 8           # text-line crops the direction classifier votes on
CLS_MARGIN = 0.15       # mean P(180) - P(0) above which the page is upside down
Matrix = np.ndarray     # 3×3 affine, pixel indices of one image → pixel indices of another


@dataclass(frozen=True)
class PageTransform:
    """Affine map from cleaned-page points to original-page points: x' = a·x + b·y + c, y' = d·x + e·y + f."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    e: float = 1.0
    f: float = 0.0

    def to_original(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f

    def box_to_original(self, bbox: BBox) -> BBox:
        """The upright box around a cleaned-page box once mapped to the original page."""
        corners = [self.to_original(x, y) for x in (bbox[0], bbox[2]) for y in (bbox[1], bbox[3])]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        return (min(xs), min(ys), max(xs), max(ys))

    def inverse(self) -> "PageTransform":
        m = np.linalg.inv(self.matrix())
        return PageTransform(*m[0], *m[1])

    def matrix(self) -> Matrix:
        return np.array([[self.a, self.b, self.c], [self.d, self.e, self.f], [0.0, 0.0, 1.0]])

    @classmethod
    def from_pixels(cls, forward: Matrix, pt_per_px: float) -> "PageTransform":
        """From the original→cleaned pixel matrix to the cleaned→original point transform."""
        back = np.linalg.inv(forward)
        return cls(back[0, 0], back[0, 1], back[0, 2] * pt_per_px, back[1, 0], back[1, 1], back[1, 2] * pt_per_px)


@dataclass
class CleanedPage:
    image: np.ndarray          # grey uint8 (H×W), upright and deskewed, seals removed
    transform: PageTransform   # cleaned points → original points
    rotation: int              # clockwise quarter turn applied: 0, 90, 180 or 270
    skew: float                # degrees the content leaned counter-clockwise (turned back here)
    seal_pixels: int
    blank: bool


def clean_page(rgb: np.ndarray, pt_per_px: float, *, orient: bool = True, deskew: bool = True,
               seals: bool = True) -> CleanedPage:
    """Seals out, then quarter turn, skew and upside-down detected on the page ink and applied
    in one resampling. The result is grey: once the seal is gone colour carries nothing, and a
    grey page is a third of the memory and of the resampling time of an RGB one."""
    if rgb.ndim == 2:
        gray, seal_pixels = rgb, 0
    elif seals:
        gray, seal_pixels = seal_free_gray(rgb, 72.0 / pt_per_px / 25.4)
    else:
        gray, seal_pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 0
    factor = max(1, round(72.0 / pt_per_px / ANALYSIS_DPI))
    ink = ink_mask(cv2.resize(gray, (gray.shape[1] // factor, gray.shape[0] // factor), interpolation=cv2.INTER_AREA)
                   if factor > 1 else gray)
    blank = cv2.countNonZero(ink) < BLANK_INK * ink.size
    quarter, boxes = 0, []
    if orient and not blank:
        vertical, boxes = text_lines(ink)
        if vertical:
            quarter = 90
            ink = np.ascontiguousarray(np.rot90(ink, -1))
    angle = estimate_skew(ink) if deskew and not blank else 0.0
    h, w = gray.shape
    turned, unskew, size = _upright_matrices(w, h, quarter, angle)
    forward = unskew @ turned
    lines = [_line_in(unskew, box, factor) for box in boxes]
    turn = 180 if lines and is_upside_down(gray, forward, lines) else 0
    if turn:
        forward = _half_turn(*size) @ forward
    image = _resample(gray, forward, size, quarter + turn, angle)
    return CleanedPage(image=image, transform=PageTransform.from_pixels(forward, pt_per_px),
                       rotation=(quarter + turn) % 360, skew=angle, seal_pixels=seal_pixels, blank=blank)


# ---- ink and text lines -----------------------------------------------------------------------

def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels as 255: Otsu's threshold, but never lighter than 200 (a blank page's paper
    noise is no ink) nor than INK_OF_PAPER of the paper's grey, the page's median (beside a
    white margin or the white canvas a deskewed page is turned on, grey paper is what Otsu
    would split off, and the whole sheet would be ink)."""
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    paper = float(np.median(gray[::4, ::4]))
    _, ink = cv2.threshold(gray, min(t, 200.0, INK_OF_PAPER * paper), 255, cv2.THRESH_BINARY_INV)
    return ink


def _text_only(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """Ink minus ruling lines, and the glyph size (median long side of its components, px)."""
    long_run = max(15, min(ink.shape) // 20)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, long_run), np.uint8))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((long_run, 1), np.uint8))
    text = cv2.subtract(ink, cv2.dilate(rules, np.ones((3, 3), np.uint8)))
    boxes = blob_boxes(text)
    sizes = np.maximum(boxes[:, 2], boxes[:, 3])
    sizes = sizes[(sizes >= 3) & (sizes < long_run)]
    return text, float(np.median(sizes)) if sizes.size else 0.0


def _line_blobs(text: np.ndarray, em: float) -> np.ndarray:
    """Boxes (x, y, w, h) of the thin long blobs that closing along x welds glyphs into."""
    k = max(2, int(round(0.4 * em)))
    boxes = blob_boxes(cv2.morphologyEx(text, cv2.MORPH_CLOSE, np.ones((1, k), np.uint8)))
    w, h = boxes[:, 2], boxes[:, 3]
    return boxes[(w >= 3 * h) & (h >= 0.5 * em) & (h <= 2.0 * em)]


def blob_boxes(mask: np.ndarray) -> np.ndarray:
    """(x, y, w, h) of each outer blob of a binary mask, as an n×4 int array. Outer contours
    cost a few times less than labelled components, and a blob in another's hole is no loss here."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return np.zeros((0, 4), np.int64)
    return np.array([cv2.boundingRect(c) for c in contours], np.int64)


def text_lines(ink: np.ndarray, limit: int = CLS_CROPS) -> tuple[bool, list[tuple[int, int, int, int]]]:
    """Whether the page's text runs top to bottom (the page lies on its side), and its `limit`
    biggest text lines as (x, y, w, h) in the frame turned a quarter clockwise when it does,
    squat ones first: a crop near the classifier's 4:1 input is not squeezed."""
    text, em = _text_only(ink)
    if em <= 0:
        return False, []
    along = _line_blobs(text, em)
    across = _line_blobs(np.ascontiguousarray(text.T), em)
    vertical = int(across[:, 2].sum()) > 1.5 * int(along[:, 2].sum())
    blobs = along
    if vertical:  # the transposed frame is the clockwise-turned one mirrored left-right
        blobs = across.copy()
        blobs[:, 0] = ink.shape[0] - across[:, 0] - across[:, 2]
    order = np.argsort(-(blobs[:, 3].astype(np.int64) * np.minimum(blobs[:, 2], 8 * blobs[:, 3])))
    return vertical, [tuple(int(v) for v in blobs[i]) for i in order[:limit]]


def _line_in(unskew: Matrix, box: tuple[int, int, int, int], factor: int) -> tuple[float, float, float, float]:
    """An analysis-frame box → (centre x, centre y, width, height) in full-resolution upright pixels."""
    x, y, w, h = (v * factor for v in box)
    cx, cy, _ = unskew @ (x + w / 2, y + h / 2, 1.0)
    return cx, cy, w, h


# ---- skew -------------------------------------------------------------------------------------

def estimate_skew(ink: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """Degrees by which the page's lines lean counter-clockwise (rise to the right): the angle
    that makes the row profile of the ink sharpest, searched coarse to fine (coarse steps need
    fewer ink points than fine ones)."""
    found = cv2.findNonZero(ink)
    if found is None or len(found) < 50:
        return 0.0
    pts = found.reshape(-1, 2).astype(np.float64)
    pts[:, 0] -= ink.shape[1] / 2
    best, width = 0.0, max_angle
    for delta, n_points in ((0.25, 10000), (0.05, 25000), (0.01, 50000)):
        sample = pts[:: max(1, len(pts) // n_points)]
        angles = np.arange(best - width, best + width + delta / 2, delta)
        scores = np.array([_sharpness(sample[:, 0], sample[:, 1], a) for a in angles])
        i = int(np.argmax(scores))
        best = float(angles[i])
        if 0 < i < len(angles) - 1:  # the parabola through the peak and its neighbours
            s0, s1, s2 = scores[i - 1], scores[i], scores[i + 1]
            denom = s0 - 2 * s1 + s2
            if denom < 0:
                best += delta * 0.5 * (s0 - s2) / denom
        width = 2 * delta
    return float(np.clip(best, -max_angle, max_angle))


def _sharpness(xs: np.ndarray, ys: np.ndarray, angle: float) -> float:
    """Sum of squared row counts of the sheared points. Each point is shared between its two
    nearest rows (linear binning): with plain rounding, shears of under half a pixel across the
    page change nothing, and the score is flat over ±0.07° at 100 dpi."""
    rows = ys + xs * math.tan(math.radians(angle))
    base = np.floor(rows)
    frac = rows - base
    idx = (base - base.min()).astype(np.int64)
    counts = np.bincount(idx, 1.0 - frac, minlength=int(idx.max()) + 2)
    counts[1:] += np.bincount(idx, frac, minlength=int(idx.max()) + 1)
    return float(np.dot(counts, counts))


# ---- geometry of the correction -----------------------------------------------------------------

def _upright_matrices(w: int, h: int, quarter: int, angle: float) -> tuple[Matrix, Matrix, tuple[int, int]]:
    """Original pixels → turned pixels (the clockwise quarter turn), turned → upright pixels (the
    skew turned back on a canvas grown to hold the whole page), and the upright (width, height)."""
    m = np.eye(3)
    if quarter:
        m = np.array([[0.0, -1.0, h - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
        w, h = h, w
    if abs(angle) < SKEW_MIN:
        return m, np.eye(3), (w, h)
    r = math.radians(angle)
    cos, sin = abs(math.cos(r)), abs(math.sin(r))
    nw, nh = int(math.ceil(w * cos + h * sin)), int(math.ceil(h * cos + w * sin))
    rot = np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -angle, 1.0), [0, 0, 1]])
    rot[0, 2] += (nw - w) / 2
    rot[1, 2] += (nh - h) / 2
    return m, rot, (nw, nh)


def _half_turn(w: int, h: int) -> Matrix:
    return np.array([[-1.0, 0.0, w - 1.0], [0.0, -1.0, h - 1.0], [0.0, 0.0, 1.0]])


def _resample(img: np.ndarray, forward: Matrix, size: tuple[int, int], turn: int, angle: float) -> np.ndarray:
    if abs(angle) < SKEW_MIN:  # a pure quarter turn is an exact, cheap copy
        codes = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
        code = codes[turn % 360]
        return img if code is None else cv2.rotate(img, code)
    return cv2.warpAffine(img, forward[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=255)


# ---- upside down ------------------------------------------------------------------------------

def is_upside_down(gray: np.ndarray, forward: Matrix, lines: Sequence[tuple[float, float, float, float]]) -> bool:
    """Vote of the direction classifier on text-line crops. `lines` are (centre x, centre y, width,
    height) in the deskewed frame, `forward` maps original pixels there: each crop is cut
    straight from the original image, so the full page is resampled only once."""
    crops = [c for c in (_crop(gray, forward, line) for line in lines) if c is not None]
    if not crops:
        return False
    p180 = _classify(crops)
    return float(np.mean(p180 - (1 - p180))) > CLS_MARGIN


def _crop(gray: np.ndarray, forward: Matrix, line: tuple[float, float, float, float]) -> Optional[np.ndarray]:
    cx, cy, w, h = line
    pad = max(2, int(0.15 * h))
    cw, ch = int(w) + 2 * pad, int(h) + 2 * pad
    if cw < 8 or ch < 8:
        return None
    to_crop = np.array([[1.0, 0.0, cw / 2 - cx], [0.0, 1.0, ch / 2 - cy], [0.0, 0.0, 1.0]])
    return cv2.warpAffine(gray, (to_crop @ forward)[:2], (cw, ch), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _classify(crops: list[np.ndarray]) -> np.ndarray:
    """P(rotated 180°) of each crop, batched through the classifier at its 3×48×192 input."""
    session = _cls_session()
    batch = np.zeros((len(crops), 3, 48, 192), np.float32)
    for i, crop in enumerate(crops):
        h, w = crop.shape
        rw = min(192, max(1, int(math.ceil(48 * w / h))))
        resized = cv2.resize(crop, (rw, 48)).astype(np.float32) / 127.5 - 1.0
        batch[i, :, :, :rw] = resized
    probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
    return probs[:, 1]


@lru_cache(maxsize=1)
def _cls_session():
    """The classifier, loaded once per process (≈ 0.6 MB, tens of ms)."""
    import onnxruntime as ort
    import rapidocr_onnxruntime

    model = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])
