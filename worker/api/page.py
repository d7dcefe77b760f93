"""The review page: one HTML shell, a small vanilla script and a stylesheet, all served from here
(no CDN: reviewers often work on networks without the internet). The script reads `/api/review`."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi import Response
from fastapi.responses import HTMLResponse, RedirectResponse

ASSETS = Path(__file__).resolve().parent / "assets"
router = APIRouter(tags=["review page"])


@router.get("/review", response_class=HTMLResponse, summary="The review page (optionally ?run=ID)")
def review_page() -> HTMLResponse:
    return HTMLResponse((ASSETS / "review.html").read_text(encoding="utf-8"))


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/review")


@router.get("/review/report.css", include_in_schema=False)
def report_css() -> FileResponse:
    """The HTML report's stylesheet: the finding details look the same on the page and in the report."""
    css = resources.files("audit.report") / "assets" / "report.css"
    return Response(css.read_text(encoding="utf-8"), media_type="text/css")
