"""Symbols told by their shape, where the recogniser fails on them: pure functions on ink masks.

PP-OCRv4 reads words well but a symbol standing alone badly: a cell holding only "—" comes
back as 一, | or 1, a lone "≥" as "W" or "N", and at body-text size the bar of "≥" is often
lost inside "≥90%". These symbols are made of straight bars, so their shape says what they are:

- one solid thin bar                  → "—" (or "-" when short): blank amounts are printed so;
- two equal thin bars close together  → "="  (二 has a short upper bar and a wide gap);
- a chevron over a bar                → "≥" or "≤", by the side the chevron points to.

Masks are boolean arrays cropped to the ink of one text line; `line_h` is the page's text-line
height in pixels, which sets what "thin" and "close" mean.
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
    rows, cols = runs(mask.any(axis=1)), runs(mask.any(axis=0))
    if not rows:
        return mask[:0, :0]
    return mask[rows[0][0]:rows[-1][1], cols[0][0]:cols[-1][1]]


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


def symbol(mask: np.ndarray, line_h: float) -> Optional[str]:
    """The symbol a whole line's ink draws ("—", "-", "=", "≥", "≤"), or None for anything else."""
    m = _tight(mask)
    h, w = m.shape
    if h == 0 or w > LONE_WIDTH * line_h or len(runs(m.any(axis=0))) != 1:
        return None
    bands = runs(m.any(axis=1))
    if len(bands) == 1 and _is_bar(m, line_h):
        return "—" if w >= 0.7 * line_h else "-"
    if len(bands) == 2:
        top, bottom = (_tight(m[a:b]) for a, b in bands)
        gap = bands[1][0] - bands[0][1]
        widths = sorted((top.shape[1], bottom.shape[1]))
        if _is_bar(top, line_h) and _is_bar(bottom, line_h) and gap <= EQ_GAP * line_h \
                and widths[0] >= EQ_WIDTH * widths[1]:
            return "="
    return _comparator(m, line_h)


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
