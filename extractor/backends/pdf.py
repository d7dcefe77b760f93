"""PDFs with a text layer → pages with spans, ruling segments, grids and text lines, no OCR.

PDFium (pypdfium2) reads both the glyphs and the vector paths: a 40×9 form page of Chinese
text takes ~20-30 ms here, all stages included, where pdfplumber (pdfminer) needs ~200 ms just
to list the chars and lines. Pages without usable text are flagged NEEDS_OCR and left for the
scanned-page path. PDFium is not thread-safe: use processes, not threads, to load in parallel.
"""
from __future__ import annotations

import ctypes
import os
from bisect import bisect_left
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from extractor import geometry
from extractor.backends import register
from extractor.model import ErrorItem, InputError, Page, Segment, Span

Matrix = tuple[float, float, float, float, float, float]
ToTopLeft = Callable[[float, float], tuple[float, float]]
BoxToTopLeft = Callable[[float, float, float, float], tuple[float, float, float, float]]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
WORD_GAP = 0.15        # in char heights: a wider gap between glyphs starts a new word
FEW_CHARS = 10         # this little text over a full-page image is a scanner's stamp, not a text layer
IMAGE_COVER = 0.5      # share of the page an image must cover to count as a scan
UNMAPPED_SHARE = 0.5   # above this share of glyphs without Unicode the text layer is unusable
EOF_WINDOW = 4096


def input_kind(pages: Sequence[Page]) -> str:
    """'pdf-scan' when every page needs OCR, else 'pdf-text' (mixed documents included)."""
    if pages and all(any(e.code == "NEEDS_OCR" for e in p.errors) for p in pages):
        return "pdf-scan"
    return "pdf-text"


class PdfBackend:
    """`load` fills spans, segments, grids and lines of text-layer pages; `input_kind(pages)`
    then names the document's input kind for the JSON ('pdf-text' or 'pdf-scan')."""

    kind = "pdf"
    input_kind = staticmethod(input_kind)

    def load(self, path: Path) -> list[Page]:
        doc = _open(Path(path))
        try:
            n = len(doc)
            if n == 0:
                raise InputError("EMPTY_FILE", "the PDF has no pages")
            pages = [_load_page(doc, i) for i in range(n)]
        finally:
            doc.close()
        if not _has_eof_marker(Path(path)):
            pages[0].errors.append(ErrorItem(
                "TRUNCATED_FILE", "the PDF does not end with %%EOF: it may be truncated, pages may be missing"))
        return pages


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        raise InputError("UNREADABLE_FILE", f"cannot open: {exc.strerror or exc}") from exc
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == raw.FPDF_ERR_PASSWORD:
            raise InputError("ENCRYPTED", "the PDF is password-protected: it cannot be read without the password") from exc
        if code == raw.FPDF_ERR_SECURITY:
            raise InputError("ENCRYPTED", "the PDF uses an unsupported encryption handler") from exc
        raise InputError("CORRUPT_FILE", "damaged or truncated PDF: its structure cannot be parsed") from exc


