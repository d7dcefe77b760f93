"""Dust on a scanned page: specks of ink too small to be part of any printed glyph.

The recogniser reads a speck beside a word as punctuation ("5 .", ".37", "20\"", "部门:"), which
turns a weight or an amount into text the parser cannot use, and a lone speck in a blank cell
costs a recogniser call. A speck is told by its size and where it lies, never by what it reads as:

- a blob of at most SPECK_PX pixels (at 200 dpi) is dust wherever it is: on the rendered
  sample forms no glyph leaves a separate piece that small (their smallest pieces, the ends of
  thin strokes, are 3 px), while a dusty scan has thousands of 1-2 px specks a page;
- a blob of at most DUST_PX pixels is dust unless other ink lies within NEAR_PT points: a full
  stop or decimal point is as small as that but sits beside its glyphs, while a speck in the
  blank of a cell has nothing next to it. Larger blobs are always kept: a colon's dots, "、",
  "。" and a quote mark are larger;
- a ruling (`rules`) counts as ink beside a blob: a small blob against a ruling is most often
  the part of a glyph the ruling runs through ("（50分）" printed across a cell's border), which
  the ruling's removal cut off from the rest. A tiny one against a ruling is still dust (dusty
  scans have many such, and no glyph's sliver is that small);
- a thin blob lying wholly within RESIDUE_PT of a ruling and along it is what is left of
  that ruling: its blurred edge, doubled where a seal was taken off over it, or a step of a
  slightly skewed line. A glyph's part that a ruling cuts stands across the ruling, not along it.

Sizes scale with the dpi (areas with its square). Pure function on a boolean ink mask.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

BASE_DPI = 200.0
SPECK_PX = 2    # px at BASE_DPI: dust wherever it lies
DUST_PX = 5     # px at BASE_DPI: dust when nothing else is near it
NEAR_PT = 1.8   # points (5 px at 200 dpi): how close other ink must be to keep a small blob
RESIDUE_PT = 1.5  # points (4 px at 200 dpi): how near a ruling a thin blob along it is left of it


def dust_mask(ink: np.ndarray, dpi: float, rules: Optional[np.ndarray] = None,
              along: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The pixels of `ink` (boolean, True = ink) that belong to dust, as a boolean mask; `rules`
    (boolean, same shape) marks the rulings taken out of the ink, if any, and `along` the
    horizontal and the vertical ones apart (for the residue of rulings)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(ink.shape, bool)
    scale = (dpi / BASE_DPI) ** 2
    area = stats[:, cv2.CC_STAT_AREA]
    small = area <= DUST_PX * scale
    small[0] = False  # the background
    tiny = area <= SPECK_PX * scale
    reach = max(1, int(round(NEAR_PT * dpi / 72.0)))
    # per-pixel work only where a small blob lies: a page holds millions of pixels, a few
    # hundred small blobs
    small_px = np.take(small, labels)
    near = cv2.dilate((ink & ~small_px).view(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    neighboured = np.bincount(labels[near & small_px], minlength=n) > 0
    if rules is not None:
        against = cv2.dilate(rules.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
        neighboured |= np.bincount(labels[against & small_px], minlength=n) > 0
    dust = tiny | (small & ~neighboured)
    if along is not None:
        dust |= _residue(labels, stats, ink, along, dpi)
    dust[0] = False
    return np.take(dust, labels)


def _residue(labels: np.ndarray, stats: np.ndarray, ink: np.ndarray, along: tuple[np.ndarray, np.ndarray],
             dpi: float) -> np.ndarray:
    """Per blob: whether it is a thin blob wholly within RESIDUE_PT of a ruling, along it."""
    reach = max(1, int(round(RESIDUE_PT * dpi / 72.0)))
    area = stats[:, cv2.CC_STAT_AREA]
    out = np.zeros(len(stats), bool)
    for rules, kernel, thin, long in ((along[0], (1, 2 * reach + 1), cv2.CC_STAT_HEIGHT, cv2.CC_STAT_WIDTH),
                                      (along[1], (2 * reach + 1, 1), cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT)):
        band = cv2.dilate(rules.view(np.uint8), np.ones(kernel[::-1], np.uint8)) > 0
        inside = np.bincount(labels[band & ink], minlength=len(stats))
        out |= (inside == area) & (stats[:, thin] <= reach) & (stats[:, long] >= 2 * stats[:, thin])
    return out
