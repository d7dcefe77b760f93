"""Bad inputs a scan reader meets: a blank page, a photo that is no form, a corrupt JPEG, and a
20 000 × 20 000 px image. Each has a truth file saying what a reader should make of it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from samples.imagepdf import encode_jpeg
from samples.scan import DEFAULT_SEED, Item, docs_pdf, page_seed, scan_page, select_pages, source_result, write_truth

HUGE_PX = 20_000
A4_MM = (210.0, 297.0)
BLANK, PHOTO, CORRUPT, HUGE = "bad.blank.png", "bad.photo.jpg", "bad.corrupt.jpg", f"bad.huge-{HUGE_PX}px.png"
BAD_INPUTS = (BLANK, PHOTO, CORRUPT, HUGE)


def blank_page(dpi: int = 200) -> Image.Image:
    """A white A4 page, as a scanner returns the empty back of a sheet."""
    return Image.new("L", tuple(round(mm / 25.4 * dpi) for mm in A4_MM), 255)


def photo(rng: np.random.Generator, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A landscape snapshot: sky, sun, hills; edges and colour but no ruling and no text."""
    w, h = size
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    top, horizon = rng.uniform([40, 90, 170], [80, 130, 220]), rng.uniform([170, 200, 220], [220, 230, 245])
    sky = (top * (1 - t) + horizon * t) * np.ones((1, w, 1), dtype=np.float32)
    img = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    sx, sy, sr = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.35) * h, rng.uniform(0.04, 0.08) * w
    draw.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=(255, 236, 180))
    for k in range(3):  # ridges from far (pale) to near (dark), each a random walk
        base = h * (0.45 + 0.15 * k)
        ridge = base + np.cumsum(rng.normal(0, h * 0.012, 65))
        xs = np.linspace(0, w, len(ridge))
        shade = int(150 - 45 * k)
        draw.polygon([(0, h), *zip(xs.tolist(), ridge.tolist()), (w, h)],
                     fill=(shade // 2, shade, shade // 2 + int(rng.integers(0, 30))))
    arr = np.asarray(img.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32)
    arr += rng.normal(0, 6, arr.shape).astype(np.float32)  # film grain
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def corrupt_jpeg(data: bytes, rng: np.random.Generator, keep: float = 0.3) -> bytes:
    """A JPEG cut short (an interrupted upload) with a run of garbled bytes in what is left:
    the header still says JPEG, decoding fails or stops part way."""
    cut = bytearray(data[:int(len(data) * keep)])
    start = int(rng.integers(len(cut) // 2, len(cut) - 64))
    cut[start:start + 48] = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
    return bytes(cut)


def write_huge(path: Path, size: int = HUGE_PX) -> Path:
    """A white bilevel PNG of size × size px: ~80 KB on disk, 400 Mpx (≥ 400 MB as 8-bit) decoded."""
    Image.new("1", (size, size), 1).save(path, format="PNG")
    return path


def write_bad_inputs(out_dir: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """The bad inputs and their truth files; returns the inputs' paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def done(path: Path, bad: str, expect: str, **extra: Any) -> None:
        write_truth(path, {"file": path.name, "kind": "bad", "bad_input": bad, "expect": expect, "seed": seed,
                           **extra, "pages": [], "tables": [], "forms": []})
        written.append(path)

    path = out_dir / BLANK
    blank_page().save(path, format="PNG", optimize=True, dpi=(200, 200))
    done(path, "blank", "no form: a white page, nothing to read")

    path = out_dir / PHOTO
    path.write_bytes(encode_jpeg(photo(np.random.default_rng(page_seed(seed, path.name, 1))), 85, 96))
    done(path, "photo", "no form: a landscape photo, no table and no text")

    # a real scan cut short, so a reader cannot tell it is bad until it decodes
    source = Item(docs_pdf("ningbo-2023"), (2,), "hard", "jpg")
    forms, tables = select_pages(source_result(source.source), source.pages)
    page = scan_page(source, 2, 1, seed, tables, forms)
    path = out_dir / CORRUPT
    whole = encode_jpeg(page.image, page.degradation.jpeg_quality or 60, page.degradation.dpi)
    path.write_bytes(corrupt_jpeg(whole, np.random.default_rng(page_seed(seed, path.name, 1))))
    done(path, "corrupt", "an error naming the file (truncated, garbled JPEG), never a crash or a hang",
         cut_from=source.name)

    path = write_huge(out_dir / HUGE)
    done(path, "huge", f"{HUGE_PX}×{HUGE_PX} px ({HUGE_PX * HUGE_PX // 10**6} Mpx): refused or downscaled "
         "before it is decoded whole, within the memory limit", size_px=[HUGE_PX, HUGE_PX])
    return written
