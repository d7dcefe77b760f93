"""Whether the Redis broker answers, asked once with a short timeout: kombu itself retries a
refused connection for a long while, which leaves a command or a health check hanging."""
from __future__ import annotations

from typing import Optional

BROKER_TIMEOUT_S = 2.0


def broker_problem(url: str, timeout_s: float = BROKER_TIMEOUT_S) -> Optional[str]:
    """None when the broker at `url` answers a PING, else what went wrong, in one line."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure is the answer, said in words
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None
