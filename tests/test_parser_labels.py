"""Tolerant label matching for recognised cells (extractor/parser/labels.py): a label misread by
one character is still that label, only in OCR'd cells and only where no other label is as near."""
from __future__ import annotations

import copy

import pytest

from extractor.model import Cell, Grid, Page, TextLine
from extractor.parser import parse_pages
from extractor.parser.funds import ROW_PRINTED
from extractor.parser.indicators import COLUMN_LABELS, LEVEL1
from extractor.parser.labels import LABELS, edits, label_in_column, nearest_label
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


@pytest.mark.parametrize("read,label", [
    ("其中:当年财政援颗", "其中:当年财政拨款"),  # two characters misread
    ("上年填转费金", "上年结转资金"),
    ("预算总金", "预算总金额"),                # a character lost (a hard scan's seal)
    ("上年转肉金", "上年结转资金"),            # lost and misread
])
def test_inside_the_funds_block_a_row_label_may_be_further_off(read, label):
    assert nearest_label(read) is None                 # anywhere on the form: too far
    assert label_in_column(read, ROW_PRINTED) == label  # among the four funds rows: near


@pytest.mark.parametrize("read", ["某他资料", "1000.0", "—", "项目资金(万元)", ""])
def test_inside_the_funds_block_what_is_no_row_label_stays(read):
    assert label_in_column(read, ROW_PRINTED) is None  # "某他资料": 4 characters allow one edit


@pytest.mark.parametrize("read,kind,label", [
    ("意度指标", "level1", "满意度指标"),          # recorded on the bench's hard scans
    ("意度指标(30分)", "level1", "满意度指标(30分)"),
    ("可特胰影痛指标", "level2", "可持续影响指标"),
    ("社会效益措标", "level2", "社会效益指标"),
    ("数量标", "level2", "数量指标"),               # as near 数量 (printed so in some regions), but lost 指
])
def test_a_level_label_is_told_among_the_few_its_column_holds(read, kind, label):
    assert label_in_column(read, COLUMN_LABELS[kind]) == label


def test_a_level_label_as_near_two_labels_is_not_guessed():
    assert label_in_column("致量指标", COLUMN_LABELS["level2"]) is None  # 数量指标 or 质量指标?


def test_edits_count_substitutions_insertions_and_deletions():
    assert edits("预算总金", "预算总金额") == 1 and edits("上年转肉金", "上年结转资金") == 2
    assert edits("", "分值") == 2 and edits("得分", "得分") == 0


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


def _scanned_indicators(level1: str, level2: str, header: tuple[str, str], name_header: str = "三级指标") -> list[Page]:
    """The parser test's form read by OCR (every cell at confidence 0.9), its level header cells
    and first level labels as given."""
    head = copy.deepcopy(HEAD)
    head[9][1], head[9][2], head[9][3] = (1, header[0]), (2, header[1]), (3, name_header)
    head[10][0], head[10][1] = (1, level1), (2, level2)
    cells = [Cell(row=r, col=c, text=t, confidence=0.9) for r, row in enumerate(head) for c, t in row]
    tail = copy.deepcopy(TAIL)
    tail[1][0] = (1, "意度指标（30分）")
    tail_cells = [Cell(row=r, col=c, text=t, confidence=0.9) for r, row in enumerate(tail) for c, t in row]
    title = [TextLine("项目支出绩效自评表", order=0), TextLine("（2023年度）", order=1)]
    return [Page(number=1, lines=title, grids=[Grid(page=1, cells=cells, n_rows=len(head), n_cols=9, order=2.0)]),
            Page(number=2, lines=[], grids=[Grid(page=2, cells=tail_cells, n_rows=len(TAIL), n_cols=9, order=0)])]


def test_recognised_indicator_rows_keep_their_places_when_labels_are_misread():
    (form,), _ = parse_pages(_scanned_indicators("产出措标（60分", "致量指标", ("级指标", "级指标")))
    got = form.to_dict()
    rows = [(i["level1"], i["level2"], i["name"], i["weight"], i["score"]) for i in got["indicators"]]
    assert rows == [
        ("产出指标", "致量指标", "采购台数", 30.0, 24.0),   # level 2 as read: 数量 or 质量, not guessed
        ("产出指标", "致量指标", "验收合格率", 30.0, 30.0),
        ("满意度指标", "服务对象满意度", "满意率", 30.0, 30.0),
    ]
    assert got["group_weights"] == {"产出指标": 60.0, "满意度指标": 30.0}


def test_a_level_column_holding_marks_is_not_a_label():
    (form,), _ = parse_pages(_scanned_indicators("|", "数量指标", ("一级指标", "二级指标")))
    got = form.to_dict()
    assert got["indicators"][0]["level1"] != "|"
    assert [i["weight"] for i in got["indicators"]] == [30.0, 30.0, 30.0]


def test_the_indicator_header_is_found_when_its_name_label_is_misread():
    (form,), _ = parse_pages(_scanned_indicators("产出指标（60分）", "数量指标", ("一级指标", "二级指标"), "三级标"))
    got = form.to_dict()
    assert [(i["name"], i["weight"], i["score"]) for i in got["indicators"]] == [
        ("采购台数", 30.0, 24.0), ("验收合格率", 30.0, 30.0), ("满意率", 30.0, 30.0)]


def test_a_recognised_score_read_as_two_figures_is_blank_with_a_warning_not_one_number():
    pages = _scanned_indicators("产出指标（60分）", "数量指标", ("一级指标", "二级指标"))
    score = next(c for c in pages[0].grids[0].cells if (c.row, c.col) == (10, 7))
    score.text = "24 20"  # a speck beside the figure read as digits
    (form,), warnings = parse_pages(pages)
    first = form.to_dict()["indicators"][0]
    assert (first["name"], first["weight"], first["score"]) == ("采购台数", 30.0, None)
    assert any(w["code"] == "NUMBER_FORMAT" and "two figures" in w["message"] for w in warnings)
