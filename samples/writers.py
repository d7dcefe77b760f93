"""Draw forms to .xlsx, .docx and text-layer PDF, from the canonical blocks of `samples.layout`.

These files stand in for what departments really send (Excel/WPS exports), so each writer keeps
the printed look: merged cells are real merges, every cell is ruled, titles sit above the table.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence, Union

from extractor.forms import Form
from extractor.model import Grid, TextLine
from samples.layout import Block, column_weights, form_to_blocks
from samples.pdfwriter import FontMissingError, write_pdf

__all__ = ["FontMissingError", "WRITERS", "typed_value", "write_docx", "write_pdf", "write_xlsx"]

PathLike = Union[str, Path]

_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,11})(?:\.(\d{1,6}))?")
_GROUPED_NUMBER = re.compile(r"-?[1-9]\d{0,2}(?:,\d{3})+(?:\.(\d{1,6}))?")
_PERCENT = re.compile(r"-?(?:0|[1-9]\d{0,5})(?:\.(\d{1,4}))?%")


def _is_wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _visual_len(text: str) -> int:
    return sum(2 if _is_wide(ch) else 1 for ch in text)


def _blocks(form: Form) -> tuple[list[Block], int, list[float]]:
    blocks = form_to_blocks(form)
    width = max((b.n_cols for b in blocks if isinstance(b, Grid)), default=1)
    return blocks, width, column_weights(form, width)


# --------------------------------------------------------------------------------------- xlsx

def typed_value(text: str) -> tuple[Union[str, int, float], str]:
    """A cell's text as Excel would hold it: numbers as numbers with a format printing the same text.

    Storing real numbers (not strings) is what Excel exports look like, and it makes the xlsx
    backend's number-format rendering part of every round trip.
    """
    m = _PLAIN_NUMBER.fullmatch(text)
    if m:
        if m.group(1) is None:
            return int(text), "General"
        return float(text), "0." + "0" * len(m.group(1))
    m = _GROUPED_NUMBER.fullmatch(text)
    if m:
        decimals = m.group(1)
        return float(text.replace(",", "")), "#,##0" + ("." + "0" * len(decimals) if decimals else "")
    m = _PERCENT.fullmatch(text)
    if m:
        decimals = m.group(1)
        value = float(text[:-1]) / 100
        return value, "0" + ("." + "0" * len(decimals) if decimals else "") + "%"
    return text, "General"


def _sheet_title(form: Form, index: int, used: set[str]) -> str:
    label = {"self_evaluation": "自评表", "summary": "汇总表", "targets": "目标表"}.get(form.kind, "表")
    name = getattr(form, "project", None) or ""
    title = re.sub(r"[\[\]:*?/\\]", "", f"{index}-{label}-{name}" if name else f"{index}-{label}")[:31]
    while title in used:
        title = f"{title[:28]}~{len(used)}"
    used.add(title)
    return title


def write_xlsx(forms: Sequence[Form], path: PathLike) -> Path:
    """One worksheet per form: title rows merged across the table, then the ruled grid."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    if not forms:
        raise ValueError("no forms to write")
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap_left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for index, form in enumerate(forms, start=1):
        ws = wb.create_sheet(_sheet_title(form, index, used))
        blocks, width, weights = _blocks(form)
        chars = [w / sum(weights) * 120 for w in weights]
        for c, w in enumerate(chars, start=1):
            ws.column_dimensions[get_column_letter(c)].width = w
        row = 1
        for k, block in enumerate(blocks):
            if isinstance(block, TextLine):
                cell = ws.cell(row=row, column=1, value=block.text)
                cell.font = Font(size=16 if k == 0 else 11, bold=k == 0)
                centered = k == 0 or block.text.startswith("(")
                cell.alignment = Alignment(horizontal="center" if centered else "left", vertical="center")
                if width > 1:
                    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
                ws.row_dimensions[row].height = 26 if k == 0 else 18
                row += 1
                continue
            for r in range(block.n_rows):
                for c in range(block.n_cols):
                    ws.cell(row=row + r, column=c + 1).border = border
            for gc in block.cells:
                cell = ws.cell(row=row + gc.row, column=gc.col + 1)
                cell.value, cell.number_format = typed_value(gc.text)
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a printed target "=100人", not a formula to evaluate
                cell.alignment = wrap_center if _visual_len(gc.text) <= 24 else wrap_left
                if gc.rowspan > 1 or gc.colspan > 1:
                    ws.merge_cells(start_row=row + gc.row, start_column=gc.col + 1,
                                   end_row=row + gc.row + gc.rowspan - 1, end_column=gc.col + gc.colspan)
            for r, lines in enumerate(_line_counts(block, chars)):
                ws.row_dimensions[row + r].height = max(18, 14 * lines + 4)
            row += block.n_rows
    path = Path(path)
    wb.save(path)
    return path


