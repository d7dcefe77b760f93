"""Matching the documents of one batch: names, projects across documents, and targets.

Forms, summaries and targets tables name the same project in slightly different prints
(full- or half-width brackets, 【】 for （）, a middle dot, a trailing 经费 or 项目, a year in
front). Exact comparison goes through `name_key`, a looser one through `loose_key`; both
are dictionary keys, so `FormIndex` and `pair_rows` match a batch of 10 000 forms in linear
time. Fuzzy scoring (`similarity`) is only ever run over a handful of names: the indicators
of one project, or the few names of one department that found no partner by key.
Targets are compared in `audit.target_match`.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Generic, Hashable, Iterable, Optional, Sequence, TypeVar

from audit.findings import FormView
from extractor.normalize import key

T = TypeVar("T")

# Bracket shapes NFKC leaves apart; all of them enclose the same kind of qualifier.
_BRACKETS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")",
                           "{": "(", "}": ")", "〈": "(", "〉": ")", "〖": "(", "〗": ")",
                           "「": "", "」": "", "『": "", "』": "", "《": "", "》": ""})
# Punctuation that never tells two projects apart but is printed inconsistently
# ("中国浙江·宁波人才科技周" / "中国浙江・宁波人才科技周" / "中国浙江宁波人才科技周").
_NOISE = re.compile(r"[\s·・‧•∙⋅'\"“”‘’,，、.。:：;；!！?？_\-—–~～]")
_YEAR_PREFIX = re.compile(r"^(?:19|20)\d{2}年度?")
# Stripped repeatedly, so "信息化建设项目经费", "信息化建设项目" and "信息化建设经费" meet.
_SUFFIXES = ("经费", "资金", "项目", "专项")
# A fuzzy partner needs at least this score; "培训培训率" (a typo in a targets table) and
# "培训合格率" score 0.6, "接受市外挂职干部数量" and "选派援外干部数量" (different work) 0.56.
THRESHOLD = 0.6


@lru_cache(maxsize=1 << 16)  # a batch repeats the same few thousand names many times
def name_key(text: Optional[str]) -> str:
    """Comparison key of a project, department or indicator name: NFKC, one bracket shape, no punctuation."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return _NOISE.sub("", s)


@lru_cache(maxsize=1 << 16)
def loose_key(text: Optional[str]) -> str:
    """`name_key` without a leading year and a trailing 经费/项目/资金 ("2023年信息化建设项目" → "信息化建设")."""
    s = _YEAR_PREFIX.sub("", name_key(text))
    while True:
        # Two characters at least stay behind: "项目经费" alone is no name to match on.
        suffix = next((x for x in _SUFFIXES if s.endswith(x) and len(s) >= len(x) + 2), None)
        if suffix is None:
            return s
        s = s[: -len(suffix)]


def lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence (names are short: a plain DP is fast enough)."""
    if len(a) < len(b):
        a, b = b, a
    row = [0] * (len(b) + 1)
    for ca in a:
        prev = 0
        for j, cb in enumerate(b, 1):
            cur = row[j]
            row[j] = prev + 1 if ca == cb else max(row[j], row[j - 1])
            prev = cur
    return row[-1]


@lru_cache(maxsize=1 << 16)
def similarity(a: str, b: str) -> float:
    """Score in [0, 1] of two keys: 1 when equal, high when one is the other with words added.

    A form may print a name truncated by its cell ("人才科技周项目经费支出及" for "…支出及时率")
    or reworded around the same words ("优秀公务员健康疗养" → "完成优秀公务员健康疗休养"):
    when the shorter name is a subsequence of the longer one, the pair scores at least 0.8.
    Otherwise the score is the Dice ratio 2·LCS / (|a| + |b|).
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    common = lcs(a, b)
    dice = 2 * common / (len(a) + len(b))
    if common == min(len(a), len(b)) >= 3:
        return 0.8 + 0.2 * dice
    return dice


@dataclass(frozen=True)
class Pair:
    left: int
    right: int
    score: float

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


def greedy(scored: Iterable[tuple[float, float, int, int]]) -> list[Pair]:
    """One-to-one assignment, best first: (score, tie-break, left, right) → pairs.

    Ties in score go to the higher tie-break, then to the earlier positions, so the result
    does not depend on the order the candidates were produced in.
    """
    taken_left: set[int] = set()
    taken_right: set[int] = set()
    pairs = []
    for score, _tie, i, j in sorted(scored, key=lambda c: (-c[0], -c[1], c[2], c[3])):
        if i in taken_left or j in taken_right:
            continue
        taken_left.add(i)
        taken_right.add(j)
        pairs.append(Pair(i, j, score))
    return sorted(pairs, key=lambda p: p.left)


