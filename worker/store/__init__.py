"""The service's store: SQLAlchemy 2 models (`models`), engine and sessions (`db`), Alembic
migrations (`migrations/`) and the content-addressed file store (`blobs`)."""
