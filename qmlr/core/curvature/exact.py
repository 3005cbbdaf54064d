"""Exact curvature from Hessian-vector products: the full Hessian, its diagonal and trace, and
the extreme eigenvalues (ARPACK on a :class:`scipy.sparse.linalg.LinearOperator`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from qmlr.core.curvature.operators import (
    SymmetricOperator,
)


def full_hessian(op: SymmetricOperator) -> torch.Tensor:
    """The whole ``n × n`` matrix, from products with the unit vectors (row ``i`` = ``H eᵢ``).

    Not symmetrised: ``H - Hᵀ`` measures the rounding of the products.

    :param op: the operator.
    :return: float64 tensor of shape ``(n, n)``.
    """
    return op.matmat(torch.eye(op.size, dtype=torch.float64))


def hessian_diagonal(op: SymmetricOperator, chunk: int = 1024) -> torch.Tensor:
    """``Hᵢᵢ`` for every ``i``, from products with unit vectors, ``chunk`` at a time.

    Only the diagonal of each block of products is kept, so memory is ``chunk × n``.

    :param op: the operator.
    :param chunk: unit vectors per block.
    :return: float64 tensor of shape ``(n,)``.
    """
    n = op.size
    out = torch.empty(n, dtype=torch.float64)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        rows = torch.arange(stop - start)
        basis = torch.zeros(stop - start, n, dtype=torch.float64)
        basis[rows, start + rows] = 1.0
        out[start:stop] = op.matmat(basis)[rows, start + rows]
    return out


def exact_trace(op: SymmetricOperator, chunk: int = 1024) -> float:
    """``tr H = Σᵢ Hᵢᵢ`` (see :func:`hessian_diagonal`)."""
    return float(hessian_diagonal(op, chunk).sum())


@dataclass(frozen=True)
class Extremes:
    """The largest and smallest eigenvalue and how they were found.

    :param lam_max: largest (most positive) eigenvalue.
    :param lam_min: smallest (most negative) eigenvalue.
    :param products: Hessian-vector products used.
    :param converged: whether ARPACK met its tolerance for both.
    """

    lam_max: float
    lam_min: float
    products: int
    converged: bool


def linear_operator(op: SymmetricOperator):
    """``op`` as a :class:`scipy.sparse.linalg.LinearOperator` on float64 numpy vectors."""
    from scipy.sparse.linalg import LinearOperator

    def matmat(block: np.ndarray) -> np.ndarray:
        vectors = torch.from_numpy(np.ascontiguousarray(np.asarray(block, dtype=np.float64).T))
        return op.matmat(vectors).numpy().T

    def matvec(v: np.ndarray) -> np.ndarray:
        return matmat(np.asarray(v).reshape(-1, 1))[:, 0]

    n = op.size
    return LinearOperator((n, n), matvec=matvec, matmat=matmat, rmatvec=matvec, dtype=np.float64)


def extreme_eigenvalues(
    op: SymmetricOperator,
    tol: float = 1e-8,
    ncv: int | None = None,
    maxiter: int | None = None,
    seed: int = 0,
) -> Extremes:
    """``λ_max`` and ``λ_min`` by implicitly restarted Lanczos (ARPACK, via ``eigsh``).

    ``which="LA"`` and ``which="SA"`` pick the algebraically largest and smallest eigenvalue; plain
    power iteration would find the largest *magnitude*, which can be the negative one. The start
    vector is drawn from ``seed``, so the result is reproducible.

    :param op: the operator.
    :param tol: ARPACK's relative tolerance.
    :param ncv: Lanczos vectors kept (default ``min(n, 40)``).
    :param maxiter: restarts allowed (default ``max(1000, 10 n)`` as in scipy).
    :param seed: seed of the start vector.
    :return: :class:`Extremes`; if ARPACK does not converge, the best Ritz values it reached,
        with ``converged=False``.
    """
    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    n = op.size
    if n == 1:
        value = float(op.matvec(torch.ones(1, dtype=torch.float64))[0])
        return Extremes(value, value, 1, True)
    before = getattr(op, "products", 0)
    lin = linear_operator(op)
    v0 = np.random.default_rng(seed).standard_normal(n)
    ncv = min(n - 1, 40) if ncv is None else ncv
    values, converged = [], True
    for which in ("LA", "SA"):
        try:
            found = eigsh(
                lin, k=1, which=which, v0=v0, tol=tol, ncv=ncv, maxiter=maxiter,
                return_eigenvectors=False,
            )  # fmt: skip
        except ArpackNoConvergence as err:
            converged = False
            found = err.eigenvalues
            if len(found) == 0:
                raise RuntimeError(
                    f"ARPACK found no eigenvalue ({which}); raise maxiter or ncv"
                ) from err
        values.append(float(found[0]))
    used = getattr(op, "products", before) - before
    return Extremes(values[0], values[1], int(used), converged)
