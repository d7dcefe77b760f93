"""OCR of a ruled form page, cell by cell: the ruling grid gives the boxes, projection profiles
give the text lines inside them, and only the recogniser runs (no text detector).

Why cell-wise, in numbers (ningbo-2023.pdf rendered at 200 dpi, one ORT thread, 2-core Xeon):
the full-page route (PP-OCRv4 det + rec, RapidOCR defaults) took 7.4 s a page, 880 MB, and got
231 of 239 numeric form fields right (its boxes run across rulings and overflowing text);
this route took 1.2 s, 175 MB, 239 of 239. Cutting the lines costs ~50 ms a page; the rest
is the recogniser, whose cost grows with the crop's width once scaled to the model's height,
faster than linearly past 320 px (its attention layers): long lines are cut between glyphs into
pieces of at most 320 and the pieces' texts joined.

Conventions:
- a span per visual line (pieces joined), in points; its text is the raw recogniser output;
- a cell's text joins its lines with extractor.textjoin (reading order, no space across CJK);
- a cell's confidence is the *minimum* of its lines' confidences, as geometry.assign_text does for
  text-layer spans: one misread line makes the whole cell wrong, and a mean would let a long
  well-read line hide it; an empty cell keeps 1.0 (nothing was recognised);
- cell texts are then normalised by shape only (confusions.fix_cell); the spans keep the raw text;
- a crop is its piece of the grey page scaled so its paper is white (`_on_white`): ink.py has
  already whitened rulings and dust, and a grey box pasted on white margins reads as strokes.
The page image must be upright and deskewed (extractor.scan.cleanup does that): a line is a
horizontal band of ink.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Sequence

import cv2
import numpy as np

from extractor.model import BBox, Cell, Grid, Page, Segment, Span
from extractor.ocr import OcrEngine, get_engine
from extractor.ocr.confusions import fix_cell
from extractor.scan.glyphs import fix_comparator, is_remnant, runs, symbol
from extractor.scan.ink import PageInk
from extractor.scan.raster import DEFAULT_DPI
from extractor.textjoin import is_cjk, join_lines

DEFAULT_LINE_PT = 9.0  # ink height of a body-text line when a page gives too little to measure
MERGE_SPAN = 1.4     # row runs that fit together within this many line heights are one line ...
MERGE_GAP = 0.5      # ... when the gap between them is under this many (split glyphs: 二, 三, 旦)
EDGE_PT = 8.5        # 3 mm: no printed text runs this close to a sheet's edge
TABLE_REACH_PT = 36  # text outside the tables lies within half an inch of their sides
SPLIT_GAP = 1.5      # outside the grid, a blank this many line heights wide separates two texts
PAD_X = 0.2          # crop margins, in line heights: like the detector's boxes beside the text,
PAD_Y = 0.35         # roomier above and below (the crop gets narrower once scaled to the model)
MIN_INK = 0.02       # a line needs this many line-heights² of ink pixels: less is dust
MAX_RATIO = 320 / 48  # the recogniser's native input: a wider piece costs more than linearly
EDGE_REACH = 1.0     # how far past a cell's edge (line heights) the rest of a cut glyph is looked for
EDGE_GAP = 0.3       # the most blank (ruling and margin) between a glyph's two parts
SYMBOL_CONFIDENCE = 0.99  # a symbol told by shape, not read: sure, but not text-layer sure
GLYPH_WIDTH = 1.1    # a CJK glyph's ink is about as wide as a line is high
PAPER_PERCENTILE = 90  # a line's pixels are mostly paper: this percentile of a piece is its paper
SPACE_GAP = 0.35     # a cut gap this many line heights wide between non-CJK text is a space


@dataclass
class LineCut:
    """A text line found in the image: its ink bounds (px) and the pieces sent to the recogniser,
    or, for a lone symbol, its text straight away."""

    owner: int                     # index of the box (cell or region) it was cut from
    box: tuple[int, int, int, int]  # x0, y0, x1, y1
    pieces: list[tuple[int, int]] = field(default_factory=list)  # x ranges, left to right
    symbol: Optional[str] = None   # a lone "—", "=", "≥"... told by shape (glyphs.py)


# ---- lines of ink ------------------------------------------------------------------------------

def row_runs(mask: np.ndarray, axis: int = 1) -> list[tuple[int, int]]:
    """Half-open runs of rows (axis=1) or columns (axis=0) holding any ink."""
    return runs(mask.any(axis=axis))


def merge_runs(runs: Sequence[tuple[int, int]], line_h: float) -> list[tuple[int, int]]:
    """Row runs → text lines: runs that together stay about one line high belong to one line
    (a glyph made of separate strokes, a dash beside digits); two real lines are ~2 heights."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and b - out[-1][0] <= MERGE_SPAN * line_h and a - out[-1][1] < MERGE_GAP * line_h:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def line_height(ink: np.ndarray, boxes: Sequence[tuple[int, int, int, int]], dpi: float) -> float:
    """The page's typical text-line height (px): the median height of ink row runs in the boxes,
    counting only runs at least 40 % of the tall ones (dashes and dots would pull it down)."""
    heights = [b - a for x0, y0, x1, y1 in boxes for a, b in row_runs(ink[y0:y1, x0:x1])]
    fallback = DEFAULT_LINE_PT * dpi / 72.0
    if len(heights) < 3:
        return fallback
    arr = np.array(heights, dtype=float)
    tall = arr[arr >= 0.4 * np.percentile(arr, 90)]
    return float(np.median(tall)) if tall.size else fallback


