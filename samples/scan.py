"""Scanned versions of the sample forms, each with its ground truth beside it.

    python -m samples.scan --out samples/scans            # the committed set (see COMMITTED)
    python -m samples.scan --out /tmp/scans --bench [--from samples/docs/*.pdf] \\
        [--levels clean,mild,hard] [--pages N]            # the benchmark corpus: one PDF per source and level

Pages of the text-layer PDFs that `samples.generate` writes are rasterised with pdf2image and
degraded per level (`samples.degrade`). Beside every file `<file>.truth.json` holds what a
perfect reader would get: the forms and tables `extract_file` reads from the text-layer
source pages (renumbered as in the scan), each page's degradation, and the map from the
original page's points to the scan's pixels. The same seed gives the same bytes.
"""
from __future__ import annotations

import argparse
import copy
import glob
import hashlib
import io
import json
import sys
import tempfile
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Sequence

from PIL import Image

from samples.degrade import LEVELS, Degradation, apply, points_to_pixels, sample, to_mode
from samples.imagepdf import PdfImagePage, encode_jpeg, write_image_pdf, write_mixed_pdf

REPO = Path(__file__).resolve().parents[1]
DOCS = "samples/docs"
DEFAULT_SEED = 2023
TRUTH_SUFFIX = ".truth.json"
FORMATS = ("pdf", "png", "jpg", "tif")

# What a variant changes in its level's degradation; the truth records the result.
VARIANTS: dict[str, dict[str, Any]] = {
    "rot90": {"rotation": 90}, "rot180": {"rotation": 180}, "rot270": {"rotation": 270},
    "skew5": {"angle": -5.0},
    # an indexed-colour export keeps few colours only where the scan is not noisy: without the
    # sensor noise and JPEG a palette PNG stays small, with them it is a megabyte of speckle
    "palette": {"mode": "P", "noise_sigma": 0.0, "jpeg_quality": None},
    "16bit": {"mode": "I;16"}, "bilevel": {"mode": "1"},
    "mixed": {},  # the pages in `text_pages` stay text, the others are scanned at the level
}


@dataclass(frozen=True)
class Item:
    """One scanned file: pages of a text-layer source PDF at a level, as one file format."""

    source: str                      # the text-layer PDF, relative to the repository when inside it
    pages: tuple[int, ...]           # 1-based source pages, consecutive
    level: str
    fmt: str
    variant: Optional[str] = None
    text_pages: tuple[int, ...] = ()  # a mixed PDF's pages kept as they are

    def __post_init__(self) -> None:
        if self.level not in LEVELS or self.fmt not in FORMATS or (self.variant and self.variant not in VARIANTS):
            raise ValueError(f"unknown level, format or variant in {self}")
        if list(self.pages) != list(range(self.pages[0], self.pages[0] + len(self.pages))):
            raise ValueError(f"pages must be consecutive: {self.pages}")
        if len(self.pages) > 1 and self.fmt not in ("pdf", "tif"):
            raise ValueError(f"a .{self.fmt} holds one page: {self}")
        if self.fmt == "jpg" and LEVELS[self.level].jpeg_quality is None:
            raise ValueError(f"the {self.level} level is lossless: no .jpg of it")
        if self.fmt in ("pdf", "jpg") and "mode" in VARIANTS.get(self.variant or "", {}):
            raise ValueError(f"a .{self.fmt} stores L or RGB only, not the {self.variant} variant")
        if bool(self.text_pages) != (self.variant == "mixed") or not set(self.text_pages) <= set(self.pages):
            raise ValueError(f"text pages go with the mixed variant, inside its pages: {self}")

    @property
    def name(self) -> str:
        first, last = self.pages[0], self.pages[-1]
        span = f"p{first}" if first == last else f"p{first}-{last}"
        return ".".join([Path(self.source).stem, span, self.level, *([self.variant] if self.variant else []),
                         self.fmt])


def docs_pdf(stem: str) -> str:
    return f"{DOCS}/{stem}.pdf"


# The committed set, kept small (see samples/scans/README.md): each level as a 2-page PDF of a
# form that continues over a page break, one page in every image mode, turned and skewed, a
# bilevel multi-page TIFF and a PDF with a scanned page among text pages.
COMMITTED: tuple[Item, ...] = (
    *(Item(docs_pdf("shanghai-2023"), (3, 4), level, "pdf") for level in LEVELS),
    Item(docs_pdf("ningbo-2023"), (2,), "clean", "png"),
    Item(docs_pdf("ningbo-2023"), (2,), "mild", "jpg"),
    Item(docs_pdf("ningbo-2023"), (2,), "hard", "jpg"),
    Item(docs_pdf("ningbo-2023"), (2,), "hard", "png", "palette"),
    Item(docs_pdf("ningbo-2023"), (2,), "clean", "tif", "16bit"),
    *(Item(docs_pdf("ningbo-2023"), (2,), "clean", "png", f"rot{r}") for r in (90, 180, 270)),
    Item(docs_pdf("ningbo-2023"), (2,), "clean", "png", "skew5"),
    Item(docs_pdf("ningbo-2023"), (1, 2), "clean", "tif", "bilevel"),
    Item(docs_pdf("ningbo-2023"), (1, 2, 3), "hard", "pdf", "mixed", text_pages=(1, 3)),
)


