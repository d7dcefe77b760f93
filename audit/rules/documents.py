"""Across documents (AUDIT_RULES.md): summaries, targets tables and forms audited together.

SUMMARY_MISMATCH, SUMMARY_WITHOUT_FORM, FORM_NOT_IN_SUMMARY, TARGET_CHANGED,
INITIAL_BUDGET_MISMATCH, INDICATOR_ADDED, INDICATOR_DROPPED, DUPLICATE_FORM.

A finding sits where a reviewer fixes it: a summary's figure at the summary row, a changed
or added indicator at the self-evaluation. One index of the batch's forms (by name key, code
and department) serves every rule, so a batch of 10 000 forms is matched in linear time.
"""
from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator, Optional

from audit import precision as p
from audit.findings import Finding, FormView
from audit.matching import FormIndex, NameIndex, match_names, name_key, pair_rows, same_or_unknown
from audit.rules import CATALOGUE, batch_check
from audit.target_match import show_target, targets_agree
from audit.values import convert
from extractor.normalize import key

if TYPE_CHECKING:
    from audit.engine import Batch

# A project name that forms of more departments than this print does not vote for a department.
_TELLING = 3
_TOTAL = "funds.rows.total"


@batch_check
def across_documents(batch: "Batch") -> Iterator[Finding]:
    forms = FormIndex(batch.of_kind("self_evaluation"))
    yield from _summaries(batch, forms)
    yield from _targets(batch, forms)
    yield from _duplicates(batch, forms)


# --- summaries ---------------------------------------------------------------------------

def _summaries(batch: "Batch", forms: FormIndex) -> Iterator[Finding]:
    covered: set[int] = set()
    listed: dict[Optional[str], list[tuple[Optional[int], NameIndex[int]]]] = defaultdict(list)
    for sv in batch.of_kind("summary"):
        rows = sv.form.get("rows") or []
        dept, year = forms.departments.resolve(sv.form.get("department")), sv.form.get("year")
        names: NameIndex[int] = NameIndex()
        for i, row in enumerate(rows):
            names.add(row.get("project"), i)
        listed[dept].append((year, names))
        pairs = pair_rows(rows, forms, dept, year, lambda i, fv: _agreement(sv, i, fv), least=2)
        for pair in pairs:
            covered.add(pair.right)
            yield from _compare_row(sv, pair.left, forms.views[pair.right], pair.score)
        # A summary uploaded without its department's forms: the forms are elsewhere, not missing.
        if not pairs and not forms.of_department(dept, year):
            continue
        paired = {q.left for q in pairs}
        for i, row in enumerate(rows):
            if i not in paired:
                path = f"rows[{i}].project"
                yield _at_row(sv, i, sv.finding(
                    "SUMMARY_WITHOUT_FORM", _severity("SUMMARY_WITHOUT_FORM", (sv, [path])), path,
                    f"汇总表 lists “{row.get('project')}” but no self-evaluation form of it is in the batch",
                    found=row.get("project")))
    for x, fv in enumerate(forms.views):
        year = fv.form.get("year")
        summaries = [names for y, names in listed.get(forms.dept[x], ()) if same_or_unknown(y, year)]
        if forms.dept[x] is None or not summaries or x in covered:
            continue
        if not any(fv.form.get("project") in names for names in summaries):  # else a duplicate form
            yield fv.finding("FORM_NOT_IN_SUMMARY", _severity("FORM_NOT_IN_SUMMARY", (fv, ["project"])), "project",
                             f"the department's 自评情况汇总表 does not list “{fv.form.get('project')}”",
                             found=fv.form.get("project"))


