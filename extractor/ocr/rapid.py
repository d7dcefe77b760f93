"""PP-OCRv4 through rapidocr_onnxruntime: the calls to the models, nothing else (parsing: parse.py).

The ONNX weights ship inside the wheel, so this works offline. What differs from RapidOCR's
defaults, and why (timings: one ORT thread on this project's 2-core Xeon):
- no angle classifier: scanned forms are upright (extractor.scan.cleanup turns them), and the
  classifier costs a model call per line;
- the detector: `intra_op_num_threads` from `default_threads()` and one inter-op thread: RapidOCR's
  default (-1) starts a thread per core in each of its three sessions, which then fight over two cores;
- the recogniser: a session of its own with ONE intra-op thread, called from `threads` Python
  threads at once, each taking the next crop (ONNX Runtime releases the GIL while it runs). A crop
  is a small input (36×~120 px): splitting its ops over two threads gained nothing on two cores
  (and lost 2× to spin-waiting when another process held a core), while two crops at a time
  use both cores fully;
- the recogniser's graph is folded at load (fold.py): the elementwise chains Paddle2ONNX spells
  out around each conv (learnable affine blocks, hard-swish as four ops) become conv weights and
  the hard-swish ONNX Runtime fuses into the conv: 24 % less recogniser time, the same text from
  all 17 330 readings of the bench's 8 665 crops (clean, mild and hard, at heights 36 and 48),
  probabilities within 1e-3;
- line crops are recognised one per call at their own width. RapidOCR pads every crop to at
  least 48×320 (PaddleOCR's training width), so a crop holding "10" costs as much as a full
  line (~19 ms); most cells of a form are short, and a page of them cost 3.9 s instead of
  1.5 s. Crops are still padded (with the model's zero, like PaddleOCR) to `min_width`: much
  narrower inputs misread lone glyphs ("2" → "N", "0" → "o"). Batching the crops padded to
  `min_width` (all one shape) reads them identically for ~3 % less CPU a page, too little to
  keep. Packing several short crops side by side into one input, white between them, saves
  ~25 % on hard scans, but then a crop's reading depends on its neighbours: a blank speck came
  back as "•" or ":", a "10" as "20", and clean scans lost numeric fields (100 → 99.1 %).
- a crop whose pixels are exactly those of one read before (a label printed the same way on
  every page of a rendered, noise-free image) is not read again: the session is deterministic,
  so the cache (CACHE_SIZE crops, least recently used out) changes nothing but the time; on the
  bench's clean scans 13 % of crops repeat, on noisy scans none;
- `height` 36 instead of the trained 48 (text is rescaled, the model is fully convolutional
  along x), `min_width` 86 to match: recogniser time is about linear in input pixels. On 438
  cells of rendered forms 40 read the same as 48 for 18 % less time, and 32 began to drop
  stroke-dense characters (案). 36 cost the scan bench's hard level 5 points of numeric fields
  while its crops still carried seal ghosts and ruling residue; on clean crops (ocr_cells.py)
  it reads numbers as 40 does (scan bench, 16 pages a level: numeric 100 / 99.7 / 99.0 % at
  36 against 100 / 99.8 / 99.5 % at 40) for ~10 % less CPU a page, at the price of about one
  point of text fields (97.6 % against 98.5 % clean: a stroke-dense character in a long line).
  A crop read as nothing is read once more at the trained height 48: a lone glyph such as the
  unit 个 is lost at 36 and read at 48 (0.93); the few such crops on a page cost nothing to speak of.

Measured and not taken (scan bench, runs alternated with the code as it is):
- int8 (ONNX Runtime static QDQ, per channel, calibrated on 250 bench crops): ~30 % less
  recogniser time, but 12-15 % of hard-scan crops read differently; hard text fields 94.4 →
  87.4 %, numeric 99.66 → 99.15 %. Dynamic quantisation: slower, and most crops misread;
- OpenVINO running the same file, in bfloat16 where the CPU has it (this one does), requests
  through its own async queue, input widths padded to a 16-px grid (it prepares each shape
  once): 22-25 % less CPU and 16-18 % less wall time on the hard level in one hour, 0-10 % in
  another; +300 MB resident, +180 MB installed; 0.2-0.8 % of crops read differently. In f32 it
  is no faster than ONNX Runtime, and Python threads each calling a request reached ~1.3 cores;
- less paper above and below the text (ocr_cells.PAD_Y 0.25 and height 32, glyphs as large as
  now): 11 % fewer input pixels, ~9 % less CPU, the same figures on the 16-page set, but on
  the 42-page set numeric fields 99.59 → 99.26 % mild and 99.19 → 98.51 % hard;
- crops of one exact shape read 8 to a call: identical readings, 13 % less time on one thread
  alone, no gain measurable in the scan path.
"""
from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional, Sequence

import cv2
import numpy as np

