"""The book's chapters as executable, parameterised notebooks.

Chapters are MyST-markdown notebooks in ``book/`` (jupytext). This module finds them, turns one
into an ``nbformat`` notebook with papermill-style parameters injected after its ``parameters``
cell, and executes it with papermill into an ignored build folder.

Example:
    >>> from qmlr.tools.book import chapter_names
    >>> "analytic-curvature" in chapter_names()
    True
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOK_DIR = REPO_ROOT / "book"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "_build" / "papermill"


def is_chapter_file(path: Path) -> bool:
    """Whether ``path`` is an executable chapter (a jupytext MyST notebook in a ``book/`` folder).

    :param path: any file path.
    :return: ``True`` for a ``book/*.md`` file whose front matter declares a ``kernelspec``.
    """
    path = Path(path)
    if path.suffix != ".md" or path.parent.name != "book" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head


def chapter_names(book_dir: Path | None = None) -> list[str]:
    """Names (file stems) of the executable chapters, sorted.

    :param book_dir: the book's source folder (default: the repository's ``book/``).
    :return: e.g. ``["analytic-curvature", ...]``.
    """
    book_dir = BOOK_DIR if book_dir is None else book_dir
    return sorted(p.stem for p in Path(book_dir).glob("*.md") if is_chapter_file(p))


def chapter_path(name: str, book_dir: Path | None = None) -> Path:
    """Path of chapter ``name``; an unknown name raises a ``ValueError`` listing the chapters.

    :param name: chapter stem, e.g. ``"analytic-curvature"`` (a trailing ``.md`` is accepted).
    :param book_dir: the book's source folder (default: the repository's ``book/``).
    :return: the chapter's markdown file.
    """
    book_dir = BOOK_DIR if book_dir is None else book_dir
    stem = name.removesuffix(".md")
    names = chapter_names(book_dir)
    if stem not in names:
        raise ValueError(f"unknown chapter {name!r}; chapters: {', '.join(names)}")
    return Path(book_dir) / f"{stem}.md"


def declared_parameters(notebook: Any) -> dict[str, Any]:
    """The names and default values assigned in a notebook's ``parameters`` cell.

    :param notebook: an ``nbformat`` notebook.
    :return: mapping of parameter name to its literal default value.
    """
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            values: dict[str, Any] = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            values[target.id] = ast.literal_eval(node.value)
            return values
    return {}


def load_chapter_notebook(path: Path, parameters: Mapping[str, Any] | None = None) -> Any:
    """Read a MyST chapter as a notebook and inject ``parameters`` after its parameters cell.

    :param path: the chapter's markdown file.
    :param parameters: values overriding the chapter's declared parameters; a name the chapter
        does not declare raises ``ValueError``.
    :return: the ``nbformat`` notebook, ready to execute.
    """
    import jupytext
    from papermill.parameterize import parameterize_notebook

    notebook = jupytext.read(Path(path))
    notebook.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3"})
    notebook.metadata["kernelspec"].setdefault("language", "python")
    notebook.metadata.setdefault("language_info", {"name": "python"})
    notebook.metadata.setdefault("papermill", {})
    for cell in notebook.cells:  # papermill expects every cell to carry a tags list
        cell.metadata.setdefault("tags", [])
    parameters = dict(parameters or {})
    if not parameters:
        return notebook
    declared = declared_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(
            f"chapter {Path(path).stem!r} has no parameter(s) {unknown}; "
            f"it declares: {sorted(declared) or 'none'}"
        )
    return parameterize_notebook(notebook, parameters)


def run_chapter(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    kernel_name: str = "python3",
) -> Path:
    """Execute a chapter with papermill and return the executed notebook's path.

    :param name: chapter stem, e.g. ``"analytic-curvature"``.
    :param parameters: parameter overrides, e.g. ``{"profile": "smoke"}``.
    :param output_dir: where the executed ``.ipynb`` lands (ignored by git).
    :param kernel_name: Jupyter kernel to run it in.
    :return: path of the executed notebook.
    """
    import nbformat
    import papermill

    path = chapter_path(name)
    notebook = load_chapter_notebook(path, parameters)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    source = output_dir / f"{path.stem}.input.ipynb"
    target = output_dir / f"{path.stem}.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(
        str(source),
        str(target),
        kernel_name=kernel_name,
        cwd=str(path.parent),
        progress_bar=True,
    )
    return target
