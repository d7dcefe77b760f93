"""Across-document rules on the Ningbo seeds (000: summary + 27 forms, 001: targets table).

Each rule fires on an edited copy and keeps quiet on the published documents, which agree
with one another wherever a finance reviewer would expect them to.
"""
from __future__ import annotations

import copy

import pytest

from audit.config import AuditConfig
from audit.engine import Batch, audit_results
from audit.findings import Finding, FormView
from audit.rules.documents import across_documents
from tests.work import calls

RULES = ("SUMMARY_MISMATCH", "SUMMARY_WITHOUT_FORM", "FORM_NOT_IN_SUMMARY", "TARGET_CHANGED",
         "INITIAL_BUDGET_MISMATCH", "INDICATOR_ADDED", "INDICATOR_DROPPED", "DUPLICATE_FORM")


@pytest.fixture
def ningbo(seed_results) -> tuple[dict, dict]:
    """Editable copies of seed 000 and 001, without the raw grids no rule reads."""
    return tuple(copy.deepcopy({k: v for k, v in seed_results[s].items() if k != "tables"}) for s in ("000", "001"))


def _audit(*results: dict, threshold: float = 0.8) -> list[Finding]:
    run = audit_results(results, AuditConfig(confidence_threshold=threshold))
    return [f for f in run.findings if f.rule in RULES]


def _of(findings: list[Finding], rule: str, project: str | None = None) -> list[Finding]:
    return [f for f in findings if f.rule == rule and (project is None or f.project == project)]


def _forms(result: dict, project: str) -> list[dict]:
    return [f for f in result["forms"] if f["kind"] == "self_evaluation" and f["project"] == project]


def _row(table: dict, project: str, nth: int = 0) -> tuple[int, dict]:
    return [(i, r) for i, r in enumerate(table["rows"]) if r["project"] == project][nth]


def _set(form: dict, path: str, value, confidence: float | None = None) -> None:
    """Change one value in place, and its printed text as the extractor would record it."""
    node, parts = form, path.replace("]", "").split(".")
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        node = node[name][int(index)] if index else node[name]
    node[parts[-1]] = value
    cell = form.setdefault("cells", {}).setdefault(path, {"page": 1, "bbox": None, "confidence": 1.0})
    cell["text"] = str(value)
    if confidence is not None:
        cell["confidence"] = confidence


def _summary(r000: dict) -> dict:
    return next(f for f in r000["forms"] if f["kind"] == "summary")


def _targets(r001: dict) -> dict:
    return r001["forms"][0]


# --- the seeds as published ----------------------------------------------------------------

def test_seeds_raise_no_error_and_the_summary_agrees_with_every_form(seed_results):
    findings = _audit(seed_results["000"], seed_results["001"])
    assert [f for f in findings if f.severity == "error"] == []
    for rule in ("SUMMARY_MISMATCH", "SUMMARY_WITHOUT_FORM", "FORM_NOT_IN_SUMMARY", "INITIAL_BUDGET_MISMATCH",
                 "DUPLICATE_FORM"):
        assert _of(findings, rule) == [], rule


@pytest.mark.parametrize("project, indicator, found, expected", [
    ("干部专项考察及干部慰问经费", "全年慰问人数", "≥4人", "=45人"),
    ("干部专项考察及干部慰问经费", "干部专项考察活动", "≥5个", "=4个"),
    ("组织工作大型会议及培训经费", "会议次数", "≥4次", "=1次"),
    ("组织工作大型会议及培训经费", "培训班次", "≥2次", "=1次"),
    ("挂职干部及公务员遴选工作经费", "遴选公务员数量", "≥95人", "=30人"),
])
def test_target_changed_on_the_seeds(seed_results, project, indicator, found, expected):
    hits = [f for f in _of(_audit(seed_results["000"], seed_results["001"]), "TARGET_CHANGED", project)
            if f.indicator == indicator]
    assert len(hits) == 1
    form = _forms(seed_results["000"], project)[0]
    index = [i["name"] for i in form["indicators"]].index(indicator)
    assert (hits[0].severity, hits[0].field, hits[0].found, hits[0].expected) == (
        "warning", f"indicators[{index}].target", found, expected)
    assert hits[0].department == "中共宁波市委组织部" and hits[0].page == form["pages"][0]


