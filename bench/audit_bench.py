"""Audit speed: forms audited per second on a batch of 10 000 forms, one core.

    python bench/audit_bench.py [--forms 10000] [--repeat 3] [--seeds ../shared/seeds]

The batch is the seeds (000: a summary and 27 forms; 001: a targets table; 003: 8 forms)
replicated with varied values: each copy gets its own department and project names (so the
cross-document rules match within a copy, as they would across real departments), amounts scaled,
and some actuals, scores and rates changed so rules fire. The whole catalogue runs, batch rules
included. Baseline in the same process: decoding the same batch from JSON, the least work any
consumer of it does; the ratio says how many JSON decodes one audit costs.
Goal: >= 5 000 forms/s on one core.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.engine import audit_results  # noqa: E402
from extractor.pipeline import extract_file  # noqa: E402


def _seed_results(seeds: Path) -> list[dict[str, Any]]:
    return [extract_file(p).to_dict() for p in sorted(seeds.glob("*.txt"))]


def _vary(result: dict[str, Any], copy_no: int, rng: random.Random) -> dict[str, Any]:
    """One copy of a seed file: new names, scaled amounts, a few values nudged so rules fire."""
    out = copy.deepcopy(result)
    out["source"] = f"copy{copy_no}/{Path(result['source']).name}"
    for table in out.get("tables") or []:
        table["cells"] = []  # the audit reads forms, not grids; keeps the batch in memory small
    scale = rng.choice((1, 2, 4))  # exact in binary, so rates and subtotals stay as printed
    for form in out["forms"]:
        if form.get("department"):
            form["department"] = f"{form['department']}{copy_no}"
        if form.get("project"):
            form["project"] = f"{form['project']}{copy_no}"
        for i, row in enumerate(form.get("rows") or []):
            row["project"] = f"{row.get('project')}{copy_no}"
            for name in ("adjusted", "executed", "budget"):
                _scale(form, row, name, f"rows[{i}].{name}", scale)
        for key, row in ((form.get("funds") or {}).get("rows") or {}).items():
            for name in ("initial", "adjusted", "executed"):
                _scale(form, row, name, f"funds.rows.{key}.{name}", scale)
        for i, ind in enumerate(form.get("indicators") or []):
            if form["kind"] == "self_evaluation" and rng.random() < 0.05 and ind.get("score"):
                ind["score"] = max(0.0, ind["score"] - 1)  # a deduction: TOTAL_SCORE and friends fire
                form.get("cells", {}).pop(f"indicators[{i}].score", None)
    return out


def _scale(form: dict[str, Any], row: dict[str, Any], name: str, path: str, factor: int) -> None:
    """Scale one amount and its printed text, keeping the printed decimals."""
    if not isinstance(row.get(name), (int, float)):
        return
    row[name] = row[name] * factor
    cell = (form.get("cells") or {}).get(path)
    if cell and cell.get("text"):
        decimals = len(cell["text"].partition(".")[2]) if "." in cell["text"] else 0
        cell["text"] = f"{row[name]:.{decimals}f}"


def build_batch(base: list[dict[str, Any]], n_forms: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    per_copy = sum(len(r["forms"]) for r in base)
    batch = []
    for copy_no in range(1, n_forms // per_copy + 2):
        batch += [_vary(r, copy_no, rng) for r in base]
    return batch


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best wall time and best CPU time of `repeat` runs. On a shared machine the CPU time is the
    steadier figure: it leaves out the time other processes held our core."""
    wall = cpu = float("inf")
    out = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return wall, cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "seeds")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the goal says
    batch = build_batch(_seed_results(args.seeds), args.forms)
    n_forms = sum(len(r["forms"]) for r in batch)
    encoded = json.dumps(batch, ensure_ascii=False)
    audit_results(batch[:3])  # import the rule families outside the timing
    wall, cpu, run = _best(lambda: audit_results(batch), args.repeat)
    json_wall, json_cpu, _ = _best(lambda: json.loads(encoded), args.repeat)
    counts = Counter(f.severity for f in run.findings)  # type: ignore[attr-defined]
    print(f"batch: {len(batch)} files, {n_forms} forms, {len(encoded) / 1e6:.1f} MB of JSON")
    print(f"audit: {wall:.2f} s wall, {cpu:.2f} s CPU → {n_forms / wall:,.0f} forms/s wall, "
          f"{n_forms / cpu:,.0f} forms/s CPU  (goal ≥ 5,000)")
    print(f"  findings: {len(run.findings)}  " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items())))  # type: ignore[attr-defined]
    print(f"baseline json.loads of the batch: {json_wall:.2f} s wall, {json_cpu:.2f} s CPU")
    print(f"ratio audit / json decode: {wall / json_wall:.1f}× wall, {cpu / json_cpu:.1f}× CPU")

if __name__ == "__main__":
    main()
