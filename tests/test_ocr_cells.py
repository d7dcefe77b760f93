"""Cutting text lines out of cells, and symbols told by shape: pure image geometry, no model."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from extractor.model import Cell, Grid, Segment
from extractor.scan import glyphs, ocr_cells
from extractor.scan.ink import PageInk

H = 20  # line height used by the synthetic images, px


def page(h: int = 200, w: int = 400) -> np.ndarray:
    return np.full((h, w), 255, np.uint8)


def glyph(img: np.ndarray, x: int, y: int, w: int = H, h: int = H) -> None:
    """A stand-in for a glyph, inked exactly over x..x+w, y..y+h: a box with a bar across."""
    for rows, cols in ((slice(y, y + h), slice(x, x + 2)), (slice(y, y + h), slice(x + w - 2, x + w)),
                       (slice(y, y + 2), slice(x, x + w)), (slice(y + h - 2, y + h), slice(x, x + w)),
                       (slice(y + h // 2 - 1, y + h // 2 + 1), slice(x, x + w))):
        img[rows, cols] = 0


def ink(img: np.ndarray) -> np.ndarray:
    return img < 128


def test_split_strokes_make_one_line_and_two_lines_stay_two():
    # 二: two strokes with a gap inside one line height; then a real second line below
    runs = [(10, 14), (22, 26), (40, 60)]
    assert ocr_cells.merge_runs(runs, H) == [(10, 26), (40, 60)]


def test_cells_give_one_cut_per_line_in_reading_order():
    img = page()
    for i in range(4):
        glyph(img, 20 + i * 24, 20)
    glyph(img, 20, 50)
    cv2.line(img, (30, 110), (52, 110), 0, 2)  # a dash in a second box
    cuts = ocr_cells.cut_lines(ink(img), [(10, 10, 200, 90), (10, 95, 200, 130)], H)
    assert [(c.owner, c.symbol) for c in cuts] == [(0, None), (0, None), (1, "—")]
    assert cuts[0].box == (20, 20, 20 + 3 * 24 + H, 20 + H)
    assert cuts[0].pieces == [(20, 20 + 3 * 24 + H)]
    assert cuts[2].pieces == []  # a symbol never goes to the recogniser


def test_dust_is_not_a_line():
    img = page()
    img[50, 50] = 0
    img[80:82, 60:62] = 0
    assert ocr_cells.cut_lines(ink(img), [(0, 0, 400, 200)], H) == []


def test_long_lines_are_cut_between_glyphs_into_model_sized_pieces():
    img = page(60, 1200)
    xs = list(range(10, 1150, 23))
    for x in xs:
        glyph(img, x, 20)
    cut, = ocr_cells.cut_lines(ink(img), [(0, 0, 1200, 60)], H)
    limit = ocr_cells.MAX_RATIO * ocr_cells._crop_height(cut, H)
    assert len(cut.pieces) > 1
    assert cut.pieces[0][0] == xs[0] and cut.pieces[-1][1] == xs[-1] + H
    starts = set(xs)
    for left, right in cut.pieces:
        assert right - left <= limit
        assert left in starts  # every piece starts on a glyph, none inside one


def test_a_glyph_made_of_strokes_is_not_cut_apart():
    # pairs of thin strokes 6 px apart (a radical and its body) must stay in one piece
    cols = [(x, x + 4) for start in range(0, 2000, 24) for x in (start, start + 10)]
    boxes = ocr_cells._glyph_boxes(cols, H)
    assert all(b - a <= ocr_cells.GLYPH_WIDTH * H for a, b in boxes)
    assert len(boxes) == len(cols) // 2


def test_crops_hold_only_the_pieces_own_ink():
    img = page(60, 300)
    glyph(img, 20, 20)
    glyph(img, 44, 20)
    cut = ocr_cells.LineCut(0, (20, 20, 44 + H, 20 + H), [(20, 20 + H), (44, 44 + H)])
    first, second = ocr_cells.crops(img, [cut], H)
    pad = round(ocr_cells.PAD_X * H)
    assert first.shape == (round(ocr_cells._crop_height(cut, H)), H + 2 * pad)
    assert (first[:, :pad] == 255).all() and (first[:, -pad:] == 255).all()  # no sliver of the next glyph
    assert (second < 128).sum() == (img[20:40, 44:64] < 128).sum()


def test_overflow_from_the_next_cell_is_dropped_but_a_glyph_at_the_border_stays():
    img = page(60, 300)
    for x in (110, 134):
        glyph(img, x, 20)
    # the cell spans x 100..200; a glyph of the left neighbour overflows 3 px into it
    glyph(img, 83, 20)
    cols = ocr_cells.row_runs(ink(img)[20:40, 100:200], axis=0)
    kept = ocr_cells._trim_edges(cols, ink(img), (100, 10, 200, 50), (20, 40), H)
    assert kept[0][0] == 10 and len(kept) == len(cols) - 1
    # the same sliver with nothing beyond the border is a glyph of this cell
    img[:, 80:100] = 255
    cols = ocr_cells.row_runs(ink(img)[20:40, 100:200], axis=0)
    assert ocr_cells._trim_edges(cols, ink(img), (100, 10, 200, 50), (20, 40), H) == cols


def test_rulings_are_taken_out_of_the_ink_and_the_gray():
    img = page()
    cv2.line(img, (0, 100), (399, 100), 0, 2)
    cv2.line(img, (200, 0), (200, 199), 0, 2)
    glyph(img, 20, 20)
    pi = PageInk(img, 200)
    assert not pi.text[95:106, :].any() and not pi.text[:, 195:206].any()
    assert (pi.gray[100, :] == 255).all()
    assert pi.text[20:40, 20:40].any()


def test_a_broken_ruling_the_grid_found_is_taken_out_with_its_residue():
    # a seal taken off over a ruling, or blur, leaves it in pieces too short to be told a ruling
    # by shape; the grid bridged them, so its segment says where the ruling runs
    img = page()
    for x in range(0, 400, 40):
        img[99:102, x:x + 28] = 0           # the ruling in 28 px pieces
        img[104:106, x + 5:x + 20] = 0      # and its doubled edge, 4 px below it
    glyph(img, 20, 60)
    glyph(img, 200, 92)                     # a glyph printed across the ruling
    bare = PageInk(img, 200)
    assert bare.text[98:107, 100:180].any()  # without the segment: pieces and residue read as ink
    pi = PageInk(img, 200, [Segment(0, 100 * 72 / 200, 399 * 72 / 200, 100 * 72 / 200)])
    assert not pi.text[95:108, 100:180].any() and (pi.gray[100, :180] == 255).all()
    assert pi.text[60:80, 20:40].any()
    assert pi.text[92:98, 200:220].any() and pi.text[108:112, 200:220].any()  # the glyph's parts stay


def test_a_bare_stroke_is_no_line_of_text():
    img = page()
    img[30:32, 20:300] = 0      # a ruling's piece the grid missed: thin, far wider than a symbol
    img[60:150, 350:352] = 0    # a thin stroke taller than two lines
    glyph(img, 20, 100)
    img[105:107, 60:80] = 0     # a dash beside it is text
    cuts = ocr_cells.cut_lines(ink(img), [(0, 0, 400, 200)], H, split_gap=1.5)
    assert [c.box[1] for c in cuts] == [100]
    assert not glyphs.is_remnant(ink(img)[100:120, 20:80], H)


def test_text_outside_the_tables_is_looked_for_near_them_and_off_the_sheet_edge():
    pi = PageInk(page(720, 576), 72)  # an 8 × 10 inch page at 72 dpi: pixels are points
    assert ocr_cells._text_area(pi, []) == (8.5, 8.5, 576 - 8.5, 720 - 8.5)
    assert ocr_cells._text_area(pi, [(100, 200, 400, 500), (90, 520, 380, 600)]) == (54, 8.5, 436, 720 - 8.5)
    assert ocr_cells._text_area(pi, [(20, 200, 560, 500)]) == (8.5, 8.5, 576 - 8.5, 720 - 8.5)


def test_a_crop_on_grey_paper_is_put_on_white():
    piece = np.full((20, 30), 200, np.uint8)
    piece[5:15, 10:14] = 40
    white = ocr_cells._on_white(piece)
    assert white[0, 0] == 255 and white[8, 11] < 60  # paper as white as the margins, ink still dark
    assert np.array_equal(ocr_cells._on_white(np.full((20, 30), 255, np.uint8)), np.full((20, 30), 255, np.uint8))


def test_line_height_is_the_typical_text_line():
    img = page()
    for y in (10, 40, 70, 100):
        glyph(img, 20, y, 60, 18)
    cv2.line(img, (20, 150), (60, 150), 0, 2)  # a dash must not pull the estimate down
    assert ocr_cells.line_height(ink(img), [(0, 0, 400, 200)], 200) == 18
    assert ocr_cells.line_height(ink(page()), [(0, 0, 400, 200)], 144) == ocr_cells.DEFAULT_LINE_PT * 2


def test_fix_cells_keeps_the_raw_text():
    cells = [Cell(0, 0, "l2"), Cell(0, 1, "项目名称"), Cell(0, 2, "一")]
    grid = Grid(page=1, cells=cells, n_rows=1, n_cols=3)
    changed = ocr_cells.fix_cells([grid])
    assert [c.text for c in cells] == ["12", "项目名称", "—"]
    assert [(c.col, raw) for c, raw in changed] == [(0, "l2"), (2, "一")]


# ---- symbols ------------------------------------------------------------------------------------

def draw(kind: str) -> np.ndarray:
    img = page(60, 60)
    if kind in ("—", "-"):
        cv2.line(img, (10, 30), (10 + (18 if kind == "—" else 7), 30), 0, 2)
    elif kind == "=":
        cv2.line(img, (10, 26), (28, 26), 0, 2)
        cv2.line(img, (10, 33), (28, 33), 0, 2)
    elif kind == "二":  # short upper bar, wide gap
        cv2.line(img, (14, 20), (26, 20), 0, 2)
        cv2.line(img, (10, 38), (30, 38), 0, 2)
    elif kind in ("≥", ">", "≤", "<"):
        tip, back = (28, 10) if kind in ("≥", ">") else (10, 28)
        cv2.line(img, (back, 14), (tip, 22), 0, 2)
        cv2.line(img, (tip, 22), (back, 30), 0, 2)
        if kind in ("≥", "≤"):
            cv2.line(img, (10, 36), (28, 36), 0, 2)
    return img < 128


@pytest.mark.parametrize("kind, expected", [
    ("—", "—"), ("-", "-"), ("=", "="), ("≥", "≥"), ("≤", "≤"), (">", None), ("<", None), ("二", None),
])
def test_symbols_told_by_shape(kind, expected):
    assert glyphs.symbol(draw(kind), H) == expected


def test_a_lost_bar_is_put_back_only_where_it_is_drawn():
    assert glyphs.fix_comparator(">90%", draw("≥")) == "≥90%"
    assert glyphs.fix_comparator("<5", draw("≤")) == "≤5"
    assert glyphs.fix_comparator(">90%", draw(">")) == ">90%"
    assert glyphs.fix_comparator("90%", draw("≥")) == "90%"


def _touching_ge() -> np.ndarray:
    """A "≥" whose chevron tip runs into its bar, as blur and skew leave it on a scan."""
    img = page(60, 60)
    cv2.line(img, (10, 14), (28, 22), 0, 2)
    cv2.line(img, (28, 22), (10, 30), 0, 2)
    cv2.line(img, (10, 32), (28, 32), 0, 2)
    return img < 128


def _two(font: int, thickness: int) -> np.ndarray:
    img = page(60, 60)
    cv2.putText(img, "2", (10, 38), font, 1.6 if font == cv2.FONT_HERSHEY_PLAIN else 0.9, 0, thickness)
    return img < 128


def test_a_glyph_whose_chevron_runs_into_its_bar_is_left_to_the_recogniser():
    # blur joins a ≥'s chevron to its bar, and then a 2 (which has the bar too) looks alike
    assert glyphs.symbol(_touching_ge(), H) is None
    for font in (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN):
        two = _two(font, 2)
        assert glyphs.has_bar_under(two) and glyphs.symbol(two, H) is None


def _blurred(img: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """A drawing as a blurred scan leaves it: its ink mask at the pipeline's threshold, and its grey."""
    from extractor.scan.cleanup import ink_mask

    gray = cv2.GaussianBlur(img, (0, 0), sigma)
    return ink_mask(gray) > 0, gray


