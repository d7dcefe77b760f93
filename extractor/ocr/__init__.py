"""OCR engines behind one small Protocol and a plain dict registry.

An engine does two things: read a whole image (detect text lines, then recognise them) and
recognise crops that are already single text lines. The scan path mostly uses the second: the
ruling grid gives the cell boxes, so lines are cut out of each cell without the detector
(see extractor/scan/ocr_cells.py for why and for the timings).

Engines are imported lazily, so a missing optional package only fails when that engine is asked
for, with the pip command that installs it. `get_engine` keeps one instance per name and options
for the life of the process: loading the models costs far more than one page.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from extractor.model import Span

DEFAULT_ENGINE = "rapid"
MAX_DEFAULT_THREADS = 2  # one worker per 2 cores; the recogniser gains little from more threads


class OcrEngine(Protocol):
    """What the scan path needs from an OCR engine. Images are uint8 arrays, gray (H, W) or
    BGR (H, W, 3); coordinates out are PDF points (1 px = 72/dpi pt) from the image's top-left."""

    name: str

    def read_page(self, image: np.ndarray, dpi: float) -> list[Span]:
        """Detect and recognise every text line of `image`; one span per line."""
        ...

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Recognise crops that each hold one line of text, cut close round its ink (on a wide
        margin of blank paper the recogniser invents glyphs: "800.0" → "時800.0時"):
        (text, confidence) per crop, in order."""
        ...


class OcrUnavailable(RuntimeError):
    """The engine cannot be loaded: its package or its model files are missing."""


@dataclass(frozen=True)
class EngineSpec:
    module: str       # imported on first use only
    attribute: str    # the engine class in that module
    install_hint: str  # shown when the module's dependencies are missing


ENGINES: dict[str, EngineSpec] = {
    "rapid": EngineSpec("extractor.ocr.rapid", "RapidEngine", "pip install rapidocr_onnxruntime onnx"),
    "paddle": EngineSpec("extractor.ocr.paddle", "PaddleEngine", "pip install 'formaudit[paddle]'"),
}

_CACHE: dict[tuple[str, tuple[tuple[str, Any], ...]], OcrEngine] = {}


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Three channels for the recognisers, which assert them; gray is stacked, not converted."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    return image


def default_threads() -> int:
    """Threads per model session when the settings give none: the cores, up to 2."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_THREADS))


def get_engine(name: str | None = None, **options: Any) -> OcrEngine:
    """The engine `name` (default "rapid"; the settings' `scan.ocr_engine` chooses), built once
    per process for each distinct set of options. Raises `OcrUnavailable` with an install hint."""
    name = name or DEFAULT_ENGINE
    spec = ENGINES.get(name)
    if spec is None:
        raise OcrUnavailable(f"unknown OCR engine {name!r}; known: {', '.join(sorted(ENGINES))}")
    key = (name, tuple(sorted(options.items())))
    engine = _CACHE.get(key)
    if engine is None:
        try:
            module = importlib.import_module(spec.module)
        except ImportError as exc:
            raise OcrUnavailable(f"OCR engine {name!r} cannot be loaded ({exc}): {spec.install_hint}") from exc
        engine = getattr(module, spec.attribute)(**options)
        _CACHE[key] = engine
    return engine
