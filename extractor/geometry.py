"""Ruling lines and positioned text → grids, as a chain of small pure functions.

The chain follows pdfplumber's lattice method: segments → snapped, joined edges →
intersections → the smallest ruled rectangles (cells) → connected groups of cells (tables)
→ `Grid`s whose rows/columns are the distinct cell-corner coordinates. Text is then dropped
into the cell that holds each span's centre; what lands in no cell comes back as leftover.

All coordinates are PDF points from the page's top-left (y grows downwards).
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Iterable, NamedTuple, Optional, Sequence

from extractor.model import BBox, Cell, Grid, Segment, Span, TextLine
from extractor.textjoin import group_lines, join_line, join_lines

SNAP_TOL = 3.0       # rulings closer than this are one line (double borders, exporter jitter)
JOIN_TOL = 3.0       # gaps up to this along a ruling are closed (cells drawn one border at a time)
INTERSECT_TOL = 3.0  # a ruling that stops this short of another still meets it
AXIS_TOL = 1.0       # a segment leaning less than this is horizontal/vertical; more is a diagonal
THIN_RECT = 3.0      # a filled rectangle this thin is a border line, a thicker one is shading


class Edge(NamedTuple):
    """An axis-aligned ruling: `pos` is its y when horizontal, its x when vertical; it runs lo..hi.
    A NamedTuple: pages with per-cell borders make thousands, and tuples are cheap to build."""

    horizontal: bool
    pos: float
    lo: float
    hi: float


Point = tuple[float, float]


def rect_segments(bbox: BBox, *, filled: bool, stroked: bool, thin: float = THIN_RECT) -> list[Segment]:
    """Rulings drawn by a rectangle: a thin filled one is a single line along its middle
    (Excel/WPS draw borders that way); a stroked one gives its four sides; a fat fill is shading."""
    x0, y0, x1, y1 = min(bbox[0], bbox[2]), min(bbox[1], bbox[3]), max(bbox[0], bbox[2]), max(bbox[1], bbox[3])
    w, h = x1 - x0, y1 - y0
    if filled and (w <= thin or h <= thin):
        if w <= thin and h <= thin:
            return []  # a dot or a corner square carries no direction
        if h <= thin:
            ym = (y0 + y1) / 2
            return [Segment(x0, ym, x1, ym)]
        xm = (x0 + x1) / 2
        return [Segment(xm, y0, xm, y1)]
    if stroked:
        return [Segment(x0, y0, x1, y0), Segment(x0, y1, x1, y1), Segment(x0, y0, x0, y1), Segment(x1, y0, x1, y1)]
    return []


def split_segments(segments: Iterable[Segment], axis_tol: float = AXIS_TOL) -> tuple[list[Edge], list[Edge]]:
    """Horizontal and vertical edges from segments; diagonals (split header cells) and dots are dropped."""
    hs: list[Edge] = []
    vs: list[Edge] = []
    for s in segments:
        dx, dy = abs(s.x1 - s.x0), abs(s.y1 - s.y0)
        if dy <= axis_tol and dx > axis_tol:
            hs.append(Edge(True, (s.y0 + s.y1) / 2, min(s.x0, s.x1), max(s.x0, s.x1)))
        elif dx <= axis_tol and dy > axis_tol:
            vs.append(Edge(False, (s.x0 + s.x1) / 2, min(s.y0, s.y1), max(s.y0, s.y1)))
    return hs, vs


def snap_edges(edges: Sequence[Edge], tol: float = SNAP_TOL) -> list[Edge]:
    """Edges whose positions chain within `tol` share one position, the cluster's mean."""
    if not edges:
        return []
    ordered = sorted(edges, key=lambda e: e.pos)
    out: list[Edge] = []
    cluster = [ordered[0]]
    for e in ordered[1:]:
        if e.pos - cluster[-1].pos <= tol:
            cluster.append(e)
            continue
        out.extend(_at_mean(cluster))
        cluster = [e]
    out.extend(_at_mean(cluster))
    return out


def _at_mean(cluster: list[Edge]) -> list[Edge]:
    pos = sum(e.pos for e in cluster) / len(cluster)
    return [Edge(e.horizontal, pos, e.lo, e.hi) for e in cluster]


def join_edges(edges: Sequence[Edge], tol: float = JOIN_TOL) -> list[Edge]:
    """Edges at one position that overlap or nearly touch become one edge."""
    by_pos: dict[float, list[Edge]] = defaultdict(list)
    for e in edges:
        by_pos[e.pos].append(e)
    out: list[Edge] = []
    for pos in sorted(by_pos):
        run = sorted(by_pos[pos], key=lambda e: e.lo)
        cur = run[0]
        for e in run[1:]:
            if e.lo <= cur.hi + tol:
                if e.hi > cur.hi:
                    cur = Edge(cur.horizontal, pos, cur.lo, e.hi)
            else:
                out.append(cur)
                cur = e
        out.append(cur)
    return out