def match_names(
    left: Sequence[Optional[str]], right: Sequence[Optional[str]],
    tie: Callable[[int, int], float] = lambda i, j: 0.0, threshold: float = THRESHOLD,
) -> list[Pair]:
    """Pair two lists of names one-to-one: equal keys first, then the best fuzzy partners.

    `tie(i, j)` ranks candidates of equal score: for indicators, whether their targets agree,
    which tells "人才工作考核先进区县" (=2个) from its twin (=3个) when a form truncates both.
    """
    lkeys, rkeys = [name_key(x) for x in left], [name_key(x) for x in right]
    where: dict[str, list[int]] = defaultdict(list)
    for j, b in enumerate(rkeys):
        where[b].append(j)
    repeated = Counter(lkeys)
    exact = greedy(
        # `tie` only matters where a name repeats; most projects repeat none.
        (1.0, tie(i, j) if len(where[a]) > 1 or repeated[a] > 1 else 0.0, i, j)
        for i, a in enumerate(lkeys) if a for j in where.get(a, ())
    )
    taken_left, taken_right = {p.left for p in exact}, {p.right for p in exact}
    free_left = [i for i in range(len(lkeys)) if i not in taken_left]
    free_right = [j for j in range(len(rkeys)) if j not in taken_right]
    fuzzy = []
    for i in free_left:
        for j in free_right:
            score = min(similarity(lkeys[i], rkeys[j]), 0.99)  # only equal keys count as exact
            if score >= threshold:
                fuzzy.append((score, tie(i, j), i, j))
    return sorted(exact + greedy(fuzzy), key=lambda p: p.left) if fuzzy else exact


class NameIndex(Generic[T]):
    """Items by the key and the loose key of their name; a lookup tries the exact key first."""

    def __init__(self) -> None:
        self._exact: dict[str, list[T]] = defaultdict(list)
        self._loose: dict[str, list[T]] = defaultdict(list)

    def add(self, name: Optional[str], item: T) -> None:
        self._exact[name_key(name)].append(item)
        self._loose[loose_key(name)].append(item)

    def lookup(self, name: Optional[str]) -> list[T]:
        found = self._exact.get(name_key(name))
        if found:
            return list(found)
        return list(self._loose.get(loose_key(name), ()))

    def items(self) -> list[T]:
        return [item for items in self._exact.values() for item in items]

    def __contains__(self, name: Optional[str]) -> bool:
        return bool(self.lookup(name))


class Departments:
    """Department names of one batch, resolved to the spelling the forms print.

    A summary may print "宁波市委组织部" where the forms print "中共宁波市委组织部": a name
    that is no form's department resolves to the one form department containing it (or
    contained in it). There are few departments, so the fallback scan is cheap; it is cached.
    """

    def __init__(self, names: Iterable[Optional[str]]) -> None:
        self._known = {name_key(n) for n in names if n}
        self._cache: dict[str, Optional[str]] = {}

    def resolve(self, name: Optional[str]) -> Optional[str]:
        k = name_key(name)
        if not k:
            return None
        if k in self._known:
            return k
        if k not in self._cache:
            near = [d for d in self._known if k in d or d in k]
            self._cache[k] = near[0] if len(near) == 1 else k
        return self._cache[k]


def same_or_unknown(a: Optional[Hashable], b: Optional[Hashable]) -> bool:
    """Two years (or departments) agree unless both are known and differ."""
    return a is None or b is None or a == b


# --- documents -------------------------------------------------------------------------

# Leftover names of one department pair up only this close, and only when their figures
# agree too: a fuzzy pair whose amounts differ would turn a naming slip into an `error`.
FUZZY_PROJECT = 0.75

# Fuzzy scoring is quadratic in the leftovers of one department; beyond this many pairs the
# rows and forms are evidently different lists, and scoring them would stall a large batch.
FUZZY_BUDGET = 10_000


