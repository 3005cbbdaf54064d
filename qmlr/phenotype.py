"""Poisoning phenotypes of every model, and checks that can fail for the wrong model.

The paper describes two *phenotypes* under class-balanced label flipping: the MLP memorizes the
flipped labels and its validation accuracy erodes from α = 0; the QNN reproduces almost none of
them, keeps a validation plateau up to α ≈ 0.4 and collapses in a sharp transition near 0.5.
This module measures the ingredients of both phenotypes on any model's sweep records (the
resilience study's MLP and QNN, the controls study's classical controls) and runs every check
on every model, so a check is evidence for a *quantum* effect only where the MLP fails it.

The thresholds below were fixed (and committed) before any paper-scale control result was
looked at; they are the single source of truth for the controls chapter and the scorecard.
"""

from __future__ import annotations

from qmlr.analysis import PLATEAU_TOLERANCE

#: Memorization is measured under label flipping at the grid points with 0 < α ≤ this. Above
#: α = 0.5 the flipped labels are the majority of each input region, so a model that follows
#: the majority "reproduces" them without memorizing anything.
MEMORIZATION_MAX_ALPHA = 0.4
#: Reproducing at most this fraction of the flipped training labels is "no memorization"
#: (the QNN's phenotype).
NO_MEMORIZATION_LEVEL = 0.2
#: Reproducing at least this fraction of the flipped training labels is "memorizes" (the MLP's
#: phenotype). Between the two levels a model is neither.
MEMORIZES_LEVEL = 0.8
#: The plateau is tested at both α: 0.4 is what the paper states, 0.3 what the resilience
#: chapter's claim-2 check used. Validation must stay within :data:`PLATEAU_TOLERANCE`
#: (:mod:`qmlr.analysis`) of its α = 0 value up to the given α.
PLATEAU_ALPHAS = (0.3, 0.4)
#: The α at which the phenotype comparison requires the plateau. The paper states 0.4, but the
#: resilience study's QNNs themselves hold it only to 0.3 on both datasets (their validation
#: drops by more than the tolerance at 0.4), so a "QNN phenotype" demanding 0.4 would exclude
#: the QNN. Set to 0.3 after reading the published resilience curves and before any control
#: result existed; the 0.4 check is still run and reported on every model.
PHENOTYPE_PLATEAU_ALPHA = 0.3
#: α_c (validation crossing 0.5) inside this window is the paper's "transition near 0.5".
TRANSITION_WINDOW = (0.4, 0.6)
#: Sharpness is the steepest fall of the run-mean validation accuracy, per this step of α.
DROP_STEP = 0.1
#: A steepest fall of at least this much accuracy per :data:`DROP_STEP` of α is "sharp".
#: A curve falling steadily from 1 to 0 over α ∈ [0, 1] falls 0.1 per step.
SHARP_DROP_LEVEL = 0.3

__all__ = [
    "DROP_STEP",
    "MEMORIZATION_MAX_ALPHA",
    "MEMORIZES_LEVEL",
    "NO_MEMORIZATION_LEVEL",
    "PHENOTYPE_PLATEAU_ALPHA",
    "PLATEAU_ALPHAS",
    "PLATEAU_TOLERANCE",
    "SHARP_DROP_LEVEL",
    "TRANSITION_WINDOW",
]
