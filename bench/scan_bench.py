"""Scanned forms end to end: accuracy against ground truth, speed and memory, per degradation level,
with a full-page OCR baseline in the same run.

    python bench/scan_bench.py [--levels clean,mild,hard] [--pages 6 | --all] [--baseline-pages 2]
                               [--cache /tmp/formaudit-scan-bench] [--regen] [--errors 10] [--report out.json]

The scans are `python -m samples.scan --bench` (samples/scan.py): one image-only PDF per sample
and level, each with `<name>.truth.json` (the forms and grids the text-layer source gives),
written once into the cache and reused (`--regen` writes them again). By default only the first
6 pages of each sample are used (extended to whole forms: 16 pages per level); the whole set
(`--all`, 42 pages per level) takes about a minute a level.

Each level runs in a fresh subprocess, one after the other (one worker process, no pool), so
its peak memory is its own. In it:
- ours: `extract_file` on each PDF; wall and CPU seconds per page (CPU: all threads, pdftoppm
  included; one page goes through the whole path first, untimed, so the models are loaded and
  warm; that start-up is shown apart), and the cores the rest of the machine kept busy meanwhile
  (/proc/stat), since a timing taken beside another job says little. Peak RSS (ru_maxrss) is taken after
  our extraction, before the baseline runs;
- baseline: full-page OCR with no grid, `get_engine().read_page` on each page rasterised at the
  dpi our path uses, on the first `--baseline-pages` pages of the level (taken from each sample
  in turn; it costs several seconds a page). Its accuracy is numeric recall: the share of the
  truth's numeric cell texts found verbatim among its lines. Ours on the same pages is the
  numeric field accuracy there, which is stricter (the value must also land in the right field).
  Tesseract via img2table would be the other baseline; it is used nowhere in this project.

Accuracy (bench/scan_truth.py has the definitions): fields numeric (amounts, weights, scores,
totals, rates as printed) and text (names, targets, actuals, explanations...) apart, a field
right when equal after NFKC and whitespace removal, a missing form costing all its fields; grid
cells right when row, column, spans and text match (and structure alone: position and spans).
The most frequent error patterns over all levels follow, for whoever tunes the reader.
Threads: the scan path's defaults (ScanOptions(), no settings file): the recogniser reads crops
on as many threads as cores (up to 2), one ONNX thread each; the next page is rasterised and
cleaned up on a thread of its own meanwhile; the layout model runs only on pages without a grid.

Goals on a 2-core machine, one worker process: numeric fields >= 99.5 % clean and >= 98 % hard;
<= 1.0 s per page; <= 1.5 GB resident. Exits 0 whatever the figures: a benchmark reports.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scan_truth import (  # noqa: E402
    Field, GridScore, accuracy, edit, found_verbatim, numeric_texts, pattern, score_forms, score_tables)

LEVELS = ("clean", "mild", "hard")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "formaudit-scan-bench"
DEFAULT_PAGES = 6
GOALS = {"clean": 99.5, "hard": 98.0}   # numeric field accuracy, %
GOAL_S_PER_PAGE = 1.0
GOAL_RSS = 1.5e9                         # bytes


def _pct(right: int, total: int) -> float:
    return 100.0 * right / total if total else float("nan")


def _peak_rss() -> int:
    """This process's peak resident set in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _own_cpu() -> float:
    """CPU seconds of this process and its finished children (pdftoppm)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _busy_s() -> Optional[float]:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat), else None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# ---- the scans ----------------------------------------------------------------------------------

def ensure_scans(cache: Path, levels: list[str], pages: Optional[int], regen: bool) -> Path:
    """The folder holding the bench scans of `levels`, written by samples.scan where missing."""
    from samples.scan import main as scan_main

    folder = cache / ("all" if pages is None else f"p{pages}")
    todo = [lv for lv in levels if regen or not (folder / f".{lv}.done").exists()]
    if todo:
        for lv in todo:  # a run cut short leaves part of a level: none of it is trusted
            for old in folder.glob(f"*.{lv}.pdf*"):
                old.unlink()
        print(f"writing the {','.join(todo)} scans into {folder} ...", file=sys.stderr, flush=True)
        argv = ["--out", str(folder), "--bench", "--levels", ",".join(todo), *(["--pages", str(pages)] if pages else [])]
        with contextlib.redirect_stdout(sys.stderr):  # it prints every path it writes
            rc = scan_main(argv)
        if rc:
            raise SystemExit(f"samples.scan failed ({rc})")
        for lv in todo:
            (folder / f".{lv}.done").touch()
    return folder


def level_files(folder: Path, level: str) -> list[Path]:
    return sorted(folder.glob(f"*.{level}.pdf"))


def load_truth(pdf: Path) -> dict[str, Any]:
    return json.loads(pdf.with_name(pdf.name + ".truth.json").read_text(encoding="utf-8"))


# ---- one level, in its own process ----------------------------------------------------------------

def run_level(folder: Path, level: str, baseline_pages: int) -> dict[str, Any]:
    """Ours and the baseline on one level's scans: raw outputs and timings, no scoring."""
    from extractor.ocr import OcrUnavailable, default_threads
    from extractor.pipeline import extract_file
    from extractor.scan.options import ScanOptions
    from extractor.scan.stage import scan_engine  # the very instance the scan path reads with

    out: dict[str, Any] = {"level": level, "threads": default_threads(), "runs": [], "baseline": []}
    files = level_files(folder, level)
    if not files:
        out["error"] = f"no {level} scans in {folder}"
        return out
    start = time.perf_counter()
    try:
        engine = scan_engine(ScanOptions())
        _warm_up(files[0], extract_file)
    except OcrUnavailable as exc:
        out["error"] = str(exc)
        return out
    out["engine"], out["load_s"] = engine.name, time.perf_counter() - start
    busy, mine = _busy_s(), _own_cpu()
    for pdf in files:
        wall, cpu = time.perf_counter(), _own_cpu()
        result = extract_file(pdf).to_dict()
        out["runs"].append({"file": pdf.name, "wall": time.perf_counter() - wall, "cpu": _own_cpu() - cpu,
                            "status": result["status"], "errors": [e["code"] for e in result["errors"]],
                            "forms": result["forms"], "tables": result["tables"]})
    out["rss_ours"] = _peak_rss()
    if busy is not None:  # CPU the rest of the machine used meanwhile: timings mean little when it is high
        out["others_cpu"] = _busy_s() - busy - (_own_cpu() - mine)  # type: ignore[operator]
    out["baseline"] = run_baseline(engine, files, baseline_pages) if baseline_pages > 0 else []
    out["rss_all"] = _peak_rss()
    return out


