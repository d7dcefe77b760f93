"""The text-layer PDF backend, on PDFs drawn here with reportlab (CJK text in an embedded TTF)."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Callable

import pytest

reportlab = pytest.importorskip("reportlab", reason="reportlab draws the test PDFs: pip install reportlab")
from reportlab.lib import pdfencrypt  # noqa: E402
from reportlab.lib.utils import ImageReader  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from extractor.backends import BACKENDS, detect_kind  # noqa: E402
from extractor.backends import pdf as pdf_backend  # noqa: E402
from extractor.backends.pdf import PdfBackend, input_kind  # noqa: E402
from extractor.model import InputError, Page  # noqa: E402
from tests.work import calls  # noqa: E402

FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
needs_font = pytest.mark.skipif(not FONT.exists(), reason=f"CJK font {FONT} missing: apt-get install fonts-droid-fallback")
W, H = 595.0, 842.0  # A4; reportlab draws from the bottom-left, the backend reports from the top-left


@pytest.fixture(scope="module", autouse=True)
def _cjk_font() -> None:
    if FONT.exists() and "CJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("CJK", str(FONT)))


def make_pdf(path: Path, *pages: Callable[[canvas.Canvas], None], **kw) -> Path:
    c = canvas.Canvas(str(path), pagesize=(W, H), **kw)
    for draw in pages:
        draw(c)
        c.showPage()
    c.save()
    return path


def load(path: Path) -> list[Page]:
    return PdfBackend().load(path)


def write(c: canvas.Canvas, x: float, y: float, text: str, size: float = 10, centred: bool = False) -> None:
    """Draw text at a baseline, CJK in the Droid font and the rest in Helvetica (Droid has no
    Latin glyphs, and a missing glyph would come back as U+FFFD)."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = "CJK" if ord(ch) >= 0x2E80 else "Helvetica"
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    if centred:
        x -= sum(pdfmetrics.stringWidth(t, f, size) for f, t in runs) / 2
    obj = c.beginText(x, y)
    for font, t in runs:
        obj.setFont(font, size)
        obj.textOut(t)
    c.drawText(obj)


# The form drawn on the page: a title and a year line, then a 4×4 ruled table whose
# top-left cell spans two columns and whose (1,0) cell spans two rows, then a note.
X, TOP, CW, RH = 60.0, 120.0, 110.0, 24.0  # table left, table top (top-left coords), column width, row height


def form_page(c: canvas.Canvas, borders: str = "lines") -> None:
    write(c, W / 2, H - 60, "项目支出绩效自评表", 16, centred=True)
    write(c, W / 2, H - 85, "（2023年度）", 10, centred=True)

    def hline(x0: float, x1: float, y: float) -> None:
        if borders == "rects":  # how Excel/WPS exports draw borders
            c.rect(x0, H - y - 0.3, x1 - x0, 0.6, stroke=0, fill=1)
        else:
            c.line(x0, H - y, x1, H - y)

    def vline(x: float, y0: float, y1: float) -> None:
        if borders == "rects":
            c.rect(x - 0.3, H - y1, 0.6, y1 - y0, stroke=0, fill=1)
        else:
            c.line(x, H - y0, x, H - y1)

    xs = [X + k * CW for k in range(5)]
    ys = [TOP + r * RH for r in range(5)]
    for r, y in enumerate(ys):
        if r == 2:  # (1,0) spans rows 1-2: no line under it in column 0
            hline(xs[1], xs[4], y)
        else:
            hline(xs[0], xs[4], y)
    for k, x in enumerate(xs):
        if k == 1:  # (0,0) spans columns 0-1: no line between them in row 0
            vline(x, ys[1], ys[4])
        else:
            vline(x, ys[0], ys[4])

    def cell(r: int, k: int, text: str) -> None:
        write(c, xs[k] + 4, H - (ys[r] + 16), text)

    cell(0, 0, "项目名称")
    cell(0, 2, "杰出人才奖励经费")
    cell(0, 3, "主管部门")
    cell(1, 0, "项目资金")
    cell(1, 1, "年初预算数")
    cell(1, 2, "全年执行数")
    cell(1, 3, "得分")
    cell(2, 1, "1,563.92")
    cell(2, 2, "1000.0")
    cell(2, 3, "10")
    # two lines in one cell
    write(c, xs[0] + 4, H - (ys[3] + 10), "完成杰出人才", 8)
    write(c, xs[0] + 4, H - (ys[3] + 20), "评选10名", 8)
    cell(3, 3, "优")
    write(c, X, H - (ys[4] + 20), "注：总分100=绩效指标90分+资金执行情况10分", 9)


