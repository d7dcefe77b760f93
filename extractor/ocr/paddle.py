"""PaddleOCR 2.x as an optional engine (extra `[paddle]`), loading its models from a local directory.

The directory (option `model_dir`: the setting scan.paddle_model_dir) holds one folder per model:

    <model_dir>/det/   detector     inference.pdmodel + inference.pdiparams, or inference.onnx
    <model_dir>/rec/   recogniser   same; an optional dict.txt beside it replaces the built-in keys
    <model_dir>/cls/   optional     angle classifier; not used for upright scanned forms

PaddleOCR downloads any model whose folder lacks the files, which must never happen on a worker
without network: every path is checked here first and a missing one is named in the error.
The calls to the models are here; parsing their output is in parse.py.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from extractor.model import Span
from extractor.ocr import OcrUnavailable, as_bgr, default_threads, parse

SETTING = "scan.paddle_model_dir (FORMAUDIT_SCAN__PADDLE_MODEL_DIR)"
INSTALL_HINT = "pip install 'formaudit[paddle]'"
PADDLE_FILES = ("inference.pdmodel", "inference.pdiparams")
PIR_FILES = ("inference.json", "inference.pdiparams")  # Paddle 3 saves the program as JSON
ONNX_FILE = "inference.onnx"


def model_paths(model_dir: Optional[str | os.PathLike] = None) -> dict[str, Any]:
    """Check the model directory and return PaddleOCR's keyword arguments for it.
    Pure apart from reading the file system; raises `OcrUnavailable` naming what is missing."""
    raw = str(model_dir or "").strip()
    if not raw:
        raise OcrUnavailable(f"the paddle OCR engine needs its models: set {SETTING} "
                             "to a directory holding det/ and rec/ (see extractor/ocr/paddle.py)")
    root = Path(raw).expanduser()
    if not root.is_dir():
        raise OcrUnavailable(f"paddle model directory {root} does not exist or is not a directory")
    found = {name: _model_format(root / name) for name in ("det", "rec", "cls")}
    for name in ("det", "rec"):
        if found[name] is None:
            raise OcrUnavailable(f"paddle model directory {root} has no {name}/ model: expected {root / name}/ with "
                                 f"{' + '.join(PADDLE_FILES)} (or {ONNX_FILE})")
    formats = {fmt for fmt in found.values() if fmt is not None}
    if len(formats) > 1:
        raise OcrUnavailable(f"paddle models in {root} mix ONNX and Paddle formats; PaddleOCR loads one kind at a time")
    use_onnx = formats == {"onnx"}

    def where(name: str) -> str:
        folder = root / name
        return str(folder / ONNX_FILE) if use_onnx else str(folder)

    kwargs: dict[str, Any] = {
        "det_model_dir": where("det"),
        "rec_model_dir": where("rec"),
        # with the classifier off PaddleOCR never loads it, but it still runs its download check on
        # this path: point it at a folder that passes the check rather than at nothing
        "cls_model_dir": where("cls" if found["cls"] else "det"),
        "use_onnx": use_onnx,
    }
    keys = root / "rec" / "dict.txt"
    if keys.is_file():
        kwargs["rec_char_dict_path"] = str(keys)
    return kwargs


def _model_format(folder: Path) -> Optional[str]:
    if (folder / ONNX_FILE).is_file():
        return "onnx"
    if all((folder / f).is_file() for f in PADDLE_FILES) or all((folder / f).is_file() for f in PIR_FILES):
        return "paddle"
    return None


class PaddleEngine:
    name = "paddle"

    def __init__(self, model_dir: Optional[str] = None, threads: Optional[int] = None):
        kwargs = model_paths(model_dir)  # before the import: a bad directory is the likelier mistake
        try:
            import paddleocr
        except ImportError as exc:
            raise OcrUnavailable(f"paddleocr is not installed: {INSTALL_HINT} ({exc})") from exc
        major = str(getattr(paddleocr, "__version__", "2")).split(".")[0]
        if major.isdigit() and int(major) >= 3:
            raise OcrUnavailable(f"paddleocr {paddleocr.__version__} changed its API; this engine needs 2.x: "
                                 "pip install 'paddleocr>=2.7,<3'")
        n = threads or default_threads()
        if kwargs["use_onnx"]:
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise OcrUnavailable(f"ONNX models need onnxruntime: pip install onnxruntime ({exc})") from exc
            opts = ort.SessionOptions()
            opts.intra_op_num_threads, opts.inter_op_num_threads = n, 1
            kwargs["onnx_sess_options"] = opts
        self._ocr = paddleocr.PaddleOCR(lang="ch", use_angle_cls=False, use_gpu=False, show_log=False,
                                        cpu_threads=n, **kwargs)

    def raw_page(self, image: np.ndarray) -> Optional[list[Any]]:
        result = self._ocr.ocr(as_bgr(image), det=True, rec=True, cls=False)
        return result[0] if result else None

    def raw_lines(self, crops: Sequence[np.ndarray]) -> list[Any]:
        if not crops:
            return []
        result = self._ocr.ocr([as_bgr(c) for c in crops], det=False, rec=True, cls=False)
        return result[0] if result else []

    def read_page(self, image: np.ndarray, dpi: float) -> list[Span]:
        return parse.paddle_page(self.raw_page(image), dpi)

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return parse.paddle_lines(self.raw_lines(crops), len(crops))
