"""Page images in: image files of every common mode and size, scanned and mixed PDFs through
pdf2image, the image backend and its routing, and the bad inputs that must become per-page
errors (too large, damaged, blank) while the rest goes on."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from extractor import geometry
from extractor.backends import detect_kind, load_backends
from extractor.backends.pdf import PdfBackend
from extractor.model import InputError, Page
from extractor.pipeline import extract_file
from extractor.scan import prepare_page, raster
from extractor.scan.raster import attach_pdf_images, load_image_pages, page_dpi, to_rgb8
from tests.conftest import assert_valid
from tests.test_scan_cleanup import DOCS, render_page
from tests.test_scan_lines import structure


@pytest.fixture(scope="module")
def form_image() -> Image.Image:
    """Page 2 of the Ningbo sample (a self-evaluation form) at 200 dpi."""
    return Image.fromarray(np.array(render_page("ningbo-2023.pdf", 2)))


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "1", "CMYK", "LA", "RGBA", "I;16", "I"])
def test_every_common_mode_becomes_8_bit_rgb(tmp_path, form_image, mode):
    img = form_image.convert("L") if mode in ("I;16", "I") else form_image
    if mode == "I;16":  # full-range 16-bit grey, as a 16-bit scanner writes it
        img = Image.fromarray(np.asarray(img).astype(np.uint16) * 257)
    elif mode == "I":
        img = img.convert("I")
    else:
        img = img.convert(mode)
    path = tmp_path / ("page.tif" if mode in ("CMYK", "I;16", "I", "1") else "page.png")
    img.save(path, dpi=(200, 200))
    (page,) = load_image_pages(path)
    assert page.image.dtype == np.uint8 and page.image.shape == (2339, 1654, 3)
    assert page.width == pytest.approx(595.4, abs=0.5) and page.height == pytest.approx(842.0, abs=0.5)
    assert page.spans is None and page.grids is None and not page.errors
    grey = np.asarray(form_image.convert("L"), dtype=int)
    assert np.abs(page.image.mean(axis=2) - grey).mean() < 12  # the same page, not a scaled-away one


def test_transparency_is_flattened_onto_white():
    rgba = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (10, 10, 20, 20))
    out = to_rgb8(rgba)
    assert out[0, 0].tolist() == [255, 255, 255] and out[15, 15].tolist() == [0, 0, 0]


def test_32_bit_grey_is_stretched_and_a_flat_one_is_blank():
    ramp = Image.fromarray(np.tile(np.arange(0, 4000, 40, dtype=np.int32), (5, 1)))
    out = to_rgb8(ramp)
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255
    assert to_rgb8(Image.fromarray(np.full((4, 4), 7, np.int32))).min() == 255


def test_exif_orientation_is_applied(tmp_path, form_image):
    small = form_image.resize((413, 585)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: the viewer must rotate 90° clockwise
    path = tmp_path / "photo.jpg"
    small.rotate(90, expand=True).save(path, exif=exif)
    (page,) = load_image_pages(path)
    assert page.image.shape[:2] == (585, 413)
    assert np.abs(page.image.astype(int) - np.asarray(small)).mean() < 8


def test_multi_page_tiff_gives_one_page_per_frame(tmp_path, form_image):
    frames = [form_image.convert("L"), form_image.rotate(90, expand=True).convert("1"), form_image.copy()]
    path = tmp_path / "scan.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 200))
    pages = load_image_pages(path)
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.image.shape[:2] for p in pages] == [(2339, 1654), (1654, 2339), (2339, 1654)]
    assert pages[1].width == pytest.approx(842.0, abs=0.5)


def test_resolution_comes_from_the_file_or_from_a4_paper():
    assert page_dpi((1654, 2339), (200, 200)) == 200
    assert page_dpi((1654, 2339), (300.0, 300.0)) == 300  # a 5.5 × 7.8 in page: plausible
    # a phone photo says 72 dpi: a 55-inch page is not paper, so A4 is assumed
    assert page_dpi((3000, 4000), (72, 72)) == pytest.approx(4000 / (297 / 25.4))
    assert page_dpi((1240, 1754)) == pytest.approx(150, abs=0.5)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG that declares its size and has (almost) no pixel data: what Pillow reads on open."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("size", [(20000, 20000), (9000, 8000)])
def test_an_oversized_image_is_refused_from_its_header(tmp_path, size):
    """400 MP trips Pillow's own bomb guard, 72 MP only ours: both name the page, neither decodes."""
    path = tmp_path / "huge.png"
    _png_header_only(path, *size)
    result = extract_file(path)
    assert result.status == "failed"
    (err,) = result.errors
    assert err.code == "IMAGE_TOO_LARGE" and err.page == 1 and "MP" in err.message
    assert_valid(result.to_dict())


def test_an_oversized_frame_costs_only_its_page(tmp_path, form_image):
    path = tmp_path / "two.tif"
    small = form_image.resize((200, 280)).convert("L")
    small.save(path, save_all=True, append_images=[form_image.convert("L")])
    pages = load_image_pages(path, max_pixels=1_000_000)
    assert pages[0].image is not None and not pages[0].errors
    assert pages[1].image is None and [e.code for e in pages[1].errors] == ["IMAGE_TOO_LARGE"]
    assert "page 2" in pages[1].errors[0].message and pages[1].spans == []  # later stages skip it


