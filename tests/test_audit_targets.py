"""Targets against actuals (audit/rules/targets.py): each rule fires on an edited seed form and keeps
quiet on a clean one; the seeds' own findings are pinned where AUDIT_RULES names them."""
from __future__ import annotations

import pytest

import audit.rules.readings as readings
from audit.config import AuditConfig
from audit.engine import audit_results
from audit.rules import CATALOGUE
from tests.audit_support import audit_form as _audit_form, edit as _edit, of_rule as _of

TARGET_RULES = ("UNMET_FULL_SCORE", "COST_OVERRUN", "UNIT_MISMATCH", "SCORE_NOT_PROPORTIONAL",
                "TARGET_FAR_EXCEEDED", "NON_QUANTIFIED_TARGET")
EXPLANATION_RULES = ("MISSING_EXPLANATION", "FUNDS_UNEXPLAINED", "CONTRADICTORY_EXPLANATION",
                     "LOW_EXECUTION_HIGH_GRADE", "SPENT_NOTHING_FULL_OUTPUT")


def test_seed_score_not_proportional_is_the_one_info_of_shanghai(seed_findings):
    found = [f for f in _of(seed_findings, "SCORE_NOT_PROPORTIONAL") if f["project"] == "干部教育工作经费"]
    assert len(found) == 1
    f = found[0]
    assert (f["indicator"], f["severity"], f["field"]) == ("领导干部外向型培训人次", "info", "indicators[0].score")
    assert (f["found"], f["expected"]) == ("1", "0.45")  # 5 × 10 / 110
    assert "≥110(人)" in f["message"] and "10人" in f["message"]


def test_target_and_explanation_rules_never_say_error(seed_findings):
    mine = [f for f in seed_findings if f["rule"] in TARGET_RULES + EXPLANATION_RULES]
    assert mine, "the seeds carry target findings"
    assert {f["severity"] for f in mine} <= {"warning", "info"}
    assert all(CATALOGUE[r] != "error" for r in TARGET_RULES + EXPLANATION_RULES)
    blocked = [f for f in seed_findings if f["rule"] == "UNREADABLE_VALUE"
               and any(r in f["message"] for r in TARGET_RULES + EXPLANATION_RULES)]
    assert blocked == [], "every seed target and actual is readable"


def test_unmet_full_score_names_the_proportional_score(clean):
    assert _of(_audit_form(clean["基层党建经费"]), "UNMET_FULL_SCORE") == []  # 90 of 100 scored 18
    form = _edit(clean["基层党建经费"], "indicators[0].score", 20.0, "20")
    found = _of(_audit_form(form), "UNMET_FULL_SCORE")
    assert len(found) == 1
    assert (found[0]["severity"], found[0]["field"]) == ("warning", "indicators[0].score")
    assert found[0]["indicator"] == "兴村（治社）名师数量"
    assert (found[0]["found"], found[0]["expected"]) == ("20", "18")


def test_unmet_qualitative_target_with_full_score_has_no_expected_value(clean):
    form = _edit(clean["杰出人才奖励经费"], "indicators[3].actual", "尚未开展")
    found = _of(_audit_form(form), "UNMET_FULL_SCORE")
    assert len(found) == 1 and found[0]["expected"] is None and "不断提升" in found[0]["message"]


def test_cost_overrun_by_group_and_by_money_per_unit(clean):
    cost_row = _edit(clean["机关服务费"], "indicators[5].target", "≤500元/人天")  # 成本指标 row
    assert _of(_audit_form(_edit(cost_row, "indicators[5].actual", "480元/人天")), "COST_OVERRUN") == []
    found = _of(_audit_form(_edit(cost_row, "indicators[5].actual", "620元/人天")), "COST_OVERRUN")
    assert len(found) == 1
    assert (found[0]["found"], found[0]["expected"], found[0]["indicator"]) == ("620元/人天", "≤500元/人天", "相关支出标准符合财政规定")
    # A money-per-unit target is a cost wherever it sits; 万元 converts to 元 without a unit mismatch.
    per_item = _edit(clean["杰出人才奖励经费"], "indicators[0].target", "461100元/项")
    over = _audit_form(_edit(per_item, "indicators[0].actual", "50万元/项"))
    assert len(_of(over, "COST_OVERRUN")) == 1 and _of(over, "UNIT_MISMATCH") == []
    under = _audit_form(_edit(per_item, "indicators[0].actual", "46万元/项"))
    assert _of(under, "COST_OVERRUN") == [] and _of(under, "TARGET_FAR_EXCEEDED") == []


def test_unit_mismatch_people_against_person_times(clean):
    form = _edit(clean["省部属及市属单位引才奖励经费"], "indicators[0].actual", "6人次")
    found = _of(_audit_form(form), "UNIT_MISMATCH")
    assert len(found) == 1
    assert (found[0]["found"], found[0]["expected"], found[0]["field"]) == ("人次", "人", "indicators[0].actual")
    same_unit = _edit(clean["省部属及市属单位引才奖励经费"], "indicators[0].actual", "6名")  # 名 is 人
    assert _of(_audit_form(same_unit), "UNIT_MISMATCH") == []
    assert _of(_audit_form(clean["重点人才工作保障经费"]), "UNIT_MISMATCH") == []  # 30名左右 / 72人


