"""The `formaudit` command line.

`formaudit extract FILE|DIR... [--json] [--out DIR]`: one JSON object per file. Exit 0 when every
file was read, 1 when some failed; each failure is named with its reason on stderr and the other
files are still written.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence, TextIO

from extractor.pipeline import ExtractResult, extract_file, iter_inputs


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="formaudit", description="Digitise and audit performance self-evaluation forms.")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser("extract", help="extract forms from files or directories into FORMS.md JSON")
    extract.add_argument("paths", nargs="+", type=Path, metavar="FILE|DIR")
    extract.add_argument("--json", action="store_true", help="print one JSON object per file (one per line)")
    extract.add_argument("--out", type=Path, metavar="DIR", help="write <name>.json per file into DIR")
    args = parser.parse_args(argv)
    return run_extract(args.paths, args.json, args.out, sys.stdout, sys.stderr)


def run_extract(paths: list[Path], as_json: bool, out: Optional[Path], stdout: TextIO, stderr: TextIO) -> int:
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        print(f"formaudit: {path}: no such file or directory", file=stderr)
    inputs = list(iter_inputs(p for p in paths if p.exists()))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    failed = len(missing)
    total = len(inputs)
    if not as_json:
        print(f"{'file':<48} {'kind':<9} {'status':<8} {'forms':>5} {'warn':>5}", file=stdout)
    for n, path in enumerate(inputs, 1):
        result = extract_file(path)
        failed += result.status == "failed"
        _report_errors(result, stderr)
        data = result.to_dict()
        if out is not None:
            (out / _json_name(path, inputs)).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        if as_json:
            print(json.dumps(data, ensure_ascii=False), file=stdout)
        else:
            print(_table_row(result), file=stdout)
        if total > 20 and not as_json:
            print(f"[{n}/{total}]", file=stderr)
    if not as_json:
        print(f"{total} file(s), {total - failed + len(missing)} read, {failed} failed", file=stdout)
    return 1 if failed else 0


def _report_errors(result: ExtractResult, stderr: TextIO) -> None:
    for err in result.errors:
        where = f" page {err.page}" if err.page is not None else ""
        print(f"formaudit: {result.source}{where}: {err.code}: {err.message}", file=stderr)


def _table_row(result: ExtractResult) -> str:
    name = result.source if len(result.source) <= 48 else "…" + result.source[-47:]
    return f"{name:<48} {result.input_kind or '-':<9} {result.status:<8} {len(result.forms):>5} {len(result.warnings):>5}"


def _json_name(path: Path, inputs: list[Path]) -> str:
    """<stem>.json, with the suffix kept when two inputs share a stem (a.pdf and a.xlsx)."""
    clash = sum(p.stem == path.stem for p in inputs) > 1
    return f"{path.name if clash else path.stem}.json"


if __name__ == "__main__":
    sys.exit(main())
