"""Spectra and stochastic traces: Lanczos, stochastic Lanczos quadrature (:func:`slq`), Hutchinson's
trace estimate, and a summary of an eigenvalue list (:func:`summarize_spectrum`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from qmlr.core.curvature.operators import (
    SymmetricOperator,
)
from qmlr.core.spectral_density import NEGATIVE_TOL, SpectralDensity  # noqa: F401 (re-exported)


def lanczos(
    op: SymmetricOperator, start: torch.Tensor, steps: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Lanczos tridiagonalisation of ``op`` from several start vectors at once.

    Every new Lanczos vector is orthogonalised against all earlier ones of its run, twice
    (classical Gram–Schmidt with one re-pass), so the tridiagonal matrix stays faithful beyond the
    point where plain three-term Lanczos loses orthogonality. If a run breaks down (the Krylov
    space is invariant), it continues with a random vector orthogonal to its previous ones and a
    zero off-diagonal entry: the tridiagonal matrix becomes block diagonal, and the new block's
    eigenvectors have no overlap with the start vector, so they carry zero quadrature weight.

    :param op: the operator (size ``n``).
    :param start: start vectors, shape ``(k, n)`` (normalised here).
    :param steps: Lanczos steps ``m`` (at most ``n``).
    :param seed: seed of the restart vectors after a breakdown.
    :return: ``(alpha, beta)``: diagonals ``(k, m)`` and off-diagonals ``(k, m - 1)``.
    """
    n = op.size
    if start.ndim != 2 or start.shape[1] != n:
        raise ValueError(f"start must have shape (k, {n}), got {tuple(start.shape)}")
    if not 1 <= steps <= n:
        raise ValueError(f"steps must lie in [1, n={n}], got {steps}")
    k = start.shape[0]
    gen = torch.Generator().manual_seed(int(seed))
    basis = torch.zeros(k, steps, n, dtype=torch.float64)
    alpha = torch.zeros(k, steps, dtype=torch.float64)
    beta = torch.zeros(k, max(steps - 1, 0), dtype=torch.float64)
    q = start.to(torch.float64)
    q = q / torch.linalg.vector_norm(q, dim=1, keepdim=True)
    basis[:, 0] = q
    for j in range(steps):
        w = op.matmat(basis[:, j])
        alpha[:, j] = (w * basis[:, j]).sum(dim=1)
        if j == steps - 1:
            break
        w = _orthogonalise(w, basis[:, : j + 1])
        norms = torch.linalg.vector_norm(w, dim=1)
        scale = torch.maximum(alpha[:, : j + 1].abs().amax(dim=1), norms)
        broken = norms <= 1e-12 * torch.clamp(scale, min=1e-300)
        if broken.any():
            fresh = torch.randn(int(broken.sum()), n, dtype=torch.float64, generator=gen)
            w[broken] = _orthogonalise(fresh, basis[broken, : j + 1])
            norms = torch.where(broken, torch.zeros_like(norms), norms)
        beta[:, j] = norms
        basis[:, j + 1] = w / torch.linalg.vector_norm(w, dim=1, keepdim=True)
    return alpha, beta


