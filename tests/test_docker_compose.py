"""docker/: the compose file parses with a real compose client where one exists, and in every case
names the services, commands, volumes, health checks and settings keys the service expects."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

import pytest
import yaml

from worker.celery_app import local_zone
from worker.settings import CONVENTIONAL_ENV, load_settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker" / "docker-compose.yml"
DOCKERFILE = REPO / "docker" / "Dockerfile"
SECRETS = {"POSTGRES_PASSWORD": "pg-secret", "FORMAUDIT_UPLOAD_KEY": "upload-key", "FORMAUDIT_REVIEW_KEY": "review-key"}
APP_SERVICES = ("api", "worker", "beat")
COMMANDS = {"api": ["serve", "--host", "0.0.0.0", "--port", "8000"], "worker": ["worker"], "beat": ["beat"]}
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")


def _compose_client() -> Optional[list[str]]:
    """`docker compose` (the plugin) when it answers, else Debian's `docker-compose`, else None."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _run_config(client: list[str], env: dict[str, str], env_file: Path) -> subprocess.CompletedProcess:
    # An empty --env-file: a developer's docker/.env must not decide the outcome.
    env_file.write_text("", encoding="utf-8")
    return subprocess.run([*client, "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
                          env=env, capture_output=True, text=True, timeout=120)


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME:?message}` and `$$`, over the parsed file."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        name, operator, argument = match.groups()
        if name is None:
            return "$"
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise KeyError(f"{name}: {argument}")
        return argument if operator == ":-" else ""

    return _VARIABLE.sub(one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _interpolate(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")), SECRETS)


def test_compose_config_parses_with_the_compose_client(tmp_path):
    client = _compose_client()
    if client is None:
        pytest.skip("no compose client: neither `docker compose` nor `docker-compose` (scripts/setup.sh installs Debian's)")
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    done = _run_config(client, {**env, **SECRETS}, tmp_path / "empty.env")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"redis", "postgres", *APP_SERVICES}
    assert services["api"]["environment"]["FORMAUDIT_SERVICE__UPLOAD_KEYS__CLERK"] == "upload-key"
    assert services["api"]["environment"]["DATABASE_URL"] == "postgresql://formaudit:pg-secret@postgres:5432/formaudit"
    # Secrets have no default: without them the stack refuses to start, naming the variable.
    refused = _run_config(client, env, tmp_path / "empty.env")
    assert refused.returncode != 0
    assert any(name in refused.stderr for name in SECRETS), refused.stderr


def test_services_commands_and_shared_image(compose):
    services = compose["services"]
    assert set(services) == {"redis", "postgres", *APP_SERVICES}
    for name in APP_SERVICES:
        service = services[name]
        assert service["command"] == COMMANDS[name]
        assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        assert service["image"] == services["api"]["image"], "api, worker and beat run one image"
    assert services["redis"]["image"].startswith("redis:")
    assert services["postgres"]["image"].startswith("postgres:")
    assert "--appendonly" in services["redis"]["command"], "queued messages must survive a Redis restart"


def test_app_services_share_the_data_volume_and_see_the_inbox(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        env = service["environment"]
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
        assert mounts[env["FORMAUDIT_SERVICE__DATA_DIR"]] == "data", name
        assert env["FORMAUDIT_SERVICE__INBOX_DIR"] in mounts, name
    assert {"data", "pgdata", "redisdata"} <= set(compose["volumes"])
    assert compose["services"]["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]


def test_dependencies_wait_for_health_checks(compose):
    services = compose["services"]
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert "redis" in depends, name
        for dependency, condition in depends.items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            # a service waited on must have a check: its own, or the image's (the API's)
            has_check = "healthcheck" in services[dependency] or (dependency == "api" and "HEALTHCHECK" in dockerfile)
            assert has_check and not services[dependency].get("healthcheck", {}).get("disable"), dependency
    assert {"postgres", "redis"} <= set(services["api"]["depends_on"])
    assert "celery_app" in " ".join(services["worker"]["healthcheck"]["test"])


def test_every_variable_is_a_real_settings_key(compose, monkeypatch):
    for name in [k for k in os.environ if k.startswith("FORMAUDIT_") or k in CONVENTIONAL_ENV or k == "TZ"]:
        monkeypatch.delenv(name)
    env = compose["services"]["api"]["environment"]
    for name in APP_SERVICES:
        assert compose["services"][name]["environment"] == env, "one configuration for the three processes"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    for name, value in env.items():
        if name == "TZ":  # not a settings key: the zone beat reads nightly_at in
            assert local_zone() == value and ZoneInfo(value)
            continue
        assert name.startswith("FORMAUDIT_") or name in CONVENTIONAL_ENV, f"{name} is read by nothing"
        path = ["service", CONVENTIONAL_ENV[name]] if name in CONVENTIONAL_ENV else name.removeprefix("FORMAUDIT_").lower().split("__")
        found: Any = settings
        for part in path:
            found = found[part] if isinstance(found, dict) else getattr(found, part, KeyError)
            assert found is not KeyError, f"{name}: no settings key {'.'.join(path)}"
        assert str(found) == value, name


def test_dockerfile_image_is_slim_non_root_with_poppler_and_fonts():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    for package in ("poppler-utils", "fonts-droid-fallback", "fonts-dejavu-core", "libgl1", "libglib2.0-0"):
        assert package in text, package
    assert re.search(r"pip install [^\n]*\.\s", text), "the package itself is installed"
    data_dir = re.search(r"FORMAUDIT_SERVICE__DATA_DIR=(\S+)", text).group(1)
    assert re.search(rf'^VOLUME \["{re.escape(data_dir)}"\]', text, re.M)



def test_readme_tables_every_environment_variable():
    from worker.settings import Settings

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_cells = [line.split("|")[1] for line in readme.splitlines() if line.startswith("| `")]
    rows = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    wanted = set(CONVENTIONAL_ENV) | {
        f"FORMAUDIT_{section.upper()}__{key.upper()}"
        for section, field in Settings.model_fields.items() for key in field.annotation.model_fields}
    assert wanted <= rows, f"README's variable table lacks {sorted(wanted - rows)}"


def test_dockerfile_health_check_asks_a_route_the_api_serves(tmp_path, monkeypatch):
    from worker.api.app import create_app

    path = re.search(r"^HEALTHCHECK .*\n.*http://127\.0\.0\.1:8000(/[\w/]*)", DOCKERFILE.read_text(encoding="utf-8"), re.M).group(1)
    monkeypatch.setenv("FORMAUDIT_SERVICE__DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FORMAUDIT_SERVICE__DATABASE_URL", raising=False)
    app = create_app(load_settings())
    assert path in app.openapi()["paths"]
