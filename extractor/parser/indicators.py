"""Indicator rows of a self-evaluation form (绩效指标 block).

Merged level cells are flattened in text exports, so a row may start with a level-1 label, a
level-2 label, both, or neither, and its columns drift. A row is read from the right: the last
pair of numbers is weight and score, anything after them is the explanation, and before them
stand name, target and actual. Columns decide only when cells are missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from extractor.forms import Indicator
from extractor.normalize import is_number, key
from extractor.parser.fields import FieldSink
from extractor.parser.labels import edits, label_in_column
from extractor.parser.rows import RCell, Row, join_cells
from extractor.parser.table import by_exact_column
from extractor.textjoin import is_cjk

# the closing bracket may be missing: a scan's ruling cuts the "）" printed across it
LEVEL1_NAMES = ("产出指标", "效益指标", "满意度指标", "成本指标")
LEVEL2_NAMES = ("数量", "质量", "时效", "成本", "经济成本", "社会成本", "生态环境成本", "经济效益", "社会效益",
                "生态效益", "可持续影响", "服务对象满意度", "社会公众满意度", "社会满意度", "其他效果", "其他")
LEVEL1 = re.compile(rf"^({'|'.join(LEVEL1_NAMES)})(?:\((\d+(?:\.\d+)?)分?\)?)?$")
LEVEL2 = re.compile(rf"^({'|'.join(LEVEL2_NAMES)}|可持續影响)(指标)?$")
# what a recognised cell in a level column may be snapped to (labels.label_in_column)
COLUMN_LABELS = {"level1": frozenset(LEVEL1_NAMES),
                 "level2": frozenset(LEVEL2_NAMES) | frozenset(n + "指标" for n in LEVEL2_NAMES)}
_HEADER_ONLY = ("一级指标", "二级指标", "年度指标值", "实际完成值")  # labels no other header row prints
SELF_ADDED = re.compile(r"\s*[（(]\s*自评新增\s*[)）]\s*")
HEADER_FIELDS = (
    ("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"), ("target", "年度指标值"),
    ("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"), ("explanation", "偏差原因分析"),
)


@dataclass
class IndicatorState:
    anchors: dict[str, int] = field(default_factory=dict)
    level1: Optional[str] = None
    level2: Optional[str] = None
    level1_col: Optional[int] = None  # where this form prints its level-1 labels


def is_indicator_header(row: Row) -> bool:
    """The row naming the indicator columns: by its 三级指标, or, read by OCR with that label
    misread ("三级标"), by two other labels only that row prints."""
    if row.find(lambda k: k == "三级指标") is not None:
        return True
    return sum(c.confidence < 1.0 and c.key.startswith(_HEADER_ONLY) for c in row.cells) >= 2


def read_header(row: Row, state: IndicatorState) -> None:
    for cell in row.cells:
        for name, label in HEADER_FIELDS:
            if cell.key.startswith(label) and cell.col is not None:
                state.anchors[name] = cell.col
    if "name" not in state.anchors and "target" in state.anchors:
        # a recognised 三级指标 misread: the name column is the one next left of the target's
        state.anchors["name"] = max((c.col for c in row.cells if c.col is not None and c.col < state.anchors["target"]),
                                    default=state.anchors["target"] - 1)
    if "name" in state.anchors:
        # a recognised 一级指标 / 二级指标 with its first character lost or misread ("级指标")
        # is told by where it stands: next left of 三级指标 is level 2, then level 1
        left = sorted((c.col for c in row.cells if c.col is not None and c.col < state.anchors["name"]
                       and (c.key in ("一级指标", "二级指标") or (c.confidence < 1.0 and _level_header(c.key)))),
                      reverse=True)
        for name, col in zip(("level2", "level1"), left):
            state.anchors.setdefault(name, col)


def _level_header(cell_key: str) -> bool:
    return "级指标" in cell_key or min(edits(cell_key, "一级指标"), edits(cell_key, "二级指标")) <= 1


def read_indicator(
    row: Row, state: IndicatorState, group_weights: dict[str, float], index: int, sink: FieldSink
) -> Optional[Indicator]:
    cells = [c for c in row.cells if c.key != "绩效指标"]
    placed = _exact(cells, state.anchors) or _semantic(cells, state, sink, row.page)
    if placed is None:
        return None
    labels = placed.pop("labels", [])
    labels += [placed.pop(k) for k in ("level1", "level2") if k in placed]
    level1, level2 = _apply_labels(labels, state, group_weights, sink, placed.pop("kinds", {}))
    base = f"indicators[{index}]"
    name = sink.text(f"{base}.name", placed.get("name"))
    self_added = bool(name and SELF_ADDED.search(name))
    if name and self_added:
        name = SELF_ADDED.sub("", name).strip()
    ind = Indicator(
        level1=level1, level2=level2, name=name,
        target=sink.text(f"{base}.target", placed.get("target"), role="target"),
        actual=sink.text(f"{base}.actual", placed.get("actual"), role="target"),
        weight=sink.number(f"{base}.weight", placed.get("weight")),
        score=sink.number(f"{base}.score", placed.get("score")),
        explanation=sink.text(f"{base}.explanation", placed.get("explanation")),
        self_added=self_added,
    )
    for field_name in ("name", "target", "actual", "weight", "score"):
        if getattr(ind, field_name) is None:
            sink.warn("MISSING_FIELD", f"indicator {name or index!r}: {field_name} is blank", row.page)
    return ind


def _apply_labels(
    labels: list[RCell], state: IndicatorState, group_weights: dict[str, float], sink: FieldSink,
    kinds: Optional[dict[int, str]] = None,
) -> tuple[Optional[str], Optional[str]]:
    """The row's (level1, level2); `state` keeps what the following rows inherit. `kinds` names
    the level of a recognised label its column placed but its misread text cannot tell (id → kind)."""
    level1: Optional[RCell] = None
    level2: list[RCell] = []
    for i, cell in enumerate(labels):
        m1 = LEVEL1.match(cell.key)
        # 成本指标 is a level-1 group in some regions and a level-2 one in others: it is level 1
        # when it prints points, another label follows it, or it stands where level-1 labels stand
        at_level1_col = cell.col is not None and cell.col == state.level1_col
        kind = (kinds or {}).get(id(cell))
        if kind == "level1" or (kind is None and m1 and (
                m1.group(1) != "成本指标" or m1.group(2) or i + 1 < len(labels) or at_level1_col)):
            level1 = cell
            if m1 and m1.group(2):
                group_weights[m1.group(1)] = float(m1.group(2))
                sink.cells[f"group_weights.{m1.group(1)}"] = cell.provenance()
        else:
            level2.append(cell)
    new_level1 = _level1_name(level1) if level1 is not None else None
    if level1 is not None and len(level2) > 1 and state.level1 is not None:
        # A flattened export prints a merged group label on a row in the middle of its span: a row
        # carrying a new level-1 label and two level-2 labels is the previous group's last row
        # (with the last label); the new group and its first level-2 label start on the next row.
        row = (state.level1, level2[-1].value)
        shown = " / ".join(c.text.strip() for c in [level1, *level2])
        sink.warn("AMBIGUOUS_ROW", f"labels {shown} on one row: the row kept in {row[0]}/{row[1]}, "
                  f"{new_level1}/{level2[0].value} starts on the next row", level1.page)
        state.level1, state.level2, state.level1_col = new_level1, level2[0].value, level1.col
        return row
    if level1 is not None:
        state.level1, state.level2, state.level1_col = new_level1, None, level1.col
    if len(level2) > 1:
        shown = " / ".join(c.text.strip() for c in level2)
        sink.warn("AMBIGUOUS_ROW", f"several level-2 labels in one row ({shown}); the last kept", level2[0].page)
    if level2:
        state.level2 = level2[-1].value
    return state.level1, state.level2


def _level1_name(cell: RCell) -> Optional[str]:
    m = LEVEL1.match(cell.key)
    return m.group(1) if m else cell.value


def is_label(cell_key: str) -> bool:
    return bool(LEVEL1.match(cell_key) or LEVEL2.match(cell_key))


def _exact(cells: list[RCell], anchors: dict[str, int]) -> Optional[dict]:
    """A grid whose cells sit exactly under the header (an export, a rebuilt scan): place by column."""
    placed = by_exact_column(cells, anchors)
    if placed is None:
        return None
    kinds: dict[int, str] = {}
    for k in ("level1", "level2"):
        if k in placed and not is_label(placed[k].key) and placed[k].confidence < 1.0:
            placed[k] = _column_label(placed[k], k, kinds)
    numbers_ok = all(k in placed and _is_number(placed[k], split_ok=True) for k in ("weight", "score"))
    labels_ok = all(is_label(placed[k].key) or id(placed[k]) in kinds for k in ("level1", "level2") if k in placed)
    if not numbers_ok or not labels_ok or "name" not in placed:
        return None
    placed["kinds"] = kinds
    return placed


def _column_label(cell: RCell, kind: str, kinds: dict[int, str]) -> RCell:
    """A recognised cell in a level column that matches no label: the label it is near, or,
    when it is words (two CJK characters or more) near none, that level's label as read."""
    label = label_in_column(cell.key, COLUMN_LABELS[kind])
    if label is not None:
        cell = cell.relabelled(label)
        if is_label(cell.key):
            return cell
    if sum(is_cjk(ch) for ch in cell.key) >= 2:
        kinds[id(cell)] = kind
    return cell


