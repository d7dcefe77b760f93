"""Text-layer PDF of forms, like a department's "export to PDF" from Excel/WPS.

A4 portrait; each form starts on a fresh page; a form taller than a page continues on the next,
repeating the indicator header row. Every cell is ruled with vector lines and its text is real
text in an embedded TrueType font, so the PDF backend can read both the ruling and the words.

Droid Sans Fallback has the Chinese glyphs but no ASCII at all (it is a fallback font), so
characters it lacks (digits, Latin, ≥, %) are drawn in DejaVu Sans; both fonts are embedded.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, Union

from extractor.forms import Form
from extractor.model import Cell, Grid, TextLine
from samples.layout import Block, column_weights, form_to_blocks

PathLike = Union[str, Path]

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
FONT_ENV = "FORMAUDIT_CJK_FONT"
FONT_PACKAGE = "fonts-droid-fallback"
DEFAULT_LATIN_FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LATIN_FONT_ENV = "FORMAUDIT_LATIN_FONT"
LATIN_FONT_PACKAGE = "fonts-dejavu-core"


class FontMissingError(RuntimeError):
    """A TrueType font the PDF writer embeds is not installed or not usable."""


_REGISTERED: dict[str, tuple[str, frozenset[int]]] = {}


def _register(path: Path, env: str, package: str, what: str) -> tuple[str, frozenset[int]]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    key = str(path)
    if key in _REGISTERED:
        return _REGISTERED[key]
    if not path.is_file():
        raise FontMissingError(
            f"{what} TrueType font not found at {path}: install it with `apt-get install -y {package}`, "
            f"or point {env} at another .ttf file")
    name = f"FormauditFont{len(_REGISTERED)}"
    try:
        font = TTFont(name, key)
    except Exception as exc:  # reportlab's TTFError for a non-TrueType or unembeddable font
        raise FontMissingError(f"cannot embed {path} as a TrueType font: {exc}") from exc
    pdfmetrics.registerFont(font)
    _REGISTERED[key] = (name, frozenset(font.face.charToGlyph))
    return _REGISTERED[key]


class FontSet:
    """The CJK font, plus a Latin font for what the CJK font lacks; measures and draws mixed text."""

    def __init__(self, font_path: Optional[PathLike] = None, latin_font_path: Optional[PathLike] = None):
        cjk = Path(font_path or os.environ.get(FONT_ENV) or DEFAULT_FONT_PATH)
        self.cjk, self.cjk_chars = _register(cjk, FONT_ENV, FONT_PACKAGE, "CJK")
        self.latin: Optional[str] = None
        self.latin_chars: frozenset[int] = frozenset()
        if not all(ord(ch) in self.cjk_chars for ch in "0123456789.%-"):
            latin = Path(latin_font_path or os.environ.get(LATIN_FONT_ENV) or DEFAULT_LATIN_FONT_PATH)
            self.latin, self.latin_chars = _register(latin, LATIN_FONT_ENV, LATIN_FONT_PACKAGE, "Latin")
        self._widths: dict[str, tuple[str, float]] = {}

    def _glyph(self, ch: str) -> tuple[str, float]:
        hit = self._widths.get(ch)
        if hit is None:
            from reportlab.pdfbase import pdfmetrics

            code = ord(ch)
            font = self.cjk
            if code not in self.cjk_chars and self.latin and (code in self.latin_chars or code < 0x2E80):
                font = self.latin
            hit = self._widths[ch] = (font, pdfmetrics.stringWidth(ch, font, 1000.0) / 1000.0)
        return hit

    def width(self, text: str, size: float) -> float:
        return sum(self._glyph(ch)[1] for ch in text) * size

    def draw(self, canvas: Any, x: float, y: float, text: str, size: float, align: str = "left") -> None:
        if align == "center":
            x -= self.width(text, size) / 2
        runs: list[list[Any]] = []
        for ch in text:
            font, _ = self._glyph(ch)
            if runs and runs[-1][0] == font:
                runs[-1][1] += ch
            else:
                runs.append([font, ch])
        for font, run in runs:
            canvas.setFont(font, size)
            canvas.drawString(x, y, run)
            x += self.width(run, size)


_CLOSING = set("）)】」』》〉，,。.、；;：:！!？?%")
_TOKEN = re.compile(r"[A-Za-z0-9.,%+\-=≥≤<>()/:_~]+|\s+|.", re.S)


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Lines that fit `width`: CJK breaks between any two characters, ASCII runs ("1,563.92",
    "≥90(%)") only when a run alone is wider than the cell, so numbers stay readable."""
    out: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for tok in _TOKEN.findall(para):
            tw = measure(tok)
            if used + tw <= width or (tok in _CLOSING and line):
                # closing punctuation hangs past the edge rather than start a line (CJK usage)
                line, used = line + tok, used + tw
                continue
            if line.strip():
                out.append(line.rstrip())
            line, used = "", 0.0
            if tok.isspace():
                continue
            if tw <= width:
                line, used = tok, tw
                continue
            for ch in tok:
                cw = measure(ch)
                if used + cw > width and line:
                    out.append(line)
                    line, used = "", 0.0
                line, used = line + ch, used + cw
        out.append(line.rstrip())
    return out


