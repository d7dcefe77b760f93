"""`formaudit audit` and `formaudit run`: read a batch, audit it as one, report.

A batch is everything given to one command: documents are extracted, JSON written by
`extract --out` (one object, a list of them, or one per line as `extract --json` prints) is read as
it is. A file that cannot be read is named on stderr, kept in the report's notes, and the rest is
still audited (exit 1). `run` writes each document's extraction beside the reports; JSON inputs are
already extractions and are not copied. Table cells are dropped from results once read: rules need
a table's page, not its cells, and a 10 000-form batch would otherwise hold millions of them.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, TextIO

from audit.engine import AuditRun, audit_results
from audit.findings import SEVERITIES, Finding
from audit.report import write_reports
from audit.report.json_report import dump_json, totals
from extractor.model import without_cells
from extractor.pipeline import INPUT_EXTENSIONS, extract_path, iter_inputs
from worker.broker import broker_problem
from worker.commands_common import json_names, progress, report_errors, write_extraction
from extractor.scan.options import ScanOptions
from worker.settings import Settings, SettingsError, load_settings

JSON_EXTENSIONS = frozenset({".json", ".jsonl"})
KINDS = frozenset({"self_evaluation", "summary", "targets"})
SHOWN_FINDINGS = 30  # lines of the plain summary; the reports list every finding
REPORT_FILES = {"json": "findings.json", "html": "report.html", "xlsx": "report.xlsx", "csv": "findings.csv"}


def run_audit(
    paths: list[Path], config_path: Optional[Path], stdout: TextIO, stderr: TextIO, as_json: bool = False,
    html: Optional[Path] = None, xlsx: Optional[Path] = None, csv: Optional[Path] = None,
) -> int:
    settings = read_settings(config_path, stderr)
    if settings is None:
        return 2
    results, failed, said = load_batch(paths, stderr, scan=settings.scan)
    run = audit_results(results, settings.audit)
    _say_messages(run, stderr, said)
    if as_json:
        dump_json(run, stdout)
    else:
        print_summary(run, stdout)
    if _write(run, stderr, html=html, xlsx=xlsx, csv=csv) is None:
        return 2
    return 1 if failed else 0


def run_all(paths: list[Path], out: Path, config_path: Optional[Path], stdout: TextIO, stderr: TextIO) -> int:
    settings = read_settings(config_path, stderr)
    if settings is None:
        return 2
    extracted = out / "extracted"
    try:
        extracted.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"formaudit: cannot create {extracted}: {exc.strerror or exc}", file=stderr)
        return 2
    redis_url = settings.service.redis_url
    if redis_url and (problem := broker_problem(redis_url)) is not None:
        print(f"formaudit: cannot reach the broker at REDIS_URL ({redis_url}): {problem}; "
              "unset REDIS_URL to run in this process", file=stderr)
        return 2
    from sqlalchemy.exc import SQLAlchemyError  # here: `extract` and `audit` need no database

    from worker.store.db import close_stores

    try:
        results, failed, said = load_batch(paths, stderr, extracted, skip=out, scan=settings.scan,
                                           store=run_settings(settings, out))
    except (SQLAlchemyError, OSError) as exc:  # the store (DATABASE_URL, the data directory) is unusable
        print(f"formaudit: cannot use the store: {type(exc).__name__}: {exc}", file=stderr)
        return 2
    finally:
        close_stores()
    print(f"read {len(results)} file(s), {failed} failed; extractions in {extracted}", file=stdout)
    run = audit_results(results, settings.audit)
    _say_messages(run, stderr, said)
    print_summary(run, stdout, shown=0)
    reports = {kind: out / name for kind, name in REPORT_FILES.items()}
    written = _write(run, stderr, **reports)
    if written is None:
        return 2
    for path in written:
        print(f"wrote {path}", file=stdout)
    return 1 if failed else 0


def read_settings(path: Optional[Path], stderr: TextIO) -> Optional[Settings]:
    """The settings, or None once their problem is said on stderr (the command exits 2)."""
    try:
        return load_settings(path)
    except SettingsError as exc:
        print(f"formaudit: {exc}", file=stderr)
        return None


def _write(run: AuditRun, stderr: TextIO, **paths: Optional[Path]) -> Optional[list[Path]]:
    try:
        return write_reports(run, **paths)
    except OSError as exc:
        print(f"formaudit: cannot write {exc.filename or 'a report'}: {exc.strerror or exc}", file=stderr)
        return None


def _say_messages(run: AuditRun, stderr: TextIO, said: set[str]) -> None:
    """The audit's messages, less the input problems already named while the batch was read."""
    for message in run.messages:
        if message in said:
            continue
        hint = f" (looked for {', '.join(sorted(INPUT_EXTENSIONS | JSON_EXTENSIONS))})" if not run.results else ""
        print(f"formaudit: {message}{hint}", file=stderr)


def run_settings(settings: Settings, out: Path) -> Settings:
    """`run`'s settings: its store under `out/.formaudit-data` unless `[service] data_dir` is set
    (in the config file or FORMAUDIT_SERVICE__DATA_DIR), or the documents go to Celery workers,
    which read the blobs from the service's data directory."""
    if "data_dir" in settings.service.model_fields_set or settings.service.redis_url:
        return settings
    service = settings.service.model_copy(update={"data_dir": str(out / ".formaudit-data")})
    return settings.model_copy(update={"service": service})


