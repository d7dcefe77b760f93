"""The store: migrations match the models on SQLite and PostgreSQL, SQLite's pragmas, URLs, blobs."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tests.service_support import database_url, make_settings, pg_database, service_settings, store  # noqa: F401
from worker.service_options import ServiceOptions
from extractor.digest import sha256_of
from worker.store.blobs import blob_path, blob_suffix, put_blob
from worker.store.db import database_url as url_of
from worker.store.models import Base, Document, Upload, UploadItem


def test_migrations_match_the_models(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    tables = set(inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables and "alembic_version" in tables


def test_upgrade_twice_changes_nothing(store):
    with store.session() as s, s.begin():
        s.add(Upload(filename="a.pdf", origin="cli"))
    store.upgrade()
    with store.session() as s:
        assert s.scalars(select(Upload.filename)).all() == ["a.pdf"]
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"


def test_foreign_keys_are_enforced(store):
    from sqlalchemy.exc import IntegrityError

    with store.session() as s:
        s.add(UploadItem(upload_id=12345, name="x"))
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
        else:
            raise AssertionError("an item of a missing upload was stored")


def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path):
    from worker.store.db import open_store

    opened = open_store(make_settings(tmp_path / "d").service)
    try:
        with opened.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert (tmp_path / "d" / "formaudit.db").exists()
    finally:
        opened.dispose()


def test_urls(tmp_path):
    assert url_of(ServiceOptions(data_dir=str(tmp_path))) == f"sqlite:///{tmp_path.resolve()}/formaudit.db"
    for plain in ("postgresql://u@h:5432/db", "postgres://u@h:5432/db"):
        assert url_of(ServiceOptions(database_url=plain)) == "postgresql+psycopg://u@h:5432/db"
    given = "postgresql+psycopg://u@h/db"
    assert url_of(ServiceOptions(database_url=given)) == given


def test_blobs_are_content_addressed(tmp_path):
    src = tmp_path / "Report.PDF"
    src.write_bytes(b"%PDF-1.4 hello")
    digest = sha256_of(src)
    first = put_blob(tmp_path / "data", src, digest, blob_suffix(src.name))
    assert first == tmp_path / "data" / "blobs" / digest[:2] / f"{digest}.pdf"
    assert first.read_bytes() == b"%PDF-1.4 hello"
    src.write_bytes(b"changed")  # a blob is never rewritten: its name is its content
    assert put_blob(tmp_path / "data", src, digest, ".pdf") == first and first.read_bytes() == b"%PDF-1.4 hello"
    doc = Document(sha256=digest, suffix=".pdf", original_name="x", size=1)
    assert blob_path(tmp_path / "data", doc) == first
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".incoming-")]
    assert blob_suffix("a.tar.GZ") == ".gz" and blob_suffix("noext") == ""


def test_schema_per_test_is_empty(store):
    with store.session() as s:
        assert s.scalars(select(Document)).all() == []



def test_service_defaults_are_documented():
    import tomllib

    from tests.conftest import REPO

    text = (REPO / "worker" / "defaults.toml").read_text(encoding="utf-8")
    documented = tomllib.loads(text)["service"]
    built_in = ServiceOptions().model_dump()
    assert {k: built_in[k] for k in documented} == documented  # the values written are the defaults
    for name in ServiceOptions.model_fields:
        assert f"{name} =" in text or f"[service.{name}]" in text, f"{name} is not documented in worker/defaults.toml"
