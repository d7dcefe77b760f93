"""Positioned spans → reading-order text: lines top to bottom, spans left to right.

Chinese is written without spaces: within a line a visible gap is a space unless it sits
between two CJK characters (letter-spaced labels such as "分  值"); across a wrap, lines join
with no space when either side is CJK, and with one between Latin words.
Split out of `geometry` so both the PDF and the OCR paths can share it.
"""
from __future__ import annotations

from typing import Sequence

from extractor.model import Span

SPACE_GAP = 0.15   # a gap wider than this many span heights is a space between words
SAME_LINE = 0.5    # centres closer than this many span heights sit on one line

# no space before these when a line wraps ("≥90" / "%"), nor after the opening ones
_CLOSERS = set(",.;:%)]}!?'\"")
_OPENERS = set("([{/-'\"")


def is_cjk(ch: str) -> bool:
    """Han, kana, CJK punctuation and full-width forms: text that takes no spaces."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or o >= 0x20000)


def group_lines(spans: Sequence[Span]) -> list[list[Span]]:
    """Spans grouped into visual lines, lines top to bottom, spans in a line left to right."""
    if not spans:
        return []
    ordered = sorted(spans, key=lambda s: s.bbox[1] + s.bbox[3])
    lines: list[list[Span]] = []
    ref_cy = ref_h = 0.0
    for s in ordered:
        cy = (s.bbox[1] + s.bbox[3]) / 2
        h = s.bbox[3] - s.bbox[1]
        if lines and abs(cy - ref_cy) <= SAME_LINE * max(min(h, ref_h), 1.0):
            lines[-1].append(s)
            continue
        lines.append([s])
        ref_cy, ref_h = cy, h
    for line in lines:
        line.sort(key=lambda s: s.bbox[0])
    return lines


def join_line(line: Sequence[Span]) -> str:
    """One line's spans (left to right) as text; a visible gap is a space except between CJK."""
    parts: list[str] = []
    prev = None
    for s in line:
        text = s.text.strip()
        if not text:
            continue
        if prev is not None and parts:
            h = max(min(prev.bbox[3] - prev.bbox[1], s.bbox[3] - s.bbox[1]), 1.0)
            gap = s.bbox[0] - prev.bbox[2]
            if gap > SPACE_GAP * h and not (is_cjk(parts[-1][-1]) and is_cjk(text[0])):
                parts.append(" ")
        parts.append(text)
        prev = s
    return "".join(parts)


def line_separator(before: str, after: str) -> str:
    """What goes between a wrapped line ending in `before` and the next starting with `after`."""
    if is_cjk(before) or is_cjk(after):
        return ""
    if before.isdigit() and after.isdigit():
        return ""  # a long number or code wrapped in a narrow column
    if after in _CLOSERS or before in _OPENERS:
        return ""
    return " "


def join_lines(spans: Sequence[Span]) -> str:
    """All spans of a cell as one string in reading order."""
    out = ""
    for line in group_lines(spans):
        text = join_line(line)
        if not text:
            continue
        if out:
            out += line_separator(out[-1], text[0])
        out += text
    return out
