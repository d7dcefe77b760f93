"""A file's content hash: what an extraction names its input by, and what the store keys blobs by,
so the two always agree. Imports nothing heavy (the API process hashes uploads)."""
from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK = 1 << 20  # read in blocks: an upload may be hundreds of megabytes


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
