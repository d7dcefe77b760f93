"""The queue's throughput: the scanned sample archive processed by 1 and by 2 Celery worker
processes, pages per minute each, and the speed-up of 2 against 1 (the baseline, run in the same
invocation, on the same machine, one after the other).

    python bench/queue_bench.py [--workers 1,2] [--files GLOB] [--timeout S] [--keep DIR]

The archive is a zip of samples/scans' PDFs and images (the form scans; `--files` picks others).
Each round gets a fresh data directory (SQLite: a shared database would find the second round's
files already processed) and an emptied private redis-server, starts N `formaudit worker
--concurrency 1` processes (one ONNX thread per model each, `tests/queue_support.Stack`) and waits
until each has loaded its models, then times from the upload (ingest, `submit_upload`) to its run
being done: every page read, every document assembled, the audit and its reports written. Pages
per minute counts every page of the archive's documents. Exits 0 whatever the figures (a
benchmark reports); a round that does not finish within `--timeout` is named and ends it with 1.

On a 2-core machine the ideal ratio is 2; the split, the audit at the end (one process each) and
whatever else runs on the machine keep it below that.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.queue_support import SCANS, Stack  # noqa: E402

DEFAULT_FILES = "*-2023.*"  # the form scans; the bad.* files are refusals, not throughput
FORM_SUFFIXES = {".pdf", ".png", ".jpg", ".tif"}


def build_archive(pattern: str, out: Path) -> tuple[Path, int]:
    """A zip of the scans matching `pattern` in a folder of their own; the number of files."""
    files = sorted(p for p in SCANS.glob(pattern) if p.suffix.lower() in FORM_SUFFIXES)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for path in files:
            archive.write(path, f"scans/{path.name}")
    return out, len(files)


def run_round(workers: int, archive: Path, work: Path, timeout: float) -> tuple[int, float]:
    """(pages of the archive's documents, seconds from ingest to the run done) with `workers` processes."""
    from sqlalchemy import func, select

    from worker.store.models import Document

    with Stack(work, None) as stack:
        stack.start_workers(workers)  # model loading is each process's start-up, not throughput
        started = time.perf_counter()
        run = stack.wait_run(stack.submit(archive), timeout)
        elapsed = time.perf_counter() - started
        with stack.store.session() as s:
            pages = s.scalar(select(func.sum(Document.pages_total)).where(Document.id.in_(run.document_ids)))
        return int(pages or 0), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="worker process counts, the first one the baseline")
    parser.add_argument("--files", default=DEFAULT_FILES, help="glob of samples/scans files for the archive")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a round may take")
    parser.add_argument("--keep", type=Path, help="keep each round's data, logs and reports here")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="formaudit-queue-bench-") as tmp:
        return bench(counts, args, args.keep or Path(tmp))


def bench(counts: list[int], args: argparse.Namespace, root: Path) -> int:
    root.mkdir(parents=True, exist_ok=True)
    archive, files = build_archive(args.files, root / "scans.zip")
    print(f"archive: {files} file(s) from {SCANS} ({archive.stat().st_size // 1024} KiB); cores: {os.cpu_count()}")
    rates: list[float] = []
    for n in counts:
        try:
            pages, seconds = run_round(n, archive, root / f"round-{n}", args.timeout)
        except AssertionError as exc:
            print(f"{n} worker(s): {exc}", file=sys.stderr)
            return 1
        rates.append(pages / seconds * 60 if seconds else 0.0)
        # a timing taken beside another job says little: the machine's load is shown with it
        print(f"{n} worker process(es): {pages} pages in {seconds:.1f} s = {rates[-1]:.1f} pages/min"
              f" (load average {os.getloadavg()[0]:.1f})")
    for n, rate in zip(counts[1:], rates[1:]):
        print(f"speed-up {n} vs {counts[0]} worker(s): {rate / rates[0]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