from extractor.model import Span
from extractor.ocr import as_bgr, default_threads, parse
from extractor.ocr.fold import folded_model

REC_HEIGHT = 36
REC_MIN_WIDTH = 86
CACHE_SIZE = 4096
RETRY_HEIGHT = 48  # the model's trained input height: a crop read as nothing is read at it once more


class RapidEngine:
    name = "rapid"

    def __init__(self, threads: Optional[int] = None, height: int = REC_HEIGHT, min_width: int = REC_MIN_WIDTH):
        from rapidocr_onnxruntime import RapidOCR  # heavy import: only when the engine is built

        n = threads or default_threads()
        self._ocr = RapidOCR(intra_op_num_threads=n, inter_op_num_threads=1, use_cls=False)
        self._rec = _single_thread_session(folded_model(_rec_model_path()))
        self._input_name = self._rec.get_inputs()[0].name
        self.threads = n
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pool_pid = 0  # the process the pool's threads live in
        self._seen: OrderedDict[bytes, Any] = OrderedDict()  # crop digest → its reading
        self._seen_lock = threading.Lock()
        self.height = height
        self.min_width = min_width

    def raw_page(self, image: np.ndarray) -> Optional[list[Any]]:
        """Detector + recogniser over a whole image (RapidOCR's own pipeline)."""
        result, _elapsed = self._ocr(as_bgr(image), use_cls=False)
        return result

    def raw_lines(self, crops: Sequence[np.ndarray]) -> list[Any]:
        """The recogniser alone, one crop per call, crops shared among the engine's threads:
        [(text, score), ...] in crop order. Crops seen before are not read again."""
        keys = [_digest(c) for c in crops]
        with self._seen_lock:
            got = {k: self._seen[k] for k in keys if k in self._seen}
            for k in got:
                self._seen.move_to_end(k)
        todo = {k: c for k, c in zip(keys, crops) if k not in got}  # each new crop once
        read = self._read_all(list(todo.values()))
        got.update(zip(todo, read))
        with self._seen_lock:
            self._seen.update(zip(todo, read))
            while len(self._seen) > CACHE_SIZE:
                self._seen.popitem(last=False)
        return [got[k] for k in keys]

    def _read_all(self, crops: list[np.ndarray]) -> list[Any]:
        if self.threads < 2 or len(crops) < 2:
            return [self._read_one(c) for c in crops]
        return list(self._executor().map(self._read_one, crops))

    def _executor(self) -> ThreadPoolExecutor:
        """The recogniser's threads, started in this process: an engine loaded before a fork (a
        prefork worker pool) would otherwise hand crops to threads that only the parent has."""
        if self._pool is None or self._pool_pid != os.getpid():
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="ocr-rec")
            self._pool_pid = os.getpid()
        return self._pool

    def _read_one(self, crop: np.ndarray) -> Any:
        got = self._run(crop, self.height, self.min_width)
        if not str(got[0]).strip():  # a lone glyph the smaller input loses: the trained size once more
            again = self._run(crop, RETRY_HEIGHT, math.ceil(self.min_width * RETRY_HEIGHT / self.height))
            if str(again[0]).strip():
                return again
        return got

    def _run(self, crop: np.ndarray, height: int, min_width: int) -> Any:
        preds = self._rec.run(None, {self._input_name: _input(crop, height, min_width)})[0]
        return self._ocr.text_rec.postprocess_op(preds)[0]

    def read_page(self, image: np.ndarray, dpi: float) -> list[Span]:
        return parse.rapid_page(self.raw_page(image), dpi)

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        return parse.rapid_lines(self.raw_lines(crops), len(crops))


def _input(crop: np.ndarray, height: int, min_width: int) -> np.ndarray:
    """PaddleOCR's normalisation ((x/255 - 0.5) / 0.5, zero padding on the right) at `height`
    and the crop's own width, at least `min_width`."""
    img = as_bgr(crop)
    h, w = img.shape[:2]
    width = max(1, math.ceil(height * w / max(h, 1)))
    out = np.zeros((1, 3, height, max(width, min_width)), np.float32)
    resized = cv2.resize(img, (width, height)).astype(np.float32)
    out[0, :, :, :width] = resized.transpose(2, 0, 1) / 127.5 - 1.0
    return out


def _digest(crop: np.ndarray) -> bytes:
    """A crop's identity: its shape, type and every pixel."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((crop.shape, crop.dtype.str)).encode())
    h.update(np.ascontiguousarray(crop).tobytes())
    return h.digest()


def _rec_model_path() -> str:
    """The recogniser weights RapidOCR itself loads (its config, resolved inside the wheel)."""
    from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
    from rapidocr_onnxruntime.utils import read_yaml, update_model_path

    return str(update_model_path(read_yaml(DEFAULT_CFG_PATH))["Rec"]["model_path"])


def _single_thread_session(model: bytes) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
