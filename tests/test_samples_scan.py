"""Scanned samples: the committed set under samples/scans, its ground truth, and the generator."""
from __future__ import annotations

import json
import shutil
import struct
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from samples import scan
from samples.badinput import BAD_INPUTS, BLANK, CORRUPT, HUGE, HUGE_PX, PHOTO
from samples.degrade import LEVELS, PAPER_RGB, SEAL_OPACITY, Degradation, apply, points_to_pixels, sample
from samples.imagepdf import PdfImagePage, write_image_pdf
from samples.scan import COMMITTED, TRUTH_SUFFIX, VARIANTS, Item, docs_pdf

REPO = Path(__file__).resolve().parents[1]
SCANS = REPO / "samples" / "scans"
TRUTHS = sorted(SCANS.glob(f"*{TRUTH_SUFFIX}"))
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdf2image needs poppler-utils")


def truth(name: str) -> dict:
    return json.loads((SCANS / f"{name}{TRUTH_SUFFIX}").read_text(encoding="utf-8"))


def scanned_truths() -> list[dict]:
    return [t for t in map(lambda p: json.loads(p.read_text(encoding="utf-8")), TRUTHS) if t["kind"] != "bad"]


@lru_cache(maxsize=None)
def source_extraction(source: str) -> dict:
    from extractor.pipeline import extract_file

    return extract_file(REPO / source).to_dict()


def matrix(page: dict) -> np.ndarray:
    return np.vstack([np.array(page["points_to_pixels"], dtype=np.float64), [0, 0, 1]])


def gray(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32)


# ------------------------------------------------------------------------------ committed set

def test_committed_set_is_the_manifest_and_stays_small():
    expected = {item.name for item in COMMITTED} | set(BAD_INPUTS)
    expected |= {name + TRUTH_SUFFIX for name in expected} | {"README.md"}
    assert {p.name for p in SCANS.iterdir()} == expected
    assert sum(p.stat().st_size for p in SCANS.iterdir()) < 4.2 * 2**20
    assert {item.level for item in COMMITTED} == set(LEVELS)


