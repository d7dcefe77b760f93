"""Units of printed targets and actuals: recognising, normalising and converting them.

Part of `audit.values`; import the public names from there.
"""
from __future__ import annotations

import re
from typing import Optional

from extractor.normalize import key

# Canonical base units, longest first where one is a prefix of another (人次 before 人,
# 分钟 before 分), because unit text is matched greedily against running text.
BASE_UNITS: tuple[str, ...] = (
    "人次", "人天", "人", "个", "次", "台", "批", "卷", "期", "篇", "元", "%", "‰",
    "天", "工作日", "小时", "分钟", "学时", "公里", "平方米", "米", "家", "条",
    "套", "辆", "册", "场", "件", "页", "份", "项", "户", "所", "座", "处", "间", "张",
    "本", "部", "门", "节", "班", "届", "年", "月", "周", "分", "吨", "亩", "株", "组",
    "支", "例", "幅", "起", "栏", "类", "种", "枚", "块", "箱", "盒", "棵", "首", "集",
)

# Spellings that mean the same unit. 名 and 位 are the classifiers for people: forms print
# "30名左右" as the target and "72人" as the actual of one indicator, and the targets
# table sets "= 人 30名左右", so keeping 名 apart would report a unit mismatch that is not one.
ALIASES: dict[str, str] = {
    "名": "人", "位": "人", "人·次": "人次", "人/次": "人次", "人日": "人天", "人·天": "人天",
    "日": "天", "个月": "月", "千米": "公里", "km": "公里", "h": "小时",
    "个工作日": "工作日", "课时": "学时",
}

# Multipliers written in front of a unit ("万元", "20万页"); 千 only occurs with money.
_PREFIX_SCALE: dict[str, float] = {"万": 1e4, "亿": 1e8}
_MONEY_PREFIXES: dict[str, float] = {"千元": 1e3}

_ALL_WORDS = sorted(set(BASE_UNITS) | set(ALIASES), key=len, reverse=True)
_WORD_RE = "|".join(re.escape(w) for w in _ALL_WORDS)
# A unit as printed: optional 万/亿, a base word, optionally "/denominator" where the
# denominator may be any short word ("元/项", "元/人天", "条/周").
UNIT_RE = re.compile(
    rf"(?:千元|(?:[万亿])?(?:{_WORD_RE}))(?:/(?:{_WORD_RE}|[\u4e00-\u9fff]{{1,3}}))?",
    re.IGNORECASE,
)


def _canon_word(word: str) -> str:
    # "个" + another unit is a stray classifier ("6个左右人次", "3个月").
    if word.startswith("个") and len(word) > 1:
        rest = word[1:]
        if rest in ALIASES or rest in BASE_UNITS:
            word = rest
    return ALIASES.get(word, ALIASES.get(word.lower(), word))


def normalise_unit(text: Optional[str]) -> Optional[str]:
    """The canonical spelling of a unit ("(名)" → "人", "万 元" → "万元"); None if `text` is no unit."""
    if text is None:
        return None
    s = key(text).strip("()[]")
    if not s:
        return None
    if s.startswith("个") and len(s) > 1 and normalise_unit(s[1:]) is not None:
        s = s[1:]
    if not UNIT_RE.fullmatch(s):
        return None
    num, _, den = s.partition("/")
    if num in _MONEY_PREFIXES:
        head = num
    elif num[:1] in _PREFIX_SCALE and len(num) > 1:
        head = num[0] + _canon_word(num[1:])
    else:
        head = _canon_word(num)
    return f"{head}/{_canon_word(den)}" if den else head


def is_unit(text: Optional[str]) -> bool:
    """Whether `text` is a unit at all (a targets-table unit column sometimes holds "有效提升")."""
    return normalise_unit(text) is not None


def _scale(unit: str) -> tuple[float, str]:
    """(multiplier, base) of a canonical unit: "万元/项" → (10000, "元/项")."""
    num, sep, den = unit.partition("/")
    if num in _MONEY_PREFIXES:
        return _MONEY_PREFIXES[num], "元" + sep + den
    if len(num) > 1 and num[0] in _PREFIX_SCALE:
        return _PREFIX_SCALE[num[0]], num[1:] + sep + den
    return 1.0, unit


def is_money(unit: Optional[str]) -> bool:
    """元, 万元, 千元, 亿元, alone or per something."""
    return unit is not None and _scale(unit)[1].partition("/")[0] == "元"


def is_money_per_unit(unit: Optional[str]) -> bool:
    """A money-per-unit unit ("元/项", "万元/人天"): AUDIT_RULES treats such targets as cost indicators."""
    return is_money(unit) and "/" in (unit or "")


def comparable_units(a: Optional[str], b: Optional[str]) -> bool:
    """Same unit after normalisation, or convertible by a 万/亿/千 multiplier (元 ↔ 万元, 页 ↔ 万页).

    Two missing units count as the same (two bare numbers); one missing does not.
    """
    if a is None and b is None:
        return True
    na, nb = normalise_unit(a), normalise_unit(b)
    if na is None or nb is None:
        return False
    return _scale(na)[1] == _scale(nb)[1]


def convert(number: float, from_unit: Optional[str], to_unit: Optional[str]) -> Optional[float]:
    """`number` in `from_unit` expressed in `to_unit` (461100 元 → 46.11 万元); None if not comparable."""
    if not comparable_units(from_unit, to_unit):
        return None
    if from_unit is None:
        return number
    sf, _ = _scale(normalise_unit(from_unit) or "")
    st, _ = _scale(normalise_unit(to_unit) or "")
    return number * sf / st
