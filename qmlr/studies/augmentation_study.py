"""The ``phase-augmentation`` study: the XXZ MLP trained with a fresh random global phase per
sample and epoch.

The ``phase-realizations`` study asks whether the XXZ MLP's memorization belongs to one draw of
the states' arbitrary global phases. This one removes the phase as a feature the MLP can fit:
every epoch, every training state is multiplied by a new :math:`e^{i\\varphi}`
(:class:`qmlr.core.augment.PhaseAugmentation`, ``TrainConfig(augment="phase")``), so a flipped
label can no longer be tied to the one phase its state happens to carry. Data, poison,
initialization and minibatch order are those of the resilience study's XXZ MLP run ``r``
(``phase_seed`` :data:`PHASE_SEED`; neither the poison nor the model seed depends on the
training config), and the validation states keep that study's fixed phases, so each cell differs
from its resilience twin in the augmentation alone. The phases of cell ``(α, r)`` come from its
:meth:`~qmlr.engine.specs.CellSpec.augment_seed`, recorded in the provenance; the records carry
``phase_seed`` and ``augment``.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> cells = augmentation_cells(get_profile("paper"))
    >>> len(cells), {c.train.augment for c in cells}, {c.data.phase_seed for c in cells}
    (50, {'phase'}, {0})
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.loading import available_of
from qmlr.engine.runner import plan_groups, train_group
from qmlr.engine.specs import CellSpec, DataSpec
from qmlr.engine.store import CellResult, export_records, flat_record
from qmlr.studies.experiments import Profile, paper_model, training_config

STUDY = "phase-augmentation"
#: The augmentation of every cell (:data:`qmlr.core.augment.AUGMENTATIONS`).
AUGMENT = "phase"
#: The fixed phases of the training and validation states: the resilience study's draw.
PHASE_SEED = 0


def augmentation_cells(profile: Profile) -> list[CellSpec]:
    """The XXZ MLP's label-flipping sweep (the profile's α grid and runs), trained with phase
    augmentation.

    :param profile: the profile.
    :return: one cell per (α, run).
    """
    model, base = paper_model("xxz", "mlp"), training_config("xxz", "mlp", profile)
    train = type(base)(base.epochs, base.batch_size, base.lr, augment=AUGMENT)
    data = DataSpec("xxz", phase="random", phase_seed=PHASE_SEED)
    return [
        CellSpec(STUDY, data, model, train, "label_flip", alpha, run)
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


def plan(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """Ensembles of up to :data:`~qmlr.engine.runner.MAX_GROUP_SIZE` cells (all share data,
    model and training config)."""
    return plan_groups(cells)


def compute(cells: list[CellSpec]) -> list[CellResult]:
    """Train one planned group (module-level, so worker processes can run it)."""
    return train_group(cells)


def _label(frame_or_metrics: Any, spec: CellSpec) -> None:
    frame_or_metrics["phase_seed"] = spec.data.phase_seed
    frame_or_metrics["augment"] = spec.train.augment


def export(results: list[CellResult], folder: Any) -> Path:
    """Write ``records.csv`` with each cell's ``phase_seed`` and ``augment``."""
    rows = [CellResult(r.spec, dict(r.metrics), r.provenance) for r in results]
    for r in rows:
        _label(r.metrics, r.spec)
    return export_records(rows, Path(folder) / "records.csv")


def available_records(profile: str = "paper", results_dir: Any = None) -> tuple[Any, int]:
    """The study's tidy records, with ``phase_seed`` and ``augment`` columns, of the cells a
    chapter can show without training (:func:`qmlr.engine.loading.available_of`: at the paper
    profile those on disk, at another profile all of them, computed live).

    :param profile: profile name.
    :param results_dir: results folder override.
    :return: ``(records, number of cells the study has)``.
    """
    results, total = available_of(DEFINITION, profile, results_dir)
    rows = []
    for r in results:
        row = flat_record(r)
        _label(row, r.spec)
        rows.append(row)
    return pd.DataFrame(rows), total


#: The study (listed in :data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, augmentation_cells, compute, plan, export)
