"""Extraction speed on the bundled samples, one core, with a baseline run in the same process.

    python bench/extract_bench.py [--dir samples/docs] [--repeat 3]

Per input kind it prints our throughput (text-layer PDF pages/s; forms/s for xlsx and text) and
the ratio to a baseline doing the least comparable work in the same process:
- pdf-text: pdfplumber's `extract_tables()` when installed (a widely used table extractor), else
  pypdfium2 reading the text layer alone;
- xlsx: openpyxl loading the workbook with no parsing;
- text: reading and tab-splitting the file with no parsing.
Goal: >= 20 text-layer PDF pages per second on one core.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.pipeline import extract_file  # noqa: E402


def _time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _ours(files: list[Path]) -> tuple[int, int]:
    pages = forms = 0
    for f in files:
        result = extract_file(f)
        pages += result.pages
        forms += len(result.forms)
    return pages, forms


def _baseline_pdf(files: list[Path]) -> Callable[[], None]:
    try:
        import pdfplumber

        def run() -> None:
            for f in files:
                with pdfplumber.open(f) as pdf:
                    for page in pdf.pages:
                        page.extract_tables()

        run.name = "pdfplumber.extract_tables"  # type: ignore[attr-defined]
        return run
    except ImportError:
        import pypdfium2

        def run_text() -> None:
            for f in files:
                doc = pypdfium2.PdfDocument(f)
                for page in doc:
                    page.get_textpage().get_text_range()
                doc.close()

        run_text.name = "pypdfium2 text only"  # type: ignore[attr-defined]
        return run_text


def _baseline_xlsx(files: list[Path]) -> Callable[[], None]:
    import openpyxl

    def run() -> None:
        for f in files:
            openpyxl.load_workbook(f, data_only=True).close()

    run.name = "openpyxl load only"  # type: ignore[attr-defined]
    return run


def _baseline_text(files: list[Path]) -> Callable[[], None]:
    def run() -> None:
        for f in files:
            [line.split("\t") for line in f.read_text(encoding="utf-8").splitlines()]

    run.name = "read + tab split only"  # type: ignore[attr-defined]
    return run


KINDS = {".pdf": ("pdf-text", _baseline_pdf), ".xlsx": ("xlsx", _baseline_xlsx), ".txt": ("text", _baseline_text)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parents[1] / "samples" / "docs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the goal says
    print(f"{'kind':<9} {'files':>5} {'pages':>6} {'forms':>6} {'ours s':>8} {'pages/s':>8} {'forms/s':>8} {'baseline':<28} {'base s':>8} {'ratio':>6}")
    for suffix, (kind, make_baseline) in KINDS.items():
        files = sorted(args.dir.glob(f"*{suffix}"))
        if not files:
            continue
        pages, forms = _ours(files)  # warm-up, and the counts
        ours = _time(lambda: _ours(files), args.repeat)
        baseline = make_baseline(files)
        base = _time(baseline, args.repeat)
        print(
            f"{kind:<9} {len(files):>5} {pages:>6} {forms:>6} {ours:>8.3f} {pages / ours:>8.1f} {forms / ours:>8.1f} "
            f"{baseline.name:<28} {base:>8.3f} {base / ours:>6.2f}"  # type: ignore[attr-defined]
        )
    print("ratio = baseline seconds / our seconds (above 1: we are faster than the baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
