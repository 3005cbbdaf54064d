"""The per-column MNIST normalization study: the resilience sweep's MNIST label-flipping cells with
the authors' code's preprocessing.

The authors' ``normalize_to_wavefunction`` normalizes each image *column* (axis 1 of the
``(N, 28, 28)`` array), so a sample's squared norm is its number of non-empty columns (3 to 20
here) and the QNN's ``<Z>`` — hence its logit ``5 <Z>`` — is scaled by it. The SI normalizes the
whole image, as the book does. This study trains the SI's MNIST MLP and QNN with SI Table I
settings on the per-column data (:class:`~qmlr.engine.specs.DataSpec` ``normalization=
"per-column"``), label flipping only, on the profile's α grid and runs. Every draw is the
resilience cell's: the poison and model seeds do not depend on the normalization, so each cell
is paired with the resilience cell of the same (model, α, run) — same flipped samples, same
initialization and minibatch order — and only the input differs.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> cells = normalization_cells(get_profile("paper"))
    >>> len(cells), {c.data.normalization for c in cells}
    (100, {'per-column'})
"""

from __future__ import annotations

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import Profile
from qmlr.engine.specs import CellSpec, DataSpec
from qmlr.studies.experiments import paper_model, training_config
from qmlr.studies.readings import export_reading_records

STUDY = "normalization"
#: The data of the study: MNIST 1 vs 9 with each image column normalized.
DATA = DataSpec("mnist", normalization="per-column")


def normalization_cells(profile: Profile) -> list[CellSpec]:
    """MNIST MLP and QNN (SI IV.A, Table I), label flipping, per-column normalization."""
    return [
        CellSpec(
            STUDY,
            DATA,
            paper_model("mnist", kind),
            training_config("mnist", kind, profile),
            "label_flip",
            alpha,
            run,
        )  # fmt: skip
        for kind in ("mlp", "qnn")
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


#: The study, for the registry (:data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, normalization_cells, export=export_reading_records)
