"""The form parser on exported grids (true columns, merged cells): blanks are placed by column."""
from __future__ import annotations

from extractor.model import Cell, Grid, Page, TextLine
from extractor.parser import parse_pages


def _grid(rows: list[list[tuple[int, str]]], page: int = 1, order: float = 2.0) -> Grid:
    cells = [Cell(row=r, col=c, text=t) for r, row in enumerate(rows) for c, t in row]
    return Grid(page=page, cells=cells, n_rows=len(rows), n_cols=9, order=order)


HEAD = [
    [(0, "项目名称"), (1, "测试项目")],
    [(0, "主管部门"), (1, "某某局"), (5, "实施单位"), (6, "某某中心")],
    [(0, "项目资金（万元）"), (2, "年初预算数"), (3, "全年预算数"), (4, "全年执行数"), (5, "分值"), (6, "执行率"), (7, "得分"), (8, "偏差原因分析")],
    # initial printed blank; explanation cell on the total row
    [(1, "预算总金额"), (3, "１,２００.５０"), (4, "1,000.00"), (5, "10"), (6, "83%"), (7, "8.3"), (8, "采购延期")],
    [(1, "其中：当年财政拨款"), (2, "1200.50"), (3, "1200.50"), (4, "1000.00"), (5, "—"), (7, "—")],
    [(1, "上年结转资金"), (2, "-"), (3, "0"), (4, "0")],
    [(1, "其他资金"), (2, "0"), (3, "0"), (4, "0")],
    [(0, "年度总体目标"), (1, "年初预期目标"), (5, "实际完成情况")],
    [(1, "完成采购"), (5, "部分完成")],
    [(0, "绩效指标"), (1, "一级指标"), (2, "二级指标"), (3, "三级指标"), (4, "年度指标值"), (5, "实际完成值"), (6, "分值"), (7, "得分"), (8, "偏差原因分析及改进措施")],
    [(1, "产出指标（60分）"), (2, "数量指标"), (3, "采购台数"), (4, "≥10台"), (5, "8台"), (6, "30"), (7, "24"), (8, "供货延迟")],
    # target printed blank
    [(3, "验收合格率"), (5, "100%"), (6, "30"), (7, "30")],
]
TAIL = [
    [(0, "绩效指标"), (1, "一级指标"), (2, "二级指标"), (3, "三级指标"), (4, "年度指标值"), (5, "实际完成值"), (6, "分值"), (7, "得分"), (8, "偏差原因分析及改进措施")],
    [(1, "满意度指标（30分）"), (2, "服务对象满意度"), (3, "满意率(自评新增)"), (4, "≥90%"), (5, "95%"), (6, "30"), (7, "30")],
    [(0, "总分"), (6, "100"), (7, "92.3")],
    [(0, "自评等级"), (6, "优")],
]


def _pages() -> list[Page]:
    title = [TextLine("项目支出绩效自评表", order=0), TextLine("（2023年度）", order=1)]
    return [
        Page(number=1, lines=title, grids=[_grid(HEAD)]),
        Page(number=2, lines=[], grids=[_grid(TAIL, page=2, order=0)]),
    ]


def test_exported_grid_with_blanks_and_page_break():
    forms, warnings = parse_pages(_pages())
    assert len(forms) == 1
    form = forms[0].to_dict()
    assert form["pages"] == [1, 2] and form["year"] == 2023
    assert (form["project"], form["department"], form["implementer"]) == ("测试项目", "某某局", "某某中心")
    total = form["funds"]["rows"]["total"]
    assert total == {"initial": None, "adjusted": 1200.5, "executed": 1000.0, "rate": "83%"}
    assert form["funds"]["rows"]["carryover"] == {"initial": None, "adjusted": 0.0, "executed": 0.0, "rate": None}
    assert (form["funds"]["weight"], form["funds"]["score"], form["funds"]["explanation"]) == (10.0, 8.3, "采购延期")
    assert form["goal"] == {"planned": "完成采购", "achieved": "部分完成"}
    names = [(i["level1"], i["level2"], i["name"], i["target"], i["actual"], i["weight"], i["score"]) for i in form["indicators"]]
    assert names == [
        ("产出指标", "数量指标", "采购台数", "≥10台", "8台", 30.0, 24.0),
        ("产出指标", "数量指标", "验收合格率", None, "100%", 30.0, 30.0),
        ("满意度指标", "服务对象满意度", "满意率", "≥90%", "95%", 30.0, 30.0),
    ]
    assert form["indicators"][2]["self_added"] is True
    assert form["indicators"][0]["explanation"] == "供货延迟"
    assert form["group_weights"] == {"产出指标": 60, "满意度指标": 30}
    assert (form["total_weight"], form["total_score"], form["grade"]) == (100.0, 92.3, "优")
    # blanks that matter are reported, not guessed
    messages = [w["message"] for w in warnings]
    assert any("验收合格率" in m and "target is blank" in m for m in messages)
    assert form["cells"]["funds.rows.total.adjusted"]["text"] == "１,２００.５０"


