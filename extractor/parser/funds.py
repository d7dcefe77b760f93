"""The funds block (项目资金) and the overall goal (年度总体目标) of a self-evaluation form.

Values are read by order after the row's label, because text exports shift columns; the header's
columns place a value only when the row is missing cells.
"""
from __future__ import annotations

import re
from typing import Optional

from extractor.forms import Funds, SelfEvaluation
from extractor.normalize import clean, is_blank, is_number, is_rate, key
from extractor.parser.fields import FieldSink
from extractor.parser.labels import label_in_column
from extractor.parser.rows import RCell, Row, join_cells
from extractor.parser.table import by_exact_column, by_nearest_column

ROW_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("total", re.compile(r"^(年度资金总额|预算总金额|资金总额|总金额|合计|总计)[:：]?$")),
    ("fiscal", re.compile(r"^(其中[:：]?)?(当年|本年)?财政(拨款|资金)$")),
    ("carryover", re.compile(r"^(其中[:：]?)?上年结转(资金)?$")),
    ("other", re.compile(r"^(其中[:：]?)?其他资金$")),
)
HEADER_FIELDS = (
    ("initial", ("年初预算数", "年初预算")),
    ("adjusted", ("全年预算数", "调整后预算数", "全年预算")),
    ("executed", ("全年执行数", "执行数")),
    ("weight", ("分值",)),
    ("rate", ("执行率",)),
    ("score", ("得分",)),
    ("explanation", ("偏差原因分析",)),
)
GOAL_PLANNED = ("年初预期目标", "预期目标", "预算目标", "年初目标", "年度目标")
GOAL_ACHIEVED = ("实际完成情况", "全年实际完成情况", "实际完成")
_UNIT = re.compile(r"[(（]\s*(万元|元)\s*[)）]")


# The funds rows' labels as printed: inside the funds block only these can stand in a row's first
# cells, so a recognised one may be further off than elsewhere (labels.label_in_column).
ROW_PRINTED = frozenset(key(p) for p in ("年度资金总额", "预算总金额", "其中：当年财政拨款", "当年财政拨款",
                                         "上年结转资金", "其他资金"))


def funds_row_kind(cell_key: str) -> Optional[str]:
    return next((kind for kind, rx in ROW_LABELS if rx.match(cell_key)), None)


def funds_label_at(row: Row) -> Optional[int]:
    """Where a funds row's label stands in a row of the funds block: matched exactly, else a
    recognised cell near one of the printed labels (a character or two misread or lost), which
    it then becomes."""
    at = row.find(lambda k: funds_row_kind(k) is not None)
    if at is not None:
        return at
    for i, cell in enumerate(row.cells):
        label = label_in_column(cell.key, ROW_PRINTED) if cell.confidence < 1.0 else None
        if label is not None:
            row.cells[i] = cell.relabelled(label)
            return i
    return None


def is_funds_header(row: Row) -> bool:
    return row.find(lambda k: k.startswith("年初预算数") or k.startswith("全年预算数")) is not None


def read_funds_header(row: Row, form: SelfEvaluation, sink: FieldSink) -> dict[str, int]:
    """Column anchors of the funds block; the explanation may be printed inside its header cell."""
    anchors: dict[str, int] = {}
    for cell in row.cells:
        k = cell.key
        if k.startswith("项目资金") and (m := _UNIT.search(cell.text)):
            form.funds.unit = m.group(1)
        for field, labels in HEADER_FIELDS:
            if any(k.startswith(label) for label in labels) and cell.col is not None:
                anchors.setdefault(field, cell.col)
        if k.startswith("偏差原因分析"):
            form.funds.has_explanation = True
            rest = clean(cell.text.strip()[len("偏差原因分析"):])
            if rest:
                form.funds.explanation = rest
                sink.cells["funds.explanation"] = cell.provenance()
    return anchors


