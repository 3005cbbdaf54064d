"""What a study is to the runner: :class:`StudyDefinition` (its own module, so a study module can
build its definition without importing the registry in :mod:`qmlr.studies.experiments`).

Example:
    >>> StudyDefinition("demo", lambda profile: []).compute is None
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qmlr.studies.profiles import Profile


@dataclass(frozen=True)
class StudyDefinition:
    """How to enumerate and compute one study.

    :param name: the study's name (its folder under ``results/``).
    :param specs: profile -> every spec of the study.
    :param compute: a group of specs -> their results (module-level, so workers can run it).
    :param plan: missing specs -> groups, most expensive first (``None``: one spec per group).
    :param export: (results, study folder) -> writes the tidy ``records.csv`` (``None``: the
        sweep exporter).
    """

    name: str
    specs: Callable[[Profile], list[Any]]
    compute: Callable[[list[Any]], list[Any]] | None = None
    plan: Callable[[list[Any]], list[list[Any]]] | None = None
    export: Callable[[list[Any], Any], Any] | None = None