def _warm_up(pdf: Path, extract_file: Any) -> None:
    """One page through the whole path before the clock starts: the OCR and layout models load
    and allocate on their first call, a cost paid once per process, not per page."""
    from pdf2image import convert_from_path

    from extractor.scan.raster import DEFAULT_DPI

    (image,) = convert_from_path(pdf, dpi=DEFAULT_DPI, first_page=1, last_page=1, thread_count=1)
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        png = Path(tmp) / "warm.png"
        image.save(png, dpi=(DEFAULT_DPI, DEFAULT_DPI))
        extract_file(png)


def run_baseline(engine: Any, files: list[Path], n: int) -> list[dict[str, Any]]:
    """Full-page OCR, no grid: rasterise (as our path does) and read the whole page."""
    import numpy as np
    from pdf2image import convert_from_path

    from extractor.scan.raster import DEFAULT_DPI, to_rgb8

    counts = [len(load_truth(pdf)["pages"]) for pdf in files]
    picks = [(pdf, p) for p in range(1, max(counts, default=0) + 1) for pdf, c in zip(files, counts) if p <= c][:n]
    engine.read_page(np.full((200, 200, 3), 255, np.uint8), DEFAULT_DPI)  # warm the detector too
    out = []
    for pdf, page in picks:
        wall, cpu = time.perf_counter(), _own_cpu()
        (image,) = convert_from_path(pdf, dpi=DEFAULT_DPI, first_page=page, last_page=page, use_cropbox=True,
                                     thread_count=1)
        spans = engine.read_page(to_rgb8(image), DEFAULT_DPI)
        out.append({"file": pdf.name, "page": page, "wall": time.perf_counter() - wall,
                    "cpu": _own_cpu() - cpu, "texts": [s.text for s in spans]})
    return out


def spawn_level(folder: Path, level: str, baseline_pages: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        target = Path(tmp) / "level.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", level, "--cache", str(folder),
               "--baseline-pages", str(baseline_pages), "--report", str(target)]
        rc = subprocess.run(cmd, check=False).returncode
        if rc or not target.exists():
            return {"level": level, "error": f"the level's process failed (exit {rc})", "runs": [], "baseline": []}
        return json.loads(target.read_text(encoding="utf-8"))


# ---- scoring and printing ---------------------------------------------------------------------

