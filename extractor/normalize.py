"""Text helpers shared by every parser: NFKC keys for comparing, printed text for output, numbers."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

_TAGS = re.compile(r"</?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_SPACE = re.compile(r"\s+")
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\n]+(?=[{_CJK}])")
DASHES = frozenset({"", "—", "-", "－", "–", "——", "--", "/", "／", "无", "N/A", "n/a"})
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def key(text: Optional[str]) -> str:
    """Comparison key: NFKC (full-width → half-width), all whitespace removed."""
    if not text:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def clean(text: Optional[str]) -> Optional[str]:
    """Printed text for output: HTML-ish tags (`<p>`) removed, whitespace trimmed; blank/dash → None.

    Whitespace between two CJK characters is a line wrap of the cell (Chinese sets no spaces between
    words), so it is dropped: the same cell then reads the same from a text export and from a PDF.
    """
    if text is None:
        return None
    out = _CJK_GAP.sub("", _TAGS.sub("", text)).strip()
    return None if is_blank(out) else out


def is_blank(text: Optional[str]) -> bool:
    return text is None or key(text) in DASHES


def is_number(text: Optional[str]) -> bool:
    return bool(text) and bool(_NUMBER.match(key(text)))


def parse_number(text: Optional[str]) -> Optional[float]:
    """"1,563.92" → 1563.92; blank or dash → None; anything else → ValueError."""
    if is_blank(text):
        return None
    k = key(text)
    if not _NUMBER.match(k):
        raise ValueError(f"not a number: {text!r}")
    return float(k.replace(",", ""))


def is_rate(text: Optional[str]) -> bool:
    """A printed execution rate: "99%", "90.90%", or a bare decimal some regions print for 0 ("0.00")."""
    k = key(text)
    return bool(re.match(r"^\d+(\.\d+)?%$", k)) or bool(re.match(r"^0(\.0+)?$", k))


def year_of(text: Optional[str]) -> Optional[int]:
    m = re.search(r"(20\d\d|19\d\d)\s*年", unicodedata.normalize("NFKC", text or ""))
    return int(m.group(1)) if m else None
