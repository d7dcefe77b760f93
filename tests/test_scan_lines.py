"""Ruling lines from page images: the grids they give must be the text-layer PDF's grids, cell
for cell (rows, columns, spans), on clean renders and on skewed, faint, noisy or broken ones."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pytest

from extractor import geometry
from extractor.backends.pdf import PdfBackend
from extractor.geometry import Edge
from extractor.scan.cleanup import clean_page
from extractor.scan.lines import Ruling, _pieces, bridge, extend_ends, find_segments, keep_rulings, ruling_ink
from tests.test_scan_cleanup import DOCS, PT, render_page, scan_of

PAGES = [("ningbo-2023.pdf", 1), ("ningbo-2023.pdf", 2), ("shanghai-2023.pdf", 2), ("ningbo-targets-2023.pdf", 1)]


@lru_cache(maxsize=None)
def text_layer_pages(name: str):
    return PdfBackend().load(DOCS / name)


def structure(grids) -> list[tuple]:
    return [(g.n_rows, g.n_cols, sorted((c.row, c.col, c.rowspan, c.colspan) for c in g.cells)) for g in grids]


def grids_from_image(gray: np.ndarray, number: int) -> list:
    return geometry.extract_grids(find_segments(gray, PT), [], number)[0]


def assert_same_grids(name: str, number: int, gray: np.ndarray) -> None:
    want = structure(text_layer_pages(name)[number - 1].grids)
    assert want, "the sample page must have a table"
    assert structure(grids_from_image(gray, number)) == want


@pytest.mark.parametrize("name,number", PAGES)
def test_clean_render_gives_the_text_layer_grids(name, number):
    assert_same_grids(name, number, cv2.cvtColor(render_page(name, number), cv2.COLOR_RGB2GRAY))


def degrade(rgb: np.ndarray, angle: float, seed: int) -> np.ndarray:
    """Skewed, faded to 55 % contrast, sensor noise, then a JPEG at quality 60."""
    scan, _ = scan_of(rgb, angle)
    gray = cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gray = 255 - (255 - gray) * 0.55 + np.random.default_rng(seed).normal(0, 8, gray.shape)
    _, jpeg = cv2.imencode(".jpg", np.clip(gray, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 60])
    return cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2RGB)


@pytest.mark.parametrize("name,number,angle", [("ningbo-2023.pdf", 2, 3.1), ("shanghai-2023.pdf", 2, -2.4)])
def test_skewed_faint_noisy_scan_gives_the_text_layer_grids(name, number, angle):
    cleaned = clean_page(degrade(render_page(name, number), angle, number), PT)
    assert abs(cleaned.skew - angle) <= 0.1
    assert_same_grids(name, number, cleaned.image)


@pytest.mark.parametrize("name,number", [("ningbo-2023.pdf", 2), ("shanghai-2023.pdf", 2)])
def test_broken_rulings_are_bridged(name, number):
    gray = cv2.cvtColor(render_page(name, number), cv2.COLOR_RGB2GRAY)
    ink = (gray < 128).astype(np.uint8)
    rules = (cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, 60), np.uint8))
             | cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((60, 1), np.uint8)))
    centres = (rules > 0) & (np.random.default_rng(1).random(gray.shape) < 0.001)
    broken = gray.copy()
    broken[cv2.dilate(centres.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0] = 255
    # 7-px dropouts, one every ~100 pt along each ruling on average: they do cut the lines
    pieces = _pieces(ruling_ink(broken, 33), True, PT)
    assert len(bridge(pieces)) < len(pieces) * 0.8
    assert_same_grids(name, number, broken)


def test_a_one_row_border_broken_in_the_middle_is_filled_in():
    """Both halves of the border are shorter than the opening keeps: only the line of the
    column it continues tells that it is there."""
    page = np.full((400, 400), 255, np.uint8)
    for y in (50, 90, 130):
        cv2.line(page, (50, y), (350, y), 0, 2)
    for x in (50, 350):
        cv2.line(page, (x, 50), (x, 130), 0, 2)
    cv2.line(page, (200, 90), (200, 130), 0, 2)  # a column border in the second row...
    cv2.line(page, (200, 50), (200, 67), 0, 2)   # ...and in the first, broken in the middle
    cv2.line(page, (200, 74), (200, 90), 0, 2)
    grid = geometry.extract_grids(find_segments(page, PT), [], 1)[0]
    assert structure(grid) == [(2, 2, [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1)])]


def test_faint_grey_rulings_count():
    gray = cv2.cvtColor(render_page("ningbo-targets-2023.pdf", 1), cv2.COLOR_RGB2GRAY)
    faint = (255 - (255 - gray.astype(np.float32)) * 0.2).astype(np.uint8)  # black → grey 204
    assert faint.min() >= 200
    assert_same_grids("ningbo-targets-2023.pdf", 1, faint)


def test_text_and_shading_give_no_rulings():
    gray = cv2.cvtColor(render_page("ningbo-2023.pdf", 2), cv2.COLOR_RGB2GRAY)
    title = np.ascontiguousarray(gray[:200])  # the title and year lines, above the table
    assert find_segments(title, PT) == []
    shaded = np.full((600, 800), 255, np.uint8)
    shaded[200:300, 100:600] = 60  # a dark filled box: shading, not a ruling
    assert find_segments(shaded, PT) == []


def test_bridge_joins_collinear_pieces_across_small_gaps_only():
    pieces = [Edge(True, 100.0, 10.0, 40.0), Edge(True, 100.4, 46.0, 90.0),   # 6 pt gap: one ruling
              Edge(True, 100.2, 120.0, 150.0),                                  # 30 pt gap: another
              Edge(True, 104.0, 10.0, 90.0)]                                    # 4 pt below: another
    out = sorted(bridge(pieces), key=lambda r: (round(r.pos), r.lo))
    assert [(round(r.lo), round(r.hi)) for r in out] == [(10, 90), (120, 150), (10, 90)]
    assert out[0].longest == pytest.approx(44.0)


def test_rulings_stay_only_between_kept_rulings():
    top, bottom = Ruling(True, 100.0, 0.0, 300.0, 300.0), Ruling(True, 160.0, 0.0, 300.0, 300.0)
    row = Ruling(True, 115.0, 0.0, 60.0, 60.0)
    border = Ruling(False, 50.0, 100.0, 115.0, 15.0)      # a one-row column border: touches both
    stroke = Ruling(False, 80.0, 102.5, 112.0, 9.5)       # a glyph's stroke in that row: 2.5 pt short
    bridged = Ruling(False, 200.0, 100.5, 160.0, 20.0)    # bridged from short pieces, touching both
    dangling = Ruling(False, 250.0, 99.0, 166.0, 20.0)    # runs on 6 pt past the table (a broken border)
    rim = Ruling(False, 280.0, 99.0, 180.0, 20.0)         # runs on 20 pt: a curve crossing the table
    text = Ruling(True, 130.0, 202.0, 248.0, 20.0)        # glyph strokes filling a cell, 2 pt short
    title = Ruling(True, 40.0, 10.0, 90.0, 12.0)          # glyph strokes bridged into a "line"
    hs, vs = keep_rulings([top, bottom, row, text, title], [border, stroke, bridged, dangling, rim])
    assert hs == [top, bottom, row]
    assert vs == [border, bridged._replace(lo=100.0), dangling._replace(lo=100.0, hi=160.0)]


def test_a_ruling_is_not_bridged_across_a_t_junction_onto_a_glyph_stroke():
    column = Edge(False, 200.0, 100.0, 160.0)           # a column border ending on a row border...
    stroke = Edge(False, 200.3, 163.5, 170.5)           # ...and, 3.5 pt on, a glyph's stroke
    row = Edge(True, 160.0, 50.0, 400.0)
    assert len(bridge([column, stroke], [row])) == 2
    assert len(bridge([column, stroke])) == 1           # no row there: a broken line
    longer = stroke._replace(hi=185.0)                  # longer than a glyph: the line goes on
    assert len(bridge([column, longer], [row])) == 1


def test_ends_stopping_short_are_carried_onto_the_perpendicular_ruling():
    v = Ruling(False, 50.0, 0.0, 200.0, 200.0)
    h = Ruling(True, 100.0, 53.5, 300.0, 246.5)  # a faint corner: stops 3.5 pt short of v
    assert extend_ends([h], [v])[0].lo == 50.0
    far = h._replace(lo=62.0)  # further than a dropout: a ruling that ends there
    assert extend_ends([far], [v])[0].lo == 62.0
    on = h._replace(lo=51.0)   # already on v: not carried past it to a ruling beyond
    assert extend_ends([on], [v, v._replace(pos=45.0)])[0].lo == 51.0