def _latin(text: str, size: int) -> np.ndarray:
    """`text` in the samples' Latin font (DejaVu Sans), which prints their "=", "≠", "≥"."""
    from PIL import Image, ImageDraw, ImageFont

    from samples.pdfwriter import DEFAULT_LATIN_FONT_PATH

    img = Image.new("L", (60, 60), 255)
    ImageDraw.Draw(img).text((15, 12), text, font=ImageFont.truetype(DEFAULT_LATIN_FONT_PATH, size), fill=30)
    return np.array(img)


def test_equals_whose_bars_blur_ran_together_is_told_by_its_shades():
    img = page(60, 60)
    img[25:28, 10:24] = 0  # two 3-px bars 2 px apart, as a 150 dpi scan prints "="
    img[30:33, 10:24] = 0
    for drawing in (img, _latin("=", 22)):
        for sigma in (1.4, 1.8):
            mask, gray = _blurred(drawing, sigma)
            assert len(glyphs.runs(mask.any(axis=1))) == 1  # one block of ink: the mask cannot tell
            assert glyphs.symbol(mask, H) is None
            assert glyphs.symbol(mask, H, gray) == "="


def test_letters_other_operators_and_a_solid_block_are_no_run_together_equals():
    block = page(60, 60)
    block[25:34, 10:24] = 0
    drawings = [block] + [_latin(ch, size) for ch in "oeaszcxnmu≠≥≤#" for size in (14, 18, 22, 26)]
    for drawing in drawings:
        for sigma in (0.8, 1.0, 1.4, 1.8):
            mask, gray = _blurred(drawing, sigma)
            assert glyphs.symbol(mask, H, gray) != "="


