"""The real seed exports, against expectations written by hand from the seed text."""
from __future__ import annotations

import pytest

from tests.conftest import assert_valid

# (level1, level2, name, target, actual, weight, score, explanation starts with / None)
NINGBO = {
    "杰出人才奖励经费": dict(
        funds=((800.0, 1000.0, 1000.0, "100%"), (800.0, 1000.0, 1000.0, None), (0.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None)),
        weight=10.0, rate="100%", score=10.0, explanation=None, total=100.0, grade="优",
        groups={"产出指标": 50, "效益指标": 30, "满意度指标": 10},
        goal=("2023年计划评选8名左右杰出人才", "完成杰出人才评选10名，并按时发放人才经费。"),
        indicators=[
            ("产出指标", "数量指标", "杰出人才评定数", "8个左右", "10个", 10, 10, None),
            ("产出指标", "质量指标", "人才经费发放准确性", "100%", "100%", 20, 20, None),
            ("产出指标", "时效指标", "人才经费发放及时性", "按时拨付", "按时拨付", 20, 20, None),
            ("效益指标", "经济效益", "社会经济效益提升", "不断提升", "不断提升", 30, 30, None),
            ("满意度指标", "服务对象满意度", "入选人才满意度", "≥90%", "100%", 10, 10, None),
        ],
    ),
    "基层党建经费": dict(
        funds=((168.0, 138.9, 138.9, "100%"), (168.0, 138.9, 138.9, None), (0.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None)),
        weight=10.0, rate="100%", score=10.0, explanation=None, total=91.5, grade="优",
        groups={"产出指标": 50, "效益指标": 30, "满意度指标": 10},
        goal=("根据文件要求，每年向100名市级兴村（治社）名师发放工作补贴。", "已按时支付市级兴村（治社）名师工作补贴"),
        indicators=[
            ("产出指标", "数量指标", "兴村（治社）名师数量", "=100人", "90人", 20, 18.0, "部分区县市同志不再担任"),
            ("产出指标", "数量指标", "金牌导师数量", "=40人", "27人", 20, 13.5, "根据甬组通（2022）24号"),
            ("产出指标", "质量指标", "人员合格率", "=100%", "100%", 10, 10, None),
            ("效益指标", "其他效果指标", "社会治理能力提升", "有效提升", "有效提升", 30, 30, None),
            ("满意度指标", "服务对象满意度", "满意率", "≥98%", "100%", 10, 10, None),
        ],
    ),
    "人才工作考核先进奖励经费": dict(
        funds=((170.0, 170.0, 91.2, "53%"), (170.0, 170.0, 91.2, None), (0.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None)),
        weight=10.0, rate="53%", score=5.3, explanation="根据实际评定情况进行奖励", total=95.3, grade="优",
        groups={"产出指标": 50, "效益指标": 30, "满意度指标": 10},
        goal=("根据人才工作年度考核情况进行评审奖励", "完成人才工作年度考核及评审奖励"),
        indicators=[
            ("产出指标", "数量指标", "人才工作考核先进区县（市）、开发区金奖评定数", "=1个", "1个", 20, 20, None),
            ("产出指标", "数量指标", "人才工作考核先进区县", "=2个", "2个", 10, 10, None),
            ("产出指标", "数量指标", "人才工作考核先进区县", "=3个", "3个", 10, 10, None),
            ("产出指标", "质量指标", "各地年度人才工作完成情况", "根据考核情况判断", "各地人才工作水平不断提升", 10, 10, None),
            ("效益指标", "社会效益", "社会经济效益提升率", "不断提升", "不断提升", 30, 30, None),
            ("满意度指标", "服务对象满意度", "区县市人员满意度", "≥90%", "100%", 10, 10, None),
        ],
    ),
    "组织工作大型会议及培训经费": dict(
        funds=((10.0, 10.0, 6.48, "64%"), (10.0, 10.0, 6.48, None), (0.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None)),
        weight=10.0, rate="64%", score=6.4, explanation="年初培训班支出预算5万元，实际仅产生培训租车费等支出",
        total=86.4, grade="良", groups={"产出指标": 50, "效益指标": 30, "满意度指标": 10},
        goal=("根据中组部、省委组织部要求，完成全国组织系统有关工作会议1次", "完成全市党委书记和人才工作述职评议会议"),
        indicators=[
            ("产出指标", "数量指标", "会议次数", "≥4次", "4次", 20, 20, "按当年实际需求开展培训"),
            ("产出指标", "数量指标", "培训班次", "≥2次", "1次", 20, 10, None),
            ("产出指标", "质量指标", "培训合格率", "=100%", "100%", 10, 10, None),
            ("效益指标", "其他效果指标", "提高工作效率", "有效提升", "有效提升", 30, 30, None),
            ("满意度指标", "服务对象满意度", "满意率", "≥98%", "100%", 10, 10, None),
        ],
    ),
    "国外培训班": dict(
        funds=((315.0, 0.0, 0.0, "0%"), (315.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None)),
        weight=10.0, rate="0%", score=0.0, explanation=None, total=0.0, grade="差",
        groups={"产出指标": 50, "效益指标": 30, "满意度指标": 10},
        goal=("组织安排二期市管领导干部国外培训班，每期25人。", "据上级要求，此项工作尚未开展"),
        indicators=[
            ("产出指标", "数量指标", "培训（参会）人次", "=50人", "0人", 20, 0, "根据上级要求，此项工作尚未开展"),
            ("产出指标", "数量指标", "培训班次（会议次数）", "=2次", "0次", 20, 0, "根据上级要求"),
            ("产出指标", "质量指标", "培训人员合格率", "=100%", "0%", 10, 0, "根据上级要求"),
            ("效益指标", "其他效果指标", "综合素质提升", "有效提升", "0", 30, 0, "根据上级要求"),
            ("满意度指标", "服务对象满意度", "培训（参会）人员满意度", "≥98%", "0%", 10, 0, "根据上级要求"),
        ],
    ),
    "人才工作信息化建设（教学视频）": dict(
        funds=((18.0, 18.0, 12.0, "66%"), (18.0, 18.0, 12.0, None), (0.0, 0.0, 0.0, None), (0.0, 0.0, 0.0, None)),
        weight=10.0, rate="66%", score=6.6, explanation=None, total=86.6, grade="良",
        groups={"产出指标": 50, "效益指标": 30, "满意度指标": 10},
        goal=("购置党员干部学习网课件，不断提升全市党员干部能力水平", "完成党员干部学习平台课件购置更新"),
        indicators=[
            ("产出指标", "数量指标", "系统使用率", "≥90%", "100%", 30, 30, None),
            ("产出指标", "数量指标", "新课件利用率", "≥90%", "100%", 20, 20, None),
            ("效益指标", "社会效益", "社会经济效益提升率", "不断提升", "不断提升", 10, 5, "社会经济效益有待进一步提升"),
            ("效益指标", "社会效益", "培训人员知识储备", "不断提升", "不断提升", 20, 17, "人员知识储备有待进一步提升"),
            ("满意度指标", "服务对象满意度", "使用人员满意度", "≥90%", "100%", 10, 8, "满意度有待进一步提高"),
        ],
    ),
}

