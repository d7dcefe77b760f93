"""The engine over partial and odd batches, UNRECOGNISED_PAGE, and `expected` for missing values."""
from __future__ import annotations

import copy

import pytest

from audit.engine import audit_results
from extractor.pipeline import extract_file


@pytest.fixture()
def form(seed_results) -> dict:
    return copy.deepcopy(next(f for f in seed_results["000"]["forms"] if f["kind"] == "self_evaluation"))


def _unreadable(form: dict) -> dict[str, dict]:
    run = audit_results([{"source": "t.txt", "forms": [form]}])
    return {f.field: f.to_dict() for f in run.findings if f.rule == "UNREADABLE_VALUE"}


def test_empty_batch_and_batch_without_forms_say_so():
    assert audit_results([]).messages == ["nothing to audit: the batch holds no files"]
    run = audit_results([{"source": "x.pdf", "forms": [], "errors": [{"code": "NO_FORM", "message": "none", "page": None}]}])
    assert run.findings == []
    assert run.messages == ["x.pdf: NO_FORM: none", "nothing to audit: no form was extracted from the batch"]


def test_form_with_missing_blocks_gives_review_not_crash(form):
    del form["funds"], form["indicators"], form["cells"]
    findings = audit_results([{"source": "t.txt", "forms": [form]}]).findings
    assert findings, "a form without its funds and indicators must not pass silently"
    assert {f.severity for f in findings} == {"review"}


def test_missing_total_score_names_the_sum_as_expected(form):
    scores = [form["funds"]["score"]] + [i["score"] for i in form["indicators"]]
    form["total_score"] = None
    found = _unreadable(form)["total_score"]
    assert found["severity"] == "review"
    assert float(found["expected"]) == pytest.approx(sum(scores))
    assert found["expected"] in found["message"]


def test_one_missing_score_is_pinned_by_the_total(form):
    score = form["indicators"][2]["score"]
    form["indicators"][2]["score"] = None
    found = _unreadable(form)["indicators[2].score"]
    assert float(found["expected"]) == pytest.approx(score)


def test_one_missing_weight_is_pinned_by_100(form):
    weight = form["indicators"][0]["weight"]
    form["indicators"][0]["weight"] = None
    assert float(_unreadable(form)["indicators[0].weight"]["expected"]) == pytest.approx(weight)


def test_two_missing_values_pin_nothing(form):
    form["indicators"][0]["score"] = form["indicators"][1]["score"] = None
    found = _unreadable(form)
    assert found["indicators[0].score"]["expected"] is None


def test_missing_funds_total_and_score_are_pinned(form):
    executed = form["funds"]["rows"]["total"]["executed"]
    form["funds"]["rows"]["total"]["executed"] = None
    assert float(_unreadable(form)["funds.rows.total.executed"]["expected"]) == pytest.approx(executed)
    form = copy.deepcopy(form)
    form["funds"]["rows"]["total"]["executed"] = executed
    score, form["funds"]["score"] = form["funds"]["score"], None
    assert float(_unreadable(form)["funds.score"]["expected"]) == pytest.approx(score, abs=0.01)


def test_stray_table_is_an_unrecognised_page(tmp_path, seed_results):
    path = tmp_path / "mixed.txt"
    stray = "\n".join("\t".join(f"{r}{c}" for c in "abcd") for r in range(4))
    path.write_text(stray + "\n\n" + (next(iter(seed_results.values())) and ""), encoding="utf-8")
    result = extract_file(path).to_dict()
    findings = [f for f in audit_results([result]).findings if f.rule == "UNRECOGNISED_PAGE"]
    assert [(f.severity, f.page, f.source) for f in findings] == [("review", 1, str(path))]


def test_clean_samples_have_no_unrecognised_page(seed_results):
    assert not [f for f in audit_results(seed_results.values()).findings if f.rule == "UNRECOGNISED_PAGE"]


def test_one_missing_value_is_one_finding_naming_every_rule_it_blocks(form):
    executed = form["funds"]["rows"]["total"]["executed"]
    form["funds"]["rows"]["total"]["executed"] = None
    run = audit_results([{"source": "t.txt", "forms": [form]}])
    gaps = [f for f in run.findings if f.field == "funds.rows.total.executed"]
    assert len(gaps) == 1
    assert "FUNDS_SUBTOTAL" in gaps[0].message and "FUNDS_RATE" in gaps[0].message
    assert float(gaps[0].expected) == pytest.approx(executed)


def test_missing_indicator_table_is_named_once(form):
    form["indicators"] = []
    gaps = [f for f in audit_results([{"source": "t.txt", "forms": [form]}]).findings if f.field == "indicators"]
    assert len(gaps) == 1 and "WEIGHT_SUM" in gaps[0].message and "TOTAL_SCORE" in gaps[0].message
    assert gaps[0].expected is None
