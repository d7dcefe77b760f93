"""`formaudit serve`: migrate the store, take up uploads a stopped server left unfinished (embedded
pipeline), then run the API under uvicorn."""
from __future__ import annotations

import logging
from typing import TextIO

from worker.settings import Settings


def serve(settings: Settings, host: str, port: int, stdout: TextIO, stderr: TextIO) -> int:
    """Run until interrupted; 0 on a clean stop, 2 when the store cannot be opened or migrated."""
    import uvicorn

    from worker.api.app import create_app
    from worker.store.db import open_store

    logging.basicConfig(level=logging.INFO, stream=stderr, format="%(levelname)s: %(name)s: %(message)s")
    # Alembic names each of its autogenerate plugins at start: nothing an operator acts on.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    store = open_store(settings.service)
    try:
        store.upgrade()
    except Exception as exc:  # the operator needs the reason, not a traceback
        print(f"formaudit: cannot open the store ({_where(settings)}): {type(exc).__name__}: {exc}", file=stderr)
        return 2
    finally:
        store.dispose()
    redis_url = settings.service.redis_url
    if not redis_url:
        from worker.runner import resume

        # Embedded, an upload's processing dies with the server that ran it; Celery redelivers by itself.
        resumed = resume(settings)
        if resumed:
            print(f"formaudit: processing again {len(resumed)} upload(s) a previous server left unfinished: "
                  f"{', '.join(map(str, resumed))}", file=stdout, flush=True)
    # the host only: a broker URL may carry a password
    mode = f"Celery broker at {redis_url.rsplit('@', 1)[-1]}" if redis_url else "embedded pipeline"
    print(f"formaudit: serving on http://{host}:{port} (review page /review, API docs /docs; {mode}; "
          f"store {_where(settings)})", file=stdout, flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
    return 0


def _where(settings: Settings) -> str:
    return "DATABASE_URL" if settings.service.database_url else f"SQLite in {settings.service.data_dir}"