SHANGHAI = {
    "干部教育工作经费": dict(
        funds=((1563.92, 1329.20, 1286.17, "96.76%"), (1563.92, 1329.20, 1286.17, "96.76%"), (0.0, 0.0, 0.0, "0.00"), (0.0, 0.0, 0.0, "0.00")),
        weight=10.0, rate="96.76%", score=9.68, explanation=None, total=95.68, grade=None, groups={},
        goal=("不断加强党的理论教育、党性教育和专业化能力培训", "不断加强党的理论教育、党性教育和专业化能力培训"),
        indicators=[
            ("产出指标", "数量指标", "领导干部外向型培训人次", "≥110(人)", "10人", 5, 1, "国家外专局尚未恢复出境培训团组申请"),
            ("产出指标", "数量指标", "领导干部专题研讨班人次", "≥800(人)", "1110人", 5, 5, None),
            ("产出指标", "数量指标", "市委党校主体班期数", "≥30(期)", "30期", 5, 5, None),
            ("产出指标", "数量指标", "东西部扶贫协作培训班人次", "≥90(人)", "150人", 5, 5, None),
            ("产出指标", "数量指标", "领导干部“2+X”专题研讨班培训人次", "≥600(人)", "1472人", 5, 5, None),
            ("产出指标", "数量指标", "市委党校主体班培训人次", "≥1400(人)", "1471人", 5, 5, None),
            ("产出指标", "质量指标", "课题评审通过率", "=100(%)", "100%", 5, 5, None),
            ("产出指标", "质量指标", "各类培训出勤率", "≥90(%)", "98%", 5, 5, None),
            ("产出指标", "时效指标", "各类培训完成及时性", "及时", "及时", 10, 10, None),
            ("效益指标", "可持续影响指标", "领导干部专业素养提升", "提升专业能力，锻炼专业作风", "提升专业能力，锻炼专业作风", 10, 10, None),
            ("效益指标", "可持续影响指标", "领导干部国际视野拓宽", "提升国际视野，强化全球思维", "提升国际视野，强化全球思维", 10, 10, None),
            ("效益指标", "可持续影响指标", "支出西部计划和新疆生产建设兵团人才培训", "提升参训西部地区干部综合能力", "提升参训西部地区干部综合能力", 5, 5, None),
            ("效益指标", "可持续影响指标", "领导干部党性修养提升", "锤炼党性修养，政治更加坚定", "锤炼党性修养，政治更加坚定", 5, 5, None),
            ("满意度指标", "服务对象满意度指标", "东西部扶贫协作培训学员满意度", "≥90(%)", "100%", 2.5, 2.5, None),
            ("满意度指标", "服务对象满意度指标", "市委党校主体班学员满意度", "≥90(%)", "98%", 2.5, 2.5, None),
            ("满意度指标", "服务对象满意度指标", "外向型培训学员满意度", "≥90(%)", "100%", 2.5, 2.5, None),
            ("满意度指标", "服务对象满意度指标", "领导干部专题研讨班学员满意度", "≥90(%)", "95%", 2.5, 2.5, None),
        ],
    ),
    "机关服务费": dict(
        funds=((276.0, 276.0, 270.62, "98.05%"), (276.0, 276.0, 270.62, "98.05%"), (0.0, 0.0, 0.0, "0.00"), (0.0, 0.0, 0.0, "0.00")),
        weight=10.0, rate="98.05%", score=9.8, explanation=None, total=99.8, grade=None, groups={},
        goal=("通过本项目的实施，保障机关的正常运行", "部机关日常运转平稳有序"),
        indicators=[
            ("产出指标", "数量指标", "后勤工作计划完成率", "=100 (%)", "100 (%)", 10, 10, None),
            ("产出指标", "数量指标", "驾驶人员到位率", "=100 (%)", "100 (%)", 10, 10, None),
            ("产出指标", "质量指标", "卫生脏乱超过1小时未清理次数", "≤5 (次)", "0次", 10, 10, None),
            ("产出指标", "时效指标", "超过规定时间维修次数", "≤5 (次)", "0次", 5, 5, None),
            ("产出指标", "时效指标", "资金拨付及时性", "按照合同规定及时拨付", "按照合同规定及时拨付", 5, 5, None),
            ("成本指标", None, "相关支出标准符合财政规定", "符合", "符合", 10, 10, None),
            ("效益指标", "社会效益指标", "公务用车保障率", "=100 (%)", "100 (%)", 20, 20, None),
            ("效益指标", "社会效益指标", "安全事故发生次数", "=0 (次)", "0 (次)", 10, 10, None),
            ("满意度指标", "服务对象满意度指标", "食堂服务满意度", "≥90 (%)", "95 (%)", 10, 10, None),
        ],
    ),
}


