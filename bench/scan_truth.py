"""Scoring an extraction against the ground truth of a scanned sample (pure functions, no I/O).

The truth is what `samples.scan` writes beside each scan: the `forms` and `tables` that
`extract_file` reads from the text-layer source of the same pages. Used by bench/scan_bench.py.

Fields. Every leaf of a form (FORMS.md JSON) is a field, named by its JSON path as in the form's
`cells` ("funds.rows.total.executed", "indicators[3].score"). Fields are *numeric* when the
truth value is a JSON number (amounts, weights, scores, total_score, budget, year, seq, group
weights) or a rate as printed (`rate`); every other string is *text* (project, department,
names, targets, actuals, explanations, codes, units). Left out: `cells` (provenance), `pages`
and `kind` (structure, not read from a cell) and booleans (derived from other fields). A field
is right when both sides are equal after NFKC and whitespace removal (`normalize.key`); numbers
compare as numbers. A field null on both sides is not counted (most explanations are null, and
counting them would reward reading nothing); null in the truth but filled in the extraction is
a wrong field ("spurious"), as is every filled field of an extracted form or list item that
matches nothing in the truth.

Lists (indicators, summary and targets rows, their indicators) are aligned by name or project
similarity (`align`), so one dropped indicator costs that indicator, not every one after it,
and a misread name still pairs with its own indicator. An item whose name is garbled beyond
recognition pairs with nothing: its truth fields count missing, its extracted ones spurious.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Sequence

from extractor.normalize import is_blank, key

NUMERIC_KEYS = frozenset({"rate"})         # printed text, but a number a reader must get right
SKIP_KEYS = frozenset({"cells", "pages", "kind"})
_INDEX = re.compile(r"\[\d+\]")
MIN_SIMILAR = 0.4                          # list items whose names are less alike than this never pair


@dataclass(frozen=True)
class Field:
    path: str                 # JSON path in the truth form (in the extracted one for spurious items)
    kind: str                 # "numeric" or "text"
    truth: Optional[str]      # normalised (see `norm`); None when blank
    got: Optional[str]
    page: Optional[int]       # where the truth has it (from the form's `cells`), else the form's first page
    why: str = ""             # "" when right; else "form missing", "item missing", "not read", "spurious", "wrong"

    @property
    def right(self) -> bool:
        return not self.why

    @property
    def generic(self) -> str:
        """The path with list indices dropped: "indicators[].score"."""
        return _INDEX.sub("[]", self.path)


def norm(value: Any) -> Optional[str]:
    """The comparison form of a leaf: numbers as numbers (1000 == 1000.0), text by `key`."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    text = key(str(value))
    return text or None


def _kind(name: str, truth: Any, got: Any) -> str:
    sample = truth if truth is not None else got
    if name in NUMERIC_KEYS or (isinstance(sample, (int, float)) and not isinstance(sample, bool)):
        return "numeric"
    return "text"


def _signature(item: Any) -> str:
    """What identifies a list item when aligning: its name, else its project."""
    if isinstance(item, dict):
        return key(str(item.get("name") or item.get("project") or ""))
    return key(str(item))


def _similar(a: str, b: str) -> float:
    return 1.0 if a == b else difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


def align(truth: Sequence[Any], got: Sequence[Any]) -> list[tuple[Optional[int], Optional[int]]]:
    """Pairs of indices (truth, got), None on the side that has no partner, in order: the
    order-keeping pairing with the greatest total name similarity, pairs below MIN_SIMILAR not
    allowed. A misread name still pairs with its indicator; a dropped one does not shift the rest."""
    a, b = [_signature(t) for t in truth], [_signature(g) for g in got]
    if a == b:
        return [(i, i) for i in range(len(a))]
    n, m = len(a), len(b)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(m):
            s = _similar(a[i], b[j])
            best[i + 1][j + 1] = max(best[i][j + 1], best[i + 1][j], best[i][j] + s if s >= MIN_SIMILAR else 0.0)
    pairs: list[tuple[Optional[int], Optional[int]]] = []
    i, j = n, m
    while i or j:  # walk back: a diagonal step where it made the score, else drop one side
        if i and j and best[i][j] > max(best[i - 1][j], best[i][j - 1]):
            i, j = i - 1, j - 1
            pairs.append((i, j))
        elif i and (not j or best[i - 1][j] >= best[i][j - 1]):
            i -= 1
            pairs.append((i, None))
        else:
            j -= 1
            pairs.append((None, j))
    return pairs[::-1]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path and name else path or name


