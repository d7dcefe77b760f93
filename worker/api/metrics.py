"""Prometheus metrics and the health check.

Counts that workers change (documents by status, pages processed, findings by severity) are read
from the store at scrape time, so every API replica reports the same figures whichever process did
the work; uploads received and request latency are this process's own. Each app has its own
registry: two apps in one process (tests) must not collide in the global one.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from worker.broker import broker_problem
from worker.store.db import Store
from worker.store.models import Document, FindingRow, PageRow, Upload

router = APIRouter(tags=["operations"])


class Metrics:
    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self.uploads = Counter("formaudit_api_uploads", "Uploads received by this API process",
                               registry=self.registry)
        self.latency = Histogram("formaudit_api_request_seconds", "Request latency by route",
                                 ["method", "route", "status"], registry=self.registry)
        self.registry.register(_StoreCollector(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterable[Any]:
        with self.store.session() as db:
            uploads = db.scalar(select(func.count(Upload.id))) or 0
            documents = db.execute(select(Document.status, func.count(Document.id)).group_by(Document.status)).all()
            pages = db.execute(select(PageRow.status, func.count(PageRow.id)).group_by(PageRow.status)).all()
            findings = db.execute(select(FindingRow.severity, FindingRow.status, func.count(FindingRow.id))
                                  .group_by(FindingRow.severity, FindingRow.status)).all()
        yield _gauge("formaudit_uploads", "Uploads stored", [], [((), uploads)])
        yield _gauge("formaudit_documents", "Documents by status", ["status"], [((s,), n) for s, n in documents])
        yield _gauge("formaudit_pages", "Pages by status (done: processed)", ["status"], [((s,), n) for s, n in pages])
        yield _gauge("formaudit_findings", "Findings of every run by severity and review status",
                     ["severity", "status"], [((sev, st), n) for sev, st, n in findings])


def _gauge(name: str, doc: str, labels: list[str], values: list[tuple[tuple[str, ...], int]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for label_values, value in values:
        family.add_metric(list(label_values), value)
    return family


async def time_requests(request: Request, call_next: Callable[[Request], Any]) -> Response:
    """Middleware: latency by route template (/api/findings/{finding_id}), not by raw path, so ids
    do not make a series each."""
    start = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    name = getattr(route, "path", "unmatched")
    request.app.state.metrics.latency.labels(request.method, name, str(response.status_code)).observe(
        time.perf_counter() - start)
    return response


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="Database reachable, and the broker when one is configured (503 otherwise)")
def healthz(request: Request) -> JSONResponse:
    checks = {"database": _check_database(request.app.state.store)}
    redis_url = request.app.state.settings.service.redis_url
    checks["broker"] = _broker_check(redis_url) if redis_url else "not configured (embedded pipeline)"
    healthy = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", **checks}, status_code=200 if healthy else 503)


def _check_database(store: Store) -> str:
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure is the answer, said in words
        return f"unreachable: {type(exc).__name__}: {exc}".splitlines()[0]
    return "ok"


def _broker_check(url: str) -> str:
    problem = broker_problem(url)
    return "ok" if problem is None else f"unreachable: {problem}"