def test_damaged_images(tmp_path, form_image):
    jpeg = tmp_path / "full.jpg"
    form_image.save(jpeg, quality=80)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(jpeg.read_bytes()[: jpeg.stat().st_size // 3])
    result = extract_file(truncated)
    assert result.input_kind == "image" and result.status == "failed"
    assert [(e.code, e.page) for e in result.errors] == [("CORRUPT_IMAGE", 1)]
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    with pytest.raises(InputError) as info:
        load_image_pages(junk)
    assert info.value.code == "CORRUPT_FILE"
    assert extract_file(junk).errors[0].code == "CORRUPT_FILE"


def test_images_are_routed_by_content(tmp_path, form_image):
    small = form_image.resize((100, 140))
    for name, fmt in (("a.png", "PNG"), ("b.jpeg", "JPEG"), ("c.tiff", "TIFF"), ("no_extension", "PNG")):
        small.save(tmp_path / name, format=fmt)
        assert detect_kind(tmp_path / name) == "image"
    assert load_backends()["image"].kind == "image"
    result = extract_file(tmp_path / "a.png")
    assert result.input_kind == "image" and result.pages == 1
    assert_valid(result.to_dict())


def test_a_page_image_gets_the_text_layer_grids_through_the_scan_stages(tmp_path, form_image):
    path = tmp_path / "form.png"
    form_image.rotate(180).save(path, dpi=(200, 200))
    (page,) = load_image_pages(path)
    cleaned = prepare_page(page)
    assert cleaned.rotation == 180 and page.image.ndim == 2
    assert page.width == pytest.approx(595.4, abs=0.5)
    want = structure(PdfBackend().load(DOCS / "ningbo-2023.pdf")[1].grids)
    assert structure(geometry.extract_grids(page.segments, [], 1)[0]) == want


def test_a_blank_page_is_reported_and_skipped():
    page = Page(number=3, width=595.0, height=842.0, image=np.full((2339, 1654, 3), 250, np.uint8))
    prepare_page(page)
    assert [(e.code, e.page) for e in page.errors] == [("BLANK_PAGE", 3)]
    assert page.segments == [] and page.spans == [] and page.grids == []


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory) -> Path:
    """Text page, scanned page (an image only, 150 dpi), text page."""
    folder = tmp_path_factory.mktemp("mixed")
    Image.fromarray(np.array(render_page("ningbo-2023.pdf", 2, 150))).convert("L").save(
        folder / "scan.pdf", resolution=150)
    out = pdfium.PdfDocument.new()
    for source, index in ((DOCS / "ningbo-2023.pdf", 0), (folder / "scan.pdf", 0), (DOCS / "ningbo-2023.pdf", 2)):
        doc = pdfium.PdfDocument(source)
        out.import_pages(doc, [index])
    out.save(folder / "mixed.pdf")
    return folder / "mixed.pdf"


def test_mixed_pdf_rasterises_only_its_scanned_page(mixed_pdf):
    pages = PdfBackend().load(mixed_pdf)
    assert [raster.needs_ocr(p) for p in pages] == [False, True, False]
    attach_pdf_images(mixed_pdf, pages, dpi=100)
    assert pages[0].image is None and pages[2].image is None and pages[0].grids
    image = pages[1].image
    assert image.dtype == np.uint8 and image.ndim == 3
    assert image.shape[1] == pytest.approx(pages[1].width * 100 / 72, abs=1)
    assert image.shape[0] == pytest.approx(pages[1].height * 100 / 72, abs=1)
    assert image.mean() < 250  # the form, not a blank render


def test_pdf_page_too_large_for_the_dpi_is_refused(mixed_pdf):
    pages = PdfBackend().load(mixed_pdf)
    attach_pdf_images(mixed_pdf, pages, dpi=200, max_pixels=1_000_000)
    assert pages[1].image is None and [e.code for e in pages[1].errors] == ["NEEDS_OCR", "IMAGE_TOO_LARGE"]
    assert "200 dpi" in pages[1].errors[1].message


def test_missing_poppler_is_a_clear_error(mixed_pdf, monkeypatch):
    monkeypatch.setattr(raster, "_poppler_tools", lambda: False)
    pages = PdfBackend().load(mixed_pdf)
    with pytest.raises(InputError) as info:
        attach_pdf_images(mixed_pdf, pages)
    assert info.value.code == "POPPLER_MISSING" and "apt install poppler-utils" in info.value.message


def test_a_page_poppler_fails_on_costs_only_that_page(mixed_pdf, monkeypatch):
    rendered = []

    def convert(path, first, last, dpi):
        if first <= 2 <= last:
            raise RuntimeError("Syntax Error: damaged page")
        rendered.append(first)
        return [Image.new("RGB", (10, 14), "white") for _ in range(first, last + 1)]

    monkeypatch.setattr(raster, "_convert", convert)
    pages = [Page(number=n, width=595.0, height=842.0) for n in (1, 2, 3)]
    results = {page.number: result for page, result in raster.rasterize_pdf(mixed_pdf, pages)}
    assert rendered == [1, 3]  # the run 1-3 failed, then each page alone
    assert results[2].code == "RASTER_FAILED" and "damaged page" in results[2].message
    assert results[1].shape == (14, 10, 3) and results[3].shape == (14, 10, 3)


def test_the_first_page_is_rendered_alone_then_pages_go_in_runs():
    # nothing is read until the first page is rendered: it must not wait for its run's others
    pages = [Page(number=n) for n in (1, 2, 3, 4, 5, 6, 7, 9, 10)]
    runs = [[p.number for p in run] for run in raster._runs(pages)]
    assert runs == [[1], [2, 3, 4, 5], [6, 7], [9, 10]]
    assert [[p.number for p in run] for run in raster._runs([Page(number=3)])] == [[3]]
    assert list(raster._runs([])) == []