def test_target_changed_shows_a_fuzzy_indicator_match(seed_results):
    hit = [f for f in _of(_audit(seed_results["000"], seed_results["001"]), "TARGET_CHANGED", "公务员工作经费")]
    assert [(f.indicator, f.found, f.expected) for f in hit] == [("完成优秀公务员健康疗休养", "≥4批", "=2批")]
    assert "matched 目标 “优秀公务员健康疗养” to 自评 “完成优秀公务员健康疗休养”" in hit[0].message


def test_same_targets_printed_differently_are_no_change(seed_results):
    # 杰出人才奖励经费: "100%" vs op "=", unit "%", value "100%"; the truncated
    # "人才科技周项目经费支出及" vs "…及时率"; twins "人才工作考核先进区县" told apart by target.
    findings = _audit(seed_results["000"], seed_results["001"])
    for project in ("杰出人才奖励经费", "中国浙江·宁波人才科技周", "人才工作考核先进奖励经费", "国外培训班"):
        assert _of(findings, "TARGET_CHANGED", project) == [], project
        assert _of(findings, "INDICATOR_DROPPED", project) == [], project


def test_two_projects_of_one_name_are_told_apart_by_their_figures(seed_results):
    # Two units each run a 设备购置经费 (budgets 24 and 5): the summary lists both with their
    # codes, the targets table both; each form must meet its own row, not its twin's.
    run = audit_results([seed_results["000"], seed_results["001"]])
    dropped = _of(run.findings, "INDICATOR_DROPPED", "设备购置经费")
    assert {(f.indicator, run.form_of(f).get("funds.rows.total.initial")) for f in dropped} == {
        ("复印机购置数量", 24.0), ("购档案推车数量", 5.0), ("购净化器数量", 5.0)}


# --- SUMMARY_MISMATCH ----------------------------------------------------------------------

def test_summary_mismatch_points_at_the_summary_row(ningbo):
    r000, _ = ningbo
    i, _ = _row(_summary(r000), "公务员工作经费")
    _set(_summary(r000), f"rows[{i}].executed", 140.37)
    hits = _of(_audit(r000), "SUMMARY_MISMATCH")
    assert [(f.severity, f.field, f.found, f.expected) for f in hits] == [
        ("error", f"rows[{i}].executed", "140.37", "150.37")]
    assert (hits[0].project, hits[0].department) == ("公务员工作经费", "中共宁波市委组织部")
    assert hits[0].form == next(v.index for v in audit_results([r000]).forms if v.form["kind"] == "summary")


def test_summary_mismatch_compares_rate_and_grade(ningbo):
    r000, _ = ningbo
    summary = _summary(r000)
    i, _ = _row(summary, "干部人事档案整理经费")
    _set(summary, f"rows[{i}].rate", "89%")  # 53.1 / 60 = 88.5%: "88%" or "89%" are both right
    _set(summary, f"rows[{i}].grade", "良")
    j, _ = _row(summary, "信息化运维经费")
    _set(summary, f"rows[{j}].rate", "35%")
    fields = {(f.field, f.found) for f in _of(_audit(r000), "SUMMARY_MISMATCH")}
    assert fields == {(f"rows[{i}].grade", "良"), (f"rows[{j}].rate", "35%")}


def test_summary_rate_at_a_different_precision_agrees(ningbo):
    r000, _ = ningbo
    i, _ = _row(_summary(r000), "公务员工作经费")
    _set(_summary(r000), f"rows[{i}].rate", "99.58%")  # the form prints "99%" for 150.37 / 151
    _set(_summary(r000), f"rows[{i}].adjusted", 151.004)  # "151.0" on the form: equal at its precision
    assert _of(_audit(r000), "SUMMARY_MISMATCH") == []


def test_summary_mismatch_read_unsure_is_review(ningbo):
    r000, _ = ningbo
    i, _ = _row(_summary(r000), "基层党建经费")
    _set(_summary(r000), f"rows[{i}].adjusted", 188.9, confidence=0.4)
    assert [f.severity for f in _of(_audit(r000), "SUMMARY_MISMATCH")] == ["review"]


