"""The scan path end to end with the real models: scanned files come out as the forms their
text-layer originals give, bad pages get their own errors, and the audit can crop the page."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from audit.engine import audit_results
from audit.report.crops import Cropper
from extractor.normalize import key
from extractor.pipeline import extract_file
from tests.conftest import assert_valid

pytestmark = pytest.mark.ocr
SCANS = Path(__file__).resolve().parents[1] / "samples" / "scans"
NUMERIC = ("initial", "adjusted", "executed", "weight", "score", "total_score", "rate")


def _truth(name: str) -> dict[str, Any]:
    return json.loads((SCANS / f"{name}.truth.json").read_text(encoding="utf-8"))


def _leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in ("cells", "pages"):
                yield from _leaves(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, node


def _wrong(got: list[dict], truth: list[dict], numeric_only: bool = False) -> list[tuple[str, Any, Any]]:
    want, have = dict(_leaves(truth)), dict(_leaves(got))
    keys = [k for k in want if not numeric_only or k.rsplit(".", 1)[-1] in NUMERIC]
    return [(k, want[k], have.get(k)) for k in keys if key(str(want[k])) != key(str(have.get(k)))]


@pytest.fixture(scope="module")
def clean_png() -> dict:
    return extract_file(SCANS / "ningbo-2023.p2.clean.png").to_dict()


def test_clean_scan_reads_like_its_original(clean_png):
    truth = _truth("ningbo-2023.p2.clean.png")
    assert clean_png["status"] == "ok" and clean_png["input_kind"] == "image"
    assert_valid(clean_png)
    assert _wrong(clean_png["forms"], truth["forms"]) == []


def test_scanned_cells_carry_confidence_and_boxes_on_the_original_page(clean_png):
    truth = _truth("ningbo-2023.p2.clean.png")
    (grid,) = clean_png["tables"]
    (want,) = truth["tables"]
    assert (grid["n_rows"], grid["n_cols"]) == (want["n_rows"], want["n_cols"])
    spans = {(c["row"], c["col"]): (c["rowspan"], c["colspan"]) for c in grid["cells"]}
    assert spans == {(c["row"], c["col"]): (c["rowspan"], c["colspan"]) for c in want["cells"]}
    confidences = [c["confidence"] for c in grid["cells"] if c["text"]]
    assert all(0 < x <= 1 for x in confidences) and min(confidences) < 1.0  # recognised, not read
    by_pos = {(c["row"], c["col"]): c["bbox"] for c in want["cells"]}
    for cell in grid["cells"]:
        assert all(abs(a - b) < 3.0 for a, b in zip(cell["bbox"], by_pos[(cell["row"], cell["col"])]))
    provenance = clean_png["forms"][0]["cells"]["funds.rows.total.executed"]
    assert provenance["confidence"] < 1.0 and provenance["bbox"] is not None


@pytest.mark.parametrize("name", ["ningbo-2023.p2.clean.rot90.png", "ningbo-2023.p2.clean.skew5.png",
                                  "ningbo-2023.p2.clean.16bit.tif"])
def test_turned_skewed_and_16bit_pages_read_like_the_original(name):
    result = extract_file(SCANS / name).to_dict()
    assert _wrong(result["forms"], _truth(name)["forms"], numeric_only=True) == []


def test_hard_scan_with_a_seal_keeps_numbers_mostly_right():
    result = extract_file(SCANS / "ningbo-2023.p2.hard.jpg").to_dict()
    truth = _truth("ningbo-2023.p2.hard.jpg")
    numbers = [k for k, _ in _leaves(truth["forms"]) if k.rsplit(".", 1)[-1] in NUMERIC]
    wrong = _wrong(result["forms"], truth["forms"], numeric_only=True)
    assert len(wrong) <= 0.1 * len(numbers), wrong


def test_mixed_pdf_takes_each_page_its_own_way():
    result = extract_file(SCANS / "ningbo-2023.p1-3.hard.mixed.pdf").to_dict()
    truth = _truth("ningbo-2023.p1-3.hard.mixed.pdf")
    assert result["input_kind"] == "pdf-text" and not [e for e in result["errors"] if e["code"] == "NEEDS_OCR"]
    assert [f["kind"] for f in result["forms"]] == [f["kind"] for f in truth["forms"]]
    text_pages = [f for f in result["forms"] if f["pages"] != [2]]
    assert _wrong(text_pages, [f for f in truth["forms"] if f["pages"] != [2]]) == []


@pytest.mark.parametrize("name,code", [("bad.blank.png", "BLANK_PAGE"), ("bad.photo.jpg", "NO_TABLE"),
                                       ("bad.corrupt.jpg", "CORRUPT_IMAGE"), ("bad.huge-20000px.png", "IMAGE_TOO_LARGE")])
def test_bad_pages_get_a_clear_error_naming_the_page(name, code):
    result = extract_file(SCANS / name).to_dict()
    assert result["status"] == "failed"
    assert [(e["code"], e["page"]) for e in result["errors"]] == [(code, 1)]
    assert "page 1" in result["errors"][0]["message"]


def test_a_finding_on_a_scan_gets_a_crop_of_the_original_image(clean_png):
    form = clean_png["forms"][0]
    form["funds"]["rows"]["total"]["executed"] += 100  # FUNDS_SUBTOTAL then fires on that cell
    run = audit_results([clean_png])
    (finding,) = [f for f in run.findings if f.rule == "FUNDS_SUBTOTAL" and f.field == "funds.rows.total.executed"]
    assert finding.bbox is not None and finding.page == 1
    with Cropper() as cropper:
        png = cropper.crop(finding.source, finding.page, finding.bbox)
    assert png is not None and png.startswith(b"\x89PNG")
