"""The Celery app of the service: Redis (`[service] redis_url`, `REDIS_URL`) as broker and result backend.

Delivery is at least once: a task is acknowledged after it ran (`acks_late`); a pool process that
dies mid-task has its task sent again by its worker (the tasks' `retry_on_worker_lost`, a bounded
number of times, then the page fails with the reason; `task_reject_on_worker_lost` requeues where
a task has no such bound); a whole worker that vanishes leaves its messages unacknowledged in
Redis, where another worker's sweep restores them once the visibility timeout has passed. The steps of `worker.jobs` are idempotent, so running one twice
costs time, never a duplicated row. The visibility timeout must exceed the hard time limit (the
settings check it): a message redelivered while its task still runs would run twice at once.

OCR and layout models are loaded once per worker process (`worker_process_init`), before its first
task: the first page then costs what every page costs, and a task's time limit is not spent
loading models. Each pool process is replaced after `max_tasks_per_child` tasks or once it holds
more than `max_memory_per_child_mb`, so a long run does not grow.

The app is configured from the settings object: `configure(settings)` (what `formaudit worker`,
`formaudit beat` and `worker.runner.submit` do), or, for a plain `celery -A worker.celery_app …`,
from `load_settings()` (the environment) when a task first needs them.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Optional

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

from worker.settings import Settings, load_settings

log = logging.getLogger(__name__)

# Starting a pool process includes loading the models (about 2 s alone, far more on a busy
# machine); Celery's default of 4 s would count a slow start as a failed one.
PROCESS_START_TIMEOUT_S = 120
# Publishing from inside a task (a retry, the audit after the last page) waits this long for a
# restarted broker before the task fails.
PUBLISH_RETRY = {"max_retries": 30, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 2.0}

NIGHTLY_TASK = "formaudit.nightly_audit"

app = Celery("formaudit", include=["worker.tasks"])
_settings: Optional[Settings] = None


def configure(settings: Settings) -> Celery:
    """Point the app at `settings.service.redis_url` with the service's delivery guarantees and
    limits; the tasks then run with these settings. Returns the app. One broker per process: the
    app keeps its connections, so configuring it again must name the same Redis."""
    global _settings
    url = settings.service.redis_url
    if not url:
        raise ValueError("the Celery app needs [service] redis_url (REDIS_URL)")
    if _settings is not None and _settings.service.redis_url != url:
        raise ValueError(f"the Celery app already sends to {_settings.service.redis_url}, not {url}")
    _settings = settings  # first: reading app.conf below evaluates `_configuration`, which reads it
    app.conf.update(celery_config(settings))
    return app


def current_settings() -> Settings:
    """The settings the app was configured with; the environment's when nobody configured it
    (a worker started by the plain `celery` command)."""
    if _settings is None:
        configure(load_settings())
    assert _settings is not None
    return _settings


def _configuration() -> dict[str, Any]:
    # Celery's own default broker is AMQP on localhost: a task sent by a process that never
    # configured the app would go there, silently. The app's defaults are the settings' instead.
    return celery_config(current_settings())


app.add_defaults(_configuration)


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery's settings for the service, derived from `[service]` (one place for every knob)."""
    service = settings.service
    return {
        "broker_url": service.redis_url,
        "result_backend": service.redis_url,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Progress lives in the store (Document.pages_done); results would only fill Redis.
        "task_ignore_result": True,
        "result_expires": 24 * 3600,
        "result_backend_always_retry": True,
        "result_backend_max_retries": PUBLISH_RETRY["max_retries"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_soft_time_limit": service.task_soft_limit_s,
        "task_time_limit": service.hard_limit_s,
        "task_publish_retry": True,
        "task_publish_retry_policy": PUBLISH_RETRY,
        "broker_transport_options": transport_options(service.visibility_timeout_s),
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # a restarted Redis is waited for, not given up on
        # One message reserved per process: a slow scan page must not hold pages another worker could take.
        "worker_prefetch_multiplier": 1,
        "worker_max_tasks_per_child": service.max_tasks_per_child,
        "worker_max_memory_per_child": service.max_memory_per_child_mb * 1024,  # KiB
        "worker_proc_alive_timeout": PROCESS_START_TIMEOUT_S,
        # A task running when the broker went away carries on: its page is stored and the steps
        # after it run from the store, so a Redis restart costs no work. Its acknowledgement is
        # lost with the connection; the message comes back after the visibility timeout and
        # finds its page done. (Celery 6 will cancel such tasks by default, losing the page.)
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "timezone": local_zone(),
        "enable_utc": True,
        "beat_schedule": beat_schedule(settings),
    }


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """The nightly audit at `[service] nightly_at`, in the machine's local time."""
    hour, minute = settings.service.nightly_at.split(":")
    return {"nightly-audit": {"task": NIGHTLY_TASK, "schedule": crontab(hour=int(hour), minute=int(minute))}}


def transport_options(visibility_timeout_s: int) -> dict[str, Any]:
    """kombu's Redis options: the visibility timeout, and a sweep for abandoned messages about ten
    times per timeout (kombu's default sweeps every 100 s whatever the timeout), so a message a
    killed worker held is back in its queue within about 1.1 × the timeout."""
    return {
        "visibility_timeout": visibility_timeout_s,
        "unacked_restore_interval": max(1, min(60, visibility_timeout_s // 10)),
        "unacked_restore_throttle": 1,
    }


def local_zone() -> str:
    """The machine's IANA time zone (`TZ`, else /etc/localtime's link), so `nightly_at` is local
    time as the settings say; UTC when neither names one."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    try:
        target = Path("/etc/localtime").resolve()
    except OSError:
        return "UTC"
    parts = target.parts
    return "/".join(parts[parts.index("zoneinfo") + 1:]) if "zoneinfo" in parts else "UTC"


@worker_process_init.connect
def _load_models(**_: Any) -> None:
    """Each pool process loads the OCR engine and the layout model once, before its first task
    (both cache per process). Database connections inherited from the parent are dropped by
    `worker.store.db` itself, at fork."""
    settings = current_settings()
    from extractor.scan.stage import load_models

    try:
        load_models(settings.scan)  # the same options, hence the same cached instances, as scan_pages asks for
    except Exception as exc:  # a missing model is each scan page's error, named there; text pages still work
        log.warning("formaudit: models not loaded in worker process %s: %s", os.getpid(), exc)