def test_the_grey_of_a_lone_symbol_reaches_it_from_the_page():
    img = page(60, 200)
    img[25:28, 20:34] = 0  # run-together "=" in the first cell, two letters' worth of block in the second
    img[30:33, 20:34] = 0
    img[25:34, 120:134] = 0
    mask, gray = _blurred(img, 1.6)
    cuts = ocr_cells.cut_lines(mask, [(0, 0, 100, 60), (100, 0, 200, 60)], H, gray=gray)
    assert [c.symbol for c in cuts] == ["=", None]
    assert [c.symbol for c in ocr_cells.cut_lines(mask, [(0, 0, 100, 60), (100, 0, 200, 60)], H)] == [None, None]


def test_a_lone_comparator_read_as_a_letter_is_put_right_only_where_the_bar_is_drawn():
    for read in ("W", "N", "M", "n"):  # the recogniser's readings of lone "≥" on the bench's scans
        assert glyphs.fix_comparator(read, _touching_ge()) == "≥"
        assert glyphs.fix_comparator(read, draw("≥")) == "≥"
        assert glyphs.fix_comparator(read, draw(">")) == read  # no bar: left as read
    assert glyphs.fix_comparator("2", _two(cv2.FONT_HERSHEY_SIMPLEX, 2)) == "2"
    assert glyphs.fix_comparator("WN", draw("≥")) == "WN"


def _runs_by_hand(flags: list[bool]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for i, f in enumerate(flags):
        if f and (not out or out[-1][1] != i):
            out.append((i, i + 1))
        elif f:
            out[-1] = (out[-1][0], i + 1)
    return out


@pytest.mark.parametrize("flags", [[], [True], [False], [True, True], [False, True], [True, False],
                                   [True, False, True], [False, True, True, False, False, True]])
def test_runs_are_the_half_open_stretches_of_true(flags):
    assert glyphs.runs(np.array(flags, bool)) == _runs_by_hand(flags)


def test_runs_agree_with_a_plain_loop_on_random_rows():
    rng = np.random.default_rng(7)
    for _ in range(200):
        flags = (rng.random(int(rng.integers(1, 60))) < rng.random()).tolist()
        assert glyphs.runs(np.array(flags)) == _runs_by_hand(flags)
    assert glyphs.runs(np.array([0, 3, 3, 0, -1])) == [(1, 3), (4, 5)]  # any non-zero is ink, as before
