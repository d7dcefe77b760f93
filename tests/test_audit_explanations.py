"""Explanations and execution (audit/rules/explanations.py): the seeds' findings named in the
acceptance list, and each rule firing on an edited seed form and quiet on a clean one."""
from __future__ import annotations

import copy

from tests.audit_support import audit_form as _audit_form, edit as _edit, of_rule as _of


def test_seed_funds_unexplained(seed_findings):
    found = _of(seed_findings, "FUNDS_UNEXPLAINED")
    rates = {f["project"]: f["message"].split(" ")[1] for f in found}
    assert rates == {"人才工作大型会议及培训经费": "49%", "人才工作信息化建设（教学视频）": "66%",
                     "挂职干部及公务员遴选工作经费": "79%"}
    assert {(f["field"], f["severity"]) for f in found} == {("funds.explanation", "warning")}
    assert any("41.2 / 82.5 = 49.94%" in f["message"] for f in found)


def test_seed_missing_explanation_and_the_neighbouring_row(seed_findings):
    found = {(f["project"], f["indicator"]): f for f in _of(seed_findings, "MISSING_EXPLANATION")}
    assert set(found) == {("组织工作大型会议及培训经费", "培训班次"), ("人才工作信息运行维护经费", "社会经济效益提升率")}
    training = found[("组织工作大型会议及培训经费", "培训班次")]
    assert "10 of 20" in training["message"] and "neighbouring row 会议次数" in training["message"]
    assert "按当年实际需求开展培训" in training["message"] and training["field"] == "indicators[1].explanation"
    upkeep = found[("人才工作信息运行维护经费", "社会经济效益提升率")]
    assert "20 of 30" in upkeep["message"] and "neighbouring" not in upkeep["message"]


def test_seed_low_execution_high_grade(seed_findings):
    found = _of(seed_findings, "LOW_EXECUTION_HIGH_GRADE")
    assert {(f["project"], f["message"].split(" ")[1], f["found"]) for f in found} == {
        ("信息化运维经费", "33%", "优"), ("人才工作考核先进奖励经费", "53%", "优")}
    assert {f["field"] for f in found} == {"grade"}


def test_seeds_give_no_contradiction_no_overspend_and_no_idle_budget(seed_findings):
    for rule in ("CONTRADICTORY_EXPLANATION", "SPENT_NOTHING_FULL_OUTPUT", "COST_OVERRUN", "UNIT_MISMATCH",
                 "UNMET_FULL_SCORE"):
        assert _of(seed_findings, rule) == [], rule


def test_funds_unexplained_needs_the_column_and_a_blank_cell(clean):
    assert _of(_audit_form(clean["干部人事档案整理经费"]), "FUNDS_UNEXPLAINED") == []  # 88%, explained
    blanked = _edit(clean["干部人事档案整理经费"], "funds.explanation", None, "")
    assert len(_of(_audit_form(blanked), "FUNDS_UNEXPLAINED")) == 1
    no_column = _edit(clean["党组织建设和党员教育管理工作经费"], "funds.rows.total.executed", 100.0)  # 32%, Shanghai
    assert _of(_audit_form(no_column), "FUNDS_UNEXPLAINED") == []
    assert _of(_audit_form(clean["国外培训班"]), "FUNDS_UNEXPLAINED") == []  # budget 0: nothing left unspent


def test_funds_unexplained_threshold_is_configurable(clean):
    assert len(_of(_audit_form(clean["挂职干部及公务员遴选工作经费"]), "FUNDS_UNEXPLAINED")) == 1  # 79.96%
    assert _of(_audit_form(clean["挂职干部及公务员遴选工作经费"], funds_explanation_rate=75), "FUNDS_UNEXPLAINED") == []
    assert "below 75%" in _of(_audit_form(clean["人才工作大型会议及培训经费"], funds_explanation_rate=75),
                              "FUNDS_UNEXPLAINED")[0]["message"]


def test_low_execution_high_grade_threshold_and_grade_from_the_total(clean):
    assert _of(_audit_form(clean["信息化运维经费"], low_execution_rate=30), "LOW_EXECUTION_HIGH_GRADE") == []
    assert _of(_audit_form(clean["挂职干部及公务员遴选工作经费"]), "LOW_EXECUTION_HIGH_GRADE") == []  # 良
    # Shanghai prints no grade: 总分 95.68 still puts the project in 优.
    shanghai = _edit(clean["干部教育工作经费"], "funds.rows.total.executed", 500.0)
    found = _of(_audit_form(shanghai), "LOW_EXECUTION_HIGH_GRADE")
    assert len(found) == 1 and found[0]["field"] == "total_score" and "95.68" in found[0]["message"]
    assert _of(_audit_form(clean["干部教育工作经费"]), "LOW_EXECUTION_HIGH_GRADE") == []  # 96.76%


