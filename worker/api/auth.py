"""API keys: `X-API-Key` names a key of `[service] upload_keys` or `review_keys`.

Uploading takes an upload or a review key; reading results takes any key; review actions take a
review key. The key's name (never the key) is who a decision or correction is recorded as. With no
key configured at all the API is open (a trusted network or a single desk), recorded as
"anonymous", and the server says so when it starts.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Optional

from fastapi import HTTPException, Request

from worker.service_options import ServiceOptions

HEADER = "X-API-Key"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    name: str
    may_review: bool


class Keys:
    """The configured keys, checked in constant time."""

    def __init__(self, service: ServiceOptions) -> None:
        self.upload = dict(service.upload_keys)
        self.review = dict(service.review_keys)

    @property
    def open(self) -> bool:
        return not self.upload and not self.review

    def caller(self, key: Optional[str]) -> Caller:
        """Who `key` is; 401 when it is missing or unknown (unless the API is open)."""
        if self.open:
            return Caller(ANONYMOUS, True)
        if not key:
            raise HTTPException(401, f"this API needs a key: send it in the {HEADER} header",
                                headers={"WWW-Authenticate": HEADER})
        for table, may_review in ((self.review, True), (self.upload, False)):
            for name, secret in table.items():
                if hmac.compare_digest(key.encode(), secret.encode()):
                    return Caller(name, may_review)
        raise HTTPException(401, f"unknown API key in {HEADER}", headers={"WWW-Authenticate": HEADER})


def _keys(request: Request) -> Keys:
    return request.app.state.keys


def any_key(request: Request) -> Caller:
    """Reading results and uploading: any configured key."""
    return _keys(request).caller(request.headers.get(HEADER))


def review_key(request: Request) -> Caller:
    """Confirm, dismiss, reopen, correct: a review key; 403 for an upload-only key."""
    caller = _keys(request).caller(request.headers.get(HEADER))
    if not caller.may_review:
        raise HTTPException(403, f"the key {caller.name!r} may upload and read but not review: "
                                 f"use a key of [service] review_keys")
    return caller
