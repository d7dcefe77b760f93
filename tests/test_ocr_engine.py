"""The OCR engines: the real PP-OCRv4 models on rendered sample pages (marked `ocr`), and the
registry and the optional PaddleOCR engine's error paths (no model needed)."""
from __future__ import annotations

import importlib
import importlib.util
import re
import sys

import numpy as np
import pytest

from extractor import geometry
from extractor.model import Page
from extractor.normalize import is_number, key
from extractor.ocr import ENGINES, OcrUnavailable, default_threads, get_engine
from extractor.ocr.paddle import SETTING, PaddleEngine, model_paths
from extractor.parser import parse_pages
from extractor.scan import ocr_cells
from extractor.scan.ink import PageInk
from tests.ocr_pages import DPI, blank_grids, cell_crops, render, text_pages, truth

PAGE = 2  # a self-evaluation form: header, funds block with dashes, indicators, total, grade


@pytest.fixture(scope="module")
def engine():
    return get_engine("rapid")


@pytest.fixture(scope="module")
def page_cells(engine):
    grids = blank_grids(PAGE)
    spans = ocr_cells.read_cells(render(PAGE), DPI, grids, engine)
    want = [c for g in truth().tables if g.page == PAGE for c in g.cells]
    return want, [c for g in grids for c in g.cells], spans


@pytest.mark.ocr
def test_every_cell_of_a_form_page_reads_right(page_cells):
    want, got, _ = page_cells
    assert len(got) == len(want) > 90
    wrong = [(w.text, g.text) for w, g in zip(want, got) if key(w.text) != key(g.text)]
    assert wrong == []
    numbers = [g.text for w, g in zip(want, got) if is_number(w.text)]
    assert len(numbers) > 20 and "800.0" in numbers and "1000.0" in numbers


@pytest.mark.ocr
def test_cell_confidence_is_the_weakest_line(page_cells):
    want, got, spans = page_cells
    for w, g in zip(want, got):
        if not w.text:
            assert g.confidence == 1.0  # nothing was recognised
        elif w.text == "—":
            assert g.confidence == ocr_cells.SYMBOL_CONFIDENCE  # told by shape
        else:
            inside = [s for s in spans if _centre_in(s.bbox, g.bbox)]
            assert inside and g.confidence == min(s.confidence for s in inside)
            assert 0.5 < g.confidence <= 1.0
    two_lines = next(g for g in got if g.text == "人才经费发放准确性")  # wrapped in its cell
    assert len([s for s in spans if _centre_in(s.bbox, two_lines.bbox)]) == 2


@pytest.mark.ocr
def test_spans_are_lines_in_points_inside_their_cells(page_cells):
    _, got, spans = page_cells
    assert len(spans) >= len([g for g in got if g.text])
    for s in spans:
        assert any(_centre_in(s.bbox, g.bbox) for g in got)
        assert s.bbox[2] - s.bbox[0] > 0
        if s.text != "—":  # a dash's ink is a hairline
            assert 4 < s.bbox[3] - s.bbox[1] < 14  # one line of ~8 pt text
    assert [s.text for s in spans if s.text.startswith("2023年")] == ["2023年计划评选8名左右杰出人才"]


@pytest.mark.ocr
def test_a_scanned_page_gives_the_same_form_fields(engine):
    src = text_pages()[PAGE - 1]
    page = Page(number=PAGE, width=src.width, height=src.height, image=render(PAGE), segments=src.segments)
    ocr_cells.ocr_page(page, engine)
    page.grids, page.lines = geometry.extract_grids(page.segments, page.spans, PAGE)
    ocr_cells.fix_cells(page.grids)
    (form,), _ = parse_pages([page])
    expected = next(f for f in truth().forms if f.pages == [PAGE])
    got, want = form.to_dict(), expected.to_dict()
    for field in ("kind", "title", "year", "project", "department", "funds", "goal", "group_weights",
                  "indicators", "total_score", "grade"):
        assert got[field] == want[field], field
    assert all(0.5 < p["confidence"] < 1.0 for p in got["cells"].values())  # recognised, not read


