"""The ``shots`` study: the resilience sweep's QNNs read out with finite measurement shots.

Every QNN cell of the resilience study (both corruptions of :data:`CORRUPTIONS`, both datasets,
the profile's α grid and runs) is trained again exactly as there — same data, poison, seeds and
ensembles, only the study name differs — and each trained member is evaluated on the
validation set with ``N`` shots per sample for every ``N`` of :data:`EVAL_SHOTS`: ⟨Z⟩ is
replaced by the binomial estimate ``2 k / N − 1``, ``k ~ Binomial(N, (1 + ⟨Z⟩) / 2)``
(:func:`qmlr.core.shots.estimate_expectation`), and the logit formed from it as the model forms
it (``5 m̂``; class 1 where it is positive, so an estimate of exactly 0 predicts class 0). The
outcomes of cell ``c`` at ``N`` shots are drawn from
``default_rng(derive_seed(base_seed, "shots", c.key(), N))``.

The trained parameters are sealed with each cell (metric ``params``, the member's angles in
order ``(depth, qubits, 4)``), so any later evaluation needs no training.

A second series trains the XXZ label-flipping QNNs with :data:`TRAIN_SHOTS` shots in the
forward pass (:class:`qmlr.core.shots.ShotNoisyQNN`: the shot estimate in the loss, the exact
derivative of ⟨Z⟩ in the backward pass) and evaluates them the same way.

Records (:func:`export`) have one row per cell and evaluation shot count: ``shots`` (0 = exact)
and ``train_shots`` (0 = trained on exact expectations), with ``val_accuracy`` at those shots.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> len(shots_cells(get_profile("paper")))
    250
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.loading import results_of
from qmlr.engine.runner import clean_split, model_inputs, plan_groups, train_group_model
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec, derive_seed
from qmlr.engine.store import CellResult, flat_record, write_rows
from qmlr.studies.experiments import (
    PAPER_QNN_DEPTH,
    TRAINING_PRECISION,
    Profile,
    paper_model,
    training_config,
)

STUDY = "shots"
#: Shots per sample of the evaluations (0, the exact expectation, is the cell's own accuracy).
EVAL_SHOTS = (10, 100, 1000)
#: Shots per sample in the training forward pass of the shot-trained series.
TRAIN_SHOTS = 1000
#: The shot-trained series: this dataset's label-flipping sweep.
TRAIN_SHOTS_DATASET = "xxz"
#: Corruptions of the exact-trained series, in the order they are computed: label flipping (the
#: headline numbers), then feature randomization (appended later; no existing key changed).
CORRUPTIONS = ("label_flip", "feature_random")


def shot_trained_model(dataset: str = TRAIN_SHOTS_DATASET) -> ModelSpec:
    """The paper's QNN for ``dataset`` with :data:`TRAIN_SHOTS` shots in training."""
    return ModelSpec(
        "qnn", depth=PAPER_QNN_DEPTH[dataset], precision=TRAINING_PRECISION, shots=TRAIN_SHOTS
    )


def shots_cells(profile: Profile) -> list[CellSpec]:
    """Every cell: the resilience QNN cells of :data:`CORRUPTIONS`, then the shot-trained ones.

    :param profile: the scale.
    :return: the cells.
    """

    def grid(dataset: str, model: ModelSpec, corruption: str) -> list[CellSpec]:
        train = training_config(dataset, "qnn", profile)
        return [
            CellSpec(STUDY, DataSpec(dataset), model, train, corruption, alpha, run)
            for alpha in profile.alphas
            for run in range(profile.runs)
        ]

    cells = [
        c
        for corruption in CORRUPTIONS
        for dataset in ("mnist", "xxz")
        for c in grid(dataset, paper_model(dataset, "qnn"), corruption)
    ]
    return cells + grid(TRAIN_SHOTS_DATASET, shot_trained_model(), "label_flip")


def _priority(group: list[CellSpec]) -> tuple[int, int]:
    c = group[0]
    return (int(c.model.shots > 0), CORRUPTIONS.index(c.corruption))


def plan(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """The resilience study's ensembles: the exact-trained series first, then the shot-trained
    one (a run cut short keeps the headline series whole)."""
    groups = plan_groups(cells)
    groups.sort(key=_priority)
    return groups


def shot_accuracies(cell: CellSpec, expectation: np.ndarray, labels: np.ndarray) -> dict:
    """Validation accuracy of one member at every :data:`EVAL_SHOTS`.

    :param cell: the member's cell (seeds the outcomes).
    :param expectation: exact ⟨Z⟩ on the validation set.
    :param labels: validation labels.
    :return: ``{"val_accuracy_shots_<N>": accuracy}``.
    """
    from qmlr.core.shots import shot_logits

    out = {}
    for shots in EVAL_SHOTS:
        rng = np.random.default_rng(derive_seed(cell.base_seed, "shots", cell.key(), shots))
        predicted = (shot_logits(expectation, shots, rng) > 0).astype(np.int64)
        out[f"val_accuracy_shots_{shots}"] = float(np.mean(predicted == labels))
    return out


def compute(cells: list[CellSpec]) -> list[CellResult]:
    """Train one planned group, evaluate it with shots, seal each member's parameters."""
    import torch

    results, model = train_group_model(cells)
    first = cells[0]
    val = clean_split(first.data, "val")
    with torch.no_grad():
        expectation = model.expectation(model_inputs(val.x, first.model)).double().numpy()
        params = model.theta.detach().double().numpy()
    for i, (cell, result) in enumerate(zip(cells, results, strict=True)):
        result.metrics.update(shot_accuracies(cell, expectation[i], val.y))
        result.metrics["params"] = params[i].ravel().tolist()
        result.metrics["params_shape"] = list(params[i].shape)
    return results


def shot_rows(result: CellResult) -> list[dict[str, Any]]:
    """The tidy rows of one cell: one per evaluation shot count (0 = exact)."""
    base = flat_record(result)
    per_shots = {s: base.pop(f"val_accuracy_shots_{s}") for s in EVAL_SHOTS}
    base["train_shots"] = result.spec.model.shots
    rows = [base | {"shots": 0}]
    rows += [base | {"shots": s, "val_accuracy": acc} for s, acc in per_shots.items()]
    return rows


def export(results: list[CellResult], folder: Any) -> Path:
    """Write ``records.csv``: :func:`shot_rows` of every cell, sorted."""
    rows = sorted(
        (row for r in results for row in shot_rows(r)),
        key=lambda r: (
            r["dataset"],
            r["train_shots"],
            r["corruption"],
            r["shots"],
            r["alpha"],
            r["run"],
        ),
    )
    return write_rows(rows, Path(folder) / "records.csv")


def records(profile: str = "paper", results_dir: Any = None) -> Any:
    """The study's tidy records (:func:`shot_rows` of every cell) as a ``pandas.DataFrame``.

    :param profile: ``"paper"`` (committed results) or a live profile.
    :param results_dir: results folder override.
    """
    return pd.DataFrame(
        [row for r in results_of(DEFINITION, profile, results_dir) for row in shot_rows(r)]
    )


#: The study (listed in :data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, shots_cells, compute, plan, export)