def _form(result: dict, project: str) -> dict:
    found = [f for f in result["forms"] if f["kind"] == "self_evaluation" and f["project"] == project]
    assert len(found) == 1, f"{project}: {len(found)} forms"
    return found[0]


def _check_form(form: dict, exp: dict, department: str, implementer) -> None:
    assert form["year"] == 2023
    assert form["department"] == department
    assert form["implementer"] == implementer
    funds = form["funds"]
    assert funds["unit"] == "万元"
    for key, (initial, adjusted, executed, rate) in zip(("total", "fiscal", "carryover", "other"), exp["funds"]):
        assert funds["rows"][key] == {"initial": initial, "adjusted": adjusted, "executed": executed, "rate": rate}, key
    assert (funds["weight"], funds["rate"], funds["score"], funds["explanation"]) == (
        exp["weight"], exp["rate"], exp["score"], exp["explanation"])
    assert form["total_score"] == exp["total"]
    assert form["grade"] == exp["grade"]
    assert form["group_weights"] == exp["groups"]
    assert form["goal"]["planned"].startswith(exp["goal"][0])
    assert form["goal"]["achieved"].startswith(exp["goal"][1])
    got = form["indicators"]
    assert len(got) == len(exp["indicators"])
    for ind, (l1, l2, name, target, actual, weight, score, expl) in zip(got, exp["indicators"]):
        assert (ind["level1"], ind["level2"], ind["name"], ind["target"], ind["actual"]) == (l1, l2, name, target, actual)
        assert (ind["weight"], ind["score"]) == (float(weight), float(score)), name
        if expl is None:
            assert ind["explanation"] is None, name
        else:
            assert ind["explanation"] and ind["explanation"].startswith(expl), name


