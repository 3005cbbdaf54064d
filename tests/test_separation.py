"""Distances, Lipschitz ceilings and Jacobian ranks on hand-made toy sets."""

from __future__ import annotations

import numpy as np
import torch

from qmlr.core.mlp import MLP
from qmlr.core.separation import (
    euclidean_distances,
    hilbert_schmidt_rank,
    jacobian_rank,
    matrix_rank,
    nearest_distances,
    phase_invariant_distances,
    separable_fraction,
)


def test_phase_invariant_distance_ignores_a_global_phase():
    a = np.array([1.0, 1.0j]) / np.sqrt(2)
    d = phase_invariant_distances(np.stack([a, np.exp(2.1j) * a, np.array([1.0, 0.0])]))
    assert d[0, 1] < 1e-7
    np.testing.assert_allclose(d[0, 2], np.sqrt(2 - 2 / np.sqrt(2)))
    assert euclidean_distances(np.array([[0.0, 1.0], [0.0, -1.0]]))[0, 1] == 2.0


def test_ceiling_on_a_toy_set_of_two_clusters():
    # class 0: two points 0.1 apart; class 1: two points 1.0 apart
    x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [6.0, 0.0]])
    y = np.array([0, 0, 1, 1])
    same = nearest_distances(euclidean_distances(x), y, same_class=True)
    np.testing.assert_allclose(same, [0.1, 0.1, 1.0, 1.0])
    # L d >= 2m: with L = 4 and m = 1 only the far pair can be split
    assert separable_fraction(same, lipschitz=4.0, margin=1.0) == 0.5
    assert separable_fraction(same, lipschitz=20.0, margin=1.0) == 1.0
    assert separable_fraction(same, lipschitz=float("inf"), margin=1.0) == 1.0
    any_class = nearest_distances(euclidean_distances(x), y, same_class=False)
    np.testing.assert_allclose(any_class, [0.1, 0.1, 1.0, 1.0])


def test_ranks():
    assert matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])) == 1
    assert hilbert_schmidt_rank(np.eye(4)[:3]) == 3
    # a state and its phase-rotated copy give the same projector
    psi = np.array([0.6, 0.8j])
    assert hilbert_schmidt_rank(np.stack([psi, 1j * psi])) == 1


def test_jacobian_rank_of_a_linear_model_is_the_rank_of_its_inputs():
    x = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], dtype=torch.float64)
    net = MLP(3, hidden=(), seeds=(0, 1, 2), dtype=torch.float64)  # logit = w·x + b
    # rows [x, 1]: [1,0,0,1], [0,1,0,1], [1,1,0,1] are independent
    assert jacobian_rank(net, x) == 3
    assert jacobian_rank(MLP(3, hidden=(), seeds=(0, 1), dtype=torch.float64), x[:2] * 0) == 1
