"""The files this process has opened, recorded by an audit hook: what a shown result was read from.

:func:`install` adds a :func:`sys.addaudithook` hook that notes the path of every file the
process opens (``open``, ``pathlib``, ``numpy.load``, ``pandas.read_csv`` all raise Python's
``open`` audit event), but the code files an import reads (:data:`CODE_SUFFIXES`).
:mod:`qmlr.engine` installs it when it is first imported, before any result can be read through
it. :func:`opened_under` lists the recorded files inside a folder
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
#: Each folder of a recorded path, resolved (links and ``..`` followed).
_REAL_DIRS: dict[str, str] = {}
_REAL_NAMES: dict[str, str] = {}
_INSTALLED: list[bool] = []


#: Endings of the files an import opens: code, which the digests of the loaded modules cover.
CODE_SUFFIXES = (".py", ".pyc", ".so")


def _note_open(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
        name = os.fsdecode(args[0])
        if not name.endswith(CODE_SUFFIXES):
            _OPENED.add(name)


def install() -> None:
    """Start recording opened files (once per process; later calls do nothing)."""
    if not _INSTALLED:
        sys.addaudithook(_note_open)
        _INSTALLED.append(True)


def _real(name: str) -> str:
    """``name`` with its folder resolved (links and ``..`` followed; each name and folder once)."""
    if name not in _REAL_NAMES:
        head, tail = os.path.split(os.path.abspath(name))
        if head not in _REAL_DIRS:
            _REAL_DIRS[head] = os.path.realpath(head)
        _REAL_NAMES[name] = os.path.join(_REAL_DIRS[head], tail)
    return _REAL_NAMES[name]


def opened_under(root: str | os.PathLike[str]) -> list[Path]:
    """The recorded files that lie inside ``root`` and still exist, sorted.

    :param root: a folder.
    :return: their paths, folders resolved.
    """
    base = os.path.join(os.path.realpath(root), "")
    inside = {real for real in map(_real, list(_OPENED)) if real.startswith(base)}
    return [Path(path) for path in sorted(inside) if os.path.isfile(path)]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, read once per process while its size and modification
    time stay the same.

    :param path: the file.
    :return: the hex digest.
    """
    name = _real(os.fspath(path))
    stat = os.stat(name)
    memo = (name, stat.st_size, stat.st_mtime_ns)
    if memo not in _DIGESTS:
        with open(name, "rb") as fh:
            _DIGESTS[memo] = hashlib.sha256(fh.read()).hexdigest()
    return _DIGESTS[memo]


def file_digests(paths: list[Path], root: str | os.PathLike[str]) -> dict[str, str]:
    """The SHA-256 of each file's bytes (:func:`file_sha256`), keyed by its path relative to
    ``root``.

    :param paths: files inside ``root`` (e.g. :func:`opened_under`).
    :param root: the folder the keys are relative to.
    :return: ``{"curvature/cells/ab12.json": "9f…", …}`` in the order of ``paths``.
    """
    base = os.path.join(os.path.realpath(root), "")
    return {_real(os.fspath(p))[len(base) :]: file_sha256(p) for p in paths}
