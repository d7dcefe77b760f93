"""Layout regions: parsing recorded model output, the ruling-line fallback, and the real model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from extractor.model import Segment
from extractor.scan import layout
from tests.ocr_pages import render, text_pages, truth

FIXTURE = Path(__file__).parent / "fixtures" / "ocr" / "layout_cdla.json"


def recorded() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_recorded_output_becomes_regions_in_points():
    fx = recorded()
    regions = layout.parse_layout(fx["boxes"], fx["class_names"], fx["scores"], fx["dpi"], tuple(fx["image_size"]))
    assert len(regions) == len(fx["boxes"])
    assert [r.bbox[1] for r in regions] == sorted(r.bbox[1] for r in regions)
    table, = layout.of_label(regions, "table")
    i = fx["class_names"].index("table")
    assert table.bbox == pytest.approx(tuple(v * 72 / fx["dpi"] for v in fx["boxes"][i]))
    assert table.score == pytest.approx(fx["scores"][i]) and table.source == "table"
    # CDLA calls the centred form title "header": it is the page's title region, above the table
    title, = layout.of_label(regions, "title")
    assert title.source == "header" and title.bbox[3] <= table.bbox[1]
    assert {r.label for r in regions} == {"text", "table", "caption", "title"}


def test_the_recorded_table_covers_the_true_grid():
    fx = recorded()
    regions = layout.parse_layout(fx["boxes"], fx["class_names"], fx["scores"], fx["dpi"])
    table, = layout.of_label(regions, "table")
    grid = truth().tables[0]  # the summary table of page 1, the page the fixture was recorded on
    assert iou(table.bbox, grid.bbox) > 0.9


def test_boxes_are_clipped_to_the_image_and_empty_ones_dropped():
    regions = layout.parse_layout([[-10, 5, 50, 500], [60, 60, 60, 90]], ["table", "text"], [0.9, 0.8], 72, (40, 100))
    assert [r.bbox for r in regions] == [(0.0, 5.0, 40.0, 100.0)]
    assert layout.parse_layout([], [], [], 72) == []
    assert layout.parse_layout(None, None, None, 72) == []


def test_unknown_classes_keep_their_name_and_bad_output_is_refused():
    assert layout.parse_layout([[0, 0, 9, 9]], ["stamp"], [0.7], 72)[0].label == "stamp"
    with pytest.raises(ValueError, match="differ in length"):
        layout.parse_layout([[0, 0, 9, 9]], ["table", "text"], [0.7], 72)


def ruled(x0: float, y0: float, cols: int, rows: int, step: float = 20.0) -> list[Segment]:
    x1, y1 = x0 + cols * step, y0 + rows * step
    return ([Segment(x0, y0 + i * step, x1, y0 + i * step) for i in range(rows + 1)]
            + [Segment(x0 + j * step, y0, x0 + j * step, y1) for j in range(cols + 1)])


def test_tables_from_ruling_lines():
    segments = ruled(50, 100, 4, 3) + ruled(60, 400, 2, 5) + [Segment(50, 700, 300, 700)]  # + an underline
    regions = layout.table_regions(segments)
    assert [r.bbox for r in regions] == [(50, 100, 130, 160), (60, 400, 100, 500)]
    assert all(r.label == "table" and r.source == "lines" and r.score == 1.0 for r in regions)
    assert layout.table_regions([Segment(0, 0, 100, 0), Segment(0, 0, 0, 100)]) == []  # a corner is no table


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.ocr
def test_the_model_finds_the_title_and_the_table():
    image = render(2)
    regions = layout.detect_regions(image, 200)
    table, = layout.of_label(regions, "table")
    grid = next(g for g in truth().tables if g.page == 2)
    assert table.source == "table" and table.score > 0.9
    assert iou(table.bbox, grid.bbox) > 0.9
    titles = layout.of_label(regions, "title")
    assert titles and titles[0].bbox[3] <= grid.bbox[1]
    title_line = next(line for line in text_pages()[1].lines if "自评表" in line.text)
    assert iou(titles[0].bbox, title_line.bbox) > 0.4


@pytest.mark.ocr
def test_rulings_stand_in_when_the_model_finds_no_table():
    blank = np.full((800, 600), 255, np.uint8)
    segments = ruled(50, 100, 4, 3)
    regions = layout.detect_regions(blank, 72, segments)
    assert [(r.label, r.source, r.bbox) for r in regions] == [("table", "lines", (50, 100, 130, 160))]
    assert layout.of_label(layout.detect_regions(blank, 72), "table") == []



@pytest.mark.ocr
def test_the_model_runs_with_the_threads_it_is_given():
    for n in (1, 2):
        assert layout.load_model(n).session.session.get_session_options().intra_op_num_threads == n
    assert layout.load_model(1) is layout.load_model(1)  # loaded once per thread count
