"""The labels printed on the forms, a closed vocabulary, and the tolerant match of recognised cells.

The parser finds rows by their labels, matched exactly: a funds row is found by 预算总金额, the
indicator block by 绩效指标. One misread character in a scanned label (预算总金颜, 植效指标,
王管部门) would cost every value of that row. The labels are a small closed set, so a recognised
cell that is one character off exactly one of them is that label:

- only cells read by OCR (confidence below 1) are touched; text-layer and exported cells are
  what was printed and are never changed;
- marks at either end (a speck read as "." or "、") are dropped before comparing;
- one *substituted* character, in labels of at least MIN_LEN characters: no insertion or
  deletion (a different, longer or shorter, word is not a misreading of a label), and none in
  short labels (分值 and 得分 differ by one character, and so does much short text);
- never when two labels are equally near (一级指标 / 二级指标 / 三级指标 read as ?级指标);
- a bracketed suffix ("（50分）", "（万元）") is kept as read and the label before it matched.
Level-2 labels that double as indicator names (服务对象满意度 and the like) are left out: a name
one character off them ("服务对象满意率") is a real name, not a misread label.
Where a cell's place says it holds one of a few labels (a funds row's label inside the funds
block, a level-1 or level-2 label under its header), `label_in_column` is looser: lost and
added characters count too (a hard scan's seal drops one: 预算总金, 意度指标), up to
MAX_EDIT_SHARE of the label, when one label is nearer than all others.
The printed reading is kept as the cell's `read`, so provenance shows what the recogniser saw.
"""
from __future__ import annotations

import re
from typing import Optional

from extractor.normalize import key
from extractor.parser.rows import Row

MIN_LEN = 4
MAX_EDIT_SHARE = 0.45  # label_in_column: the most edits, as a share of the label's length

# As printed on the three kinds of form (FORMS.md), in the order a self-evaluation form prints them.
PRINTED = (
    "项目名称", "主管部门", "实施单位", "项目资金", "年初预算数", "全年预算数", "全年执行数", "调整后预算数",
    "偏差原因分析", "年度资金总额", "预算总金额", "其中：当年财政拨款", "当年财政拨款", "上年结转资金",
    "其他资金", "年度总体目标", "年初预期目标", "实际完成情况", "全年实际完成情况", "绩效指标", "一级指标",
    "二级指标", "三级指标", "年度指标值", "实际完成值", "偏差原因分析及改进措施", "产出指标", "效益指标",
    "满意度指标", "成本指标", "数量指标", "质量指标", "时效指标", "经济成本指标", "社会成本指标",
    "生态环境成本指标", "经济效益", "社会效益", "生态效益", "可持续影响", "经济效益指标", "社会效益指标",
    "生态效益指标", "可持续影响指标", "自评等级", "评价等级", "绩效等级", "自评结果",
    # the summary and targets tables' headers
    "项目编码", "项目代码", "单位名称", "预算单位", "项目概况", "本年预算金额", "预算金额", "年度绩效目标",
    "指标名称", "核心绩效指标", "计量单位", "年度目标值",
    # short ones: matched only exactly, once end marks are dropped
    "分值", "得分", "执行率", "总分", "序号", "运算符", "单位",
)
LABELS: frozenset[str] = frozenset(key(p) for p in PRINTED)

_MARKS = "\"'.,:;`~_-·、，。：；‘’“”…"
_SUFFIX = re.compile(r"^(.+?)(\(.*)$")


def nearest_label(cell_key: str, labels: frozenset[str] = LABELS) -> Optional[str]:
    """The label a recognised cell key stands for, when it is not one already and is one
    substituted character (or end marks) away from exactly one of `labels`; else None."""
    head, bare, suffix = _parts(cell_key)
    if not bare or (bare == head and bare in labels):
        return None
    if bare in labels:
        return bare + suffix
    if len(bare) < MIN_LEN:
        return None
    subs = {label: sum(a != b for a, b in zip(bare, label)) for label in labels if len(label) == len(bare)}
    best = min(subs.values(), default=2)
    near = [label for label, n in subs.items() if n == best]
    return near[0] + suffix if best <= 1 and len(near) == 1 else None


def _parts(cell_key: str) -> tuple[str, str, str]:
    """(head, head without end marks, bracketed suffix) of a cell key: "产出措标.(50分)" gives
    ("产出措标.", "产出措标", "(50分)")."""
    m = _SUFFIX.match(cell_key)
    head, suffix = (m.group(1), m.group(2)) if m else (cell_key, "")
    return head, head.strip(_MARKS), suffix


def edits(a: str, b: str) -> int:
    """Levenshtein distance: substitutions, insertions and deletions of one character each."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def label_in_column(cell_key: str, labels: frozenset[str]) -> Optional[str]:
    """The label a recognised cell stands for when its place says it holds one of a few
    `labels` (a level-1 or level-2 indicator label under its header): the one nearest by edits,
    up to MAX_EDIT_SHARE of its length and nearer than any other (or, of equally near ones, the
    only one the reading is with characters lost); a bracketed suffix is kept as read. Looser
    than `nearest_label`, since only these few labels can stand there."""
    _, bare, suffix = _parts(cell_key)
    if not bare:
        return None
    scored = {label: edits(bare, label) for label in labels}
    best = min(scored.values())
    near = [label for label, n in scored.items() if n == best]
    if len(near) > 1:  # 数量 and 数量指标 both one edit from 数量标: the one it lost characters of
        near = [label for label in near if _within(bare, label)]
    if len(near) == 1 and best <= MAX_EDIT_SHARE * len(near[0]):
        return near[0] + suffix
    return None


def _within(short: str, long: str) -> bool:
    """Whether `short` is `long` with characters left out."""
    rest = iter(long)
    return all(ch in rest for ch in short)


def snap_labels(rows: list[Row]) -> None:
    """Give every recognised cell that stands for a label that label's text (see the module)."""
    for row in rows:
        for i, cell in enumerate(row.cells):
            if cell.confidence >= 1.0:
                continue
            label = nearest_label(cell.key)
            if label is not None:
                row.cells[i] = cell.relabelled(label)
