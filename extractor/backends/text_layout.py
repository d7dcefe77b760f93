"""pdftotext "layout" exports of the targets table (seed 001): no tabs, cells wrapped over lines.

The printed table is 序号 | 项目名称 | 项目概况 | 本年预算金额 | 年度绩效目标 | 指标名称 | 运算符 | 单位 | 年度目标值.
pdftotext writes each project as: seq and name, the overview lines (the budget trailing its last
line or on a line of its own), the goal lines, then one paragraph per indicator
("name op unit value", blank-line separated; long names and values wrap onto lines of their own).
This module rebuilds the table as a Grid; the targets parser then reads it like any other grid.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from extractor.forms import OPERATORS
from extractor.model import Cell, Grid, Page, TextLine
from extractor.normalize import key

HEADER = ("序号", "项目名称", "项目概况", "本年预算金额（万元）", "年度绩效目标", "指标名称", "运算符", "单位", "年度目标值")
OPS = frozenset(OPERATORS)
_SEQ = re.compile(r"^(\d{1,3})(?:\s+(\S.*))?$")
_BUDGET_ALONE = re.compile(r"^\d+(\.\d+)?$")
_BUDGET_TAIL = re.compile(r"^(.*\S)\s+(\d+(\.\d+)?)$")
NAME_WIDTH = 11  # a name line this long filled its column, so the next short line continues it
WRAP_WIDTH = 6  # a token this long may have wrapped onto the next line


@dataclass
class _Project:
    seq: str
    name: str = ""
    overview: list[str] = field(default_factory=list)
    budget: Optional[str] = None
    goal: list[str] = field(default_factory=list)
    indicators: list[list[str]] = field(default_factory=list)


def targets_grid(chunks: list[str]) -> Optional[list[Page]]:
    """Rebuild a targets table from layout text, or None when the text is not one."""
    lines = [line.rstrip() for chunk in chunks for line in chunk.splitlines()]
    header_at = next((i for i, ln in enumerate(lines) if "指标名称运算符" in key(ln)), None)
    if header_at is None:
        return None
    titles = [ln.strip() for ln in lines[:header_at] if "汇总表" in ln or "目标表" in ln]
    projects = _projects(_paragraphs(lines[header_at + 1:]))
    grid = _to_grid(projects)
    text_lines = [TextLine(text=t, order=i) for i, t in enumerate(titles)]
    grid.order = len(text_lines)
    return [Page(number=1, lines=text_lines, grids=[grid])]


def _paragraphs(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _projects(paragraphs: list[list[str]]) -> list[_Project]:
    projects: list[_Project] = []
    state = "seek"
    project: Optional[_Project] = None
    pending_name: Optional[str] = None
    for p_index, para in enumerate(paragraphs):
        queue = list(para)
        next_para = paragraphs[p_index + 1] if p_index + 1 < len(paragraphs) else []
        while queue:
            line = queue.pop(0)
            m = _SEQ.match(line)
            starts_para = len(queue) == len(para) - 1
            if m and (state in ("seek", "indicators") or (state == "goal" and starts_para)):
                project = _Project(seq=m.group(1))
                projects.append(project)
                pending_name, state = None, "overview"
                if not m.group(2):
                    project.name, queue = "".join(queue), []
                    continue
                project.name = m.group(2).strip()
                if len(project.name) >= NAME_WIDTH and len(queue) == 1 and len(queue[0]) < NAME_WIDTH:
                    project.name += queue.pop(0)
                continue
            if project is None:
                continue
            if state == "overview":
                if _BUDGET_ALONE.match(line):
                    project.budget, state = line, "goal"
                elif (t := _BUDGET_TAIL.match(line)) and " " not in t.group(1):
                    project.overview.append(t.group(1))
                    project.budget, state = t.group(2), "goal"
                else:
                    project.overview.append(line)
                continue
            rest = [line] + queue
            if state == "goal" and _is_goal_text(rest, next_para, project):
                project.goal.append(line)
                continue
            state = "indicators"
            pending_name = _indicator_paragraph(rest, project, pending_name, _starts_with_op(next_para))
            queue = []
    return projects


def _starts_with_op(para: list[str]) -> bool:
    return bool(para) and para[0].split(" ")[0] in OPS


def _is_goal_text(lines: list[str], next_para: list[str], project: _Project) -> bool:
    """Goal lines carry no column gaps; a gap-free paragraph followed by "= unit value" is a name."""
    if any(" " in ln for ln in lines):
        return False
    return not (project.goal and _starts_with_op(next_para))


def _tokens(para: list[str]) -> list[str]:
    tokens = [t for t in para[0].split(" ") if t]
    for line in para[1:]:
        if " " in line:
            tokens.extend(t for t in line.split(" ") if t)
        elif tokens and len(tokens[-1]) >= WRAP_WIDTH:
            tokens[-1] += line
        else:
            tokens.append(line)
    return tokens


def _indicator_paragraph(
    para: list[str], project: _Project, pending_name: Optional[str], fields_follow: bool
) -> Optional[str]:
    """Add the paragraph's indicator to the project; return a name still waiting for its fields."""
    tokens = _tokens(para)
    if tokens[0] in OPS and pending_name is not None:
        project.indicators.append([pending_name] + tokens)
        return None
    if len(tokens) == 1:
        last = project.indicators[-1] if project.indicators else None
        wrapped = last is not None and len(last[-1]) >= WRAP_WIDTH
        if pending_name is None and wrapped and not fields_follow:
            last[-1] += tokens[0]
            return None
        return tokens[0] if pending_name is None else pending_name + tokens[0]
    project.indicators.append(tokens)
    return None


def split_indicator(tokens: list[str]) -> tuple[str, Optional[str], Optional[str], Optional[str]]:
    """[name, op?, unit?, value?] as printed in the four indicator columns."""
    name, rest = tokens[0], list(tokens[1:])
    op = rest.pop(0) if rest and rest[0] in OPS else None
    unit = rest.pop(0) if len(rest) >= 2 else None
    value = " ".join(rest) if rest else None
    return name, op, unit, value


def _to_grid(projects: list[_Project]) -> Grid:
    cells = [Cell(row=0, col=c, text=t) for c, t in enumerate(HEADER)]
    row = 1
    for p in projects:
        indicators = [split_indicator(t) for t in p.indicators] or [("", None, None, None)]
        span = len(indicators)
        lead = (p.seq, p.name, "".join(p.overview), p.budget, "".join(p.goal))
        cells += [Cell(row=row, col=c, text=t, rowspan=span) for c, t in enumerate(lead) if t]
        for i, values in enumerate(indicators):
            cells += [Cell(row=row + i, col=5 + c, text=t) for c, t in enumerate(values) if t]
        row += span
    return Grid(page=1, cells=cells, n_rows=row, n_cols=len(HEADER))