def merge_segments(segments: Iterable[Segment], snap_tol: float = SNAP_TOL,
                   join_tol: float = JOIN_TOL) -> tuple[list[Edge], list[Edge]]:
    """Segments → (horizontal, vertical) edges, snapped and joined."""
    hs, vs = split_segments(segments)
    return join_edges(snap_edges(hs, snap_tol), join_tol), join_edges(snap_edges(vs, snap_tol), join_tol)


def find_intersections(hs: Sequence[Edge], vs: Sequence[Edge],
                       tol: float = INTERSECT_TOL) -> dict[Point, tuple[frozenset[int], frozenset[int]]]:
    """Crossing points → (ids of the vertical edges, ids of the horizontal edges) through them.
    Two points are joined by a ruling exactly when they share an edge id."""
    acc: dict[Point, tuple[set[int], set[int]]] = {}
    for vi, v in enumerate(vs):
        for hi, h in enumerate(hs):
            if v.lo - tol <= h.pos <= v.hi + tol and h.lo - tol <= v.pos <= h.hi + tol:
                ids = acc.setdefault((v.pos, h.pos), (set(), set()))
                ids[0].add(vi)
                ids[1].add(hi)
    return {p: (frozenset(a), frozenset(b)) for p, (a, b) in acc.items()}