@pytest.mark.parametrize("project", sorted(NINGBO))
def test_ningbo_forms_by_hand(seed_results, project):
    _check_form(_form(seed_results["000"], project), NINGBO[project], "中共宁波市委组织部", None)


@pytest.mark.parametrize("project", sorted(SHANGHAI))
def test_shanghai_forms_by_hand(seed_results, project):
    _check_form(_form(seed_results["003"], project), SHANGHAI[project], "中共上海市委组织部", "中共上海市委组织部")


def test_seed_000_counts_summary_and_forms(seed_results):
    result = seed_results["000"]
    summaries = [f for f in result["forms"] if f["kind"] == "summary"]
    forms = [f for f in result["forms"] if f["kind"] == "self_evaluation"]
    assert len(summaries) == 1 and len(summaries[0]["rows"]) == 27
    assert len(forms) == 27
    summary = summaries[0]
    assert (summary["year"], summary["department"], summary["unit"]) == (2023, "中共宁波市委组织部", "万元")
    assert summary["rows"][6] == {
        "seq": 7, "project": "党的二十大主题教育活动经费", "code": "330200233BM1700010000",
        "unit_name": "中共宁波市委组织部本级", "adjusted": 230.0, "executed": 228.13, "rate": "99%", "grade": "优"}
    assert summary["rows"][26]["grade"] == "差" and summary["rows"][26]["rate"] == "0%"
    # every summary row has its form (two projects share the name 设备购置经费)
    assert sorted(r["project"] for r in summary["rows"]) == sorted(f["project"] for f in forms)


def test_seed_000_self_added_marks_removed_from_names(seed_results):
    form = _form(seed_results["000"], "主题教育专班设备购置经费")
    assert all(i["self_added"] for i in form["indicators"])
    assert form["indicators"][0]["name"] == "购台式电脑购置数量"
    assert form["goal"]["planned"] is None  # printed blank
    assert any("goal.planned is blank" in w["message"] for w in seed_results["000"]["warnings"])


