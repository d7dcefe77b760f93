"""The `formaudit` command line.

`formaudit extract FILE|DIR... [--json] [--out DIR]`: one JSON object per file. Exit 0 when every
file was read, 1 when some failed; each failure is named with its reason on stderr and the other
files are still written.

`formaudit audit PATH... [--json] [--html FILE] [--xlsx FILE] [--csv FILE] [--config FILE]`: audit
everything given as one batch (source documents are extracted first, `extract --out` JSON is read
as it is). `formaudit run PATH... [--out DIR] [--config FILE]`: extract, audit and write every
report into DIR. Both exit 0 when the audit ran, 1 when some input could not be read (the rest is
still audited), 2 for a bad command line, configuration or output path.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional, Sequence, TextIO

from extractor.pipeline import ExtractResult, extract_path, iter_inputs
from worker.commands_audit import read_settings, run_all, run_audit
from worker.commands_common import json_names, progress, report_errors, write_extraction


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="formaudit", description="Digitise and audit performance self-evaluation forms.")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser("extract", help="extract forms from files or directories into FORMS.md JSON")
    extract.add_argument("paths", nargs="+", type=Path, metavar="FILE|DIR")
    extract.add_argument("--json", action="store_true", help="print one JSON object per file (one per line)")
    extract.add_argument("--out", type=Path, metavar="DIR", help="write <name>.json per file into DIR")
    _config_option(extract)
    audit = commands.add_parser("audit", help="audit documents (or `extract --out` JSON) as one batch")
    audit.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                       help="documents, directories, or JSON files written by `extract --out`")
    audit.add_argument("--json", action="store_true", help="print the JSON report instead of a summary")
    audit.add_argument("--html", type=Path, metavar="FILE", help="write the HTML report (one offline file)")
    audit.add_argument("--xlsx", type=Path, metavar="FILE", help="write the XLSX report")
    audit.add_argument("--csv", type=Path, metavar="FILE", help="write the findings as CSV (UTF-8 with BOM)")
    _config_option(audit)
    run = commands.add_parser("run", help="extract, audit and write every report into one folder")
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    run.add_argument("--out", type=Path, metavar="DIR", default=Path("formaudit-out"),
                     help="output folder (default: formaudit-out)")
    _config_option(run)
    for name, help_text in SERVICE_COMMANDS.items():
        service = commands.add_parser(name, help=help_text)
        _config_option(service)
        if name == "serve":
            service.add_argument("--host", default="127.0.0.1")
            service.add_argument("--port", type=int, default=8000)
        if name == "worker":
            service.add_argument("--concurrency", type=int, default=None, help="worker processes (default: cores)")
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # `formaudit audit --json … | head`: the reader left; say nothing more and exit quietly
        sys.stdout = open(os.devnull, "w")
        return 1


SERVICE_COMMANDS = {
    "serve": "the HTTP upload API and review page (embedded pipeline unless REDIS_URL is set)",
    "worker": "a Celery worker (needs REDIS_URL)",
    "beat": "the Celery beat scheduler of the nightly audit (needs REDIS_URL)",
}


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in SERVICE_COMMANDS:
        # Imported here: `extract` and `audit` must not pay for FastAPI or Celery.
        from worker.commands_service import run_service_command

        return run_service_command(args, sys.stdout, sys.stderr)
    if args.command == "audit":
        return run_audit(args.paths, args.config, sys.stdout, sys.stderr, as_json=args.json,
                         html=args.html, xlsx=args.xlsx, csv=args.csv)
    if args.command == "run":
        return run_all(args.paths, args.out, args.config, sys.stdout, sys.stderr)
    return run_extract(args.paths, args.json, args.out, sys.stdout, sys.stderr, args.config)


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML settings (see worker/defaults.toml); FORMAUDIT_* variables override it")


def run_extract(paths: list[Path], as_json: bool, out: Optional[Path], stdout: TextIO, stderr: TextIO,
                config: Optional[Path] = None) -> int:
    settings = read_settings(config, stderr)
    if settings is None:
        return 2
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        print(f"formaudit: {path}: no such file or directory", file=stderr)
    inputs = list(iter_inputs(p for p in paths if p.exists()))
    names = json_names(inputs)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    failed = len(missing)
    total = len(inputs)
    if not as_json:
        print(f"{'file':<48} {'kind':<9} {'status':<8} {'forms':>5} {'warn':>5}", file=stdout)
    read = 0
    for n, path in enumerate(inputs, 1):
        for result in extract_path(path, settings.scan):
            read += 1
            failed += result.status == "failed"
            report_errors(result.source, (e.to_dict() for e in result.errors), stderr)
            data = result.to_dict()
            if out is not None:
                write_extraction(out, names[path], data)
            if as_json:
                print(json.dumps(data, ensure_ascii=False), file=stdout)
            else:
                print(_table_row(result), file=stdout)
        if not as_json:
            progress(n, total, stderr)
    if not as_json:
        print(f"{read} file(s), {read - failed + len(missing)} read, {failed} failed", file=stdout)
    return 1 if failed else 0


def _table_row(result: ExtractResult) -> str:
    name = result.source if len(result.source) <= 48 else "…" + result.source[-47:]
    return f"{name:<48} {result.input_kind or '-':<9} {result.status:<8} {len(result.forms):>5} {len(result.warnings):>5}"


if __name__ == "__main__":
    sys.exit(main())
