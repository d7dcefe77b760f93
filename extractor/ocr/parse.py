"""Raw engine output → spans in points, or (text, confidence) per line crop. Pure functions.

Kept apart from the calls to the models (img2table's split) so the parsing is tested on recorded
output without loading a model, and a new engine version that changes its output shape fails
here, in one place. Boxes come as four corner points in image pixels; a span keeps their
axis-aligned bounds, scaled by 72/dpi.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from extractor.model import BBox, Span

Quad = Sequence[Sequence[float]]


def px_to_pt(dpi: float) -> float:
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    return 72.0 / dpi


def quad_bbox(quad: Quad, scale: float, origin: tuple[float, float] = (0.0, 0.0)) -> BBox:
    """Bounds of a (possibly slanted) 4-point box, offset by `origin` px, times `scale`."""
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    if len(xs) < 2:
        raise ValueError(f"a text box needs corner points, got {quad!r}")
    ox, oy = origin
    return ((min(xs) + ox) * scale, (min(ys) + oy) * scale, (max(xs) + ox) * scale, (max(ys) + oy) * scale)


def _confidence(value: Any) -> float:
    # engines hand back numpy float32 or strings of digits; clamp what the softmax rounding overshoots
    return min(1.0, max(0.0, float(value)))


def _text_score(item: Sequence[Any]) -> tuple[str, float]:
    """(text, score) from a recogniser item; RapidOCR appends word boxes when asked for them."""
    if len(item) < 2:
        raise ValueError(f"a recognition result needs text and score, got {item!r}")
    return str(item[0]).strip(), _confidence(item[1])


def _spans(items: list[tuple[Quad, tuple[str, float]]], dpi: float,
           origin: tuple[float, float]) -> list[Span]:
    scale = px_to_pt(dpi)
    return [Span(text, quad_bbox(quad, scale, origin), conf) for quad, (text, conf) in items if text]


def rapid_page(raw: Optional[Sequence[Any]], dpi: float, origin: tuple[float, float] = (0.0, 0.0)) -> list[Span]:
    """RapidOCR `engine(img)[0]`: None (nothing found) or [[quad, text, score], ...]."""
    if not raw:
        return []
    return _spans([(item[0], _text_score(item[1:])) for item in raw], dpi, origin)


def rapid_lines(raw: Sequence[Any], n: int) -> list[tuple[str, float]]:
    """RapidOCR `engine.text_rec(crops)[0]`: [(text, score), ...], one per crop, in crop order."""
    out = [_text_score(item) for item in raw]
    if len(out) != n:
        raise ValueError(f"the recogniser returned {len(out)} results for {n} crops")
    return out


def paddle_page(raw: Optional[Sequence[Any]], dpi: float, origin: tuple[float, float] = (0.0, 0.0)) -> list[Span]:
    """PaddleOCR 2.x `ocr.ocr(img, cls=False)[0]`: None or [[quad, (text, score)], ...]."""
    if not raw:
        return []
    return _spans([(item[0], _text_score(item[1])) for item in raw], dpi, origin)


def paddle_lines(raw: Optional[Sequence[Any]], n: int) -> list[tuple[str, float]]:
    """PaddleOCR 2.x `ocr.ocr(crops, det=False, cls=False)[0]`: [(text, score), ...] per crop."""
    return rapid_lines(raw or [], n)