@needs_font
def test_table_with_merged_cells_and_title(tmp_path: Path) -> None:
    pages = load(make_pdf(tmp_path / "form.pdf", form_page))
    assert len(pages) == 1
    page = pages[0]
    assert page.errors == []
    assert (page.width, page.height) == (W, H)
    assert len(page.grids) == 1
    grid = page.grids[0]
    assert (grid.page, grid.n_rows, grid.n_cols) == (1, 4, 4)
    cells = {(c.row, c.col): c for c in grid.cells}
    assert len(cells) == 14  # 16 slots, two of them covered by spans
    assert (cells[0, 0].rowspan, cells[0, 0].colspan) == (1, 2)
    assert (cells[1, 0].rowspan, cells[1, 0].colspan) == (2, 1)
    assert (0, 1) not in cells and (2, 0) not in cells
    texts = {k: c.text for k, c in cells.items()}
    assert texts[0, 0] == "项目名称"
    assert texts[0, 2] == "杰出人才奖励经费"
    assert texts[1, 0] == "项目资金"
    assert texts[2, 1] == "1,563.92"
    assert texts[2, 2] == "1000.0"
    assert texts[3, 0] == "完成杰出人才评选10名"
    assert texts[3, 3] == "优"
    assert texts[3, 1] == ""
    assert all(c.confidence == 1.0 for c in grid.cells)
    # boxes where they were drawn, in points from the top-left
    assert cells[0, 0].bbox == pytest.approx((X, TOP, X + 2 * CW, TOP + RH), abs=1.0)
    assert cells[1, 0].bbox == pytest.approx((X, TOP + RH, X + CW, TOP + 3 * RH), abs=1.0)
    assert grid.bbox == pytest.approx((X, TOP, X + 4 * CW, TOP + 4 * RH), abs=1.0)
    # the title and year line come before the grid, the note after
    assert [ln.text for ln in page.lines] == ["项目支出绩效自评表", "（2023年度）", "注：总分100=绩效指标90分+资金执行情况10分"]
    title, year, note = page.lines
    assert title.order < year.order < grid.order < note.order
    assert title.bbox[1] == pytest.approx(60 - 16, abs=4) and title.bbox[0] < W / 2 < title.bbox[2]
    # spans and segments are kept for later stages
    assert any(s.text == "杰出人才奖励经费" for s in page.spans)
    assert len(page.segments) >= 10
    assert input_kind(pages) == "pdf-text"


@needs_font
def test_thin_filled_rects_are_borders(tmp_path: Path) -> None:
    page = load(make_pdf(tmp_path / "rects.pdf", lambda c: form_page(c, borders="rects")))[0]
    assert len(page.grids) == 1
    grid = page.grids[0]
    assert (grid.n_rows, grid.n_cols, len(grid.cells)) == (4, 4, 14)
    assert {(c.row, c.col): c.text for c in grid.cells}[2, 1] == "1,563.92"


@needs_font
def test_two_tables_and_a_form_xobject(tmp_path: Path) -> None:
    def draw(c: canvas.Canvas) -> None:
        def table(x0: float, ytop: float, texts: list[list[str]]) -> None:
            for r in range(len(texts) + 1):
                c.line(x0, ytop - r * 20, x0 + 100 * len(texts[0]), ytop - r * 20)
            for k in range(len(texts[0]) + 1):
                c.line(x0 + k * 100, ytop, x0 + k * 100, ytop - 20 * len(texts))
            c.setFont("CJK", 10)
            for r, row in enumerate(texts):
                for k, t in enumerate(row):
                    c.drawString(x0 + k * 100 + 3, ytop - r * 20 - 14, t)

        table(50, H - 50, [["一级指标", "二级指标"], ["产出指标", "数量指标"]])
        c.beginForm("lower")  # a table inside a form XObject, placed with a translation and a scale
        table(0, 0, [["优", "良", "中"], ["差", "无", "有"]])
        c.endForm()
        c.saveState()
        c.translate(50, H - 300)
        c.scale(1.5, 1.5)
        c.doForm("lower")
        c.restoreState()

    page = load(make_pdf(tmp_path / "two.pdf", draw))[0]
    assert [(g.n_rows, g.n_cols) for g in page.grids] == [(2, 2), (2, 3)]
    assert page.grids[0].cells[2].text == "产出指标"
    lower = page.grids[1]
    assert lower.bbox == pytest.approx((50, 300, 50 + 450, 300 + 60), abs=1.0)
    assert [c.text for c in lower.cells] == ["优", "良", "中", "差", "无", "有"]


