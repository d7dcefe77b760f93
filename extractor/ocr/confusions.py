"""Characters OCR confuses in these forms, put right where a cell's role leaves one reading.

Every fixer returns (text, changed) and gives the input back unchanged unless the whole result
has the shape its role allows: `fix_number("l2")` is "12" because an amount cell holds nothing
else, while `fix_number("l2号楼")` is left alone. Callers keep the raw text beside the fixed one.

- number  (amounts, weights, scores): O/o/〇 → 0, l/I/|/丨 → 1 (and S → 5 in a cell wholly of
  such letters, where the role says it is a number), full-width digits, "，" between
  digits → ",", "。"/"·"/"．" between digits → "."; a lone "一" is the dash "—" (the recogniser
  reads the printed em dash as 一, and a number cell cannot hold the character one)
- count   (序号): a cell wholly of digit-like characters is digits ("I" → "1")
- op      (运算符): one of forms.OPERATORS, a lone "≥" read as 2/W/N/M and "=" read as 二/三 put back
- rate    (execution rate): a number as above, with "％" → "%"
- target  (年度指标值 / 实际完成值): a comparator misread as "》=" / "≧" / ">=" → "≥" (and the
  mirror for ≤), then numbers inside the text fixed where no Latin letter touches them
  ("ISO9001" stays), "％" → "%" and "↑" → "个" after a number (no target counts arrows);
  other units and words are never touched. A lone ">" stays: it may really be ">" rather than
  a "≥" whose bar was lost
`fix_cell` applies the same rules with no role known, only to text whose whole shape is a
number, a rate or a comparator with a number: such a cell has one reading whatever its column;
in other text it only evens out a bracket pair read in two widths (`fix_brackets`).
"""
from __future__ import annotations

import re
from typing import Callable

from extractor.forms import OPERATORS

Fixed = tuple[str, bool]

_DIGIT_LIKE = {"O": "0", "o": "0", "Ｏ": "0", "〇": "0", "l": "1", "I": "1", "ｌ": "1", "Ｉ": "1",
               "|": "1", "丨": "1"}
_DIGITS = "0123456789０１２３４５６７８９"
_DIGITISH = "".join(_DIGIT_LIKE) + _DIGITS
_THOUSANDS = "，"
_DECIMAL = "。·・．"
_SEP = ",." + _THOUSANDS + _DECIMAL
_D = f"[{re.escape(_DIGITISH)}]"
# a run of digit-like characters, separators only between two of them, no Latin letter either side
_TOKEN = re.compile(rf"(?<![A-Za-z]){_D}(?:{_D}|[{re.escape(_SEP)}](?={_D}))*(?![A-Za-z])")
_TRANSLATE = str.maketrans({**_DIGIT_LIKE, **{c: str(i % 10) for i, c in enumerate(_DIGITS)},
                            _THOUSANDS: ",", **{c: "." for c in _DECIMAL}})

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_RATE = re.compile(r"^\d+(\.\d+)?%?$")
_OP_NUMBER = re.compile(r"^(≥|≤|=|>|<)?\s*\d+(\.\d+)?%?$")
_LONE_ONE = {"一": "—", "一一": "——"}

_GE = ("》=", "》＝", "≧", ">=", "＞=", "＞＝", "≥")
_LE = ("《=", "《＝", "≦", "<=", "＜=", "＜＝", "≤")
_EQ = ("=", "＝")
_OPERATOR = re.compile(r"^\s*(" + "|".join(re.escape(op) for op in sorted(_GE + _LE + _EQ, key=len, reverse=True))
                       + r")\s*")


def _has_digit(token: str) -> bool:
    return any(c in _DIGITS for c in token)


def _fix_token(token: str, bare_ok: bool = False) -> str:
    """A digit-like run as digits; one with no real digit in it ("lO") is left alone unless the
    context already says it is a number (`bare_ok`: right after a comparator)."""
    if not (bare_ok or _has_digit(token)):
        return token
    return token.translate(_TRANSLATE)