@pytest.mark.ocr
def test_line_crops_are_read_in_order(engine):
    cells = [c for g in truth().tables if g.page == PAGE for c in g.cells if c.text in ("项目名称", "800.0", "100%")]
    ink = PageInk(render(PAGE), DPI)
    boxes = [ocr_cells._to_px(c.bbox, DPI, ink.gray.shape, inset=1) for c in cells]
    line_h = ocr_cells.line_height(ink.text, boxes, DPI)
    cuts = ocr_cells.cut_lines(ink.text, boxes, line_h)
    got = engine.read_lines(ocr_cells.crops(ink.gray, cuts, line_h))
    assert [t for t, _ in got] == [c.text for c in cells]
    assert all(conf > 0.9 for _, conf in got)
    assert engine.read_lines([]) == []


@pytest.mark.ocr
def test_full_page_mode_detects_and_reads(engine):
    title = next(line for line in text_pages()[PAGE - 1].lines if "自评表" in line.text)
    x0, y0, x1, y1 = (round(v * DPI / 72) for v in title.bbox)
    # a squarish crop: RapidOCR scales the short side up to 736 px before detecting
    spans = engine.read_page(render(PAGE)[y0 - 100:y1 + 100, x0 - 40:x1 + 40], DPI)
    assert [key(s.text) for s in spans][:2] == ["项目支出绩效自评表", "(2023年度)"]
    # the detector's box has a margin round the glyphs; the text layer's is the font's box
    assert spans[0].bbox[2] - spans[0].bbox[0] == pytest.approx(title.bbox[2] - title.bbox[0], abs=12)


@pytest.mark.ocr
def test_free_text_is_read_in_the_given_regions_only(engine):
    src = text_pages()[PAGE - 1]
    title = next(line for line in src.lines if "自评表" in line.text)
    grid = next(g for g in truth().tables if g.page == PAGE)
    region = (grid.bbox[0], 0.0, grid.bbox[2], grid.bbox[1] + 30)  # the top of the page, into the table
    spans = ocr_cells.read_text(render(PAGE), DPI, engine, regions=[region], exclude=[grid.bbox])
    year = next(line for line in src.lines if "年度" in line.text)
    assert [key(s.text) for s in spans] == [key(title.text), key(year.text)]  # the table's text stays out
    assert spans[0].bbox == pytest.approx(title.bbox, abs=3)


@pytest.mark.ocr
def test_crops_read_on_several_threads_come_back_in_order(engine):
    crops = cell_crops(PAGE)
    two, one = get_engine("rapid", threads=2), get_engine("rapid", threads=1)
    assert len(crops) > 50
    assert two.read_lines(crops) == one.read_lines(crops)


@pytest.mark.ocr
def test_a_lone_glyph_the_small_input_loses_is_read_at_the_trained_height():
    from PIL import Image, ImageDraw, ImageFont

    from samples.pdfwriter import DEFAULT_FONT_PATH

    img = Image.new("L", (30, 34), 255)  # a unit cell's 个 as the line cutter crops it
    ImageDraw.Draw(img).text((4, 7), "个", font=ImageFont.truetype(DEFAULT_FONT_PATH, 20), fill=0)
    crop = np.array(img)
    engine = get_engine("rapid")
    assert engine._run(crop, engine.height, engine.min_width)[0] == ""  # lost at the small height
    (text, confidence), = engine.read_lines([crop])
    assert text == "个" and confidence > 0.5


@pytest.mark.ocr
def test_a_crop_read_before_is_not_read_again(monkeypatch):
    ink = PageInk(render(PAGE), DPI)
    page_cells = [c for g in truth().tables if g.page == PAGE for c in g.cells]
    cells = [next(c for c in page_cells if c.text == text) for text in ("项目名称", "800.0")]
    boxes = [ocr_cells._to_px(c.bbox, DPI, ink.gray.shape, inset=1) for c in cells]
    line_h = ocr_cells.line_height(ink.text, boxes, DPI)
    a, b = ocr_cells.crops(ink.gray, ocr_cells.cut_lines(ink.text, boxes, line_h), line_h)
    fresh = get_engine("rapid", threads=1, min_width=95)  # an instance of its own: an empty cache
    calls: list[int] = []
    read_one = fresh._read_one
    monkeypatch.setattr(fresh, "_read_one", lambda crop: calls.append(1) or read_one(crop))
    got = fresh.read_lines([a, a.copy(), b])
    assert [t for t, _ in got] == ["项目名称", "项目名称", "800.0"] and len(calls) == 2
    assert fresh.read_lines([b, a]) == [got[2], got[0]] and len(calls) == 2
    different = a.copy()
    different[0, 0] ^= 1  # one pixel off is another crop
    fresh.read_lines([different])
    assert len(calls) == 3


