"""An uploaded file, streamed from a multipart body to a temporary file with a size limit.

Starlette's own form parsing reads the whole body before the route runs; an archive of several
gigabytes would fill the disk before it could be refused. Here the body is parsed as it arrives
(python-multipart's streaming parser) and refused with 413 the moment the file passes the limit,
without reading the rest; a declared Content-Length over the limit is refused before any byte is read.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Optional

from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from worker.store.blobs import blob_suffix

FIELD = "file"
FORM_OVERHEAD = 64 * 1024  # boundaries and part headers around the file in a Content-Length


@dataclass
class Received:
    path: Path  # the temporary file; the caller deletes it
    filename: str
    size: int


class _Part:
    def __init__(self) -> None:
        self.headers: dict[str, bytes] = {}
        self.field = b""
        self.value = b""


async def receive_file(request: Request, limit_bytes: int, tmp_dir: Path) -> Received:
    """The `file` part of a multipart/form-data request, in a temporary file under `tmp_dir`."""
    ctype, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise HTTPException(415, f"send the file as multipart/form-data in a field named {FIELD!r}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit_bytes + FORM_OVERHEAD:
        raise _too_large(limit_bytes)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
    out = os.fdopen(fd, "wb")
    state = {"part": _Part(), "file": None, "size": 0, "name": None, "done": False, "over": False}

    def on_part_begin() -> None:
        state["part"] = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["part"].field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["part"].value += data[start:end]

    def on_header_end() -> None:
        part = state["part"]
        part.headers[part.field.decode("latin-1").lower()] = part.value
        part.field, part.value = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["part"].headers.get("content-disposition"))
        is_file = disposition.get(b"name") == FIELD.encode() and b"filename" in disposition
        state["file"] = is_file and not state["done"]
        if state["file"]:
            state["name"] = disposition[b"filename"].decode("utf-8", "replace")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not state["file"]:
            return  # other fields are ignored
        state["size"] += end - start
        if state["size"] > limit_bytes:
            state["over"] = True
            return
        out.write(data[start:end])

    def on_part_end() -> None:
        if state["file"]:
            state["done"] = True
            state["file"] = False

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if state["over"]:
                raise _too_large(limit_bytes)  # the rest of the body is never read
        parser.finalize()
        out.close()
        if not state["done"]:
            raise HTTPException(422, f"no file in the upload: send it in a multipart field named {FIELD!r}")
    except MultipartParseError as exc:
        out.close()
        Path(tmp).unlink(missing_ok=True)
        raise HTTPException(400, f"the multipart body cannot be parsed: {exc}") from None
    except BaseException:
        out.close()
        Path(tmp).unlink(missing_ok=True)
        raise
    name = safe_name(state["name"])
    # the reader routes by suffix (a .zip is expanded), so the temporary file keeps the upload's
    kept = Path(tmp).rename(Path(tmp).with_name(Path(tmp).name + blob_suffix(name)))
    return Received(kept, name, state["size"])


def safe_name(filename: Optional[str]) -> str:
    """The file's own name: browsers may send a client-side path, which must not name our folders."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    return name or "upload"


def _too_large(limit_bytes: int) -> HTTPException:
    return HTTPException(413, f"the upload is larger than the limit of {limit_bytes // (1024 * 1024)} MB "
                              f"([service] max_upload_mb); split the archive or raise the limit")
