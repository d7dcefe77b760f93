"""Zip archives as batches: members expanded safely into a work directory, each one an input.

An uploaded archive is untrusted. Names that climb out of the archive (`../x`, `/etc/x`, `C:\\x`),
links, encrypted members and members that expand far beyond their compressed size are refused one
by one with a clear error; the rest of the archive goes on. Sizes are counted while reading, not
taken from the headers, which a zip bomb forges. Chinese Windows tools write member names in GBK
without the zip UTF-8 flag; such names are decoded as GBK so the report shows the real file names.
"""
from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator, Optional

ARCHIVE_SUFFIXES = frozenset({".zip"})
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_total_bytes: int = 4 << 30  # all members expanded together
    max_member_bytes: int = 1 << 30
    max_ratio: float = 200.0  # expanded / compressed, per member; office files reach ~30, PDFs ~5
    max_depth: int = 3  # archives inside archives


@dataclass(frozen=True)
class Member:
    """One input from an archive: `path` on disk, or `error` saying why it was refused."""

    name: str  # "batch.zip!dept/a.pdf", as reports show it
    path: Optional[Path] = None
    error: Optional[tuple[str, str]] = None  # (code, message)


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES and zipfile.is_zipfile(path)


def expand(archive: Path, dest: Path, limits: ArchiveLimits = ArchiveLimits(), name: Optional[str] = None,
           _depth: int = 1) -> Iterator[Member]:
    """Every file member of `archive`, written under `dest`; nested archives are expanded in turn."""
    label = name or str(archive)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Member(label, error=("BAD_ARCHIVE", f"not a readable zip archive: {exc}"))
        return
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > limits.max_members:
            yield Member(label, error=("ARCHIVE_TOO_LARGE", f"{len(infos)} members, more than the limit of {limits.max_members}"))
            return
        budget = [limits.max_total_bytes]
        for n, info in enumerate(infos):
            member_name = f"{label}!{_decoded_name(info)}"
            refusal = _refusal(info)
            if refusal is not None:
                yield Member(member_name, error=refusal)
                continue
            target = dest / f"{n:05d}" / PurePosixPath(_decoded_name(info)).name
            error = _copy_out(zf, info, target, limits, budget)
            if error is not None:
                target.unlink(missing_ok=True)
                yield Member(member_name, error=error)
            elif is_archive(target) and _depth < limits.max_depth:
                yield from expand(target, target.parent / "x", limits, member_name, _depth + 1)
            else:
                yield Member(member_name, path=target)


def _decoded_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _refusal(info: zipfile.ZipInfo) -> Optional[tuple[str, str]]:
    name = _decoded_name(info).replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
        return ("UNSAFE_PATH", "the member's path leads outside the archive; refused")
    if stat.S_ISLNK(info.external_attr >> 16):
        return ("UNSAFE_PATH", "the member is a symbolic link; refused")
    if info.flag_bits & 0x1:
        return ("ENCRYPTED_FILE", "the member is encrypted; send it without a password")
    return None


def _copy_out(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: ArchiveLimits,
              budget: list[int]) -> Optional[tuple[str, str]]:
    """Stream one member to `target`, stopping as soon as a limit is passed."""
    cap = min(limits.max_member_bytes, budget[0], int(max(info.compress_size, 1) * limits.max_ratio) + _CHUNK)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as out:
            while block := src.read(_CHUNK):
                written += len(block)
                if written > cap:
                    return _too_big(info, cap, budget[0])
                out.write(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
        return ("BAD_ARCHIVE", f"the member cannot be read: {exc}")
    budget[0] -= written
    return None


def _too_big(info: zipfile.ZipInfo, cap: int, left: int) -> tuple[str, str]:
    if cap == left:
        return ("ARCHIVE_TOO_LARGE", f"the archive's members together expand beyond the limit; {info.filename} refused")
    return ("ARCHIVE_BOMB", f"the member expands beyond {cap:,} bytes from {info.compress_size:,} compressed; refused")
