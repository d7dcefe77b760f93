"""Shared fixtures: the seed exports beside the repo and the FORMS.md JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
SCHEMA = json.loads((REPO / "extractor" / "schema" / "forms.schema.json").read_text(encoding="utf-8"))


def seed(prefix: str) -> Path:
    """The seed file whose name starts with `prefix` ("000", "001", "003")."""
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.fail(f"seed {prefix} missing under {SEEDS}: the tests need ../shared/seeds beside the repo")
    return found[0]


def assert_valid(result_dict: dict) -> None:
    """Every output of `extract` must validate against the FORMS.md schema."""
    jsonschema.validate(result_dict, SCHEMA)


@pytest.fixture(scope="session")
def seed_results() -> dict[str, dict]:
    from extractor.pipeline import extract_file

    return {p: extract_file(seed(p)).to_dict() for p in ("000", "001", "003")}


@pytest.fixture(scope="session")
def clean(seed_results) -> dict[str, dict]:
    """The self-evaluation forms of seeds 000 and 003 by project: forms whose arithmetic closes."""
    return {form["project"]: form for key in ("000", "003") for form in seed_results[key]["forms"]
            if form["kind"] == "self_evaluation"}


@pytest.fixture(scope="session")
def seed_findings(seed_results) -> list[dict]:
    """Seeds 000 + 001 audited together, and 003 alone, as issue 3's acceptance list asks."""
    from audit.engine import audit_results

    together = audit_results([seed_results["000"], seed_results["001"]]).findings
    alone = audit_results([seed_results["003"]]).findings
    return [f.to_dict() for f in [*together, *alone]]
