"""The same forms from text, .xlsx, .docx and text-layer PDF yield identical `forms` JSON.

The seed text exports are parsed, rendered by the samples generator to the three other formats,
and read back through each backend and the one form parser. Only `pages` and `cells`
(provenance: where on which page) may differ between formats.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from extractor.pipeline import extract_file
from samples.writers import WRITERS
from tests.conftest import REPO, assert_valid, seed

FORMATS = ("xlsx", "docx", "pdf")
SAMPLES = REPO / "samples" / "docs"


def _comparable(result) -> list[dict]:
    out = []
    for form in result.forms:
        data = form.to_dict()
        data.pop("pages")
        data.pop("cells")
        out.append(data)
    return out


@pytest.fixture(scope="module", params=["000", "001", "003"])
def rendered(request, tmp_path_factory) -> tuple[list[dict], dict[str, Path]]:
    source = extract_file(seed(request.param))
    assert source.status == "ok"
    out = tmp_path_factory.mktemp(f"render{request.param}")
    files = {fmt: WRITERS[fmt](source.forms, out / f"forms.{fmt}") for fmt in FORMATS}
    return _comparable(source), files


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendered_format_reads_back_identically(rendered, fmt):
    expected, files = rendered
    result = extract_file(Path(files[fmt]))
    assert result.status == "ok", [e.to_dict() for e in result.errors]
    assert result.input_kind == ("pdf-text" if fmt == "pdf" else fmt)
    got = _comparable(result)
    assert len(got) == len(expected)
    for want, have in zip(expected, got):
        assert have == want, want.get("project")
    data = result.to_dict()
    assert_valid(data)
    if fmt == "pdf":  # geometry travels with every cell of a PDF
        form = next(f for f in data["forms"] if f["cells"])
        prov = next(iter(form["cells"].values()))
        assert prov["bbox"] is not None and prov["page"] >= 1
        assert all(t["bbox"] is not None for t in data["tables"])


@pytest.mark.parametrize("stem", ["ningbo-2023", "shanghai-2023", "ningbo-targets-2023"])
def test_committed_samples_match_their_text_export(stem):
    """samples/docs is what a fresh clone runs on: every format there must still read the same."""
    expected = _comparable(extract_file(SAMPLES / f"{stem}.txt"))
    assert expected
    for fmt in FORMATS:
        assert _comparable(extract_file(SAMPLES / f"{stem}.{fmt}")) == expected, f"{stem}.{fmt}: regenerate with samples.generate"