def _line_counts(grid: Grid, widths: list[float]) -> list[int]:
    """Rough wrapped line count per row, from single-row cells, so that the sheet opens readable."""
    counts = [1] * grid.n_rows
    for cell in grid.cells:
        if cell.rowspan == 1:
            avail = max(1.0, sum(widths[cell.col:cell.col + cell.colspan]) - 1)
            n = sum(max(1, math.ceil(_visual_len(p) / avail)) for p in cell.text.split("\n"))
            counts[cell.row] = max(counts[cell.row], n)
    return counts


# --------------------------------------------------------------------------------------- docx

def write_docx(forms: Sequence[Form], path: PathLike) -> Path:
    """Title paragraphs and a table with real gridSpan/vMerge merges per form, a page each."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt
    from docx.table import _Cell

    if not forms:
        raise ValueError("no forms to write")
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "SimSun", Pt(9)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    table_width = 18.0
    for index, form in enumerate(forms):
        blocks, width, weights = _blocks(form)
        col_cm = [w / sum(weights) * table_width for w in weights]
        for k, block in enumerate(blocks):
            if isinstance(block, TextLine):
                para = doc.add_paragraph()
                run = para.add_run(block.text)
                run.font.size = Pt(16 if k == 0 else 10.5)
                run.bold = k == 0
                centered = k == 0 or block.text.startswith("(")
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER if centered else WD_ALIGN_PARAGRAPH.LEFT
                # a page break property, not a break paragraph, so that no empty line is added
                para.paragraph_format.page_break_before = index > 0 and k == 0
                continue
            table = doc.add_table(rows=block.n_rows, cols=block.n_cols)
            table.style = "Table Grid"
            table.autofit = False
            for c, w in enumerate(col_cm):
                table.columns[c].width = Cm(w)
            # Cells are taken once, before any merge: table.cell() rescans the whole table per call
            # (quadratic), and a merge keeps each region's top-left cell, so the handles stay valid.
            grid_cells = [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
            # widths go on every cell before merging: merged cells then carry the summed width
            for row in grid_cells:
                for c, cell in enumerate(row):
                    cell.width = Cm(col_cm[c])
            for gc in block.cells:
                if gc.rowspan > 1 or gc.colspan > 1:
                    grid_cells[gc.row][gc.col].merge(
                        grid_cells[gc.row + gc.rowspan - 1][gc.col + gc.colspan - 1])
            for gc in block.cells:
                cell = grid_cells[gc.row][gc.col]
                parts = gc.text.split("\n")
                cell.paragraphs[0].text = parts[0]
                for extra in parts[1:]:
                    cell.add_paragraph(extra)
                align = WD_ALIGN_PARAGRAPH.CENTER if _visual_len(gc.text) <= 24 else WD_ALIGN_PARAGRAPH.LEFT
                for para in cell.paragraphs:
                    para.alignment = align
    path = Path(path)
    doc.save(str(path))
    return path


WRITERS = {"xlsx": write_xlsx, "docx": write_docx, "pdf": write_pdf}
