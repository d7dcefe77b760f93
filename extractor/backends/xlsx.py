"""The .xlsx backend: each worksheet is one page holding one grid of its used range.

Values are rendered as a person sees them in Excel (number formats applied), because the form
parser and the audit compare printed text ("90.90%", "1,563.92"), not the stored binary value.
"""
from __future__ import annotations

import datetime as dt
import re
import warnings
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Optional

from extractor.backends import register
from extractor.backends.office import check_office_container, one_line
from extractor.model import Cell, Grid, InputError, Page

# openpyxl warns about features it drops (data validation, conditional formats, default styles);
# none of them changes a cell's text, and the warnings would flood a batch run's log
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")


class XlsxBackend:
    kind = "xlsx"

    def load(self, path: Path) -> list[Page]:
        import openpyxl  # imported here so that other backends work without it

        path = Path(path)
        check_office_container(path, ".xlsx", "xl/workbook.xml")
        # read_only=False would give the merged ranges, but it restyles the border of every merged
        # cell while loading (~80% of the time for a form); streaming the cells and reading the
        # <mergeCell> refs from the sheet XML gives the same grid about five times faster.
        # data_only gives the cached formula results, which is what was printed.
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises anything from KeyError to lxml syntax errors
            raise InputError("CORRUPT_FILE", f"cannot read the workbook: {one_line(exc)}") from exc
        try:
            pages = [Page(number=i + 1, lines=[], grids=sheet_grids(ws, i + 1, _merged_ranges(wb, ws)))
                     for i, ws in enumerate(wb.worksheets)]
        except InputError:
            raise
        except Exception as exc:
            raise InputError("CORRUPT_FILE", f"cannot read the worksheets: {one_line(exc)}") from exc
        finally:
            wb.close()
        if not any(p.grids for p in pages):
            raise InputError("NO_CONTENT", "the workbook has no cells with text")
        return pages


_MERGE_REF = re.compile(rb"""<(?:\w+:)?mergeCell\s+ref=["']([A-Za-z]+[0-9]+)(?::([A-Za-z]+[0-9]+))?["']""")


def _merged_ranges(wb: Any, ws: Any) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of each merged range, 1-based, from the sheet's XML."""
    from openpyxl.utils.cell import coordinate_to_tuple

    xml = wb._archive.read(ws._worksheet_path)
    tail = xml.rfind(b"sheetData>")  # <mergeCells> follows the cell data: skip scanning the cells
    out = []
    for m in _MERGE_REF.finditer(xml, max(tail, 0)):
        r0, c0 = coordinate_to_tuple(m.group(1).decode().upper())
        r1, c1 = coordinate_to_tuple(m.group(2).decode().upper()) if m.group(2) else (r0, c0)
        out.append((min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)))
    return out


def sheet_grids(ws: Any, page: int, merges: list[tuple[int, int, int, int]]) -> list[Grid]:
    """One grid over the cells with text (leading/trailing empty rows and columns dropped)."""
    spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in merges}
    hidden: dict[int, list[tuple[int, int]]] = {}  # row → column intervals covered by a merge
    for r0, c0, r1, c1 in merges:
        for r in range(r0, r1 + 1):
            hidden.setdefault(r, []).append((c0, c1))
    found: list[tuple[int, int, int, int, str]] = []
    ws.reset_dimensions()  # a stale <dimension> would cut rows and columns off
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if value is None:
                continue
            r, c = cell.row, cell.column
            if (r, c) not in spans and any(c0 <= c <= c1 for c0, c1 in hidden.get(r, ())):
                continue  # Excel shows only the top-left value of a merged range
            text = value if isinstance(value, str) else render_value(value, cell.number_format)
            text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
            if text:
                rs, cs = spans.get((r, c), (1, 1))
                found.append((r, c, rs, cs, text))
    if not found:
        return []
    top = min(f[0] for f in found)
    left = min(f[1] for f in found)
    bottom = max(f[0] + f[2] - 1 for f in found)
    right = max(f[1] + f[3] - 1 for f in found)
    found.sort()
    cells = [Cell(row=r - top, col=c - left, text=t, rowspan=rs, colspan=cs, bbox=None, confidence=1.0)
             for r, c, rs, cs, t in found]
    return [Grid(page=page, cells=cells, n_rows=bottom - top + 1, n_cols=right - left + 1, bbox=None, order=0.0)]


BACKEND = register(XlsxBackend())


# ---------------------------------------------------------------------------------------------
# Number formats: General, fixed decimals, thousands separators, percentages, literal prefixes and
# suffixes ("元", "¥"), negative/zero sections and dates. Anything exotic (fractions, conditions)
# falls back to General, which still reads back as the same number.

class _Section(NamedTuple):
    general: bool
    min_int: int        # '0' placeholders before the point: "0.00" prints "0.50", "#.00" prints ".50"
    min_dec: int        # '0' placeholders after the point
    max_dec: int        # '0', '#', '?' placeholders after the point
    thousands: bool
    scale: int          # power of ten applied: +2 per '%', -3 per trailing ','
    scientific: bool
    prefix: str
    suffix: str