def _resolve(source: str) -> Path:
    path = Path(source)
    return path if path.is_absolute() else REPO / path


def page_seed(seed: int, name: str, page: int) -> int:
    """A page's own seed: stable across runs and Python versions (no `hash()`), distinct per file."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{name}/{page}".encode()).digest()[:4], "big")


@lru_cache(maxsize=8)
def source_result(source: str) -> dict[str, Any]:
    from extractor.pipeline import extract_file

    result = extract_file(_resolve(source), source=source).to_dict()
    if result["status"] != "ok":
        raise ValueError(f"{source}: the text-layer source does not extract cleanly: {result['errors']}")
    return result


def select_pages(result: dict[str, Any], pages: Sequence[int]) -> tuple[list[dict], list[dict]]:
    """The forms and tables on `pages` of an extraction result, pages renumbered 1.. in order.
    A form running onto a page outside `pages` would be half a form: that is an error."""
    number = {p: i for i, p in enumerate(pages, start=1)}
    forms = []
    for form in result["forms"]:
        inside = [p for p in form["pages"] if p in number]
        if not inside:
            continue
        if len(inside) != len(form["pages"]):
            raise ValueError(f"a form on pages {form['pages']} is cut by the selection {list(pages)}")
        form = copy.deepcopy(form)
        form["pages"] = [number[p] for p in form["pages"]]
        for where in (form.get("cells") or {}).values():
            if where.get("page") is not None:
                where["page"] = number[where["page"]]
        forms.append(form)
    tables = [{**t, "page": number[t["page"]]} for t in result["tables"] if t["page"] in number]
    return forms, tables


def whole_form_pages(result: dict[str, Any], n: int) -> int:
    """`n` raised until no form runs past it, so the first pages hold whole forms only."""
    n = min(max(1, n), result["pages"])
    while True:
        last = max((max(f["pages"]) for f in result["forms"] if min(f["pages"]) <= n < max(f["pages"])), default=n)
        if last == n:
            return n
        n = last


@lru_cache(maxsize=4)
def _render(source: str, page: int, dpi: int, grayscale: bool) -> Image.Image:
    from pdf2image import convert_from_path

    # one page per call: a long document at 200 dpi would otherwise sit in memory whole
    (image,) = convert_from_path(str(_resolve(source)), dpi=dpi, first_page=page, last_page=page,
                                 grayscale=grayscale, thread_count=1)
    return image


@lru_cache(maxsize=8)
def _page_size_pt(source: str, page: int) -> tuple[float, float]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(_resolve(source)))
    try:
        w, h = doc[page - 1].get_size()
    finally:
        doc.close()
    return round(w, 2), round(h, 2)


@dataclass
class ScannedPage:
    image: Image.Image        # L or RGB, before JPEG encoding and the variant's mode
    degradation: Degradation
    entry: dict[str, Any]     # the page's record in the truth file


def scan_page(item: Item, page: int, index: int, seed: int, tables: list[dict], forms: list[dict]) -> ScannedPage:
    """Page `page` of `item.source` as the scan's page `index` (1-based)."""
    level = LEVELS[item.level]
    size_pt = _page_size_pt(item.source, page)
    own = [t for t in tables if t["page"] == index]
    department = next((f["department"] for f in forms if index in f["pages"] and f.get("department")), "财政局")
    d = sample(level, page_seed(seed, item.name, page), size_pt, own, seal_text=department)
    d = replace(d, **VARIANTS.get(item.variant or "", {}))
    rendered = _render(item.source, page, level.dpi, level.mode == "L")
    image = apply(rendered, d)
    matrix = points_to_pixels(d, rendered.size)
    entry = {"page": index, "source_page": page, "kind": "scan", "size_pt": list(size_pt),
             "size_px": list(image.size), "points_to_pixels": [[round(float(v), 6) for v in row] for row in matrix],
             "degradation": d.to_dict()}
    return ScannedPage(image, d, entry)


def _lossless(page: ScannedPage) -> Image.Image:
    """The delivered image of a PNG/TIFF: through the level's JPEG first (a scanner's software
    compresses before a user converts), then in the variant's mode."""
    image, d = page.image, page.degradation
    if d.jpeg_quality is not None:
        image = Image.open(io.BytesIO(encode_jpeg(image, d.jpeg_quality, d.dpi)))
        image.load()
    return to_mode(image, d.mode)


