"""The book pipeline: chapter discovery, parameter injection, failure propagation."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qmlr.tools.book import (
    chapter_names,
    chapter_path,
    declared_parameters,
    is_chapter_file,
    load_chapter_notebook,
)

REPO = Path(__file__).resolve().parent.parent
HEADER = textwrap.dedent(
    """\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
        format_version: 0.13
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    """
)


def write_chapter(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


PARAMS_BODY = """
# A chapter

```{code-cell} ipython3
:tags: [parameters]

profile = "paper"
```

```{code-cell} ipython3
print(profile)
```
"""

BROKEN_BODY = """
# Broken

```{code-cell} ipython3
:tags: [parameters]

profile = "paper"
```

```{code-cell} ipython3
raise RuntimeError("this cell is broken on purpose")
```
"""


def test_every_toc_entry_exists():
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    entries = toc.get("chapters", []) + [c for p in toc.get("parts", []) for c in p["chapters"]]
    files = [toc["root"]] + [c["file"] for c in entries]
    assert len(files) > 10
    for name in files:
        assert (REPO / "book" / f"{name}.md").exists(), name
    assert (REPO / "book" / "_toc.yml").resolve() == (REPO / "_toc.yml").resolve()


def test_chapters_are_discovered_and_unknown_ones_refused():
    names = chapter_names()
    assert "analytic-curvature" in names
    assert {"intro", "methods", "reproducibility"} <= set(names)  # generated pages run too
    assert "references" not in names  # a plain page, not a notebook
    assert chapter_path("analytic-curvature.md").name == "analytic-curvature.md"
    with pytest.raises(ValueError, match="unknown chapter 'no-such-chapter'"):
        chapter_path("no-such-chapter")


def test_parameters_are_injected_and_unknown_ones_refused(tmp_path):
    path = write_chapter(tmp_path / "book", "demo", PARAMS_BODY)
    assert is_chapter_file(path)
    nb = load_chapter_notebook(path)
    assert declared_parameters(nb) == {"profile": "paper"}
    nb = load_chapter_notebook(path, {"profile": "smoke"})
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'profile = "smoke"' in injected[0].source
    with pytest.raises(ValueError, match="has no parameter"):
        load_chapter_notebook(path, {"profiel": "smoke"})


def test_cli_rejects_unknown_chapter(capsys):
    from qmlr.tools.cli import main

    assert main(["book", "run", "no-such-chapter", "-p", "profile", "smoke"]) == 2
    assert "unknown chapter" in capsys.readouterr().err


def test_papermill_runs_a_chapter_with_parameters(tmp_path, monkeypatch):
    import nbformat

    import qmlr.tools.book as book

    write_chapter(tmp_path / "book", "demo", PARAMS_BODY)
    monkeypatch.setattr(book, "BOOK_DIR", tmp_path / "book")
    out = book.run_chapter("demo", {"profile": "smoke"}, output_dir=tmp_path / "out")
    executed = nbformat.read(out, as_version=4)
    outputs = "".join(
        o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "smoke" in outputs


@pytest.mark.parametrize("body,expect_ok", [(PARAMS_BODY, True), (BROKEN_BODY, False)])
def test_nbval_fails_exactly_when_a_cell_raises(tmp_path, body, expect_ok):
    shutil.copy(REPO / "conftest.py", tmp_path / "conftest.py")
    write_chapter(tmp_path / "book", "chapter", body)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "book",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        "collected 3 items" in proc.stdout
    )  # two cells + injected parameters, proc.stdout[-2000:]
    assert (proc.returncode == 0) is expect_ok, proc.stdout[-3000:]


@pytest.mark.parametrize("body,expect_ok", [(PARAMS_BODY, True), (BROKEN_BODY, False)])
def test_book_build_fails_exactly_when_a_cell_raises(tmp_path, body, expect_ok):
    shutil.copy(REPO / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "references.bib").write_text((REPO / "references.bib").read_text())
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_toc.yml").symlink_to("../_toc.yml")
    write_chapter(tmp_path / "book", "chapter", body)
    jb = Path(sys.executable).parent / "jb"
    proc = subprocess.run(
        [str(jb), "build", "book"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert (proc.returncode == 0) is expect_ok, (proc.stdout + proc.stderr)[-3000:]