# --- SUMMARY_WITHOUT_FORM / FORM_NOT_IN_SUMMARY ---------------------------------------------

def test_summary_without_form(ningbo):
    r000, _ = ningbo
    r000["forms"] = [f for f in r000["forms"] if f.get("project") != "国外培训班"]
    hits = _of(_audit(r000), "SUMMARY_WITHOUT_FORM")
    i, _ = _row(_summary(r000), "国外培训班")
    assert [(f.severity, f.field, f.project) for f in hits] == [("warning", f"rows[{i}].project", "国外培训班")]


def test_a_summary_alone_reports_no_missing_forms(ningbo):
    r000, r001 = ningbo
    r000["forms"] = [_summary(r000)]
    assert _audit(r000) == []
    assert _audit(r000, r001) == []


def test_form_not_in_summary(ningbo):
    r000, _ = ningbo
    summary = _summary(r000)
    summary["rows"] = [r for r in summary["rows"] if r["project"] != "人才大使经费"]
    hits = _of(_audit(r000), "FORM_NOT_IN_SUMMARY")
    assert [(f.severity, f.project, f.field) for f in hits] == [("warning", "人才大使经费", "project")]


def test_form_of_another_department_or_year_is_not_held_to_the_summary(ningbo, seed_results):
    r000, _ = ningbo
    _summary(r000)["year"] = 2022
    assert _of(_audit(r000), "FORM_NOT_IN_SUMMARY") == []
    assert _of(_audit(seed_results["000"], seed_results["003"]), "FORM_NOT_IN_SUMMARY") == []  # Shanghai


def test_project_names_match_across_bracket_and_punctuation_variants(ningbo):
    r000, _ = ningbo
    _forms(r000, "人才工作信息化建设（教学视频）")[0]["project"] = "人才工作信息化建设【教学视频】"
    _forms(r000, "中国浙江·宁波人才科技周")[0]["project"] = "中国浙江・宁波人才科技周"
    _forms(r000, "国外培训班")[0]["project"] = "国外培训班项目"
    _set(_summary(r000), "rows[0].grade", "良")  # a mismatch, to see how the pair is described
    findings = _audit(r000)
    assert not {"SUMMARY_WITHOUT_FORM", "FORM_NOT_IN_SUMMARY"} & {f.rule for f in findings}
    assert [f.field for f in _of(findings, "SUMMARY_MISMATCH")] == ["rows[0].grade"]
    assert "matched" not in _of(findings, "SUMMARY_MISMATCH")[0].message


def test_a_misspelt_project_is_paired_by_its_figures_and_the_match_shown(ningbo):
    r000, _ = ningbo
    _forms(r000, "干部专项考察及干部慰问经费")[0]["project"] = "干部专项考察和干部慰问经费"
    i, _ = _row(_summary(r000), "干部专项考察及干部慰问经费")
    _set(_summary(r000), f"rows[{i}].grade", "良")
    hits = _audit(r000)
    hits = [f for f in hits if f.rule != "INDICATOR_ADDED"]
    assert [(f.rule, f.field) for f in hits] == [("SUMMARY_MISMATCH", f"rows[{i}].grade")]
    assert "matched 汇总 “干部专项考察及干部慰问经费” to 自评 “干部专项考察和干部慰问经费”" in hits[0].message


def test_project_code_pairs_a_renamed_form_and_keeps_two_codes_apart(ningbo):
    r000, _ = ningbo
    summary = _summary(r000)
    _, row = _row(summary, "国外培训班")
    _forms(r000, "国外培训班")[0].update(project="境外培训项目", code=row["code"])  # reworded name, same code
    assert not {"SUMMARY_WITHOUT_FORM", "FORM_NOT_IN_SUMMARY"} & {f.rule for f in _audit(r000)}
    i, _ = _row(summary, "人才大使经费")
    _forms(r000, "人才大使经费")[0]["code"] = "330200203069089999999"  # the name's, not the row's code
    hits = _of(_audit(r000), "SUMMARY_WITHOUT_FORM")
    assert [f.field for f in hits] == [f"rows[{i}].project"]


