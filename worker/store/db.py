"""The store's engine and sessions: SQLite under the data directory by default, PostgreSQL from
`DATABASE_URL`. The schema comes from the Alembic migrations (`Store.upgrade`), never `create_all`,
so a deployed database and a fresh one are the same schema.

SQLite is opened in WAL mode with foreign keys on and a busy timeout: the embedded pipeline's
child process writes pages while the API process reads progress, and WAL lets readers go on
while one writer writes; the timeout makes a second writer wait instead of failing.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from worker.service_options import ServiceOptions

SQLITE_NAME = "formaudit.db"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x666F726D  # pg_advisory_lock key: one process migrates at a time ("form")
_STORES: dict[tuple[str, str], "Store"] = {}


class Store:
    """One database: `session()` opens a Session (use it as a context manager), `upgrade()` brings
    the schema to the newest migration. `data_dir` is where blobs and reports live."""

    def __init__(self, engine: Engine, data_dir: Path) -> None:
        self.engine = engine
        self.data_dir = data_dir
        # Objects stay readable after commit: steps commit, then return what they wrote.
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new Session: `with store.session() as s, s.begin(): ...` commits once, or rolls back."""
        return self._sessions()

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to `revision`; safe when several processes start at once."""
        from alembic import command

        with self._migration_lock() as conn:
            config = alembic_config(conn)
            command.upgrade(config, revision)
            conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _migration_lock(self) -> Iterator[Connection]:
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
                try:
                    yield conn
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                    conn.commit()
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".migrate.lock", "w") as lock, self.engine.connect() as conn:
            fcntl.flock(lock, fcntl.LOCK_EX)  # SQLite DDL is not transactional under Alembic
            yield conn


def alembic_config(connection: Optional[Connection] = None) -> Any:
    """Alembic's Config built in code (no alembic.ini needed): the migrations folder, and the
    connection env.py runs them on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def database_url(service: ServiceOptions) -> str:
    """The SQLAlchemy URL: `database_url` with plain `postgresql://` / `postgres://` mapped to the
    psycopg 3 driver, or SQLite at `<data_dir>/formaudit.db`."""
    if not service.database_url:
        return f"sqlite:///{Path(service.data_dir).resolve() / SQLITE_NAME}"
    url = service.database_url
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def open_store(service: ServiceOptions) -> Store:
    """The store the settings name (not yet migrated: call `upgrade()` once at start)."""
    data_dir = Path(service.data_dir).resolve()
    url = make_url(database_url(service))
    if url.get_backend_name() == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)  # a restarted database must not fail the next task
    return Store(engine, data_dir)


def insert_or_ignore(session: Session, model: type, values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT the row unless one with the same `unique` columns exists (also one another transaction
    is inserting right now: PostgreSQL waits for it); whether a row was inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    return bool(session.execute(statement).rowcount)


def store_for(service: ServiceOptions) -> Store:
    """This process's store for these options, opened and migrated on first use, then reused (an
    engine holds the connection pool: one per process, not one per task)."""
    key = (database_url(service), str(Path(service.data_dir).resolve()))
    store = _STORES.get(key)
    if store is None:
        store = open_store(service)
        store.upgrade()
        _STORES[key] = store
    return store


def forget_connections() -> None:
    """Drop the pooled connections a forked child inherited, without closing the parent's: one
    connection used by two processes corrupts both ends."""
    for store in _STORES.values():
        store.engine.dispose(close=False)


def close_stores() -> None:
    """Close every store `store_for` opened in this process (tests; a process about to exit)."""
    while _STORES:
        _STORES.popitem()[1].dispose()


os.register_at_fork(after_in_child=forget_connections)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
