"""The 13-qubit XXZ encoding study: the authors' unlearning QNN swept over the label-flip ratio.

The authors' unlearning script feeds the XXZ QNN ``[Re ψ, Im ψ]`` — the 8192 reals of a 12-qubit
ground state read as the amplitudes of 13 qubits (model kind ``qnn-reim``,
:mod:`qmlr.core.models.qnn_reim`) — while its resilience sweep (Fig. 2d) feeds the 4096 complex
amplitudes to 12 qubits. This study sweeps the 13-qubit model exactly as the resilience study
sweeps the 12-qubit one (depth 4, SI Table I's QNN settings, label flipping, the profile's α grid
and runs), so a reader sees whether the model of Fig. 3b is the model of Fig. 2d. The poison
seed depends only on (dataset, corruption, α, run): each cell flips the same samples as the
resilience study's QNN cell of the same α and run; the 13-qubit model has its own initialization.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> cells = encoding_cells(get_profile("paper"))
    >>> len(cells), cells[0].model.label
    (50, 'QNN [Re ψ, Im ψ] depth 4')
"""

from __future__ import annotations

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import Profile
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.studies.experiments import PAPER_QNN_DEPTH, TRAINING_PRECISION, training_config
from qmlr.studies.readings import export_reading_records

STUDY = "encoding"
#: The model kind of the authors' XXZ unlearning QNN.
KIND = "qnn-reim"


def reim_model() -> ModelSpec:
    """The 13-qubit QNN at the XXZ QNN's depth and the sweeps' precision."""
    return ModelSpec(KIND, depth=PAPER_QNN_DEPTH["xxz"], precision=TRAINING_PRECISION)


def encoding_cells(profile: Profile) -> list[CellSpec]:
    """The 13-qubit QNN on XXZ (random global phases, as the resilience study), label flipping."""
    train = training_config("xxz", "qnn", profile)  # the kind trains with the QNN's settings
    return [
        CellSpec(STUDY, DataSpec("xxz"), reim_model(), train, "label_flip", alpha, run)
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


#: The study, for the registry (:data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, encoding_cells, export=export_reading_records)