def _fix_numbers(text: str, first_bare_ok: bool = False) -> str:
    out, pos = [], 0
    for i, m in enumerate(_TOKEN.finditer(text)):
        out.append(text[pos:m.start()])
        out.append(_fix_token(m.group(), bare_ok=first_bare_ok and i == 0 and m.start() == 0))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _result(original: str, fixed: str) -> Fixed:
    # surrounding whitespace is not a misreading: trimming it alone is no change
    return (fixed, True) if fixed != original.strip() else (original, False)


# What a speck after a figure is read as
_END_MARKS = r"[-_.'’,:~`·•。，]+"
# A speck after the digits ("20-", "5.", "10 -"): no amount, weight or score ends in a mark
_TRAILING_MARK = re.compile(rf"^([0-9OolI][0-9OolI,.，。·]*?[0-9OolI]|[0-9])\s*{_END_MARKS}$")
# A speck after a rate's percent sign ("98%."): no rate is followed by a mark
_AFTER_PERCENT = re.compile(rf"([%％])\s*{_END_MARKS}$")
# A speck above the first digit read as a quote mark ("'20"): no amount, weight or score opens with one
_LEADING_QUOTE = re.compile(r"^['‘’`\"“”]+\s*(?=[0-9OolI])")
# A cell known to hold a number, read wholly as digit-like letters: "I" is 1, and S, which no
# amount, weight or score prints, is 5 there (outside such a cell "5S" may be a word). Not "|"
# or "丨": a cell's edge ruling left in the crop is read so, in an explanation cell as much as
# in a score cell, and taking it for 1 would make a number where none is printed.
_BARE = re.compile(rf"^[{re.escape(_DIGITS)}OoＯ〇lIｌＩS]+$")
_BARE_TRANSLATE = str.maketrans({"S": "5"})


_SPLIT = re.compile(r"\d\s+\d")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(\s\d{3})+(\.\d+)?$")


def split_reading(text: str) -> bool:
    """Whether a recognised number cell reads as two figures ("30 20": a speck beside the figure
    read as digits): a blank between digits that is no thousands grouping ("1 000.00" is one)."""
    t = text.strip()
    return bool(_SPLIT.search(t)) and not _GROUPED.match(t)


def fix_number(text: str, bare: bool = False) -> Fixed:
    """An amount, weight or score: "1O0.5" → "100.5", "1，563。92" → "1,563.92", "一" → "—".
    `bare`: the caller knows the cell holds a number (its role), so a cell wholly of digit-like
    letters is one too ("I" → "1", "S" → "5"); without a role such a cell is left alone."""
    t = _LEADING_QUOTE.sub("", _TRAILING_MARK.sub(r"\1", text.strip()))
    if t in _LONE_ONE:
        return _LONE_ONE[t], True
    if bare and _BARE.match(t):
        t = _fix_token(t.translate(_BARE_TRANSLATE), bare_ok=True)
    sign = t[:1] if t[:1] in "+-－" else ""
    fixed = _fix_numbers(t[len(sign):])
    candidate = ("-" if sign == "－" else sign) + fixed
    if not _NUMBER.match(candidate):
        return text, False
    return _result(text, candidate)


def fix_rate(text: str) -> Fixed:
    """An execution rate: "1O0％" → "100%", "9·5%" → "9.5%", "98%." → "98%"; anything else unchanged."""
    t = _AFTER_PERCENT.sub(r"\1", text.strip())
    body, pct = (t[:-1].rstrip(), "%") if t[-1:] in "%％" else (t, "")
    candidate = _fix_numbers(body) + pct
    if not _RATE.match(candidate):
        return text, False
    return _result(text, candidate)


