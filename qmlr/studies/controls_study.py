"""The ``controls`` study: classical control models under the resilience study's poisons.

Every control kind of :data:`qmlr.core.models.CONTROL_KINDS` on both datasets, both corruptions,
the profile's α grid and runs. Cells are :class:`~qmlr.engine.specs.CellSpec` of study
``controls``;
their poison seed depends only on (dataset, corruption, α, run), so each control sees exactly
the poisoned training set of the MLP and the QNN of the resilience study at the same
coordinates (a paired comparison). Gradient-trained controls use the SI Table I settings of
the model they mimic (:attr:`~qmlr.core.models.base.ModelKind.training`); the others are fitted
directly. Records are the sweep's, plus ``n_params`` (trained parameters of the member).

Example:
    >>> from qmlr.studies.registry import study_cells
    >>> len(study_cells("controls", "paper"))
    1800
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from qmlr.core.kinds import CONTROL_KINDS, describe, matched_width
from qmlr.core.train_config import TrainConfig
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.loading import records_of
from qmlr.engine.runner import group_cost, model_size, plan_groups, train_group
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.studies.experiments import (
    PAPER_MLP_HIDDEN,
    RESILIENCE,
    TRAINING_PRECISION,
    Profile,
    paper_model,
    training_config,
)

STUDY = "controls"
#: Datasets and corruptions of the study (those of the resilience study).
DATASETS = ("mnist", "xxz")
CORRUPTIONS = ("label_flip", "feature_random")
#: The training config recorded for controls fitted without gradient training (unused by
#: their fit; a cell needs one).
NO_TRAINING = TrainConfig(epochs=0, batch_size=1, lr=1.0)
#: Largest ensemble of a controls group (a killed run loses at most the groups in flight).
CONTROLS_GROUP_SIZE = 10

#: Kinds that use the paper's MLP hidden widths.
_PAPER_WIDTH_KINDS = ("mlp-tanh", "mlp-early-stop", "mlp-weight-decay")


@cache
def qnn_n_params(dataset: str) -> int:
    """Trained parameters of the paper's QNN on ``dataset`` (240 on MNIST, 192 on XXZ).

    Example:
        >>> qnn_n_params("mnist"), qnn_n_params("xxz")
        (240, 192)
    """
    return model_size(paper_model(dataset, "qnn"), DataSpec(dataset))


def control_model(dataset: str, kind: str) -> ModelSpec:
    """The control ``kind``'s model on ``dataset``: the paper's MLP widths for the MLP
    variants, QNN-matched widths for ``mlp-small``, none for the others.

    Example:
        >>> control_model("xxz", "mlp-small").hidden, control_model("mnist", "mlp-tanh").hidden
        ((16,), (16, 4))
    """
    if kind in _PAPER_WIDTH_KINDS:
        hidden = PAPER_MLP_HIDDEN[dataset]
    elif kind == "mlp-small":
        hidden = matched_width(qnn_n_params(dataset))
    else:
        hidden = ()
    return ModelSpec(kind, hidden=hidden, precision=TRAINING_PRECISION)


def control_training(dataset: str, kind: str, profile: Profile) -> TrainConfig:
    """SI Table I settings of the model the control mimics, or :data:`NO_TRAINING`."""
    mimics = describe(kind).training
    return NO_TRAINING if mimics is None else training_config(dataset, mimics, profile)


def controls_cells(profile: Profile, kinds: tuple[str, ...] = CONTROL_KINDS) -> list[CellSpec]:
    """Every control cell: datasets x kinds x corruptions x α x runs.

    :param profile: the scale (α grid, runs, epoch scale).
    :param kinds: which control kinds.
    :return: the cells.
    """
    return [
        CellSpec(
            STUDY,
            DataSpec(dataset),
            control_model(dataset, kind),
            control_training(dataset, kind, profile),
            corruption,
            alpha,
            run,
        )
        for dataset in DATASETS
        for kind in kinds
        for corruption in CORRUPTIONS
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


def plan(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """Ensembles of up to :data:`CONTROLS_GROUP_SIZE` cells, cheapest first: a run cut short
    (on a shared machine) then holds every cheap kind whole, and resumes with the rest."""
    groups = plan_groups(cells, CONTROLS_GROUP_SIZE)
    groups.sort(key=group_cost)
    return groups


def compute(cells: list[Any]) -> list[Any]:
    """Train one planned group (module-level, so worker processes can run it)."""
    return train_group(cells)


#: The study (listed in :mod:`qmlr.studies.registry`).
DEFINITION = StudyDefinition(STUDY, controls_cells, compute, plan)


@cache
def paper_n_params(dataset: str, kind: str) -> int:
    """Trained parameters of the paper's ``"mlp"`` or ``"qnn"`` on ``dataset``.

    Example:
        >>> paper_n_params("mnist", "mlp"), paper_n_params("xxz", "mlp")
        (16473, 525409)
    """
    return model_size(paper_model(dataset, kind), DataSpec(dataset))


def model_records(profile: str = "paper", results_dir: Any = None) -> Any:
    """The resilience study's MLP and QNN rows and every controls row, one
    ``pandas.DataFrame``, each row with ``n_params`` (the paired comparison of the chapter).

    :param profile: ``"paper"`` (committed results) or ``"smoke"`` (computed live).
    :param results_dir: override the results folder.
    :return: the records (columns of :func:`qmlr.engine.store.flat_record`, plus ``n_params``).
    """
    paper = records_of(RESILIENCE, profile, results_dir)
    pairs = zip(paper.dataset, paper.model, strict=True)
    paper["n_params"] = [paper_n_params(d, k) for d, k in pairs]
    controls = records_of(DEFINITION, profile, results_dir)
    return pd.concat([paper, controls], ignore_index=True)