def _orthogonalise(w: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """Remove from each row of ``w`` (k, n) its components along ``previous`` (k, j, n), twice."""
    for _ in range(2):
        coef = torch.einsum("kjn,kn->kj", previous, w)
        w = w - torch.einsum("kj,kjn->kn", coef, previous)
    return w


def tridiagonal(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """The symmetric tridiagonal matrices ``(k, m, m)`` from diagonals ``(k, m)`` and
    off-diagonals ``(k, m - 1)``."""
    return torch.diag_embed(alpha) + torch.diag_embed(beta, 1) + torch.diag_embed(beta, -1)


def rademacher(probes: int, n: int, seed: int) -> torch.Tensor:
    """``probes × n`` independent ±1 entries (float64) from ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    return 2.0 * torch.randint(0, 2, (probes, n), generator=gen).to(torch.float64) - 1.0


def slq(op: SymmetricOperator, probes: int = 4, steps: int = 80, seed: int = 0) -> SpectralDensity:
    """Spectral density of ``op`` by stochastic Lanczos quadrature.

    For each Rademacher probe ``v``, ``m`` Lanczos steps from ``v/|v|`` give a tridiagonal
    ``T = U diag(θ) Uᵀ``; the Gauss rule with nodes ``θⱼ`` and weights ``U₀ⱼ²`` integrates
    ``vᵀ f(H) v / |v|²`` exactly for polynomials ``f`` of degree ``< 2m``, and its expectation
    over probes is ``tr f(H) / n``. Averaging the rules of the probes gives the density.

    :param op: the operator (size ``n``).
    :param probes: number of random start vectors (all run in parallel).
    :param steps: Lanczos steps per probe (capped at ``n``).
    :param seed: seed of the probes (and of breakdown restarts).
    :return: the :class:`SpectralDensity`.

    Example:
        >>> from qmlr.core.curvature import MatrixOperator
        >>> op = MatrixOperator(torch.diag(torch.arange(1.0, 6.0, dtype=torch.float64)))
        >>> rho = slq(op, probes=3, steps=5)
        >>> round(rho.total_weight(), 12), round(rho.moment(1), 12)  # tr/n = 3 exactly here
        (1.0, 3.0)
    """
    if probes < 1:
        raise ValueError(f"probes must be >= 1, got {probes}")
    steps = min(int(steps), op.size)
    alpha, beta = lanczos(op, rademacher(probes, op.size, seed), steps, seed=seed + 1)
    theta, vectors = torch.linalg.eigh(tridiagonal(alpha, beta))
    return SpectralDensity(theta.numpy(), (vectors[:, 0, :] ** 2).numpy())


@dataclass(frozen=True)
class TraceEstimate:
    """A stochastic trace estimate.

    :param estimate: mean of ``vᵀ H v`` over the probes.
    :param stderr: its standard error (sample standard deviation / √probes).
    :param probes: number of probes.
    """

    estimate: float
    stderr: float
    probes: int


def hutchinson_trace(op: SymmetricOperator, probes: int = 100, seed: int = 0) -> TraceEstimate:
    """Hutchinson's estimate ``tr H ≈ mean vᵀ H v`` with Rademacher probes (a cross-check only:
    its error is set by the off-diagonal mass of ``H`` and shrinks only like ``1/√probes``).

    :param op: the operator.
    :param probes: number of probes (>= 2 for a standard error).
    :param seed: seed of the probes.
    :return: :class:`TraceEstimate`.

    Example:
        >>> from qmlr.core.curvature import MatrixOperator
        >>> est = hutchinson_trace(MatrixOperator(torch.eye(4, dtype=torch.float64)), probes=5)
        >>> est.estimate, est.stderr
        (4.0, 0.0)
    """
    if probes < 2:
        raise ValueError(f"probes must be >= 2 for a standard error, got {probes}")
    v = rademacher(probes, op.size, seed)
    samples = (op.matmat(v) * v).sum(dim=1).numpy()
    return TraceEstimate(
        float(samples.mean()), float(samples.std(ddof=1) / math.sqrt(probes)), int(probes)
    )


@dataclass(frozen=True)
class SpectrumSummary:
    """Trace, extremes and negative curvature of an exact spectrum.

    :param trace: sum of the eigenvalues.
    :param lam_max: largest eigenvalue.
    :param lam_min: smallest eigenvalue.
    :param negative_mass: fraction of eigenvalues below ``-NEGATIVE_TOL · max|λ|``.
    :param negative_share: ``Σ|λ₋| / Σ|λ|``.
    :param negative_sum: sum of the negative eigenvalues.
    """

    trace: float
    lam_max: float
    lam_min: float
    negative_mass: float
    negative_share: float
    negative_sum: float


def summarize_spectrum(eigenvalues: np.ndarray, rel_tol: float = NEGATIVE_TOL) -> SpectrumSummary:
    """:class:`SpectrumSummary` of a list of eigenvalues.

    Example:
        >>> s = summarize_spectrum(np.array([-1.0, 0.0, 3.0]))
        >>> s.trace, s.negative_mass, s.negative_share
        (2.0, 0.3333333333333333, 0.25)
    """
    ev = np.asarray(eigenvalues, dtype=np.float64).ravel()
    if ev.size == 0:
        raise ValueError("no eigenvalues given")
    rho = SpectralDensity.from_eigenvalues(ev)
    return SpectrumSummary(
        trace=float(ev.sum()),
        lam_max=float(ev.max()),
        lam_min=float(ev.min()),
        negative_mass=rho.negative_mass(rel_tol),
        negative_share=rho.negative_share(),
        negative_sum=float(ev[ev < 0].sum()),
    )
