"""Drawn figures kept between builds, each under a key of everything it was drawn from.

Laying out and rasterizing a chapter's figures is the largest part of its execution (about
0.8 s a figure at the paper profile). A figure shown in a chapter's kernel is a function of

- the result files the kernel has opened (the cells, the derived files; recorded by
  :mod:`qmlr.engine.reads`) in the profile's results folder and the repository's,
- the ``qmlr`` code it has loaded (:func:`qmlr.engine.derived.loaded_code`),
- the chapter's cells executed so far, the figure's own included (IPython's input history),
- the versions of matplotlib, numpy and pandas.

:func:`figure_key` digests all four (:func:`kernel_inputs` the first two); :func:`kept_figure`
returns the figure stored under the same key and name, else ``None``; :func:`store_png` keeps a
new drawing. A figure drawn by a function after the key was taken
(:func:`qmlr.report.source_data.show_drawn`, which then skips the drawing on reuse) is kept with
what that drawing read (:func:`added_inputs`), and reused only while all of it is
:func:`unchanged`. The files lie beside the derived values
(``<results>/derived/<profile>/figures/<name>.png``, its record in ``<name>.json``, its source
data in ``<name>.csv``), so the committed paper-profile figures come with a clone and a build on a
fresh machine shows them without drawing. A change to any input changes the key, and the figure
is drawn again and replaces the kept one. Outside IPython (a script, a doctest) there is no cell
history to digest: :func:`figure_key` returns ``None`` and every figure is drawn.

Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> figure_key("smoke") is None            # not in an IPython kernel
    True
    >>> store_png("fig-demo", "smoke", "k1", b"png", root)
    >>> cached_png("fig-demo", "smoke", "k1", root), cached_png("fig-demo", "smoke", "k2", root)
    (b'png', None)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path

from qmlr.engine.atomic import write_atomic
from qmlr.engine.derived import DERIVED_FOLDER, loaded_code, source_digest
from qmlr.engine.loading import store_for
from qmlr.engine.reads import file_digests, opened_under
from qmlr.engine.store import DEFAULT_RESULTS_DIR

#: Sub-folder of a profile's derived folder holding the figures.
FIGURES_FOLDER = "figures"
#: What the drawings this kernel reused instead of running had read (:func:`kept_figure`): the
#: kernel's inputs include them, so a figure after a reused one has the key it had after a drawn
#: one.
_REUSED: dict[str, dict] = {"code": {}, "files": {}}
#: The libraries whose versions enter the key (the drawing, the numbers it reads).
KEYED_LIBRARIES = ("matplotlib", "numpy", "pandas")


def executed_cells() -> list[str] | None:
    """The cells this IPython kernel has executed, in order, the running one last; ``None``
    outside IPython.

    :return: the cells' sources.
    """
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if shell is None:
        return None
    return [str(cell) for cell in shell.user_ns.get("In", [])]


def injects_only_profile(cell: str, profile: str) -> bool:
    """Whether ``cell`` is the parameters cell papermill injects (``# Parameters``) setting
    nothing but the profile, which the key holds anyway: a chapter run by papermill (``python -m
    qmlr book``) and by ``jb build`` then shares its figures.

    Example:
        >>> injects_only_profile('# Parameters\\nprofile = "paper"\\n', "paper")
        True
        >>> injects_only_profile('# Parameters\\nprofile = "paper"\\nalpha = 0.3\\n', "paper")
        False
    """
    lines = [line.strip() for line in cell.strip().splitlines()]
    return lines == ["# Parameters", f'profile = "{profile}"']


def _inputs(root: Path) -> list[Path]:
    """The files opened under ``root`` but the kept figures themselves (reading one figure must
    not change the next one's key)."""
    return [p for p in opened_under(root) if p.parent.name != FIGURES_FOLDER]


def kernel_inputs(profile: str, results_dir: str | os.PathLike[str] | None = None) -> dict:
    """What a figure drawn now in this kernel can depend on (module docstring): the ``qmlr``
    modules loaded and the result files opened so far, each with its digest.

    :param profile: the chapter's profile (whose results folder is read).
    :param results_dir: that folder's override.
    :return: ``{"code": {path: digest}, "files": {"results" | "store": {path: digest}}}``.
    """
    store = store_for(profile, results_dir).root.resolve()
    roots = {"results": DEFAULT_RESULTS_DIR.resolve(), "store": store}
    if store == roots["results"]:  # a stored profile (paper): one folder
        del roots["store"]
    files = {label: file_digests(_inputs(root), root) for label, root in roots.items()}
    for label, found in _REUSED["files"].items():  # a reused drawing counts as having run
        files[label] = dict(sorted({**files.get(label, {}), **found}.items()))
    return {"code": dict(sorted({**loaded_code(), **_REUSED["code"]}.items())), "files": files}


def figure_key(
    profile: str, results_dir: str | os.PathLike[str] | None = None, inputs: dict | None = None
) -> str | None:
    """The digest of everything a figure drawn now in this kernel can depend on (module
    docstring), ``None`` outside IPython.

    :param profile: the chapter's profile (whose results folder is read).
    :param results_dir: that folder's override.
    :param inputs: :func:`kernel_inputs`, where the caller has just taken them.
    :return: a SHA-256 hex digest.
    """
    cells = executed_cells()
    if cells is None:
        return None
    cells = [cell for cell in cells if not injects_only_profile(cell, profile)]
    document = {
        "profile": profile,
        "cells": hashlib.sha256("\0".join(cells).encode()).hexdigest(),
        **(inputs if inputs is not None else kernel_inputs(profile, results_dir)),
        "versions": {name: importlib.metadata.version(name) for name in KEYED_LIBRARIES},
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def added_inputs(before: dict, after: dict) -> dict:
    """The inputs of ``after`` that ``before`` lacks or holds with another digest: what a
    drawing read that the key computed before it could not name.

    Example:
        >>> added_inputs({"code": {"a": "1"}, "files": {"store": {}}},
        ...              {"code": {"a": "1", "b": "2"}, "files": {"store": {"c": "3"}}})
        {'code': {'b': '2'}, 'files': {'store': {'c': '3'}}}
    """
    return {
        "code": {k: v for k, v in after["code"].items() if before["code"].get(k) != v},
        "files": {
            label: {k: v for k, v in found.items() if before["files"].get(label, {}).get(k) != v}
            for label, found in after["files"].items()
        },
    }


def unchanged(
    inputs: dict, profile: str, results_dir: str | os.PathLike[str] | None = None
) -> bool:
    """Whether every module and file of ``inputs`` (:func:`added_inputs`) still has its digest.

    :param inputs: the recorded inputs.
    :param profile: the chapter's profile.
    :param results_dir: results folder override.
    :return: ``True`` when none changed or went missing.
    """
    package_parent = Path(__file__).resolve().parents[2]
    for path, digest in inputs.get("code", {}).items():
        if source_digest(package_parent / path) != digest:
            return False
    roots = {"results": DEFAULT_RESULTS_DIR, "store": store_for(profile, results_dir).root}
    for label, files in inputs.get("files", {}).items():
        for path, digest in files.items():
            if source_digest(Path(roots[label]) / path) != digest:
                return False
    return True


def figure_path(name: str, profile: str, results_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the figure ``name`` of ``profile`` is kept (its key beside it, ``.json``; where it
    was drawn by :func:`qmlr.report.source_data.show_drawn`, its source data, ``.csv``).

    Example:
        >>> figure_path("fig-a", "paper").relative_to(DEFAULT_RESULTS_DIR).as_posix()
        'derived/paper/figures/fig-a.png'
    """
    root = store_for(profile, results_dir).root
    return root / DERIVED_FOLDER / profile / FIGURES_FOLDER / f"{name}.png"


def kept_figure(
    name: str, profile: str, key: str | None, results_dir: str | os.PathLike[str] | None = None
) -> dict[str, bytes] | None:
    """The kept figure ``name`` if it was drawn under ``key`` and what its drawing read has not
    changed since, else ``None``.

    :param name: the figure's label.
    :param profile: the chapter's profile.
    :param key: :func:`figure_key` (``None`` never matches).
    :param results_dir: results folder override.
    :return: ``{"png": bytes}``, with ``"csv"`` where the source data was kept too.
    """
    path = figure_path(name, profile, results_dir)
    try:
        stored = json.loads(path.with_suffix(".json").read_text())
        if key is None or stored.get("key") != key:
            return None
        if not unchanged(stored.get("drawing_read", {}), profile, results_dir):
            return None
        read = stored.get("drawing_read", {})
        kept = {"png": path.read_bytes()}
        if "csv_sha256" in stored:
            kept["csv"] = path.with_suffix(".csv").read_bytes()
    except (OSError, ValueError):
        return None
    for kind, data in kept.items():
        if hashlib.sha256(data).hexdigest() != stored.get(f"{kind}_sha256"):
            return None
    _REUSED["code"].update(read.get("code", {}))
    for label, files in read.get("files", {}).items():
        _REUSED["files"].setdefault(label, {}).update(files)
    return kept


def cached_png(
    name: str, profile: str, key: str | None, results_dir: str | os.PathLike[str] | None = None
) -> bytes | None:
    """The PNG of :func:`kept_figure`, or ``None``.

    :param name: the figure's label.
    :param profile: the chapter's profile.
    :param key: :func:`figure_key` (``None`` never matches).
    :param results_dir: results folder override.
    :return: the PNG's bytes or ``None``.
    """
    kept = kept_figure(name, profile, key, results_dir)
    return None if kept is None else kept["png"]


def store_png(
    name: str,
    profile: str,
    key: str | None,
    png: bytes,
    results_dir: str | os.PathLike[str] | None = None,
    csv: bytes | None = None,
    drawing_read: dict | None = None,
) -> None:
    """Keep a drawn figure under ``key`` (nothing for ``None``; an unwritable folder is
    reported on stderr and skipped: the figure is simply drawn again next time).

    :param name: the figure's label.
    :param profile: the chapter's profile.
    :param key: :func:`figure_key`.
    :param png: the PNG's bytes.
    :param results_dir: results folder override.
    :param csv: the figure's source data, where it is shown without drawing.
    :param drawing_read: :func:`added_inputs` of the drawing, where it ran after the key.
    """
    if key is None:
        return
    path = figure_path(name, profile, results_dir)
    record: dict = {"figure": name, "profile": profile, "key": key}
    record["png_sha256"] = hashlib.sha256(png).hexdigest()
    if csv is not None:
        record["csv_sha256"] = hashlib.sha256(csv).hexdigest()
    record["drawing_read"] = drawing_read or {}
    record["versions"] = {lib: importlib.metadata.version(lib) for lib in KEYED_LIBRARIES}
    try:
        write_atomic(path, png)
        if csv is not None:
            write_atomic(path.with_suffix(".csv"), csv)
        write_atomic(path.with_suffix(".json"), (json.dumps(record, indent=1) + "\n").encode())
    except OSError as err:
        print(f"figure {name!r} not kept ({err}); it is drawn again next time", file=sys.stderr)
