"""What a model class can separate: distances in the data, Lipschitz ceilings, Jacobian rank.

Two ceilings on how many flipped labels a model can reproduce, computed from the model class and
the clean training inputs alone, before any training:

* **Lipschitz ceiling.** A logit with Lipschitz constant ``L`` in a distance ``d`` cannot give a
  flipped sample ``i`` one sign at logit margin ``m`` and its nearest clean neighbour of the
  same (true) class the other sign at margin ``m`` unless ``L d(i, j) ≥ 2m``.
  :func:`separable_fraction` is the fraction of samples for which that is possible. For the QNN
  ``L = 2s`` in the phase-invariant distance ``min_φ ‖ψ₁ − e^{iφ}ψ₂‖``
  (:func:`phase_invariant_distances`), since ``|s⟨ψ₁|O|ψ₁⟩ − s⟨ψ₂|O|ψ₂⟩| ≤ 2s‖ψ₁ − ψ₂‖`` for
  ``‖O‖ ≤ 1`` and the logit ignores a global phase.
* **Capacity ceiling.** :func:`jacobian_rank`: the number of independent directions in which
  the model's parameters move its training logits at a random parameter point; ``rank / n``
  is the fraction of training logits it can set independently.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [0.96, 0.28], [0.0, 1.0], [0.28, 0.96]])
    >>> d = phase_invariant_distances(x)
    >>> nearest_distances(d, np.array([0, 0, 1, 1]), same_class=True).round(3).tolist()
    [0.283, 0.283, 0.283, 0.283]
    >>> separable_fraction(np.array([0.1, 0.3]), lipschitz=10.0, margin=1.0)
    0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def phase_invariant_distances(states: np.ndarray) -> np.ndarray:
    """``min_φ ‖ψ_i − e^{iφ}ψ_j‖ = sqrt(2 − 2|⟨ψ_i|ψ_j⟩|)`` for every pair of unit states.

    :param states: ``(n, D)`` unit vectors (complex or real).
    :return: ``(n, n)`` float64 distances (zero diagonal).

    Example:
        >>> phase_invariant_distances(np.array([[1.0, 0.0], [-1.0, 0.0]])).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
    """
    s = np.asarray(states, dtype=np.complex128)
    overlap = np.abs(s.conj() @ s.T).clip(0.0, 1.0)
    return np.sqrt(np.clip(2.0 - 2.0 * overlap, 0.0, None))


def euclidean_distances(features: np.ndarray) -> np.ndarray:
    """``‖x_i − x_j‖`` for every pair of (real) feature vectors.

    :param features: ``(n, D)``.
    :return: ``(n, n)`` float64 distances.

    Example:
        >>> float(euclidean_distances(np.array([[0.0, 0.0], [3.0, 4.0]]))[0, 1])
        5.0
    """
    f = np.asarray(features, dtype=np.float64)
    sq = (f * f).sum(axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * f @ f.T
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(np.clip(d2, 0.0, None))


def nearest_distances(distances: np.ndarray, labels: np.ndarray, same_class: bool) -> np.ndarray:
    """Each sample's distance to its nearest other sample of the same class (``same_class``)
    or of any class.

    :param distances: ``(n, n)`` pairwise distances.
    :param labels: ``(n,)`` clean labels.
    :param same_class: restrict the neighbours to the sample's own class.
    :return: ``(n,)`` distances (``inf`` where no neighbour exists).
    """
    d = np.array(distances, dtype=np.float64, copy=True)
    np.fill_diagonal(d, np.inf)
    if same_class:
        y = np.asarray(labels)
        d[y[:, None] != y[None, :]] = np.inf
    return d.min(axis=1)


def separable_fraction(nearest: np.ndarray, lipschitz: float, margin: float) -> float:
    """Fraction of samples a logit of Lipschitz constant ``lipschitz`` can separate from their
    nearest neighbour at logit margin ``margin`` on both sides: ``L d ≥ 2m``.

    :param nearest: each sample's distance to the neighbour it must be separated from.
    :param lipschitz: ``L`` (``inf``: no bound, every sample).
    :param margin: ``m`` in logit units.
    :return: the fraction in [0, 1].
    """
    if np.isinf(lipschitz):
        return 1.0
    return float(np.mean(lipschitz * np.asarray(nearest) >= 2.0 * margin))


#: Singular values of a Jacobian below this (logit units per parameter unit) count as zero
#: whatever the largest is: a model whose training logits do not move has rank 0, not the rank
#: of its rounding noise.
RANK_ATOL = 1e-8


def matrix_rank(rows: np.ndarray, rtol: float = 1e-6, atol: float = RANK_ATOL) -> int:
    """Numerical rank of a matrix from its Gram matrix's eigenvalues: singular values above
    ``rtol`` × the largest and above ``atol``.

    Example:
        >>> matrix_rank(np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        2
        >>> matrix_rank(np.full((2, 3), 1e-12))
        0
    """
    j = np.asarray(rows, dtype=np.float64)
    singular = np.sqrt(np.linalg.eigvalsh(j @ j.T).clip(0.0, None))
    return int(np.sum(singular > max(rtol * singular.max(), atol)))


def hilbert_schmidt_rank(states: np.ndarray, rtol: float = 1e-6) -> int:
    """Rank of the Jacobian of ``M ↦ (ψ_i†Mψ_i)_i`` over Hermitian ``M``: the rank of the Gram
    matrix ``|⟨ψ_i|ψ_j⟩|²`` of the projectors ``ψ_iψ_i†`` (the quadratic form's capacity).

    Example:
        >>> hilbert_schmidt_rank(np.eye(3)[:2])
        2
    """
    s = np.asarray(states, dtype=np.complex128)
    gram = np.abs(s.conj() @ s.T) ** 2
    singular = np.sqrt(np.linalg.eigvalsh(gram).clip(0.0, None))  # of the Jacobian
    return int(np.sum(singular > rtol * singular.max()))


def jacobian_rank(
    ensemble: torch.nn.Module,
    x: torch.Tensor,
    prepare: Callable[[torch.nn.Module], None] | None = None,
    rtol: float = 1e-6,
) -> int:
    """Rank of the Jacobian of one model's logits on the inputs ``x`` with respect to all its
    trainable parameters.

    The ensemble holds one member per input (``n`` members, independent by construction): every
    member is set to member 0's parameters, member ``i`` reads input ``i`` alone, and one
    backward pass of the summed logits gives member ``i`` the gradient of logit ``i`` — the
    Jacobian's rows, at the cost of one batched pass.

    :param ensemble: an ensemble of ``n`` members whose parameters have the member axis first.
    :param x: inputs ``(n, D)``.
    :param prepare: sets the parameter point (e.g. random circuit angles), in place, before
        member 0 is copied to the others.
    :param rtol: relative singular-value cut (:func:`matrix_rank`).
    :return: the rank (at most ``n``).
    """
    import torch  # here: the distances and ranks above load without torch

    params = [p for p in ensemble.parameters() if p.requires_grad]
    if any(p.shape[0] != x.shape[0] for p in params):
        raise ValueError(f"the ensemble needs one member per input ({x.shape[0]})")
    with torch.no_grad():
        if prepare is not None:
            prepare(ensemble)
        for p in params:
            p.copy_(p[:1].expand_as(p))
    grads = torch.autograd.grad(ensemble(x[:, None, :]).sum(), params, allow_unused=True)
    rows = torch.cat([g.reshape(g.shape[0], -1) for g in grads if g is not None], dim=1)
    return matrix_rank(rows.detach().to(torch.float64).numpy(), rtol)
