"""The mechanism studies: which property of a model decides whether it memorizes flipped labels.

Four sweep studies (cells are :class:`~qmlr.engine.specs.CellSpec`, label flipping only, on
both datasets), sized by the profile's ``mechanism_*`` knobs (:mod:`qmlr.engine.profiles`):

* ``qnn-depth`` — the QNN's capacity axis: depth 1 up to 8× the paper's depth;
* ``readout-scale`` — the QNN's logit scale ``s`` (the paper's 5 is in ``qnn-depth``) at two
  depths;
* ``lipschitz-controls`` — classical models with the QNN's constraint: the spectrally
  normalized MLP (Lipschitz ``2s`` on its features) over widths, and the circuit-free quadratic
  form ``s ψ†Mψ`` with ``‖M‖₂ ≤ 1``;
* ``separable-qnn`` — the QNN without its entangling gates.

The α grid is ``profile.mechanism_alphas``; α = 0.5 is the randomization test (class-balanced
flipping of half the labels makes them independent of the inputs, so the training accuracy there
is the fit of random labels). Groups run cheapest first, so a run cut short holds the cheap
depths and the random-label tests whole. Each cell's poison is the resilience study's at the
same (dataset, α, run): every model sees the same poisoned sets (paired).

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> sorted({c.model.depth for c in qnn_depth_cells(get_profile("paper"))
    ...         if c.data.name == "xxz"})
    [1, 2, 4, 8, 16, 32]
"""

from __future__ import annotations

from typing import Any

from qmlr.core.train_config import TrainConfig
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import Profile
from qmlr.engine.runner import group_cost, plan_groups, train_group
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.studies.experiments import PAPER_QNN_DEPTH, TRAINING_PRECISION, training_config

#: The datasets of every mechanism study.
DATASETS = ("xxz", "mnist")
#: The paper's logit scale (``ModelSpec.scale = 0`` stands for it).
PAPER_SCALE = 5.0
#: The studies, in the order the driver runs their tiers.
STUDY_NAMES = ("qnn-depth", "readout-scale", "lipschitz-controls", "separable-qnn")


def depth_of(dataset: str, factor: float) -> int:
    """A QNN depth as a multiple of the paper's (:data:`PAPER_QNN_DEPTH`); factor 0 is depth 1.

    Example:
        >>> depth_of("mnist", 0.5), depth_of("xxz", 8.0), depth_of("xxz", 0.0)
        (3, 32, 1)
    """
    return max(1, round(PAPER_QNN_DEPTH[dataset] * factor))


def extra_scales(profile: Profile) -> tuple[float, ...]:
    """The scales of the constrained models besides the paper's: the largest of the profile's.

    Example:
        >>> from qmlr.engine.profiles import get_profile
        >>> extra_scales(get_profile("paper"))
        (250.0,)
    """
    return (max(profile.mechanism_scales),)


def spec_scale(scale: float) -> float:
    """The spec's ``scale`` field for a logit scale: 0 for the paper's (so its key is the
    paper's model's).

    Example:
        >>> spec_scale(5.0), spec_scale(25.0)
        (0.0, 25.0)
    """
    return 0.0 if scale == PAPER_SCALE else float(scale)


def _cells(
    study: str, profile: Profile, dataset: str, model: ModelSpec, train: TrainConfig
) -> list[CellSpec]:
    return [
        CellSpec(study, DataSpec(dataset), model, train, "label_flip", alpha, run)
        for alpha in profile.mechanism_alphas
        for run in range(profile.mechanism_runs)
    ]


def _qnn(kind: str, depth: int, scale: float = PAPER_SCALE) -> ModelSpec:
    return ModelSpec(kind, depth=depth, precision=TRAINING_PRECISION, scale=spec_scale(scale))


def qnn_depth_cells(profile: Profile) -> list[CellSpec]:
    """``qnn-depth``: the QNN at every depth of ``profile.mechanism_depth_factors``."""
    cells = []
    for dataset in DATASETS:
        train = training_config(dataset, "qnn", profile)
        depths = sorted({depth_of(dataset, f) for f in profile.mechanism_depth_factors})
        for depth in depths:
            cells += _cells("qnn-depth", profile, dataset, _qnn("qnn", depth), train)
    return cells


def readout_scale_cells(profile: Profile) -> list[CellSpec]:
    """``readout-scale``: the QNN at every scale of ``profile.mechanism_scales`` and every
    depth of ``profile.mechanism_scale_depth_factors``."""
    cells = []
    for dataset in DATASETS:
        train = training_config(dataset, "qnn", profile)
        for factor in profile.mechanism_scale_depth_factors:
            for scale in profile.mechanism_scales:
                model = _qnn("qnn", depth_of(dataset, factor), scale)
                cells += _cells("readout-scale", profile, dataset, model, train)
    return cells


def lipschitz_controls_cells(profile: Profile) -> list[CellSpec]:
    """``lipschitz-controls``: the spectrally normalized MLP at every width of
    ``profile.mechanism_widths`` and the quadratic form, at ``s`` = 5 and
    :func:`extra_scales`."""
    cells = []
    scales = (PAPER_SCALE, *extra_scales(profile))
    for dataset in DATASETS:
        for scale in scales:
            for hidden in profile.mechanism_widths:
                model = ModelSpec(
                    "mlp-spectral",
                    hidden=hidden,
                    precision=TRAINING_PRECISION,
                    scale=spec_scale(scale),
                )
                train = training_config(dataset, "mlp", profile)
                cells += _cells("lipschitz-controls", profile, dataset, model, train)
            model = ModelSpec(
                "quadratic-form", precision=TRAINING_PRECISION, scale=spec_scale(scale)
            )
            train = training_config(dataset, "qnn", profile)
            cells += _cells("lipschitz-controls", profile, dataset, model, train)
    return cells


def separable_qnn_cells(profile: Profile) -> list[CellSpec]:
    """``separable-qnn``: the QNN without entangling gates at the paper's depth, at ``s`` = 5
    and :func:`extra_scales`."""
    cells = []
    for dataset in DATASETS:
        train = training_config(dataset, "qnn", profile)
        for scale in (PAPER_SCALE, *extra_scales(profile)):
            model = _qnn("qnn-separable", PAPER_QNN_DEPTH[dataset], scale)
            cells += _cells("separable-qnn", profile, dataset, model, train)
    return cells


def plan(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """Ensembles (:func:`~qmlr.engine.runner.plan_groups`), cheapest first: a run cut short
    holds the cheap models whole and resumes with the rest."""
    groups = plan_groups(cells)
    groups.sort(key=group_cost)
    return groups


def compute(cells: list[Any]) -> list[Any]:
    """Train one planned group (module-level, so worker processes can run it)."""
    return train_group(cells)


#: The studies (listed in :mod:`qmlr.studies.registry`).
QNN_DEPTH = StudyDefinition("qnn-depth", qnn_depth_cells, compute, plan)
READOUT_SCALE = StudyDefinition("readout-scale", readout_scale_cells, compute, plan)
LIPSCHITZ_CONTROLS = StudyDefinition("lipschitz-controls", lipschitz_controls_cells, compute, plan)
SEPARABLE_QNN = StudyDefinition("separable-qnn", separable_qnn_cells, compute, plan)
DEFINITIONS = (QNN_DEPTH, READOUT_SCALE, LIPSCHITZ_CONTROLS, SEPARABLE_QNN)
