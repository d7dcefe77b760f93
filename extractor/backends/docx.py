"""The .docx backend: the whole document is one page; body paragraphs and tables in body order.

Tables are read from the XML rather than python-docx's cell objects, because python-docx repeats
the same merged cell at every grid position it covers: the spans come from w:gridSpan (horizontal)
and w:vMerge (vertical) on the w:tc elements.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

from extractor.backends import register
from extractor.backends.office import check_office_container, one_line
from extractor.model import Cell, Grid, InputError, Page, TextLine

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _R = W + "p", W + "tbl", W + "tr", W + "tc", W + "r"
_VAL = W + "val"
# Wrappers whose content counts as if it stood in their place (content controls, custom XML,
# tracked insertions, hyperlinks, smart tags, simple fields)
_TRANSPARENT = {W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "hyperlink",
                W + "smartTag", W + "fldSimple", W + "moveTo"}


class DocxBackend:
    kind = "docx"

    def load(self, path: Path) -> list[Page]:
        import docx  # imported here so that other backends work without python-docx

        path = Path(path)
        check_office_container(path, ".docx", "word/document.xml")
        try:
            document = docx.Document(str(path))
        except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, …
            raise InputError("CORRUPT_FILE", f"cannot read the document: {one_line(exc)}") from exc
        lines, grids = read_body(document.element.body)
        if not lines and not grids:
            raise InputError("NO_CONTENT", "the document has no text and no tables")
        return [Page(number=1, lines=lines, grids=grids)]


def read_body(body: Any, page: int = 1) -> tuple[list[TextLine], list[Grid]]:
    lines: list[TextLine] = []
    grids: list[Grid] = []
    order = 0
    for el in _children(body, (_P, _TBL)):
        if el.tag == _P:
            text = paragraph_text(el).strip()
            if text:
                lines.append(TextLine(text=text, order=float(order)))
                order += 1
        else:
            grid = table_grid(el, page)
            grid.order = float(order)
            grids.append(grid)
            order += 1
    return lines, grids


def _children(parent: Any, tags: tuple[str, ...]) -> Iterator[Any]:
    """Child elements with one of `tags`, looking through content controls and similar wrappers."""
    for el in parent.iterchildren():
        if el.tag in tags:
            yield el
        elif el.tag in _TRANSPARENT:
            yield from _children(el, tags)


def paragraph_text(p: Any) -> str:
    """Text of the runs, as Word shows it; deleted revisions and text-box content left out."""
    parts: list[str] = []
    for r in _children(p, (_R,)):
        for el in r.iterchildren():
            tag = el.tag
            if tag == W + "t":
                parts.append(el.text or "")
            elif tag in (W + "tab", W + "ptab"):
                parts.append("\t")
            elif tag == W + "cr":
                parts.append("\n")
            elif tag == W + "br":
                # page and column breaks end a page, not a line of text
                if el.get(W + "type") in (None, "textWrapping"):
                    parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
    return "".join(parts)


def cell_text(tc: Any) -> str:
    """Paragraphs joined with newlines; a nested table contributes its cells' text in order."""
    out: list[str] = []
    for el in _children(tc, (_P, _TBL)):
        if el.tag == _P:
            out.append(paragraph_text(el))
        else:
            for tr in _children(el, (_TR,)):
                for inner in _children(tr, (_TC,)):
                    text = cell_text(inner)
                    if text:
                        out.append(text)
    return "\n".join(out).strip()


def _int_val(el: Optional[Any], default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(_VAL))
    except (TypeError, ValueError):
        return default


def table_grid(tbl: Any, page: int = 1) -> Grid:
    cells: list[Cell] = []
    open_v: dict[int, Cell] = {}   # grid column → cell a vMerge may still extend downwards
    n_cols = 0
    rows = list(_children(tbl, (_TR,)))
    for r, tr in enumerate(rows):
        trpr = tr.find(W + "trPr")
        col = _int_val(None if trpr is None else trpr.find(W + "gridBefore"), 0)
        last: Optional[Cell] = None
        for tc in _children(tr, (_TC,)):
            tcpr = tc.find(W + "tcPr")
            span = max(1, _int_val(None if tcpr is None else tcpr.find(W + "gridSpan"), 1))
            vmerge = None if tcpr is None else tcpr.find(W + "vMerge")
            hmerge = None if tcpr is None else tcpr.find(W + "hMerge")
            if vmerge is not None and vmerge.get(_VAL) != "restart" and col in open_v:
                above = open_v[col]
                above.rowspan = r - above.row + 1
                col += span
                last = None
                continue
            if hmerge is not None and hmerge.get(_VAL) != "restart" and last is not None:
                # legacy horizontal merge: this cell widens the one to its left
                last.colspan += span
                col += span
                continue
            cell = Cell(row=r, col=col, text=cell_text(tc), colspan=span, bbox=None, confidence=1.0)
            cells.append(cell)
            for c in range(col, col + span):
                open_v.pop(c, None)
            if vmerge is not None:
                open_v[col] = cell
            last = cell
            col += span
        n_cols = max(n_cols, col)
    cells = [c for c in cells if c.text]
    for c in cells:
        n_cols = max(n_cols, c.col + c.colspan)
    return Grid(page=page, cells=cells, n_rows=len(rows), n_cols=n_cols, bbox=None)


BACKEND = register(DocxBackend())
