"""`formaudit extract` end to end, and bad input that must give a one-line error naming the file."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from extractor.pipeline import extract_file
from tests.conftest import REPO, assert_valid, seed
from worker.cli import run_extract


def _run(paths: list[Path], out: Path | None = None, as_json: bool = True) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_extract(paths, as_json, out, stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_empty_file(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    result = extract_file(bad)
    assert result.status == "failed" and result.errors[0].code == "EMPTY_FILE"
    assert_valid(result.to_dict())


def test_binary_junk_named_txt(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 40)
    result = extract_file(junk)
    assert result.status == "failed" and result.errors[0].code == "UNSUPPORTED_FORMAT"


def test_text_that_is_not_a_form(tmp_path):
    prose = tmp_path / "letter.txt"
    prose.write_text("关于印发预算管理办法的通知\n各单位：\n现将办法印发给你们。\n", encoding="utf-8")
    result = extract_file(prose)
    assert result.status == "failed" and result.errors[0].code == "NO_FORM"


def test_gb18030_text_export_is_read(tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(seed("003").read_text(encoding="utf-8").encode("gb18030"))
    result = extract_file(gbk)
    assert result.status == "ok" and len(result.forms) == 8


def test_form_feed_starts_a_new_page_and_form_continues(tmp_path):
    text = seed("003").read_text(encoding="utf-8")
    cut = text.index("绩效指标\t产出指标\t时效指标\t公务员奖励")  # the continuation of 公务员管理工作经费
    paged = tmp_path / "paged.txt"
    paged.write_text(text[:cut] + "\f" + text[cut:], encoding="utf-8")
    result = extract_file(paged).to_dict()
    form = next(f for f in result["forms"] if f["project"] == "公务员管理工作经费")
    assert form["pages"] == [1, 2]
    assert len(form["indicators"]) == 29
    assert result["pages"] == 2


def test_batch_goes_on_past_bad_files_and_exit_code_is_1(tmp_path):
    good = tmp_path / "in" / "good.txt"
    good.parent.mkdir()
    shutil.copy(seed("003"), good)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "junk.txt").write_bytes(b"\x00\xff" * 100)
    out = tmp_path / "out"
    code, stdout, stderr = _run([tmp_path / "in"], out=out)
    assert code == 1
    lines = stdout.strip().splitlines()
    assert len(lines) == 3
    assert {json.loads(line)["status"] for line in lines} == {"ok", "failed"}
    errs = stderr.strip().splitlines()
    assert len(errs) == 2
    assert any("empty.txt" in e and "EMPTY_FILE" in e for e in errs)
    assert any("junk.txt" in e and "UNSUPPORTED_FORMAT" in e for e in errs)
    written = json.loads((out / "good.json").read_text(encoding="utf-8"))
    assert len(written["forms"]) == 8
    assert (out / "empty.json").exists()


def test_all_read_exit_code_0_and_table(tmp_path):
    code, stdout, _ = _run([seed("001"), seed("003")], as_json=False)
    assert code == 0
    assert "ok" in stdout and "2 file(s), 2 read, 0 failed" in stdout


def test_missing_path_is_named(tmp_path):
    code, _, stderr = _run([tmp_path / "nope.pdf"])
    assert code == 1 and "nope.pdf: no such file or directory" in stderr


def test_console_script_runs_as_module(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "worker.cli", "extract", "--json", str(seed("001"))],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["forms"][0]["kind"] == "targets" and data["input_kind"] == "text"


def test_bad_documents_in_one_batch_each_named_with_reason(tmp_path):
    """A spreadsheet that is not a form, a truncated PDF, an encrypted PDF, an encrypted xlsx."""
    import openpyxl
    from reportlab.pdfgen import canvas

    batch = tmp_path / "batch"
    batch.mkdir()
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "123"])
    wb.save(batch / "contacts.xlsx")
    good = batch / "good.pdf"
    c = canvas.Canvas(str(good))
    c.drawString(72, 720, "hello")
    c.save()
    (batch / "truncated.pdf").write_bytes(good.read_bytes()[:200])
    locked = canvas.Canvas(str(batch / "locked.pdf"), encrypt="secret")
    locked.drawString(72, 720, "hello")
    locked.save()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100
    (batch / "locked.xlsx").write_bytes(ole)
    shutil.copy(seed("001"), batch / "targets.txt")
    code, stdout, stderr = _run([batch])
    assert code == 1
    results = {Path(json.loads(line)["source"]).name: json.loads(line) for line in stdout.splitlines()}
    assert results["targets.txt"]["status"] == "ok"
    codes = {name: r["errors"][0]["code"] for name, r in results.items() if r["errors"]}
    assert codes["contacts.xlsx"] == "NO_FORM"
    assert codes["truncated.pdf"] == "CORRUPT_FILE"
    assert codes["locked.pdf"] == "ENCRYPTED"
    assert codes["locked.xlsx"] == "ENCRYPTED_FILE"
    for name in ("contacts.xlsx", "truncated.pdf", "locked.pdf", "locked.xlsx"):
        line = next(e for e in stderr.splitlines() if name in e)
        assert line.count("\n") == 0 and codes[name] in line
    for r in results.values():
        assert_valid(r)
