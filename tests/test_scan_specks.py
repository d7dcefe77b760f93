"""Dust on a scanned page (extractor/scan/specks.py): specks go, small marks beside glyphs stay."""
from __future__ import annotations

import numpy as np

from extractor.scan.specks import dust_mask


def _page() -> np.ndarray:
    ink = np.zeros((60, 120), bool)
    ink[10:30, 10:14] = True        # a stroke of a digit
    ink[27:30, 17:20] = True        # a decimal point (9 px) 3 px from it
    ink[10:30, 23:27] = True        # the next digit
    ink[28, 29] = True              # a 1 px speck right beside it: dust wherever it is
    ink[45:47, 60:62] = True        # a 4 px speck alone in the blank: dust
    ink[45:48, 90:93] = True        # a 9 px mark alone: too large to call dust (a colon's dot)
    return ink


def test_specks_go_and_marks_stay():
    ink = _page()
    dust = dust_mask(ink, 200)
    assert dust[28, 29] and dust[45:47, 60:62].all()
    assert not dust[27:30, 17:20].any() and not dust[45:48, 90:93].any()
    assert not (dust & ~ink).any() and dust.sum() == 5


def test_sizes_follow_the_dpi():
    # at 400 dpi the same physical speck covers four times the pixels, and is still dust
    big = np.kron(_page(), np.ones((2, 2), bool))
    dust = dust_mask(big, 400)
    assert dust[90:94, 120:124].all() and dust.sum() == 20
    assert not dust_mask(big, 100).any()  # read as a 100 dpi page, every blob is too large for dust


def test_a_blank_page_has_no_dust():
    assert not dust_mask(np.zeros((20, 20), bool), 200).any()


def test_a_blob_against_a_ruling_is_a_cut_glyph_not_dust():
    ink = _page()
    rules = np.zeros_like(ink)
    rules[40:52, 62] = True  # a ruling (as taken out of the ink) just right of the lone 4 px blob
    ink[50, 61] = True       # and a 1 px speck against it
    dust = dust_mask(ink, 200, rules)
    assert not dust[45:47, 60:62].any()
    assert dust[50, 61] and dust[28, 29]  # tiny specks are dust, against a ruling or not