def _leaves(obj: Any, path: str, name: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, last key, value) of every scored leaf under `obj`."""
    if isinstance(obj, dict):
        for k, value in obj.items():
            if k not in SKIP_KEYS:
                yield from _leaves(value, _join(path, k), k)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _leaves(value, f"{path}[{i}]", name)
    elif not isinstance(obj, bool):
        yield path, name, obj


def _page_of(form: dict[str, Any], path: str) -> Optional[int]:
    where = (form.get("cells") or {}).get(path) or {}
    pages = form.get("pages") or [None]
    return where.get("page") or pages[0]


def _compare(truth: Any, got: Any, path: str, name: str, form: dict[str, Any]) -> Iterator[Field]:
    if isinstance(truth, dict) or isinstance(got, dict):
        t, g = (truth if isinstance(truth, dict) else {}), (got if isinstance(got, dict) else {})
        for k in [*t, *(k for k in g if k not in t)]:
            if k not in SKIP_KEYS:
                yield from _compare(t.get(k), g.get(k), _join(path, k), k, form)
    elif isinstance(truth, list) or isinstance(got, list):
        t, g = (truth if isinstance(truth, list) else []), (got if isinstance(got, list) else [])
        for i, j in align(t, g):
            if i is None:
                yield from _one_sided(g[j], f"{path}[{j}]", form, "spurious")  # type: ignore[index]
            elif j is None:
                yield from _one_sided(t[i], f"{path}[{i}]", form, "item missing")
            else:
                yield from _compare(t[i], g[j], f"{path}[{i}]", name, form)
    elif not isinstance(truth, bool) and not isinstance(got, bool):
        a, b = norm(truth), norm(got)
        if a is None and b is None:
            return
        why = "" if a == b else "not read" if b is None else "spurious" if a is None else "wrong"
        yield Field(path, _kind(name, truth, got), a, b, _page_of(form, path), why)


def _one_sided(obj: Any, path: str, form: dict[str, Any], why: str) -> Iterator[Field]:
    """The fields of an item present on one side only: each filled one counts wrong."""
    for p, name, value in _leaves(obj, path):
        v = norm(value)
        if v is not None:
            truth, got = (None, v) if why == "spurious" else (v, None)
            yield Field(p, _kind(name, value, None), truth, got, _page_of(form, p), why)


def compare_form(truth: dict[str, Any], got: dict[str, Any]) -> list[Field]:
    return list(_compare(truth, got, "", "", truth))


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> int:
    return len(set(a.get("pages") or []) & set(b.get("pages") or []))


def align_forms(truth: Sequence[dict[str, Any]], got: Sequence[dict[str, Any]]) -> list[tuple[Optional[int], Optional[int]]]:
    """Pair truth forms with extracted ones of the same kind that share a page or the project,
    best first: the same project on shared pages, then the most similar project name, then the
    most shared pages. Two forms run together pair with the one whose name they carry, not
    with whichever comes first."""
    candidates = []
    for i, t in enumerate(truth):
        for j, g in enumerate(got):
            if g.get("kind") != t.get("kind"):
                continue
            a, b = key(t.get("project")), key(g.get("project"))
            similar = _similar(a, b)
            shared = _overlap(t, g)
            if shared or (a and a == b):
                candidates.append((a == b and shared > 0, similar, shared, -i, -j))
    partner: dict[int, int] = {}
    for *_, i, j in sorted(candidates, reverse=True):
        if -i not in partner and -j not in partner.values():
            partner[-i] = -j
    pairs: list[tuple[Optional[int], Optional[int]]] = [(i, partner.get(i)) for i in range(len(truth))]
    return pairs + [(None, j) for j in range(len(got)) if j not in partner.values()]


def score_forms(truth: Sequence[dict[str, Any]], got: Sequence[dict[str, Any]]) -> list[Field]:
    """Every field of every truth form, and every filled field of extracted forms matching none."""
    fields: list[Field] = []
    for i, j in align_forms(truth, got):
        if j is None:
            fields += _one_sided(truth[i], "", truth[i], "form missing")  # type: ignore[index]
        elif i is None:
            fields += _one_sided(got[j], "", got[j], "spurious")
        else:
            fields += compare_form(truth[i], got[j])
    return fields


def accuracy(fields: Iterable[Field], kind: Optional[str] = None) -> tuple[int, int]:
    """(right, total) over the fields of `kind` (all when None)."""
    chosen = [f for f in fields if kind is None or f.kind == kind]
    return sum(f.right for f in chosen), len(chosen)


# ---- grids ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GridScore:
    right: int       # position, spans and text right
    structure: int   # position and spans right, whatever the text
    total: int       # truth cells, plus extracted cells at positions the truth does not have

    def __add__(self, other: "GridScore") -> "GridScore":
        return GridScore(self.right + other.right, self.structure + other.structure, self.total + other.total)


def _reading_order(tables: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(tables, key=lambda t: tuple((t.get("bbox") or [0.0, 0.0])[1::-1]))


def score_grid(truth: dict[str, Any], got: Optional[dict[str, Any]]) -> GridScore:
    t = {(c["row"], c["col"]): c for c in truth.get("cells") or []}
    g = {(c["row"], c["col"]): c for c in (got or {}).get("cells") or []}
    right = structure = 0
    for pos, cell in t.items():
        other = g.get(pos)
        if other and (other["rowspan"], other["colspan"]) == (cell["rowspan"], cell["colspan"]):
            structure += 1
            right += key(other.get("text")) == key(cell.get("text"))
    return GridScore(right, structure, len(t) + len(g.keys() - t.keys()))


def score_tables(truth: Sequence[dict[str, Any]], got: Sequence[dict[str, Any]]) -> GridScore:
    """Tables paired per page in reading order (top to bottom); a table on one side only counts
    all its cells wrong."""
    total = GridScore(0, 0, 0)
    for page in sorted({t["page"] for t in truth} | {g["page"] for g in got}):
        ts = _reading_order(t for t in truth if t["page"] == page)
        gs = _reading_order(g for g in got if g["page"] == page)
        for k in range(max(len(ts), len(gs))):
            if k < len(ts):
                total += score_grid(ts[k], gs[k] if k < len(gs) else None)
            else:
                total += GridScore(0, 0, len(gs[k].get("cells") or []))
    return total


# ---- the baseline: numeric texts found verbatim in a full-page OCR ------------------------------

def numeric_texts(forms: Sequence[dict[str, Any]]) -> dict[int, list[str]]:
    """Per page, the printed texts (key-normalised) of the truth's numeric fields."""
    out: dict[int, list[str]] = {}
    for form in forms:
        kinds = {f.path: f.kind for f in compare_form(form, form)}
        for path, cell in (form.get("cells") or {}).items():
            text = cell.get("text")
            if kinds.get(path) == "numeric" and not is_blank(text) and cell.get("page") is not None:
                out.setdefault(cell["page"], []).append(key(text))
    return out


def found_verbatim(needles: Sequence[str], span_texts: Iterable[str]) -> int:
    """How many needles equal a whole span or one of its space-separated tokens: a full-page
    reader often runs neighbouring cells into one line ("1150.95 1218.15")."""
    pool: set[str] = set()
    for text in span_texts:
        pool.add(key(text))
        pool.update(key(tok) for tok in text.split())
    return sum(n in pool for n in needles)


# ---- error patterns ---------------------------------------------------------------------------

def edit(truth: Optional[str], got: Optional[str]) -> str:
    """A short description of how `got` differs from `truth`: "'8'→'3'", "lost '.'", "added '0'"."""
    if truth is None or got is None:
        return ""
    ops = [op for op in difflib.SequenceMatcher(a=truth, b=got, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(ops) != 1:
        return f"{len(ops)} edits"
    op, i1, i2, j1, j2 = ops[0]
    return {"replace": f"'{truth[i1:i2]}'→'{got[j1:j2]}'", "delete": f"lost '{truth[i1:i2]}'",
            "insert": f"added '{got[j1:j2]}'"}[op]


def pattern(field: Field) -> str:
    """What went wrong with a field, generically: "indicators[].score: wrong" etc."""
    return f"{field.kind} {field.generic}: {field.why}"