def _semantic(cells: list[RCell], state: IndicatorState, sink: FieldSink, page: int) -> Optional[dict]:
    pair = _weight_score_pair(cells)
    if pair is None:
        sink.warn("UNPARSED_ROW", f"indicator row without weight/score: {_show(cells)}", page)
        return None
    placed: dict = {"weight": cells[pair], "score": cells[pair + 1]}
    tail = cells[pair + 2:]
    if tail:
        placed["explanation"] = join_cells(tail)
    pre = cells[:pair]
    shift = _shift(cells[pair], state.anchors)
    labels: list[RCell] = []
    while pre and is_label(pre[0].key) and (len(pre) > 3 or _left_of_name(pre[0], shift, state.anchors)):
        labels.append(pre.pop(0))
    placed["labels"] = labels
    if len(pre) > 3:
        sink.warn("AMBIGUOUS_ROW", f"extra cells before the target joined into the name: {_show(pre)}", page)
        pre = [join_cells(pre[:-2], sep="")] + pre[-2:]
    if len(pre) == 3:
        placed.update(name=pre[0], target=pre[1], actual=pre[2])
    elif len(pre) == 2:
        placed["name"] = pre[0]
        mapped = (pre[1].col or 0) - shift
        side = "actual" if mapped >= state.anchors.get("actual", 5) else "target"
        placed[side] = pre[1]
    elif len(pre) == 1:
        placed["name"] = pre[0]
    return placed


