"""Tolerant label matching for recognised cells (extractor/parser/labels.py): a label misread by
one character is still that label, only in OCR'd cells and only where no other label is as near."""
from __future__ import annotations

import copy

import pytest

from extractor.model import Cell, Grid, Page, TextLine
from extractor.parser import parse_pages
from extractor.parser.funds import ROW_PRINTED
from extractor.parser.indicators import LEVEL1
from extractor.parser.labels import LABELS, nearest_label
from tests.test_parser_grid import HEAD, TAIL


@pytest.mark.parametrize("read,label", [
    ("预算总金颜", "预算总金额"),          # recorded misreadings on the bench's mild and hard scans
    ("王管部门", "主管部门"),
    ("全年执行散", "全年执行数"),
    ("上年结转透金", "上年结转资金"),
    ("、绩效指标", "绩效指标"),            # a speck read as a mark before the label
    ("分值.", "分值"),
    ("产出措标(50分)", "产出指标(50分)"),  # the points suffix kept as read
    ("项目资金.(万元)", "项目资金(万元)"),
])
def test_a_label_one_character_off_is_that_label(read, label):
    assert nearest_label(read) == label


@pytest.mark.parametrize("read", [
    "预算总金额", "产出指标(50分)",  # already labels
    "匚级指标",            # as near to 一级指标, 二级指标 and 三级指标
    "植效指标",            # as near to 绩效指标 as to 时效指标
    "级指标",              # a character lost: no insertion or deletion is guessed
    "经济效益率",          # a longer word is another word
    "服务对象满意率",      # an indicator name beside a level-2 label left out of the vocabulary
    "德分", "5.", "有效提升", "",
])
def test_no_guess_where_the_reading_is_not_one_label(read):
    assert nearest_label(read) is None


def test_inside_the_funds_block_a_row_label_may_be_two_characters_off():
    for read, label in (("其中:当年财政援颗", "其中:当年财政拨款"), ("上年填转费金", "上年结转资金")):
        assert nearest_label(read) is None                         # anywhere on the form: too far
        assert nearest_label(read, ROW_PRINTED, max_subs=2) == label  # among the four funds rows: near
    assert nearest_label("其他资料", ROW_PRINTED, max_subs=2) == "其他资金"
    assert nearest_label("某他资料", ROW_PRINTED, max_subs=2) is None  # 4 characters allow one


def test_the_vocabulary_is_compared_in_its_normal_form():
    assert "其中:当年财政拨款" in LABELS and "其中：当年财政拨款" not in LABELS


def test_level1_keeps_its_points_when_the_closing_bracket_is_lost():
    assert LEVEL1.match("产出指标(50分").groups() == ("产出指标", "50")
    assert LEVEL1.match("产出指标(50分)").groups() == ("产出指标", "50")


def _misread(rows: list, confidence: float) -> list[Page]:
    """The parser test's form with three labels misread, every cell at `confidence`."""
    head = copy.deepcopy(rows)
    head[1][0] = (0, "王管部门")
    head[3][0] = (1, "预算总金颜")
    head[5][0] = (1, "上年填转费金")
    head[9][6] = (6, "分植")  # short: not guessed, but the header row is found by its other labels
    head[10][2] = (2, "数量措标")
    cells = [Cell(row=r, col=c, text=t, confidence=confidence) for r, row in enumerate(head) for c, t in row]
    tail = [Cell(row=r, col=c, text=t, confidence=confidence) for r, row in enumerate(TAIL) for c, t in row]
    title = [TextLine("项目支出绩效自评表", order=0), TextLine("（2023年度）", order=1)]
    return [Page(number=1, lines=title, grids=[Grid(page=1, cells=cells, n_rows=len(head), n_cols=9, order=2.0)]),
            Page(number=2, lines=[], grids=[Grid(page=2, cells=tail, n_rows=len(TAIL), n_cols=9, order=0)])]


def test_recognised_misread_labels_still_find_their_rows():
    (form,), _ = parse_pages(_misread(HEAD, confidence=0.9))
    got = form.to_dict()
    assert got["department"] == "某某局"
    assert got["funds"]["rows"]["total"] == {"initial": None, "adjusted": 1200.5, "executed": 1000.0, "rate": "83%"}
    assert got["funds"]["rows"]["carryover"] == {"initial": None, "adjusted": 0.0, "executed": 0.0, "rate": None}
    assert [i["weight"] for i in got["indicators"]] == [30.0, 30.0, 30.0]
    assert got["indicators"][0]["level2"] == "数量指标"
    assert got["cells"]["department"]["text"] == "某某局"


def test_text_layer_cells_are_never_relabelled():
    (form,), _ = parse_pages(_misread(HEAD, confidence=1.0))
    got = form.to_dict()
    assert got["department"] is None and got["funds"]["rows"]["total"]["executed"] is None
    assert got["funds"]["rows"]["carryover"]["adjusted"] is None
