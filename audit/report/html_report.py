"""The HTML report: one self-contained file a reviewer opens offline.

Totals by severity, rule and department (a click filters the table); the findings table with
filters (plain JS, assets/report.js); under each finding the form's values involved and, for PDF and
image sources on disk, a crop of the page around the cell; the suppressed findings with their
reasons; the files that could not be read. CSS and JS are inlined, images are data: URIs, so the
file fetches nothing. It is written piece by piece, never held whole, so large batches stay cheap.
"""
from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Optional, TextIO

from audit.engine import AuditRun
from audit.findings import SEVERITIES, Finding
from audit.report import labels
from audit.report.crops import Cropper
from audit.report.html_detail import detail, esc
from audit.report.json_report import totals

ALL = "__all__"  # the "any" option of a filter; "" is a real value (findings without a department)
TITLE = "绩效自评审核报告 Performance self-evaluation audit report"


def write_html(run: AuditRun, path: Path, max_crops: int = 500) -> None:
    with open(path, "w", encoding="utf-8") as out, Cropper(max_crops) as cropper:
        render_html(run, out, cropper)


def render_html(run: AuditRun, out: TextIO, cropper: Optional[Cropper] = None) -> None:
    counts = totals(run.findings)
    asset = resources.files("audit.report") / "assets"
    out.write(f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
              f'<meta name="viewport" content="width=device-width, initial-scale=1">'
              f"<title>{esc(TITLE)}</title><style>{(asset / 'report.css').read_text(encoding='utf-8')}</style></head><body>\n")
    out.write(f"<h1>{esc(TITLE)}</h1>\n")
    out.write(f'<p class="meta">文件 Files: {len(run.results)} · 表单 Forms: {len(run.forms)} · '
              f"问题 Findings: {len(run.findings)} · 已抑制 Suppressed: {len(run.suppressed)} · "
              f"{esc(datetime.now().strftime('%Y-%m-%d %H:%M'))}</p>\n")
    _notes(run, out)
    _totals(counts, out)
    _findings(run, counts, out, cropper)
    _suppressed(run, out)
    out.write(f"<script>{(asset / 'report.js').read_text(encoding='utf-8')}</script>\n</body></html>\n")


def _notes(run: AuditRun, out: TextIO) -> None:
    """The audit's messages: the batch as a whole, and every input problem (unread means unaudited)."""
    if not run.messages:
        return
    out.write('<h2 id="notes">说明与读取问题 Notes and input problems</h2><ul>')
    for message in run.messages:
        out.write(f"<li>{esc(message)}</li>")
    out.write("</ul>\n")


def _totals(counts: dict[str, dict[str, int]], out: TextIO) -> None:
    out.write('<h2 id="totals">汇总 Totals</h2><div class="totals">')
    _count_table(out, "severity", labels.field("severity"),
                 ((s, _severity_badge(s), n) for s, n in counts["severity"].items()))
    _count_table(out, "rule", labels.field("rule"),
                 ((r, esc(labels.rule(r)), n) for r, n in counts["rule"].items()))
    _count_table(out, "department", labels.field("department"),
                 ((d, esc(d or labels.NO_DEPARTMENT), n) for d, n in counts["department"].items()))
    out.write("</div>\n")


def _count_table(out: TextIO, key: str, title: str, rows: Iterable[tuple[str, str, int]]) -> None:
    out.write(f'<table id="totals-{key}"><tr><th>{esc(title)}</th><th class="num">{esc(labels.field("count"))}</th></tr>')
    empty = True
    for value, shown, n in rows:
        empty = False
        out.write(f'<tr data-filter="{key}|{esc(value)}"><td>{shown}</td><td class="num">{n}</td></tr>')
    if empty:
        out.write('<tr><td class="empty" colspan="2">无 none</td></tr>')
    out.write("</table>")


def _severity_badge(severity: str) -> str:
    return f'<span class="sev sev-{esc(severity)}">{esc(labels.severity(severity))}</span>'


