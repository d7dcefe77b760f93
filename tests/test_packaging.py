"""Every data file the packages read at run time is declared as package data, so a plain
`pip install .` (the Docker image) carries it: an editable checkout would never notice."""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("extractor", "audit", "worker", "samples")
CODE = {".py", ".pyc"}


def _declared() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]


def _owner(path: Path) -> tuple[str, Path]:
    """The innermost package holding `path` (a folder with __init__.py) and the path inside it."""
    folder = path.parent
    while not (folder / "__init__.py").exists():
        folder = folder.parent
    return ".".join(folder.relative_to(ROOT).parts), path.relative_to(folder)


def test_every_runtime_data_file_is_package_data():
    declared = _declared()
    missing = []
    for top in PACKAGES:
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in CODE or "__pycache__" in path.parts or top == "samples":
                continue
            package, inside = _owner(path)
            globs = declared.get(package, [])
            if not any(fnmatch.fnmatch(inside.as_posix(), g) for g in globs):
                missing.append(f"{package}: {inside.as_posix()}")
    assert not missing, "not declared in [tool.setuptools.package-data]: " + ", ".join(missing)


def test_declared_globs_each_match_a_file():
    for package, globs in _declared().items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in globs:
            assert list(folder.glob(pattern)), f"{package}: {pattern} matches nothing"