def _has_eof_marker(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(max(0, os.path.getsize(path) - EOF_WINDOW))
        return b"%%EOF" in fh.read()


def _load_page(doc: pdfium.PdfDocument, index: int) -> Page:
    number = index + 1
    page = Page(number=number)
    try:
        _read_page(doc, index, page)
    except Exception as exc:  # one bad page must not cost the others
        page.spans, page.segments, page.grids, page.lines = None, None, [], []
        page.errors.append(ErrorItem("UNREADABLE_PAGE", f"page {number} cannot be read: {type(exc).__name__}: {exc}",
                                     number))
    return page


def _read_page(doc: pdfium.PdfDocument, index: int, page: Page) -> None:
    pp = doc[index]
    try:
        to_tl, box_tl, page.width, page.height = _page_transform(pp)
        left, _, _, top = pp.get_cropbox()
        segments, image_area = _read_paths(pp, to_tl)
        textpage = pp.get_textpage()
        try:
            chars, unmapped = _read_chars(textpage, box_tl, (left, top))
        finally:
            textpage.close()
    finally:
        pp.close()
    page.segments = segments
    reason = _ocr_reason(page.number, chars, unmapped, image_area / max(page.width * page.height, 1.0))
    if reason:
        page.errors.append(ErrorItem("NEEDS_OCR", reason, page.number))
        page.grids, page.lines = [], []
        return
    edges = geometry.merge_segments(segments)
    page.spans = _words(chars, edges[1])
    page.grids, page.lines = geometry.extract_grids(segments, page.spans, page.number, edges=edges)


def _ocr_reason(number: int, chars: list, unmapped: int, image_cover: float) -> Optional[str]:
    readable = sum(1 for c in chars if c is not None and c[0] != "\ufffd")
    total = readable + unmapped
    if not readable:
        if unmapped:
            return f"page {number} has a text layer without Unicode mapping: needs OCR"
        return f"page {number} has no text layer: scanned page, needs OCR"
    if unmapped > UNMAPPED_SHARE * total:
        return f"page {number} has a text layer without Unicode mapping ({unmapped} of {total} glyphs): needs OCR"
    if readable < FEW_CHARS and image_cover >= IMAGE_COVER:
        return f"page {number} has no text layer (only {readable} characters over a page image): scanned page, needs OCR"
    return None


def _page_transform(pp: pdfium.PdfPage) -> tuple[ToTopLeft, Optional[BoxToTopLeft], float, float]:
    """Map PDF user space (y up, any origin, /Rotate) to the displayed page, top-left origin:
    a point mapper, a box mapper ((left, bottom, right, top) → (x0, top, x1, bottom); None for an
    unrotated page, which `_read_chars` handles inline), and the displayed width and height."""
    left, bottom, right, top = pp.get_cropbox()
    rotation = pp.get_rotation() % 360
    w, h = right - left, top - bottom
    if rotation == 90:
        return ((lambda x, y: (y - bottom, x - left)),
                (lambda l, b, r, t: (b - bottom, l - left, t - bottom, r - left)), h, w)
    if rotation == 180:
        return ((lambda x, y: (right - x, y - bottom)),
                (lambda l, b, r, t: (right - r, b - bottom, right - l, t - bottom)), w, h)
    if rotation == 270:
        return ((lambda x, y: (top - y, right - x)),
                (lambda l, b, r, t: (top - t, right - r, top - b, right - l)), h, w)
    return (lambda x, y: (x - left, top - y)), None, w, h


# ---- glyphs -----------------------------------------------------------------------------------

Char = tuple[str, float, float, float, float]  # text, x0, top, x1, bottom (top-left coordinates)


def _read_chars(textpage: pdfium.PdfTextPage, box_tl: Optional[BoxToTopLeft],
                origin: tuple[float, float] = (0.0, 0.0)) -> tuple[list[Optional[Char]], int]:
    """Printable glyphs with their loose (font-height) boxes, and the count of glyphs that have
    no Unicode mapping. Whitespace becomes a word break (None) rather than a glyph. Fake bold
    (a text object painted twice a fraction of a point apart) is already dropped by PDFium.
    `box_tl` None means an unrotated page whose crop box has its top-left corner at `origin`."""
    left, ctop = origin
    tp = textpage.raw
    n = raw.FPDFText_CountChars(tp)
    rect = raw.FS_RECTF()
    get_box = raw.FPDFText_GetLooseCharBox
    out: list[Optional[Char]] = []
    unmapped = 0
    for i, ch in enumerate(_char_texts(tp, n)):
        if not ch:
            continue  # second half of a surrogate pair
        if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r"):
            # no Unicode mapping (raw glyph codes come out as control characters); kept visible
            # as U+FFFD because a silently dropped digit would change a number
            unmapped += 1
            ch = "\ufffd"
        elif ch.isspace():
            out.append(None)
            continue
        if not get_box(tp, i, rect):
            continue
        if box_tl is None:  # unrotated page, inlined: this loop runs for every glyph
            box = (rect.left - left, ctop - rect.top, rect.right - left, ctop - rect.bottom)
        else:
            box = box_tl(rect.left, rect.bottom, rect.right, rect.top)
        out.append((ch, *box))
    return out, unmapped


def _char_texts(tp, n: int) -> Sequence[str]:
    """The text of each char index: one bulk call when PDFium's page text lines up with the
    char indices (the usual case), else one call per char."""
    if n <= 0:
        return ""
    buf = ctypes.create_string_buffer((n + 1) * 2)
    written = raw.FPDFText_GetText(tp, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    text = buf.raw[: max(written - 1, 0) * 2].decode("utf-16-le", errors="replace")
    get_uni = raw.FPDFText_GetUnicode
    if len(text) == n and all(ord(text[i]) == get_uni(tp, i) for i in (0, n // 2, n - 1)):
        return text
    codes = [get_uni(tp, i) for i in range(n)]
    out = [chr(c) if 0 < c < 0xD800 or 0xE000 <= c < 0x110000 else "\ufffd" for c in codes]
    for i in range(n - 1):  # a character outside the BMP comes as two surrogate halves
        hi_, lo_ = codes[i], codes[i + 1]
        if 0xD800 <= hi_ < 0xDC00 and 0xDC00 <= lo_ < 0xE000:
            out[i] = chr(0x10000 + ((hi_ - 0xD800) << 10) + (lo_ - 0xDC00))
            out[i + 1] = ""
    return out


def _words(chars: list[Optional[Char]], v_edges: Sequence[geometry.Edge]) -> list[Span]:
    """Glyphs → word spans. A word ends at whitespace, at a visible gap, where the line changes,
    and where a vertical ruling passes between two glyphs (text running on into the next cell)."""
    v_xs = [e.pos for e in v_edges]
    n_xs = len(v_xs)
    words: list[Span] = []
    text: list[str] = []
    x0 = top = x1 = bottom = 0.0
    p: Optional[Char] = None
    for c in chars:
        if c is not None and p is not None:
            ch, cx0, ctop, cx1, cbot = c
            _, px0, ptop, px1, pbot = p
            h = min(pbot - ptop, cbot - ctop)
            if h < 1.0:
                h = 1.0
            split = (abs(ptop + pbot - ctop - cbot) > h or cx0 - px1 > WORD_GAP * h or cx0 < px0 - 0.5 * h)
            if not split and n_xs:
                i = bisect_left(v_xs, (px0 + px1) / 2)
                if i < n_xs and v_xs[i] < (cx0 + cx1) / 2:  # rare: only here is a ruling in between
                    mid_x, mid_y = (cx0 + cx1) / 2, (ctop + cbot) / 2
                    while i < n_xs and v_xs[i] < mid_x:
                        if v_edges[i].lo <= mid_y <= v_edges[i].hi:
                            split = True
                            break
                        i += 1
            if not split:
                text.append(ch)
                if cx0 < x0:
                    x0 = cx0
                if ctop < top:
                    top = ctop
                if cx1 > x1:
                    x1 = cx1
                if cbot > bottom:
                    bottom = cbot
                p = c
                continue
        if p is not None:
            words.append(Span("".join(text), (x0, top, x1, bottom)))
            p = None
        if c is not None:
            text = [c[0]]
            _, x0, top, x1, bottom = c
            p = c
    if p is not None:
        words.append(Span("".join(text), (x0, top, x1, bottom)))
    return words


# ---- vector paths -----------------------------------------------------------------------------

def _read_paths(pp: pdfium.PdfPage, to_tl: ToTopLeft) -> tuple[list[Segment], float]:
    """Ruling segments from stroked lines and rectangles (thin filled ones included), and the
    area covered by images, which tells a scan from a born-digital page."""
    reader = _PathReader(to_tl)
    segments: list[Segment] = []
    image_area = 0.0
    for obj, kind, m in _walk(pp.raw):
        if kind == raw.FPDF_PAGEOBJ_PATH:
            segments.extend(reader.segments(obj, m))
        elif kind == raw.FPDF_PAGEOBJ_IMAGE:
            box = reader.bounds(obj, m)
            if box is not None:
                image_area += (box[2] - box[0]) * (box[3] - box[1])
    return segments, image_area


def _walk(page_raw) -> Iterator[tuple[object, int, Matrix]]:
    """Every page object, its type, and the matrix that maps its parent form's space to the page's."""
    stack: list[tuple[object, Matrix, bool]] = [(page_raw, IDENTITY, True)]
    fm = raw.FS_MATRIX()
    while stack:
        holder, m, is_page = stack.pop()
        count = raw.FPDFPage_CountObjects(holder) if is_page else raw.FPDFFormObj_CountObjects(holder)
        for i in range(count):
            obj = raw.FPDFPage_GetObject(holder, i) if is_page else raw.FPDFFormObj_GetObject(holder, i)
            if not obj:
                continue
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_FORM:
                stack.append((obj, _compose(_matrix(obj, fm), m), False))
            else:
                yield obj, kind, m


def _matrix(obj, fm) -> Matrix:
    if not raw.FPDFPageObj_GetMatrix(obj, fm):
        return IDENTITY
    return (fm.a, fm.b, fm.c, fm.d, fm.e, fm.f)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix that applies `inner` first, then `outer`."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


class _PathReader:
    """Path objects → segments. Holds its ctypes out-parameters: Excel exports draw every
    border of every cell as its own object, so the per-object cost is what counts."""

    def __init__(self, to_tl: ToTopLeft):
        self.to_tl = to_tl
        self.box = tuple(ctypes.c_float() for _ in range(4))
        self.rgba = tuple(ctypes.c_uint() for _ in range(4))
        self.fill_mode, self.stroke = ctypes.c_int(), ctypes.c_int()
        self.x, self.y = ctypes.c_float(), ctypes.c_float()
        self.fm = raw.FS_MATRIX()

    def bounds(self, obj, m: Matrix) -> Optional[tuple[float, float, float, float]]:
        """The object's box on the displayed page (top-left origin)."""
        l, b, r, t = self.box
        if not raw.FPDFPageObj_GetBounds(obj, l, b, r, t):
            return None
        if m[1] == 0.0 and m[2] == 0.0:  # no rotation or shear: two opposite corners suffice
            xa, ya = self.to_tl(m[0] * l.value + m[4], m[3] * b.value + m[5])
            xb, yb = self.to_tl(m[0] * r.value + m[4], m[3] * t.value + m[5])
            return (xa if xa < xb else xb, ya if ya < yb else yb, xb if xa < xb else xa, yb if ya < yb else ya)
        corners = [self.to_tl(*_apply(m, x, y)) for x in (l.value, r.value) for y in (b.value, t.value)]
        xs = [c[0] for c in corners]
        ys = [c[1] for c in corners]
        return (min(xs), min(ys), max(xs), max(ys))

    def _visible(self, obj, getter) -> bool:
        r, g, b, a = self.rgba
        if not getter(obj, r, g, b, a):
            return True
        # white or transparent paint on a white page draws nothing
        return a.value > 0 and not (r.value > 240 and g.value > 240 and b.value > 240)

    def segments(self, obj, parent: Matrix) -> list[Segment]:
        if not raw.FPDFPath_GetDrawMode(obj, self.fill_mode, self.stroke):
            return []
        filled = self.fill_mode.value != 0 and self._visible(obj, raw.FPDFPageObj_GetFillColor)
        stroked = bool(self.stroke.value) and self._visible(obj, raw.FPDFPageObj_GetStrokeColor)
        if not (filled or stroked):
            return []
        box = self.bounds(obj, parent)
        if box is not None and (box[2] - box[0] <= geometry.THIN_RECT or box[3] - box[1] <= geometry.THIN_RECT):
            # a thin object (a stroked line, a hairline rectangle) is one ruling whatever its
            # path says; the bounds answer that in one call instead of one per path point
            return geometry.rect_segments(box, filled=True, stroked=False)
        return self._parse(obj, _compose(_matrix(obj, self.fm), parent), filled, stroked)

    def _parse(self, obj, m: Matrix, filled: bool, stroked: bool) -> list[Segment]:
        x, y = self.x, self.y
        subpaths: list[tuple[list[tuple[float, float]], bool, bool]] = []  # points, closed, has a curve
        for k in range(raw.FPDFPath_CountSegments(obj)):
            seg = raw.FPDFPath_GetPathSegment(obj, k)
            if not seg or not raw.FPDFPathSegment_GetPoint(seg, x, y):
                continue
            kind = raw.FPDFPathSegment_GetType(seg)
            pt = self.to_tl(*_apply(m, x.value, y.value))
            if kind == raw.FPDF_SEGMENT_MOVETO or not subpaths:
                subpaths.append(([pt], False, False))
            else:
                pts, closed, curved = subpaths[-1]
                pts.append(pt)
                subpaths[-1] = (pts, closed or bool(raw.FPDFPathSegment_GetClose(seg)),
                                curved or kind == raw.FPDF_SEGMENT_BEZIERTO)
        out: list[Segment] = []
        for pts, closed, curved in subpaths:
            rect = None if curved else _as_rect(pts)
            if rect is not None and filled:
                out.extend(geometry.rect_segments(rect, filled=True, stroked=stroked))
            elif stroked and not curved:
                ring = pts + [pts[0]] if closed else pts
                out.extend(Segment(a[0], a[1], b[0], b[1]) for a, b in zip(ring, ring[1:]))
        return out


def _as_rect(pts: list[tuple[float, float]]) -> Optional[tuple[float, float, float, float]]:
    """The box of a subpath that is an axis-aligned rectangle (4 corners, maybe repeated)."""
    if not 4 <= len(pts) <= 5:
        return None
    xs = sorted({round(p[0], 1) for p in pts})
    ys = sorted({round(p[1], 1) for p in pts})
    if len(xs) > 2 or len(ys) > 2:
        return None
    return (xs[0], ys[0], xs[-1], ys[-1])


register(PdfBackend())