@needs_font
def test_rotated_page_reads_upright(tmp_path: Path) -> None:
    def draw(c: canvas.Canvas) -> None:
        c.setPageRotation(90)
        c.transform(0, 1, -1, 0, H, 0)  # content turned so the rotated page shows it upright
        c.setFont("CJK", 14)
        c.drawString(100, H - 40, "项目支出绩效自评表")
        for y in (60, 80, 100):
            c.line(50, H - y, 250, H - y)
        for x in (50, 150, 250):
            c.line(x, H - 60, x, H - 100)
        c.setFont("CJK", 10)
        c.drawString(53, H - 74, "项目名称")
        c.drawString(153, H - 94, "乙")

    page = load(make_pdf(tmp_path / "rot.pdf", draw))[0]
    assert [ln.text for ln in page.lines] == ["项目支出绩效自评表"]
    grid = page.grids[0]
    assert (grid.n_rows, grid.n_cols) == (2, 2)
    assert [c.text for c in grid.cells] == ["项目名称", "", "", "乙"]
    assert grid.cells[0].bbox == pytest.approx((50, 60, 150, 80), abs=1.0)


def test_fake_bold_and_text_run_across_a_ruling(tmp_path: Path) -> None:
    def draw(c: canvas.Canvas) -> None:
        for y in (100, 130):
            c.line(50, H - y, 250, H - y)
        for x in (50, 150, 250):
            c.line(x, H - 100, x, H - 130)
        c.setFont("Helvetica", 10)
        for dx in (0, 0.4):  # a "bold" label painted twice, a fraction of a point apart (PDFium drops it)
            c.drawString(54.8 + dx, H - 118 + dx / 2, "Total")
        # one run of glyphs with no space that crosses the column line at x=150
        start = 150 - pdfmetrics.stringWidth("ABC", "Helvetica", 10)
        c.drawString(start, H - 118 - 0.1, "ABCDEF")

    page = load(make_pdf(tmp_path / "bold.pdf", draw))[0]
    texts = [c.text for c in page.grids[0].cells]
    assert texts == ["Total ABC", "DEF"]


# ---- pages that need OCR ------------------------------------------------------------------------

def lines_only(c: canvas.Canvas) -> None:
    for y in (100, 200, 300):
        c.line(50, y, 500, y)
    for x in (50, 500):
        c.line(x, 100, x, 300)


def image_only(c: canvas.Canvas) -> None:
    from PIL import Image

    img = Image.new("L", (200, 280), 255)
    for x in range(20, 180):
        img.putpixel((x, 40), 0)
    c.drawImage(ImageReader(img), 0, 0, W, H)


@pytest.mark.parametrize("draw", [lines_only, image_only], ids=["only-lines", "only-image"])
def test_page_without_text_needs_ocr(tmp_path: Path, draw: Callable[[canvas.Canvas], None]) -> None:
    pages = load(make_pdf(tmp_path / "scan.pdf", draw))
    [err] = pages[0].errors
    assert err.code == "NEEDS_OCR" and err.page == 1
    assert err.message == "page 1 has no text layer: scanned page, needs OCR"
    assert pages[0].grids == [] and pages[0].lines == [] and pages[0].spans is None
    assert input_kind(pages) == "pdf-scan"
    assert PdfBackend.input_kind(pages) == "pdf-scan"


def test_scanner_stamp_over_a_page_image_still_needs_ocr(tmp_path: Path) -> None:
    def draw(c: canvas.Canvas) -> None:
        image_only(c)
        c.setFont("Helvetica", 8)
        c.drawString(500, 20, "p. 3")

    page = load(make_pdf(tmp_path / "stamp.pdf", draw))[0]
    assert [e.code for e in page.errors] == ["NEEDS_OCR"]


@needs_font
def test_mixed_document_is_pdf_text_with_the_scanned_page_flagged(tmp_path: Path) -> None:
    pages = load(make_pdf(tmp_path / "mixed.pdf", form_page, image_only, form_page))
    assert [[e.code for e in p.errors] for p in pages] == [[], ["NEEDS_OCR"], []]
    assert "page 2 " in pages[1].errors[0].message
    assert len(pages[2].grids) == 1 and pages[2].grids[0].page == 3
    assert input_kind(pages) == "pdf-text"


@needs_font
def test_glyphs_without_unicode_mapping_need_ocr(tmp_path: Path) -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    c.setFont("CJK", 12)
    c.drawString(100, 700, "项目支出绩效自评表项目名称主管部门")
    c.save()
    # blank out the ToUnicode reference with same-length padding so the xref stays valid
    data = re.sub(rb"/ToUnicode \d+ 0 R", lambda m: b" " * len(m.group()), buf.getvalue())
    path = tmp_path / "nomap.pdf"
    path.write_bytes(data)
    [err] = load(path)[0].errors
    assert err.code == "NEEDS_OCR" and "Unicode" in err.message


