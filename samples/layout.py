"""Canonical printed layout of a form: title lines and one grid, as the backends would read them.

The writers draw these blocks to .xlsx/.docx/.pdf, and the form parser reads the same shape
back from real documents, so the cell positions here follow the printed forms (see the seeds)
and must not drift: the parser finds rows by the text and order of their cells.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional, Union

from extractor.forms import Form, Funds, Indicator, SelfEvaluation, Summary, Targets
from extractor.model import Cell, Grid, TextLine

Block = Union[TextLine, Grid]

# Relative column widths, per form kind, shared by all writers so the three formats look alike.
COLUMN_WEIGHTS: dict[str, list[float]] = {
    "self_evaluation": [1.1, 1.4, 1.2, 1.6, 1.15, 1.15, 0.9, 0.9, 1.8],
    "summary": [0.5, 2.3, 2.6, 2.2, 1.0, 1.0, 0.8, 0.9],
    "targets": [0.5, 1.5, 2.6, 1.0, 2.6, 1.7, 0.6, 0.6, 0.9],
}

FUNDS_LABELS = (("total", "预算总金额"), ("fiscal", "其中：当年财政拨款"),
                ("carryover", "上年结转资金"), ("other", "其他资金"))
INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                    "偏差原因分析及改进措施")
SUMMARY_HEADER = ("序号", "项目名称", "项目编码", "单位名称", "全年预算数", "全年执行数", "执行率", "自评结果")
TARGETS_HEADER = ("序号", "项目名称", "项目概况", "本年预算金额（万元）", "年度绩效目标", "指标名称", "运算符",
                  "单位", "年度目标值")


def fmt_number(value: Optional[float]) -> str:
    """Weights, scores, counts: "10" for whole numbers, else the shortest text that reads back exact."""
    if value is None:
        return ""
    v = float(value)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return _shortest(v)


def fmt_amount(value: Optional[float]) -> str:
    """Money as the Ningbo forms print it: at least one decimal ("1000.0", "138.9", "1563.92")."""
    if value is None:
        return ""
    v = float(value)
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v)}.0"
    return _shortest(v)


def _shortest(v: float) -> str:
    text = repr(v)
    # repr switches to exponent form for tiny/huge values, which a form never prints
    return format(Decimal(text), "f") if "e" in text else text


def form_to_blocks(form: Form) -> list[Block]:
    """The form as it is printed: text lines above one grid, `order` increasing down the page."""
    if isinstance(form, SelfEvaluation):
        lines = [form.title or "项目支出绩效自评表"]
        if form.year is not None:
            lines.append(f"({form.year}年度)")
        grid = self_evaluation_grid(form)
    elif isinstance(form, Summary):
        lines = [form.title or "预算项目单位自评情况汇总表"]
        if form.department:
            lines.append(f"部门：{form.department}")
        lines.append(f"单位：{form.unit or '万元'}")
        grid = summary_grid(form)
    elif isinstance(form, Targets):
        lines = [form.title or "项目绩效目标汇总表"]
        grid = targets_grid(form)
    else:
        raise TypeError(f"not a form: {type(form).__name__}")
    blocks: list[Block] = [TextLine(text=t, order=float(i)) for i, t in enumerate(lines)]
    grid.order = float(len(lines))
    blocks.append(grid)
    return blocks


def column_weights(form: Form, n_cols: int) -> list[float]:
    weights = COLUMN_WEIGHTS.get(form.kind, [])
    return weights if len(weights) == n_cols else [1.0] * n_cols


class _GridBuilder:
    """Collects cells, dropping blank ones: a reader sees no text there either."""

    def __init__(self, n_cols: int):
        self.cells: list[Cell] = []
        self.n_cols = n_cols
        self.n_rows = 0

    def put(self, row: int, col: int, text: Optional[str], rowspan: int = 1, colspan: int = 1) -> None:
        self.n_rows = max(self.n_rows, row + rowspan)
        if text is None or not str(text).strip():
            return
        self.cells.append(Cell(row=row, col=col, text=str(text).strip(), rowspan=rowspan, colspan=colspan))

    def grid(self) -> Grid:
        self.cells.sort(key=lambda c: (c.row, c.col))
        return Grid(page=1, cells=self.cells, n_rows=self.n_rows, n_cols=self.n_cols)


def self_evaluation_grid(form: SelfEvaluation) -> Grid:
    g = _GridBuilder(9)
    g.put(0, 0, "项目名称")
    g.put(0, 1, form.project, colspan=8)
    g.put(1, 0, "主管部门")
    if form.implementer is None:
        g.put(1, 1, form.department, colspan=8)
    else:
        g.put(1, 1, form.department, colspan=4)
        g.put(1, 5, "实施单位")
        g.put(1, 6, form.implementer, colspan=3)
    _funds_rows(g, form.funds)
    g.put(7, 0, "年度总体目标", rowspan=2)
    g.put(7, 1, "年初预期目标", colspan=4)
    g.put(7, 5, "实际完成情况", colspan=4)
    g.put(8, 1, form.goal_planned, colspan=4)
    g.put(8, 5, form.goal_achieved, colspan=4)
    inds = form.indicators
    g.put(9, 0, "绩效指标", rowspan=1 + len(inds))
    for col, label in enumerate(INDICATOR_HEADER, start=1):
        g.put(9, col, label)
    _indicator_rows(g, form, first_row=10)
    row = 10 + len(inds)
    g.put(row, 0, "总分", colspan=6)
    g.put(row, 6, fmt_number(form.total_weight))
    g.put(row, 7, fmt_number(form.total_score))
    g.n_rows = row + 1  # the total row exists even when every value in it is blank
    row += 1
    if form.grade:
        g.put(row, 0, "自评等级", colspan=6)
        g.put(row, 6, form.grade, colspan=3)
        row += 1
    if form.note:
        g.put(row, 0, form.note, colspan=9)
    return g.grid()


def _funds_rows(g: _GridBuilder, funds: Funds) -> None:
    explained = funds.has_explanation
    # without the 偏差原因分析 column the 得分 column takes its place, as on the Shanghai forms
    score_span = 1 if explained else 2
    g.put(2, 0, f"项目资金（{funds.unit or '万元'}）", rowspan=5)
    for col, label in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率"), start=2):
        g.put(2, col, label)
    g.put(2, 7, "得分", colspan=score_span)
    if explained:
        g.put(2, 8, "偏差原因分析")
    for i, (key, label) in enumerate(FUNDS_LABELS):
        row = 3 + i
        data = funds.rows.get(key)
        g.put(row, 1, label)
        if data is not None:
            g.put(row, 2, fmt_amount(data.initial))
            g.put(row, 3, fmt_amount(data.adjusted))
            g.put(row, 4, fmt_amount(data.executed))
        if key == "total":
            rate = funds.rate if funds.rate is not None else (data.rate if data else None)
            g.put(row, 5, fmt_number(funds.weight))
            g.put(row, 6, rate)
            g.put(row, 7, fmt_number(funds.score), colspan=score_span)
            if explained:
                g.put(row, 8, funds.explanation, rowspan=4)
        else:
            g.put(row, 5, "—")
            g.put(row, 6, data.rate if data else None)
            g.put(row, 7, "—", colspan=score_span)


def _runs(keys: list[tuple]) -> list[tuple[int, int]]:
    """(start, length) of each run of equal consecutive keys."""
    out: list[tuple[int, int]] = []
    for i, key in enumerate(keys):
        if out and keys[out[-1][0]] == key:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((i, 1))
    return out


def _level1_label(form: SelfEvaluation, level1: Optional[str]) -> Optional[str]:
    if level1 is None:
        return None
    weight = form.group_weights.get(level1)
    return level1 if weight is None else f"{level1}（{fmt_number(weight)}分）"


def _indicator_rows(g: _GridBuilder, form: SelfEvaluation, first_row: int) -> None:
    inds: list[Indicator] = form.indicators
    for start, length in _runs([(i.level1,) for i in inds]):
        g.put(first_row + start, 1, _level1_label(form, inds[start].level1), rowspan=length)
    for start, length in _runs([(i.level1, i.level2) for i in inds]):
        g.put(first_row + start, 2, inds[start].level2, rowspan=length)
    for k, ind in enumerate(inds):
        row = first_row + k
        name = ind.name
        if ind.self_added:
            name = f"{name or ''}(自评新增)"
        g.put(row, 3, name)
        g.put(row, 4, ind.target)
        g.put(row, 5, ind.actual)
        g.put(row, 6, fmt_number(ind.weight))
        g.put(row, 7, fmt_number(ind.score))
        g.put(row, 8, ind.explanation)


def summary_grid(form: Summary) -> Grid:
    g = _GridBuilder(len(SUMMARY_HEADER))
    for col, label in enumerate(SUMMARY_HEADER):
        g.put(0, col, label)
    for k, r in enumerate(form.rows, start=1):
        values = (None if r.seq is None else str(r.seq), r.project, r.code, r.unit_name,
                  fmt_number(r.adjusted), fmt_number(r.executed), r.rate, r.grade)
        for col, text in enumerate(values):
            g.put(k, col, text)
        g.n_rows = max(g.n_rows, k + 1)
    return g.grid()


def targets_grid(form: Targets) -> Grid:
    g = _GridBuilder(len(TARGETS_HEADER))
    for col, label in enumerate(TARGETS_HEADER):
        g.put(0, col, label)
    row = 1
    for r in form.rows:
        span = max(1, len(r.indicators))
        head = (None if r.seq is None else str(r.seq), r.project, r.overview, fmt_number(r.budget), r.goal)
        for col, text in enumerate(head):
            g.put(row, col, text, rowspan=span)
        for k, ind in enumerate(r.indicators):
            for col, text in enumerate((ind.name, ind.op, ind.unit, ind.value), start=5):
                g.put(row + k, col, text)
        row += span
        g.n_rows = max(g.n_rows, row)
    return g.grid()
