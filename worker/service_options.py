"""What an operator sets about the service (`[service]` of the settings object).

`REDIS_URL` and `DATABASE_URL` are read as they are conventionally named, as well as
`FORMAUDIT_SERVICE__REDIS_URL` / `…__DATABASE_URL`. No Redis URL: the pipeline runs in-process.
No database URL: SQLite under `data_dir`.
"""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ServiceOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    data_dir: str = "formaudit-data"          # blobs/, reports/, formaudit.db (SQLite default)
    database_url: Optional[str] = None        # DATABASE_URL; None: sqlite:///<data_dir>/formaudit.db
    redis_url: Optional[str] = None           # REDIS_URL; None: the embedded in-process pipeline
    inbox_dir: Optional[str] = None           # files dropped here are taken by the nightly audit
    nightly_at: str = Field("02:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # local time, HH:MM
    max_upload_mb: int = Field(512, ge=1)     # a larger upload is refused with 413
    upload_keys: dict[str, str] = {}          # key name → API key allowed to upload
    review_keys: dict[str, str] = {}          # key name → API key allowed to review (and upload)
    task_soft_limit_s: int = Field(300, ge=1)  # one page's task; the hard limit is 1.5× this
    visibility_timeout_s: int = Field(3600, ge=1)  # must exceed the hard limit: checked at start
    max_tasks_per_child: int = Field(200, ge=1)
    max_memory_per_child_mb: int = Field(2048, ge=64)

    @model_validator(mode="after")
    def _redelivery_after_hard_limit(self) -> "ServiceOptions":
        # A message redelivered while its task still runs would be processed twice at once.
        if self.visibility_timeout_s <= self.hard_limit_s:
            raise ValueError(f"visibility_timeout_s ({self.visibility_timeout_s}) must exceed the task hard limit "
                             f"({self.hard_limit_s} s = 1.5 × task_soft_limit_s)")
        return self

    @property
    def hard_limit_s(self) -> int:
        return int(self.task_soft_limit_s * 1.5)
