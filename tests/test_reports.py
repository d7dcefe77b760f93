"""Audit reports: JSON (exact finding objects), CSV round trip, XLSX sheets, HTML offline and escaped, crops."""
from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import subprocess

import jsonschema
import openpyxl
import pytest
from PIL import Image

from audit.config import AuditConfig, Suppression
from audit.engine import audit_results
from audit.findings import Finding
from audit.report import labels, report_dict, totals, write_reports
from audit.report.crops import MAX_WINDOW_PT, SCALE, Cropper
from audit.report.csv_report import COLUMNS, read_csv, write_csv
from audit.report.html_report import render_html
from audit.report.xlsx_report import write_xlsx
from audit.rules import CATALOGUE
from extractor.pipeline import extract_file
from tests.audit_support import edit_in_place as edit
from tests.conftest import REPO
from tests.work import calls

PDF = REPO / "samples" / "docs" / "ningbo-2023.pdf"
SPEC = REPO.parent / "shared" / "spec" / "AUDIT_RULES.md"
FINDING_SCHEMA = json.loads((REPO / "audit" / "schema" / "finding.schema.json").read_text(encoding="utf-8"))
EVIL = '<script>alert("x")</script>人才'


@pytest.fixture(scope="module")
def pdf_result() -> dict:
    return extract_file(PDF).to_dict()


@pytest.fixture(scope="module")
def broken(pdf_result) -> dict:
    """The Ningbo PDF with its first form's funds broken (FUNDS_SUBTOTAL, with a bbox) and a hostile name."""
    result = copy.deepcopy(pdf_result)
    form = next(f for f in result["forms"] if f["kind"] == "self_evaluation")
    edit(form, "funds.rows.fiscal.executed", 5.0, "5.0")
    form["project"] = EVIL
    edit(form, "indicators[0].target", "=45人")
    return result


@pytest.fixture(scope="module")
def run(broken):
    failed = {"source": "inbox/bad.pdf", "forms": [], "tables": [], "warnings": [], "status": "failed",
              "errors": [{"code": "ENCRYPTED", "message": "the PDF is password-protected", "page": None}]}
    # a suppression on a rule that certainly fires on this batch, so every report has one
    config = AuditConfig(suppress=(Suppression(rule="FUNDS_SUBTOTAL", project="no such project", reason="x"),))
    plain = audit_results([broken, failed], config)
    target = next(f for f in plain.findings if f.rule != "FUNDS_SUBTOTAL")
    suppress = Suppression(rule=target.rule, department=target.department, project=target.project,
                           reason="agreed with the bureau <b>2024</b>")
    return audit_results([broken, failed], AuditConfig(suppress=(suppress,)))


@pytest.fixture(scope="module")
def subtotal(run) -> Finding:
    return next(f for f in run.findings if f.rule == "FUNDS_SUBTOTAL")


@pytest.fixture(scope="module")
def html(run) -> str:
    out = io.StringIO()
    with Cropper() as cropper:
        render_html(run, out, cropper)
    return out.getvalue()


def _spec_keys() -> list[str]:
    text = SPEC.read_text(encoding="utf-8")
    block = re.search(r"## One finding\s*```json\s*(\{.*?\})\s*```", text, re.S)
    assert block, "AUDIT_RULES.md lost its 'One finding' example"
    return list(json.loads(block.group(1).replace("…", "x")))


def test_finding_schema_is_the_twelve_keys_of_the_spec():
    assert FINDING_SCHEMA["required"] == _spec_keys() == list(COLUMNS)
    assert set(FINDING_SCHEMA["properties"]) == set(_spec_keys())


def test_json_report_findings_validate_and_totals_add_up(run, subtotal):
    report = json.loads(json.dumps(report_dict(run), ensure_ascii=False))
    assert set(report) == {"findings", "suppressed", "totals", "files", "forms", "messages"}
    for finding in report["findings"] + [s["finding"] for s in report["suppressed"]]:
        jsonschema.validate(finding, FINDING_SCHEMA)
        assert list(finding) == _spec_keys()
    assert subtotal.to_dict() in report["findings"]
    assert report["files"] == 2 and report["forms"] == len(run.forms) > 20
    assert report["suppressed"][0]["reason"] == "agreed with the bureau <b>2024</b>"
    for key in ("severity", "rule", "department"):
        assert sum(report["totals"][key].values()) == len(report["findings"])
    assert list(report["totals"]["severity"]) == ["error", "warning", "info", "review"]
    assert report["totals"]["rule"]["FUNDS_SUBTOTAL"] == 1


