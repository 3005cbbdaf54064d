"""What class-balanced label flipping does to the class means of the poisoned training set.

Flipping a fraction α of each class to the other pulls both class means towards their common
midpoint: μ̃_1 = (1 − α)μ_1 + αμ_0 and μ̃_0 = (1 − α)μ_0 + αμ_1, so μ̃_1 − μ̃_0 = (1 − 2α)(μ_1 − μ_0).
Any classifier that depends on the data only through the class means therefore decides as on
clean data below α = 0.5 and inverts every decision above it. :func:`flipped_class_means`
derives this with sympy; the controls chapter shows it.

Example:
    >>> flipped_class_means(1)["difference_factor"]
    1 - 2*alpha
"""

from __future__ import annotations

from typing import Any

import numpy as np


def flipped_class_means(dim: int = 2) -> dict[str, Any]:
    """Class means of a class-balanced, label-flipped training set, derived with sympy.

    Each class has n samples; a fraction α of *each* class is relabelled as the other class,
    drawn without regard to the inputs, so in expectation the flipped part of a class has that
    class's mean. The poisoned class c then holds (1 − α)n samples of class c and αn of the
    other.

    :param dim: dimension of the inputs (the identities hold coordinate-wise).
    :return: sympy objects: ``alpha``; ``mu0``, ``mu1``, ``x`` (symbolic column vectors);
        ``mu0_tilde``, ``mu1_tilde`` (poisoned means); ``difference_factor`` (the scalar f with
        μ̃1 − μ̃0 = f (μ1 − μ0)); ``midpoint_shift`` (μ̃0 + μ̃1 − μ0 − μ1, zero);
        ``centroid_factor`` (the scalar g with s̃(x) = g s(x), for the nearest-centroid score
        s(x) = ‖x − μ0‖² − ‖x − μ1‖², positive for class 1).

    Example:
        >>> d = flipped_class_means(1)
        >>> d["difference_factor"], d["centroid_factor"]
        (1 - 2*alpha, 1 - 2*alpha)
    """
    import sympy as sp

    if dim < 1:
        raise ValueError(f"dim must be ≥ 1, got {dim}")
    alpha, n = sp.symbols("alpha n", positive=True)
    mu0 = sp.Matrix(sp.symbols(f"mu0_1:{dim + 1}", real=True))
    mu1 = sp.Matrix(sp.symbols(f"mu1_1:{dim + 1}", real=True))
    x = sp.Matrix(sp.symbols(f"x_1:{dim + 1}", real=True))
    # poisoned class c: (1 − α) n of its own samples and α n of the other class's
    mu0_tilde = (((1 - alpha) * n) * mu0 + (alpha * n) * mu1) / n
    mu1_tilde = (((1 - alpha) * n) * mu1 + (alpha * n) * mu0) / n
    mu0_tilde, mu1_tilde = sp.simplify(mu0_tilde), sp.simplify(mu1_tilde)
    clean_diff, diff = mu1 - mu0, sp.simplify(mu1_tilde - mu0_tilde)
    factor = sp.factor(sp.simplify(diff[0] / clean_diff[0]))
    if sp.simplify(diff - factor * clean_diff) != sp.zeros(dim, 1):
        raise AssertionError("the poisoned mean difference is not parallel to the clean one")

    def score(m0: Any, m1: Any) -> Any:
        return ((x - m0).T * (x - m0))[0] - ((x - m1).T * (x - m1))[0]

    clean, poisoned = sp.expand(score(mu0, mu1)), sp.expand(score(mu0_tilde, mu1_tilde))
    centroid = sp.factor(sp.cancel(poisoned / clean))
    return {
        "alpha": alpha,
        "mu0": mu0,
        "mu1": mu1,
        "x": x,
        "mu0_tilde": mu0_tilde,
        "mu1_tilde": mu1_tilde,
        "difference_factor": factor,
        "midpoint_shift": sp.simplify(mu0_tilde + mu1_tilde - mu0 - mu1),
        "centroid_factor": centroid,
    }


def centroid_accuracy_after_flipping(clean_accuracy: float, alpha: float) -> float:
    """Validation accuracy of the nearest centroid with exact expected poisoned means.

    Follows from :func:`flipped_class_means`: the score is multiplied by 1 − 2α, so every
    decision is the clean one below α = 0.5, inverted above, and undecided (a tie, counted as
    chance, 0.5) at α = 0.5.

    :param clean_accuracy: the centroid's accuracy at α = 0.
    :param alpha: flip rate in [0, 1].
    :return: the accuracy.

    Example:
        >>> [centroid_accuracy_after_flipping(0.98, a) for a in (0.3, 0.5, 0.7)]
        [0.98, 0.5, 0.02]
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if np.isclose(alpha, 0.5):
        return 0.5
    return float(clean_accuracy if alpha < 0.5 else round(1.0 - clean_accuracy, 12))