MARGIN = 36.0
SIZE = 8.0
LEADING = 10.0
PAD = 3.0
MIN_ROW = 16.0


def write_pdf(forms: Sequence[Form], path: PathLike, font_path: Optional[PathLike] = None,
              latin_font_path: Optional[PathLike] = None) -> Path:
    """Draw `forms` to a PDF at `path`; raise `FontMissingError` naming the package to install."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    if not forms:
        raise ValueError("no forms to write")
    fonts = FontSet(font_path, latin_font_path)
    path = Path(path)
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setTitle("; ".join(getattr(f, "project", None) or f.title for f in forms)[:200])
    for index, form in enumerate(forms):
        if index:
            canvas.showPage()
        blocks = form_to_blocks(form)
        width = max((b.n_cols for b in blocks if isinstance(b, Grid)), default=1)
        _FormDrawer(canvas, fonts, *A4).draw(blocks, column_weights(form, width))
    canvas.save()
    return path


class _FormDrawer:
    """Draws one form's blocks top-down, starting new pages as the cursor runs out of room."""

    def __init__(self, canvas: Any, fonts: FontSet, page_w: float, page_h: float):
        self.c, self.fonts = canvas, fonts
        self.page_w, self.page_h = page_w, page_h
        self.top, self.bottom = MARGIN, page_h - MARGIN
        self.y = self.top  # cursor, measured from the top of the page

    def new_page(self) -> None:
        self.c.showPage()
        self.y = self.top

    def draw(self, blocks: Iterable[Block], weights: list[float]) -> None:
        for k, block in enumerate(blocks):
            if isinstance(block, TextLine):
                self.text_line(block.text, first=k == 0)
            else:
                self.grid(block, weights)

    def text_line(self, text: str, first: bool) -> None:
        size = 15.0 if first else 10.0
        height = size * 1.6
        if self.y + height > self.bottom:
            self.new_page()
        baseline = self.page_h - (self.y + height * 0.7)
        if first or text.startswith("("):
            self.fonts.draw(self.c, self.page_w / 2, baseline, text, size, align="center")
        else:
            self.fonts.draw(self.c, MARGIN, baseline, text, size)
        self.y += height

    def grid(self, grid: Grid, weights: list[float]) -> None:
        table_w = self.page_w - 2 * MARGIN
        xs = [MARGIN]
        for w in weights:
            xs.append(xs[-1] + w / sum(weights) * table_w)
        boxes = _with_blank_cells(grid)
        measure = lambda s: self.fonts.width(s, SIZE)  # noqa: E731
        lines = {id(b): wrap_text(b.text, xs[b.col + b.colspan] - xs[b.col] - 2 * PAD, measure) for b in boxes}
        heights = [MIN_ROW] * grid.n_rows
        for b in sorted(boxes, key=lambda b: b.rowspan):
            need = len(lines[id(b)]) * LEADING + 2 * PAD if b.text else 0.0
            have = sum(heights[b.row:b.row + b.rowspan])
            if need > have:  # a spanning cell grows the last row it covers
                heights[b.row + b.rowspan - 1] += need - have
        page_room = self.bottom - self.top
        heights = [min(h, page_room * 0.85) for h in heights]  # a row never outgrows a page: clip its text
        header = _repeat_header_row(grid)
        start = 0
        while start < grid.n_rows:
            repeat = header is not None and header < start
            avail = self.bottom - self.y - (heights[header] if repeat else 0.0)
            if heights[start] > avail and self.y > self.top:
                self.new_page()
                continue
            end, used = start, 0.0
            while end < grid.n_rows and (used + heights[end] <= avail or end == start):
                used += heights[end]
                end += 1
            if end < grid.n_rows and header is not None and end == header + 1 and header > start:
                end = header  # never leave the indicator header alone at the foot of a page
            shown = ([header] if repeat else []) + list(range(start, end))
            self._draw_rows(boxes, lines, shown, heights, xs)
            start = end
            if start < grid.n_rows:
                self.new_page()

    def _draw_rows(self, boxes: list[Cell], lines: dict[int, list[str]], shown: list[int],
                   heights: list[float], xs: list[float]) -> None:
        """Draw the grid rows `shown`, in that order. A spanning cell cut by a page break is drawn
        as a box over the rows it covers on this page, its text repeated, as printed forms do."""
        tops: dict[int, float] = {}
        y = self.y
        for r in shown:
            tops[r] = y
            y += heights[r]
        segments: set[tuple[float, ...]] = set()
        for b in boxes:
            covered = [r for r in shown if b.row <= r < b.row + b.rowspan]
            if not covered:
                continue
            x0, x1 = xs[b.col], xs[b.col + b.colspan]
            y0, y1 = tops[covered[0]], tops[covered[-1]] + heights[covered[-1]]
            for seg in ((x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)):
                segments.add(tuple(round(v, 2) for v in seg))
            text_lines = lines[id(b)][:max(0, int((y1 - y0 - 2 * PAD) // LEADING))]
            first_base = y0 + (y1 - y0 - len(text_lines) * LEADING) / 2 + LEADING * 0.78
            for i, text in enumerate(text_lines):
                base = self.page_h - (first_base + i * LEADING)
                # a hanging "）" can make a line wider than the cell: then it starts at the left pad
                if len(text_lines) == 1 and self.fonts.width(text, SIZE) <= x1 - x0 - 2 * PAD:
                    self.fonts.draw(self.c, (x0 + x1) / 2, base, text, SIZE, align="center")
                else:
                    self.fonts.draw(self.c, x0 + PAD, base, text, SIZE)
        self.c.setLineWidth(0.6)
        self.c.lines([(x0, self.page_h - y0, x1, self.page_h - y1) for x0, y0, x1, y1 in sorted(segments)])
        self.y = y


def _with_blank_cells(grid: Grid) -> list[Cell]:
    """The grid's cells plus a 1×1 blank cell at every uncovered position, so every cell is ruled."""
    covered = [[False] * grid.n_cols for _ in range(grid.n_rows)]
    for c in grid.cells:
        for r in range(c.row, min(grid.n_rows, c.row + c.rowspan)):
            for k in range(c.col, min(grid.n_cols, c.col + c.colspan)):
                covered[r][k] = True
    blanks = [Cell(row=r, col=k, text="") for r in range(grid.n_rows) for k in range(grid.n_cols)
              if not covered[r][k]]
    return list(grid.cells) + blanks


def _repeat_header_row(grid: Grid) -> Optional[int]:
    """The row a continuation page repeats: the indicator header, or a list table's column header."""
    for row in grid.rows():
        texts = {c.text for c in row}
        if "一级指标" in texts or "序号" in texts:
            return row[0].row if row else None
    return None
