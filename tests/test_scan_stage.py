"""The scan stage's choices, with the real OCR engine and layout model: the layout model runs only
on a page whose rulings give no grid, with the settings' threads, and what it sees names the
page's error; a cell whose ink the recogniser cannot read is unsure, not blank."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import cv2
import numpy as np
import pytest

from extractor.model import Page
from extractor.scan import layout, stage
from extractor.scan.options import ScanOptions
from tests.ocr_pages import render

pytestmark = pytest.mark.ocr

DPI = 200


def _page(ruled: bool) -> Page:
    """An A5-ish page at DPI: a 3×4 ruled table, or the same ink area as loose strokes."""
    h, w = 1100, 800
    image = np.full((h, w, 3), 255, np.uint8)
    if ruled:
        for y in range(200, 801, 150):
            cv2.line(image, (100, y), (700, y), (0, 0, 0), 2)
        for x in range(100, 701, 200):
            cv2.line(image, (x, 200), (x, 800), (0, 0, 0), 2)
    else:  # ink, but no ruling long enough to be one: strokes of a drawing, not a table
        for i in range(40):
            x, y = 120 + (i % 8) * 70, 220 + (i // 8) * 110
            cv2.line(image, (x, y), (x + 25, y + 30), (0, 0, 0), 3)
    return Page(number=1, width=w * 72 / DPI, height=h * 72 / DPI, image=image)


def _form_without_column_rulings() -> Page:
    """A sample form page rendered at DPI with its vertical rulings painted out: a table the
    model still sees, whose cells the grid reconstruction cannot rebuild."""
    gray = np.array(render(2))
    ink = (gray < 128).astype(np.uint8)
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((int(0.4 * DPI), 1), np.uint8))
    gray[cv2.dilate(down, np.ones((5, 5), np.uint8)) > 0] = 255
    h, w = gray.shape
    return Page(number=2, width=w * 72 / DPI, height=h * 72 / DPI, image=cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB))


@pytest.fixture
def asked(monkeypatch) -> list[Optional[int]]:
    """The thread counts the layout model is asked with; the real model answers."""
    seen: list[Optional[int]] = []
    real = layout.detect_regions

    def recording(image, dpi, segments=None, threads=None):
        seen.append(threads)
        return real(image, dpi, segments, threads=threads)

    monkeypatch.setattr(layout, "detect_regions", recording)
    return seen


def test_a_ruled_page_never_runs_the_layout_model(asked):
    page = _page(ruled=True)
    stage.scan_pages(Path("ruled.png"), [page], ScanOptions())
    assert page.grids and page.grids[0].n_rows == 4 and page.grids[0].n_cols == 3
    assert asked == [] and page.errors == []


def test_a_page_without_a_grid_asks_the_layout_model_with_the_settings_threads(asked):
    page = _page(ruled=False)
    stage.scan_pages(Path("loose.png"), [page], ScanOptions(ocr_threads=1))
    assert asked == [1]
    assert [e.code for e in page.errors] == ["NO_TABLE"]  # the model sees no table in loose strokes


def test_a_table_the_model_sees_without_rulings_is_told_apart(asked):
    page = _form_without_column_rulings()
    stage.scan_pages(Path("unruled.png"), [page], ScanOptions())
    assert asked == [None] and page.grids == []
    assert [e.code for e in page.errors] == ["TABLE_WITHOUT_RULINGS"]


def test_layout_off_makes_a_page_without_a_grid_no_table(asked):
    page = _page(ruled=False)
    stage.scan_pages(Path("loose.png"), [page], ScanOptions(layout=False))
    assert asked == [] and [e.code for e in page.errors] == ["NO_TABLE"]


def test_a_cell_with_ink_read_as_nothing_is_unsure_not_blank():
    page = _page(ruled=True)
    cv2.ellipse(page.image, (380, 280), (40, 18), 0, 0, 360, (90, 90, 90), -1)  # a smudge in row 0, col 1
    stage.scan_pages(Path("smudged.png"), [page], ScanOptions())
    cells = {(c.row, c.col): c for c in page.grids[0].cells}
    assert cells[(0, 1)].text == "" and cells[(0, 1)].confidence < 0.5  # the recogniser read nothing
    assert all(c.confidence == 1.0 for key, c in cells.items() if key != (0, 1))  # no ink: nothing to doubt
    assert all(line.text for line in page.lines or [])


class _Counting:
    """The real engine, counting its calls to read crops."""

    def __init__(self, engine):
        self.engine, self.calls = engine, 0
        self.name = engine.name

    def read_lines(self, crops):
        self.calls += 1
        return self.engine.read_lines(crops)


def test_a_page_is_cut_up_ahead_and_read_in_one_recogniser_call(monkeypatch):
    from extractor.scan import ocr_cells

    page = _page(ruled=True)
    cv2.putText(page.image, "12", (150, 270), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3)  # a cell
    cv2.putText(page.image, "45", (300, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3)  # above the table
    counting = _Counting(stage.scan_engine(ScanOptions()))
    monkeypatch.setattr(stage, "scan_engine", lambda options: counting)
    planned: list[int] = []
    real_plan = ocr_cells.plan_for
    monkeypatch.setattr(ocr_cells, "plan_for", lambda p: planned.append(p.number) or real_plan(p))
    stage.scan_pages(Path("ruled.png"), [page], ScanOptions())
    assert planned == [1] and counting.calls == 1  # cells and free text together
    assert {(c.row, c.col): c.text for c in page.grids[0].cells}[(0, 0)] == "12"
    assert [line.text for line in page.lines or []] == ["45"]


def test_a_page_that_cannot_be_cut_up_fails_alone(monkeypatch):
    from extractor.scan import ocr_cells

    pages = [_page(ruled=True), _page(ruled=True)]
    pages[1].number = 2
    real_plan = ocr_cells.plan_for

    def plan(page):
        if page.number == 1:
            raise ValueError("a broken cut")
        return real_plan(page)

    monkeypatch.setattr(ocr_cells, "plan_for", plan)
    stage.scan_pages(Path("two.tif"), pages, ScanOptions())
    assert [(e.code, e.page) for e in pages[0].errors] == [("SCAN_FAILED", 1)]
    assert "ValueError: a broken cut" in pages[0].errors[0].message and pages[0].grids == []
    assert pages[1].errors == [] and pages[1].grids and pages[1].grids[0].n_rows == 4