def test_image_only_pdfs_have_no_text_layer_and_mixed_pdf_has_both():
    pdfs = sorted(SCANS.glob("*.pdf"))
    assert len(pdfs) == 4
    for path in pdfs:
        pages = truth(path.name)["pages"]
        doc = pdfium.PdfDocument(str(path))
        try:
            assert len(doc) == len(pages)
            for page, want in zip(doc, pages):
                chars = page.get_textpage().count_chars()
                images = [o for o in page.get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
                if want["kind"] == "scan":
                    assert chars == 0 and len(images) == 1, (path.name, want["page"])
                else:
                    assert chars > 100, (path.name, want["page"])
        finally:
            doc.close()
    assert [p["kind"] for p in truth("ningbo-2023.p1-3.hard.mixed.pdf")["pages"]] == ["text", "scan", "text"]


@pytest.mark.parametrize("truth_path", [p for p in TRUTHS if not p.name.startswith("bad.")], ids=lambda p: p.name)
def test_truth_forms_and_tables_are_what_the_text_pdf_gives(truth_path):
    t = json.loads(truth_path.read_text(encoding="utf-8"))
    src = source_extraction(t["source"])
    pages = t["source_pages"]
    renumber = {p: i for i, p in enumerate(pages, start=1)}
    want = [f for f in src["forms"] if set(f["pages"]) <= set(pages)]
    assert want and len(t["forms"]) == len(want)
    strip = lambda f: {k: v for k, v in f.items() if k not in ("pages", "cells")}  # noqa: E731
    assert [strip(f) for f in t["forms"]] == [strip(f) for f in want]
    assert [f["pages"] for f in t["forms"]] == [[renumber[p] for p in f["pages"]] for f in want]
    for got, exp in zip(t["forms"], want):
        assert {k: {**v, "page": None} for k, v in got["cells"].items()} == \
               {k: {**v, "page": None} for k, v in exp["cells"].items()}
    src_tables = [tb for tb in src["tables"] if tb["page"] in renumber]
    assert [tb["cells"] for tb in t["tables"]] == [tb["cells"] for tb in src_tables]
    assert [tb["page"] for tb in t["tables"]] == [renumber[tb["page"]] for tb in src_tables]
    assert [p["source_page"] for p in t["pages"]] == pages


def _check_bounds(d: dict, variant: str | None) -> None:
    level = LEVELS[d["level"]]
    fixed = VARIANTS.get(variant or "", {})

    def within(key: str, bounds: tuple[float, float]) -> None:
        if key in fixed:
            assert d[key] == fixed[key], key
        else:
            assert bounds[0] <= d[key] <= bounds[1], (key, d[key], bounds)

    assert d["dpi"] == level.dpi and d["mode"] == fixed.get("mode", level.mode)
    within("angle", (-level.max_angle, level.max_angle))
    within("noise_sigma", level.noise_sigma)
    within("salt_pepper", level.salt_pepper)
    within("blur_sigma", level.blur_sigma)
    assert d["rotation"] == fixed.get("rotation", 0)
    if "jpeg_quality" in fixed:
        assert d["jpeg_quality"] == fixed["jpeg_quality"]
    elif level.jpeg_quality is None:
        assert d["jpeg_quality"] is None
    else:
        assert level.jpeg_quality[0] <= d["jpeg_quality"] <= level.jpeg_quality[1]
    if level.paper:
        assert all(lo <= v <= hi for v, (lo, hi) in zip(d["paper_rgb"], PAPER_RGB)) and d["lighting"]
    else:
        assert d["paper_rgb"] is None and d["lighting"] is None
    assert (d["seal"] is not None) == level.seal
    if d["seal"]:
        assert SEAL_OPACITY[0] <= d["seal"]["opacity"] <= SEAL_OPACITY[1] and d["seal"]["covers"]


def test_degradations_are_within_their_level_and_the_files_match_them():
    seen = set()
    for t in scanned_truths():
        for page in t["pages"]:
            if page["kind"] != "scan":
                continue
            d = page["degradation"]
            _check_bounds(d, t["variant"])
            seen.add(d["level"])
            if not t["file"].endswith(".pdf"):
                with Image.open(SCANS / t["file"]) as im:
                    im.seek(page["page"] - 1)
                    assert im.mode == d["mode"] and list(im.size) == page["size_px"], t["file"]
                    assert round(im.info["dpi"][0]) == d["dpi"]
    assert seen == set(LEVELS)
    mild = [p["degradation"] for t in scanned_truths() if t["level"] == "mild" for p in t["pages"]]
    assert all(d["angle"] != 0 for d in mild)  # drawn, not left at zero


def test_bounds_check_rejects_an_out_of_level_page():
    d = truth("ningbo-2023.p2.mild.jpg")["pages"][0]["degradation"]
    _check_bounds(d, None)
    with pytest.raises(AssertionError):
        _check_bounds({**d, "angle": 1.5}, None)
    with pytest.raises(AssertionError):
        _check_bounds({**d, "jpeg_quality": 95}, None)


@pytest.mark.parametrize("name", ["ningbo-2023.p2.clean.rot90.png", "ningbo-2023.p2.clean.rot180.png",
                                  "ningbo-2023.p2.clean.rot270.png", "ningbo-2023.p2.clean.skew5.png",
                                  "ningbo-2023.p2.mild.jpg"])
def test_points_to_pixels_maps_the_clean_page_onto_the_variant(name):
    """Warping the variant back through the recorded maps gives the clean scan of the same page."""
    clean = gray(SCANS / "ningbo-2023.p2.clean.png")
    to_clean = matrix(truth("ningbo-2023.p2.clean.png")["pages"][0])
    to_variant = matrix(truth(name)["pages"][0])
    # pixel indices sit half a pixel inside the continuous coordinates the maps use
    half, back_half = np.array([[1, 0, .5], [0, 1, .5], [0, 0, 1]]), np.array([[1, 0, -.5], [0, 1, -.5], [0, 0, 1]])
    index_map = (back_half @ to_variant @ np.linalg.inv(to_clean) @ half)[:2]
    back = cv2.warpAffine(gray(SCANS / name), index_map, clean.shape[::-1],
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=255)
    corr = np.corrcoef(255 - back.ravel(), 255 - clean.ravel())[0, 1]
    assert corr > 0.93
    if "rot" in name:  # quarter turns move whole pixels: exact, sampled without interpolation
        # (OpenCV 5's fixed-point bilinear weights leave ±1 grey levels on exact integer maps)
        nearest = cv2.warpAffine(gray(SCANS / name), index_map, clean.shape[::-1],
                                 flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=255)
        assert np.array_equal(nearest, clean)
    shifted = np.corrcoef(255 - np.roll(back, 3, axis=1).ravel(), 255 - clean.ravel())[0, 1]
    assert shifted < 0.8  # the check would catch a map a few pixels off


def test_every_truth_cell_lies_inside_its_scan():
    for t in scanned_truths():
        for table in t["tables"]:
            page = t["pages"][table["page"] - 1]
            if page["kind"] != "scan":
                continue
            w, h = page["size_px"]
            for cell in table["cells"]:
                x0, y0, x1, y1 = cell["bbox"]
                corners = matrix(page) @ np.array([[x0, x1, x0, x1], [y0, y0, y1, y1], [1, 1, 1, 1]])
                assert (corners[0] >= 0).all() and (corners[0] <= w).all(), (t["file"], cell)
                assert (corners[1] >= 0).all() and (corners[1] <= h).all(), (t["file"], cell)


def test_hard_scan_has_a_red_seal_over_the_cells_it_lists():
    t = truth("ningbo-2023.p2.hard.jpg")
    page = t["pages"][0]
    seal = page["degradation"]["seal"]
    rgb = np.asarray(Image.open(SCANS / t["file"]).convert("RGB"), dtype=np.int16)
    red = (rgb[..., 0] - rgb[..., 1] > 60) & (rgb[..., 0] - rgb[..., 2] > 60)
    cx, cy = (matrix(page) @ [*seal["centre_pt"], 1])[:2]
    r = seal["diameter_pt"] / 2 * page["degradation"]["dpi"] / 72
    ys, xs = np.nonzero(red)
    inside = np.hypot(xs - cx, ys - cy) <= r * 1.05
    assert inside.sum() > 2000 and inside.mean() > 0.99  # red ink, and only where the seal is
    cells = {(c["row"], c["col"]): c for c in t["tables"][0]["cells"]}
    for hit in seal["covers"]:
        x0, y0, x1, y1 = cells[(hit["row"], hit["col"])]["bbox"]
        nx, ny = min(max(seal["centre_pt"][0], x0), x1), min(max(seal["centre_pt"][1], y0), y1)
        assert np.hypot(nx - seal["centre_pt"][0], ny - seal["centre_pt"][1]) < seal["diameter_pt"] / 2
    assert any(c["text"][0].isdigit() for c in (cells[(h["row"], h["col"])] for h in seal["covers"]))
    assert seal["text"] == t["forms"][0]["department"]


def test_image_modes_and_multi_page_tiff():
    with Image.open(SCANS / "ningbo-2023.p2.hard.palette.png") as im:
        assert im.mode == "P"
        palette = np.array(im.getpalette()[:3 * 32]).reshape(-1, 3)
        assert any(r - g > 60 and r - b > 60 for r, g, b in palette)  # the seal stayed red
    with Image.open(SCANS / "ningbo-2023.p2.clean.16bit.tif") as im:
        assert im.mode == "I;16" and np.asarray(im).max() > 255
    with Image.open(SCANS / "ningbo-2023.p1-2.clean.bilevel.tif") as im:
        assert im.n_frames == 2 and im.mode == "1" and im.info["compression"] == "group4"
    assert Image.open(SCANS / "ningbo-2023.p2.clean.png").mode == "L"
    assert Image.open(SCANS / "ningbo-2023.p2.hard.jpg").mode == "RGB"
    assert Image.open(SCANS / "ningbo-2023.p2.clean.rot90.png").size == (2339, 1654)


def test_bad_inputs():
    blank = np.asarray(Image.open(SCANS / BLANK))
    assert blank.min() == 255 and blank.shape == (2339, 1654)
    photo = np.asarray(Image.open(SCANS / PHOTO).convert("RGB"), dtype=np.float32)
    assert photo.std() > 20 and abs(photo[..., 2].mean() - photo[..., 0].mean()) > 10  # a picture, in colour
    data = (SCANS / CORRUPT).read_bytes()
    assert data[:2] == b"\xff\xd8" and not data.endswith(b"\xff\xd9")
    with Image.open(SCANS / CORRUPT) as im, pytest.raises(OSError):
        im.load()
    head = (SCANS / HUGE).read_bytes()[:24]  # the PNG header, read without decoding 400 Mpx
    assert head[12:16] == b"IHDR" and struct.unpack(">II", head[16:24]) == (HUGE_PX, HUGE_PX)
    assert (SCANS / HUGE).stat().st_size < 200_000
    for name in BAD_INPUTS:
        t = truth(name)
        assert t["kind"] == "bad" and t["forms"] == [] and t["expect"]


# --------------------------------------------------------------------------------- generator

def test_quarter_turns_and_skew_move_a_marked_pixel_where_the_map_says():
    page = Image.new("L", (40, 30), 255)
    page.putpixel((5, 7), 0)
    for rotation in (0, 90, 180, 270):
        d = Degradation(level="clean", seed=1, dpi=72, mode="L", rotation=rotation)
        out = np.asarray(apply(page, d))
        ys, xs = np.nonzero(out < 128)
        x, y = (points_to_pixels(d, page.size) @ [5.5, 7.5, 1])  # the pixel's centre, in points at 72 dpi
        assert (xs[0], ys[0]) == (int(x), int(y)), rotation
    d = Degradation(level="clean", seed=1, dpi=72, mode="L", angle=30.0)
    out = np.asarray(apply(page, d), dtype=np.float32)
    x, y = points_to_pixels(d, page.size) @ [5.5, 7.5, 1]
    ys, xs = np.nonzero(out < 250)
    weights = 255 - out[ys, xs]
    assert abs(np.average(xs + 0.5, weights=weights) - x) < 0.5 and abs(np.average(ys + 0.5, weights=weights) - y) < 0.5


def test_items_refuse_what_their_format_cannot_hold():
    for bad in [dict(pages=(1, 3)), dict(fmt="png", pages=(1, 2)), dict(level="clean", fmt="jpg"),
                dict(fmt="pdf", variant="palette"), dict(text_pages=(1,)), dict(level="grainy")]:
        with pytest.raises(ValueError):
            Item(**{"source": docs_pdf("ningbo-2023"), "pages": (1,), "level": "hard", "fmt": "jpg", **bad})
    with pytest.raises(ValueError):
        write_image_pdf([], Path("never.pdf"))
    with pytest.raises(ValueError):
        write_image_pdf([PdfImagePage(Image.new("P", (4, 4)), 72, None)], Path("never.pdf"))


def test_selection_keeps_forms_whole():
    shanghai = source_extraction(docs_pdf("shanghai-2023"))
    with pytest.raises(ValueError, match="cut"):
        scan.select_pages(shanghai, [3])
    assert scan.whole_form_pages(shanghai, 3) == 4 and scan.whole_form_pages(shanghai, 2) == 2
    assert scan.whole_form_pages(source_extraction(docs_pdf("ningbo-targets-2023")), 1) == 4
    forms, tables = scan.select_pages(shanghai, [9, 10])
    assert [f["pages"] for f in forms] == [[1, 2]] and [t["page"] for t in tables] == [1, 2]


def _by_name(name: str) -> Item:
    return next(item for item in COMMITTED if item.name == name)


@needs_poppler
def test_same_seed_same_bytes_and_committed_files_up_to_date(tmp_path):
    """A subset is regenerated (the whole set takes ~15 s): each kind of output once, the hard
    level and the PDFium-saved mixed PDF twice. Truth must match exactly; pixels closely, as
    another poppler or libjpeg may round a few values differently."""
    names = ["ningbo-2023.p2.hard.jpg", "ningbo-2023.p2.clean.rot90.png", "ningbo-2023.p1-3.hard.mixed.pdf"]
    for name in names:
        path = scan.write_item(_by_name(name), tmp_path)
        assert json.loads(Path(f"{path}{TRUTH_SUFFIX}").read_text(encoding="utf-8")) == truth(name), name
        committed = SCANS / name
        if name.endswith(".pdf"):
            a, b = _render_pdf(path), _render_pdf(committed)
        else:
            a, b = gray(path), gray(committed)
        assert a.shape == b.shape and np.abs(a - b).mean() < 1.0, name
    scan._render.cache_clear()  # rasterised afresh too
    again = scan.write_item(_by_name(names[2]), tmp_path / "again")
    assert again.read_bytes() == (tmp_path / names[2]).read_bytes()


def test_another_seed_draws_other_degradations():
    page_size = (595.28, 841.89)
    tables = truth("ningbo-2023.p2.hard.jpg")["tables"]
    seeds = {scan.page_seed(seed, "x.pdf", 1) for seed in (2023, 7)} | {scan.page_seed(2023, "x.pdf", 2)}
    assert len(seeds) == 3
    drawn = [sample(LEVELS["hard"], s, page_size, tables, "某局").to_dict() for s in sorted(seeds)]
    assert drawn[0] != drawn[1] != drawn[2]
    assert sample(LEVELS["hard"], 5, page_size, tables, "某局") == sample(LEVELS["hard"], 5, page_size, tables, "某局")


def _render_pdf(path: Path) -> np.ndarray:
    doc = pdfium.PdfDocument(str(path))
    try:
        return np.stack([np.asarray(page.render(scale=0.5, grayscale=True).to_pil().convert("L"), dtype=np.float32)
                         for page in doc])
    finally:
        doc.close()


@needs_poppler
def test_cli_bench_writes_one_pdf_per_level_of_whole_forms(tmp_path, capsys):
    source = REPO / docs_pdf("shanghai-2023")
    assert scan.main(["--out", str(tmp_path), "--bench", "--from", str(source), "--levels", "hard",
                      "--pages", "1"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shanghai-2023.p1.hard.pdf",
                                                          "shanghai-2023.p1.hard.pdf" + TRUTH_SUFFIX]
    t = json.loads((tmp_path / ("shanghai-2023.p1.hard.pdf" + TRUTH_SUFFIX)).read_text(encoding="utf-8"))
    assert t["source"] == docs_pdf("shanghai-2023") and len(t["forms"]) == 1 and t["pages"][0]["degradation"]["seal"]
    assert "shanghai-2023.p1.hard.pdf" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        scan.main(["--out", str(tmp_path), "--levels", "clean,grainy"])
    with pytest.raises(SystemExit):
        scan.main(["--out", str(tmp_path), "--pages", "2"])  # --pages goes with --bench
