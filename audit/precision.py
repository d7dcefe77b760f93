"""Arithmetic at the printed precision, in Decimal so that 10 × 99.55% is 9.955, not 9.954999….

Departments print rates truncated to an integer percent (Ningbo: 150.37/151 → "99%") or rounded
to two decimals (Shanghai: 284.27/312.73 → "90.90%"): a printed figure is right when it equals
the true one truncated or rounded half-up at its own precision.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Optional

_NUM = re.compile(r"^[+-]?\d+(\.\d+)?$")


@lru_cache(maxsize=65536)  # printed figures repeat across a batch; Decimal is immutable
def parse(text: Optional[str]) -> Optional[Decimal]:
    """A printed number or percent as Decimal ("1,563.92" → 1563.92, "90.90%" → 90.90); else None."""
    if text is None:
        return None
    k = unicodedata.normalize("NFKC", str(text)).replace(",", "").replace(" ", "").rstrip("%")
    if not _NUM.match(k):
        return None
    try:
        return Decimal(k)
    except InvalidOperation:
        return None


@lru_cache(maxsize=65536)
def places(text: Optional[str]) -> int:
    """Decimal places as printed: "9.09" → 2, "99%" → 0, "9.80" → 2."""
    d = parse(text)
    return 0 if d is None else max(0, -d.as_tuple().exponent)  # type: ignore[operator]


def shown(value: Decimal, decimals: int) -> set[Decimal]:
    """`value` as it may be printed at `decimals` places: truncated or rounded half-up."""
    q = Decimal(1).scaleb(-decimals)
    return {value.quantize(q, rounding=ROUND_DOWN), value.quantize(q, rounding=ROUND_HALF_UP)}


def matches(printed: str, value: Decimal) -> bool:
    p = parse(printed)
    return p is not None and p in shown(value, places(printed))


def fmt(value: Decimal, decimals: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def half_unit(decimals: int) -> Decimal:
    return Decimal(5).scaleb(-decimals - 1)


@lru_cache(maxsize=65536)
def dec(value: Optional[float]) -> Decimal:
    """A JSON number as Decimal via its shortest repr, so 0.1 stays 0.1; None counts 0."""
    return Decimal(repr(value)) if value is not None else Decimal(0)


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 50, 9.09."""
    return format(value.normalize(), "f")