def test_seed_000_html_tags_stripped(seed_results):
    form = _form(seed_results["000"], "干部人事档案整理经费")
    assert form["goal"]["planned"].startswith("预计档案整理合计60万元")
    assert "<p>" not in form["goal"]["achieved"]
    assert form["funds"]["explanation"] == "2023年度支付中标价90%，同时2023年度支付2022年尾款10%"


def test_seed_003_eight_forms_and_continued_page(seed_results):
    forms = seed_results["003"]["forms"]
    assert len(forms) == 8 and all(f["kind"] == "self_evaluation" for f in forms)
    civil = _form(seed_results["003"], "公务员管理工作经费")
    # the indicator table continues after a repeated header row: still one form
    assert len(civil["indicators"]) == 29
    assert civil["funds"]["rows"]["total"]["initial"] == 1150.95
    assert sum(i["weight"] for i in civil["indicators"]) + civil["funds"]["weight"] == 100


def test_seed_001_targets_each_project_once(seed_results):
    forms = seed_results["001"]["forms"]
    assert len(forms) == 1 and forms[0]["kind"] == "targets"
    rows = forms[0]["rows"]
    assert len(rows) == 25
    assert sorted(r["seq"] for r in rows) == list(range(1, 26))
    by_seq = {r["seq"]: r for r in rows}
    p3 = by_seq[3]
    assert p3["project"] == "干部专项考察及干部慰问经费" and p3["budget"] == 25.0
    assert {"name": "全年慰问人数", "op": "=", "unit": "人", "value": "45"} in p3["indicators"]
    p7 = by_seq[7]  # repeated after project 14 with no indicators: merged, six indicators kept once
    assert p7["budget"] == 65.0 and len(p7["indicators"]) == 6
    p18 = by_seq[18]
    assert {"name": "人才科技周影响力", "op": None, "unit": "不断提升", "value": "中央、省市媒体报道"} in p18["indicators"]
    p24 = by_seq[24]  # names wrapped over two lines with their fields in the next paragraph
    assert {"name": "人才工作考核先进区县（市）、开发区银奖评定数", "op": "=", "unit": "个", "value": "2"} in p24["indicators"]
    assert len(p24["indicators"]) == 5
    p10 = by_seq[10]
    assert {"name": "会议次数", "op": "=", "unit": "次", "value": "根据实际情况举行"} in p10["indicators"]
    assert by_seq[12]["project"] == "人才工作信息化建设（教学视频）"
    assert by_seq[9]["goal"] == "2023年计划评选8名左右杰出人才" and by_seq[9]["budget"] == 800.0


def test_seed_outputs_validate_against_schema(seed_results):
    for result in seed_results.values():
        assert result["status"] == "ok"
        assert_valid(result)


def test_provenance_recorded_for_filled_fields(seed_results):
    form = _form(seed_results["003"], "干部教育工作经费")
    cell = form["cells"]["funds.rows.total.initial"]
    assert cell["text"] == "1,563.92" and cell["confidence"] == 1.0 and cell["page"] == 1
    assert form["cells"]["indicators[0].score"]["text"] == "1"


def test_merged_label_printed_mid_span_belongs_to_the_next_group(seed_results):
    """Flattened exports print a merged group label on a middle row of its span (both regions)."""
    archive = _form(seed_results["000"], "干部人事档案整理经费")
    levels = {i["name"]: (i["level1"], i["level2"]) for i in archive["indicators"]}
    assert levels["入库合格率"] == ("产出指标", "质量指标")
    assert levels["档案规范化管理"] == ("效益指标", "其他效果指标")
    shanghai = _form(seed_results["003"], "组织部门建设和管理工作经费")
    levels = {i["name"]: (i["level1"], i["level2"]) for i in shanghai["indicators"]}
    assert levels["援派干部培训"] == ("效益指标", "可持續影响指标")
    assert levels["技术支持满意度"] == ("满意度指标", "服务对象满意度指标")
    assert sum(1 for w in seed_results["003"]["warnings"] if w["code"] == "AMBIGUOUS_ROW") == 1
