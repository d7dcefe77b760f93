"""`formaudit audit` and `formaudit run`: batches of documents and extracted JSON, config, bad input."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from audit.report.csv_report import read_csv
from tests.conftest import REPO, seed
from worker.cli import main
from worker.settings import SettingsError, load_settings

FINDING_SCHEMA = json.loads((REPO / "audit" / "schema" / "finding.schema.json").read_text(encoding="utf-8"))
PROJECT = "基层党建经费"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def audit_json(capsys, *argv: str) -> tuple[int, dict, str]:
    code, out, err = cli(capsys, "audit", "--json", *argv)
    return code, json.loads(out), err


@pytest.fixture()
def broken_json(tmp_path, seed_results) -> Path:
    """Seed 000 as `extract --out` writes it, with one executed amount changed so FUNDS_SUBTOTAL fires."""
    data = json.loads(json.dumps(seed_results["000"]))
    form = next(f for f in data["forms"] if f.get("project") == PROJECT)
    form["funds"]["rows"]["fiscal"]["executed"] = 130.0
    form["cells"]["funds.rows.fiscal.executed"]["text"] = "130.0"
    path = tmp_path / "extracted" / "000.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _key(finding: dict) -> str:
    return json.dumps(finding, sort_keys=True, ensure_ascii=False)


def _subtotals(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == "FUNDS_SUBTOTAL"]


def test_audit_seeds_summary(capsys, seed_results):
    code, out, err = cli(capsys, "audit", seed("000"), seed("001"), seed("003"))
    forms = sum(len(r["forms"]) for r in seed_results.values())
    assert code == 0, err
    assert out.startswith(f"audited 3 file(s), {forms} form(s)\n")
    assert "findings: " in out and "suppressed: 0" in out


def test_audit_seeds_json_is_the_report(capsys, seed_results):
    code, report, _ = audit_json(capsys, seed("000"), seed("001"), seed("003"))
    assert code == 0
    assert report["files"] == 3 and report["forms"] == sum(len(r["forms"]) for r in seed_results.values())
    for finding in report["findings"]:
        jsonschema.validate(finding, FINDING_SCHEMA)
    assert sum(report["totals"]["severity"].values()) == len(report["findings"])
    assert [f for f in report["findings"] if f["severity"] == "error"] == []  # the seeds' arithmetic closes


def test_directory_is_one_batch_like_its_files(capsys, tmp_path):
    for prefix in ("000", "001"):
        shutil.copy(seed(prefix), tmp_path / f"{prefix}.txt")
    code, by_dir, _ = audit_json(capsys, tmp_path)
    _, by_files, _ = audit_json(capsys, tmp_path / "000.txt", tmp_path / "001.txt")
    assert code == 0 and by_dir["files"] == 2
    assert by_dir == by_files
    # one batch, not two audits side by side: cross-document rules see the targets table meet the forms
    separately = [f for p in ("000", "001") for f in audit_json(capsys, tmp_path / f"{p}.txt")[1]["findings"]]
    assert sorted(map(_key, by_dir["findings"])) != sorted(map(_key, separately))


def test_extracted_json_is_read_not_re_extracted(capsys, broken_json):
    code, report, err = audit_json(capsys, broken_json)
    assert code == 0, err
    found = _subtotals(report)
    assert len(found) == 1 and found[0]["project"] == PROJECT
    assert (found[0]["found"], found[0]["expected"]) == ("138.9", "130.0")
    code, by_dir, _ = audit_json(capsys, broken_json.parent)
    assert code == 0 and _subtotals(by_dir) == found


def test_extract_json_lines_are_read(capsys, tmp_path):
    code, out, _ = cli(capsys, "extract", "--json", seed("001"), seed("003"))
    lines = tmp_path / "batch.jsonl"
    lines.write_text(out, encoding="utf-8")
    code, report, err = audit_json(capsys, lines)
    _, direct, _ = audit_json(capsys, seed("001"), seed("003"))
    assert code == 0, err
    assert report["files"] == 2 and report["findings"] == direct["findings"]


def test_config_suppression_moves_the_finding(capsys, tmp_path, broken_json):
    config = tmp_path / "formaudit.toml"
    config.write_text(
        f'[[audit.suppress]]\nrule = "FUNDS_SUBTOTAL"\nproject = "{PROJECT}"\nreason = "年初已报备 known"\n',
        encoding="utf-8")
    code, report, _ = audit_json(capsys, "--config", config, broken_json)
    assert code == 0
    assert _subtotals(report) == []
    moved = [s for s in report["suppressed"] if s["finding"]["rule"] == "FUNDS_SUBTOTAL"]
    assert len(moved) == 1 and moved[0]["reason"] == "年初已报备 known"
    code, out, _ = cli(capsys, "audit", "--config", config, broken_json)
    assert "suppressed: 1" in out


@pytest.mark.parametrize("text", [
    '[audit]\nlow_execution_rate = 150\n',
    '[audit]\nno_such_key = 1\n',
    '[[audit.suppress]]\nrule = "NOT_A_RULE"\nreason = "x"\n',
    '[audit\n',
])
def test_bad_config_exits_2_with_the_message(capsys, tmp_path, text):
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as expected:
        load_settings(config)
    code, out, err = cli(capsys, "audit", "--config", config, seed("001"))
    assert code == 2 and out == ""
    assert str(expected.value) in err


def test_missing_config_file_exits_2(capsys, tmp_path):
    code, _, err = cli(capsys, "run", "--config", tmp_path / "nope.toml", "--out", tmp_path / "o", seed("001"))
    assert code == 2 and "cannot read the config file" in err
    assert not (tmp_path / "o").exists()


def test_empty_directory_is_a_clear_message(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, err = cli(capsys, "audit", tmp_path / "empty")
    assert code == 0
    assert "nothing to audit: the batch holds no files" in err
    assert out.startswith("audited 0 file(s), 0 form(s)")
    code, report, _ = audit_json(capsys, tmp_path / "empty")
    assert report["findings"] == [] and report["messages"]


def test_non_form_among_forms_exit_1_rest_audited(capsys, tmp_path, broken_json):
    shutil.copy(broken_json, tmp_path / "good.json")
    (tmp_path / "letter.txt").write_text("关于印发预算管理办法的通知\n各单位：\n现将办法印发给你们。\n", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"name": "not a form"}', encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"source": "x", "forms": [', encoding="utf-8")
    code, report, err = audit_json(capsys, tmp_path / "good.json", tmp_path / "letter.txt", tmp_path / "other.json",
                                   tmp_path / "broken.json", tmp_path / "gone.pdf")
    assert code == 1
    assert len(_subtotals(report)) == 1 and report["forms"] > 20
    lines = err.strip().splitlines()
    assert any("letter.txt" in e and "NO_FORM" in e for e in lines)
    assert any("other.json" in e and "NOT_EXTRACTED_JSON" in e for e in lines)
    assert any("broken.json" in e and "not valid JSON" in e for e in lines)
    assert any("gone.pdf: NOT_FOUND: no such file or directory" in e for e in lines)
    assert len(lines) == len(set(lines)) == 4  # each problem named once, as it was met
    assert report["files"] == 5 and len(report["messages"]) == 4


def test_partial_inputs_never_crash(capsys, tmp_path, seed_results):
    """A targets table alone, and a form whose funds, indicators and scores are missing."""
    data = json.loads(json.dumps(seed_results["000"]))
    form = next(f for f in data["forms"] if f.get("project") == PROJECT)
    for key in ("funds", "indicators", "total_score", "grade", "group_weights"):
        form.pop(key, None)
    form["cells"] = {}
    data["forms"] = [form]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, report, err = audit_json(capsys, path, seed("001"))
    assert code == 0, err
    assert report["forms"] == 2
    code, out, _ = cli(capsys, "audit", seed("001"))
    assert code == 0 and out.startswith("audited 1 file(s), 1 form(s)")


def test_audit_writes_the_reports_asked_for(capsys, tmp_path, broken_json):
    html, xlsx, csv = tmp_path / "r" / "a.html", tmp_path / "r" / "a.xlsx", tmp_path / "r" / "a.csv"
    code, out, err = cli(capsys, "audit", broken_json, "--html", html, "--xlsx", xlsx, "--csv", csv)
    assert code == 0, err
    assert "FUNDS_SUBTOTAL" in out and "FUNDS_SUBTOTAL" in html.read_text(encoding="utf-8")
    assert [f["rule"] for f in read_csv(csv)].count("FUNDS_SUBTOTAL") == 1
    assert openpyxl.load_workbook(xlsx).sheetnames[0] == "Findings 问题"


def test_unwritable_report_exits_2(capsys, tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = cli(capsys, "audit", seed("001"), "--html", tmp_path / "file" / "a.html")
    assert code == 2 and "cannot write" in err


def test_run_writes_extractions_and_all_four_reports(capsys, tmp_path):
    docs = tmp_path / "in"
    docs.mkdir()
    shutil.copy(REPO / "samples" / "docs" / "ningbo-2023.pdf", docs)
    shutil.copy(seed("001"), docs / "targets.txt")
    out_dir = docs / "out"  # inside the folder it reads: a second run must not read the first one's output
    for _ in range(2):
        code, out, err = cli(capsys, "run", docs, "--out", out_dir)
        assert code == 0, err
        assert out.startswith("read 2 file(s), 0 failed")
    assert sorted(p.name for p in (out_dir / "extracted").iterdir()) == ["ningbo-2023.json", "targets.json"]
    extracted = json.loads((out_dir / "extracted" / "ningbo-2023.json").read_text(encoding="utf-8"))
    assert extracted["tables"][0]["cells"]  # written whole, as `extract --out` does
    for name in ("findings.json", "report.html", "report.xlsx", "findings.csv"):
        assert (out_dir / name).stat().st_size > 0
        assert f"wrote {out_dir / name}" in out
    report = json.loads((out_dir / "findings.json").read_text(encoding="utf-8"))
    assert report["files"] == 2 and report["forms"] == len(extracted["forms"]) + 1
    assert len(read_csv(out_dir / "findings.csv")) == len(report["findings"])
    # the extractions audit again to the same findings
    code, again, _ = audit_json(capsys, out_dir / "extracted")
    assert again["findings"] == report["findings"]


def test_console_module_audit(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "worker.cli", "audit", "--json", str(seed("001"))],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["forms"] == 1


def test_run_with_an_unreachable_broker_exits_2_naming_it(capsys, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    assert main(["run", str(REPO / "samples/docs/shanghai-2023.txt"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the broker at REDIS_URL (redis://127.0.0.1:{port}/0)" in err
    assert not (tmp_path / "out" / "findings.json").exists()