def test_forms_without_department_still_meet_their_summary_and_targets(ningbo):
    r000, r001 = ningbo
    for form in r000["forms"]:
        if form["kind"] == "self_evaluation":
            form["department"] = None
    findings = _audit(r000, r001)
    assert len(_of(findings, "TARGET_CHANGED")) == 8
    assert not {"SUMMARY_WITHOUT_FORM", "FORM_NOT_IN_SUMMARY", "SUMMARY_MISMATCH"} & {f.rule for f in findings}


# --- targets tables --------------------------------------------------------------------------

def test_target_changed_fires_on_operator_and_keeps_quiet_on_printing(ningbo):
    r000, r001 = ningbo
    _, row = _row(_targets(r001), "杰出人才奖励经费")
    satisfaction = next(i for i in row["indicators"] if i["name"] == "入选人才满意度")
    satisfaction.update(op="≥", unit="%", value="90")  # form: "≥90%"
    assert _of(_audit(r000, r001), "TARGET_CHANGED", "杰出人才奖励经费") == []
    satisfaction.update(op="=")
    hits = _of(_audit(r000, r001), "TARGET_CHANGED", "杰出人才奖励经费")
    assert [(f.indicator, f.found, f.expected) for f in hits] == [("入选人才满意度", "≥90%", "=90%")]


def test_target_changed_read_unsure_is_review(ningbo):
    r000, r001 = ningbo
    i, row = _row(_targets(r001), "挂职干部及公务员遴选工作经费")
    k = [x["name"] for x in row["indicators"]].index("遴选公务员数量")
    _targets(r001)["cells"][f"rows[{i}].indicators[{k}].value"]["confidence"] = 0.5
    hits = [f for f in _of(_audit(r000, r001), "TARGET_CHANGED") if f.indicator == "遴选公务员数量"]
    assert [f.severity for f in hits] == ["review"]


def test_initial_budget_mismatch(ningbo):
    r000, r001 = ningbo
    i, _ = _row(_targets(r001), "人才大使经费")
    _set(_targets(r001), f"rows[{i}].budget", 45)
    hits = _of(_audit(r000, r001), "INITIAL_BUDGET_MISMATCH")
    assert [(f.severity, f.project, f.field, f.found, f.expected) for f in hits] == [
        ("warning", "人才大使经费", "funds.rows.total.initial", "40.0", "45")]


def test_initial_budget_in_another_unit_is_converted(ningbo):
    r000, r001 = ningbo
    table = _targets(r001)
    table["unit"] = "元"
    for i, row in enumerate(table["rows"]):
        _set(table, f"rows[{i}].budget", int(row["budget"] * 10000))
    assert _of(_audit(r000, r001), "INITIAL_BUDGET_MISMATCH") == []


def test_indicator_dropped_and_added(seed_results):
    findings = _audit(seed_results["000"], seed_results["001"])
    dropped = _of(findings, "INDICATOR_DROPPED", "信息网络购建及改造经费")
    added = _of(findings, "INDICATOR_ADDED", "信息网络购建及改造经费")
    assert [(f.severity, f.indicator, f.expected, f.field) for f in dropped] == [
        ("warning", "系统等保测评", "=1个", "indicators")]
    assert [(f.severity, f.indicator, f.found, f.field) for f in added] == [
        ("info", "大组工网安全设备购置", "≥2个", "indicators[2].target")]


def test_indicator_added_when_marked_self_added_even_without_targets(ningbo):
    r000, _ = ningbo
    hits = _of(_audit(r000), "INDICATOR_ADDED")
    assert {(f.project, f.indicator) for f in hits} == {
        ("人才工作考核先进奖励经费", "区县市人员满意度"), ("主题教育专班设备购置经费", None)}
    assert "all 7 indicators are marked 自评新增" in _of(hits, "INDICATOR_ADDED", "主题教育专班设备购置经费")[0].message
    for form in r000["forms"]:
        for ind in form.get("indicators") or []:
            ind["self_added"] = False
    assert _of(_audit(r000), "INDICATOR_ADDED") == []


def test_an_unread_indicator_table_drops_nothing(ningbo):
    r000, r001 = ningbo
    _forms(r000, "人才大使经费")[0]["indicators"] = []
    assert _of(_audit(r000, r001), "INDICATOR_DROPPED", "人才大使经费") == []


