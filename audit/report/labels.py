"""Bilingual labels (Chinese first, as on the forms; English after) for everything a report prints.

Reviewers read the forms in Chinese and the rule ids in English; every label carries both so a
report is read the same by either. A test keeps RULES equal to the rule catalogue.
"""
from __future__ import annotations

from typing import Optional

SEVERITY: dict[str, str] = {
    "error": "错误 Error",
    "warning": "警告 Warning",
    "info": "提示 Info",
    "review": "待复核 Review",
}

# rule id → (short Chinese description, short English description)
RULES: dict[str, tuple[str, str]] = {
    "FUNDS_SUBTOTAL": ("资金合计≠分项之和", "funds total ≠ sum of its rows"),
    "FUNDS_RATE": ("执行率计算有误", "execution rate wrong"),
    "FUNDS_SCORE": ("资金得分计算有误", "funds score wrong"),
    "TOTAL_SCORE": ("总分≠各项得分之和", "total ≠ sum of the scores"),
    "WEIGHT_SUM": ("分值合计≠100", "weights do not sum to 100"),
    "GROUP_WEIGHT": ("一级指标分值≠下属指标分值之和", "group points ≠ its indicators' weights"),
    "SCORE_RANGE": ("得分超出分值范围", "score outside 0…weight"),
    "GRADE_BAND": ("自评等级与总分不符", "grade is not the band of the total"),
    "UNMET_FULL_SCORE": ("未达成目标仍得满分", "missed target scored in full"),
    "MISSING_EXPLANATION": ("偏差未说明原因", "deviation left unexplained"),
    "FUNDS_UNEXPLAINED": ("执行率偏低未说明原因", "low execution left unexplained"),
    "COST_OVERRUN": ("成本超出目标", "cost above its target"),
    "UNIT_MISMATCH": ("目标值与实际值单位不一致", "target and actual in different units"),
    "SPENT_NOTHING_FULL_OUTPUT": ("未支出资金但产出指标满分", "nothing spent, outputs in full"),
    "CONTRADICTORY_EXPLANATION": ("说明与完成情况矛盾", "explanation contradicts the result"),
    "LOW_EXECUTION_HIGH_GRADE": ("执行率偏低仍评为优", "low execution graded 优"),
    "SCORE_NOT_PROPORTIONAL": ("扣分与完成比例不符", "deduction not in proportion"),
    "TARGET_FAR_EXCEEDED": ("目标值设定偏低", "target far exceeded (set too low)"),
    "NON_QUANTIFIED_TARGET": ("目标未量化，无法核验", "target not quantified"),
    "SUMMARY_MISMATCH": ("汇总表与自评表不一致", "summary row ≠ the project's form"),
    "SUMMARY_WITHOUT_FORM": ("汇总表项目无自评表", "summary row without a form"),
    "FORM_NOT_IN_SUMMARY": ("自评表未列入汇总表", "form missing from the summary"),
    "TARGET_CHANGED": ("自评目标与申报目标不一致", "target changed since the budget"),
    "INITIAL_BUDGET_MISMATCH": ("年初预算与目标表不一致", "initial budget ≠ targets table"),
    "INDICATOR_ADDED": ("自评新增指标", "indicator added at evaluation"),
    "INDICATOR_DROPPED": ("原定指标缺失", "original indicator dropped"),
    "DUPLICATE_FORM": ("同一项目重复且数据不同", "same project twice, different figures"),
    "UNREADABLE_VALUE": ("数值缺失或无法识别", "value missing or unreadable"),
    "UNRECOGNISED_PAGE": ("页面表格无法识别", "page with an unknown table"),
}

# Finding keys (AUDIT_RULES.md "One finding"), indicator columns, funds block and form fields.
FIELDS: dict[str, str] = {
    "rule": "规则 Rule", "severity": "严重程度 Severity", "source": "文件 Source", "page": "页码 Page",
    "department": "主管部门 Department", "project": "项目名称 Project", "indicator": "指标 Indicator",
    "field": "字段 Field", "found": "表中值 Found", "expected": "应为 Expected", "message": "说明 Message",
    "bbox": "位置 Position", "reason": "抑制原因 Reason",
    "level1": "一级指标 Level 1", "level2": "二级指标 Level 2", "name": "三级指标 Indicator",
    "target": "年度指标值 Target", "actual": "实际完成值 Actual", "weight": "分值 Weight",
    "score": "得分 Score", "explanation": "偏差原因分析 Explanation",
    "initial": "年初预算数 Initial", "adjusted": "全年预算数 Adjusted", "executed": "全年执行数 Executed",
    "rate": "执行率 Rate", "total": "年度资金总额 Total", "fiscal": "当年财政拨款 Fiscal",
    "carryover": "上年结转资金 Carry-over", "other": "其他资金 Other",
    "kind": "表单类型 Kind", "title": "标题 Title", "pages": "页 Pages", "total_score": "总分 Total score",
    "grade": "自评等级 Grade", "year": "年度 Year", "funds_score": "资金得分 Funds score",
    "funds_weight": "资金分值 Funds weight", "findings": "问题数 Findings", "count": "数量 Count",
    "group_weights": "一级指标分值 Group points",
}

KINDS: dict[str, str] = {
    "self_evaluation": "项目支出绩效自评表 Self-evaluation",
    "summary": "自评情况汇总表 Summary",
    "targets": "项目绩效目标汇总表 Targets",
}

NO_DEPARTMENT = "(无 none)"


def field(key: str) -> str:
    return FIELDS.get(key, key)


def severity(key: str) -> str:
    return SEVERITY.get(key, key)


def rule(rule_id: str) -> str:
    """"FUNDS_RATE 执行率计算有误 (execution rate wrong)"; an unknown id is shown as it is."""
    zh, en = RULES.get(rule_id, ("", ""))
    return f"{rule_id} {zh} ({en})" if zh else rule_id


def kind(key: Optional[str]) -> str:
    return KINDS.get(key or "", key or "")
