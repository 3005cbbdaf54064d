"""Every study of the book, listed explicitly: the one place a new study is added.

A study is a :class:`~qmlr.engine.definition.StudyDefinition` defined in its own module;
nothing registers itself as a study on import. Importing the registry imports every study, so
every spec class is then in the engine's decoder table (:data:`qmlr.engine.specs.SPEC_TYPES`)
and the store can rebuild any committed cell (:func:`spec_from_dict`).

Example:
    >>> sorted(STUDIES)[:3]
    ['capacity', 'code-mlp', 'controls']
    >>> len(study_cells("resilience", "paper"))
    400
"""

from __future__ import annotations

from typing import Any

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import Profile
from qmlr.engine.specs import Spec
from qmlr.studies import (
    augmentation_study,
    code_mlp_study,
    controls_study,
    curvature_study,
    encoding_study,
    normalization_study,
    realizations_study,
    shots_study,
    splits_study,
    unlearning_study,
)
from qmlr.studies.experiments import CAPACITY, PHASE_SENSITIVITY, RESILIENCE

#: Every study, by name (its folder under ``results/``).
STUDIES: dict[str, StudyDefinition] = {
    d.name: d
    for d in (
        RESILIENCE,
        CAPACITY,
        PHASE_SENSITIVITY,
        controls_study.DEFINITION,
        unlearning_study.DEFINITION,
        curvature_study.DEFINITION,
        normalization_study.DEFINITION,
        encoding_study.DEFINITION,
        code_mlp_study.DEFINITION,
        splits_study.DEFINITION,
        shots_study.DEFINITION,
        realizations_study.DEFINITION,
        augmentation_study.DEFINITION,
    )
}

#: Spec classes by their ``kind``: what a result file's ``kind`` field may name.
SPEC_TYPES: dict[str, type] = {cls.kind: cls for d in STUDIES.values() for cls in d.spec_types}


def get_study(study: str) -> StudyDefinition:
    """The definition of ``study``.

    :param study: a name of :data:`STUDIES`.
    :return: its :class:`~qmlr.engine.definition.StudyDefinition`.
    :raises ValueError: for an unknown name (the message lists the known ones).

    Example:
        >>> get_study("capacity").name
        'capacity'
    """
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; choose from {sorted(STUDIES)}")
    return STUDIES[study]


def study_cells(study: str, profile: str | Profile) -> list[Any]:
    """All specs of ``study`` at ``profile``, their MNIST read from the profile's
    ``mnist_source`` (:meth:`~qmlr.engine.definition.StudyDefinition.cells`).

    :param study: a name of :data:`STUDIES`.
    :param profile: a profile or its name (:mod:`qmlr.engine.profiles`).
    :return: the study's specs, in its own order.
    :raises ValueError: for an unknown study or profile, or a profile's unknown MNIST source.

    Example:
        >>> full = study_cells("resilience", "full-mnist")
        >>> full[0].data.source, len(full) == len(study_cells("resilience", "paper"))
        ('full', True)
    """
    return get_study(study).cells(profile)


def spec_from_dict(kind: str, d: dict[str, Any]) -> Spec:
    """Rebuild a spec of any registered study from its JSON form.

    :param kind: the spec class's ``kind`` (stored in every result file).
    :param d: the spec's JSON form.
    :return: the spec.
    :raises ValueError: for a kind no study holds.

    Example:
        >>> spec = study_cells("resilience", "smoke")[0]
        >>> spec_from_dict(spec.kind, spec.to_dict()) == spec
        True
    """
    if kind not in SPEC_TYPES:
        raise ValueError(f"unknown spec kind {kind!r}; known: {sorted(SPEC_TYPES)}")
    return SPEC_TYPES[kind].from_dict(d)
