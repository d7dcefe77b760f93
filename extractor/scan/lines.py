"""Ruling lines of a cleaned page image → `Segment`s in points, ready for `geometry.extract_grids`.

The chain, each step a function below:
1. ink: adaptive threshold, so faint grey rulings count (`ruling_ink`);
2. pieces: per direction, a short closing that heals pixel gaps inside a stroke, then an
   opening that keeps only straight runs, then the thin ones (`_pieces`);
3. `bridge`: collinear pieces joined across breaks, but not across a T-junction onto what may
   be a glyph stroke in the next cell;
4. `keep_rulings`: rulings holding an unbroken piece longer than any glyph stroke, then those
   spanning two kept perpendicular rulings (a glyph stroke, or a row of them bridged into a
   line, spans none);
5. `extend_ends`: ends that stop on nothing carried onto a perpendicular ruling just beyond;
6. `fill_missing`: a cell border broken into bits too short for step 2, read from the ink on
   the line of the column or row it belongs to.

Lengths are set in points and converted with the page scale, so they follow the page size;
they are sized against glyphs: a stroke is at most about one em (≤ 12 pt in a form's body,
~20 pt in a title), a table row or column is never shorter than ~11 pt. Merged cells need
nothing here: a border that is not drawn is not found, and geometry makes the span.
"""
from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple, Optional, Sequence

import cv2
import numpy as np

from extractor.geometry import Edge
from extractor.model import Segment

BLOCK_PT = 12.0      # adaptive-threshold neighbourhood: a ruling is darker than its surroundings
INK_DELTA = 10       # grey levels below the neighbourhood mean that count as ink (faint lines included)
NOISE_K = 3.5        # ... or this many sensor-noise sigmas, when the scan is noisier than that
HEAL_PT = 1.0        # pixel gaps this small inside a ruling are closed before the opening
PIECE_PT = 8.0       # the opening keeps straight runs at least this long
MAX_THICK_PT = 4.0   # a piece thicker than this is a filled area (shading, a black bar), not a ruling
ALIGN_PT = 1.5       # pieces whose centres are this close across the line are collinear
BRIDGE_PT = 10.0     # collinear pieces this close along the line are one broken ruling
LONG_PT = 28.0       # an unbroken piece longer than any glyph stroke makes a ruling on its own
GLYPH_PT = 12.0      # a piece shorter than this may be a stroke of body text
MEET_PT = 1.5        # a short ruling's ends must touch perpendicular rulings this closely
REACH_PT = 5.0       # a long one's may stop this short (a dropout at the corner)
FILL_COVER = 0.6     # share of a span between two rulings that ink must cover to be a broken border
END_PT = (1.0, 2.0)  # ... and where, past each bounding ruling, it must run unbroken (a glyph stroke
                     # stops a padding short)


def find_segments(gray: np.ndarray, pt_per_px: float) -> list[Segment]:
    """Horizontal and vertical rulings of a cleaned (upright, deskewed, seal-free) grey page, in
    points from its top-left corner. Text, seals' leftovers and shading do not come out as rulings."""
    px = 1.0 / pt_per_px
    ink = ruling_ink(gray, _odd(BLOCK_PT * px))
    hs = _pieces(ink, True, pt_per_px)
    vs = _pieces(ink, False, pt_per_px)
    hs, vs = bridge(hs, _unbroken(vs)), bridge(vs, _unbroken(hs))
    hs, vs = keep_rulings(hs, vs)
    hs, vs = extend_ends(hs, vs), extend_ends(vs, hs)
    hs, vs = fill_missing(hs, vs, ink, pt_per_px), fill_missing(vs, hs, ink, pt_per_px)
    return [_segment(e) for e in (*hs, *vs)]


def ruling_ink(gray: np.ndarray, block: int) -> np.ndarray:
    """Pixels darker than their neighbourhood as 255. Local, so a faint grey ruling on a bright
    page counts as much as a black one on a dim photo; the margin grows with the sensor noise,
    whose speckle would otherwise weld glyph strokes into line-long runs."""
    delta = max(INK_DELTA, NOISE_K * noise_sigma(gray))
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, delta)


