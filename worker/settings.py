"""The one settings object: a TOML file (`--config`), overridden by `FORMAUDIT_*` environment variables.

`FORMAUDIT_AUDIT__LOW_EXECUTION_RATE=50` overrides `[audit] low_execution_rate`. Settings are
validated once, at start; a bad value stops the command with a message naming the key.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from audit.config import AuditConfig
from extractor.scan.options import ScanOptions
from worker.service_options import ServiceOptions

CONVENTIONAL_ENV = {"REDIS_URL": "redis_url", "DATABASE_URL": "database_url"}  # read without the prefix


class SettingsError(ValueError):
    """A configuration the commands cannot start with; the message names the file and the key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORMAUDIT_", env_nested_delimiter="__", extra="forbid")
    audit: AuditConfig = AuditConfig()
    scan: ScanOptions = ScanOptions()
    service: ServiceOptions = ServiceOptions()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: an operator's override beats the file the deployment ships.
        return env_settings, _ConventionalEnv(settings_cls), init_settings


class _ConventionalEnv(PydanticBaseSettingsSource):
    """REDIS_URL and DATABASE_URL, as every deployment names them, into `[service]`."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found = {key: os.environ[name] for name, key in CONVENTIONAL_ENV.items() if os.environ.get(name)}
        return {"service": found} if found else {}


def load_settings(config: Optional[Path] = None) -> Settings:
    """Settings from the TOML file `config` (if any) and the environment; SettingsError when invalid."""
    data: dict[str, Any] = {}
    where = "environment (FORMAUDIT_*)"
    if config is not None:
        where = str(config)
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"{config}: cannot read the config file: {exc.strerror or exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{config}: not valid TOML: {exc}") from None
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_describe(where, exc)) from None


def _describe(where: str, exc: ValidationError) -> str:
    lines = [f"{where}: invalid configuration"]
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {path}: {message}")
    return "\n".join(lines)