def test_targets_table_of_another_department_is_not_compared(ningbo):
    r000, r001 = ningbo
    _targets(r001)["department"] = "中共上海市委组织部"
    assert _audit(r000, r001) == _audit(r000)


def test_targets_table_alone_and_with_unrelated_forms(seed_results):
    assert _audit(seed_results["001"]) == []
    assert _audit(seed_results["001"], seed_results["003"]) == []


# --- DUPLICATE_FORM ----------------------------------------------------------------------------

def test_duplicate_form_with_different_figures(ningbo):
    r000, _ = ningbo
    again = copy.deepcopy(_forms(r000, "人才大使经费")[0])
    _set(again, "funds.rows.total.executed", 38.0)
    hits = _of(_audit(r000, {"source": "later.pdf", "forms": [again]}), "DUPLICATE_FORM")
    assert [(f.severity, f.source, f.field, f.found, f.expected) for f in hits] == [
        ("warning", "later.pdf", "funds.rows.total.executed", "38.0", "40.0")]


def test_the_same_form_twice_is_no_duplicate_finding(ningbo):
    r000, _ = ningbo
    again = copy.deepcopy(_forms(r000, "人才大使经费")[0])
    assert _of(_audit(r000, {"source": "again.pdf", "forms": [again]}), "DUPLICATE_FORM") == []


def test_two_projects_of_one_name_are_duplicates_only_when_no_list_tells_them_apart(ningbo):
    r000, r001 = ningbo
    assert _of(_audit(r000), "DUPLICATE_FORM") == []  # the summary lists 设备购置经费 twice
    r000["forms"] = [f for f in r000["forms"] if f["kind"] != "summary"]
    assert _of(_audit(r000, r001), "DUPLICATE_FORM") == []  # so does the targets table
    hits = _of(_audit(r000), "DUPLICATE_FORM")
    assert [(f.project, f.field) for f in hits] == [("设备购置经费", "funds.rows.total.initial")]


# --- work ---------------------------------------------------------------------------------------

def test_forms_are_matched_across_documents_in_linear_work(seed_results):
    """Departments each with the Ningbo summary, targets table and 27 forms: ten times the
    departments (to 10 000 forms) take about ten times the calls; matching each form against
    every other would take a hundred."""
    config = AuditConfig()

    def batch(departments: int) -> Batch:
        results = []
        for k in range(departments):
            dept = f"部门{k}"
            forms = [dict(f, department=dept) for f in seed_results["000"]["forms"]]
            targets = [dict(f, department=dept) for f in seed_results["001"]["forms"]]
            results += [{"source": f"{k}.pdf", "forms": forms}, {"source": f"{k}t.pdf", "forms": targets}]
        views = [FormView(f, r["source"], config, n) for n, (r, f) in
                 enumerate((r, f) for r in results for f in r["forms"])]
        return Batch(results, views, config)

    work = {}
    for departments in (37, 370):
        b, found = batch(departments), []
        work[departments] = calls(lambda: found.extend(across_documents(b)))
        assert len(_of(found, "TARGET_CHANGED")) == departments * 8
    assert work[370] < 10 * 1.3 * work[37], work


def test_the_same_documents_twice_are_no_duplicates(seed_results):
    """One department's file sent as PDF and as xlsx: its two same-named projects stay two projects."""

    again = copy.deepcopy(seed_results["000"])
    again["source"] = "again.xlsx"
    findings = audit_results([seed_results["000"], again]).findings
    assert [f for f in findings if f.rule == "DUPLICATE_FORM"] == []
    changed = copy.deepcopy(again)
    form = next(f for f in changed["forms"] if f.get("project") == "杰出人才奖励经费")
    form["funds"]["rows"]["total"]["executed"] = 999.0
    form["cells"]["funds.rows.total.executed"]["text"] = "999.0"
    dup = [f for f in audit_results([seed_results["000"], changed]).findings if f.rule == "DUPLICATE_FORM"]
    assert [(f.project, f.found) for f in dup] == [("杰出人才奖励经费", "999.0")]
