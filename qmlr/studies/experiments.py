"""The studies of the paper and their hyperparameters: the one source of truth.

The scale of a study comes from a :class:`~qmlr.engine.profiles.Profile`
(:mod:`qmlr.engine.profiles`, the one
place every scale knob lives): ``paper`` holds the values of the paper's Supplementary
Information (SI IV, Table I); ``smoke`` and ``tiny`` keep every code path but shrink epochs,
grids and runs so a chapter runs in seconds. A study is a list of
:class:`~qmlr.engine.specs.CellSpec`; its :class:`StudyDefinition` builds it.

Example:
    >>> len(RESILIENCE.specs(get_profile("paper")))
    400
"""

from __future__ import annotations

from qmlr.core.train_config import TrainConfig
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import PROFILES, Profile, get_profile  # noqa: F401 (re-exported)
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec

#: SI Table I: (dataset, model kind) -> initial-training hyperparameters.
PAPER_TRAINING: dict[tuple[str, str], TrainConfig] = {
    ("xxz", "mlp"): TrainConfig(epochs=400, batch_size=32, lr=0.01),
    ("xxz", "qnn"): TrainConfig(epochs=200, batch_size=32, lr=0.03),
    ("mnist", "mlp"): TrainConfig(epochs=100, batch_size=128, lr=0.01),
    ("mnist", "qnn"): TrainConfig(epochs=100, batch_size=256, lr=0.005),
}

#: SI IV.A: the models of the main experiments.
PAPER_MLP_HIDDEN = {"xxz": (64, 16), "mnist": (16, 4)}
PAPER_QNN_DEPTH = {"xxz": 4, "mnist": 6}

#: SI §II (Fig. S1): capacity sweep on XXZ, label flipping.
CAPACITY_MLP_HIDDEN = ((64, 16), (32, 8), (16, 4), (8, 4), (8, 2))
CAPACITY_QNN_DEPTHS = (5, 6, 7)

#: Precision used for training. Single precision (float32 / complex64): the QNN fast path is
#: about 1.7x faster than in double, and accuracies of these small classifiers are far coarser
#: than float32 rounding. Equivalence tests against tensorcircuit-ng run in double.
TRAINING_PRECISION = "single"


def training_config(dataset: str, kind: str, profile: Profile) -> TrainConfig:
    """SI Table I hyperparameters, with epochs scaled by the profile."""
    base = PAPER_TRAINING[(dataset, kind)]
    epochs = max(1, round(base.epochs * profile.epoch_scale))
    return TrainConfig(epochs=epochs, batch_size=base.batch_size, lr=base.lr)


def paper_model(dataset: str, kind: str) -> ModelSpec:
    """The SI IV.A model for ``dataset``."""
    if kind == "mlp":
        return ModelSpec("mlp", hidden=PAPER_MLP_HIDDEN[dataset], precision=TRAINING_PRECISION)
    return ModelSpec("qnn", depth=PAPER_QNN_DEPTH[dataset], precision=TRAINING_PRECISION)


def _grid(
    study: str,
    profile: Profile,
    data: DataSpec,
    model: ModelSpec,
    corruption: str,
) -> list[CellSpec]:
    train = training_config(data.name, model.kind, profile)
    return [
        CellSpec(study, data, model, train, corruption, alpha, run)
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


def resilience_cells(profile: Profile) -> list[CellSpec]:
    """Main Fig. 2: {MNIST, XXZ} x {MLP, QNN} x {label flip, feature randomization}."""
    cells = []
    for dataset in ("mnist", "xxz"):
        for kind in ("mlp", "qnn"):
            for corruption in ("label_flip", "feature_random"):
                cells += _grid(
                    "resilience", profile, DataSpec(dataset), paper_model(dataset, kind), corruption
                )
    return cells


def capacity_cells(profile: Profile) -> list[CellSpec]:
    """SI Fig. S1: XXZ label flipping over MLP widths and QNN depths."""
    cells = []
    data = DataSpec("xxz")
    for hidden in CAPACITY_MLP_HIDDEN:
        model = ModelSpec("mlp", hidden=hidden, precision=TRAINING_PRECISION)
        cells += _grid("capacity", profile, data, model, "label_flip")
    for depth in CAPACITY_QNN_DEPTHS:
        model = ModelSpec("qnn", depth=depth, precision=TRAINING_PRECISION)
        cells += _grid("capacity", profile, data, model, "label_flip")
    return cells


def phase_sensitivity_cells(profile: Profile) -> list[CellSpec]:
    """Every XXZ MLP setting of the resilience and capacity studies, with canonical phases."""
    cells = []
    data = DataSpec("xxz", phase="canonical")
    for corruption in ("label_flip", "feature_random"):
        cells += _grid("phase-sensitivity", profile, data, paper_model("xxz", "mlp"), corruption)
    for hidden in CAPACITY_MLP_HIDDEN:
        if hidden == PAPER_MLP_HIDDEN["xxz"]:
            continue
        model = ModelSpec("mlp", hidden=hidden, precision=TRAINING_PRECISION)
        cells += _grid("phase-sensitivity", profile, data, model, "label_flip")
    return cells


#: The sweep studies defined here (the registry, :mod:`qmlr.studies.registry`, lists every study).
RESILIENCE = StudyDefinition("resilience", resilience_cells)
CAPACITY = StudyDefinition("capacity", capacity_cells)
PHASE_SENSITIVITY = StudyDefinition("phase-sensitivity", phase_sensitivity_cells)