def _stats(label: str, pages: int, forms: tuple[int, int], fields: list[Field], grid: GridScore,
           wall: float, cpu: float) -> dict[str, Any]:
    return {"label": label, "pages": pages, "forms": forms, "numeric": accuracy(fields, "numeric"),
            "text": accuracy(fields, "text"), "grid": grid, "s_page": wall / pages if pages else float("nan"),
            "cpu_page": cpu / pages if pages else float("nan")}


def score_level(folder: Path, raw: dict[str, Any]) -> dict[str, Any]:
    fields: list[tuple[str, Field]] = []
    per_file = []
    truths = {}
    for run in raw["runs"]:
        truth = truths[run["file"]] = load_truth(folder / run["file"])
        own = score_forms(truth["forms"], run["forms"])
        fields += [(run["file"], f) for f in own]
        per_file.append(_stats(run["file"], len(truth["pages"]), (len(truth["forms"]), len(run["forms"])), own,
                               score_tables(truth["tables"], run["tables"]), run["wall"], run["cpu"]))
    base_found = base_total = 0
    same_pages: list[Field] = []
    for b in raw["baseline"]:
        needles = numeric_texts(truths[b["file"]]["forms"]).get(b["page"], [])
        base_found += found_verbatim(needles, b["texts"])
        base_total += len(needles)
        same_pages += [f for name, f in fields if name == b["file"] and f.page == b["page"] and f.kind == "numeric"]
    total = _stats(raw["level"], sum(f["pages"] for f in per_file),
                   (sum(f["forms"][0] for f in per_file), sum(f["forms"][1] for f in per_file)),
                   [f for _, f in fields], sum((f["grid"] for f in per_file), GridScore(0, 0, 0)),
                   sum(r["wall"] for r in raw["runs"]), sum(r["cpu"] for r in raw["runs"]))
    return {
        **total, "level": raw["level"], "per_file": per_file, "fields": fields,
        "others": raw.get("others_cpu", float("nan")) / max(sum(r["wall"] for r in raw["runs"]), 1e-9),
        "rss_ours": raw.get("rss_ours", 0), "rss_all": raw.get("rss_all", 0), "load_s": raw.get("load_s", 0.0),
        "errors": Counter(code for r in raw["runs"] for code in r["errors"]),
        "base_pages": len(raw["baseline"]), "base_found": (base_found, base_total),
        "base_s_page": sum(b["wall"] for b in raw["baseline"]) / len(raw["baseline"]) if raw["baseline"] else float("nan"),
        "ours_same": accuracy(same_pages),
    }


def _frac(pair: tuple[int, int]) -> str:
    return f"{pair[0]:>5}/{pair[1]:<5} {_pct(*pair):6.2f}%"


def _row(s: dict[str, Any], indent: str = "") -> str:
    g: GridScore = s["grid"]
    return (f"{indent + s['label']:<36} {s['pages']:>5} {'%d/%d' % s['forms']:>9}  {_frac(s['numeric'])} "
            f"{_frac(s['text'])} {_frac((g.right, g.total))} {_pct(g.structure, g.total):8.2f}% "
            f"{s['s_page']:>7.2f} {s['cpu_page']:>8.2f}")


def print_levels(scores: list[dict[str, Any]]) -> None:
    print(f"{'level / file':<36} {'pages':>5} {'forms t/x':>9}  {'numeric fields':<20} {'text fields':<20} "
          f"{'grid cells':<20} {'structure':>9} {'s/page':>7} {'cpu/page':>8} {'peak MB':>8} {'load s':>6} {'others':>6}")
    for s in scores:
        print(f"{_row(s)} {s['rss_ours'] / 1e6:>8.0f} {s['load_s']:>6.1f} {s['others']:>6.2f}")
        for f in s["per_file"]:
            print(_row(f, "  "))
        if s["errors"]:
            print("  errors in results: " + ", ".join(f"{c} ×{n}" for c, n in s["errors"].most_common()))
    print("\nbaseline: full-page OCR, no grid (engine.read_page); numeric = truth numeric cell texts found verbatim")
    print(f"{'level':<6} {'pages':>5} {'base s/page':>11} {'ours s/page':>11} {'ratio':>6}  {'base numeric found':<20} "
          f"{'ours numeric, same pages':<24} {'peak MB with base':>17}")
    for s in scores:
        if s["base_pages"]:
            ratio = s["s_page"] / s["base_s_page"]
            print(f"{s['level']:<6} {s['base_pages']:>5} {s['base_s_page']:>11.2f} {s['s_page']:>11.2f} {ratio:>6.2f}  "
                  f"{_frac(s['base_found'])} {_frac(s['ours_same'])}    {s['rss_all'] / 1e6:>17.0f}")
    print("ratio = our seconds per page / the baseline's (below 1: we are faster)")
    print("others = cores the rest of the machine kept busy while we ran (near 0 for timings to trust); "
          "load s = models loaded and one page read, untimed")