# ---- bad input ----------------------------------------------------------------------------------

def hello(c: canvas.Canvas) -> None:
    c.setFont("Helvetica", 12)
    c.drawString(100, 700, "hello")


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "enc.pdf", hello, encrypt="secret")
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.code == "ENCRYPTED" and "password" in info.value.message


def test_owner_password_only_pdf_is_read(tmp_path: Path) -> None:
    enc = pdfencrypt.StandardEncryption("", ownerPassword="owner", canPrint=0, canCopy=0)
    page = load(make_pdf(tmp_path / "owner.pdf", hello, encrypt=enc))[0]
    assert page.errors == [] and [ln.text for ln in page.lines] == ["hello"]


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.97])
def test_truncated_pdf(tmp_path: Path, keep: float) -> None:
    data = make_pdf(tmp_path / "ok.pdf", hello, hello).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.code == "CORRUPT_FILE"
    assert "\n" not in info.value.message and "truncated" in info.value.message


def test_garbage_after_pdf_header(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.code == "CORRUPT_FILE"


def test_pdf_without_pages(tmp_path: Path) -> None:
    import pypdfium2

    path = tmp_path / "empty.pdf"
    doc = pypdfium2.PdfDocument.new()
    doc.save(str(path))
    doc.close()
    with pytest.raises(InputError) as info:
        load(path)
    # PDFium itself refuses a document without pages; either way nothing is returned
    assert info.value.code in ("EMPTY_FILE", "CORRUPT_FILE")


def test_missing_eof_marker_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "ok.pdf", hello).read_bytes()
    path = tmp_path / "noeof.pdf"
    path.write_bytes(data[: data.rindex(b"%%EOF")])
    page = load(path)[0]
    assert [ln.text for ln in page.lines] == ["hello"]
    assert [e.code for e in page.errors] == ["TRUNCATED_FILE"]


def test_one_bad_page_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_pdf(tmp_path / "three.pdf", hello, hello, hello)
    real = pdf_backend._read_chars
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("broken content stream")
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf_backend, "_read_chars", flaky)
    pages = load(path)
    assert [p.number for p in pages] == [1, 2, 3]
    assert [[e.code for e in p.errors] for p in pages] == [[], ["UNREADABLE_PAGE"], []]
    assert "page 2" in pages[1].errors[0].message and pages[1].errors[0].page == 2
    assert pages[1].grids == [] and pages[1].lines == []
    assert [ln.text for ln in pages[2].lines] == ["hello"]


def test_registered_and_detected(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "中文文件名.pdf", hello)
    assert isinstance(BACKENDS["pdf"], PdfBackend) and BACKENDS["pdf"].kind == "pdf"
    assert detect_kind(path) == "pdf"
    assert [ln.text for ln in BACKENDS["pdf"].load(path)[0].lines] == ["hello"]


# ---- work ---------------------------------------------------------------------------------------

@needs_font
def test_a_dense_page_takes_work_linear_in_its_cells(tmp_path: Path) -> None:
    """A guard against accidental quadratic paths (text to cells, rulings to intersections), in
    calls, not seconds: bench/extract_bench.py measures the speed (goal ≥ 20 pages/s)."""

    def dense(rows: int) -> Callable[[canvas.Canvas], None]:
        def draw(c: canvas.Canvas) -> None:
            cols, cw, rh = 9, (W - 60) / 9, 18
            for r in range(rows + 1):
                c.line(30, H - 60 - r * rh, 30 + cols * cw, H - 60 - r * rh)
            for k in range(cols + 1):
                c.line(30 + k * cw, H - 60, 30 + k * cw, H - 60 - rows * rh)
            c.setFont("CJK", 7)
            for r in range(rows):
                for k in range(cols):
                    c.drawString(32 + k * cw, H - 60 - r * rh - 12, "数量指标达成率")
        return draw

    work = {}
    for rows in (10, 40):
        path = make_pdf(tmp_path / f"dense{rows}.pdf", dense(rows))
        work[rows] = calls(lambda: load(path))
        page, = load(path)
        assert len(page.grids) == 1 and len(page.grids[0].cells) == rows * 9
        assert page.grids[0].cells[rows * 9 - 1].text == "数量指标达成率"
    assert work[40] < 4 * 1.5 * work[10], work  # 4× the cells; quadratic would be 16×