# ---- cutting ------------------------------------------------------------------------------------

def cut_lines(ink: np.ndarray, boxes: Sequence[tuple[int, int, int, int]], line_h: float,
              split_gap: Optional[float] = None, gray: Optional[np.ndarray] = None) -> list[LineCut]:
    """Text lines in each box (px, x0 y0 x1 y1): bands of ink rows, tightened to their ink.
    In cells (`split_gap` None) a sliver at the box's edge is dropped (see `_trim_edges`); for
    free text a band is split where a blank `split_gap` line heights wide runs down it. `gray`,
    the page the ink was taken from, lets a lone symbol be told by its shades (glyphs.symbol)."""
    min_ink = max(4, int(MIN_INK * line_h * line_h))
    out: list[LineCut] = []
    for owner, (x0, y0, x1, y1) in enumerate(boxes):
        sub = ink[y0:y1, x0:x1]
        for a, b in merge_runs(row_runs(sub), line_h):
            band = sub[a:b]
            cols = row_runs(band, axis=0)
            if split_gap is None:
                cols = _trim_edges(cols, ink, (x0, y0, x1, y1), (y0 + a, y0 + b), line_h)
            for left, right in _split(cols, split_gap * line_h if split_gap else None):
                piece = band[:, left:right]
                if int(piece.sum()) < min_ink:
                    continue
                rows = row_runs(piece)
                top, bottom = rows[0][0], rows[-1][1]
                if is_remnant(piece[top:bottom], line_h):
                    continue
                cut = LineCut(owner, (x0 + left, y0 + a + top, x0 + right, y0 + a + bottom))
                bx0, by0, bx1, by1 = cut.box
                cut.symbol = symbol(piece[top:bottom], line_h, None if gray is None else gray[by0:by1, bx0:bx1])
                if cut.symbol is None:
                    cut.pieces = _pieces(cut, [(x0 + c0, x0 + c1) for c0, c1 in cols if c0 >= left and c1 <= right],
                                         line_h)
                out.append(cut)
    return out


def _trim_edges(cols: list[tuple[int, int]], ink: np.ndarray, box: tuple[int, int, int, int],
                rows: tuple[int, int], line_h: float) -> list[tuple[int, int]]:
    """Drop a run of ink columns at the box's edge when it is the smaller part of a glyph cut by
    the ruling: text overflowing from the next cell. That is the text layer's rule too (a glyph
    belongs to the cell holding its centre); otherwise the recogniser reads the sliver of "）"
    as "：" or "，". A glyph that only touches the border has no part beyond it and stays."""
    x0, _, x1, _ = box
    reach = int(EDGE_REACH * line_h)
    band = ink[rows[0]:rows[1]]
    if cols and cols[0][0] <= 1:
        outside = row_runs(band[:, max(0, x0 - reach):x0], axis=0)
        if outside and outside[-1][1] >= reach - EDGE_GAP * line_h and \
                outside[-1][1] - outside[-1][0] > cols[0][1] - cols[0][0]:
            cols = cols[1:]
    if cols and cols[-1][1] >= x1 - x0 - 1:
        outside = row_runs(band[:, x1:x1 + reach], axis=0)
        if outside and outside[0][0] <= EDGE_GAP * line_h and \
                outside[0][1] - outside[0][0] > cols[-1][1] - cols[-1][0]:
            cols = cols[:-1]
    return cols