def _summary_checks(sv: FormView, i: int, fv: FormView) -> list[tuple[str, str, bool]]:
    """(summary path, form path, agree?) for each figure both documents print.

    Reads the dicts directly and settles equal prints without Decimal: this runs once per
    project of a 10 000-form batch, and almost every figure simply agrees.
    """
    row, funds = sv.form["rows"][i], fv.form.get("funds") or {}
    total = (funds.get("rows") or {}).get("total") or {}
    factor = _factor(funds.get("unit"), sv.form.get("unit"))
    out = []
    for col in ("adjusted", "executed"):
        spath, fpath = f"rows[{i}].{col}", f"{_TOTAL}.{col}"
        if row.get(col) is not None and total.get(col) is not None:
            ok = (row[col] == total[col] and factor == 1) or _same_amount(_num(sv, spath), _num(fv, fpath), factor)
            out.append((spath, fpath, ok))
    rate, fpath = row.get("rate"), (f"{_TOTAL}.rate" if total.get("rate") is not None else "funds.rate")
    form_rate = fv.get(fpath)
    if p.parse(rate) is not None and (form_rate is not None or _true_rate(fv) is not None):
        ok = key(rate) == key(form_rate) or _same_rate(rate, form_rate, _true_rate(fv))
        out.append((f"rows[{i}].rate", fpath, ok))
    if row.get("grade") and fv.form.get("grade"):
        out.append((f"rows[{i}].grade", "grade", _grade(row["grade"]) == _grade(fv.form["grade"])))
    return out


def _agreement(sv: FormView, i: int, fv: FormView) -> float:
    """How many figures of summary row i agree with the form: tells two projects of one name apart."""
    return float(sum(ok for _, _, ok in _summary_checks(sv, i, fv)))


def _compare_row(sv: FormView, i: int, fv: FormView, score: float) -> Iterator[Finding]:
    note = _name_note("汇总", sv.get(f"rows[{i}].project"), fv.form.get("project"), score)
    for spath, fpath, ok in _summary_checks(sv, i, fv):
        if ok:
            continue
        found, expected = sv.printed(spath), fv.printed(fpath)
        yield _at_row(sv, i, sv.finding(
            "SUMMARY_MISMATCH", _severity("SUMMARY_MISMATCH", (sv, [spath]), (fv, [fpath])), spath,
            f"汇总表 prints {spath.split('.')[-1]} {found} for “{sv.get(f'rows[{i}].project')}” "
            f"but its form prints {expected}{note}", found=found, expected=expected,
        ))


def _at_row(sv: FormView, i: int, finding: Finding) -> Finding:
    """A summary's finding names the row's project: reports group and suppress by project."""
    return replace(finding, project=sv.get(f"rows[{i}].project"))


def _same_amount(a: Optional[str], b: Optional[str], factor: Decimal) -> bool:
    """Equal at the precision of the less precise print (b is in a unit `factor` × a's)."""
    da, db = p.parse(a), p.parse(b)
    if da is None or db is None:
        return a == b
    return p.matches(a or "", db * factor) or p.matches(b or "", da / factor)


def _same_rate(printed: str, form_rate: Optional[str], true: Optional[Decimal]) -> bool:
    """The summary's rate agrees with the form's printed rate or with its true one, at either print."""
    if true is not None and p.matches(printed, true):
        return True
    other, mine = p.parse(form_rate), p.parse(printed)
    return other is not None and mine is not None and (p.matches(printed, other) or p.matches(form_rate or "", mine))


def _true_rate(fv: FormView) -> Optional[Decimal]:
    adjusted, executed = fv.get(f"{_TOTAL}.adjusted"), fv.get(f"{_TOTAL}.executed")
    if not adjusted or executed is None:
        return None
    return p.dec(executed) / p.dec(adjusted) * 100


