"""The .xlsx and .docx backends: sample forms written by samples.writers are read back cell for cell."""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from extractor.backends import BACKENDS, detect_kind
from extractor.backends.docx import BACKEND as DOCX
from extractor.backends.xlsx import BACKEND as XLSX
from extractor.backends.xlsx import render_number
from extractor.model import Grid, InputError
from samples.fromdict import forms_from_dict
from samples.layout import form_to_blocks
from samples.writers import write_docx, write_xlsx

FIXTURE = Path(__file__).parent / "fixtures" / "forms_small.json"


@pytest.fixture(scope="module")
def forms():
    return forms_from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def xlsx_pages(forms, tmp_path_factory):
    path = write_xlsx(forms, tmp_path_factory.mktemp("xlsx") / "forms.xlsx")
    return XLSX.load(path)


@pytest.fixture(scope="module")
def docx_page(forms, tmp_path_factory):
    path = write_docx(forms, tmp_path_factory.mktemp("docx") / "forms.docx")
    pages = DOCX.load(path)
    assert len(pages) == 1
    return pages[0]


def cells_of(grid: Grid) -> set[tuple[int, int, int, int, str]]:
    return {(c.row, c.col, c.rowspan, c.colspan, c.text) for c in grid.cells}


def at(grid: Grid, row: int, col: int):
    hits = [c for c in grid.cells if (c.row, c.col) == (row, col)]
    assert hits, f"no cell at ({row}, {col})"
    return hits[0]


def test_backends_are_registered_and_routed(tmp_path, forms):
    assert BACKENDS["xlsx"] is XLSX and XLSX.kind == "xlsx"
    assert BACKENDS["docx"] is DOCX and DOCX.kind == "docx"
    assert detect_kind(write_xlsx(forms[:1], tmp_path / "a.xlsx")) == "xlsx"
    assert detect_kind(write_docx(forms[:1], tmp_path / "a.docx")) == "docx"


# ------------------------------------------------------------------------------------------ xlsx

def test_xlsx_one_page_per_sheet_with_title_rows_above_the_layout_grid(forms, xlsx_pages):
    assert [p.number for p in xlsx_pages] == [1, 2, 3, 4]
    for form, page in zip(forms, xlsx_pages):
        assert page.lines == [] and len(page.grids) == 1
        grid = page.grids[0]
        assert grid.bbox is None and all(c.bbox is None and c.confidence == 1.0 for c in grid.cells)
        blocks = form_to_blocks(form)
        titles, layout = blocks[:-1], blocks[-1]
        top = len(titles)
        expected = {(k, 0, 1, layout.n_cols, t.text) for k, t in enumerate(titles)}
        expected |= {(r + top, c, rs, cs, t) for r, c, rs, cs, t in cells_of(layout)}
        assert cells_of(grid) == expected
        assert (grid.n_rows, grid.n_cols) == (layout.n_rows + top, layout.n_cols)


