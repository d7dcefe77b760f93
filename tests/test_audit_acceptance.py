"""Issue 3, point 7: auditing seeds 000 + 001 together, and 003 alone, reports at least these.

One table, the issue's own list, so the product owner can read the contract in one place; the
rule files' tests pin the details (found, expected, fields, messages).
"""
from __future__ import annotations

import pytest

from audit.engine import audit_results

# (rule, severity, project, indicator or None, texts the message must show)
REQUIRED = [
    ("FUNDS_UNEXPLAINED", "warning", "人才工作大型会议及培训经费", None, ["49%"]),
    ("FUNDS_UNEXPLAINED", "warning", "人才工作信息化建设（教学视频）", None, ["66%"]),
    ("FUNDS_UNEXPLAINED", "warning", "挂职干部及公务员遴选工作经费", None, ["79%"]),
    ("MISSING_EXPLANATION", "warning", "组织工作大型会议及培训经费", "培训班次", ["会议次数"]),
    ("MISSING_EXPLANATION", "warning", "人才工作信息运行维护经费", "社会经济效益提升率", []),
    ("LOW_EXECUTION_HIGH_GRADE", "warning", "信息化运维经费", None, ["33%", "优"]),
    ("LOW_EXECUTION_HIGH_GRADE", "warning", "人才工作考核先进奖励经费", None, ["53%", "优"]),
    ("TARGET_CHANGED", "warning", "干部专项考察及干部慰问经费", "全年慰问人数", ["=45人", "≥4人"]),
    ("TARGET_CHANGED", "warning", "干部专项考察及干部慰问经费", "干部专项考察活动", ["=4个", "≥5个"]),
    ("TARGET_CHANGED", "warning", "组织工作大型会议及培训经费", "会议次数", []),
    ("TARGET_CHANGED", "warning", "组织工作大型会议及培训经费", "培训班次", []),
    ("TARGET_CHANGED", "warning", "挂职干部及公务员遴选工作经费", "遴选公务员数量", ["=30人", "≥95人"]),
    ("SCORE_NOT_PROPORTIONAL", "info", "干部教育工作经费", "领导干部外向型培训人次", ["≥110"]),
]


@pytest.fixture(scope="module")
def batches(seed_results) -> dict[str, list[dict]]:
    return {
        "000+001": [f.to_dict() for f in audit_results([seed_results["000"], seed_results["001"]]).findings],
        "003": [f.to_dict() for f in audit_results([seed_results["003"]]).findings],
    }


@pytest.mark.parametrize("rule,severity,project,indicator,texts", REQUIRED, ids=lambda v: v if isinstance(v, str) else None)
def test_required_finding_is_reported(batches, rule, severity, project, indicator, texts):
    findings = batches["003"] if project == "干部教育工作经费" else batches["000+001"]
    hits = [f for f in findings if f["rule"] == rule and f["project"] == project and f["indicator"] == indicator]
    assert hits, f"{rule} missing for {project} / {indicator}"
    assert any(f["severity"] == severity and all(t in f["message"] for t in texts) for f in hits), hits


def test_no_error_on_forms_whose_arithmetic_closes(batches):
    assert [f for fs in batches.values() for f in fs if f["severity"] == "error"] == []
