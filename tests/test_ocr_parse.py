"""Parsing recorded raw engine output (tests/fixtures/ocr) into spans: no model is loaded."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.ocr import parse

FIXTURES = Path(__file__).parent / "fixtures" / "ocr"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name, parser", [("rapid_page.json", parse.rapid_page),
                                          ("paddle_page.json", parse.paddle_page)])
def test_page_output_becomes_spans_in_points(name, parser):
    fx = load(name)
    spans = parser(fx["raw"], fx["dpi"])
    texts = [s.text for s in spans]
    # the crop holds the top of a self-evaluation form: labels and the funds amounts
    assert {"项目名称", "主管部门", "年初预算数", "预算总金额"} <= set(texts)
    assert texts.count("800.0") == 2
    first = fx["raw"][0]
    quad = first[0]
    scale = 72 / fx["dpi"]
    assert spans[0].bbox == pytest.approx((min(p[0] for p in quad) * scale, min(p[1] for p in quad) * scale,
                                           max(p[0] for p in quad) * scale, max(p[1] for p in quad) * scale))
    assert all(0.0 < s.confidence <= 1.0 for s in spans)
    assert all(s.bbox[0] < s.bbox[2] and s.bbox[1] < s.bbox[3] for s in spans)


def test_rapid_and_paddle_read_the_same_crop_alike():
    rapid = parse.rapid_page(load("rapid_page.json")["raw"], 200)
    paddle = parse.paddle_page(load("paddle_page.json")["raw"], 200)
    assert [s.text for s in rapid] == [s.text for s in paddle]
    for a, b in zip(rapid, paddle):
        assert a.bbox == pytest.approx(b.bbox, abs=3.0)  # same models, two pipelines: a few points apart


def test_origin_offsets_a_crop_back_onto_the_page():
    fx = load("rapid_page.json")
    spans = parse.rapid_page(fx["raw"], 200)
    shifted = parse.rapid_page(fx["raw"], 200, origin=(80, 200))  # the crop's place on page 2
    assert shifted[0].bbox[0] == pytest.approx(spans[0].bbox[0] + 80 * 72 / 200)
    assert shifted[0].bbox[1] == pytest.approx(spans[0].bbox[1] + 200 * 72 / 200)


@pytest.mark.parametrize("name, parser", [("rapid_lines.json", parse.rapid_lines),
                                          ("paddle_lines.json", parse.paddle_lines)])
def test_line_output_is_text_and_confidence_per_crop(name, parser):
    raw = load(name)["raw"]
    got = parser(raw, 2)
    assert [t for t, _ in got] == ["项目名称", "主管部门"]
    assert all(isinstance(c, float) and 0.5 < c <= 1.0 for _, c in got)
    with pytest.raises(ValueError, match="2 results for 3 crops"):
        parser(raw, 3)


def test_nothing_found_is_no_spans():
    assert parse.rapid_page(None, 200) == []
    assert parse.paddle_page([], 200) == []
    assert parse.paddle_lines(None, 0) == []


def test_empty_texts_are_dropped_and_scores_clamped():
    quad = [[0, 0], [10, 0], [10, 5], [0, 5]]
    spans = parse.rapid_page([[quad, " ", 0.9], [quad, "12", "1.0000001"]], 72)
    assert [(s.text, s.confidence) for s in spans] == [("12", 1.0)]


def test_word_boxes_after_the_score_are_ignored():
    # RapidOCR appends word boxes to each result when asked for them
    assert parse.rapid_lines([["10", 0.9, [[0, 0, 5, 5]]]], 1) == [("10", 0.9)]


def test_a_slanted_box_keeps_its_bounds():
    quad = [[10, 20], [110, 24], [108, 44], [8, 40]]
    assert parse.quad_bbox(quad, 0.5) == (4.0, 10.0, 55.0, 22.0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="dpi"):
        parse.rapid_page([[[[0, 0], [1, 1]], "a", 1.0]], 0)
    with pytest.raises(ValueError, match="text and score"):
        parse.rapid_lines([["only text"]], 1)
