"""What a scanner does to a page, at three levels, every parameter drawn from one seed.

`sample` draws a page's `Degradation` (kept in the ground truth so a benchmark can group and
explain its results), `apply` turns the page rendered at the level's dpi into the scan and
returns the affine map from the original page's points (top-left origin, as the extractor's
bboxes) to the scan's pixels, so truth boxes can be found in the scan whatever was done to it.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any, Optional, Sequence

import cv2
import numpy as np
from PIL import Image

from samples.seal import SEAL_DIAMETER_MM, circle_hits_box, seal_mask, stamp


@dataclass(frozen=True)
class Level:
    """Bounds a level's parameters are drawn within; (0, 0) means "not done at this level"."""

    name: str
    dpi: int
    mode: str                                # "L": grayscale scan; "RGB": colour scan (for the seal)
    max_angle: float                         # skew, degrees either way
    noise_sigma: tuple[float, float]         # gaussian sensor noise, in 0..255 grey levels
    salt_pepper: tuple[float, float]         # share of pixels flipped to black or white (dust)
    jpeg_quality: Optional[tuple[int, int]]  # None: lossless
    blur_sigma: tuple[float, float]          # pixels, at the level's dpi
    paper: bool                              # tinted paper, uneven lighting, grey scanner lid
    seal: bool                               # a red seal over a table cell


LEVELS: dict[str, Level] = {
    "clean": Level("clean", 200, "L", 0.0, (0.0, 0.0), (0.0, 0.0), None, (0.0, 0.0), False, False),
    "mild": Level("mild", 200, "L", 1.0, (1.5, 3.5), (0.0002, 0.001), (65, 75), (0.0, 0.0), False, False),
    "hard": Level("hard", 150, "RGB", 2.5, (4.0, 8.0), (0.0, 0.0), (55, 65), (0.6, 1.1), True, True),
}
PAPER_RGB = ((215, 235), (208, 228), (180, 210))  # grey to yellowed office paper, per channel
LIGHTING_MIN = (0.82, 0.95)  # brightness at the darker edge of the page
SEAL_OPACITY = (0.75, 0.95)
SEAL_TURN = 25.0  # degrees either way: seals are never stamped straight
# amounts, rates, weights and scores: the fields a seal over them makes hardest to read back
_NUMBER = re.compile(r"[≥≤=<>]?-?\d[\d,]*(?:\.\d+)?%?")


@dataclass
class Degradation:
    """Everything done to one page. Angles are counter-clockwise as seen on the page."""

    level: str
    seed: int
    dpi: int
    mode: str                   # mode of the delivered image: L, RGB, or a variant's P, I;16, 1
    angle: float = 0.0          # skew about the page centre, the page size kept like a scanner bed
    rotation: int = 0           # quarter turns after the skew (a page fed sideways): 0, 90, 180, 270
    noise_sigma: float = 0.0
    salt_pepper: float = 0.0
    jpeg_quality: Optional[int] = None
    blur_sigma: float = 0.0
    paper_rgb: Optional[list[int]] = None
    lighting: Optional[dict[str, float]] = None  # {"direction": degrees, "min": brightness}
    seal: Optional[dict[str, Any]] = None        # centre/diameter in original points, cells covered

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], digits: int = 4) -> float:
    lo, hi = bounds
    return 0.0 if lo == hi == 0 else round(float(rng.uniform(lo, hi)), digits)


def sample(level: Level, seed: int, page_size_pt: tuple[float, float],
           tables: Sequence[dict[str, Any]] = (), seal_text: str = "") -> Degradation:
    """A page's degradation drawn from `seed`. `tables` are the page's truth tables (FORMS.md,
    points): the seal goes over one of their numeric cells, where it hurts a reader most."""
    rng = np.random.default_rng(seed)
    d = Degradation(level=level.name, seed=seed, dpi=level.dpi, mode=level.mode)
    d.angle = _uniform(rng, (-level.max_angle, level.max_angle), 3) if level.max_angle else 0.0
    d.noise_sigma = _uniform(rng, level.noise_sigma, 2)
    d.salt_pepper = _uniform(rng, level.salt_pepper, 5)
    if level.jpeg_quality:
        d.jpeg_quality = int(rng.integers(level.jpeg_quality[0], level.jpeg_quality[1] + 1))
    d.blur_sigma = _uniform(rng, level.blur_sigma, 2)
    if level.paper:
        d.paper_rgb = [int(rng.integers(lo, hi + 1)) for lo, hi in PAPER_RGB]
        d.lighting = {"direction": _uniform(rng, (0.0, 360.0), 1), "min": _uniform(rng, LIGHTING_MIN, 3)}
    if level.seal:
        d.seal = _place_seal(rng, page_size_pt, tables, seal_text)
    return d


def _place_seal(rng: np.random.Generator, page_size_pt: tuple[float, float],
                tables: Sequence[dict[str, Any]], text: str) -> dict[str, Any]:
    diameter = SEAL_DIAMETER_MM / 25.4 * 72
    r = diameter / 2
    w, h = page_size_pt
    boxed = [c for t in tables for c in t["cells"] if c.get("bbox") and c["text"].strip()]
    cells = [c for c in boxed if _NUMBER.fullmatch(c["text"].strip())] or boxed
    if cells:
        box = cells[int(rng.integers(len(cells)))]["bbox"]
        cx = (box[0] + box[2]) / 2 + float(rng.uniform(-10, 10))
        cy = (box[1] + box[3]) / 2 + float(rng.uniform(-6, 6))
    else:
        cx, cy = w * 0.7, h * 0.8  # where a seal goes on a page without a table: near the signature
    centre = (round(min(max(cx, r), w - r), 2), round(min(max(cy, r), h - r), 2))
    covers = [{"table": ti, "row": c["row"], "col": c["col"]}
              for ti, t in enumerate(tables) for c in t["cells"] if circle_hits_box(centre, r, c.get("bbox"))]
    return {"centre_pt": list(centre), "diameter_pt": round(diameter, 2), "text": text,
            "turn": _uniform(rng, (-SEAL_TURN, SEAL_TURN), 1), "opacity": _uniform(rng, SEAL_OPACITY, 3),
            "covers": covers}