def test_schema_rejects_a_thirteenth_key_and_a_bad_bbox(subtotal):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(subtotal.to_dict() | {"form": 0}, FINDING_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(subtotal.to_dict() | {"bbox": [1, 2, 3]}, FINDING_SCHEMA)


def test_totals_most_frequent_first_and_blank_department():
    def make(rule, severity, dept):
        return Finding(rule, severity, None, None, dept, None, None, None, None, None, "m")

    counted = totals([make("A", "info", None), make("B", "error", "d"), make("B", "error", "d")])
    assert counted["severity"] == {"error": 2, "warning": 0, "info": 1, "review": 0}
    assert list(counted["rule"].items()) == [("B", 2), ("A", 1)]
    assert counted["department"] == {"d": 2, "": 1}


def test_every_rule_has_a_bilingual_label():
    assert set(labels.RULES) == set(CATALOGUE)
    assert all(zh and en for zh, en in labels.RULES.values())
    assert labels.rule("FUNDS_RATE").startswith("FUNDS_RATE 执行率")


def test_csv_round_trips_with_bom_and_no_formulas(run, tmp_path):
    path = tmp_path / "f.csv"
    extra = Finding("TARGET_CHANGED", "warning", None, None, "部门, 甲", "项目\n二", None, None,
                    "=45人", "'quoted", 'says "hi"', [1.5, 2.25, 3.0, 4.0])
    run = copy.copy(run)
    run.findings = run.findings + [extra]
    write_csv(run, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert read_csv(path) == [f.to_dict() for f in run.findings]
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(COLUMNS)
    assert rows[-1][COLUMNS.index("found")] == "'=45人"
    assert rows[-1][COLUMNS.index("bbox")] == "1.5,2.25,3.0,4.0"


def test_xlsx_sheets_filters_and_indicator_count(run, tmp_path):
    path = tmp_path / "r.xlsx"
    write_xlsx(run, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Findings 问题", "Indicators 指标", "Forms 表单", "Suppressed 已抑制"]
    findings = wb["Findings 问题"]
    assert findings.freeze_panes == "A2"
    assert findings.auto_filter.ref == f"A1:L{len(run.findings) + 1}"
    assert findings.max_row == len(run.findings) + 1
    assert findings.cell(1, 2).value == "严重程度 Severity"
    indicators = wb["Indicators 指标"]
    expected = sum(len(v.form.get("indicators") or []) for v in run.forms if v.form["kind"] == "self_evaluation")
    assert indicators.max_row - 1 == expected > 100
    assert indicators.freeze_panes == "A2" and indicators.auto_filter.ref
    targets = [c.value for c in indicators["G"]]
    assert "=45人" in targets  # stays text, not a formula
    forms = wb["Forms 表单"]
    assert forms.max_row - 1 == len(run.forms)
    row = next(r for r in forms.iter_rows(min_row=2, values_only=True) if r[3] == EVIL)
    assert row[-4] >= 1  # that form's errors
    suppressed = wb["Suppressed 已抑制"]
    assert suppressed.max_row == 2 and suppressed.cell(2, 13).value == "agreed with the bureau <b>2024</b>"


def test_html_is_offline_escaped_and_has_totals(run, html, subtotal):
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;人才" in html
    assert html.count("<script") == 1  # ours: the filter script
    assert "http://" not in html and "https://" not in html
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', html))
    errors = sum(1 for f in run.findings if f.severity == "error")
    assert f'<tr data-filter="severity|error"><td><span class="sev sev-error">错误 Error</span></td><td class="num">{errors}</td>' in html
    assert 'data-filter="rule|FUNDS_SUBTOTAL"' in html and "资金合计≠分项之和" in html
    assert 'data-filter="department|中共宁波市委组织部"' in html
    for select in ("f-severity", "f-rule", "f-department", "f-text"):
        assert f'id="{select}"' in html
    assert html.count('<tr data-severity="') == len(run.findings)
    assert "agreed with the bureau &lt;b&gt;2024&lt;/b&gt;" in html
    assert "inbox/bad.pdf" in html and "ENCRYPTED" in html


def test_html_shows_both_sides_of_the_funds_sum_and_a_crop(html, subtotal):
    row = next(r for r in html.split("\n") if 'data-rule="FUNDS_SUBTOTAL"' in r)
    assert f'<td class="hit">{subtotal.found}</td><td>{subtotal.expected}</td>' in row
    assert "当年财政拨款 Fiscal" in row and '<td class="num">5.0</td>' in row
    assert '<td class="hit num">1000.0</td>' in row  # the printed total, highlighted
    assert 'src="data:image/png;base64,' in row


def test_html_indicator_and_score_details(broken):
    result = copy.deepcopy(broken)
    form = next(f for f in result["forms"] if f["kind"] == "self_evaluation")
    edit(form, "indicators[0].score", 9.0, "9")
    out = io.StringIO()
    render_html(audit_results([result]), out)
    row = next(r for r in out.getvalue().split("\n") if 'data-rule="TOTAL_SCORE"' in r and "&lt;script" in r)
    assert "合计 Sum" in row and '<th class="num">99</th>' in row  # the scores' sum against the printed total
    assert '<td class="hit num">100</td>' in row


def test_reports_of_an_empty_batch(tmp_path):
    run = audit_results([])
    written = write_reports(run, tmp_path / "a.json", tmp_path / "a.html", tmp_path / "a.xlsx", tmp_path / "a.csv")
    assert [p.name for p in written] == ["a.json", "a.html", "a.xlsx", "a.csv"]
    report = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert report["findings"] == [] and report["messages"] == ["nothing to audit: the batch holds no files"]
    assert "nothing to audit" in (tmp_path / "a.html").read_text(encoding="utf-8")
    assert openpyxl.load_workbook(tmp_path / "a.xlsx")["Findings 问题"].max_row == 1
    assert read_csv(tmp_path / "a.csv") == []


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _has_red(image: Image.Image) -> bool:
    rgb = image.convert("RGB")
    return any(r > 180 and g < 80 and b < 80 for r, g, b in (rgb.getpixel((x, y)) for x in range(rgb.width) for y in range(rgb.height)))


def test_crop_of_a_pdf_finding(subtotal):
    assert subtotal.bbox is not None and subtotal.source == str(PDF)
    with Cropper() as cropper:
        image = _png(cropper.crop(subtotal.source, subtotal.page, subtotal.bbox))
    x0, y0, x1, y1 = subtotal.bbox
    assert image.format == "PNG"
    assert abs(image.width - (x1 - x0 + 80) * SCALE) <= 4 and abs(image.height - (y1 - y0 + 80) * SCALE) <= 4
    assert _has_red(image)


def test_crop_is_capped_and_missing_sources_give_none(tmp_path):
    with Cropper() as cropper:
        image = _png(cropper.crop(str(PDF), 2, [0, 0, 595, 842]))
        assert image.width <= MAX_WINDOW_PT[0] * SCALE + 1 and image.height <= MAX_WINDOW_PT[1] * SCALE + 1
        text = tmp_path / "a.txt"
        text.write_text("x", encoding="utf-8")
        assert cropper.crop(str(tmp_path / "gone.pdf"), 1, [1, 1, 9, 9]) is None
        assert cropper.crop(str(text), 1, [1, 1, 9, 9]) is None
        assert cropper.crop(str(PDF), 999, [1, 1, 9, 9]) is None
        assert cropper.crop(str(PDF), 2, None) is None
        (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 truncated")
        assert cropper.crop(str(tmp_path / "bad.pdf"), 1, [1, 1, 9, 9]) is None
    with Cropper(max_crops=1) as cropper:
        assert cropper.crop(str(PDF), 2, [100, 100, 150, 120]) is not None
        assert cropper.crop(str(PDF), 2, [100, 100, 150, 120]) is not None  # the same cell again
        assert cropper.crop(str(PDF), 2, [200, 100, 250, 120]) is None


def test_crop_of_an_image_at_its_dpi_and_without_one(tmp_path):
    import pypdfium2

    page = pypdfium2.PdfDocument(str(PDF))[1]
    scan = tmp_path / "scan.png"
    page.render(scale=300 / 72).to_pil().save(scan, dpi=(300, 300))
    bare = tmp_path / "scan.tif"
    page.render(scale=200 / 72).to_pil().save(bare)  # no DPI recorded: the page is taken as A4, as the scan reader does
    bbox = [208.9, 124.0, 283.6, 140.0]
    with Cropper() as cropper:
        from_pdf = _png(cropper.crop(str(PDF), 2, bbox))
        for path in (scan, bare):
            image = _png(cropper.crop(str(path), 1, bbox))
            assert abs(image.width - from_pdf.width) <= 3 and abs(image.height - from_pdf.height) <= 3
            assert _has_red(image)
            assert cropper.crop(str(path), 2, bbox) is None  # a one-page image has no page 2


def test_reports_grow_linearly(broken, tmp_path):
    forms = [f for f in broken["forms"] if f["kind"] == "self_evaluation"]

    def batch(copies: int) -> list[dict]:
        return [{"source": f"inbox/{i}.pdf", "forms": copy.deepcopy(forms), "tables": []} for i in range(copies)]

    def work(copies: int) -> int:  # in calls, not seconds: the same on a busy machine
        run = audit_results(batch(copies))
        return calls(lambda: write_reports(run, tmp_path / "a.json", tmp_path / "a.html", tmp_path / "a.xlsx",
                                           tmp_path / "a.csv"))

    small, large = work(8), work(64)  # ~200 and ~1 700 forms
    assert large < small * 8 * 1.5, (small, large)  # 8× the forms; quadratic would be 64×


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed")
def test_html_in_a_browser_counts_findings_errors_first(run, html, tmp_path):
    """The filter script runs in a real browser: it counts the findings (not the value tables
    inside them) and the table lists errors first."""
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout
    n = len(run.findings)
    assert f'id="f-count">{n} / {n}<' in dom
    severities = re.findall(r'<tr data-severity="(\w+)"', dom)
    rank = {"error": 0, "warning": 1, "review": 2, "info": 3}
    assert severities == sorted(severities, key=rank.__getitem__) and severities[0] == "error"