def test_score_not_proportional_fires_on_an_edited_score_and_respects_the_tolerance(clean):
    assert _of(_audit_form(clean["基层党建经费"]), "SCORE_NOT_PROPORTIONAL") == []  # 18 and 13.5 are proportional
    form = _edit(clean["基层党建经费"], "indicators[1].score", 10.0, "10")
    found = _of(_audit_form(form), "SCORE_NOT_PROPORTIONAL")
    assert len(found) == 1 and (found[0]["found"], found[0]["expected"]) == ("10", "13.5")
    assert _of(_audit_form(form, proportional_tolerance=4), "SCORE_NOT_PROPORTIONAL") == []
    # A met target scored below its weight is judgement, not a formula.
    assert _of(_audit_form(clean["人才工作信息化建设（教学视频）"]), "SCORE_NOT_PROPORTIONAL") == []


def test_target_far_exceeded_on_counts_not_rates(clean):
    found = _of(_audit_form(clean["重点人才工作保障经费"]), "TARGET_FAR_EXCEEDED")
    assert [(f["indicator"], f["found"], f["severity"]) for f in found] == [("证券相关领域人才引进情况", "30名左右", "info")]
    assert "2.4×" in found[0]["message"]
    assert _of(_audit_form(clean["重点人才工作保障经费"], far_exceeded_ratio=3), "TARGET_FAR_EXCEEDED") == []
    assert _of(_audit_form(clean["杰出人才奖励经费"]), "TARGET_FAR_EXCEEDED") == []  # 10 of 8左右
    low_rate = _edit(clean["杰出人才奖励经费"], "indicators[4].target", "≥60%")  # 100% of ≥60%
    assert _of(_audit_form(low_rate), "TARGET_FAR_EXCEEDED") == []
    def exceeded(form: dict) -> list[str]:
        return [f["indicator"] for f in _of(_audit_form(form), "TARGET_FAR_EXCEEDED")]

    assert "选调生考试录用人数" not in exceeded(clean["公务员管理工作经费"])  # 354 of 300-400(人)
    ranged = _edit(clean["公务员管理工作经费"], "indicators[2].actual", "620人")  # 1.55× the top
    assert exceeded(ranged) == ["选调生考试录用人数", *exceeded(clean["公务员管理工作经费"])]


def test_non_quantified_target_only_for_targets_without_number_date_or_yes_no(clean):
    found = _of(_audit_form(clean["杰出人才奖励经费"]), "NON_QUANTIFIED_TARGET")
    assert [(f["indicator"], f["found"]) for f in found] == [("人才经费发放及时性", "按时拨付"), ("社会经济效益提升", "不断提升")]
    assert {f["severity"] for f in found} == {"info"}
    shanghai = _of(_audit_form(clean["信息化建设项目"]), "NON_QUANTIFIED_TARGET")  # 是, ≤15(%), 1小时内响应…
    assert shanghai == []
    dated = _edit(clean["杰出人才奖励经费"], "indicators[2].target", "12月底前")
    assert "人才经费发放及时性" not in [f["indicator"] for f in _of(_audit_form(dated), "NON_QUANTIFIED_TARGET")]


def test_blank_actual_is_unreadable_and_names_the_blocked_rules(clean):
    form = _edit(clean["省部属及市属单位引才奖励经费"], "indicators[0].actual", None, "")
    findings = _audit_form(form)
    blocked = [f for f in _of(findings, "UNREADABLE_VALUE") if f["field"] == "indicators[0].actual"]
    assert len(blocked) == 1 and blocked[0]["severity"] == "review"
    assert "UNMET_FULL_SCORE" in blocked[0]["message"] and blocked[0]["indicator"] == "国家级引才计划人才入选到位数"
    assert [f for f in findings if f["indicator"] == "国家级引才计划人才入选到位数" and f["rule"] != "UNREADABLE_VALUE"] == []


def test_worded_actual_for_a_number_is_unreadable_but_a_worded_pair_is_not(clean):
    form = _edit(clean["省部属及市属单位引才奖励经费"], "indicators[0].actual", "较好")
    found = [f for f in _of(_audit_form(form), "UNREADABLE_VALUE") if f["field"] == "indicators[0].actual"]
    assert len(found) == 1 and found[0]["found"] == "较好" and "=6人" in found[0]["message"]
    assert _of(_audit_form(clean["公务员管理工作经费"]), "UNREADABLE_VALUE") == []  # 适合 / 适合, 及时 / 及时


def test_low_confidence_input_turns_the_finding_into_review(clean):
    form = _edit(clean["基层党建经费"], "indicators[0].score", 20.0, "20")
    form["cells"]["indicators[0].actual"]["confidence"] = 0.4
    found = _of(_audit_form(form), "UNMET_FULL_SCORE")
    assert found[0]["severity"] == "review" and found[0]["expected"] == "18"
    assert _of(_audit_form(form, confidence_threshold=0.3), "UNMET_FULL_SCORE")[0]["severity"] == "warning"


def test_each_printed_target_and_actual_is_parsed_once(clean, monkeypatch):
    """Thirteen checks read the same rows: the parse must not run once per check."""
    calls: list[str] = []
    real = readings.parse_value

    def counting(text):
        calls.append(text)
        return real(text)

    readings.compared.cache_clear()
    readings.parsed.cache_clear()
    monkeypatch.setattr(readings, "parse_value", counting)
    form = clean["公务员管理工作经费"]
    _audit_form(form)
    texts = {i["target"] for i in form["indicators"]} | {i["actual"] for i in form["indicators"]}
    assert len(calls) == len(set(calls)) and set(calls) <= texts
    calls.clear()
    _audit_form(form)
    assert calls == [], "a second form printing the same cells reuses their parse"
    readings.compared.cache_clear()
    readings.parsed.cache_clear()