def _weight_score_pair(cells: list[RCell]) -> Optional[int]:
    """Index of the last two adjacent numbers with no number after them. A recognised cell counts
    as a number when it reads as one once OCR confusions are fixed for a number's role (the
    weight and score are then read with the same fix)."""
    numbers = [_is_number(c) for c in cells]
    for i in range(len(cells) - 2, -1, -1):
        if numbers[i] and numbers[i + 1]:
            return i if not any(numbers[i + 2:]) else None
    return None


def _is_number(cell: RCell, split_ok: bool = False) -> bool:
    """`split_ok`: a recognised number read as two figures ("30 20") counts, where its column
    already says it is the weight or score (it is then read as blank, with a warning)."""
    if cell.confidence >= 1.0:
        return is_number(cell.text)
    from extractor.ocr.confusions import fix, split_reading

    fixed = fix(cell.text, "number")[0]
    return split_ok if split_reading(fixed) else is_number(fixed)


def _shift(weight_cell: RCell, anchors: dict[str, int]) -> int:
    if weight_cell.col is None or "weight" not in anchors:
        return 0
    return weight_cell.col - anchors["weight"]


def _left_of_name(cell: RCell, shift: int, anchors: dict[str, int]) -> bool:
    if cell.col is None or "name" not in anchors:
        return False
    return cell.col - shift < anchors["name"]


def _show(cells: list[RCell]) -> str:
    return " | ".join(key(c.text) for c in cells)
