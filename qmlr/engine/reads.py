"""The files this process has opened, recorded by an audit hook: what a shown result was read from.

:func:`install` adds a :func:`sys.addaudithook` hook that notes the path of every file the
process opens (``open``, ``pathlib``, ``numpy.load``, ``pandas.read_csv`` all raise Python's
``open`` audit event). :mod:`qmlr.engine` installs it when it is first imported, before any
result can be read through it. :func:`opened_under` lists the recorded files inside a folder
and :func:`file_digests` digests them, so a value computed in this process can name every
result file it may have been computed from (:mod:`qmlr.report.figure_cache` keys drawn figures
on them). A hook cannot be removed; it only adds a path to a set.

Example:
    >>> import tempfile
    >>> install()
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.json").write_text("{}")
    >>> _ = (folder / "a.json").read_text()
    >>> [p.name for p in opened_under(folder)]
    ['a.json']
    >>> list(file_digests(opened_under(folder), folder).items())[0][0]
    'a.json'
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

#: Every path an ``open`` audit event named in this process since :func:`install`.
_OPENED: set[str] = set()
#: ``(path, size, mtime_ns)`` -> SHA-256 of the file's bytes, so a file is read once.
_DIGESTS: dict[tuple[str, int, int], str] = {}
#: Each recorded path, resolved (links and ``..`` followed).
_RESOLVED: dict[str, str] = {}
_INSTALLED: list[bool] = []


def _note_open(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.add(os.fsdecode(args[0]))


def install() -> None:
    """Start recording opened files (once per process; later calls do nothing)."""
    if not _INSTALLED:
        sys.addaudithook(_note_open)
        _INSTALLED.append(True)


def opened_under(root: str | os.PathLike[str]) -> list[Path]:
    """The recorded files that lie inside ``root`` and still exist, sorted.

    :param root: a folder.
    :return: their resolved paths.
    """
    base = os.path.join(os.path.realpath(root), "")
    for name in _OPENED.difference(_RESOLVED):  # each path resolved once
        _RESOLVED[name] = os.path.realpath(name)
    inside = {path for path in _RESOLVED.values() if path.startswith(base)}
    return [Path(path) for path in sorted(inside) if os.path.isfile(path)]


def file_digests(paths: list[Path], root: str | os.PathLike[str]) -> dict[str, str]:
    """The SHA-256 of each file's bytes, keyed by its path relative to ``root``.

    :param paths: files inside ``root`` (e.g. :func:`opened_under`).
    :param root: the folder the keys are relative to.
    :return: ``{"curvature/cells/ab12.json": "9f…", …}`` in the order of ``paths``.
    """
    base = Path(root).resolve()
    digests: dict[str, str] = {}
    for path in paths:
        stat = path.stat()
        memo = (str(path), stat.st_size, stat.st_mtime_ns)
        if memo not in _DIGESTS:
            _DIGESTS[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
        digests[path.relative_to(base).as_posix()] = _DIGESTS[memo]
    return digests
