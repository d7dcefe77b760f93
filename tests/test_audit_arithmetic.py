"""Arithmetic rules: each fires on a broken form and keeps quiet on a clean one."""
from __future__ import annotations

import copy

import pytest

from audit.engine import audit_results
from tests.audit_support import audit_form as _audit_form, edit as _edit, rules_of as _rules
from audit.rules.arithmetic import note_bands


def test_seed_forms_whose_arithmetic_closes_raise_no_error(seed_results):
    findings = audit_results(seed_results.values()).findings
    assert [f.to_dict() for f in findings if f.severity == "error"] == []


def test_funds_subtotal(clean):
    form = _edit(clean["基层党建经费"], "funds.rows.fiscal.executed", 130.0)
    found = [f for f in _audit_form(form) if f["rule"] == "FUNDS_SUBTOTAL"]
    assert len(found) == 1
    assert found[0]["severity"] == "error" and found[0]["field"] == "funds.rows.total.executed"
    assert (found[0]["found"], found[0]["expected"]) == ("138.9", "130.0")


def test_funds_rate_truncated_and_rounded_accepted_wrong_one_fires(clean):
    assert "FUNDS_RATE" not in _rules(_audit_form(clean["公务员管理工作经费"]))  # 99.55% rounded
    assert "FUNDS_RATE" not in _rules(_audit_form(clean["干部人事档案整理经费"]))  # 53.1/60 = 88.5 → "88%" truncated
    form = _edit(clean["干部教育工作经费"], "funds.rows.total.rate", "100%")
    found = [f for f in _audit_form(form) if f["rule"] == "FUNDS_RATE"]
    assert len(found) == 1 and found[0]["expected"] == "97%"
    assert "1,286.17 / 1,329.20 = 96.76%" in found[0]["message"]
    assert found[0]["bbox"] is None and found[0]["page"] == 1 and found[0]["source"] == "t.pdf"


def test_funds_rate_with_zero_budget(clean):
    assert "FUNDS_RATE" not in _rules(_audit_form(clean["国外培训班"]))
    form = _edit(clean["国外培训班"], "funds.rows.total.rate", "100%")
    assert "FUNDS_RATE" in _rules(_audit_form(form))


def test_funds_score(clean):
    assert "FUNDS_SCORE" not in _rules(_audit_form(clean["公务员管理工作经费"]))  # 10 × 99.55% = 9.955 → 9.96
    form = _edit(clean["干部教育工作经费"], "funds.score", 10.0, "10.00")
    found = [f for f in _audit_form(form) if f["rule"] == "FUNDS_SCORE"]
    assert len(found) == 1 and found[0]["expected"] == "9.68"


def test_total_score(clean):
    form = _edit(clean["基层党建经费"], "total_score", 95.0)
    found = [f for f in _audit_form(form) if f["rule"] == "TOTAL_SCORE"]
    assert len(found) == 1 and found[0]["expected"] == "91.5"


def test_weight_sum_and_group_weight(clean):
    form = _edit(clean["杰出人才奖励经费"], "indicators[0].weight", 15.0)
    rules = _rules(_audit_form(form))
    assert "WEIGHT_SUM" in rules and "GROUP_WEIGHT" in rules
    assert "SCORE_RANGE" not in rules  # 10 of 15 is in range
    quiet = _rules(_audit_form(clean["人才大使经费"]))  # 产出 (60分) variant
    assert "GROUP_WEIGHT" not in quiet and "WEIGHT_SUM" not in quiet


def test_score_range(clean):
    form = _edit(clean["杰出人才奖励经费"], "indicators[1].score", 25.0)
    found = [f for f in _audit_form(form) if f["rule"] == "SCORE_RANGE"]
    assert len(found) == 1 and found[0]["indicator"] == "人才经费发放准确性"


def test_grade_band_default_and_printed_note(clean):
    form = _edit(clean["设备购置经费"] if "设备购置经费" in clean else clean["基层党建经费"], "grade", "中")
    found = [f for f in _audit_form(form) if f["rule"] == "GRADE_BAND"]
    assert len(found) == 1
    bands = note_bands("注：总分85（含）-100分自评等级为优，70（含）-85分自评等级为良，50（含）-70分自评等级为中，50分以下自评等级为差。")
    assert [b[1] for b in bands] == ["优", "良", "中", "差"] and str(bands[0][0]) == "85"
    noted = copy.deepcopy(clean["基层党建经费"])  # 91.5
    noted["note"] = "注：总分95（含）-100分自评等级为优，85（含）-95分自评等级为良，60（含）-85分自评等级为中，60分以下自评等级为差。"
    found = [f for f in _audit_form(noted) if f["rule"] == "GRADE_BAND"]
    assert len(found) == 1 and found[0]["expected"] == "良"


def test_low_confidence_input_gives_review_with_expected_value(clean):
    form = _edit(clean["基层党建经费"], "total_score", 95.0)
    form["cells"]["total_score"]["confidence"] = 0.41
    found = [f for f in _audit_form(form) if f["rule"] == "TOTAL_SCORE"]
    assert found[0]["severity"] == "review" and found[0]["expected"] == "91.5"
    assert [f for f in _audit_form(form, confidence_threshold=0.3) if f["rule"] == "TOTAL_SCORE"][0]["severity"] == "error"


def test_missing_value_gives_unreadable_value_naming_the_blocked_rule(clean):
    form = _edit(clean["基层党建经费"], "indicators[2].score", None)
    found = _audit_form(form)
    unreadable = [f for f in found if f["rule"] == "UNREADABLE_VALUE"]
    assert unreadable and all(f["severity"] == "review" for f in unreadable)
    assert any("TOTAL_SCORE" in f["message"] and f["field"] == "indicators[2].score" for f in unreadable)
    assert not [f for f in found if f["severity"] == "error"]


def test_finding_json_has_exactly_the_spec_fields(clean):
    form = _edit(clean["基层党建经费"], "total_score", 95.0)
    finding = _audit_form(form)[0]
    assert list(finding) == ["rule", "severity", "source", "page", "department", "project", "indicator",
                             "field", "found", "expected", "message", "bbox"]
    assert finding["department"] == "中共宁波市委组织部" and finding["project"] == "基层党建经费"
