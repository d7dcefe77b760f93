"""Role-aware normalisation of OCR confusions: what is fixed, and what is never touched."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.normalize import is_blank, is_number, is_rate, parse_number
from extractor.ocr.confusions import ROLES, fix, fix_brackets, fix_cell, fix_number, fix_rate, fix_target, split_reading
from extractor.parser.rows import RCell
from extractor.parser.table import int_or_none


@pytest.mark.parametrize("raw, fixed", [
    ("l2", "12"), ("1O0.5", "100.5"), ("1，563。92", "1,563.92"), ("12·5", "12.5"), ("〇", "〇"),
    ("１２３", "123"), ("I0", "10"), ("-l2", "-12"), ("一", "—"), ("一一", "——"),
])
def test_fix_number(raw, fixed):
    got, changed = fix_number(raw)
    assert got == fixed
    assert changed == (raw != fixed)


@pytest.mark.parametrize("raw", ["l2号楼", "lO", "O", "ISO9001", "完成10名，并按时", "12,5万", "—", "", "  "])
def test_fix_number_leaves_what_is_not_a_number(raw):
    assert fix_number(raw) == (raw, False)


def test_fixed_numbers_parse():
    for raw in ("l2", "1O0.5", "1，563。92", "一"):
        fixed, _ = fix_number(raw)
        assert is_number(fixed) or is_blank(fixed)
    assert parse_number(fix_number("1，563。92")[0]) == 1563.92


@pytest.mark.parametrize("raw, fixed", [("1O0%", "100%"), ("100％", "100%"), ("9·5%", "9.5%"), ("l00 %", "100%"),
                                        ("98%.", "98%")])
def test_fix_rate(raw, fixed):
    assert fix_rate(raw) == (fixed, True)
    assert is_rate(fixed)


@pytest.mark.parametrize("raw", ["100%", "优", "约100%", "百分之百"])
def test_fix_rate_leaves_the_rest(raw):
    assert fix_rate(raw) == (raw, False)


@pytest.mark.parametrize("raw, fixed", [
    ("》=90%", "≥90%"), ("≥9O％", "≥90%"), ("》＝9O%", "≥90%"), ("≧95", "≥95"), (">=95", "≥95"),
    ("《=30(分钟)", "≤30(分钟)"), ("l0个", "10个"), ("≥l", "≥1"), ("=1↑", "=1个"),
    ("300-4O0(人)", "300-400(人)"), ("≥ 9O%", "≥ 90%"),
])
def test_fix_target(raw, fixed):
    assert fix_target(raw) == (fixed, True)


@pytest.mark.parametrize("raw", [
    "8个左右", "有效提升", "按时拨付", ">90%", "PM2.5≤35", "ISO9001认证", "lO个", "≥20(万页)", "=6人", "I类",
])
def test_fix_target_leaves_words_units_and_plain_comparators(raw):
    assert fix_target(raw) == (raw, False)


@pytest.mark.parametrize("raw, fixed", [
    ("l2", "12"), ("1O0%", "100%"), ("》=90%", "≥90%"), ("一", "—"),
    ("人才工作信息化建设（教学视频)", "人才工作信息化建设（教学视频）"), ("县(市）", "县（市）"),
    ("领导干部“2+X\"专题", "领导干部“2+X”专题"),
])
def test_fix_cell_by_shape(raw, fixed):
    assert fix_cell(raw) == (fixed, True)


@pytest.mark.parametrize("raw", [
    "l2号楼", "l0个", "完成杰出人才评选10名，并按时发放人才经费。", "≥20(万页)", "say \"hi\"", "二", "O",
])
def test_fix_cell_never_guesses_a_role(raw):
    # "l0个" is "10个" in a target column, but a cell of unknown role keeps it
    assert fix_cell(raw) == (raw, False)


def test_brackets_of_one_width_stay():
    assert fix_brackets("（a）(b)") == ("（a）(b)", False)
    assert fix_brackets("（未闭合") == ("（未闭合", False)


def test_roles_by_name():
    assert set(ROLES) == {"number", "rate", "target", "count", "op"}
    assert fix("l2", "number") == ("12", True)
    with pytest.raises(KeyError):
        fix("l2", "amount")


_text = st.text(alphabet="0123456789OlI.,，。·%％≥》=一个人项目（）()“\" ", max_size=12)


@given(_text)
def test_fixers_are_idempotent_and_honest(raw):
    for fixer in (fix_number, fix_rate, fix_target, fix_cell):
        once, changed = fixer(raw)
        assert fixer(once)[0] == once
        if not changed:
            assert once == raw


@given(st.text(alphabet="项目名称经费完成情况按时拨付不断提升有效", max_size=20))
def test_chinese_text_is_never_touched(raw):
    for fixer in (fix_number, fix_rate, fix_target, fix_cell):
        assert fixer(raw) == (raw, False)


@pytest.mark.parametrize("read,fixed", [("20-", "20"), ("5.", "5"), ("1,563。92.", "1,563.92"), ("9.5'", "9.5"),
                                        ("'20", "20"), ("‘ 10", "10"), ("9.96•", "9.96")])  # and above the first
def test_a_speck_after_a_number_is_dropped(read, fixed):
    assert fix_number(read) == (fixed, True)


@pytest.mark.parametrize("read", ["S-", "-20", "—", "20-30", "“2+X”"])
def test_what_is_not_a_number_and_a_speck_stays(read):
    assert fix_number(read)[0] == read


@pytest.mark.parametrize("raw,fixed", [("I", "1"), ("l", "1"), ("II", "11"), ("1O", "10"), ("14", "14")])
def test_fix_count_reads_a_lone_digit_like_letter_as_a_digit(raw, fixed):
    assert fix(raw, "count")[0] == fixed


@pytest.mark.parametrize("raw", ["D", "I号", "1.5", "", "项目"])
def test_fix_count_leaves_what_is_not_a_count(raw):
    assert fix(raw, "count") == (raw, False)


def test_a_recognised_sequence_number_reads_digit_like_letters():
    assert [int_or_none(RCell(t, 0, 1, confidence=0.6)) for t in ("I", "Ⅱ", "12.", "D")] == [1, 11, 12, None]
    assert int_or_none(RCell("I", 0, 1)) is None  # a text-layer cell is what was printed


@pytest.mark.parametrize("raw,fixed", [("I", "1"), ("S", "5"), ("lO", "10"), ("5 -", "5"), ("10 -", "10"), ("S0", "50")])
def test_a_number_role_reads_a_cell_of_digit_like_letters_as_digits(raw, fixed):
    assert fix(raw, "number") == (fixed, True)


def test_a_lone_stroke_is_no_number_even_in_a_number_role():
    assert fix("|", "number") == ("|", False) and fix("丨", "number") == ("丨", False)


@pytest.mark.parametrize("raw", ["I", "S", "5S", "S级"])
def test_without_a_role_letters_stay_letters(raw):
    assert fix_cell(raw) == (raw, False)
    assert fix_number(raw) == (raw, False)


def test_recognised_weight_and_score_read_as_letters_keep_their_indicator_row():
    from extractor.model import Cell, Grid, Page, TextLine
    from extractor.parser import parse_pages

    rows = [["项目名称", "测试"], ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
            ["产出指标（50分）", "数量指标", "台数", "≥10台", "10台", "S", "I"]]
    header = [Cell(row=0, col=0, text="项目名称", confidence=0.9), Cell(row=0, col=1, text="测试", confidence=0.9)]
    cells = header + [Cell(row=r, col=c, text=t, confidence=0.9) for r, row in enumerate(rows[1:3], 1)
                      for c, t in enumerate(row)]
    page = Page(number=1, lines=[TextLine("项目支出绩效自评表", order=0)],
                grids=[Grid(page=1, cells=cells, n_rows=3, n_cols=7, order=1.0)])
    (form,), _ = parse_pages([page])
    (indicator,) = form.to_dict()["indicators"]
    assert (indicator["name"], indicator["weight"], indicator["score"]) == ("台数", 5.0, 1.0)
    assert form.to_dict()["cells"]["indicators[0].weight"]["read"] == "S"


@pytest.mark.parametrize("raw,fixed", [("2", "≥"), ("W", "≥"), ("N.", "≥"), (" M ", "≥"), ("》=", "≥"), ("<=", "≤"),
                                       ("＝", "="), ("=.", "="), ("二", "="), ("三", "=")])
def test_an_operator_cell_reads_the_recognisers_misreadings_as_operators(raw, fixed):
    assert fix(raw, "op") == (fixed, True)


@pytest.mark.parametrize("raw", ["≥", "=", "<", "", "定性", "20"])
def test_an_operator_cell_keeps_operators_and_anything_it_cannot_place(raw):
    assert fix(raw, "op") == (raw, False)


def test_a_recognised_targets_operator_is_put_right_and_a_printed_one_never():
    from extractor.model import Cell, Grid, Page, TextLine
    from extractor.parser import parse_pages

    header = ["序号", "项目名称", "项目概况", "本年预算金额", "年度绩效目标", "指标名称", "运算符", "单位", "年度目标值"]
    row = ["1", "设备购置", "购置打印机", "24", "按时购置", "打印机购置数量", "2", "台", "5"]

    def ops(confidence: float, op: str = "2") -> tuple[list, list]:
        texts = [header, [op if i == 6 else t for i, t in enumerate(row)]]
        cells = [Cell(row=r, col=c, text=t, confidence=confidence) for r, line in enumerate(texts)
                 for c, t in enumerate(line)]
        page = Page(number=1, lines=[TextLine("项目绩效目标汇总表", order=0)],
                    grids=[Grid(page=1, cells=cells, n_rows=2, n_cols=9, order=1.0)])
        (form,), warnings = parse_pages([page])
        return [i["op"] for r in form.to_dict()["rows"] for i in r["indicators"]], [w["code"] for w in warnings]

    assert ops(0.8)[0] == ["≥"]
    # a printed "2" is never put right; FORMS.md's op holds an operator or null, so it is null, said
    assert ops(1.0) == ([None], ["VALUE_FORMAT"])
    assert ops(0.8, "#") == ([None], ["VALUE_FORMAT"])  # a misreading no fix places
    assert ops(1.0, "＝") == (["＝"], [])  # compared in normal form, kept as printed


@pytest.mark.parametrize("read,split", [("30 20", True), ("8.2 7", True), ("1 000.00", False), ("12 345", False),
                                        ("30", False), ("≥90 %", False)])
def test_a_recognised_number_with_a_blank_between_figures_is_two_readings(read, split):
    assert split_reading(read) is split
