"""The scan benchmark's scoring (bench/scan_truth.py), on the committed scans' ground truth."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bench.scan_truth import (
    accuracy, align, align_forms, edit, found_verbatim, numeric_texts, pattern, score_forms, score_tables)

SCANS = Path(__file__).resolve().parents[1] / "samples" / "scans"


def truth(name: str) -> dict:
    return json.loads((SCANS / f"{name}.truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shanghai() -> dict:
    return truth("shanghai-2023.p3-4.clean.pdf")   # one self-evaluation form over two pages


@pytest.fixture(scope="module")
def ningbo() -> dict:
    return truth("ningbo-2023.p1-2.clean.bilevel.tif")  # a summary and a self-evaluation form


@pytest.mark.parametrize("name", ["shanghai-2023.p3-4.clean.pdf", "ningbo-2023.p1-2.clean.bilevel.tif"])
def test_truth_against_itself_is_perfect(name):
    t = truth(name)
    fields = score_forms(t["forms"], copy.deepcopy(t["forms"]))
    numeric, text = accuracy(fields, "numeric"), accuracy(fields, "text")
    assert numeric[0] == numeric[1] > 20 and text[0] == text[1] > 20
    grid = score_tables(t["tables"], copy.deepcopy(t["tables"]))
    assert grid.right == grid.structure == grid.total == sum(len(x["cells"]) for x in t["tables"])


def test_field_kinds(shanghai):
    kinds = {f.path: f.kind for f in score_forms(shanghai["forms"], shanghai["forms"])}
    assert kinds["funds.rows.total.executed"] == kinds["funds.rows.total.rate"] == "numeric"
    assert kinds["indicators[0].score"] == kinds["total_score"] == "numeric"
    assert kinds["project"] == kinds["indicators[0].target"] == kinds["indicators[0].actual"] == "text"
    assert not any(p.startswith(("cells", "pages", "kind")) or p.endswith("has_explanation") for p in kinds)


def test_a_misread_number_costs_one_numeric_field(shanghai):
    got = copy.deepcopy(shanghai["forms"])
    got[0]["funds"]["rows"]["total"]["executed"] = 1212.12
    got[0]["indicators"][2]["actual"] = "354 人"  # whitespace does not matter
    wrong = [f for f in score_forms(shanghai["forms"], got) if not f.right]
    assert [(f.path, f.why, f.kind) for f in wrong] == [("funds.rows.total.executed", "wrong", "numeric")]
    assert edit(wrong[0].truth, wrong[0].got) == "'7'→'1'"
    assert pattern(wrong[0]) == "numeric funds.rows.total.executed: wrong"


def test_nulls_count_only_when_one_side_has_a_value(shanghai):
    got = copy.deepcopy(shanghai["forms"])
    got[0]["indicators"][0]["explanation"] = "多读的字"   # truth null: spurious
    got[0]["indicators"][5]["explanation"] = None          # truth filled: not read
    got[0]["grade"] = None                                 # null on both: not a field
    whys = {f.path: f.why for f in score_forms(shanghai["forms"], got) if not f.right}
    assert whys == {"indicators[0].explanation": "spurious", "indicators[5].explanation": "not read"}


def test_a_dropped_indicator_costs_that_indicator_only(shanghai):
    got = copy.deepcopy(shanghai["forms"])
    dropped = got[0]["indicators"].pop(3)
    fields = score_forms(shanghai["forms"], got)
    wrong = [f for f in fields if not f.right]
    assert {f.path.split(".")[0] for f in wrong} == {"indicators[3]"}
    assert {f.why for f in wrong} == {"item missing"}
    assert len(wrong) == sum(v is not None and not isinstance(v, bool) for v in dropped.values())


def test_a_missing_form_counts_all_its_fields_wrong(ningbo):
    forms = ningbo["forms"]
    full = score_forms(forms, forms)
    fields = score_forms(forms, [f for f in forms if f["kind"] != "summary"])
    missing = [f for f in fields if f.why == "form missing"]
    assert missing and all(not f.right for f in missing)
    assert len(fields) == len(full)
    assert accuracy(fields)[0] == len(full) - len(missing)


def test_forms_pair_by_pages_when_the_project_is_misread(ningbo):
    got = copy.deepcopy(ningbo["forms"])
    got[1]["project"] = got[1]["project"][:-1] + "赀"  # one glyph misread
    got.reverse()                                      # and emitted out of order
    wrong = [f for f in score_forms(ningbo["forms"], got) if not f.right]
    assert [(f.path, f.why) for f in wrong] == [("project", "wrong")]


def test_an_extra_form_is_spurious(ningbo):
    extra = copy.deepcopy(ningbo["forms"][1])
    extra["pages"] = [9]
    fields = score_forms(ningbo["forms"], [*ningbo["forms"], extra])
    assert {f.why for f in fields if not f.right} == {"spurious"}


def test_align_pairs_by_name_similarity_in_order():
    names = ["全年培训班次", "全年培训人数", "完成课题报告数量", "培训学时"]
    t = [{"name": n} for n in names]
    # the first dropped, one misread, one garbled beyond recognition, one invented
    got = [{"name": n} for n in ["全年培训人数·", "完成课题报告数", "＃＠％", "培训学时"]]
    assert align(t, got) == [(0, None), (1, 0), (2, 1), (None, 2), (3, 3)]
    assert align(t, t) == [(i, i) for i in range(4)]
    assert align(t[:1], []) == [(0, None)] and align([], t[:1]) == [(None, 0)]


def test_a_misread_indicator_name_keeps_its_fields_paired(shanghai):
    got = copy.deepcopy(shanghai["forms"])
    del got[0]["indicators"][0]
    got[0]["indicators"][0]["name"] += "·"
    wrong = [f for f in score_forms(shanghai["forms"], got) if not f.right]
    assert {f.path.split(".")[0] for f in wrong if f.why == "item missing"} == {"indicators[0]"}
    assert [f.path for f in wrong if f.why == "wrong"] == ["indicators[1].name"]


def test_grid_text_span_and_missing_tables(shanghai):
    tables = shanghai["tables"]
    n = sum(len(t["cells"]) for t in tables)
    got = copy.deepcopy(tables)
    got[0]["cells"][0]["text"] = "项目名"        # text wrong, structure right
    got[0]["cells"][1]["colspan"] = 7            # structure wrong
    got[1]["cells"].append({"row": 99, "col": 0, "rowspan": 1, "colspan": 1, "text": "x"})  # an extra cell
    score = score_tables(tables, got)
    assert (score.right, score.structure, score.total) == (n - 2, n - 1, n + 1)
    half = score_tables(tables, got[:1])
    assert half.total == n and half.right == len(tables[0]["cells"]) - 2


def test_baseline_finds_numeric_texts_verbatim(shanghai):
    needles = numeric_texts(shanghai["forms"])
    assert set(needles) == {1, 2} and "1212.72" in needles[1] and "99.55%" in needles[1]
    assert found_verbatim(["1212.72", "99.55%", "3"], ["1150.95 1218.15 1212.72", "99.55%", "3人"]) == 2


def test_two_forms_run_together_pair_with_the_one_they_are_named_after(shanghai):
    form = shanghai["forms"][0]
    truth_forms = [{**form, "project": "另一个项目", "pages": [1]}, {**form, "pages": [2, 3]}]
    merged = {**form, "project": "85550TTSE" + form["project"], "pages": [1, 2, 3]}  # page 2's title was missed
    assert align_forms(truth_forms, [merged]) == [(0, None), (1, 0)]
    fields = score_forms(truth_forms, [merged])
    assert {f.why for f in fields if f.path == "project"} == {"form missing", "wrong"}