class FormIndex:
    """The batch's self-evaluations by department and name key, and by code."""

    def __init__(self, views: list[FormView]) -> None:
        self.views = views
        self.departments = Departments(v.form.get("department") for v in self.views)
        self.names: NameIndex[int] = NameIndex()  # every form, for tables that print no department
        self.in_department: dict[Optional[str], NameIndex[int]] = defaultdict(NameIndex)
        self.codes: dict[str, list[int]] = defaultdict(list)
        self.dept: list[Optional[str]] = []
        self.code: list[str] = []  # forms of some provinces print the project code
        for pos, view in enumerate(self.views):
            self.dept.append(self.departments.resolve(view.form.get("department")))
            self.code.append(name_key(view.form.get("code")))
            self.names.add(view.form.get("project"), pos)
            self.in_department[self.dept[pos]].add(view.form.get("project"), pos)
            if self.code[pos]:
                self.codes[self.code[pos]].append(pos)

    def _fits(self, pos: int, dept: Optional[str], year: Optional[int]) -> bool:
        return same_or_unknown(self.dept[pos], dept) and same_or_unknown(self.views[pos].form.get("year"), year)

    def candidates(
        self, name: Optional[str], code: Optional[str], dept: Optional[str], year: Optional[int],
    ) -> list[int]:
        """Forms a row names: by its code where a form prints one, else by name in its department.

        Forms that print no department are candidates in every department. Without a
        department a name that forms of several departments share is ambiguous: no
        candidate, rather than a comparison with another department's project.
        """
        code = name_key(code)
        found = [x for x in self.codes.get(code, ()) if self._fits(x, dept, year)] if code else []
        if found:
            return found
        if dept is not None:
            found = self.in_department[dept].lookup(name) + self.in_department[None].lookup(name)
        else:
            found = self.names.lookup(name)
            if len(self.departments_of(found, 2)) > 1:
                return []
        return [x for x in found if self._fits(x, dept, year) and self.same_code(x, code)]

    def same_code(self, pos: int, code: Optional[str]) -> bool:
        """Unless both print a code: two codes that differ are two projects, whatever their names."""
        return not code or self.code[pos] in ("", name_key(code))

    def departments_of(self, found: list[int], enough: int) -> set[str]:
        """The departments of some forms, counted only up to `enough` (names shared widely are common)."""
        seen: set[str] = set()
        for x in found:
            if self.dept[x] is not None:
                seen.add(self.dept[x])  # type: ignore[arg-type]
                if len(seen) >= enough:
                    break
        return seen

    def of_department(self, dept: Optional[str], year: Optional[int]) -> list[int]:
        if dept is None:
            return []
        return sorted(x for x in self.in_department[dept].items() if self._fits(x, dept, year))


def pair_rows(
    rows: list[dict[str, Any]], forms: FormIndex, dept: Optional[str], year: Optional[int],
    agree: Callable[[int, FormView], float], least: float,
) -> list[Pair]:
    """Rows of a summary or targets table paired one-to-one with forms (Pair.right = form position).

    Rows are paired by name (or code) first; where a department prints two projects of one
    name (two 设备购置经费 of two units) `agree` tells them apart by their figures. Rows and
    forms left over in the department are then paired by fuzzy name, if `agree` ≥ `least`.
    Without a department every pair needs `agree` ≥ `least`: a name alone ("信息化运维经费")
    may be any department's.
    """
    found = [forms.candidates(row.get("project"), row.get("code"), dept, year) for row in rows]
    rows_of = Counter(x for xs in found for x in xs)
    scored = []
    for i, xs in enumerate(found):
        for x in xs:
            # Figures only need comparing where a name leaves a choice (cheap path for 10 000
            # forms), or where no department vouches for the name: then they must agree.
            fit = agree(i, forms.views[x]) if dept is None or len(xs) > 1 or rows_of[x] > 1 else 0.0
            if dept is not None or fit >= least:
                scored.append((1.0, fit, i, x))
    by_key = greedy(scored)
    used_forms = {q.right for q in by_key}
    left = [i for i in range(len(rows)) if i not in {q.left for q in by_key}]
    free = [x for x in forms.of_department(dept, year) if x not in used_forms]
    if len(left) * len(free) > FUZZY_BUDGET:
        return by_key  # so few names correspond that these are no slips of the pen
    fuzzy = []
    for i in left:
        row = rows[i]
        for x in free:
            score = min(similarity(name_key(row.get("project")), name_key(forms.views[x].form.get("project"))), 0.99)
            if score < FUZZY_PROJECT or not forms.same_code(x, row.get("code")):
                continue
            if (fit := agree(i, forms.views[x])) >= least:
                fuzzy.append((score, fit, i, x))
    return by_key + greedy(fuzzy)
