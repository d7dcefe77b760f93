"""audit.matching and audit.target_match: name keys, fuzzy scores, one-to-one assignment and target equivalence."""
from __future__ import annotations

import pytest

from audit.matching import THRESHOLD, Departments, NameIndex, greedy, loose_key, match_names, name_key, similarity
from audit.target_match import show_target, targets_agree


@pytest.mark.parametrize("a, b", [
    ("人才工作信息化建设（教学视频）", "人才工作信息化建设【教学视频】"),
    ("人才工作信息化建设（教学视频）", "人才工作信息化建设 (教学视频)"),
    ("中国浙江·宁波人才科技周", "中国浙江・宁波人才科技周"),
    ("中国浙江·宁波人才科技周", "中国浙江宁波人才科技周"),
    ("ＡＢＣ系统运维", "ABC系统运维"),
])
def test_name_key_ignores_width_bracket_shape_and_punctuation(a, b):
    assert name_key(a) == name_key(b)


def test_name_key_keeps_what_tells_projects_apart():
    # The bracketed qualifier is a separate project in the Ningbo summary (出国经费).
    assert name_key("人才工作重大宣传及活动经费（出国经费）") != name_key("人才工作重大宣传及活动经费")


@pytest.mark.parametrize("printed", ["信息化建设项目", "信息化建设项目经费", "信息化建设经费", "2023年度信息化建设"])
def test_loose_key_drops_year_and_trailing_funding_words(printed):
    assert loose_key(printed) == "信息化建设"


def test_loose_key_leaves_a_name_that_would_vanish():
    assert loose_key("项目经费") == "项目"
    assert loose_key("机关服务费") == "机关服务费"


@pytest.mark.parametrize("a, b", [
    ("优秀公务员健康疗养", "完成优秀公务员健康疗休养"),  # reworded around the same words
    ("人才科技周项目经费支出及时率", "人才科技周项目经费支出及"),  # truncated by its cell
    ("党组织履盖率", "党组织覆盖率"),  # a typo
    ("人才工作考核先进区县（市）、开发区银奖评定数", "人才工作考核先进区县"),
])
def test_similar_indicator_names_reach_the_threshold(a, b):
    assert similarity(name_key(a), name_key(b)) >= THRESHOLD


@pytest.mark.parametrize("a, b", [
    ("接受市外挂职干部数量", "选派援外干部数量"),  # receiving vs sending cadres
    ("校核档案数量", "整卷档案整理及数字化数量"),
    ("购档案推车数量", "购干部档案相关加密软件数量"),
])
def test_different_indicators_stay_below_the_threshold(a, b):
    assert similarity(name_key(a), name_key(b)) < THRESHOLD


def test_greedy_is_one_to_one_and_best_first():
    pairs = greedy([(0.9, 0, 0, 0), (0.95, 0, 1, 0), (0.7, 0, 0, 1)])
    assert [(q.left, q.right) for q in pairs] == [(0, 1), (1, 0)]


def test_match_names_exact_first_then_fuzzy_and_marks_which():
    pairs = match_names(["满意率", "优秀公务员健康疗养", "复印机购置数量"], ["完成优秀公务员健康疗休养", "满意率", "会议室办公家具"])
    assert [(q.left, q.right, q.exact) for q in pairs] == [(0, 1, True), (1, 0, False)]


def test_match_names_breaks_ties_by_the_tie_function():
    # Ningbo prints two indicators truncated to the same "人才工作考核先进区县" (=2个 and =3个):
    # only their targets tell which of 银奖 (=2) and 铜奖 (=3) each one is.
    set_names = ["人才工作考核先进区县（市）、开发区银奖评定数", "人才工作考核先进区县（市）、开发区铜奖评定数"]
    set_targets = ["2", "3"]
    own_targets = ["=3个", "=2个"]
    pairs = match_names(set_names, ["人才工作考核先进区县", "人才工作考核先进区县"],
                        tie=lambda a, b: float(targets_agree("=", "个", set_targets[a], own_targets[b]) is True))
    assert [(q.left, q.right) for q in pairs] == [(0, 1), (1, 0)]


def test_name_index_prefers_the_exact_key_over_the_loose_one():
    index: NameIndex[str] = NameIndex()
    index.add("信息化建设项目", "a")
    index.add("信息化建设", "b")
    assert index.lookup("信息化建设项目") == ["a"]
    assert index.lookup("信息化建设项目经费") == ["a", "b"]  # only the loose key fits: both
    assert "信息化运维" not in index


def test_departments_resolve_a_shorter_print_to_the_forms_spelling():
    depts = Departments(["中共宁波市委组织部", "中共上海市委组织部"])
    assert depts.resolve("宁波市委组织部") == name_key("中共宁波市委组织部")
    assert depts.resolve("市委组织部") == "市委组织部"  # contained in both: left alone
    assert depts.resolve(None) is None


@pytest.mark.parametrize("op, unit, value, printed", [
    ("≥", "%", "90", "≥90%"),
    ("=", "%", "100%", "100%"),  # the form leaves out the operator
    ("=", "人", "45", "=45人"),
    ("=", "人", "30名左右", "30名左右"),  # 名 is the classifier of 人
    ("=", "人次", "6个左右", "=6个左右人次"),
    ("≤", "元", "461100", "≤46.11万元"),  # converted, not compared as printed
    (None, "人", "300-400", "300-400(人)"),
    ("≥", "%", "不断提升", "不断提升"),
    ("≥", "人", "根据实际活动要求确定", "根据实际活动要求确定人"),
    (None, "不断提升", "中央、省市媒体报道", "中央、省市媒体报道"),
])
def test_the_same_target_printed_differently_agrees(op, unit, value, printed):
    assert targets_agree(op, unit, value, printed) is True


@pytest.mark.parametrize("op, unit, value, printed", [
    ("=", "人", "45", "≥4人"),
    ("=", "个", "4", "≥4个"),  # operator only
    ("=", "人", "30", "=31人"),  # number only
    ("=", "台", "5", "=5套"),  # unit only
    ("=", "个", "8", "8个左右"),  # approximation
    ("=", "有效提升", "有效提升", "不断提升"),
    ("=", "次", "根据实际情况举行", "≥4次"),
])
def test_a_changed_target_disagrees(op, unit, value, printed):
    assert targets_agree(op, unit, value, printed) is False


def test_a_blank_target_cannot_be_compared():
    assert targets_agree("=", "人", "45", "—") is None
    assert targets_agree(None, None, None, "=45人") is None


@pytest.mark.parametrize("op, unit, value, shown", [
    ("=", "人", "45", "=45人"),
    (None, "个", "8个左右", "8个左右"),
    ("≥", "%", "90%", "≥90%"),
    ("≥", "%", "不断提升", "不断提升"),
    ("=", "有效提升", "", "有效提升"),
])
def test_show_target_prints_a_table_row_as_a_form_would(op, unit, value, shown):
    assert show_target({"op": op, "unit": unit, "value": value}) == shown
