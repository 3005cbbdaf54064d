"""Poisoning phenotypes of every model, and checks that can fail for the wrong model.

The paper describes two *phenotypes* under class-balanced label flipping: the MLP memorizes the
flipped labels and its validation accuracy erodes from α = 0; the QNN reproduces almost none of
them, keeps a validation plateau up to α ≈ 0.4 and collapses in a sharp transition near 0.5.
This module measures the ingredients of both phenotypes on any model's sweep records (the
resilience study's MLP and QNN, the controls study's classical controls) and runs every check
on every model, so a check is evidence for a *quantum* effect only where the MLP fails it.

The thresholds below were fixed (and committed) before any paper-scale control result was
looked at; they are the single source of truth for the controls chapter and the scorecard.

Example:
    >>> import numpy as np
    >>> steepest_drop(np.array([0.0, 0.4, 0.5, 0.6]), np.array([0.98, 0.98, 0.45, 0.02]))
    0.53
"""

from qmlr.report.analysis import PLATEAU_TOLERANCE  # noqa: F401 (this package re-exports)
from qmlr.report.phenotype.checks import (  # noqa: F401
    CHECK_NAMES,
    CHECKS,
    INTERPRETATION_ID,
    INTERPRETATION_NAME,
    QNN_CHECK_IDS,
    QNN_PHENOTYPE,
    QNN_PHENOTYPE_AS_STATED,
    discrimination,
    models_with_phenotype,
    per_dataset_marked,
    per_dataset_text,
    phenotype_checks,
    phenotype_of,
    phenotype_outcome,
    phenotype_verdicts,
    phenotypes,
    shared_behaviour,
    sharing_outcomes,
)
from qmlr.report.phenotype.display import (  # noqa: F401
    check_legend,
    check_matrix,
    display_table,
    verdict_paragraph,
)
from qmlr.report.phenotype.measures import (  # noqa: F401
    DROP_STEP,
    LEARNS_LEVEL,
    MEMORIZATION_MAX_ALPHA,
    MEMORIZES_LEVEL,
    MODEL_NAMES,
    NO_MEMORIZATION_LEVEL,
    PAPER_MODELS,
    PAPER_PLATEAU_ALPHA,
    PHENOTYPE_PLATEAU_ALPHA,
    PLATEAU_ALPHAS,
    RECORD_COLUMNS,
    SHARP_DROP_LEVEL,
    TRANSITION_WINDOW,
    curve_intervals,
    load_records,
    memorization,
    model_name,
    model_order,
    paper_n_params,
    phenotype_table,
    steepest_drop,
)