def _split(cols: list[tuple[int, int]], gap: Optional[float]) -> list[tuple[int, int]]:
    if not cols:
        return []
    if gap is None:
        return [(cols[0][0], cols[-1][1])]
    groups = [[cols[0]]]
    for c in cols[1:]:
        if c[0] - groups[-1][-1][1] > gap:
            groups.append([c])
        else:
            groups[-1].append(c)
    return [(g[0][0], g[-1][1]) for g in groups]


def _crop_height(cut: LineCut, line_h: float) -> float:
    return max(cut.box[3] - cut.box[1], 0.8 * line_h) + 2 * PAD_Y * line_h


def _pieces(cut: LineCut, cols: list[tuple[int, int]], line_h: float) -> list[tuple[int, int]]:
    """The line's x range cut into pieces the recogniser reads at ≤ 48×320, each cut at the
    widest blank between two glyphs in the far half of the allowed width (so pieces stay long)."""
    limit = MAX_RATIO * _crop_height(cut, line_h) - 2 * PAD_X * line_h
    start, end = cut.box[0], cut.box[2]
    boxes = _glyph_boxes(cols, line_h)
    gaps = [(a[1], b[0]) for a, b in zip(boxes, boxes[1:])]
    pieces = []
    while end - start > limit:
        inside = [g for g in gaps if g[0] > start and g[1] <= start + limit]
        far = [g for g in inside if g[0] >= start + limit / 2] or inside
        if far:
            g = max(far, key=lambda g: (g[1] - g[0], g[0]))
            pieces.append((start, g[0]))
            start = g[1]
        else:  # no blank column at all: cut blind rather than feed a huge crop
            pieces.append((start, int(start + limit)))
            start = int(start + limit)
    pieces.append((start, end))
    return pieces


def _glyph_boxes(cols: list[tuple[int, int]], line_h: float) -> list[tuple[int, int]]:
    """Runs of inked columns grouped into boxes no wider than a CJK glyph. Many glyphs are
    several runs side by side (引 = 弓 + 丨, 训 = 讠 + 川): a cut between two of their runs
    hands the recogniser a stray stroke, which it reads as "1" or "|". Grouping also keeps
    narrow neighbours such as "13" together, which costs nothing: the next gap serves."""
    out: list[tuple[int, int]] = []
    for a, b in cols:
        if out and b - out[-1][0] <= GLYPH_WIDTH * line_h:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def crops(gray: np.ndarray, cuts: Sequence[LineCut], line_h: float) -> list[np.ndarray]:
    """A crop per piece: its ink on white paper with margins, nothing else. Copying only the
    piece's own rows and columns keeps out the edge of a neighbouring glyph (a gap between two
    digits is narrower than the margin, and the recogniser reads such a sliver as "1") and the
    lines above and below. No wider white margins: the recogniser invents glyphs in blank
    paper (a "10" crop on 3 line heights of white read "10個")."""
    out = []
    pad_x = int(round(PAD_X * line_h))
    for cut in cuts:
        h = int(round(_crop_height(cut, line_h)))
        y0, y1 = cut.box[1], cut.box[3]
        top = (h - (y1 - y0)) // 2
        for left, right in cut.pieces:
            canvas = np.full((h, right - left + 2 * pad_x), 255, np.uint8)
            canvas[top:top + y1 - y0, pad_x:pad_x + right - left] = _on_white(gray[y0:y1, left:right])
            out.append(canvas)
    return out


def _on_white(piece: np.ndarray) -> np.ndarray:
    """The piece scaled so its paper is white like the margins around it: on grey or tinted
    paper the pasted piece would otherwise stand out as a box, whose edges the recogniser reads
    as strokes ("5" as "S", a blank run as "→"). Dark ink stays dark."""
    paper = float(np.percentile(piece, PAPER_PERCENTILE))
    if paper >= 250 or paper < 128:
        return piece
    return cv2.convertScaleAbs(piece, alpha=255.0 / paper)


# ---- recognising --------------------------------------------------------------------------------

def recognise(engine: OcrEngine, ink: PageInk, cuts: Sequence[LineCut], line_h: float) -> list[Span]:
    """One recogniser call for all pieces; a span per cut (pieces joined), in points, in the
    order of `cuts`. A line read as nothing keeps its empty text and its confidence."""
    return recognise_groups(engine, ink, [(list(cuts), line_h)])[0]