def write_item(item: Item, out_dir: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write `item` and its truth file into `out_dir`; return the scan's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / item.name
    forms, tables = select_pages(source_result(item.source), item.pages)
    scanned = [p for p in item.pages if p not in item.text_pages]
    pages = {p: scan_page(item, p, i, seed, tables, forms) for i, p in enumerate(item.pages, start=1) if p in scanned}
    if item.fmt == "pdf":
        pdf_pages = [PdfImagePage(pages[p].image, pages[p].degradation.dpi, pages[p].degradation.jpeg_quality)
                     for p in scanned]
        if item.text_pages:
            with tempfile.TemporaryDirectory() as tmp:
                scans = write_image_pdf(pdf_pages, Path(tmp) / "scans.pdf")
                order = iter(range(len(scanned)))
                write_mixed_pdf([(_resolve(item.source), p - 1) if p in item.text_pages else (scans, next(order))
                                 for p in item.pages], target)
        else:
            write_image_pdf(pdf_pages, target)
    elif item.fmt == "jpg":
        (page,) = pages.values()
        target.write_bytes(encode_jpeg(page.image, page.degradation.jpeg_quality, page.degradation.dpi))
    else:
        frames = [_lossless(pages[p]) for p in item.pages]
        dpi = pages[item.pages[0]].degradation.dpi
        if item.fmt == "png":
            frames[0].save(target, format="PNG", optimize=True, dpi=(dpi, dpi))
        else:
            compression = "group4" if frames[0].mode == "1" else "tiff_deflate"
            frames[0].save(target, format="TIFF", save_all=True, append_images=frames[1:],
                           compression=compression, dpi=(dpi, dpi))
    entries = [pages[p].entry if p in pages else
               {"page": i, "source_page": p, "kind": "text", "size_pt": list(_page_size_pt(item.source, p))}
               for i, p in enumerate(item.pages, start=1)]
    truth = {"file": item.name, "kind": "mixed" if item.text_pages else "scan", "level": item.level,
             "variant": item.variant, "seed": seed, "source": item.source, "source_pages": list(item.pages),
             "pages": entries, "tables": tables, "forms": forms}
    write_truth(target, truth)
    return target


def write_truth(target: Path, truth: dict[str, Any]) -> Path:
    path = target.with_name(target.name + TRUTH_SUFFIX)
    # compact: the truth of a page is mostly cell boxes, and pretty-printing triples its size
    path.write_text(json.dumps(truth, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def bench_items(sources: Sequence[str], levels: Sequence[str], pages: Optional[int] = None) -> list[Item]:
    """One image-only PDF per source and level, of the first `pages` pages (whole forms), or all."""
    items = []
    for source in sources:
        result = source_result(source)
        n = whole_form_pages(result, pages) if pages else result["pages"]
        items.extend(Item(source, tuple(range(1, n + 1)), level, "pdf") for level in levels)
    return items


def _levels(text: str) -> list[str]:
    levels = [t.strip() for t in text.split(",") if t.strip()]
    if not levels or any(t not in LEVELS for t in levels):
        raise argparse.ArgumentTypeError(f"levels must be among {','.join(LEVELS)}, got {text!r}")
    return levels


def _source_arg(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(resolved)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from pdf2image.exceptions import PDFInfoNotInstalledError

    from samples.badinput import write_bad_inputs  # it builds on this module

    ap = argparse.ArgumentParser(prog="python -m samples.scan", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    ap.add_argument("--levels", type=_levels, default=list(LEVELS), help="comma list of clean,mild,hard")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="every random choice follows from it")
    ap.add_argument("--bench", action="store_true",
                    help="write the benchmark corpus (one PDF per source and level) instead of the committed set")
    ap.add_argument("--from", dest="sources", nargs="+", type=Path,
                    help=f"text-layer PDFs for --bench (default {DOCS}/*.pdf)")
    ap.add_argument("--pages", type=int, help="--bench: only the first N pages of each source, extended to whole forms")
    args = ap.parse_args(argv)
    if not args.bench and (args.sources or args.pages):
        ap.error("--from and --pages go with --bench")
    if args.bench:
        sources = [_source_arg(p) for p in args.sources] if args.sources else sorted(glob.glob(f"{DOCS}/*.pdf", root_dir=REPO))
        items = bench_items(sources, args.levels, args.pages)
    else:
        items = [item for item in COMMITTED if item.level in args.levels]
    try:
        for item in items:
            print(write_item(item, args.out, args.seed))
        if not args.bench:
            for path in write_bad_inputs(args.out, args.seed):
                print(path)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except PDFInfoNotInstalledError:
        print("error: pdf2image needs poppler: install it with `apt-get install -y poppler-utils`", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
