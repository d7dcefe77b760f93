"""Zip archives as batches: good members come out, hostile ones are refused one by one."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from extractor.archive import ArchiveLimits, expand, is_archive

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "docs"


def _zip(path: Path, members: dict[str, bytes], **info_kw) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _by_name(members) -> dict[str, object]:
    return {m.name.partition("!")[2]: m for m in members}


def test_good_members_nested_folders_and_nested_archives(tmp_path):
    inner = _zip(tmp_path / "inner.zip", {"c.txt": b"inner"})
    outer = _zip(tmp_path / "outer.zip", {
        "dept/a/ningbo.pdf": (SAMPLES / "ningbo-2023.pdf").read_bytes(),
        "b.txt": b"hello", "more/inner.zip": inner.read_bytes(),
    })
    assert is_archive(outer) and not is_archive(SAMPLES / "ningbo-2023.pdf")
    found = list(expand(outer, tmp_path / "work"))
    names = [m.name for m in found]
    assert names == [f"{outer}!dept/a/ningbo.pdf", f"{outer}!b.txt", f"{outer}!more/inner.zip!c.txt"]
    assert all(m.error is None and m.path.is_file() for m in found)
    assert found[0].path.read_bytes() == (SAMPLES / "ningbo-2023.pdf").read_bytes()
    assert all((tmp_path / "work") in m.path.parents for m in found)


def test_zip_slip_absolute_and_drive_paths_are_refused(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"../x": b"evil", "/etc/x": b"evil", "C:/x": b"evil", "ok.txt": b"fine"})
    found = _by_name(expand(archive, tmp_path / "work"))
    for name in ("../x", "/etc/x", "C:/x"):
        assert found[name].error[0] == "UNSAFE_PATH" and found[name].path is None
    assert found["ok.txt"].path.read_bytes() == b"fine"
    assert not (tmp_path / "x").exists() and not (tmp_path / "work" / "x").exists()


def test_symlink_and_encrypted_members_are_refused(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("locked.pdf", b"%PDF")
    _set_encrypted_flag(archive, b"locked.pdf")
    found = _by_name(expand(archive, tmp_path / "work"))
    assert found["link"].error[0] == "UNSAFE_PATH"
    assert found["locked.pdf"].error[0] == "ENCRYPTED_FILE"


def _set_encrypted_flag(archive: Path, name: bytes) -> None:
    """zipfile cannot write encrypted members: set the flag in both headers, as an encrypting tool would."""
    data = bytearray(archive.read_bytes())
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at:start + name_at + len(name)] == name:
                data[start + flag_at] |= 0x1
            start += 4
    archive.write_bytes(bytes(data))


def test_zip_bomb_is_refused_without_filling_the_disk(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", {"bomb.txt": b"\0" * (64 << 20), "ok.txt": b"fine"})
    assert archive.stat().st_size < 200_000
    found = _by_name(expand(archive, tmp_path / "work"))
    assert found["bomb.txt"].error[0] == "ARCHIVE_BOMB"
    assert found["ok.txt"].error is None
    written = sum(p.stat().st_size for p in (tmp_path / "work").rglob("*") if p.is_file())
    assert written < 1 << 20


def test_total_size_and_member_count_limits(tmp_path):
    archive = _zip(tmp_path / "a.zip", {f"{i}.txt": bytes(range(256)) * 40 for i in range(5)})
    found = list(expand(archive, tmp_path / "w1", ArchiveLimits(max_total_bytes=25_000)))
    assert [m.error[0] if m.error else "ok" for m in found] == ["ok", "ok", "ARCHIVE_TOO_LARGE", "ARCHIVE_TOO_LARGE", "ARCHIVE_TOO_LARGE"]
    (only,) = expand(archive, tmp_path / "w2", ArchiveLimits(max_members=3))
    assert only.error[0] == "ARCHIVE_TOO_LARGE" and "more than the limit of 3" in only.error[1]


def test_gbk_member_names_without_the_utf8_flag_are_decoded(tmp_path):
    archive = tmp_path / "gbk.zip"
    gbk = "自评表.txt".encode("gbk")
    placeholder = b"a" * (len(gbk) - 4) + b".txt"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(placeholder.decode(), b"x")  # an ASCII name: no UTF-8 flag, as GBK tools write it
    archive.write_bytes(archive.read_bytes().replace(placeholder, gbk))
    (member,) = expand(archive, tmp_path / "work")
    assert member.name.endswith("!自评表.txt") and member.path.name == "自评表.txt"


def test_corrupt_archive_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    (member,) = expand(bad, tmp_path / "work")
    assert member.error[0] == "BAD_ARCHIVE" and member.name == str(bad)


def test_an_archive_is_one_batch_for_audit_and_run(tmp_path):
    import io
    import json

    from tests.conftest import seed
    from worker.cli import main

    archive = _zip(tmp_path / "upload.zip", {
        "宁波/000.txt": seed("000").read_bytes(), "宁波/targets/001.txt": seed("001").read_bytes(),
        "../escape.txt": b"evil", "broken.pdf": b"%PDF-1.7 nothing else",
    })
    out = tmp_path / "out"
    code = main(["run", str(archive), "--out", str(out)])
    assert code == 1  # two members could not be read; the rest was audited
    report = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert report["files"] == 4
    assert any(f["rule"] == "TARGET_CHANGED" for f in report["findings"]), "members of one archive are one batch"
    assert any("UNSAFE_PATH" in m and "../escape.txt" in m for m in report["messages"])
    written = sorted(p.relative_to(out / "extracted").as_posix() for p in (out / "extracted").rglob("*.json"))
    assert written == ["upload/.._escape.txt.json", "upload/broken.pdf.json",
                       "upload/宁波_000.txt.json", "upload/宁波_targets_001.txt.json"]
    assert not (tmp_path / "escape.txt").exists()