def noise_sigma(gray: np.ndarray) -> float:
    """Per-pixel noise (grey levels) from the median absolute difference of horizontal
    neighbours on a sample of rows: robust, since ink edges are a small share of all pairs."""
    rows = gray[:: max(1, gray.shape[0] // 200)].astype(np.int16)
    diff = np.abs(np.diff(rows, axis=1))
    return float(np.median(diff)) * 1.4826 / np.sqrt(2.0)


def _pieces(ink: np.ndarray, horizontal: bool, pt_per_px: float) -> list[Edge]:
    """Straight thin runs of ink along one direction, as edges in points."""
    heal = max(1, int(HEAL_PT / pt_per_px))  # rounded down: at low dpi a pixel more welds glyphs
    length = max(3, int(round(PIECE_PT / pt_per_px)))
    shape = (heal, 1) if horizontal else (1, heal)  # cv2 kernel sizes are (width, height)
    runs = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
    shape = (length, 1) if horizontal else (1, length)
    runs = cv2.morphologyEx(runs, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
    # outer contours rather than labelled components: the mask is sparse and this is ~15× faster
    contours, _ = cv2.findContours(runs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Edge] = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        lo, extent, across, mid = (x, w, h, y) if horizontal else (y, h, w, x)
        # mean thickness from the polygon's area; a 1-px line has a zero-area contour
        if (cv2.contourArea(c) / extent + 1) * pt_per_px > MAX_THICK_PT:
            continue
        pos = (mid + (across - 1) / 2) * pt_per_px
        out.append(Edge(horizontal, pos, lo * pt_per_px, (lo + extent - 1) * pt_per_px))
    return out


def _unbroken(pieces: Sequence[Edge]) -> list[Edge]:
    """Pieces too long for any glyph stroke: rulings for certain, even before bridging."""
    return [e for e in pieces if e.hi - e.lo >= LONG_PT]


class Ruling(NamedTuple):
    """A candidate ruling in points: `pos` across, `lo`..`hi` along, and the longest unbroken
    piece it was bridged from (what tells a broken ruling from a row of glyph strokes)."""

    horizontal: bool
    pos: float
    lo: float
    hi: float
    longest: float

    @property
    def length(self) -> float:
        return self.hi - self.lo


def bridge(pieces: Sequence[Edge], across: Sequence[Edge] = (), align: float = ALIGN_PT,
           gap: float = BRIDGE_PT) -> list[Ruling]:
    """Collinear pieces (centres within `align`) closer than `gap` along the line become one
    ruling: a line broken by a faint scan, a fold or a dropout. Pieces are swept along the line;
    each joins the nearest open ruling it lines up with. Where a perpendicular line (`across`)
    passes through the gap, a piece that could be a glyph stroke is not joined: the ruling ended
    there on a T-junction, and the stroke is text in the next cell."""
    buckets: dict[int, list[list[float]]] = defaultdict(list)  # pos bucket → [pos, weight, lo, hi, longest, last]
    chains: list[list[float]] = []
    for p in sorted(pieces, key=lambda e: e.lo):
        key = int(p.pos // align)
        size = p.hi - p.lo
        near = [c for k in (key - 1, key, key + 1) for c in buckets[k]
                if abs(c[0] - p.pos) <= align and p.lo <= c[3] + gap
                and (min(size, c[5]) >= GLYPH_PT or not _crossed(across, p.pos, c[3], p.lo))]
        if not near:
            chain = [p.pos, size, p.lo, p.hi, size, size]
            buckets[key].append(chain)
            chains.append(chain)
            continue
        c = min(near, key=lambda c: abs(c[0] - p.pos))
        c[0] = (c[0] * c[1] + p.pos * size) / (c[1] + size)
        c[1] += size
        c[3] = max(c[3], p.hi)
        c[4] = max(c[4], size)
        c[5] = size
    horizontal = bool(pieces) and pieces[0].horizontal
    return [Ruling(horizontal, c[0], c[2], c[3], c[4]) for c in chains]


def _crossed(across: Sequence[Edge], pos: float, lo: float, hi: float) -> bool:
    """Whether one of `across` passes through the stretch lo..hi of the line at `pos`."""
    return any(lo - MEET_PT <= a.pos <= hi + MEET_PT and a.lo <= pos <= a.hi for a in across)


def keep_rulings(hs: Sequence[Ruling], vs: Sequence[Ruling], long: float = LONG_PT,
                 meet: float = MEET_PT, reach: float = REACH_PT) -> tuple[list[Ruling], list[Ruling]]:
    """Rulings with an unbroken piece longer than any glyph stroke stay. Then, until nothing
    changes, so does the stretch of any other between the first and the last perpendicular
    ruling that stays and that it reaches, when there are two: reaching means within `meet` of
    its end for a short one (a glyph stroke in a cell stops a padding short of the borders),
    within `reach` for a long one bridged from short pieces (a dropout may sit at a corner).
    A row of glyph strokes bridged into a line spans no two rulings."""
    kept_h = [e for e in hs if e.longest >= long]
    kept_v = [e for e in vs if e.longest >= long]
    rest_h = [e for e in hs if e.longest < long]
    rest_v = [e for e in vs if e.longest < long]

    def spans(rest: list[Ruling], across: Sequence[Ruling]) -> tuple[list[Ruling], list[Ruling]]:
        found, left = [], []
        for e in rest:
            stretch = _stretch(e, across, meet)
            (found if stretch is not None else left).append(stretch or e)
        return found, left

    while True:
        more_v, rest_v = spans(rest_v, kept_h)
        more_h, rest_h = spans(rest_h, kept_v + more_v)
        if not more_v and not more_h:
            return kept_h, kept_v
        kept_v += more_v
        kept_h += more_h


def _stretch(edge: Ruling, across: Sequence[Ruling], tol: float, dangle: float = BRIDGE_PT) -> Optional[Ruling]:
    """`edge` cut to its first and last crossing with `across` (rulings it runs into within `tol`
    of its ends, or through), or None when it meets fewer than two or runs on past them by more
    than `dangle` (a border may run on into a cell where the rest of it broke away; a stroke or
    a seal's rim crossing a row runs on further)."""
    hits = [a.pos for a in across
            if edge.lo - tol <= a.pos <= edge.hi + tol and a.lo - tol <= edge.pos <= a.hi + tol]
    if len(hits) < 2:
        return None
    lo, hi = min(hits), max(hits)
    if lo - edge.lo > dangle or edge.hi - hi > dangle:
        return None
    return edge._replace(lo=lo, hi=hi)


def extend_ends(edges: Sequence[Ruling], across: Sequence[Ruling], reach: float = BRIDGE_PT,
                meet: float = MEET_PT) -> list[Ruling]:
    """An end that stops on nothing is carried onto the nearest perpendicular ruling within
    `reach` that it points at: a dropout at a corner is bridged like one along the line (the
    piece beyond it was too short to survive), on both rulings of the corner when both are
    broken there. An end already on a ruling stays there."""
    out: list[Ruling] = []
    for e in edges:
        lo, hi = e.lo, e.hi
        # a perpendicular ruling with a dropout of its own at this corner still counts
        crossing = [a.pos for a in across if a.lo - reach <= e.pos <= a.hi + reach]
        if not any(abs(p - lo) <= meet for p in crossing):
            lo = min((p for p in crossing if lo - reach <= p < lo), key=lambda p: lo - p, default=lo)
        if not any(abs(p - hi) <= meet for p in crossing):
            hi = min((p for p in crossing if hi < p <= hi + reach), key=lambda p: p - hi, default=hi)
        out.append(e._replace(lo=lo, hi=hi))
    return out


def fill_missing(rulings: Sequence[Ruling], across: Sequence[Ruling], ink: np.ndarray,
                 pt_per_px: float) -> list[Ruling]:
    """Rows and columns of a table line up, so a border missing from one cell lies on the line
    of a ruling found elsewhere. Each span of such a line between two consecutive perpendicular
    rulings that no ruling covers is read from the ink: a border broken into pieces too short
    to be found is mostly there and reaches both rulings; a glyph stroke stops short of them."""
    if not rulings or not across:
        return list(rulings)
    plane = ink.T if rulings[0].horizontal else ink  # rows of `plane` run along the line
    added: list[Ruling] = []
    for pos in _distinct(r.pos for r in rulings):
        stops = sorted({a.pos for a in across if a.lo - MEET_PT <= pos <= a.hi + MEET_PT})
        on_line = [r for r in rulings if abs(r.pos - pos) <= ALIGN_PT]
        for a0, a1 in zip(stops, stops[1:]):
            if any(r.lo <= a0 + MEET_PT and r.hi >= a1 - MEET_PT for r in on_line):
                continue
            if _broken_border(plane, pos, a0, a1, pt_per_px):
                added.append(Ruling(rulings[0].horizontal, pos, a0, a1, 0.0))
    return [*rulings, *added]


def _distinct(values, tol: float = ALIGN_PT) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _broken_border(plane: np.ndarray, pos: float, a0: float, a1: float, pt_per_px: float) -> bool:
    c = int(round(pos / pt_per_px))
    lo, hi = int(round(a0 / pt_per_px)), int(round(a1 / pt_per_px))
    near, far = (max(1, int(round(v / pt_per_px))) for v in END_PT)
    if hi - lo <= 2 * far + 2 or not 2 <= c < plane.shape[1] - 2:
        return False
    dark = plane[lo:hi + 1, c - 2:c + 3].any(axis=1)  # ±2 px: the line may wander by a pixel
    ends = dark[near:far + 1].all() and dark[len(dark) - 1 - far:len(dark) - near].all()
    return bool(ends and dark[far:len(dark) - far].mean() >= FILL_COVER)


def _segment(e: Ruling) -> Segment:
    if e.horizontal:
        return Segment(e.lo, e.pos, e.hi, e.pos)
    return Segment(e.pos, e.lo, e.pos, e.hi)


def _odd(v: float) -> int:
    n = max(3, int(round(v)))
    return n if n % 2 else n + 1
