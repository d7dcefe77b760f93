"""Sample rendering: the canonical form layout, JSON → forms, the PDF writer and the generate CLI."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from extractor.forms import Indicator, SelfEvaluation
from extractor.model import Grid, TextLine
from samples import generate
from samples.fromdict import forms_from_dict
from samples.layout import fmt_amount, fmt_number, form_to_blocks
from samples.pdfwriter import FontMissingError, write_pdf

FIXTURE = Path(__file__).parent / "fixtures" / "forms_small.json"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def forms(data):
    return forms_from_dict(data)


def row_texts(grid: Grid, row: int) -> list[tuple[int, str, int, int]]:
    return [(c.col, c.text, c.rowspan, c.colspan) for c in grid.rows()[row]]


# ---------------------------------------------------------------------------------------- layout

def test_fixture_decodes_to_the_dataclasses_and_back(data, forms):
    assert [f.kind for f in forms] == ["summary", "self_evaluation", "self_evaluation", "targets"]
    for form, raw in zip(forms, data["forms"]):
        assert form.to_dict() == raw
    assert forms_from_dict(data["forms"][1]) == [forms[1]] and forms_from_dict(data["forms"]) == forms
    with pytest.raises(ValueError):
        forms_from_dict({"kind": "invoice"})


def test_fixture_is_valid_extractor_output(data):
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(__file__).resolve().parents[1] / "extractor" / "schema" / "forms.schema.json"
    result = {"source": "forms_small.json", "sha256": "0" * 64, "input_kind": "xlsx", "pages": 4,
              "tables": [], "forms": data["forms"], "warnings": []}
    jsonschema.validate(result, json.loads(schema_path.read_text(encoding="utf-8")))


def test_ningbo_canonical_layout(forms):
    blocks = form_to_blocks(forms[1])
    assert [b.text for b in blocks[:2]] == ["项目支出绩效自评表", "(2023年度)"]
    assert [b.order for b in blocks] == [0.0, 1.0, 2.0]
    g = blocks[2]
    assert (g.n_rows, g.n_cols) == (18, 9)
    assert row_texts(g, 0) == [(0, "项目名称", 1, 1), (1, "基层党建经费", 1, 8)]
    assert row_texts(g, 1) == [(0, "主管部门", 1, 1), (1, "中共宁波市委组织部", 1, 8)]  # no 实施单位
    assert row_texts(g, 2)[0] == (0, "项目资金（万元）", 5, 1)
    assert [t for _, t, _, _ in row_texts(g, 2)][1:] == [
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", "偏差原因分析"]
    assert row_texts(g, 3) == [(1, "预算总金额", 1, 1), (2, "168.0", 1, 1), (3, "138.9", 1, 1), (4, "138.9", 1, 1),
                               (5, "10", 1, 1), (6, "100%", 1, 1), (7, "10", 1, 1)]
    assert row_texts(g, 4) == [(1, "其中：当年财政拨款", 1, 1), (2, "168.0", 1, 1), (3, "138.9", 1, 1),
                               (4, "138.9", 1, 1), (5, "—", 1, 1), (7, "—", 1, 1)]
    assert row_texts(g, 7) == [(0, "年度总体目标", 2, 1), (1, "年初预期目标", 1, 4), (5, "实际完成情况", 1, 4)]
    assert row_texts(g, 9)[:2] == [(0, "绩效指标", 6, 1), (1, "一级指标", 1, 1)]
    assert row_texts(g, 10)[:3] == [(1, "产出指标（50分）", 3, 1), (2, "数量指标", 2, 1), (3, "兴村（治社）名师数量", 1, 1)]
    assert row_texts(g, 12)[:2] == [(2, "质量指标", 1, 1), (3, "人员合格率", 1, 1)]
    assert row_texts(g, 15) == [(0, "总分", 1, 6), (6, "100", 1, 1), (7, "91.5", 1, 1)]
    assert row_texts(g, 16) == [(0, "自评等级", 1, 6), (6, "优", 1, 3)]
    assert row_texts(g, 17)[0][1].startswith("注：") and row_texts(g, 17)[0][3] == 9


def test_explanation_column_and_implementer_variants(forms):
    sh = form_to_blocks(forms[2])[-1]
    assert row_texts(sh, 1) == [(0, "主管部门", 1, 1), (1, "中共上海市委组织部", 1, 4), (5, "实施单位", 1, 1),
                                (6, "中共上海市委组织部", 1, 3)]
    assert row_texts(sh, 2)[-1] == (7, "得分", 1, 2)  # no 偏差原因分析 in the funds block
    assert row_texts(sh, 5)[-2:] == [(6, "0.00", 1, 1), (7, "—", 1, 2)]
    explained = copy.deepcopy(forms[1])
    explained.funds.explanation = "预算调整"
    g = form_to_blocks(explained)[-1]
    assert (8, "预算调整", 4, 1) in row_texts(g, 3)


def test_indicator_groups_follow_consecutive_runs_and_self_added_mark():
    inds = [Indicator("产出指标", "数量指标", "甲", weight=10.0, score=10.0),
            Indicator("效益指标", "社会效益", "乙", weight=20.0, score=18.5),
            Indicator("产出指标", "数量指标", "丙", weight=10.0, score=9.0, self_added=True)]
    form = SelfEvaluation(title="项目支出绩效自评表", project="测试", department="部门", indicators=inds,
                          group_weights={"效益指标": 30.0}, total_weight=100.0, total_score=97.5)
    g = form_to_blocks(form)[-1]
    assert [row_texts(g, r)[:3] for r in (10, 11, 12)] == [
        [(1, "产出指标", 1, 1), (2, "数量指标", 1, 1), (3, "甲", 1, 1)],
        [(1, "效益指标（30分）", 1, 1), (2, "社会效益", 1, 1), (3, "乙", 1, 1)],
        [(1, "产出指标", 1, 1), (2, "数量指标", 1, 1), (3, "丙(自评新增)", 1, 1)]]
    assert row_texts(g, 13) == [(0, "总分", 1, 6), (6, "100", 1, 1), (7, "97.5", 1, 1)]
    assert g.n_rows == 14  # neither grade nor note rows


def test_summary_and_targets_layouts(forms):
    blocks = form_to_blocks(forms[0])
    assert [b.text for b in blocks if isinstance(b, TextLine)] == [
        "2023年预算项目单位自评情况汇总表", "部门：中共宁波市委组织部", "单位：万元"]
    s = blocks[-1]
    assert [t for _, t, _, _ in row_texts(s, 0)] == [
        "序号", "项目名称", "项目编码", "单位名称", "全年预算数", "全年执行数", "执行率", "自评结果"]
    assert [t for _, t, _, _ in row_texts(s, 4)] == [
        "7", "党的二十大主题教育活动经费", "330200233BM1700010000", "中共宁波市委组织部本级", "230", "228.13", "99%", "优"]
    t = form_to_blocks(forms[3])[-1]
    assert t.n_rows == 1 + 6 + 5
    assert row_texts(t, 1)[:5] == [(0, "1", 6, 1), (1, "设备购置经费", 6, 1), (2, forms[3].rows[0].overview, 6, 1),
                                   (3, "24", 6, 1), (4, forms[3].rows[0].goal, 6, 1)]
    assert row_texts(t, 1)[5:] == [(5, "打印机购置数量", 1, 1), (6, "=", 1, 1), (7, "台", 1, 1), (8, "5", 1, 1)]
    assert row_texts(t, 8) == [(5, "服务对象满意度", 1, 1), (7, "%", 1, 1), (8, "98", 1, 1)]


@pytest.mark.parametrize("value", [0.0, 10.0, 18.0, 2.5, 9.09, 138.9, 1563.92, 1286.17, 0.1 + 0.2, 1e-7, 123456789.125])
def test_number_text_reads_back_as_the_same_float(value):
    assert float(fmt_number(value)) == value and float(fmt_amount(value)) == value
    assert fmt_amount(1000.0) == "1000.0" and fmt_number(10.0) == "10" and fmt_number(None) == ""


# ------------------------------------------------------------------------------------------- pdf

def _pdf_text(path: Path) -> list[str]:
    pdfplumber = pytest.importorskip("pdfplumber")
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_pdf_embeds_the_font_and_has_a_text_layer(forms, tmp_path):
    path = write_pdf(forms, tmp_path / "forms.pdf")
    data = path.read_bytes()
    assert data.count(b"/FontFile2") >= 1
    pages = _pdf_text(path)
    assert len(pages) == 4  # each form on its own page
    assert "基层党建经费" in pages[1] and "(2023年度)" in pages[1] and "产出指标（50分）" in pages[1]
    assert "干部教育工作经费" in pages[2] and "1563.92" in pages[2] and "96.76%" in pages[2]
    assert "330200233BM1700010000" in pages[0] and "设备购置经费" in pages[3]


def test_pdf_ruling_lines_are_vector_lines(forms, tmp_path):
    pdfplumber = pytest.importorskip("pdfplumber")
    path = write_pdf(forms[1:2], tmp_path / "one.pdf")
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        horizontal = {round(l["top"], 1) for l in page.lines if abs(l["top"] - l["bottom"]) < 0.1}
        vertical = {round(l["x0"], 1) for l in page.lines if abs(l["x0"] - l["x1"]) < 0.1}
        title = next(w for w in page.extract_words() if "自评表" in w["text"])
    assert len(horizontal) == 18 + 1 and len(vertical) == 9 + 1  # a rule around every row and column
    assert title["bottom"] < min(horizontal)  # the title is above the table, not in a cell


def test_long_form_continues_with_the_indicator_header_repeated(forms, tmp_path):
    long = copy.deepcopy(forms[2])
    long.indicators = [Indicator("产出指标", "数量指标", f"指标{i:02d}", "≥1(次)", "1次", 1.0, 1.0)
                       for i in range(70)]
    pages = _pdf_text(write_pdf([long], tmp_path / "long.pdf"))
    assert len(pages) >= 2
    assert "干部教育工作经费" in pages[0] and "干部教育工作经费" not in pages[1]
    for text in pages[1:]:
        assert "一级指标" in text and "三级指标" in text
    assert "指标69" in pages[-1] and "总分" in pages[-1]
    seen = [i for i in range(70) if any(f"指标{i:02d}" in p for p in pages)]
    assert seen == list(range(70))


def test_pdf_missing_font_names_the_package(forms, tmp_path):
    with pytest.raises(FontMissingError, match="fonts-droid-fallback"):
        write_pdf(forms, tmp_path / "x.pdf", font_path=tmp_path / "nowhere.ttf")


# --------------------------------------------------------------------------------------- generate

def test_generate_writes_one_file_per_format(tmp_path, capsys):
    out = tmp_path / "out"
    assert generate.main(["--from", str(FIXTURE), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["forms_small.docx", "forms_small.pdf", "forms_small.xlsx"]
    assert "4 forms" in capsys.readouterr().out
    assert generate.main(["--from", str(FIXTURE), "--out", str(tmp_path / "x"), "--formats", "xlsx"]) == 0
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["forms_small.xlsx"]
    with pytest.raises(SystemExit):
        generate.main(["--from", str(FIXTURE), "--out", str(out), "--formats", "odt"])
    assert generate.main(["--from", str(tmp_path / "missing.json"), "--out", str(out)]) == 1


def test_rendered_files_parse_back_to_the_same_forms(forms, tmp_path):
    """The writers, the office/PDF backends and the form parser agree on the layout."""
    from extractor.backends import BACKENDS, load_backends
    from extractor.parser import parse_pages

    load_backends()
    out = tmp_path / "rt"
    generate.render(forms, out, "rt", ["xlsx", "docx", "pdf"])
    for fmt in ("xlsx", "docx", "pdf"):
        parsed, _ = parse_pages(BACKENDS[fmt].load(out / f"rt.{fmt}"))
        got = [{**f.to_dict(), "pages": None, "cells": None} for f in parsed]
        want = [{**f.to_dict(), "pages": None, "cells": None} for f in forms]
        assert got == want, fmt


def test_generate_from_a_seed_export(tmp_path):
    seed = sorted(SEEDS.glob("003_*.txt"))
    if not seed:
        pytest.skip("seeds not beside the repo")
    assert generate.main(["--from", str(seed[0]), "--out", str(tmp_path), "--formats", "docx"]) == 0
    from extractor.backends.docx import BACKEND

    (page,) = BACKEND.load(tmp_path / f"{seed[0].stem}.docx")
    assert len(page.grids) >= 2 and any(l.text == "财政项目支出绩效自评表" for l in page.lines)
