"""A spectral density as weighted point masses, and what the book reads off one (torch-free).

Stochastic Lanczos quadrature (:mod:`qmlr.core.curvature.spectral`) and exact spectra produce
these; the curvature chapter's figures and summaries read them without torch.

Example:
    >>> rho = SpectralDensity.from_eigenvalues(np.array([-1.0, 0.0, 3.0]))
    >>> round(rho.moment(), 3), round(rho.negative_share(), 2)
    (0.667, 0.25)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: An SLQ node or eigenvalue counts as negative curvature below ``-NEGATIVE_TOL * max|λ|``:
#: eigenvalues of a trained network cluster at zero, and a node of that cluster is ±(rounding).
NEGATIVE_TOL = 1e-6


@dataclass(frozen=True)
class SpectralDensity:
    """A spectral density as a weighted sum of point masses (SLQ nodes, or exact eigenvalues).

    ``nodes[r]`` and ``weights[r]`` are the Gauss quadrature rule of probe ``r``; each probe's
    weights sum to 1 and the density averages the probes, so all weights together sum to 1. The
    density approximates ``(1/n) Σᵢ δ(t − λᵢ)``.

    :param nodes: float64 array ``(probes, m)``.
    :param weights: float64 array ``(probes, m)``, non-negative.
    """

    nodes: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        nodes = np.atleast_2d(np.asarray(self.nodes, dtype=np.float64))
        weights = np.atleast_2d(np.asarray(self.weights, dtype=np.float64))
        if nodes.shape != weights.shape:
            raise ValueError(f"nodes {nodes.shape} and weights {weights.shape} differ in shape")
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "weights", weights)

    @classmethod
    def from_eigenvalues(cls, eigenvalues: np.ndarray) -> SpectralDensity:
        """The exact density of a matrix: each eigenvalue with weight ``1/n``."""
        ev = np.asarray(eigenvalues, dtype=np.float64).ravel()
        return cls(ev[None, :], np.full((1, ev.size), 1.0 / ev.size))

    @property
    def flat_nodes(self) -> np.ndarray:
        """All nodes, shape ``(probes · m,)``."""
        return self.nodes.ravel()

    @property
    def flat_weights(self) -> np.ndarray:
        """All weights divided by the number of probes: they sum to 1."""
        return self.weights.ravel() / self.weights.shape[0]

    def total_weight(self) -> float:
        """Sum of :attr:`flat_weights` (1 up to rounding)."""
        return float(self.flat_weights.sum())

    def moment(self, order: int = 1) -> float:
        """``∫ tᵖ ρ(t) dt``; the first moment estimates ``tr H / n``."""
        return float(np.sum(self.flat_weights * self.flat_nodes**order))

    def density(self, grid: np.ndarray, sigma: float) -> np.ndarray:
        """Gaussian-broadened density ``Σ w N(t; θ, σ²)`` on ``grid``.

        :param grid: points ``t``.
        :param sigma: broadening (standard deviation), > 0.
        :return: density values, same shape as ``grid``.
        """
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        t = np.asarray(grid, dtype=np.float64)
        z = (t[..., None] - self.flat_nodes) / sigma
        return np.exp(-0.5 * z**2) @ self.flat_weights / (sigma * math.sqrt(2 * math.pi))

    def scale(self) -> float:
        """``max |θ|`` over nodes carrying weight."""
        used = self.flat_weights > 0
        return float(np.abs(self.flat_nodes[used]).max()) if used.any() else 0.0

    def negative_mass(self, rel_tol: float = NEGATIVE_TOL) -> float:
        """Share of the spectrum (weight) below ``-rel_tol · max|θ|``: the fraction of
        eigenvalues that are clearly negative."""
        cut = -rel_tol * self.scale()
        return float(self.flat_weights[self.flat_nodes < cut].sum())

    def negative_share(self) -> float:
        """``Σ_{θ<0} w|θ| / Σ w|θ|``: the share of the absolute curvature that is negative.

        Scale-free and insensitive to the cluster of eigenvalues at zero; 0 for a positive
        semidefinite matrix.
        """
        absolute = self.flat_weights * np.abs(self.flat_nodes)
        total = absolute.sum()
        return float(absolute[self.flat_nodes < 0].sum() / total) if total > 0 else 0.0
