"""Audit configuration: the documented defaults, validation messages, overrides and suppressions."""
from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from audit.config import AuditConfig
from audit.engine import audit_results
from extractor.scan.options import ScanOptions
from worker.settings import SettingsError, load_settings

DEFAULTS = Path(__file__).resolve().parents[1] / "worker" / "defaults.toml"


def test_documented_defaults_equal_the_built_in_ones():
    documented = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))
    built_in = AuditConfig().model_dump()
    assert {k: v for k, v in built_in.items() if k != "suppress"} == documented["audit"]
    scan = ScanOptions().model_dump()
    assert {k: v for k, v in scan.items() if v is not None} == documented["scan"]
    assert load_settings(DEFAULTS).audit == AuditConfig() and load_settings(DEFAULTS).scan == ScanOptions()


def test_every_key_of_the_config_is_documented():
    text = DEFAULTS.read_text(encoding="utf-8")
    for name in [*AuditConfig.model_fields, *ScanOptions.model_fields]:
        assert name in text, f"{name} is not documented in worker/defaults.toml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "formaudit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_values_are_named_by_key(tmp_path):
    path = _write(tmp_path, '[audit]\nlow_execution_rate = 150\ncolour = "red"\n'
                            '[[audit.suppress]]\nrule = "NO_SUCH_RULE"\nreason = "x"\n')
    with pytest.raises(SettingsError) as exc:
        load_settings(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: invalid configuration")
    assert "audit.low_execution_rate: Input should be less than or equal to 100" in message
    assert "audit.colour: Extra inputs are not permitted" in message
    assert "audit.suppress.0.rule: unknown rule 'NO_SUCH_RULE'" in message


def test_grade_bands_must_cover_every_grade_in_order(tmp_path):
    with pytest.raises(SettingsError, match="grade_bands must fall strictly"):
        load_settings(_write(tmp_path, '[audit.grade_bands]\n"优" = 80\n"良" = 85\n"中" = 60\n"差" = 0\n'))
    with pytest.raises(SettingsError, match="lower bound for each of 优, 良, 中, 差"):
        load_settings(_write(tmp_path, '[audit.grade_bands]\n"优" = 90\n'))


def test_unreadable_and_invalid_toml_files(tmp_path):
    with pytest.raises(SettingsError, match="cannot read the config file"):
        load_settings(tmp_path / "absent.toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(_write(tmp_path, "[audit\n"))


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    path = _write(tmp_path, "[audit]\nlow_execution_rate = 70\nfar_exceeded_ratio = 2\n")
    monkeypatch.setenv("FORMAUDIT_AUDIT__LOW_EXECUTION_RATE", "50")
    settings = load_settings(path)
    assert settings.audit.low_execution_rate == 50
    assert settings.audit.far_exceeded_ratio == 2


def test_grade_bands_from_config_move_the_grade_band_rule(seed_results):
    form = copy.deepcopy(next(f for f in seed_results["000"]["forms"] if f.get("grade") == "优" and f["total_score"] < 95))
    strict = AuditConfig(grade_bands={"优": 95, "良": 85, "中": 70, "差": 0})
    result = {"source": "t.txt", "forms": [form]}
    assert "GRADE_BAND" not in {f.rule for f in audit_results([result], strict).findings}  # the note's bands win
    form["note"] = None
    assert "GRADE_BAND" not in {f.rule for f in audit_results([result]).findings}
    assert "GRADE_BAND" in {f.rule for f in audit_results([result], strict).findings}


def test_suppression_keeps_the_finding_apart_with_its_reason(seed_results):
    form = copy.deepcopy(next(f for f in seed_results["000"]["forms"] if f["kind"] == "self_evaluation"))
    form["total_score"] += 7
    result = {"source": "t.txt", "forms": [form]}
    plain = audit_results([result])
    assert "TOTAL_SCORE" in {f.rule for f in plain.findings}
    config = AuditConfig(suppress=[{"rule": "TOTAL_SCORE", "project": " " + form["project"].replace("（", "("),
                                    "reason": "known misprint, confirmed by phone"}])
    run = audit_results([result], config)
    assert "TOTAL_SCORE" not in {f.rule for f in run.findings}
    assert [(f.rule, s.reason) for f, s in run.suppressed] == [("TOTAL_SCORE", "known misprint, confirmed by phone")]
    other = AuditConfig(suppress=[{"rule": "TOTAL_SCORE", "department": "另一个部门", "reason": "x"}])
    assert "TOTAL_SCORE" in {f.rule for f in audit_results([result], other).findings}
