"""Scan clean-up: skew, quarter turns, upside-down pages and red seals, on rendered sample pages
turned and stamped here with known parameters, and the transform back to the original page."""
from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from extractor.backends.pdf import PdfBackend
from extractor.scan.cleanup import PageTransform, clean_page, ink_mask
from extractor.scan.seals import seal_free_gray
from extractor.scan.specks import DUST_PX
from extractor.scan.lines import find_segments
from extractor import geometry
from tests.conftest import REPO

DOCS = REPO / "samples" / "docs"
DPI = 200
PT = 72.0 / DPI  # points per pixel


@lru_cache(maxsize=8)
def render_page(name: str, number: int, dpi: int = DPI) -> np.ndarray:
    """A sample PDF page as an RGB array (read-only: callers copy before drawing)."""
    doc = pdfium.PdfDocument(DOCS / name)
    try:
        img = np.asarray(doc[number - 1].render(scale=dpi / 72).to_pil().convert("RGB"))
    finally:
        doc.close()
    img.flags.writeable = False
    return img


def scan_of(rgb: np.ndarray, angle: float = 0.0, rotation: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The page skewed `angle` degrees counter-clockwise (page size kept, like a scanner bed),
    then turned counter-clockwise by `rotation`; and the 3×3 map from page pixels to scan pixels."""
    h, w = rgb.shape[:2]
    m = np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0), [0, 0, 1]])
    size = (w, h)
    for _ in range(rotation // 90):
        cw, ch = size
        m = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, cw - 1.0], [0, 0, 1]]) @ m
        size = (ch, cw)
    out = cv2.warpAffine(rgb, m[:2], size, flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    return out, m


def stamp_seal(rgb: np.ndarray, centre: tuple[int, int], radius: int) -> np.ndarray:
    """A red ring with a star and lettering, multiplied onto the page as translucent ink is."""
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.circle(mask, centre, radius, 255, max(3, radius // 14))
    cx, cy = centre
    star = [(cx + radius * 0.3 * math.cos(math.radians(-90 + 72 * k * 2)),
             cy + radius * 0.3 * math.sin(math.radians(-90 + 72 * k * 2))) for k in range(5)]
    cv2.fillPoly(mask, [np.array(star, np.int32)], 255)
    cv2.putText(mask, "SEAL 2023", (cx - radius // 2, cy + radius // 2), cv2.FONT_HERSHEY_SIMPLEX,
                radius / 90, 255, max(2, radius // 25))
    ink = np.array([214, 38, 44], np.float32) / 255.0
    alpha = (mask.astype(np.float32) / 255.0 * 0.85)[..., None]
    out = rgb.astype(np.float32) * (1.0 - alpha + alpha * ink)
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("angle", [-4.6, -1.3, 0.4, 2.2, 4.9])
def test_skew_is_measured_to_a_tenth_of_a_degree(angle):
    scan, _ = scan_of(render_page("ningbo-2023.pdf", 2), angle)
    cleaned = clean_page(scan, PT)
    assert cleaned.rotation == 0
    assert abs(cleaned.skew - angle) <= 0.1


@pytest.mark.parametrize("rotation,angle", [(90, 1.7), (180, -2.9), (270, 0.0)])
def test_pages_turned_a_quarter_or_upside_down_come_back_upright(rotation, angle):
    scan, _ = scan_of(render_page("shanghai-2023.pdf", 2), angle, rotation)
    cleaned = clean_page(scan, PT)
    assert cleaned.rotation == rotation  # the clockwise turn applied undoes the counter-clockwise one
    assert abs(cleaned.skew - angle) <= 0.1
    assert cleaned.image.shape[0] > cleaned.image.shape[1]  # portrait again


def test_transform_maps_cleaned_points_to_the_scanned_page():
    """A table corner found in the cleaned image, mapped back, lands where the scan has it."""
    page = PdfBackend().load(DOCS / "ningbo-2023.pdf")[1]
    x0, y0, x1, y1 = page.grids[0].bbox
    scan, to_scan = scan_of(render_page("ningbo-2023.pdf", 2), 3.3, 90)
    cleaned = clean_page(scan, PT)
    grid = geometry.extract_grids(find_segments(cleaned.image, PT), [], 2)[0][0]
    for (cx, cy), (px, py) in zip([(grid.bbox[0], grid.bbox[1]), (grid.bbox[2], grid.bbox[3])], [(x0, y0), (x1, y1)]):
        want = to_scan @ (px / PT, py / PT, 1.0)
        got = cleaned.transform.to_original(cx, cy)
        assert math.dist(got, (want[0] * PT, want[1] * PT)) < 1.5


def test_page_transform_algebra():
    t = PageTransform(0.0, -1.0, 100.0, 1.0, 0.0, 5.0)  # a quarter turn and a shift
    assert t.to_original(10.0, 20.0) == (80.0, 15.0)
    back = t.inverse()
    assert np.allclose(back.to_original(*t.to_original(3.0, 4.0)), (3.0, 4.0))
    assert t.box_to_original((0.0, 0.0, 10.0, 20.0)) == (80.0, 5.0, 100.0, 15.0)


def test_red_seal_is_removed_and_the_text_under_it_kept():
    page = render_page("ningbo-2023.pdf", 2)
    before = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    centre, radius = (1050, 700), 160  # over the budget figures of the funds table
    stamped = stamp_seal(page, centre, radius)
    gray, n = seal_free_gray(stamped)
    assert n > 5000
    disc = np.zeros(before.shape, bool)
    cv2.circle(disc.view(np.uint8), centre, radius + 8, 1, -1)
    seal_ink = disc & (np.abs(stamped.astype(int) - page.astype(int)).sum(axis=2) > 60) & (before > 200)
    assert np.mean(gray[seal_ink] > 200) > 0.97  # the seal's own strokes are paper again
    text = disc & (before < 100)
    assert text.sum() > 500
    assert np.mean(gray[text] < 128) > 0.9  # the figures under it still read dark
    assert np.mean(np.abs(gray[disc].astype(int) - before[disc])) < 6


def test_a_blurred_seal_leaves_no_ghost_and_the_ink_under_it_stays():
    # a scan's blur, and its JPEG's colour kept at half resolution, spread the seal's strokes
    # into a faint rim that no hue test catches
    page = render_page("ningbo-2023.pdf", 2)
    centre, radius = (1050, 700), 160
    stamped = _jpeg(cv2.GaussianBlur(stamp_seal(page, centre, radius), (0, 0), 1.5))
    plain = cv2.GaussianBlur(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY), (0, 0), 1.5)
    gray, n = seal_free_gray(stamped)
    assert n > 5000
    disc = np.zeros(plain.shape, np.uint8)
    cv2.circle(disc, centre, radius + 8, 1, -1)
    disc = disc > 0
    was_ink, is_ink = ink_mask(plain) > 0, ink_mask(gray) > 0
    near_old_ink = cv2.dilate(was_ink.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    _, _, stats, _ = cv2.connectedComponentsWithStats((is_ink & disc & ~near_old_ink).view(np.uint8))
    assert (stats[1:, cv2.CC_STAT_AREA] <= DUST_PX).all()  # no trace of ring, star or lettering but dust
    assert np.mean(is_ink[disc & was_ink]) > 0.95  # the figures and rulings under it stay ink
    # away from the seal the page is the plain grey conversion: no other pixel is touched
    far = np.ones(plain.shape, np.uint8)
    cv2.circle(far, centre, radius + 60, 0, -1)
    far = far > 0
    assert np.array_equal(gray[far], cv2.cvtColor(stamped, cv2.COLOR_RGB2GRAY)[far])


def _jpeg(rgb: np.ndarray, quality: int = 75) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_page_without_red_is_left_as_is():
    page = render_page("ningbo-2023.pdf", 1)
    gray, n = seal_free_gray(page)
    assert n == 0 and np.array_equal(gray, cv2.cvtColor(page, cv2.COLOR_RGB2GRAY))


def test_blank_page_is_flagged_and_untouched():
    rng = np.random.default_rng(3)
    blank = np.clip(rng.normal(245, 3, (2339, 1654, 3)), 0, 255).astype(np.uint8)
    cleaned = clean_page(blank, PT)
    assert cleaned.blank and cleaned.rotation == 0 and cleaned.skew == 0.0
    assert cleaned.image.shape == blank.shape[:2]


def test_cleaned_image_is_grey_and_holds_the_whole_page():
    scan, _ = scan_of(render_page("ningbo-2023.pdf", 1), -4.0)
    cleaned = clean_page(scan, PT)
    h, w = scan.shape[:2]
    assert cleaned.image.ndim == 2 and cleaned.image.dtype == np.uint8
    # turned back on a grown canvas: no corner of the page is cut off
    assert cleaned.image.shape[1] >= w * math.cos(math.radians(4)) + h * math.sin(math.radians(4)) - 2