_GENERAL = _Section(True, 1, 0, 0, False, 0, False, "", "")
def render_value(value: Any, number_format: Optional[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _render_date(value, number_format or "")
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return render_number(value, number_format or "General")
    return str(value)


def render_number(value: float, number_format: str) -> str:
    sections = _parse_format(number_format)
    if value < 0 and len(sections) > 1:
        # Excel prints the negative section without its own minus sign: "(1,000.00)"
        return _apply(sections[1], -value)
    if value == 0 and len(sections) > 2:
        return _apply(sections[2], value)
    text = _apply(sections[0], abs(value))
    return "-" + text if value < 0 and _has_digit(text) else text


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() and ch != "0" for ch in text)


def _general(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # 15 significant digits, as Excel stores them, hides binary noise (0.1+0.2 → "0.3")
    return f"{value:.15g}"


def _apply(sec: _Section, value: float) -> str:
    if sec.general:
        return sec.prefix + _general(value) + sec.suffix
    if sec.scientific:
        return sec.prefix + f"{value:.{sec.max_dec}E}" + sec.suffix
    try:
        # the shortest decimal text of the float, then half-up rounding, matches Excel's display
        d = Decimal(repr(float(value))).scaleb(sec.scale)
        d = d.quantize(Decimal(1).scaleb(-sec.max_dec), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return _general(value)
    body = f"{d:,f}" if sec.thousands else f"{d:f}"
    if sec.max_dec > sec.min_dec and "." in body:
        intpart, frac = body.split(".")
        frac = frac.rstrip("0")
        if len(frac) < sec.min_dec:
            frac = frac + "0" * (sec.min_dec - len(frac))
        body = intpart + ("." + frac if frac or sec.min_dec else "")
    if sec.min_int == 0 and (body.startswith("0.") or body == "0"):
        body = body[1:]
    return sec.prefix + body + sec.suffix


@lru_cache(maxsize=512)
def _parse_format(fmt: str) -> tuple[_Section, ...]:
    if not fmt or fmt.strip().lower() in ("general", "@"):
        return (_GENERAL,)
    return tuple(_parse_section(s) for s in _split_sections(fmt)[:3])


def _split_sections(fmt: str) -> list[str]:
    out, cur, quoted, i = [], [], False, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and not quoted and i + 1 < len(fmt):
            cur.append(fmt[i:i + 2])
            i += 2
            continue
        elif ch == ";" and not quoted:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _tokens(section: str) -> list[tuple[str, str]]:
    """('lit', text) for literal text, ('code', ch) for format characters."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            out.append(("lit", section[i + 1:end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            inner = section[i + 1:end]
            if inner.startswith("$"):  # [$¥-804]: a currency symbol with a locale tag
                out.append(("lit", inner[1:].split("-")[0]))
            i = end + 1
        elif ch in "_":  # "_)" pads with the width of ')': a space on screen
            out.append(("lit", " "))
            i += 2
        elif ch == "*":  # "*x" repeats x to fill the column: nothing in plain text
            i += 2
        else:
            out.append(("code", ch))
            i += 1
    return out


def _parse_section(section: str) -> _Section:
    if section.strip().lower() == "general":
        return _GENERAL
    toks = _tokens(section)
    digits = [k for k, (kind, ch) in enumerate(toks) if kind == "code" and ch in "0#?"]
    if not digits or any(kind == "code" and ch == "/" for kind, ch in toks):
        prefix = "".join(t for kind, t in toks if kind == "lit")
        return _GENERAL if not prefix else _GENERAL._replace(prefix=prefix)
    first, last = digits[0], digits[-1]
    percent = sum(1 for kind, ch in toks if kind == "code" and ch == "%")
    scientific = any(kind == "code" and ch in "eE" for kind, ch in toks[first:])
    num = [ch for kind, ch in toks[first:last + 1] if kind == "code"]
    if scientific:  # the exponent's own digits are not decimals of the mantissa
        num = num[:min(num.index(e) for e in "eE" if e in num)]
    point = num.index(".") if "." in num else len(num)
    int_part, dec_part = num[:point], num[point + 1:]
    trailing_commas = 0
    for kind, ch in toks[last + 1:]:
        if kind == "code" and ch == ",":
            trailing_commas += 1
        else:
            break

    def literal(part: list[tuple[str, str]]) -> str:
        keep = []
        for kind, ch in part:
            if kind == "lit" or ch not in "0#?,.eE+-" or (ch in "+-" and not scientific):
                keep.append(ch)
        return "".join(keep)

    return _Section(
        general=False,
        min_int=int_part.count("0"),
        min_dec=dec_part.count("0"),
        max_dec=sum(1 for ch in dec_part if ch in "0#?"),
        thousands="," in int_part,
        scale=2 * percent - 3 * trailing_commas,
        scientific=scientific,
        prefix=literal(toks[:first]),
        suffix=literal(toks[last + 1:]),
    )


def _render_date(value: Any, fmt: str) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.datetime) and (value.hour, value.minute, value.second) != (0, 0, 0):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if "年" in fmt:  # Chinese long dates: 2023年12月31日, 2023年12月
        text = f"{value.year}年"
        if "月" in fmt:
            text += f"{value.month}月"
        if "日" in fmt:
            text += f"{value.day}日"
        return text
    return value.strftime("%Y-%m-%d")
