"""What a study is to the engine: its name, its specs at a profile, how it is computed and
exported, and the spec classes its result files hold.

A study module defines one :class:`StudyDefinition`; :mod:`qmlr.studies.registry` lists them
all. The engine computes and loads a study from its definition alone (:mod:`qmlr.engine.loading`),
so it never needs to know which studies exist.

Example:
    >>> from qmlr.engine.specs import DataSpec
    >>> demo = StudyDefinition("demo", lambda profile: [DataSpec("xxz")])
    >>> [spec.name for spec in demo.cells("smoke")]
    ['xxz']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qmlr.engine.profiles import Profile, get_profile
from qmlr.engine.specs import CellSpec, DataSpec, with_mnist_source  # noqa: F401 (doctests)


@dataclass(frozen=True)
class StudyDefinition:
    """How to enumerate and compute one study.

    :param name: the study's name (its folder under ``results/``).
    :param specs: profile -> every spec of the study.
    :param compute: a group of specs -> their results (module-level, so workers can run it).
    :param plan: missing specs -> groups, most expensive first (``None``: one spec per group).
    :param export: (results, study folder) -> writes the tidy ``records.csv`` (``None``: the
        sweep exporter).
    :param spec_types: the spec classes its result files hold (each enters the engine's decoder
        table, :data:`qmlr.engine.specs.SPEC_TYPES`, through :func:`~qmlr.engine.specs.spec_type`;
        the store rebuilds a spec from its ``kind`` there).
    """

    name: str
    specs: Callable[[Profile], list[Any]]
    compute: Callable[[list[Any]], list[Any]] | None = None
    plan: Callable[[list[Any]], list[list[Any]]] | None = None
    export: Callable[[list[Any], Any], Any] | None = None
    spec_types: tuple[type, ...] = (CellSpec,)

    def cells(self, profile: str | Profile) -> list[Any]:
        """Every spec of the study at ``profile``, its MNIST read from the profile's
        ``mnist_source`` (:func:`~qmlr.engine.specs.with_mnist_source`).

        :param profile: a profile or its name (:mod:`qmlr.engine.profiles`).
        :return: the study's specs, in its own order.
        :raises ValueError: for an unknown profile, or a profile's unknown MNIST source.

        Example:
            >>> demo = StudyDefinition("demo", lambda p: [DataSpec("mnist")] * p.runs)
            >>> [d.source for d in demo.cells("full-mnist")][:1]
            ['full']
        """
        prof = get_profile(profile)
        return [with_mnist_source(s, prof.mnist_source) for s in self.specs(prof)]
