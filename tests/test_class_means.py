"""The class means of a label-flipped training set, derived with sympy."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from qmlr.core import class_means as C


def test_flipped_class_means() -> None:
    d = C.flipped_class_means(3)
    a = d["alpha"]
    expected = (1 - a) * d["mu1"] + a * d["mu0"]
    assert sp.simplify(d["mu1_tilde"] - expected) == sp.zeros(3, 1)
    assert sp.simplify(d["difference_factor"] - (1 - 2 * a)) == 0
    assert sp.simplify(d["centroid_factor"] - (1 - 2 * a)) == 0
    assert d["midpoint_shift"] == sp.zeros(3, 1)
    with pytest.raises(ValueError):
        C.flipped_class_means(0)


def test_flipped_means_match_a_numeric_flip() -> None:
    """Exact expected means against flipping real samples (the identity holds for any subset
    whose mean is its class mean; here the flipped rows are chosen so that it is)."""
    rng = np.random.default_rng(0)
    x0, x1 = rng.normal(0, 1, (10, 2)), rng.normal(2, 1, (10, 2))
    n_flip = 5  # rows 0..4 of each class are flipped
    for x in (x0, x1):  # flipped and kept parts get the same mean, hence the class mean
        x[:n_flip] += x[n_flip:].mean(axis=0) - x[:n_flip].mean(axis=0)
    poisoned1 = np.vstack([x1[n_flip:], x0[:n_flip]]).mean(axis=0)
    d = C.flipped_class_means(2)
    subs = {d["alpha"]: sp.Rational(n_flip, 10)}
    subs |= {s: v for s, v in zip(d["mu0"], x0.mean(axis=0), strict=True)}
    subs |= {s: v for s, v in zip(d["mu1"], x1.mean(axis=0), strict=True)}
    np.testing.assert_allclose(np.array(d["mu1_tilde"].subs(subs), float).ravel(), poisoned1)


def test_centroid_accuracy_after_flipping() -> None:
    assert C.centroid_accuracy_after_flipping(0.9, 0.49) == 0.9
    np.testing.assert_allclose(C.centroid_accuracy_after_flipping(0.9, 0.51), 0.1)
    assert C.centroid_accuracy_after_flipping(0.9, 0.5) == 0.5
    with pytest.raises(ValueError):
        C.centroid_accuracy_after_flipping(0.9, 1.5)