def recognise_groups(engine: OcrEngine, ink: PageInk, groups: Sequence[tuple[list[LineCut], float]]
                     ) -> list[list[Span]]:
    """`recognise` for several groups of cuts (each with its own line height) in ONE recogniser
    call: the recogniser's threads then never wait between a page's cells and its free text."""
    results = iter(engine.read_lines([c for cuts, line_h in groups for c in crops(ink.gray, cuts, line_h)]))
    return [_spans(ink, cuts, line_h, results) for cuts, line_h in groups]


def _spans(ink: PageInk, cuts: Sequence[LineCut], line_h: float, results: Iterator[tuple[str, float]]) -> list[Span]:
    scale = 72.0 / ink.dpi
    spans: list[Span] = []
    for cut in cuts:
        x0, y0, x1, y1 = cut.box
        if cut.symbol is not None:
            text, conf = cut.symbol, SYMBOL_CONFIDENCE
        else:
            got = [next(results) for _ in cut.pieces]
            text = fix_comparator(_join_pieces(cut.pieces, [t for t, _ in got], line_h), ink.text[y0:y1, x0:x1])
            conf = min(c for _, c in got)
        spans.append(Span(text, tuple(v * scale for v in cut.box), conf))  # type: ignore[arg-type]
    return spans


def _join_pieces(pieces: list[tuple[int, int]], texts: list[str], line_h: float) -> str:
    out = texts[0]
    for (_, prev_end), (start, _), text in zip(pieces, pieces[1:], texts[1:]):
        if out and text and start - prev_end >= SPACE_GAP * line_h and not (is_cjk(out[-1]) or is_cjk(text[0])):
            out += " "
        out += text
    return out


def _to_px(bbox: BBox, dpi: float, shape: tuple[int, ...], inset: int = 0) -> tuple[int, int, int, int]:
    s = dpi / 72.0
    h, w = shape[:2]
    x0, y0 = max(0, int(round(bbox[0] * s)) + inset), max(0, int(round(bbox[1] * s)) + inset)
    x1, y1 = min(w, int(round(bbox[2] * s)) - inset), min(h, int(round(bbox[3] * s)) - inset)
    return x0, y0, max(x0, x1), max(y0, y1)


# ---- entry points -------------------------------------------------------------------------------

def _cell_cuts(ink: PageInk, boxes: list[tuple[int, int, int, int]]) -> tuple[list[LineCut], Optional[float]]:
    """Cell boxes (px) → their line cuts and the line height used (None without boxes)."""
    if not boxes:
        return [], None
    line_h = line_height(ink.text, boxes, ink.dpi)
    return cut_lines(ink.text, boxes, line_h, gray=ink.gray), line_h


def read_cells(image: np.ndarray, dpi: float, grids: Sequence[Grid],
               engine: Optional[OcrEngine] = None) -> list[Span]:
    """Fill every cell's text (joined lines, shape-normalised) and confidence (minimum of its
    lines) from the page image; return the line spans with the raw recogniser text."""
    ink = PageInk(image, dpi)
    cells = [c for g in grids for c in g.cells if c.bbox is not None]
    boxes = [_to_px(c.bbox, dpi, ink.gray.shape, inset=1) for c in cells]  # type: ignore[arg-type]
    cuts, line_h = _cell_cuts(ink, boxes)
    spans = recognise(engine or get_engine(), ink, cuts, line_h) if cuts else []
    by_cell: dict[int, list[Span]] = {}
    for cut, span in zip(cuts, spans):
        by_cell.setdefault(cut.owner, []).append(span)
    for i, cell in enumerate(cells):
        lines = by_cell.get(i, [])
        read = [s for s in lines if s.text]
        cell.text = fix_cell(join_lines(read))[0] if read else ""
        cell.confidence = min((s.confidence for s in lines), default=1.0)
    return [s for s in spans if s.text]


def read_text(image: np.ndarray, dpi: float, engine: Optional[OcrEngine] = None,
              regions: Optional[Iterable[BBox]] = None, exclude: Iterable[BBox] = ()) -> list[Span]:
    """Free text (titles, notes, the unit line) as line spans in points: in `regions` (points;
    default the whole page; e.g. layout's title regions), minus the `exclude` boxes (the grids)."""
    ink = PageInk(image, dpi)
    cuts, line_h = _free_cuts(ink, regions, exclude, None)
    return [s for s in recognise(engine or get_engine(), ink, cuts, line_h) if s.text]


