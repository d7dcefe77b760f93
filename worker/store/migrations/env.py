"""Alembic's environment, configured in code: `worker.store.db.Store.upgrade` hands over the
connection in `config.attributes["connection"]`; run by hand (`alembic revision --autogenerate`
while writing a migration), it opens the database the settings name."""
from __future__ import annotations

from alembic import context

from worker.store.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection, target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from worker.settings import load_settings
    from worker.store.db import open_store

    store = open_store(load_settings().service)
    with store.engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
_run_online()