def test_xlsx_ningbo_form_cells_and_spans(xlsx_pages):
    g = xlsx_pages[1].grids[0]  # rows 0-1: title and "(2023年度)"
    assert at(g, 0, 0).text == "项目支出绩效自评表" and at(g, 0, 0).colspan == 9
    assert at(g, 2, 0).text == "项目名称" and (at(g, 2, 1).text, at(g, 2, 1).colspan) == ("基层党建经费", 8)
    funds = at(g, 4, 0)
    assert (funds.text, funds.rowspan) == ("项目资金（万元）", 5)
    assert [at(g, 4, c).text for c in range(2, 9)] == [
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", "偏差原因分析"]
    assert [at(g, 5, c).text for c in range(1, 8)] == ["预算总金额", "168.0", "138.9", "138.9", "10", "100%", "10"]
    assert at(g, 11, 0).text == "绩效指标" and at(g, 11, 0).rowspan == 6
    assert (at(g, 12, 1).text, at(g, 12, 1).rowspan) == ("产出指标（50分）", 3)
    assert (at(g, 12, 2).text, at(g, 12, 2).rowspan) == ("数量指标", 2)
    assert [at(g, 12, c).text for c in (4, 5, 6, 7)] == ["=100人", "90人", "20", "18"]  # "=…" is text, not a formula
    assert at(g, 13, 7).text == "13.5"
    assert (at(g, 18, 6).text, at(g, 18, 6).colspan) == ("优", 3)
    assert at(g, 19, 0).text.startswith("注：总分90") and at(g, 19, 0).colspan == 9


def test_xlsx_shanghai_form_has_implementer_and_rates(xlsx_pages):
    g = xlsx_pages[2].grids[0]
    assert [(c.col, c.text, c.colspan) for c in g.rows()[3]] == [
        (0, "主管部门", 1), (1, "中共上海市委组织部", 4), (5, "实施单位", 1), (6, "中共上海市委组织部", 3)]
    assert at(g, 4, 7).text == "得分" and at(g, 4, 7).colspan == 2
    assert [at(g, 5, c).text for c in (2, 3, 4, 6, 7)] == ["1563.92", "1329.2", "1286.17", "96.76%", "9.68"]
    assert at(g, 7, 6).text == "0.00"
    assert at(g, 11, 0).rowspan == 18 and at(g, 12, 1).rowspan == 9 and at(g, 12, 2).rowspan == 6


def test_xlsx_merges_agree_with_openpyxl_full_mode(forms, tmp_path):
    import openpyxl

    path = write_xlsx(forms, tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(path, read_only=False)
    for ws, page in zip(wb.worksheets, XLSX.load(path)):
        spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in page.grids[0].cells}
        ranges = {(r.min_row - 1, r.min_col - 1): (r.max_row - r.min_row + 1, r.max_col - r.min_col + 1)
                  for r in ws.merged_cells.ranges if ws.cell(r.min_row, r.min_col).value is not None}
        assert ranges and all(spans[k] == v for k, v in ranges.items())
        assert sum(1 for s in spans.values() if s != (1, 1)) == len(ranges)


def _workbook(tmp_path: Path, fill) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    fill(wb.active)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_xlsx_numbers_render_as_displayed_and_used_range_is_trimmed(tmp_path):
    from openpyxl.styles import Border, Side

    def fill(ws):
        rows = [(1000.0, "0.0"), (0.909, "0.00%"), (10, "General"), (1563.92, "#,##0.00"), (0.5, "0%"),
                (138.9, "General"), (-1234.5, "#,##0.00;(#,##0.00)"), (5, '0"元"'),
                (dt.datetime(2023, 12, 31), "yyyy-mm-dd")]
        for i, (value, fmt) in enumerate(rows, start=3):   # rows 1-2 and column A left empty
            cell = ws.cell(row=i, column=2, value=value)
            cell.number_format = fmt
        ws.cell(row=3, column=3, value="  项目名称 ")
        ws.merge_cells("C4:D5")
        ws["C4"] = "合并"
        side = Side(style="thin")
        for ref in ("F20", "H3", "B30"):  # styled but empty: outside the used range
            ws[ref].border = Border(left=side)

    page = XLSX.load(_workbook(tmp_path, fill))[0]
    g = page.grids[0]
    assert (g.n_rows, g.n_cols) == (9, 3)
    assert [at(g, r, 0).text for r in range(9)] == [
        "1000.0", "90.90%", "10", "1,563.92", "50%", "138.9", "(1,234.50)", "5元", "2023-12-31"]
    assert at(g, 0, 1).text == "项目名称"
    merged = at(g, 1, 1)
    assert (merged.text, merged.rowspan, merged.colspan) == ("合并", 2, 2)
    assert {(c.row, c.col) for c in g.cells}.isdisjoint({(2, 1), (1, 2), (2, 2)})


def test_render_number_rounds_like_excel():
    assert render_number(2.675, "0.00") == "2.68"  # binary 2.67499… still shows 2.68
    assert render_number(0.1 + 0.2, "General") == "0.3"
    assert render_number(1500000, "#,##0,") == "1,500"
    assert render_number(1234.5, "[$¥-804]#,##0.00") == "¥1,234.50"
    assert render_number(1234.567, "0.0#") == "1234.57" and render_number(1234.5, "0.0#") == "1234.5"


def test_xlsx_stale_dimension_does_not_cut_cells(tmp_path):
    def fill(ws):
        ws["A1"] = "序号"
        ws["E7"] = "自评结果"

    path = _workbook(tmp_path, fill)
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stale, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:E7"/>', b'<dimension ref="A1"/>')
                assert b'<dimension ref="A1"/>' in data
            dst.writestr(item, data)
    g = XLSX.load(stale)[0].grids[0]
    assert (g.n_rows, g.n_cols) == (7, 5) and at(g, 6, 4).text == "自评结果"


def _assert_input_error(path: Path, backend, code: str) -> InputError:
    with pytest.raises(InputError) as info:
        backend.load(path)
    err = info.value
    assert err.code == code, err.message
    assert err.message and "\n" not in err.message
    return err


def test_xlsx_bad_inputs(tmp_path, forms):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    _assert_input_error(empty, XLSX, "EMPTY_FILE")

    good = write_xlsx(forms[:1], tmp_path / "good.xlsx").read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good[: len(good) // 2])
    assert "truncated" in _assert_input_error(truncated, XLSX, "CORRUPT_FILE").message

    ole_header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(ole_header + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64)
    assert "password" in _assert_input_error(encrypted, XLSX, "ENCRYPTED_FILE").message
    legacy = tmp_path / "old.xlsx"
    legacy.write_bytes(ole_header + b"Workbook".ljust(64, b"\x00"))
    _assert_input_error(legacy, XLSX, "UNSUPPORTED_FORMAT")

    text = tmp_path / "text.xlsx"
    text.write_text("项目名称\t基层党建经费\n", encoding="utf-8")
    _assert_input_error(text, XLSX, "CORRUPT_FILE")

    docx_named_xlsx = tmp_path / "form.xlsx"
    docx_named_xlsx.write_bytes(write_docx(forms[:1], tmp_path / "form.docx").read_bytes())
    _assert_input_error(docx_named_xlsx, XLSX, "UNSUPPORTED_FORMAT")

    no_cells = _workbook(tmp_path, lambda ws: None)
    _assert_input_error(no_cells, XLSX, "NO_CONTENT")

    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook><sheets>")  # unclosed XML
    _assert_input_error(broken, XLSX, "CORRUPT_FILE")


# ------------------------------------------------------------------------------------------ docx

def test_docx_lines_and_grids_in_body_order(forms, docx_page):
    page = docx_page
    assert page.number == 1 and len(page.grids) == len(forms)
    blocks = sorted([*page.lines, *page.grids], key=lambda b: b.order)
    assert [b.order for b in blocks] == list(range(len(blocks)))
    expected = [b for form in forms for b in form_to_blocks(form)]
    assert len(blocks) == len(expected)
    for got, want in zip(blocks, expected):
        assert type(got) is type(want)
        if isinstance(want, Grid):
            assert cells_of(got) == cells_of(want)
            assert (got.n_rows, got.n_cols) == (want.n_rows, want.n_cols)
            assert got.bbox is None
        else:
            assert got.text == want.text


def test_docx_merged_cells_become_spans(docx_page):
    g = docx_page.grids[1]  # Ningbo, no title rows inside the table
    assert (at(g, 0, 1).text, at(g, 0, 1).colspan) == ("基层党建经费", 8)
    assert (at(g, 2, 0).text, at(g, 2, 0).rowspan) == ("项目资金（万元）", 5)
    assert at(g, 2, 2).text == "年初预算数"
    assert [at(g, 3, c).text for c in (2, 3, 4)] == ["168.0", "138.9", "138.9"]
    assert (at(g, 9, 0).text, at(g, 9, 0).rowspan) == ("绩效指标", 6)
    assert (at(g, 10, 1).text, at(g, 10, 1).rowspan) == ("产出指标（50分）", 3)
    targets = docx_page.grids[3]
    assert (at(targets, 1, 4).rowspan, at(targets, 7, 0).text, at(targets, 7, 0).rowspan) == (6, "2", 5)


def test_docx_cell_paragraphs_join_with_newlines_and_text_without_tables(tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("项目支出绩效自评表")
    doc.add_paragraph("   ")  # blank paragraphs are not lines
    doc.add_paragraph("(2023年度)")
    table = doc.add_table(rows=2, cols=3)
    cell = table.cell(0, 0)
    cell.text = "第一段"
    cell.add_paragraph("第二段")
    table.cell(0, 1).merge(table.cell(1, 2))
    table.cell(0, 1).text = "合并"
    doc.add_paragraph("注：后记")
    path = tmp_path / "mixed.docx"
    doc.save(path)
    page = DOCX.load(path)[0]
    assert [(l.order, l.text) for l in page.lines] == [(0, "项目支出绩效自评表"), (1, "(2023年度)"), (3, "注：后记")]
    (grid,) = page.grids
    assert grid.order == 2 and (grid.n_rows, grid.n_cols) == (2, 3)
    assert cells_of(grid) == {(0, 0, 1, 1, "第一段\n第二段"), (0, 1, 2, 2, "合并")}

    no_tables = docx.Document()
    no_tables.add_paragraph("只有文字")
    plain = tmp_path / "plain.docx"
    no_tables.save(plain)
    (page,) = DOCX.load(plain)
    assert page.grids == [] and [l.text for l in page.lines] == ["只有文字"]


def test_docx_bad_inputs(tmp_path, forms):
    import docx

    empty_doc = tmp_path / "blank.docx"
    docx.Document().save(empty_doc)
    _assert_input_error(empty_doc, DOCX, "NO_CONTENT")

    good = write_docx(forms[:1], tmp_path / "good.docx").read_bytes()
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good[: len(good) // 2])
    _assert_input_error(truncated, DOCX, "CORRUPT_FILE")

    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    _assert_input_error(empty, DOCX, "EMPTY_FILE")

    xlsx_named_docx = tmp_path / "book.docx"
    xlsx_named_docx.write_bytes(write_xlsx(forms[:1], tmp_path / "book.xlsx").read_bytes())
    _assert_input_error(xlsx_named_docx, DOCX, "UNSUPPORTED_FORMAT")
