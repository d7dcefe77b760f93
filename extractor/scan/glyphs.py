"""Symbols told by their shape, where the recogniser fails on them: pure functions on ink masks.

PP-OCRv4 reads words well but a symbol standing alone badly: a cell holding only "—" comes
back as 一, | or 1, a lone "≥" as "W" or "N", and at body-text size the bar of "≥" is often
lost inside "≥90%". These symbols are made of straight bars, so their shape says what they are:

- one solid thin bar                  → "—" (or "-" when short): blank amounts are printed so;
- two equal thin bars close together  → "="  (二 has a short upper bar and a wide gap); on a
  blurred or coarse scan the two bars run into one solid block of ink, and then the grey image
  tells "=" by the paler row between its two darker ones, across the block's whole width;
- a chevron over a bar                → "≥" or "≤", by the side the chevron points to.

Masks are boolean arrays cropped to the ink of one text line, grey images (where given) the same
pixels of the page; `line_h` is the page's text-line height in pixels, which sets what "thin"
and "close" mean.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

THIN = 0.3         # a bar is at most this many line heights thick
SOLID = 0.6        # ... and its box at least this full of ink
EQ_GAP = 0.4       # the two bars of "=" are at most this far apart (line heights)
EQ_WIDTH = 0.8     # ... and the shorter at least this share of the longer
BAR_SHARE = 0.7    # a row inked across this share of a glyph's width is a bar
LONE_WIDTH = 1.5   # a single symbol is at most this many line heights wide
BARLESS_LETTERS = frozenset("WNMVwnmv")  # none has a bar across its foot
RUN_HEIGHT = 0.6   # "=" with its bars run together is at most this many line heights tall ...
RUN_WIDTH = (0.5, 1.2)  # ... and this many wide (lowercase letters are narrower)
WAIST = 5          # grey levels by which the gap between run-together bars stays paler than they,
WAIST_COLUMN = 0.25  # ... and in every column at least this share of that (a stroke down or across
                     # the middle darkens some column's gap: o, e, z, #)
BAR_SPAN = 0.7     # each bar of such "=" is inked across this share of the block (≠'s slash is not)


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Half-open runs of True in a 1-d array. Called ~1 000 times a page on short arrays, where
    numpy's per-call cost is what counts: one comparison, one nonzero, the ends in Python."""
    f = np.asarray(flags, bool)
    if f.size == 0:
        return []
    edges = (np.flatnonzero(f[1:] != f[:-1]) + 1).tolist()  # where a run starts or ends
    if f[0]:
        edges.insert(0, 0)
    if f[-1]:
        edges.append(f.size)
    return list(zip(edges[::2], edges[1::2]))


def _tight(mask: np.ndarray) -> np.ndarray:
    return mask[_ink_box(mask)]


def _ink_box(mask: np.ndarray) -> tuple[slice, slice]:
    rows, cols = runs(mask.any(axis=1)), runs(mask.any(axis=0))
    if not rows:
        return slice(0, 0), slice(0, 0)
    return slice(rows[0][0], rows[-1][1]), slice(cols[0][0], cols[-1][1])


def _is_bar(mask: np.ndarray, line_h: float) -> bool:
    h, w = mask.shape
    return 0 < h <= max(2.0, THIN * line_h) and w >= 0.3 * line_h and mask.sum() >= SOLID * h * w


def is_remnant(mask: np.ndarray, line_h: float) -> bool:
    """Whether a line's ink is a bare stroke no text draws: a thin bar wider than two lone symbols
    (a ruling's piece the grid missed, a page edge, a blank fill-in line) or a thin stroke taller
    than two lines. The recogniser reads such a crop as nothing, at a full crop's cost."""
    h, w = mask.shape
    return (h <= max(2.0, THIN * line_h) and w > 2 * LONE_WIDTH * line_h) or \
        (w <= max(2.0, THIN * line_h) and h > 2 * line_h)


def symbol(mask: np.ndarray, line_h: float, gray: Optional[np.ndarray] = None) -> Optional[str]:
    """The symbol a whole line's ink draws ("—", "-", "=", "≥", "≤"), or None for anything else;
    `gray`, the same pixels of the page, tells "=" whose bars ran together."""
    box = _ink_box(mask)
    m = mask[box]
    h, w = m.shape
    if h == 0 or w > LONE_WIDTH * line_h or len(runs(m.any(axis=0))) != 1:
        return None
    bands = runs(m.any(axis=1))
    if len(bands) == 1 and _is_bar(m, line_h):
        return "—" if w >= 0.7 * line_h else "-"
    if len(bands) == 1 and gray is not None and _run_together_bars(m, gray[box], line_h):
        return "="
    if len(bands) == 2:
        top, bottom = (_tight(m[a:b]) for a, b in bands)
        gap = bands[1][0] - bands[0][1]
        widths = sorted((top.shape[1], bottom.shape[1]))
        if _is_bar(top, line_h) and _is_bar(bottom, line_h) and gap <= EQ_GAP * line_h \
                and widths[0] >= EQ_WIDTH * widths[1]:
            return "="
    return _comparator(m, line_h)