def read_funds_row(row: Row, label_at: int, form: SelfEvaluation, anchors: dict[str, int], sink: FieldSink) -> None:
    kind = funds_row_kind(row.cells[label_at].key)
    assert kind is not None
    values = row.cells[label_at + 1:]
    placed = _place(values, kind == "total", anchors, row.cells[label_at], sink)
    target = form.funds.rows[kind]
    base = f"funds.rows.{kind}"
    target.initial = sink.number(f"{base}.initial", placed.get("initial"))
    target.adjusted = sink.number(f"{base}.adjusted", placed.get("adjusted"))
    target.executed = sink.number(f"{base}.executed", placed.get("executed"))
    target.rate = sink.text(f"{base}.rate", placed.get("rate"), role="rate")
    if kind != "total":
        return
    funds: Funds = form.funds
    funds.weight = sink.number("funds.weight", placed.get("weight"))
    funds.rate = sink.text("funds.rate", placed.get("rate"), role="rate")
    funds.score = sink.number("funds.score", placed.get("score"))
    if (expl := placed.get("explanation")) is not None and funds.explanation is None:
        funds.has_explanation = True
        funds.explanation = sink.text("funds.explanation", expl)


def _place(
    values: list[RCell], is_total: bool, anchors: dict[str, int], label: RCell, sink: FieldSink
) -> dict[str, RCell]:
    """initial, adjusted, executed, weight, rate, score[, explanation…] in print order."""
    order = ["initial", "adjusted", "executed", "weight", "rate", "score"]
    aligned = label.col is not None and anchors and label.col < min(anchors.values())
    if aligned and (exact := by_exact_column(values, anchors)) is not None:
        return exact  # an exported grid whose columns line up with the header: no guessing
    amounts_ok = len(values) >= 3 and all(is_number(v.text) or is_blank(v.text) for v in values[:3])
    if amounts_ok and (len(values) >= 6 or not is_total):
        placed = dict(zip(order, values))
        if is_total and not is_rate(values[4].text) and not is_blank(values[4].text):
            return _by_column(values, anchors, label, sink)
        if is_total and len(values) > 6:
            placed["explanation"] = join_cells(values[6:])
        return placed
    if is_total and len(values) == 5 and amounts_ok and is_rate(values[4].text):
        sink.warn("MISSING_FIELD", "funds score not printed", label.page)
        return dict(zip(order, values))
    return _by_column(values, anchors, label, sink)


def _by_column(values: list[RCell], anchors: dict[str, int], label: RCell, sink: FieldSink) -> dict[str, RCell]:
    """The row is missing cells: place each by the nearest header column."""
    sink.warn("AMBIGUOUS_ROW", f"funds row {label.text.strip()!r} placed by column", label.page)
    return by_nearest_column(values, anchors)


def goal_header(row: Row) -> Optional[dict[str, int]]:
    """Columns of the planned / achieved headings, when this row prints them."""
    cols: dict[str, int] = {}
    for i, cell in enumerate(row.cells):
        k = cell.key
        if k in GOAL_PLANNED:
            cols["planned"] = i if cell.col is None else cell.col
        elif k in GOAL_ACHIEVED:
            cols["achieved"] = i if cell.col is None else cell.col
    return cols or None


def read_goal(row: Row, cols: dict[str, int], form: SelfEvaluation, sink: FieldSink) -> None:
    cells = [c for c in row.cells if key(c.text) != "年度总体目标"]
    if len(cells) >= 2:
        if len(cells) > 2:
            sink.warn("AMBIGUOUS_ROW", f"goal row has {len(cells)} cells; first and last used", row.page)
        form.goal_planned = sink.text("goal.planned", cells[0])
        form.goal_achieved = sink.text("goal.achieved", cells[-1])
        return
    if len(cells) == 1:
        cell = cells[0]
        col = cell.col if cell.col is not None else 0
        nearer_achieved = abs(col - cols.get("achieved", 99)) < abs(col - cols.get("planned", 99))
        if nearer_achieved:
            form.goal_achieved = sink.text("goal.achieved", cell)
            sink.warn("MISSING_FIELD", "goal.planned is blank", row.page)
        else:
            form.goal_planned = sink.text("goal.planned", cell)
            sink.warn("MISSING_FIELD", "goal.achieved is blank", row.page)
