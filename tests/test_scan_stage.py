"""The scan stage's choices, with a stand-in OCR engine and layout model (no model loads): the
layout model runs only on a page whose rulings give no grid, with the settings' threads."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import pytest

from extractor.model import Page
from extractor.scan import layout, stage
from extractor.scan.layout import Region
from extractor.scan.options import ScanOptions

DPI = 200


class SilentEngine:
    """Reads every crop as nothing: these tests are about which stages run, not what is read."""

    name = "silent"

    def read_page(self, image: np.ndarray, dpi: float) -> list[Any]:
        return []

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return [("", 1.0) for _ in crops]


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


@pytest.fixture
def calls(monkeypatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def fake_regions(image, dpi, segments=None, threads=None):
        seen.append({"threads": threads})
        return [Region("table", (10.0, 10.0, 200.0, 200.0), 0.9, "table")]

    monkeypatch.setattr(layout, "detect_regions", fake_regions)
    monkeypatch.setattr(stage, "scan_engine", lambda options: SilentEngine())
    return seen


def test_a_ruled_page_never_runs_the_layout_model(calls):
    page = _page(ruled=True)
    stage.scan_pages(Path("ruled.png"), [page], ScanOptions())
    assert page.grids and page.grids[0].n_rows == 4 and page.grids[0].n_cols == 3
    assert calls == [] and page.errors == []


def test_a_page_without_a_grid_asks_the_layout_model_with_the_settings_threads(calls):
    page = _page(ruled=False)
    stage.scan_pages(Path("loose.png"), [page], ScanOptions(ocr_threads=1))
    assert calls == [{"threads": 1}]
    assert [e.code for e in page.errors] == ["TABLE_WITHOUT_RULINGS"]  # the stand-in model saw a table


def test_layout_off_makes_a_page_without_a_grid_no_table(calls):
    page = _page(ruled=False)
    stage.scan_pages(Path("loose.png"), [page], ScanOptions(layout=False))
    assert calls == [] and [e.code for e in page.errors] == ["NO_TABLE"]


class BlindEngine(SilentEngine):
    """Reads nothing, and says it is unsure: what the recogniser does with a glyph under seal residue."""

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return [("", 0.25) for _ in crops]


def test_a_cell_with_ink_read_as_nothing_is_unsure_not_blank(monkeypatch, calls):
    page = _page(ruled=True)
    cv2.putText(page.image, "85", (330, 300), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 0), 4)  # row 0, col 1
    monkeypatch.setattr(stage, "scan_engine", lambda options: BlindEngine())
    stage.scan_pages(Path("blind.png"), [page], ScanOptions())
    cells = {(c.row, c.col): c for c in page.grids[0].cells}
    assert cells[(0, 1)].text == "" and cells[(0, 1)].confidence == 0.25
    assert all(c.confidence == 1.0 for key, c in cells.items() if key != (0, 1))  # no ink: nothing to doubt
    assert all(line.text for line in page.lines or [])
