"""Render structured forms as sample documents: one .xlsx/.docx/.pdf per input document.

    python -m samples.generate --from tests/fixtures/forms_small.json ../shared/seeds/000_*.txt \\
        --out /tmp/samples --formats xlsx,docx,pdf

An input is either FORMS.md JSON (an extraction result with a "forms" list, a list of forms, or
one form) or any document the extractor reads (a seed .txt export, .xlsx, .docx), which is then
parsed by the extractor's own backends and form parser.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

from extractor.forms import Form
from extractor.model import InputError
from samples.fromdict import forms_from_dict
from samples.pdfwriter import FontMissingError
from samples.writers import WRITERS, write_pdf

FORMATS = tuple(WRITERS)


def load_forms(path: Path) -> list[Form]:
    """The forms of one input: decoded from FORMS.md JSON, or extracted from a document."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from exc
        return forms_from_dict(data)
    from extractor.backends import BACKENDS, detect_kind
    from extractor.parser import parse_pages

    kind = detect_kind(path)
    importlib.import_module(f"extractor.backends.{kind}")  # only the backend this file needs
    forms, _warnings = parse_pages(BACKENDS[kind].load(path))
    return forms


def render(forms: Sequence[Form], out_dir: Path, stem: str, formats: Sequence[str],
           font: Optional[str] = None, latin_font: Optional[str] = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out_dir / f"{stem}.{fmt}"
        if fmt == "pdf":
            written.append(write_pdf(forms, target, font_path=font, latin_font_path=latin_font))
        else:
            written.append(WRITERS[fmt](forms, target))
    return written


def _formats(text: str) -> list[str]:
    formats = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"formats must be among {','.join(FORMATS)}, got {text!r}")
    return formats


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="sources", nargs="+", required=True, type=Path, metavar="FORMS_JSON_OR_SEED",
                    help="FORMS.md JSON files, or documents to extract the forms from (seed .txt, .xlsx, .docx)")
    ap.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    ap.add_argument("--formats", type=_formats, default=list(FORMATS), help="comma list of xlsx,docx,pdf")
    ap.add_argument("--font", help="CJK TrueType font to embed in PDFs (default: Droid Sans Fallback)")
    ap.add_argument("--latin-font", help="TrueType font for what the CJK font lacks (default: DejaVu Sans)")
    args = ap.parse_args(argv)

    failed = 0
    stems: set[str] = set()
    for source in args.sources:
        stem = source.stem
        while stem in stems:  # two inputs with one name must not overwrite each other
            stem += "_"
        stems.add(stem)
        try:
            forms = load_forms(source)
            if not forms:
                raise ValueError("no forms found")
            for path in render(forms, args.out, stem, args.formats, args.font, args.latin_font):
                print(f"{path}\t{len(forms)} forms")
        except FontMissingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (InputError, ValueError, OSError) as exc:
            message = exc.message if isinstance(exc, InputError) else str(exc)
            print(f"error: {source}: {message}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
