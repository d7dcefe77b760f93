"""worker.review on the real databases (SQLite and PostgreSQL): filters, grouping, decisions with
who/when/why, and corrections that keep the old value."""
from __future__ import annotations

from typing import Any

import pytest

from worker import review
from worker.store.models import Decision, Document, FindingRow, FormRow, Run
from tests.service_support import database_url, pg_database, service_settings, store  # noqa: F401


def _form() -> dict[str, Any]:
    return {
        "kind": "self_evaluation", "title": "项目支出绩效自评表", "project": "设备购置", "department": "市财政局",
        "pages": [1],
        "funds": {"unit": "万元", "rows": {"total": {"initial": 10.0, "adjusted": 10.0, "executed": 9.0, "rate": "90%"}},
                  "weight": 10.0, "rate": "90%", "score": 9.0, "explanation": None},
        "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "打印机", "target": "=5台", "actual": "5台",
                        "weight": 10.0, "score": 8.0, "explanation": None}],
        "cells": {"funds.rows.total.executed": {"page": 1, "bbox": [1, 2, 3, 4], "confidence": 0.6, "text": "9.0"}},
    }


def _finding(rule: str, severity: str, field: str, department: str) -> dict[str, Any]:
    return {"rule": rule, "severity": severity, "source": "a.pdf", "page": 1, "department": department,
            "project": "设备购置", "indicator": None, "field": field, "found": "9", "expected": "10",
            "message": f"{rule} message", "bbox": [1, 2, 3, 4]}


@pytest.fixture()
def seeded(store: Any) -> dict[str, int]:
    with store.session() as s, s.begin():
        doc = Document(sha256="a" * 64, original_name="a.pdf", suffix=".pdf", size=1, status="done")
        s.add(doc)
        s.flush()
        form = FormRow(document_id=doc.id, index=0, kind="self_evaluation", department="市财政局",
                       project="设备购置", data=_form())
        run = Run(kind="upload", document_ids=[doc.id], status="done")
        s.add_all([form, run])
        s.flush()
        rows = [FindingRow(run_id=run.id, key=f"k{i}", form_id=form.id, document_id=doc.id, rule=rule,
                           severity=sev, department=dept, data=_finding(rule, sev, field, dept))
                for i, (rule, sev, field, dept) in enumerate([
                    ("FUNDS_SUBTOTAL", "error", "funds.rows.total.executed", "市财政局"),
                    ("SCORE_RANGE", "warning", "indicators[0].score", "市财政局"),
                    ("TOTAL_SCORE", "error", "total_score", "ＡＢＣ局"),  # full-width letters, as OCR reads them
                ])]
        s.add_all(rows)
        s.flush()
        return {"doc": doc.id, "form": form.id, "run": run.id, "funds": rows[0].id, "score": rows[1].id,
                "total": rows[2].id}


def test_filters_group_and_normalise_departments(store: Any, seeded: dict[str, int]) -> None:
    with store.session() as s:
        rows = review.list_findings(s, review.FindingFilter(run=seeded["run"]))
        assert [r.severity for r in rows] == ["error", "error", "warning"]  # most severe first
        only = review.list_findings(s, review.FindingFilter(run=seeded["run"], department="ABC局"))
        assert [r.id for r in only] == [seeded["total"]]
        assert [r.rule for r in review.list_findings(s, review.FindingFilter(rule="SCORE_RANGE"))] == ["SCORE_RANGE"]
        groups = review.group_findings(rows)
        assert [(g["severity"], g["count"]) for g in groups] == [("error", 2), ("warning", 1)]
        assert [d["department"] for d in groups[0]["departments"]] == ["ABC局", "市财政局"]
    with pytest.raises(review.ReviewError, match="severity must be one of"):
        review.FindingFilter(severity="fatal")


def test_decisions_keep_who_when_why_and_dismissal_needs_a_reason(store: Any, seeded: dict[str, int]) -> None:
    with store.session() as s:
        with pytest.raises(review.ReviewError, match="needs a reason"):
            review.decide(s, seeded["funds"], "dismiss", "alice", "  ")
        review.decide(s, seeded["funds"], "dismiss", "alice", "the scan is of last year's form")
        review.decide(s, seeded["score"], "confirm", "bob")
        s.commit()
    with store.session() as s:
        assert review.list_findings(s, review.FindingFilter(status="dismissed"))[0].id == seeded["funds"]
        shown = review.finding_dict(review.get_finding(s, seeded["funds"]))
        assert shown["status"] == "dismissed"
        assert [(d["action"], d["who"], d["why"]) for d in shown["decisions"]] == [
            ("dismiss", "alice", "the scan is of last year's form")]
        review.decide(s, seeded["funds"], "reopen", "bob")
        s.commit()
        assert review.get_finding(s, seeded["funds"]).status == "open"
        assert s.query(Decision).count() == 3
        with pytest.raises(review.NotFound):
            review.decide(s, 999_999, "confirm", "bob")


def test_correction_keeps_the_old_value_and_marks_the_finding(store: Any, seeded: dict[str, int]) -> None:
    with store.session() as s:
        correction = review.correct(s, seeded["form"], "funds.rows.total.executed", "10.00", "alice", "ledger p. 4")
        s.commit()
        assert (correction.old_value, correction.new_value) == (9.0, 10.0)
    with store.session() as s:
        form = review.get_form(s, seeded["form"])
        assert form.data["funds"]["rows"]["total"]["executed"] == 10.0
        assert form.data["cells"]["funds.rows.total.executed"] == {
            "page": 1, "bbox": [1, 2, 3, 4], "confidence": 1.0, "text": "10", "corrected": True}
        assert review.get_finding(s, seeded["funds"]).status == "corrected"
        assert review.get_finding(s, seeded["score"]).status == "open"  # another value's finding is untouched
        review.correct(s, seeded["form"], "indicators[0].actual", " 6台 ", "bob", "photo of the delivery note")
        s.commit()
        assert [(h["path"], h["old_value"], h["new_value"], h["who"]) for h in review.history(s, seeded["form"])] == [
            ("funds.rows.total.executed", 9.0, 10.0, "alice"), ("indicators[0].actual", "5台", "6台", "bob")]
        assert review.runs_holding(s, seeded["doc"]) == [seeded["run"]]


BAD_CORRECTIONS = [
    ("funds.rows.total.spent", "1", "is not a value"),
    ("indicators[5].score", "1", "is not a value"),
    ("cells", "x", "is not a value"),
    ("funds.rows", "1", "is a block"),
    ("indicators[0].score", "eight", "takes a number"),
]


def test_bad_corrections_are_refused_in_words(store: Any, seeded: dict[str, int]) -> None:
    with store.session() as s:
        for path, value, message in BAD_CORRECTIONS:
            with pytest.raises(review.ReviewError, match=message):
                review.correct(s, seeded["form"], path, value, "alice", "because")
        with pytest.raises(review.ReviewError, match="needs a reason"):
            review.correct(s, seeded["form"], "indicators[0].score", "8", "alice", "")
        assert review.history(s, seeded["form"]) == []