def _free_cuts(ink: PageInk, regions: Optional[Iterable[BBox]], exclude: Iterable[BBox],
               line_h: Optional[float]) -> tuple[list[LineCut], float]:
    mask = ink.text.copy()
    for box in exclude:
        x0, y0, x1, y1 = _to_px(box, ink.dpi, mask.shape, inset=-2)
        mask[y0:y1, x0:x1] = False
    h, w = mask.shape
    boxes = [(0, 0, w, h)] if regions is None else [_to_px(r, ink.dpi, mask.shape) for r in regions]
    line_h = line_h or line_height(mask, boxes, ink.dpi)
    return cut_lines(mask, boxes, line_h, split_gap=SPLIT_GAP, gray=ink.gray), line_h


@dataclass
class PagePlan:
    """A page cut up for the recogniser, nothing read yet: pure image work, so the scan stage
    does it for the next page on its look-ahead thread while this page is being read."""

    ink: PageInk
    cells: tuple[list[LineCut], float]  # the grid's cells' lines, with their line height
    text: tuple[list[LineCut], float]   # the lines of text outside the grids


def plan_page(image: np.ndarray, dpi: float, segments: Iterable[Segment]) -> PagePlan:
    """The cuts of every text line of the page: cell by cell inside the grids the ruling
    `segments` make, and line by line outside them (see `_text_area`)."""
    from extractor.geometry import extract_grids

    segments = list(segments)
    ink = PageInk(image, dpi, segments)
    grids, _ = extract_grids(segments, [], 0)
    boxes = [_to_px(c.bbox, dpi, ink.gray.shape, inset=1) for g in grids for c in g.cells]  # type: ignore[arg-type]
    cell_cuts, line_h = _cell_cuts(ink, boxes)
    tables = [g.bbox for g in grids if g.bbox]
    text = _free_cuts(ink, [_text_area(ink, tables)], tables, line_h)
    return PagePlan(ink, (cell_cuts, line_h or text[1]), text)


def read_plan(plan: PagePlan, engine: Optional[OcrEngine] = None) -> list[Span]:
    """Every text line of the planned page as a span (points, raw recogniser text), in one
    recogniser call. `geometry.extract_grids(segments, spans, n)` then puts each span back into
    its cell. A cell line read as nothing stays, text empty: its confidence tells the cell holds
    ink the recogniser could not read, which must not pass for a blank cell read with certainty."""
    cells, text = recognise_groups(engine or get_engine(), plan.ink, [plan.cells, plan.text])
    return cells + [s for s in text if s.text]


def _text_area(ink: PageInk, tables: list[BBox]) -> BBox:
    """Where a form page's text outside its tables lies (points): not within EDGE_PT of the
    image's edge, where a scan leaves the sheet's border, shadow and dirt, and no more than
    TABLE_REACH_PT to either side of the tables (title, unit line and notes align with them)."""
    h, w = (v * 72.0 / ink.dpi for v in ink.gray.shape[:2])
    x0, x1 = EDGE_PT, w - EDGE_PT
    if tables:
        x0 = max(x0, min(t[0] for t in tables) - TABLE_REACH_PT)
        x1 = min(x1, max(t[2] for t in tables) + TABLE_REACH_PT)
    return (x0, EDGE_PT, x1, h - EDGE_PT)


def plan_for(page: Page) -> Optional[PagePlan]:
    """`plan_page` for a page whose spans are not filled yet and that has an image, else None."""
    if page.spans is not None or page.image is None:
        return None
    dpi = 72.0 * page.image.shape[1] / page.width if page.width else float(DEFAULT_DPI)  # the raster stage sets it
    return plan_page(page.image, dpi, page.segments or [])


def ocr_page(page: Page, engine: Optional[OcrEngine] = None, plan: Optional[PagePlan] = None) -> None:
    """Stage 3 of the scan contract (extractor/scan/__init__.py): fill `page.spans` from
    `page.image` and `page.segments` (or from `plan`, cut from them beforehand: `plan_for`),
    for a page whose spans are not filled yet."""
    plan = plan_for(page) if plan is None else plan
    if plan is not None and page.spans is None:
        page.spans = read_plan(plan, engine)


def fix_cells(grids: Iterable[Grid]) -> list[tuple[Cell, str]]:
    """Shape-normalise every cell's text in place (confusions.fix_cell); return (cell, raw text)
    for the cells changed, so the raw reading can be shown beside the value."""
    changed = []
    for grid in grids:
        for cell in grid.cells:
            fixed, did = fix_cell(cell.text)
            if did:
                changed.append((cell, cell.text))
                cell.text = fixed
    return changed
