"""What `extract`, `audit` and `run` share: naming output files, naming failures, progress."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, TextIO

from extractor.model import error_line

PROGRESS_FROM = 20  # batches larger than this report progress on stderr


def report_errors(source: str, errors: Iterable[dict[str, Any]], stderr: TextIO) -> list[str]:
    """One line per problem, `formaudit: a.pdf page 3: NEEDS_OCR: …`; the lines without the prefix,
    which are the audit's run messages for the same problems (so they are not said twice)."""
    said = []
    for err in errors:
        said.append(error_line(source, err))
        print(f"formaudit: {said[-1]}", file=stderr)
    return said


def json_names(inputs: list[Path]) -> dict[Path, str]:
    """<stem>.json per input, with the suffix kept when two inputs share a stem (a.pdf and a.xlsx)."""
    stems = Counter(p.stem for p in inputs)  # counted once: a per-file scan is quadratic on big batches
    return {p: f"{p.name if stems[p.stem] > 1 else p.stem}.json" for p in inputs}


def progress(n: int, total: int, stderr: TextIO) -> None:
    if total > PROGRESS_FROM:
        print(f"[{n}/{total}]", file=stderr)


def write_extraction(folder: Path, name: str, data: dict[str, Any]) -> None:
    """One input's extraction as `extract --out` writes it (see `output_name`)."""
    target = folder / output_name(name, data["source"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def output_name(name: str, source: str) -> str:
    """Where an input's extraction is written: `name`, or for an archive's member
    "<archive name>/<member path with / as _>.json", so members with equal names don't collide."""
    _archive, bang, member = source.partition("!")
    if not bang:
        return name
    return f"{name.removesuffix('.json')}/{member.replace('/', '_').replace('!', '_')}.json"