@pytest.mark.ocr
def test_a_forked_process_starts_its_own_recogniser_threads(monkeypatch):
    import os

    two = get_engine("rapid", threads=2)
    first = two._executor()
    assert two._executor() is first  # one pool per process ...
    monkeypatch.setattr(os, "getpid", lambda: -1)  # ... and a new one in a child process
    assert two._executor() is not first


@pytest.mark.ocr
def test_engines_load_once_per_options(engine):
    assert get_engine("rapid") is engine
    assert get_engine() is engine  # "rapid" is the default
    assert get_engine("rapid", threads=1) is not engine


def test_unknown_engine():
    with pytest.raises(OcrUnavailable, match="unknown OCR engine 'tesseract'.*paddle, rapid"):
        get_engine("tesseract")
    assert set(ENGINES) == {"rapid", "paddle"}


def test_the_default_engine_without_its_packages_says_what_to_install(monkeypatch):
    from extractor import ocr

    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed: importing it fails
    for name in ("extractor.ocr.rapid", "extractor.ocr.fold"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(ocr, "_CACHE", {})
    with pytest.raises(OcrUnavailable, match=r"'rapid' cannot be loaded .*onnx.*: pip install rapidocr_onnxruntime onnx"):
        get_engine("rapid", threads=1)


def test_threads_default_to_the_cores_up_to_two():
    assert 1 <= default_threads() <= 2


# ---- PaddleOCR: the model directory is checked before anything loads ------------------------------

def models(root, det="onnx", rec="onnx", cls=None):
    files = {"onnx": ["inference.onnx"], "paddle": ["inference.pdmodel", "inference.pdiparams"]}
    root.mkdir(exist_ok=True)
    for name, kind in (("det", det), ("rec", rec), ("cls", cls)):
        if kind:
            (root / name).mkdir()
            for f in files[kind]:
                (root / name / f).write_bytes(b"")
    return root


def test_paddle_needs_a_model_directory(tmp_path):
    with pytest.raises(OcrUnavailable, match=re.escape(SETTING)):
        model_paths()
    with pytest.raises(OcrUnavailable, match="does not exist"):
        model_paths(tmp_path / "nowhere")
    with pytest.raises(OcrUnavailable, match=r"no rec/ model: expected .*rec/ with inference.pdmodel"):
        model_paths(models(tmp_path, rec=None))


def test_paddle_model_formats(tmp_path):
    onnx = models(tmp_path / "a")
    kwargs = model_paths(onnx)
    assert kwargs["use_onnx"] is True
    assert kwargs["det_model_dir"] == str(onnx / "det" / "inference.onnx")
    assert kwargs["cls_model_dir"] == kwargs["det_model_dir"]  # no classifier: never loaded
    paddle = models(tmp_path / "b", det="paddle", rec="paddle", cls="paddle")
    (paddle / "rec" / "dict.txt").write_text("一\n二\n", encoding="utf-8")
    kwargs = model_paths(str(paddle))
    assert kwargs["use_onnx"] is False and kwargs["rec_model_dir"] == str(paddle / "rec")
    assert kwargs["cls_model_dir"] == str(paddle / "cls")
    assert kwargs["rec_char_dict_path"] == str(paddle / "rec" / "dict.txt")
    with pytest.raises(OcrUnavailable, match="mix ONNX and Paddle"):
        model_paths(models(tmp_path / "c", det="paddle"))


@pytest.mark.skipif(importlib.util.find_spec("paddleocr") is not None, reason="paddleocr is installed here")
def test_paddle_missing_package_says_how_to_install(tmp_path):
    with pytest.raises(OcrUnavailable, match=r"paddleocr is not installed: pip install 'formaudit\[paddle\]'"):
        PaddleEngine(model_dir=str(models(tmp_path)))
    with pytest.raises(OcrUnavailable, match=re.escape(SETTING)):
        get_engine("paddle", model_dir="")


def _centre_in(bbox, cell) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return cell[0] <= cx <= cell[2] and cell[1] <= cy <= cell[3]