def test_unparseable_number_becomes_null_with_warning():
    head = [list(r) for r in HEAD]
    head[3] = [(1, "预算总金额"), (2, "1200"), (3, "一千二百"), (4, "1000"), (5, "10"), (6, "83%"), (7, "8.3")]
    pages = [Page(number=1, lines=[TextLine("项目支出绩效自评表", order=0)], grids=[_grid(head + TAIL[1:])])]
    forms, warnings = parse_pages(pages)
    form = forms[0].to_dict()
    assert form["funds"]["rows"]["total"]["adjusted"] is None
    assert any(w["code"] == "NUMBER_FORMAT" and "一千二百" in w["message"] for w in warnings)


def test_missing_required_fields_are_warned():
    pages = [Page(number=3, lines=[TextLine("项目支出绩效自评表", order=0)], grids=[_grid([[(0, "项目名称"), (1, "残表")]])])]
    forms, warnings = parse_pages(pages)
    assert forms[0].project == "残表"
    missing = {w["message"].split(": ", 1)[1] for w in warnings if w["code"] == "MISSING_FIELD"}
    assert {"department not found", "total_score not found", "no indicator rows found"} <= missing
    assert all(w["page"] == 3 for w in warnings)


def test_table_before_any_title_is_reported():
    pages = [Page(number=1, lines=[], grids=[_grid([[(0, "a"), (1, "b"), (2, "c")]])])]
    forms, warnings = parse_pages(pages)
    assert forms == [] and warnings[0]["code"] == "UNRECOGNISED_TABLE"


def test_recognised_cells_get_role_fixes_and_keep_what_ocr_read():
    """A scanned cell (confidence < 1) whose role makes the reading unambiguous is fixed: "1O0%" in
    a rate cell is 100%, "≥9O%" a target of ≥90%; the raw reading stays in the provenance. Cells
    read from a text layer (confidence 1) are never touched."""
    head = [list(r) for r in HEAD]
    head[3] = [(1, "预算总金额"), (2, "1200"), (3, "1200"), (4, "1000"), (5, "1O"), (6, "83%"), (7, "8.3")]
    head[10] = [(1, "产出指标（60分）"), (2, "数量指标"), (3, "采购台数"), (4, "≥l0台"), (5, "8台"), (6, "30"), (7, "24")]
    grid = _grid(head + TAIL[1:])
    for cell in grid.cells:
        cell.confidence = 0.9
    form = parse_pages([Page(number=1, lines=[TextLine("项目支出绩效自评表", order=0)], grids=[grid])])[0][0].to_dict()
    assert form["funds"]["weight"] == 10.0
    assert form["indicators"][0]["target"] == "≥10台"
    assert form["cells"]["indicators[0].target"]["read"] == "≥l0台"
    assert form["cells"]["funds.weight"] == {**form["cells"]["funds.weight"], "text": "10", "read": "1O"}
    assert "read" not in form["cells"]["funds.rows.total.adjusted"]  # nothing to fix
    untouched = parse_pages([Page(number=1, lines=[TextLine("项目支出绩效自评表", order=0)], grids=[_grid(head + TAIL[1:])])])
    assert untouched[0][0].to_dict()["indicators"][0]["target"] == "≥l0台"


def test_a_scans_specks_beside_a_title_do_not_hide_it():
    """Dust read as a trailing quote, or as a lone character in a cell of its own, leaves the title a title."""
    for title in (TextLine("项目支出绩效自评表“", order=0),):
        forms, _ = parse_pages([Page(number=1, lines=[title], grids=[_grid(HEAD + TAIL[1:])])])
        assert [f.to_dict()["project"] for f in forms] == ["测试项目"]
    speck = _grid([[(0, "项目支出绩效自评表"), (7, "集")]], order=0)
    forms, _ = parse_pages([Page(number=1, lines=[], grids=[speck, _grid(HEAD + TAIL[1:])])])
    assert [f.to_dict()["title"] for f in forms] == ["项目支出绩效自评表"]
