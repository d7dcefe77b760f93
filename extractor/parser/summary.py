"""预算项目单位自评情况汇总表: one row per project of a department."""
from __future__ import annotations

import re
from typing import Optional

from extractor.forms import Summary, SummaryRow
from extractor.normalize import year_of
from extractor.parser.fields import FieldSink
from extractor.parser.rows import Row, Warnings
from extractor.parser.table import header_columns, int_or_none, place

FIELDS = (
    ("seq", ("序号",)),
    ("project", ("项目名称",)),
    ("code", ("项目编码", "项目代码")),
    ("unit_name", ("单位名称", "预算单位", "实施单位")),
    ("adjusted", ("全年预算数", "预算数", "调整后预算")),
    ("executed", ("全年执行数", "执行数")),
    ("rate", ("执行率",)),
    ("grade", ("自评结果", "自评等级", "评价等级")),
)
_DEPT = re.compile(r"^(部门|主管部门|单位名称)[:：](.+)$")
_UNIT = re.compile(r"^(金额)?单位[:：](万元|元)$")


def parse_summary(title: str, rows: list[Row], warnings: Warnings) -> Optional[Summary]:
    form = Summary(title=title, year=year_of(title), pages=[rows[0].page])
    sink = FieldSink(form.cells, warnings, f"{title} on page {rows[0].page}")
    cols: dict[str, int] = {}
    for row in rows[1:]:
        if row.page not in form.pages:
            form.pages.append(row.page)
        if len(row.cells) == 1:
            k = row.cells[0].key
            if _DEPT.match(k):  # the printed name after the colon, not its comparison key
                form.department = re.split(r"[:：]", row.cells[0].text, maxsplit=1)[1].strip()
                form.cells["department"] = row.cells[0].provenance()
            elif m := _UNIT.match(k):
                form.unit = m.group(2)
            continue
        if row.find(lambda k: k == "项目名称") is not None:
            cols = header_columns(row, FIELDS)
            continue
        if not cols or int_or_none(row.cells[0]) is None:
            sink.warn("UNPARSED_ROW", f"summary row not understood: {row.key[:60]}", row.page)
            continue
        cells = place(row, cols)
        n = len(form.rows)
        base = f"rows[{n}]"
        form.rows.append(SummaryRow(
            seq=int_or_none(cells.get("seq")),
            project=sink.text(f"{base}.project", cells.get("project")),
            code=sink.text(f"{base}.code", cells.get("code")),
            unit_name=sink.text(f"{base}.unit_name", cells.get("unit_name")),
            adjusted=sink.number(f"{base}.adjusted", cells.get("adjusted")),
            executed=sink.number(f"{base}.executed", cells.get("executed")),
            rate=sink.text(f"{base}.rate", cells.get("rate"), role="rate"),
            grade=sink.text(f"{base}.grade", cells.get("grade")),
        ))
    if not form.rows:
        sink.warn("MISSING_FIELD", "summary table has no project rows", rows[0].page)
    return form
