"""Shared helpers for the service's tests: settings over a temporary data directory, and a store on
SQLite or on the real PostgreSQL of this machine.

Use the fixtures by importing them into a test module (pytest finds imported fixtures):

    from tests.service_support import database_url, service_settings, store  # noqa: F401

`store` / `service_settings` are parametrised over SQLite and PostgreSQL: a test that takes either
runs once per database. PostgreSQL gets one uniquely named database per test session (dropped at
the end) and one schema per test inside it (dropped after the test), so tests never see each
other's rows; the schema is chosen with `search_path` in the URL, so child processes (workers)
given the same settings see the same schema. When no PostgreSQL answers at `FORMAUDIT_TEST_PG`
(default postgresql://postgres@127.0.0.1:5432/test) its cases are skipped, saying why.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import quote

import pytest

from worker.service_options import ServiceOptions
from worker.settings import Settings

PG_ADMIN_URL = os.environ.get("FORMAUDIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DATABASES = ("sqlite", "postgresql")


def make_settings(data_dir: Path, database_url: Optional[str] = None, redis_url: Optional[str] = None,
                  **service: Any) -> Settings:
    """Settings for a test: the service options given, everything else default. The environment
    is not read (a developer's REDIS_URL or FORMAUDIT_* must not change what a test runs)."""
    options = ServiceOptions(data_dir=str(data_dir), database_url=database_url, redis_url=redis_url, **service)
    return Settings.model_construct(service=options)


def _admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (its plain postgresql:// URL); dropped after."""
    import psycopg

    try:
        admin = _admin()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {exc}")
    name = f"formaudit_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_schema_url(database: str) -> Iterator[str]:
    """A new schema in `database`, as a URL whose connections use it; dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{database}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> Iterator[Optional[str]]:
    """None (SQLite under the data directory) or a PostgreSQL URL with a schema of its own."""
    if request.param == "sqlite":
        yield None
        return
    yield from pg_schema_url(request.getfixturevalue("pg_database"))


@pytest.fixture()
def service_settings(tmp_path: Path, database_url: Optional[str]) -> Settings:
    """Settings over a temporary data directory, once per database."""
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture()
def store(service_settings: Settings) -> Iterator[Any]:
    """The migrated store of `service_settings`."""
    from worker.store.db import open_store

    opened = open_store(service_settings.service)
    opened.upgrade()
    try:
        yield opened
    finally:
        opened.dispose()
