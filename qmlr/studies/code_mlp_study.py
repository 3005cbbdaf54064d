"""The authors' code's MNIST MLP of Fig. 2c, swept as the resilience study sweeps the SI's.

The SI (IV.A, Table I) gives the MNIST MLP hidden widths [16, 4], batch 128 and learning rate
0.01; the authors' code trained the MLP of the α-sweep figure with [64, 16], batch 256 and
learning rate 0.005. This study trains that MLP on the SI's (image-normalized) MNIST with label
flipping on the profile's α grid and runs, the SI's epochs, and the resilience study's poisons
(the poison seed depends only on dataset, corruption, α and run), so the change of one setting
— the MLP — is measured on the same flipped samples.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> cells = code_mlp_cells(get_profile("paper"))
    >>> len(cells), cells[0].model.label, cells[0].train.batch_size
    (50, 'MLP [64, 16]', 256)
"""

from __future__ import annotations

from qmlr.core.train_config import TrainConfig
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import Profile
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.studies.experiments import PAPER_TRAINING, TRAINING_PRECISION
from qmlr.studies.readings import export_reading_records

STUDY = "code-mlp"
#: The authors' code's MNIST MLP of the α-sweep figure: hidden widths, batch size, learning rate.
AUTHORS_MNIST_MLP_HIDDEN = (64, 16)
AUTHORS_MNIST_MLP_BATCH = 256
AUTHORS_MNIST_MLP_LR = 0.005


def code_mlp_cells(profile: Profile) -> list[CellSpec]:
    """The authors' code's MNIST MLP, label flipping, the SI's epochs scaled by the profile."""
    epochs = max(1, round(PAPER_TRAINING[("mnist", "mlp")].epochs * profile.epoch_scale))
    train = TrainConfig(epochs, AUTHORS_MNIST_MLP_BATCH, AUTHORS_MNIST_MLP_LR)
    model = ModelSpec("mlp", hidden=AUTHORS_MNIST_MLP_HIDDEN, precision=TRAINING_PRECISION)
    return [
        CellSpec(STUDY, DataSpec("mnist"), model, train, "label_flip", alpha, run)
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


#: The study, for the registry (:data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, code_mlp_cells, export=export_reading_records)
