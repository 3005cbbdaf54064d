"""The ``splits`` study: XXZ label flipping trained on a coarse grid, validated away from it.

The paper's XXZ validation states interleave its training states, one grid step apart, so a
model that memorizes a flipped training label also mislabels that label's neighbour. Here each
model is trained on a coarser grid of each phase window (every
:data:`~qmlr.core.data.COARSE_STEP`-th training point, :func:`qmlr.core.data.xxz_grid_indices`)
and validated twice: on held-out points between the training points (2 to 4 grid steps from
the nearest; split ``coarse``) and on the states of each phase outside the windows (split
``outside``). Models: the paper's MLP and QNN and the two strongest classical controls of the
controls study, on the profile's α grid and runs; the poison seed of a cell depends only on
(dataset, corruption, α, run), so every model sees the same flipped labels.

Records (:func:`export`) have one row per cell and split, with ``val_accuracy`` on that split;
the paper's own split (``interleaved``) is that of the resilience and controls studies
(:func:`split_records`).

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> len(splits_cells(get_profile("paper")))
    200
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qmlr.engine.atomic import write_atomic
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.loading import records_of, results_of
from qmlr.engine.runner import (
    clean_split,
    group_cost,
    model_inputs,
    plan_groups,
    train_group_model,
)
from qmlr.engine.specs import CellSpec, DataSpec
from qmlr.engine.store import CellResult, flat_record
from qmlr.studies import controls_study
from qmlr.studies.controls_study import control_model, control_training
from qmlr.studies.experiments import RESILIENCE, Profile, paper_model, training_config

STUDY = "splits"
#: The models: the paper's two, then the strongest classical controls of the controls study.
MODELS = ("mlp", "qnn", "logistic-quadratic", "svc-rbf")
#: The data of every cell: XXZ (random phases, as the resilience study) on the coarse grid.
DATA = DataSpec("xxz", grid="coarse")
#: Split names of the records: the paper's, and this study's two.
SPLITS = ("interleaved", "coarse", "outside")


def splits_cells(profile: Profile) -> list[CellSpec]:
    """Every cell: models x α x runs, label flipping on the coarse grid."""
    cells = []
    for kind in MODELS:
        if kind in ("mlp", "qnn"):
            model, train = paper_model("xxz", kind), training_config("xxz", kind, profile)
        else:
            model, train = control_model("xxz", kind), control_training("xxz", kind, profile)
        cells += [
            CellSpec(STUDY, DATA, model, train, "label_flip", alpha, run)
            for alpha in profile.alphas
            for run in range(profile.runs)
        ]
    return cells


def plan(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """Ensembles of equal model, cheapest first (a run cut short keeps whole models)."""
    groups = plan_groups(cells)
    groups.sort(key=group_cost)
    return groups


def compute(cells: list[CellSpec]) -> list[CellResult]:
    """Train one group on the coarse grid; add each member's accuracy outside the windows."""
    import torch

    results, model = train_group_model(cells)
    first = cells[0]
    outside = clean_split(first.data, "outside")
    with torch.no_grad():
        predicted = (model(model_inputs(outside.x, first.model)) > 0).long().numpy()
    for i, result in enumerate(results):
        result.metrics["outside_accuracy"] = float(np.mean(predicted[i] == outside.y))
        result.metrics["n_outside"] = len(outside)
    return results


def split_rows(result: CellResult) -> list[dict[str, Any]]:
    """The tidy rows of one cell: ``split`` ``coarse`` (held-out points between the training
    points) and ``outside`` (each phase outside the windows), ``val_accuracy`` on each."""
    base = flat_record(result)
    outside = base.pop("outside_accuracy")
    return [base | {"split": "coarse"}, base | {"split": "outside", "val_accuracy": outside}]


def export(results: list[CellResult], folder: Any) -> Path:
    """Write ``records.csv``: :func:`split_rows` of every cell, sorted."""
    rows = sorted(
        (row for r in results for row in split_rows(r)),
        key=lambda r: (r["model"], r["split"], r["alpha"], r["run"]),
    )
    fields = list(dict.fromkeys(k for row in rows for k in row))
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(Path(folder) / "records.csv", text.getvalue().encode())


def split_records(profile: str = "paper", results_dir: Any = None) -> Any:
    """Every split of every model: this study's ``coarse`` and ``outside`` rows with the XXZ
    label-flipping rows of the same models in the resilience and controls studies
    (``interleaved``).

    :param profile: ``"paper"`` (committed results) or a live profile.
    :param results_dir: results folder override.
    :return: records with a ``split`` column.
    """
    ours = pd.DataFrame(
        [row for r in results_of(DEFINITION, profile, results_dir) for row in split_rows(r)]
    )
    theirs = pd.concat(
        [records_of(d, profile, results_dir) for d in (RESILIENCE, controls_study.DEFINITION)],
        ignore_index=True,
    )
    keep = (
        (theirs["dataset"] == "xxz")
        & (theirs["corruption"] == "label_flip")
        & theirs["model"].isin(MODELS)
    )
    paper = theirs[keep].assign(split="interleaved")
    return pd.concat([paper, ours], ignore_index=True)


#: The study (listed in :data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, splits_cells, compute, plan, export)