def _grade(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


# --- targets tables ----------------------------------------------------------------------

def _targets(batch: "Batch", forms: FormIndex) -> Iterator[Finding]:
    compared: set[int] = set()
    for tv in batch.of_kind("targets"):
        rows = tv.form.get("rows") or []
        year = tv.form.get("year")
        dept = forms.departments.resolve(tv.form.get("department")) or _vote(rows, forms)
        pairs = pair_rows(rows, forms, dept, year, lambda i, fv: _target_agreement(rows[i], fv), least=0.5)
        for pair in (q for q in pairs if q.right not in compared):  # one targets table per project
            compared.add(pair.right)
            yield from _compare_targets(tv, pair.left, forms.views[pair.right], pair.score)
    for x, fv in enumerate(forms.views):
        if x not in compared:
            yield from _self_marked(fv, set())


def _vote(rows: list[dict[str, Any]], forms: FormIndex) -> Optional[str]:
    """The department of a targets table that prints none: the one whose forms it names most."""
    votes: Counter[str] = Counter()
    for row in rows:
        depts = forms.departments_of(forms.names.lookup(row.get("project")), _TELLING + 1)
        if len(depts) <= _TELLING:  # "设备购置经费" exists in every department and says nothing
            votes.update(depts)
    top = votes.most_common(2)
    # A department's own table names most of its forms; one shared name is a coincidence.
    if not top or 2 * top[0][1] < len(rows) or (len(top) > 1 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def _target_agreement(row: dict[str, Any], fv: FormView) -> float:
    """Same 年初预算数 (2 points) plus the share of the row's indicator names the form repeats."""
    budget, initial = row.get("budget"), fv.get(f"{_TOTAL}.initial")
    same_budget = budget is not None and initial is not None and p.dec(budget) == p.dec(initial)
    set_names = {name_key(ind.get("name")) for ind in row.get("indicators") or []}
    kept = set_names & {name_key(ind.get("name")) for ind in fv.form.get("indicators") or []}
    return 2.0 * same_budget + len(kept) / max(1, len(set_names))


def _compare_targets(tv: FormView, i: int, fv: FormView, score: float) -> Iterator[Finding]:
    base, row = f"rows[{i}]", tv.form["rows"][i]
    note = _name_note("目标", row.get("project"), fv.form.get("project"), score)
    bpath, ipath = f"{base}.budget", f"{_TOTAL}.initial"
    budget, initial, factor = row.get("budget"), fv.get(ipath), _factor(tv.form.get("unit"), fv.get("funds.unit"))
    if budget is not None and initial is not None and not (budget == initial and factor == 1):
        if not _same_amount(_num(fv, ipath), _num(tv, bpath), factor):
            yield fv.finding(
                "INITIAL_BUDGET_MISMATCH", _severity("INITIAL_BUDGET_MISMATCH", (fv, [ipath]), (tv, [bpath])), ipath,
                f"年初预算数 printed {fv.printed(ipath)} but the targets table budgets {tv.printed(bpath)}{note}",
                found=fv.printed(ipath), expected=tv.printed(bpath),
            )
    set_inds, own = row.get("indicators") or [], fv.form.get("indicators") or []
    if not set_inds or not own:
        yield from _self_marked(fv, set())
        return  # nothing to compare: an indicator table that was not read is no dropped target

    def agree(a: int, b: int) -> Optional[bool]:
        row_ind = set_inds[a]
        return targets_agree(row_ind.get("op"), row_ind.get("unit"), row_ind.get("value"), own[b].get("target"))

    pairs = match_names([x.get("name") for x in set_inds], [x.get("name") for x in own],
                        tie=lambda a, b: float(agree(a, b) is not False))
    for pair in pairs:
        a, b = pair.left, pair.right
        if agree(a, b) is False:
            tpath, fpath = f"{base}.indicators[{a}]", f"indicators[{b}].target"
            expected, found = show_target(set_inds[a]), own[b].get("target")
            match = _name_note("目标", set_inds[a].get("name"), own[b].get("name"), pair.score)
            yield fv.finding(
                "TARGET_CHANGED",
                _severity("TARGET_CHANGED", (fv, [fpath]), (tv, [f"{tpath}.op", f"{tpath}.unit", f"{tpath}.value"])),
                fpath, f"年度指标值 set at budget time as {expected}, self-evaluated against {found}{match}{note}",
                found=found, expected=expected, indicator=own[b].get("name"),
            )
    own_names = [f"indicators[{b}].name" for b in range(len(own))]
    for a in sorted(set(range(len(set_inds))) - {q.left for q in pairs}):
        tpath = f"{base}.indicators[{a}].name"
        yield fv.finding(
            # A form's name read unsure may hide the indicator: review, not warning.
            "INDICATOR_DROPPED", _severity("INDICATOR_DROPPED", (tv, [tpath]), (fv, own_names)), "indicators",
            f"target indicator “{set_inds[a].get('name')}” ({show_target(set_inds[a])}) set at budget time "
            f"is missing from the self-evaluation{note}",
            expected=show_target(set_inds[a]), indicator=set_inds[a].get("name"),
        )
    yield from _self_marked(fv, set(range(len(own))) - {q.right for q in pairs})


def _self_marked(fv: FormView, unmatched: set[int]) -> Iterator[Finding]:
    """INDICATOR_ADDED for indicators not among the targets set (`unmatched`) or marked 自评新增."""
    own = fv.form.get("indicators") or []
    marked = {b for b, ind in enumerate(own) if ind.get("self_added")}
    if len(marked) == len(own) > 1 and not unmatched:
        # A project without targets at budget time marks every indicator: one finding says it.
        names = "、".join(str(ind.get("name")) for ind in own)
        yield fv.finding("INDICATOR_ADDED", _severity("INDICATOR_ADDED", (fv, ["indicators"])), "indicators",
                         f"all {len(own)} indicators are marked 自评新增: {names}")
        return
    for b in sorted(marked | unmatched):
        path = f"indicators[{b}].target"
        why = "is marked 自评新增" if b in marked else "is not among the targets set at budget time"
        yield fv.finding("INDICATOR_ADDED", _severity("INDICATOR_ADDED", (fv, [path, f"indicators[{b}].name"])), path,
                         f"indicator “{own[b].get('name')}” ({own[b].get('target')}) {why}",
                         found=own[b].get("target"), indicator=own[b].get("name"))


# --- duplicates --------------------------------------------------------------------------

_FIGURES = (f"{_TOTAL}.initial", f"{_TOTAL}.adjusted", f"{_TOTAL}.executed", "funds.rate", "total_score", "grade")


def _duplicates(batch: "Batch", forms: FormIndex) -> Iterator[Finding]:
    groups: dict[tuple[Any, ...], list[FormView]] = defaultdict(list)
    for x, fv in enumerate(forms.views):
        name = name_key(fv.form.get("project"))
        if name:
            unit = name_key(fv.form.get("implementer"))
            groups[(forms.dept[x], name, fv.form.get("year"), unit, forms.code[x])].append(fv)
    listed = _listed(batch)
    for (_dept, name, *_), views in groups.items():
        # The same form twice (one file uploaded twice, or as PDF and xlsx) contradicts nothing:
        # only distinct sets of figures count.
        variants: dict[tuple[Any, ...], FormView] = {}
        for fv in views:
            variants.setdefault(tuple(_figure(fv, x) for x in _FIGURES), fv)
        distinct = list(variants.values())
        # A summary or targets table listing the name as often: separate projects of one name.
        if len(distinct) < 2 or listed[name] >= len(distinct):
            continue
        first = distinct[0]
        for fv in distinct[1:]:
            path = next(x for x in _FIGURES if _figure(fv, x) != _figure(first, x))
            yield fv.finding(
                "DUPLICATE_FORM", _severity("DUPLICATE_FORM", (fv, [path]), (first, [path])), path,
                f"“{fv.form.get('project')}” also has a form in {first.source} "
                f"(page {(first.form.get('pages') or ['?'])[0]}) "
                f"with different figures: {path} {fv.printed(path)} here, {first.printed(path)} there",
                found=fv.printed(path), expected=first.printed(path),
            )


def _listed(batch: "Batch") -> Counter[str]:
    """Name key → the most rows one summary or targets table gives that name."""
    most: Counter[str] = Counter()
    for view in batch.views:
        if view.form.get("kind") in ("summary", "targets"):
            for name, n in Counter(name_key(r.get("project")) for r in view.form.get("rows") or []).items():
                most[name] = max(most[name], n)
    return most


def _figure(fv: FormView, path: str) -> Any:
    value = fv.get(path)
    return name_key(value) if isinstance(value, str) else value


# --- shared ------------------------------------------------------------------------------

def _severity(rule: str, *inputs: tuple[FormView, list[str]]) -> str:
    """The catalogue severity, or `review` when any input of any document was read unsure."""
    return "review" if any(v.unsure(path) for v, paths in inputs for path in paths) else CATALOGUE[rule]


def _num(view: FormView, path: str) -> Optional[str]:
    """The printed number, or the value itself where the print is no plain number ("1000万元")."""
    printed = view.printed(path)
    return printed if p.parse(printed) is not None else (None if view.get(path) is None else repr(view.get(path)))


@lru_cache(maxsize=256)  # a batch prints two or three units
def _factor(from_unit: Optional[str], to_unit: Optional[str]) -> Decimal:
    """Multiplier from one money unit to another (元 → 万元 = 0.0001); 1 where unknown."""
    factor = convert(1.0, from_unit or "万元", to_unit or "万元")
    return Decimal(repr(factor)) if factor else Decimal(1)


def _name_note(other: str, theirs: Optional[str], ours: Optional[str], score: float) -> str:
    return "" if score >= 1 else f" (matched {other} “{theirs}” to 自评 “{ours}”)"
