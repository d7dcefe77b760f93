"""Targets (年度指标值) and actuals (实际完成值) as printed, parsed into comparable values.

AUDIT_RULES "Targets against actuals": a value is an operator, a number, a unit and flags
(approximate, range, percentage, deadline, qualitative, yes/no). `parse_value` reads one
printed cell, `parse_target_parts` one targets-table row (op, unit and value in separate
columns), `is_met` says whether an actual meets its target. Pure: no forms, no findings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from audit.values_dates import Deadline, find_deadlines, latest
from audit.values_met import is_met
from audit.values_units import (
    UNIT_RE, comparable_units, convert, is_money, is_money_per_unit, is_unit, normalise_unit,
)
from extractor.normalize import key

__all__ = [
    "Value", "Deadline", "parse_value", "parse_target_parts", "is_met", "to_unit", "says_not_done",
    "comparable_units", "convert", "normalise_unit", "is_unit", "is_money", "is_money_per_unit",
]


@dataclass(frozen=True)
class Value:
    """One printed target or actual.

    `number` is None for a range (see `range`) and for composite values (see `composite`,
    a tuple so that the value stays hashable). `op` and `unit` only accompany a number or
    range. Flags: `approx` 左右/约/上下; `qualitative` no number, range, date or yes/no at
    all (what NON_QUANTIFIED_TARGET looks for); `negative` says the work was not done;
    `late` says it was done late; `done` says it was done or done in time; `embedded` the
    number or date was found inside running text ("服务14家企业再融资") rather than being
    the whole cell.
    """

    raw: Optional[str]
    op: Optional[str] = None
    number: Optional[float] = None
    unit: Optional[str] = None
    approx: bool = False
    range: Optional[tuple[float, float]] = None
    composite: tuple["Value", ...] = ()
    deadline: Optional[Deadline] = None
    yes_no: Optional[bool] = None
    qualitative: bool = False
    negative: bool = False
    late: bool = False
    done: bool = False
    embedded: bool = False

    @property
    def percent(self) -> bool:
        return self.unit == "%"

    @property
    def blank(self) -> bool:
        """Nothing to compare: the cell was empty, "—" or "-" (FORMS.md: these mean none).

        Read from the parse, not from `raw`, because a targets-table row's `raw` joins its
        op and unit columns even when the value column is empty.
        """
        return not (self.has_quantity or self.composite or self.deadline is not None
                    or self.yes_no is not None or self.qualitative)

    @property
    def has_quantity(self) -> bool:
        return self.number is not None or self.range is not None

    @property
    def money_per_unit(self) -> bool:
        return is_money_per_unit(self.unit)


_BLANKS = {"", "-", "--", "—", "——", "/", "\\"}
# Symbol spellings NFKC leaves alone (it already folds ＞ ＜ ＝ into > < =).
_SYMBOLS = (("≥=", "≥"), (">=", "≥"), ("=>", "≥"), ("≧", "≥"), ("⩾", "≥"),
            ("≤=", "≤"), ("<=", "≤"), ("=<", "≤"), ("≦", "≤"), ("⩽", "≤"),
            ("〜", "~"), ("—", "-"), ("–", "-"))
# Operators written in words, longest first so that 大于等于 is not read as 大于.
_PREFIX_OPS = sorted((
    ("大于等于", "≥"), ("大于或等于", "≥"), ("不低于", "≥"), ("不少于", "≥"), ("不小于", "≥"),
    ("至少", "≥"), ("小于等于", "≤"), ("小于或等于", "≤"), ("不高于", "≤"), ("不超过", "≤"),
    ("不多于", "≤"), ("不大于", "≤"), ("最多", "≤"), ("至多", "≤"), ("大于", ">"), ("高于", ">"),
    ("超过", ">"), ("多于", ">"), ("小于", "<"), ("低于", "<"), ("少于", "<"), ("等于", "="),
    ("≥", "≥"), (">", ">"), ("≤", "≤"), ("<", "<"), ("=", "="),
), key=lambda p: -len(p[0]))
# 以上/以下 include the number in Chinese usage (GB/T and legal convention), hence ≥ and ≤.
_SUFFIX_OPS = (("及以上", "≥"), ("以上", "≥"), ("及以下", "≤"), ("以下", "≤"), ("以内", "≤"),
               ("之内", "≤"), ("内", "≤"))
_APPROX_PREFIXES = ("大约", "约为", "大概", "约")
_APPROX_WORDS = ("左右", "上下")
_MORE_THAN = ("余", "多")  # "12000余人", "100多篇": more than the number printed
_YES_NO = {"是": True, "有": True, "否": False, "无": False}

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_RE = re.compile(_NUM)
_RANGE_RE = re.compile(rf"({_NUM})(\(?[^\d~\-至到()]*\)?)(?:~|-|至|到)({_NUM})(.*)")
# Split a cell into parts that may each carry a number or date ("1人、1年"); a comma
# followed by exactly three digits is a thousands separator, not a split.
_SPLIT_RE = re.compile(r"[、;]|,(?!\d{3}(?!\d))|及|和|与|并")

_NEGATIVE_RE = re.compile(
    r"未完成|尚未|未开展|未达到|未达标|未实现|未举办|未启动|未执行|未落实|未能|没有完成|"
    r"取消|不再开展|暂停|终止|停办")
# Money handed back unspent: in an explanation, the project did not run ("资金已交回财政").
_RETURNED_RE = re.compile(r"(?:资金|经费|款项|余额|结余)[^,。;]{0,6}(?:交回|退回|缴回|上缴|收回)|(?:交回|退回|缴回)(?:财政|国库)")
_LATE_RE = re.compile(r"逾期|延期|延迟|推迟|滞后|超期|未按时|未按期|未及时|不及时|不按时")
# "完成率85%" or "及时性" name a measure, not that the work was done.
_DONE_RE = re.compile(r"(?:完成|按时|及时|如期|按期|准时|办结)(?!率|性|度|情况|数|值)")


def _normalise(text: Optional[str]) -> str:
    """NFKC (full-width digits, brackets, ＞＝), no whitespace, one spelling per operator."""
    s = key(text)
    for old, new in _SYMBOLS:
        s = s.replace(old, new)
    return s


def _to_float(num: str) -> float:
    return float(num.replace(",", ""))


def _strip_prefixes(s: str) -> tuple[str, Optional[str], bool]:
    """Leading operator and 约-words: ("≥约100人") → ("100人", "≥", True)."""
    op, approx = None, False
    while True:
        for word in _APPROX_PREFIXES:
            if s.startswith(word):
                s, approx = s[len(word):], True
                break
        else:
            for word, sym in _PREFIX_OPS:
                if s.startswith(word):
                    s, op = s[len(word):], op or sym
                    break
            else:
                return s, op, approx


def _match_unit(t: str) -> tuple[Optional[str], str]:
    """The unit at the start of `t`, bracketed or not, and what follows it."""
    m = re.match(r"\(([^()]*)\)", t)
    if m:
        return (m[1] or None), t[m.end():]
    m = UNIT_RE.match(t)
    if not m:
        return None, t
    unit, rest = m[0], t[m.end():]
    if unit == "个":  # "6个左右人次": 个 is a stray classifier before the real unit
        m2 = UNIT_RE.match(rest)
        if m2:
            unit, rest = m2[0], rest[m2.end():]
    return unit, rest


def _tail(t: str, whole: bool) -> Optional[tuple[Optional[str], Optional[str], bool]]:
    """Unit, suffix operator and approximation after the number; None if `whole` and text is left over."""
    approx = any(w in t for w in _APPROX_WORDS) if whole else t.startswith(_APPROX_WORDS)
    if whole:
        for w in _APPROX_WORDS:
            t = t.replace(w, "")
    op = None
    if t.startswith(_MORE_THAN):
        t, op = t[1:], ">"
    unit_text, t = _match_unit(t)
    if not whole and t.startswith(_APPROX_WORDS):
        t, approx = t[2:], True
    for word, sym in _SUFFIX_OPS:
        if t.startswith(word):
            t, op = t[len(word):], op or sym
            break
    unit = normalise_unit(unit_text) if unit_text else None
    if whole and (t or (unit_text and unit is None)):
        return None
    return unit, op, approx


def _pure(s: str) -> Optional[dict]:
    """The whole cell as one quantity or range ("≥200(人)", "8个左右", "300-400(人)")."""
    rest, op, approx = _strip_prefixes(s)
    m = _RANGE_RE.fullmatch(rest)
    if m:
        tail = _tail(m[4], whole=True)
        first = _tail(m[2], whole=True) if m[2] else (None, None, False)
        if tail is None or first is None or (first[0] and tail[0] and first[0] != tail[0]):
            return None
        lo, hi = sorted((_to_float(m[1]), _to_float(m[3])))
        return {"range": (lo, hi), "unit": tail[0] or first[0], "approx": approx or tail[2]}
    m = re.match(_NUM, rest)
    if not m:
        return None
    tail = _tail(rest[m.end():], whole=True)
    if tail is None:
        return None
    unit, suffix_op, tail_approx = tail
    return {"op": op or suffix_op, "number": _to_float(m[0]), "unit": unit,
            "approx": approx or tail_approx}


def _embedded(s: str) -> Optional[dict]:
    """The one number in running text, with what is printed right around it."""
    nums = list(_NUM_RE.finditer(s))
    if len(nums) != 1:
        return None
    m = nums[0]
    before = s[:m.start()]
    op = next((sym for word, sym in _PREFIX_OPS if before.endswith(word)), None)
    approx = before.endswith(_APPROX_PREFIXES)
    unit, suffix_op, tail_approx = _tail(s[m.end():], whole=False) or (None, None, False)
    return {"op": op or suffix_op, "number": _to_float(m[0]), "unit": unit,
            "approx": approx or tail_approx, "embedded": True}


def _carries(v: Value) -> bool:
    return v.has_quantity or v.deadline is not None


def parse_value(text: Optional[str]) -> Value:
    """Parse one printed target or actual cell; never raises, unparseable text is `qualitative`."""
    s = _normalise(text)
    if s in _BLANKS:
        return Value(raw=text)
    late = bool(_LATE_RE.search(s))
    negative = bool(_NEGATIVE_RE.search(s))
    flags = {"negative": negative, "late": late,
             "done": bool(_DONE_RE.search(s)) and not negative and not late}
    if s.rstrip("。.") in _YES_NO:
        return Value(raw=text, yes_no=_YES_NO[s.rstrip("。.")], **flags)
    dates = find_deadlines(s)
    pure = _pure(s)
    # "2023年" and "12月" fit the quantity grammar too; a date reading wins for bare 年/月.
    if pure is not None and not (dates and pure.get("unit") in ("年", "月")):
        return Value(raw=text, **pure, **flags)
    parts = [p for p in _SPLIT_RE.split(s) if p]
    if len(parts) > 1:
        carrying = tuple(v for v in (parse_value(p) for p in parts) if _carries(v))
        if len(carrying) > 1:
            deadline = latest([v.deadline for v in carrying if v.deadline is not None])
            return Value(raw=text, composite=carrying, deadline=deadline, **flags)
    rest = s
    for _, (a, b) in reversed(dates):
        rest = rest[:a] + " " + rest[b:]
    emb = _embedded(rest)
    deadline = latest([d for d, _ in dates])
    if emb is None and deadline is None:
        return Value(raw=text, qualitative=True, **flags)
    if emb is None:
        whole = len(dates) == 1 and dates[0][1] == (0, len(s))
        return Value(raw=text, deadline=deadline, embedded=not whole, **flags)
    return Value(raw=text, deadline=deadline, **emb, **flags)


def says_not_done(text: Optional[str]) -> bool:
    """Whether running text (a 偏差原因分析 cell) says the work was not done: the words that make an
    actual `negative` ("未完成", "尚未", "取消", "不再开展"), or the money was handed back."""
    s = _normalise(text)
    return bool(_NEGATIVE_RE.search(s) or _RETURNED_RE.search(s))


def parse_target_parts(op: Optional[str], unit: Optional[str], value: Optional[str]) -> Value:
    """A targets-table row printed as separate op, unit and value columns ("=", "台", "5").

    `raw` joins the printed columns with spaces in printed order. The unit column wins over
    a unit inside the value ("= 人次 6个左右" → 人次): the column is the declared unit, the
    value's is a classifier. Without a number the row is read from its text alone, which
    some rows print in the unit column ("= 有效提升 有效提升").
    """
    raw = " ".join(p.strip() for p in (op, unit, value) if p and p.strip()) or None
    v = parse_value(value)
    if v.blank and unit and not is_unit(unit):
        v = parse_value(unit)
    if not v.has_quantity:
        return replace(v, raw=raw)
    col_op = _strip_prefixes(_normalise(op))[1] if op else None
    return replace(v, raw=raw, op=v.op or col_op, unit=normalise_unit(unit) or v.unit)


def to_unit(value: Value, unit: Optional[str]) -> Optional[Value]:
    """`value` with its number or range expressed in `unit` (元 ↔ 万元); None if not convertible."""
    if value.unit is None or unit is None:
        return value if value.unit == unit else None
    factor = convert(1.0, value.unit, unit)
    if factor is None:
        return None
    return replace(
        value, unit=normalise_unit(unit),
        number=None if value.number is None else value.number * factor,
        range=None if value.range is None else (value.range[0] * factor, value.range[1] * factor))
