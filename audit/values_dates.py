"""Deadlines in printed targets and actuals ("2023年底", "12月前", "6月底前", "2023年5月13日完").

Part of `audit.values`; import the public names from there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# A year is modelled as 12 months of 31 days: only the order of dates matters, never the
# number of days between them, so real month lengths would add nothing.
_MONTH_DAYS = 31
_YEAR_DAYS = 12 * _MONTH_DAYS

_PARTS = {"初": (1, 10), "上旬": (1, 10), "中": (11, 20), "中旬": (11, 20),
          "底": (21, 31), "末": (21, 31), "下旬": (21, 31)}
# Markers without a month, as (first month, first day, last month, last day).
# 年中 is read as the end of June, the usual half-year checkpoint of budget reporting.
# 中/初/内 (and 年中/年初/年内) only count where no word goes on ("2023年中央…", "年初预算数").
_MARKERS = {"年底": (12, 1, 12, 31), "年末": (12, 1, 12, 31), "年中": (6, 21, 6, 31),
            "年初": (1, 1, 1, 31), "年内": (1, 1, 12, 31),
            "上半年": (1, 1, 6, 31), "下半年": (7, 1, 12, 31)}
_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_DATE_RE = re.compile(
    r"(?:(?P<year>(?:19|20)\d{2})年)?"
    r"(?:(?P<marker>上半年|下半年|年底|年末|底|末|(?:年中|年初|年内|中|初|内)(?=$|前|之前|以前|完成|[^\u4e00-\u9fff]))"
    r"|第?(?P<quarter>[一二三四1-4])季度(?:末|底)?"
    r"|(?<![\d.个])(?P<month>\d{1,2})月份?(?:(?P<day>\d{1,2})[日号]|(?P<part>上旬|中旬|下旬|初|中|底|末))?"
    r")?"
    r"(?P<before>之前|以前|前|为止|止|内)?"
)


@dataclass(frozen=True)
class Deadline:
    """A point or stretch of the year named by a target or an actual.

    `marker` holds 年底/年中/年初/年内/上半年/下半年 when no month is printed; `part` holds
    初/中/底 (上旬/中旬/下旬 and 末 folded in). `before` records a printed 前/之前/内, which
    `span` does not use: "10月前" is compared at month granularity (see `audit.values.is_met`).
    """

    year: Optional[int] = None
    month: Optional[int] = None
    day: Optional[int] = None
    part: Optional[str] = None
    marker: Optional[str] = None
    before: bool = False

    def span(self, with_year: bool = False) -> tuple[int, int]:
        """First and last day covered, as day numbers on a 12 × 31-day year (plus the year if asked)."""
        if self.month is not None:
            if self.day is not None:
                lo = hi = (self.month - 1) * _MONTH_DAYS + self.day
            else:
                d0, d1 = _PARTS.get(self.part or "", (1, _MONTH_DAYS))
                lo = (self.month - 1) * _MONTH_DAYS + d0
                hi = (self.month - 1) * _MONTH_DAYS + d1
        else:
            m0, d0, m1, d1 = _MARKERS.get(self.marker or "年内", _MARKERS["年内"])
            lo = (m0 - 1) * _MONTH_DAYS + d0
            hi = (m1 - 1) * _MONTH_DAYS + d1
        if with_year and self.year is not None:
            return lo + self.year * _YEAR_DAYS, hi + self.year * _YEAR_DAYS
        return lo, hi


def find_deadlines(s: str) -> list[tuple[Deadline, tuple[int, int]]]:
    """Every date expression in normalised text `s`, with its (start, end) offsets."""
    found: list[tuple[Deadline, tuple[int, int]]] = []
    for m in _DATE_RE.finditer(s):
        d = _to_deadline(m)
        if d is not None:
            found.append((d, m.span()))
    return found


def _to_deadline(m: re.Match[str]) -> Optional[Deadline]:
    year = int(m["year"]) if m["year"] else None
    before = m["before"] is not None
    marker = m["marker"]
    if marker:
        if len(marker) == 1:
            if year is None:
                return None  # a lone 中/底/内 in running text is no date
            marker = {"底": "年底", "末": "年末", "中": "年中", "初": "年初", "内": "年内"}[marker]
        return Deadline(year=year, marker=marker, before=before)
    if m["quarter"]:
        # A quarter is read as its last month: the date by which it is over.
        return Deadline(year=year, month=3 * _QUARTER[m["quarter"]], part="底", before=before)
    if m["month"]:
        month = int(m["month"])
        day = int(m["day"]) if m["day"] else None
        if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            return None
        part = {"上旬": "初", "中旬": "中", "下旬": "底", "末": "底"}.get(m["part"] or "", m["part"])
        return Deadline(year=year, month=month, day=day, part=part, before=before)
    if year is not None:
        return Deadline(year=year, before=before)
    return None


def latest(deadlines: list[Deadline]) -> Optional[Deadline]:
    """The last of several deadlines ("分别4月底及12月底前完成" is done by the end of December)."""
    if not deadlines:
        return None
    with_year = all(d.year is not None for d in deadlines)
    return max(deadlines, key=lambda d: d.span(with_year)[1])
