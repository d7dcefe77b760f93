"""PDFs of page images with no text layer, as a scanner writes them, and text/scan mixtures.

Pillow can only store JPEG (or hex-encoded palette) images in a PDF, and PDFium stamps every
save with the time and a random /ID; a scan sample must be lossless when clean and come out
byte-identical from the same seed, so image-only PDFs are written here directly.
"""
from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from PIL import Image

PathLike = Union[str, Path]


@dataclass(frozen=True)
class PdfImagePage:
    image: Image.Image          # L or RGB
    dpi: float
    jpeg_quality: Optional[int]  # None: stored lossless (FlateDecode)


def encode_jpeg(image: Image.Image, quality: int, dpi: float) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def write_image_pdf(pages: Sequence[PdfImagePage], path: PathLike) -> Path:
    """One page per image, each page as large as its image at its dpi, nothing else on it."""
    if not pages:
        raise ValueError("no pages to write")
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled once the page tree's number is known
    tree = add(b"")
    kids = []
    for p in pages:
        img = p.image
        if img.mode not in ("L", "RGB"):
            raise ValueError(f"a scanner PDF page is L or RGB, got {img.mode}")
        w, h = img.size
        if p.jpeg_quality is None:
            data, filt = zlib.compress(img.tobytes(), 9), b"/FlateDecode"
        else:
            data, filt = encode_jpeg(img, p.jpeg_quality, p.dpi), b"/DCTDecode"
        space = b"/DeviceGray" if img.mode == "L" else b"/DeviceRGB"
        xobj = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                   b"/BitsPerComponent 8 /Filter %s /Length %d >>\nstream\n%s\nendstream"
                   % (w, h, space, filt, len(data), data))
        pw, ph = w * 72.0 / p.dpi, h * 72.0 / p.dpi
        draw = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (pw, ph)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.4f %.4f] /Contents %d 0 R "
                        b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (tree, pw, ph, content, xobj)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
        len(kids), b" ".join(b"%d 0 R" % k for k in kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    path = Path(path)
    path.write_bytes(bytes(out))
    return path


_DATE = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")


def write_mixed_pdf(parts: Sequence[tuple[PathLike, int]], path: PathLike) -> Path:
    """A PDF of the pages `(pdf, 0-based index)` in order, as when a department prints a form,
    signs and stamps one page, scans it and puts it back among the exported pages."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    opened: dict[str, pdfium.PdfDocument] = {}
    try:
        for src, index in parts:
            doc = opened.setdefault(str(src), pdfium.PdfDocument(str(src)))
            out.import_pages(doc, [index])
        buf = io.BytesIO()
        out.save(buf)
    finally:
        out.close()
        for doc in opened.values():
            doc.close()
    path = Path(path)
    path.write_bytes(_pin_volatile(buf.getvalue()))
    return path


def _pin_volatile(data: bytes) -> bytes:
    """PDFium's save time and random /ID, replaced in place (same lengths, so the xref offsets
    hold) by a fixed date and a digest of the rest, so the same pages give the same bytes."""
    data = _DATE.sub(lambda m: m.group(1) + b"20240101000000", data)
    blank = _ID.sub(lambda m: b"/ID[<%s><%s>]" % (b"0" * len(m.group(1)), b"0" * len(m.group(2))), data)
    digest = hashlib.md5(blank).hexdigest().upper().encode()

    def pinned(m: re.Match[bytes]) -> bytes:
        return m.group(0).replace(m.group(1), digest[:len(m.group(1))]).replace(m.group(2), digest[:len(m.group(2))])
    return _ID.sub(pinned, data)