def print_goals(scores: list[dict[str, Any]]) -> None:
    def line(ok: bool, text: str) -> None:
        print(f"{'PASS' if ok else 'MISS'}  {text}")

    print()
    for s in scores:
        if s["level"] in GOALS:
            got = _pct(*s["numeric"])
            line(got >= GOALS[s["level"]], f"numeric fields {s['level']}: {got:.2f}% (goal >= {GOALS[s['level']]}%)")
        line(s["s_page"] <= GOAL_S_PER_PAGE, f"seconds per page {s['level']}: {s['s_page']:.2f} (goal <= {GOAL_S_PER_PAGE})")
        line(0 < s["rss_ours"] <= GOAL_RSS, f"peak resident {s['level']}: {s['rss_ours'] / 1e9:.2f} GB (goal <= {GOAL_RSS / 1e9})")


LISTINGS: tuple[tuple[str, Callable[[Field], bool], Callable[[Field], str]], ...] = (
    ("numeric field errors", lambda f: f.kind == "numeric", pattern),
    ("text field errors", lambda f: f.kind == "text", pattern),
    ("character edits in misread fields", lambda f: f.why == "wrong", lambda f: f"{f.kind}: {edit(f.truth, f.got)}"),
)


def print_errors(scores: list[dict[str, Any]], n: int) -> None:
    """The most frequent wrong-field patterns and character edits, counted per level."""
    levels = [s["level"] for s in scores]
    for title, chosen, label in LISTINGS:
        counts: dict[str, Counter[str]] = {}
        example: dict[str, str] = {}
        for s in scores:
            for name, f in s["fields"]:
                if not f.right and chosen(f):
                    k = label(f)
                    counts.setdefault(k, Counter())[s["level"]] += 1
                    example.setdefault(k, f"{name} p{f.page} {f.path}: {f.truth!r} → {f.got!r}")
        top = sorted(counts, key=lambda k: -sum(counts[k].values()))[:n]
        if top:
            print(f"\n{title + ':':<62} " + " ".join(f"{lv:>5}" for lv in levels) + "   e.g.")
        for k in top:
            print(f"  {k[:60]:<60} " + " ".join(f"{counts[k][lv]:>5}" for lv in levels) + f"   {example[k][:110]}")


def write_report(path: Path, scores: list[dict[str, Any]]) -> None:
    """Every wrong field, for digging further than the summary."""
    data = {s["level"]: [{"file": name, "page": f.page, "path": f.path, "kind": f.kind, "why": f.why,
                          "truth": f.truth, "got": f.got} for name, f in s["fields"] if not f.right] for s in scores}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default=",".join(LEVELS), help="comma list of clean,mild,hard")
    ap.add_argument("--pages", type=int, default=DEFAULT_PAGES, help="first N pages of each sample (whole forms)")
    ap.add_argument("--all", action="store_true", help="every page of every sample (slow)")
    ap.add_argument("--baseline-pages", type=int, default=2, help="pages per level for the baseline (0: none)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the scans are written and kept")
    ap.add_argument("--regen", action="store_true", help="write the scans again")
    ap.add_argument("--errors", type=int, default=10, help="how many error patterns to list")
    ap.add_argument("--report", type=Path, help="write every wrong field here (JSON)")
    ap.add_argument("--worker", choices=LEVELS, help=argparse.SUPPRESS)  # one level's process
    args = ap.parse_args(argv)
    if args.worker:  # --cache is the level's folder, --report where its raw output goes
        raw = run_level(args.cache, args.worker, args.baseline_pages)
        args.report.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
        return 0
    levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
    if not levels or any(lv not in LEVELS for lv in levels):
        ap.error(f"levels must be among {','.join(LEVELS)}")
    folder = ensure_scans(args.cache, levels, None if args.all else args.pages, args.regen)
    from extractor.ocr import default_threads

    print(f"scans: {folder}; one process per level, recogniser threads: {default_threads()}, "
          f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}\n")
    scores = []
    for level in levels:
        raw = spawn_level(folder, level, args.baseline_pages)
        if raw.get("error"):
            print(f"{level}: {raw['error']}")
            continue
        scores.append(score_level(folder, raw))
    if scores:
        print_levels(scores)
        print_goals(scores)
        print_errors(scores, args.errors)
        if args.report:
            write_report(args.report, scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