def find_cells(points: dict[Point, tuple[frozenset[int], frozenset[int]]]) -> list[BBox]:
    """The smallest ruled rectangles: from each point as top-left, the nearest point below and to
    the right such that all four corners exist and all four sides run along one edge."""
    col_ys: dict[float, list[float]] = defaultdict(list)
    row_xs: dict[float, list[float]] = defaultdict(list)
    for x, y in points:
        col_ys[x].append(y)
        row_xs[y].append(x)
    for lst in (*col_ys.values(), *row_xs.values()):
        lst.sort()
    cells: list[BBox] = []
    for (x, y), (v_ids, h_ids) in sorted(points.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ys = col_ys[x]
        xs = row_xs[y]
        below = ys[bisect_right(ys, y):]
        right = xs[bisect_right(xs, x):]
        cell = _first_cell(points, x, y, v_ids, h_ids, below, right)
        if cell is not None:
            cells.append(cell)
    return cells


def _first_cell(points: dict[Point, tuple[frozenset[int], frozenset[int]]], x: float, y: float,
                v_ids: frozenset[int], h_ids: frozenset[int],
                below: list[float], right: list[float]) -> Optional[BBox]:
    for yb in below:
        bl_v, bl_h = points[(x, yb)]
        if not v_ids & bl_v:
            break  # the left side stops here, nothing further down can be reached
        for xr in right:
            tr_v, tr_h = points[(xr, y)]
            if not h_ids & tr_h:
                break  # the top side stops here
            br = points.get((xr, yb))
            if br is not None and br[0] & tr_v and br[1] & bl_h:
                return (x, y, xr, yb)
    return None


class UnionFind:
    """Groups of items joined pairwise (cells sharing a corner, rulings that cross)."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[ri] = rj


def group_tables(cells: Sequence[BBox]) -> list[list[BBox]]:
    """Cells that share a corner belong to one table; tables come out top to bottom."""
    groups_of = UnionFind(len(cells))
    owner: dict[Point, int] = {}
    for i, (x0, y0, x1, y1) in enumerate(cells):
        for corner in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            groups_of.join(i, owner.setdefault(corner, i))
    groups: dict[int, list[BBox]] = defaultdict(list)
    for i, c in enumerate(cells):
        groups[groups_of.find(i)].append(c)
    tables = list(groups.values())
    tables.sort(key=lambda t: (min(c[1] for c in t), min(c[0] for c in t)))
    return tables


def _bbox_of(boxes: Iterable[BBox]) -> BBox:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def drop_frames(tables: list[list[BBox]]) -> list[list[BBox]]:
    """Drop single-cell 'tables': a page frame around real tables, or a box around a title or a
    note. Their text reads better as text lines than as a 1×1 grid."""
    return [t for t in tables if len(t) > 1]


def build_grid(cells: Sequence[BBox], page: int) -> Grid:
    """A Grid from one table's cell boxes: the distinct corner x's/y's are the column/row lines."""
    xs = sorted({c[0] for c in cells} | {c[2] for c in cells})
    ys = sorted({c[1] for c in cells} | {c[3] for c in cells})
    col = {x: i for i, x in enumerate(xs)}
    row = {y: i for i, y in enumerate(ys)}
    out = [Cell(row=row[c[1]], col=col[c[0]], text="", rowspan=row[c[3]] - row[c[1]],
                colspan=col[c[2]] - col[c[0]], bbox=c) for c in cells]
    out.sort(key=lambda c: (c.row, c.col))
    bbox = _bbox_of(cells)
    return Grid(page=page, cells=out, n_rows=len(ys) - 1, n_cols=len(xs) - 1, bbox=bbox,
                order=reading_order(bbox))


def reading_order(bbox: BBox) -> float:
    """Sort key shared by grids and text lines: top edge first, left edge breaks ties."""
    return round(bbox[1], 2) + bbox[0] / 100000.0


class _Locator:
    """Finds the cell under a point in O(log n) through the grid's row/column lines."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.xs = sorted({c.bbox[0] for c in grid.cells} | {c.bbox[2] for c in grid.cells})  # type: ignore[index]
        self.ys = sorted({c.bbox[1] for c in grid.cells} | {c.bbox[3] for c in grid.cells})  # type: ignore[index]
        self.slots: dict[tuple[int, int], int] = {}
        for i, c in enumerate(grid.cells):
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    self.slots[(r, k)] = i

    def find(self, x: float, y: float) -> Optional[int]:
        if not (self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]):
            return None
        k = min(bisect_right(self.xs, x) - 1, len(self.xs) - 2)
        r = min(bisect_right(self.ys, y) - 1, len(self.ys) - 2)
        return self.slots.get((r, k))


def assign_text(grids: Sequence[Grid], spans: Iterable[Span]) -> list[Span]:
    """Fill each cell's text (and confidence) from the spans whose centre it holds; return the
    spans that fall in no cell. Where tables nest, the smaller table wins."""
    locators = sorted((_Locator(g) for g in grids if g.cells),
                      key=lambda lo: (lo.xs[-1] - lo.xs[0]) * (lo.ys[-1] - lo.ys[0]))
    found: dict[tuple[int, int], list[Span]] = defaultdict(list)
    leftover: list[Span] = []
    for span in spans:
        cx = (span.bbox[0] + span.bbox[2]) / 2
        cy = (span.bbox[1] + span.bbox[3]) / 2
        for gi, loc in enumerate(locators):
            ci = loc.find(cx, cy)
            if ci is not None:
                found[(gi, ci)].append(span)
                break
        else:
            if span.text:  # an unread line outside every cell says nothing about any value
                leftover.append(span)
    for (gi, ci), cell_spans in found.items():
        cell = locators[gi].grid.cells[ci]
        cell.text = join_lines([s for s in cell_spans if s.text])
        cell.confidence = min(s.confidence for s in cell_spans)  # an unread line (empty text) counts too
    return leftover


def text_lines(spans: Sequence[Span], split_gap: float = 4.0) -> list[TextLine]:
    """Leftover spans → TextLines top to bottom. Pieces of one visual line further apart than
    `split_gap` line heights stay separate lines ('填报单位：…' at left, '单位：万元' at right),
    except single glyphs, which is how a title set in distributed alignment comes out."""
    out: list[TextLine] = []
    for line in group_lines(spans):
        piece = [line[0]]
        for prev, cur in zip(line, line[1:]):
            h = min(prev.bbox[3] - prev.bbox[1], cur.bbox[3] - cur.bbox[1])
            spread = len(prev.text) == 1 and len(cur.text) == 1
            if cur.bbox[0] - prev.bbox[2] > split_gap * max(h, 1.0) and not spread:
                out.append(_text_line(piece))
                piece = []
            piece.append(cur)
        out.append(_text_line(piece))
    out.sort(key=lambda t: t.order)
    return out


def _text_line(spans: list[Span]) -> TextLine:
    bbox = _bbox_of(s.bbox for s in spans)
    return TextLine(text=join_line(spans), order=reading_order(bbox), bbox=bbox,
                    confidence=min(s.confidence for s in spans))


def extract_grids(segments: Iterable[Segment], spans: Sequence[Span], page: int,
                  edges: Optional[tuple[list[Edge], list[Edge]]] = None) -> tuple[list[Grid], list[TextLine]]:
    """The whole chain for one page: grids with their text, and the text outside them as lines.
    Pass `edges` when the caller has merged the segments already."""
    hs, vs = edges if edges is not None else merge_segments(segments)
    tables = drop_frames(group_tables(find_cells(find_intersections(hs, vs))))
    grids = [build_grid(t, page) for t in tables]
    leftover = assign_text(grids, spans)
    return grids, text_lines(leftover)