def _options(values: Iterable[tuple[str, str]]) -> str:
    return f'<option value="{ALL}">全部 All</option>' + "".join(
        f'<option value="{esc(v)}">{shown}</option>' for v, shown in values)


def _findings(run: AuditRun, counts: dict[str, dict[str, int]], out: TextIO, cropper: Optional[Cropper]) -> None:
    out.write('<h2 id="findings">问题 Findings</h2><div class="filters">')
    out.write(f'<label>{esc(labels.field("severity"))} <select id="f-severity">'
              f'{_options((s, esc(labels.severity(s))) for s in SEVERITIES)}</select></label>')
    out.write(f'<label>{esc(labels.field("rule"))} <select id="f-rule">'
              f'{_options((r, esc(labels.rule(r))) for r in sorted(counts["rule"]))}</select></label>')
    out.write(f'<label>{esc(labels.field("department"))} <select id="f-department">'
              f'{_options((d, esc(d or labels.NO_DEPARTMENT)) for d in sorted(counts["department"]))}</select></label>')
    out.write('<label>搜索 Search <input id="f-text" type="search" placeholder="项目、指标、说明… project, indicator, text"></label>'
              '<button id="f-reset" type="button">重置 Reset</button> <span id="f-count"></span></div>\n')
    if not run.findings:
        out.write('<p class="empty">未发现问题 No findings.</p>')
    heads = ("severity", "rule", "source", "department", "project", "indicator", "message")
    out.write('<table id="findings-table"><thead><tr>'
              + "".join(f"<th>{esc(labels.field(k))}</th>" for k in heads) + "</tr></thead><tbody>\n")
    # Errors first: a reviewer works from what contradicts itself down to what is worth a glance.
    for finding in sorted(run.findings, key=lambda f: _RANK.get(f.severity, len(_RANK))):
        crop = cropper.crop(finding.source, finding.page, finding.bbox) if cropper is not None else None
        out.write(_finding_row(finding, run, crop))
    out.write("</tbody></table>\n")


_RANK = {"error": 0, "warning": 1, "review": 2, "info": 3}


def _finding_row(finding: Finding, run: AuditRun, crop: Optional[bytes]) -> str:
    return (f'<tr data-severity="{esc(finding.severity)}" data-rule="{esc(finding.rule)}" '
            f'data-department="{esc(finding.department or "")}">'
            f"<td>{_severity_badge(finding.severity)}</td>"
            f'<td><code>{esc(finding.rule)}</code><br>{esc(labels.RULES.get(finding.rule, ("",))[0])}</td>'
            f"<td>{_where(finding)}</td>"
            f"<td>{esc(finding.department)}</td><td>{esc(finding.project)}</td><td>{esc(finding.indicator)}</td>"
            f'<td class="msg"><details><summary>{esc(finding.message)}</summary>'
            f"{detail(finding, run.form_of(finding), crop)}</details></td></tr>\n")


def _where(finding: Finding) -> str:
    """The file's name and page; the full path on hover (batches put many folders in one report)."""
    if not finding.source:
        return ""
    name = Path(finding.source).name + (f" p.{finding.page}" if finding.page is not None else "")
    return f'<span title="{esc(finding.source)}">{esc(name)}</span>'


def _suppressed(run: AuditRun, out: TextIO) -> None:
    out.write(f'<h2 id="suppressed">已抑制 Suppressed ({len(run.suppressed)})</h2>')
    if not run.suppressed:
        out.write('<p class="empty">无 none</p>\n')
        return
    keys = ("severity", "rule", "source", "department", "project", "indicator", "message", "reason")
    out.write("<table><tr>" + "".join(f"<th>{esc(labels.field(k))}</th>" for k in keys) + "</tr>")
    for finding, suppression in run.suppressed:
        values: dict[str, Any] = finding.to_dict() | {"reason": suppression.reason}
        cells = [_severity_badge(finding.severity)] + [esc(values[k]) for k in keys[1:]]
        out.write("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.write("</table>\n")
