"""What an operator may tune about the scan path; one part of the settings object (`[scan]`)."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from extractor.scan.raster import DEFAULT_DPI, MAX_PIXELS


class ScanOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    dpi: int = Field(DEFAULT_DPI, ge=72, le=600)  # rasterising scanned PDF pages
    max_pixels: int = Field(MAX_PIXELS, ge=1_000_000)  # a larger page is refused, not decoded
    layout: bool = True  # run the layout model where rulings give no grid: a table without rulings, or none?
    ocr_engine: str = "rapid"  # "rapid" (bundled PP-OCRv4) or "paddle" (needs paddle_model_dir)
    ocr_threads: Optional[int] = Field(None, ge=1)  # recogniser threads and layout model threads; default: the cores up to 2
    paddle_model_dir: Optional[str] = None