def _run_together_bars(m: np.ndarray, gray: np.ndarray, line_h: float) -> bool:
    """Whether a solid block of ink is two bars that blur ran together: the grey image still has
    a darkest row in its upper half and one in its lower half, and the palest row between them
    is paler than both in every column of the block's inner width. A stroke down or across the
    middle (o, e, a, z; digits and CJK glyphs are taller anyway) darkens that row somewhere.
    On the scan bench's hard level (150 dpi, blur) 61 of the 65 "=" of the targets tables are
    such blocks told so, which the recogniser had read as "#", '"', "3" or "≥" about one in four
    times; the other four lie under seal residue, too faint to tell, and go to the recogniser."""
    h, w = m.shape
    if not (THIN * line_h < h <= RUN_HEIGHT * line_h and RUN_WIDTH[0] * line_h <= w <= RUN_WIDTH[1] * line_h) \
            or h < 4 or m.sum() < SOLID * h * w or min(m[1].sum(), m[-2].sum()) < BAR_SPAN * w:
        return False
    inner = gray[:, w // 10: w - w // 10].astype(float)
    half = h // 2
    profile = inner.mean(axis=1)
    top, bottom = int(np.argmin(profile[:half])), half + int(np.argmin(profile[half:]))
    if bottom - top < 2:
        return False
    gap = top + int(np.argmax(profile[top:bottom + 1]))  # the palest row between: the gap
    columns = inner[gap] - np.maximum(inner[top], inner[bottom])
    overall = profile[gap] - max(profile[top], profile[bottom])
    return bool(overall >= WAIST and columns.min() >= WAIST_COLUMN * overall)


def _comparator(m: np.ndarray, line_h: float) -> Optional[str]:
    """≥ or ≤: a bar in the lower third, and above it a chevron whose rows' ink drifts right
    going down its upper half (pointing right, ≥) or left (≤). The chevron must stand clear of
    the bar: where blur joins them, digits and CJK glyphs with a foot bar (2, 5, 批, 差) pass
    every shape test tried, so such a glyph is left to the recogniser (and `fix_comparator`)."""
    if not has_bar_under(m):
        return None
    bands = runs(m.any(axis=1))
    if len(bands) < 2:
        return None
    chevron = m[bands[0][0]:bands[0][1]]
    h, w = chevron.shape
    if h < 0.3 * line_h or not chevron.any(axis=0)[: max(1, w // 4)].any() or w < 0.3 * line_h:
        return None
    xs = np.arange(w)
    centres = [float((row * xs).sum() / row.sum()) for row in chevron[: max(2, h // 2)] if row.any()]
    if len(centres) < 2:
        return None
    drift = centres[-1] - centres[0]
    if abs(drift) < 0.2 * w:
        return None
    return "≥" if drift > 0 else "≤"


def has_bar_under(mask: np.ndarray) -> bool:
    """Whether the first glyph of `mask` (its first run of inked columns) has a row in its
    lower third inked across most of its width: the bar of ≥/≤, which a plain >/< lacks
    (its lower stroke only touches the bottom at one end)."""
    cols = runs(mask.any(axis=0))
    if not cols:
        return False
    a, b = cols[0]
    glyph = _tight(mask[:, a:b])
    h = glyph.shape[0]
    lower = glyph[h - max(1, h // 3):]
    return bool(lower.size) and int(lower.sum(axis=1).max()) >= BAR_SHARE * (b - a)


def fix_comparator(text: str, mask: np.ndarray) -> str:
    """A line read as starting with ">"/"<" whose first glyph has the bar is "≥"/"≤"; so is a
    lone glyph read as a letter with no bar of its own (the recogniser's usual reading of a
    lone "≥": W, N, M), when its ink has the bar."""
    if text.strip() in BARLESS_LETTERS and len(runs(mask.any(axis=0))) == 1 and has_bar_under(mask):
        return "≥"
    if text[:1] in (">", "＞") and has_bar_under(mask):
        return "≥" + text[1:]
    if text[:1] in ("<", "＜") and has_bar_under(mask):
        return "≤" + text[1:]
    return text