# ------------------------------------------------------------------------------------- apply

def points_to_pixels(d: Degradation, size_px: tuple[int, int]) -> np.ndarray:
    """2×3 affine map from original page points (top-left origin) to pixels of the scan
    (continuous coordinates: pixel (i, j) spans [i, i+1)). `size_px` is the rendered page."""
    s = d.dpi / 72.0
    w, h = size_px
    scale = np.array([[s, 0, 0], [0, s, 0], [0, 0, 1]], dtype=np.float64)
    skew = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), d.angle, 1.0), [0, 0, 1]])
    turn = _quarter_turn(d.rotation, w, h)
    return (turn @ skew @ scale)[:2]


def _quarter_turn(rotation: int, w: int, h: int) -> np.ndarray:
    """Turning an image w×h counter-clockwise by `rotation` degrees (as numpy's rot90 does)."""
    maps = {0: [[1, 0, 0], [0, 1, 0]], 90: [[0, 1, 0], [-1, 0, w]],
            180: [[-1, 0, w], [0, -1, h]], 270: [[0, -1, h], [1, 0, 0]]}
    if rotation not in maps:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, got {rotation}")
    return np.vstack([np.array(maps[rotation], dtype=np.float64), [0, 0, 1]])


def apply(page: Image.Image, d: Degradation) -> Image.Image:
    """The scan of `page` (rendered at `d.dpi` in the level's mode, L or RGB), still L or RGB:
    the writer encodes the JPEG once, at `d.jpeg_quality`, and only then converts to `d.mode`
    (`to_mode`), as a scanner's software would."""
    rng = np.random.default_rng([d.seed, 1])  # a stream apart from the parameter draws
    arr = np.asarray(page, dtype=np.float32).copy()
    colour = arr.ndim == 3
    if d.paper_rgb is not None and colour:
        arr *= np.asarray(d.paper_rgb, dtype=np.float32) / 255.0
    if d.seal is not None and colour:
        s = d.dpi / 72.0
        diameter_px = round(d.seal["diameter_pt"] * s)
        mask = seal_mask(diameter_px, d.seal["text"], rng, angle=d.seal["turn"])
        cx, cy = d.seal["centre_pt"]
        stamp(arr, mask, (cx * s, cy * s), d.seal["opacity"])
    if d.angle:
        h, w = arr.shape[:2]
        # the scanner lid shows where the turned page leaves the bed uncovered
        fill = tuple(v * 0.8 for v in d.paper_rgb) if d.paper_rgb and colour else 255.0
        # about ((w-1)/2, (h-1)/2) in pixel indices: the page centre (w/2, h/2) of points_to_pixels
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), d.angle, 1.0)
        arr = cv2.warpAffine(arr, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=fill)
    if d.lighting is not None:
        light = _lighting(arr.shape[:2], d.lighting)
        arr *= light[..., None] if colour else light
    if d.blur_sigma:
        arr = cv2.GaussianBlur(arr, (0, 0), d.blur_sigma)
    if d.noise_sigma:
        arr += rng.normal(0.0, d.noise_sigma, size=arr.shape).astype(np.float32)
    if d.salt_pepper:
        hit = rng.random(arr.shape[:2]) < d.salt_pepper
        dust = np.where(rng.random(int(hit.sum())) < 0.5, 0.0, 255.0).astype(np.float32)
        arr[hit] = dust[:, None] if colour else dust
    out = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    if d.rotation:
        out = np.ascontiguousarray(np.rot90(out, k=d.rotation // 90))
    return Image.fromarray(out)


def _lighting(shape: tuple[int, int], lighting: dict[str, float]) -> np.ndarray:
    """A linear falloff across the page towards `direction`, as under a lamp or a lifted lid."""
    h, w = shape
    phi = math.radians(lighting["direction"])
    xs = (np.arange(w, dtype=np.float32)[None, :] / w - 0.5) * math.cos(phi)
    ys = (np.arange(h, dtype=np.float32)[:, None] / h - 0.5) * math.sin(phi)
    t = xs + ys
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    return 1.0 - (1.0 - lighting["min"]) * t


def to_mode(img: Image.Image, mode: str) -> Image.Image:
    """`img` in one of the image modes scans come in: L, RGB, P (indexed), I;16, 1 (bilevel)."""
    if img.mode == mode:
        return img
    if mode == "P":
        # an indexed-colour scan: few colours, no dithering, as scanner "colour document" modes;
        # median cut gives the few red seal pixels no palette entry, max coverage keeps them red
        return img.convert("RGB").quantize(colors=32, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    if mode == "I;16":
        wide = np.asarray(img.convert("L"), dtype=np.uint16) * 257  # 0..255 → 0..65535
        return Image.fromarray(wide)  # uint16 arrays come in as I;16
    if mode == "1":
        return img.convert("L").point(lambda v: 255 if v >= 160 else 0).convert("1", dither=Image.Dither.NONE)
    return img.convert(mode)
