"""The minimal models of SI §I: one-parameter MLP and single-qubit QNN, derived with sympy.

Both models map a scalar feature ``x`` and a single trainable parameter ``theta`` to a logit
``z``, a probability ``p = sigmoid(z)`` and the binary cross-entropy loss (S1), (S5)::

    MLP:  z = theta * x
    QNN:  z = cos(pi * x + theta)          (single qubit, R_Y(pi x) then R_Y(theta), <Z>)
    L  = -[y log p + (1 - y) log(1 - p)],  y in {0, 1}

The package has three modules, each built on the previous one, and the chapter's checks sit
in the report layer:

1. **Symbolic** (:mod:`~qmlr.core.analytic.symbolic`). :func:`loss` builds the loss from its
definition; :func:`derived_gradient`
   and :func:`derived_hessian` differentiate it with :func:`sympy.diff`.  Independently,
   :func:`printed_gradient`, :func:`printed_hessian`, :func:`printed_term_a` and
   :func:`printed_term_b` type in the results as the SI prints them, (S6), (S10), (S15), in
   terms of a free symbol ``p``.  :func:`identity_checks` / :func:`verify_si_identities`
   prove ``derived - printed(p = sigmoid(z)) == 0`` for symbolic ``y`` and for ``y = 0`` and
   ``y = 1``.
2. **Numeric** (:mod:`~qmlr.core.analytic.numeric`). :func:`numeric_model` returns vectorised
float64 numpy functions (loss,
   gradient, Hessian, Term A, Term B) made with :func:`sympy.lambdify` from overflow-safe forms
   that are themselves proven equal to the derived expressions.  :func:`autograd_hessian` and
   :func:`finite_difference_hessian` are the two independent numeric references
   (:func:`qmlr.report.analytic.discrepancy_table` compares all three on a grid).
3. **Small datasets** (:mod:`~qmlr.core.analytic.toy`). :func:`toy_dataset`, :func:`dataset_loss`,
:func:`point_hessians`,
   :func:`dataset_hessian` and :func:`minimize_dataset_loss` sum the single-point formulas over
   a handful of points and locate the minimiser, for the chapter's dataset figure.
4. **Claims** (:mod:`qmlr.report.analytic`, not in the core):
:func:`~qmlr.report.analytic.claim_verdicts`
   turns all of the above into the chapter's verdicts, which the book's scorecard reuses.

The curvature decomposition used throughout is the product rule applied to (S6)::

    H = d/dtheta [(p - y) z'] = p (1 - p) z'^2 + (p - y) z''  =  Term A - Term B,
    Term A = p (1 - p) z'^2,   Term B = -(p - y) z''.

For the QNN (``z'' = -cos(pi x + theta)``) this is exactly the split of (S15); for the MLP
``z'' = 0``, so Term B vanishes and Term A is (S10).
"""

from qmlr.core.analytic.numeric import (
    FD_STEP,
    NumericModel,
    autograd_hessian,
    finite_difference_hessian,
    misclassified,
    numeric_model,
)
from qmlr.core.analytic.symbolic import (
    MODELS,
    IdentityCheck,
    IdentityError,
    Model,
    derived_gradient,
    derived_hessian,
    derived_term_a,
    derived_term_b,
    express_in_p,
    identity_checks,
    logit,
    loss,
    loss_in_p,
    p,
    printed_gradient,
    printed_hessian,
    printed_term_a,
    printed_term_b,
    sigmoid,
    theta,
    verify_si_identities,
    x,
    y,
)
from qmlr.core.analytic.toy import (
    MLP_SEARCH_BOUND,
    TOY_OUTLIER,
    Minimum,
    SweepRow,
    ToyDataset,
    dataset_hessian,
    dataset_loss,
    default_bounds,
    minimize_dataset_loss,
    outlier_sweep,
    pair_dataset,
    point_hessians,
    toy_dataset,
    toy_summary,
)

__all__ = [
    "FD_STEP",
    "MLP_SEARCH_BOUND",
    "MODELS",
    "TOY_OUTLIER",
    "IdentityCheck",
    "IdentityError",
    "Minimum",
    "Model",
    "NumericModel",
    "SweepRow",
    "ToyDataset",
    "autograd_hessian",
    "dataset_hessian",
    "dataset_loss",
    "default_bounds",
    "derived_gradient",
    "derived_hessian",
    "derived_term_a",
    "derived_term_b",
    "express_in_p",
    "finite_difference_hessian",
    "identity_checks",
    "logit",
    "loss",
    "loss_in_p",
    "minimize_dataset_loss",
    "misclassified",
    "numeric_model",
    "outlier_sweep",
    "p",
    "pair_dataset",
    "point_hessians",
    "printed_gradient",
    "printed_hessian",
    "printed_term_a",
    "printed_term_b",
    "sigmoid",
    "theta",
    "toy_dataset",
    "toy_summary",
    "verify_si_identities",
    "x",
    "y",
]
