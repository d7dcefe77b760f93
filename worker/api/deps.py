"""What every route takes from the app: the settings, the store, a database session."""
from __future__ import annotations

from typing import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from worker.settings import Settings
from worker.store.db import Store


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def store_of(request: Request) -> Store:
    return request.app.state.store


def session(request: Request) -> Iterator[Session]:
    """One session per request; a route that writes commits it (nothing is committed otherwise)."""
    with store_of(request).session() as opened:
        yield opened