def fix_target(text: str) -> Fixed:
    """A target or achieved value: "》=9O％" → "≥90%", "l0个" → "10个"; words and units untouched."""
    t = text.strip()
    prefix = ""
    m = _OPERATOR.match(t)
    if m:
        raw_op = m.group(1)
        op = "≥" if raw_op in _GE else "≤" if raw_op in _LE else raw_op
        prefix = m.group(0).replace(raw_op, op)
        t = t[m.end():]
    fixed = _fix_numbers(t, first_bare_ok=bool(prefix))
    fixed = re.sub(r"(?<=\d)\s*％", "%", fixed)
    fixed = re.sub(r"(?<=\d)↑", "个", fixed)
    return _result(text, prefix + fixed)


def fix_count(text: str) -> Fixed:
    """A whole number in a column that holds nothing else (序号): a cell wholly of digit-like
    characters is digits even with no real digit in it ("I" → "1", "II" → "11")."""
    t = text.strip()
    if not _TOKEN.fullmatch(t):
        return text, False
    return _result(text, _fix_token(t, bare_ok=True))


# What the recogniser reads a lone printed operator as, where that reading is no operator: "≥"
# is a chevron over a bar, read as 2, W, N or M (the bench's mild and hard scans)
# "=" blurred or with a speck between its bars comes back as the bars of 二 or 三
_OP_READINGS = {"≥": ("2", "W", "N", "M", "n", "w", "m", "Z", "z") + _GE, "≤": _LE, "=": _EQ + ("二", "三")}
_OP_MARKS = ".,:;'`·、，。："


def fix_op(text: str) -> Fixed:
    """An operator cell (运算符), which holds one of OPERATORS or nothing: specks read as marks
    around it dropped, and a reading the recogniser makes of an operator put back ("2" → "≥");
    any other text is left as read."""
    t = text.strip().strip(_OP_MARKS)
    op = next((op for op, readings in _OP_READINGS.items() if t in readings), t)
    return _result(text, op) if op in OPERATORS else (text, False)


def fix_role_number(text: str) -> Fixed:
    """A cell whose role is a number (an amount, weight or score column): `fix_number`, bare."""
    return fix_number(text, bare=True)


ROLES: dict[str, Callable[[str], Fixed]] = {"number": fix_role_number, "rate": fix_rate, "target": fix_target,
                                            "count": fix_count, "op": fix_op}


def fix(text: str, role: str) -> Fixed:
    """The fixer for `role` ("number", "rate", "target"); an unknown role raises KeyError."""
    return ROLES[role](text)


_PAIRS = (("（", "）", "(", ")"), ("【", "】", "[", "]"))
_QUOTES = (("“", "”", '"'), ("‘", "’", "'"))


def fix_brackets(text: str) -> Fixed:
    """A bracket or quote pair printed in one style and read in two ("（教学视频)", "“2+X"):
    the recogniser often reads a full-width closer as ")" or '"', and no form mixes styles inside
    one pair, so a mixed pair takes the Chinese form, like the text around it."""
    chars = list(text)
    for wide_open, wide_close, narrow_open, narrow_close in _PAIRS:
        stack: list[int] = []
        for i, c in enumerate(chars):
            if c in (wide_open, narrow_open):
                stack.append(i)
            elif c in (wide_close, narrow_close) and stack:
                j = stack.pop()
                if (chars[j] == wide_open) != (c == wide_close):
                    chars[j], chars[i] = wide_open, wide_close
    for opener, closer, plain in _QUOTES:
        marks = [i for i, c in enumerate(chars) if c in (opener, closer, plain)]
        for i, j in zip(marks[::2], marks[1::2]):  # quotes pair off in order
            if {chars[i], chars[j]} & {opener, closer} and plain in (chars[i], chars[j]):
                chars[i], chars[j] = opener, closer
    return _result(text, "".join(chars).strip())


def fix_cell(text: str) -> Fixed:
    """No role known: fix only a cell that is, as a whole, a number, a rate, a comparator with a
    number, or a lone 一 (a dash); in free text only a bracket pair read in two widths."""
    for fixer, shape in ((fix_number, None), (fix_rate, None), (fix_target, _OP_NUMBER)):
        fixed, changed = fixer(text)
        if changed and (shape is None or shape.match(fixed)):
            return fixed, True
    return fix_brackets(text)