def load_batch(
    paths: list[Path], stderr: TextIO, extracted: Optional[Path] = None, skip: Optional[Path] = None,
    scan: ScanOptions = ScanOptions(), store: Optional[Settings] = None,
) -> tuple[list[dict[str, Any]], int, set[str]]:
    """Every result of the batch, how many inputs could not be read, and the problems named on
    stderr as they were met; `extracted`: write each document's extraction there as `extract --out`
    would; `skip`: a folder directory walks leave out; `store`: the documents go through the store
    and the pipeline of these settings (embedded, or Celery workers with REDIS_URL), not this process."""
    results: list[dict[str, Any]] = []
    said: set[str] = set()
    for path in (p for p in paths if not p.exists()):
        results.append(_failure(str(path), "NOT_FOUND", "no such file or directory"))
    inputs = list(batch_inputs((p for p in paths if p.exists()), skip))
    names = json_names(inputs)
    for result in results:
        said.update(report_errors(result["source"], result["errors"], stderr))
    failed = len(results)
    stored: Iterator[list[dict[str, Any]]] = iter(())
    if store is not None:
        from worker.stored_batch import read_through_store

        documents = [p for p in inputs if p.suffix.lower() not in JSON_EXTENSIONS]
        stored = read_through_store(documents, store, lambda n, total: progress(n, total, stderr))
    for n, path in enumerate(inputs, 1):
        is_json = path.suffix.lower() in JSON_EXTENSIONS
        for data in (_read(path, scan) if store is None or is_json else next(stored)):
            said.update(report_errors(data.get("source") or str(path), data.get("errors") or [], stderr))
            failed += data.get("status") == "failed"
            if extracted is not None and not is_json:
                write_extraction(extracted, names[path], data)
            results.append(_slim(data))
        if store is None:  # the store's pipeline said its own progress
            progress(n, len(inputs), stderr)
    return results, failed, said


def batch_inputs(paths: Iterable[Path], skip: Optional[Path] = None) -> Iterator[Path]:
    """Documents and extracted JSON, leaving out `skip`: `run` writes into its output folder,
    which may lie inside the folder it reads, and a second run must not read the first one's
    extractions and reports as input."""
    return iter_inputs(paths, INPUT_EXTENSIONS | JSON_EXTENSIONS, skip)


def _read(path: Path, scan: ScanOptions) -> Iterable[dict[str, Any]]:
    if path.suffix.lower() not in JSON_EXTENSIONS:
        return (result.to_dict() for result in extract_path(path, scan))
    try:
        return _read_json(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [_failure(str(path), "UNREADABLE_FILE", f"cannot read: {getattr(exc, 'strerror', None) or exc}")]
    except ValueError as exc:
        return [_failure(str(path), "NOT_EXTRACTED_JSON", str(exc))]


def _read_json(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as whole:
        try:  # `extract --json` prints one object per line
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise ValueError(f"not valid JSON: {whole}") from None
    if not items or not all(_is_result(item) for item in items):
        raise ValueError('not the JSON of `formaudit extract` (an object with "source" and a "forms" list of forms)')
    return items


def _is_result(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("source"), str) and isinstance(item.get("forms"), list)
            and all(isinstance(f, dict) and f.get("kind") in KINDS for f in item["forms"]))


def _failure(source: str, code: str, message: str) -> dict[str, Any]:
    return {"source": source, "forms": [], "tables": [], "warnings": [], "status": "failed",
            "errors": [{"code": code, "message": message, "page": None}]}


def _slim(data: dict[str, Any]) -> dict[str, Any]:
    tables = data.get("tables")
    if isinstance(tables, list):
        data["tables"] = [without_cells(t) for t in tables]
    return data


def print_summary(run: AuditRun, stdout: TextIO, shown: int = SHOWN_FINDINGS) -> None:
    """Counts by severity, the most frequent rules, then the first findings, most severe first."""
    counts = totals(run.findings)
    print(f"audited {len(run.results)} file(s), {len(run.forms)} form(s)", file=stdout)
    by_severity = ", ".join(f"{n} {s}" for s, n in counts["severity"].items())
    print(f"findings: {len(run.findings)} ({by_severity}); suppressed: {len(run.suppressed)}", file=stdout)
    if counts["rule"]:
        top = Counter(counts["rule"]).most_common(5)
        print("top rules: " + ", ".join(f"{rule} {n}" for rule, n in top), file=stdout)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    ordered = sorted(run.findings, key=lambda f: rank.get(f.severity, len(rank)))  # stable: reading order kept
    for finding in ordered[:shown]:
        print(_line(finding), file=stdout)
    if 0 < shown < len(ordered):
        print(f"… {len(ordered) - shown} more; --json, --html, --xlsx or --csv list them all", file=stdout)


def _line(finding: Finding) -> str:
    where = Path(finding.source).name if finding.source else "-"
    if finding.page is not None:
        where += f" p.{finding.page}"
    subject = " / ".join(x for x in (finding.project, finding.indicator) if x) or "-"
    return f"{finding.severity:<8} {finding.rule:<26} {where:<24} {subject}: {finding.message}"