def test_missing_explanation_for_a_deducted_row_and_a_blank_written_as_wu(clean):
    assert _of(_audit_form(clean["设备购置经费"]), "MISSING_EXPLANATION") == []
    form = _edit(clean["设备购置经费"], "indicators[1].explanation", "无")
    found = _of(_audit_form(form), "MISSING_EXPLANATION")
    assert len(found) == 1 and found[0]["indicator"] == "打印机购置数量"
    # The row above explains its own miss; the message still points at it, since a merged cell
    # flattens onto its first row.
    assert "neighbouring row 电脑购置数量" in found[0]["message"]


def test_missing_explanation_for_a_missed_target_scored_in_full(clean):
    form = _edit(clean["杰出人才奖励经费"], "indicators[0].actual", "5个")
    found = _of(_audit_form(form), "MISSING_EXPLANATION")
    assert len(found) == 1 and "the target is missed" in found[0]["message"]
    assert "neighbouring" not in found[0]["message"]


def test_contradictory_explanation(clean):
    assert _of(_audit_form(clean["组织工作大型会议及培训经费"]), "CONTRADICTORY_EXPLANATION") == []
    for said in ("此项工作尚未开展", "项目取消，资金已交回财政"):
        form = _edit(clean["杰出人才奖励经费"], "indicators[0].explanation", said)
        found = _of(_audit_form(form), "CONTRADICTORY_EXPLANATION")
        assert len(found) == 1 and found[0]["found"] == said and found[0]["severity"] == "warning"
    stray = _edit(clean["组织工作大型会议及培训经费"], "indicators[0].explanation", "培训班次未完成")
    found = _of(_audit_form(stray), "CONTRADICTORY_EXPLANATION")
    assert len(found) == 1 and found[0]["indicator"] == "会议次数" and "neighbouring row 培训班次" in found[0]["message"]


def test_spent_nothing_full_output(clean):
    assert _of(_audit_form(clean["国外培训班"]), "SPENT_NOTHING_FULL_OUTPUT") == []  # nothing spent, nothing scored
    form = _edit(clean["杰出人才奖励经费"], "funds.rows.total.executed", 0.0, "0")
    found = _of(_audit_form(form), "SPENT_NOTHING_FULL_OUTPUT")
    assert len(found) == 1 and found[0]["field"] == "funds.rows.total.executed" and found[0]["found"] == "0"
    assert "3 产出指标" in found[0]["message"] and "人才经费发放及时性" in found[0]["message"]
    assert _of(_audit_form(clean["杰出人才奖励经费"]), "SPENT_NOTHING_FULL_OUTPUT") == []


def test_unreadable_rate_names_every_rule_it_blocks_once(clean):
    form = copy.deepcopy(clean["杰出人才奖励经费"])  # 优, funds 偏差原因分析 column left blank
    for key in ("adjusted", "executed", "rate"):
        form["funds"]["rows"]["total"][key] = None
    form["funds"]["rate"] = None
    blocked = [f for f in _of(_audit_form(form), "UNREADABLE_VALUE")
               if "FUNDS_UNEXPLAINED" in f["message"] or "LOW_EXECUTION_HIGH_GRADE" in f["message"]]
    assert len(blocked) == 1 and blocked[0]["field"] == "funds.rows.total.adjusted"
    assert "FUNDS_UNEXPLAINED, LOW_EXECUTION_HIGH_GRADE" in blocked[0]["message"]
    printed_only = copy.deepcopy(form)
    printed_only["funds"]["rate"] = "49%"  # a printed rate is enough
    found = _audit_form(printed_only)
    assert not [f for f in _of(found, "UNREADABLE_VALUE") if "FUNDS_UNEXPLAINED" in f["message"]]
    assert len(_of(found, "FUNDS_UNEXPLAINED")) == 1 and len(_of(found, "LOW_EXECUTION_HIGH_GRADE")) == 1


def test_low_confidence_amount_turns_funds_findings_into_review(clean):
    form = copy.deepcopy(clean["挂职干部及公务员遴选工作经费"])
    form["cells"]["funds.rows.total.executed"]["confidence"] = 0.3
    assert _of(_audit_form(form), "FUNDS_UNEXPLAINED")[0]["severity"] == "review"
    assert _of(_audit_form(form, confidence_threshold=0.2), "FUNDS_UNEXPLAINED")[0]["severity"] == "warning"
