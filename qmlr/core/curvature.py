"""Curvature of a model's loss: Hessian-vector products, trace, extreme eigenvalues, spectra.

Everything is built on one object, a :class:`HessianOperator`: the Hessian of a scalar loss of a
*flat* parameter vector ``w`` (all parameters of a model, concatenated) at a fixed point ``w0``,
available only through products ``H v``. The products come from ``torch.func``: the gradient
``g(w) = ∇L(w)`` is linearised once at ``w0`` by reverse mode (:func:`torch.func.vjp`), and its
pull-back ``v ↦ vᵀ ∂g/∂w = H v`` (``H`` is symmetric) is mapped over many vectors at once with
:func:`torch.func.vmap` — reverse-over-reverse, with the first reverse pass shared by every
product. On top of the products:

* :func:`full_hessian` — ``H`` itself, column block by column block (models of a few hundred
  parameters);
* :func:`hessian_diagonal` / :func:`exact_trace` — ``Hᵢᵢ = eᵢᵀ H eᵢ`` for every unit vector,
  vmapped in chunks (models of tens of thousands of parameters);
* :func:`extreme_eigenvalues` — ``λ_max`` and ``λ_min`` by ARPACK
  (:func:`scipy.sparse.linalg.eigsh`, ``which="LA"`` and ``"SA"``) on a
  :class:`scipy.sparse.linalg.LinearOperator`;
* :func:`slq` — the spectral density by stochastic Lanczos quadrature (own Lanczos with full
  reorthogonalisation; the method as used for neural networks by PyHessian
  :cite:`yao2020pyhessian`, implemented here from the textbook algorithm);
* :func:`hutchinson_trace` — a Rademacher estimate of the trace with its standard error, kept
  only as a cross-check of the exact trace.

:class:`MatrixOperator` offers the same interface for an explicit symmetric matrix (tests, and SLQ
on an exact Hessian at no extra cost). Everything runs in float64.

Example:
    >>> import torch
    >>> from qmlr.core.mlp import MLP
    >>> model = MLP(3, (4,), seeds=(0,), dtype=torch.float64)
    >>> x = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> y = (x[:, 0] > 0).long()
    >>> op = hessian_operator(model, x, y)
    >>> op.size
    21
    >>> h = full_hessian(op)
    >>> bool(torch.allclose(h, h.T)) and abs(exact_trace(op) - float(h.trace())) < 1e-12
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch.func import functional_call, grad, vjp, vmap

#: Default number of Hessian-vector products mapped at once.
DEFAULT_CHUNK = 256

#: An SLQ node or eigenvalue counts as negative curvature below ``-NEGATIVE_TOL * max|λ|``:
#: eigenvalues of a trained network cluster at zero, and a node of that cluster is ±(rounding).
NEGATIVE_TOL = 1e-6


# --------------------------------------------------------------------------------------------
# operators
# --------------------------------------------------------------------------------------------


class SymmetricOperator(Protocol):
    """What the spectral routines need: a size and batched products with a symmetric matrix."""

    @property
    def size(self) -> int: ...

    def matmat(self, vectors: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class ParameterLayout:
    """Where each named parameter of a model sits in the flat parameter vector.

    :param names: parameter names, as :meth:`torch.nn.Module.named_parameters` yields them.
    :param shapes: their shapes.
    """

    names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of entries of each parameter."""
        return tuple(math.prod(s) for s in self.shapes)

    @property
    def size(self) -> int:
        """Length of the flat vector."""
        return sum(self.sizes)

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """Split a flat vector into named tensors of the parameters' shapes (views, no copy)."""
        parts = torch.split(flat, self.sizes)
        return {n: p.view(s) for n, p, s in zip(self.names, parts, self.shapes, strict=True)}


def flatten_parameters(model: torch.nn.Module) -> tuple[torch.Tensor, ParameterLayout]:
    """All parameters of ``model`` concatenated into one detached vector, and their layout.

    :param model: any module.
    :return: ``(w0, layout)`` with ``w0`` of length ``layout.size``.

    Example:
        >>> from qmlr.core.mlp import MLP
        >>> w0, layout = flatten_parameters(MLP(1024, (16, 4), dtype=torch.float64))
        >>> w0.shape, layout.names[0]
        (torch.Size([16473]), 'weights.0')
    """
    named = list(model.named_parameters())
    if not named:
        raise ValueError("the model has no parameters")
    layout = ParameterLayout(tuple(n for n, _ in named), tuple(p.shape for _, p in named))
    w0 = torch.cat([p.detach().reshape(-1) for _, p in named])
    return w0, layout


def _single_model_inputs(
    model: torch.nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, ParameterLayout]:
    """Validate a single-member float64 model and ``(B, D)`` inputs; warm the model's caches."""
    n_members = getattr(model, "n_members", 1)
    if n_members != 1:
        raise ValueError(f"curvature is computed for one model at a time; got E={n_members}")
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim != 3 or x.shape[0] != 1:
        raise ValueError(f"expected inputs (B, D) or (1, B, D), got {tuple(x.shape)}")
    w0, layout = flatten_parameters(model)
    if w0.dtype != torch.float64:
        raise ValueError(
            f"curvature needs float64 parameters (build the model in double precision); got "
            f"{w0.dtype}"
        )
    # Run the model once outside any functorch transform: modules may cache constant tables on
    # first use (the QNN's Z-sign tables), and a table first built inside a transform would
    # leak that transform's wrapped tensors into later calls.
    with torch.no_grad():
        model(x[:, :1])
    return x, w0, layout


def logits_function(
    model: torch.nn.Module, x: torch.Tensor
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """A single model's logits ``z(w)`` on ``x`` as a function of its flat parameters.

    :param model: a single-member (``E = 1``) float64 model mapping ``(1, B, D)`` to ``(1, B)``.
    :param x: inputs, ``(B, D)`` or ``(1, B, D)``.
    :return: ``(logits_fn, w0)``: ``logits_fn(w)`` has shape ``(B,)``.
    """
    x, w0, layout = _single_model_inputs(model, x)

    def logits_fn(w: torch.Tensor) -> torch.Tensor:
        return functional_call(model, layout.unflatten(w), (x,))[0]

    return logits_fn, w0


def bce_loss_function(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """The mean BCE-with-logits loss of a single model as a function of its flat parameters.

    :param model: an ensemble model of :mod:`qmlr.core.mlp` / :mod:`qmlr.core.qnn` (or any module mapping
        ``(1, B, D)`` inputs to ``(1, B)`` logits) with exactly one member (``E = 1``) and
        float64 parameters.
    :param x: inputs, shape ``(B, D)`` or ``(1, B, D)``, in whatever form ``model`` reads them.
    :param y: labels in {0, 1}, shape ``(B,)`` or ``(1, B)``.
    :return: ``(loss_fn, w0)``: ``loss_fn(w)`` is the scalar loss at flat parameters ``w``;
        ``w0`` is the model's current flat parameter vector.
    """
    logits_fn, w0 = logits_function(model, x)
    labels = y.reshape(-1).to(torch.float64)
    n_batch = x.shape[-2]
    if labels.shape != (n_batch,):
        raise ValueError(f"expected {n_batch} labels, got shape {tuple(y.shape)}")

    def loss_fn(w: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits_fn(w), labels)

    return loss_fn, w0


class HessianOperator:
    """Hessian of a scalar function of a flat float64 vector at a point, as products ``H v``.

    The gradient is linearised once (one reverse pass kept alive); each product is a vmapped
    pull-back through it, ``chunk`` vectors at a time.

    :param loss_fn: ``w ↦ L(w)``, scalar, twice differentiable by ``torch.func``.
    :param point: the flat parameter vector ``w0`` (float64).
    :param chunk: at most this many products are mapped at once (memory grows with it).

    Example:
        >>> w0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
        >>> op = HessianOperator(lambda w: (w**3).sum(), w0)
        >>> op.matvec(torch.ones(2, dtype=torch.float64)).tolist()
        [6.0, 12.0]
    """

    def __init__(
        self,
        loss_fn: Callable[[torch.Tensor], torch.Tensor],
        point: torch.Tensor,
        chunk: int = DEFAULT_CHUNK,
    ) -> None:
        if point.ndim != 1 or point.dtype != torch.float64:
            raise ValueError(
                f"point must be a flat float64 vector, got shape {tuple(point.shape)} and dtype "
                f"{point.dtype}"
            )
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        self.loss_fn = loss_fn
        self.point = point.detach()
        self.chunk = int(chunk)
        gradient, self._pullback = vjp(grad(loss_fn), self.point)
        self.gradient = gradient.detach()
        self.products = 0

    @property
    def size(self) -> int:
        """Number of parameters ``n``."""
        return int(self.point.shape[0])

    def loss(self) -> float:
        """``L(w0)``."""
        with torch.no_grad():
            return float(self.loss_fn(self.point))

    def matvec(self, vector: torch.Tensor) -> torch.Tensor:
        """``H v`` for one vector of length ``n``."""
        return self.matmat(vector.unsqueeze(0))[0]

    def matmat(self, vectors: torch.Tensor) -> torch.Tensor:
        """``H vᵢ`` for the rows ``vᵢ`` of ``vectors`` (shape ``(k, n)``), in chunks.

        :param vectors: float64 tensor of shape ``(k, n)``.
        :return: float64 tensor of shape ``(k, n)``.
        """
        _check_vectors(vectors, self.size)
        mapped = vmap(lambda v: self._pullback(v)[0])
        out = [mapped(vectors[i : i + self.chunk]) for i in range(0, vectors.shape[0], self.chunk)]
        self.products += int(vectors.shape[0])
        return torch.cat(out) if out else vectors.clone()


class MatrixOperator:
    """An explicit symmetric matrix behind the :class:`SymmetricOperator` interface.

    :param matrix: float64 tensor of shape ``(n, n)``; symmetrised as ``(A + Aᵀ) / 2``.

    Example:
        >>> op = MatrixOperator(torch.diag(torch.tensor([1.0, -2.0], dtype=torch.float64)))
        >>> op.matvec(torch.ones(2, dtype=torch.float64)).tolist()
        [1.0, -2.0]
    """

    def __init__(self, matrix: torch.Tensor) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"matrix must be square, got shape {tuple(matrix.shape)}")
        matrix = matrix.detach().to(torch.float64)
        self.matrix = 0.5 * (matrix + matrix.T)
        self.products = 0

    @property
    def size(self) -> int:
        """Dimension ``n``."""
        return int(self.matrix.shape[0])

    def matvec(self, vector: torch.Tensor) -> torch.Tensor:
        """``A v``."""
        return self.matmat(vector.unsqueeze(0))[0]

    def matmat(self, vectors: torch.Tensor) -> torch.Tensor:
        """``A vᵢ`` for the rows of ``vectors`` (shape ``(k, n)``)."""
        _check_vectors(vectors, self.size)
        self.products += int(vectors.shape[0])
        return vectors @ self.matrix


def _check_vectors(vectors: torch.Tensor, n: int) -> None:
    if vectors.ndim != 2 or vectors.shape[1] != n or vectors.dtype != torch.float64:
        raise ValueError(
            f"vectors must be float64 of shape (k, {n}), got {tuple(vectors.shape)} {vectors.dtype}"
        )


def hessian_operator(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = DEFAULT_CHUNK
) -> HessianOperator:
    """The Hessian of a model's mean BCE loss on ``(x, y)`` w.r.t. all its parameters.

    :param model: a single-member (``E = 1``) float64 model, see :func:`bce_loss_function`.
    :param x: inputs, ``(B, D)``.
    :param y: labels, ``(B,)``.
    :param chunk: products mapped at once.
    :return: the operator at the model's current parameters.
    """
    loss_fn, w0 = bce_loss_function(model, x, y)
    return HessianOperator(loss_fn, w0, chunk=chunk)


# --------------------------------------------------------------------------------------------
# exact quantities
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Lanczos and stochastic Lanczos quadrature
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Hutchinson
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# summaries of an exact spectrum
# --------------------------------------------------------------------------------------------


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


def logit_jacobian(model: torch.nn.Module, x: torch.Tensor, chunk: int = 32) -> torch.Tensor:
    """Gradients of each logit w.r.t. all parameters: row ``b`` is ``∇z_b``.

    Per-sample gradients, vmapped over the samples (each sample runs through the model as a
    batch of one), ``chunk`` samples at a time.

    :param model: a single-member float64 model.
    :param x: inputs, ``(B, D)``.
    :param chunk: samples mapped at once.
    :return: float64 tensor of shape ``(B, n)``.
    """
    x, w0, layout = _single_model_inputs(model, x)

    def one_logit(w: torch.Tensor, sample: torch.Tensor) -> torch.Tensor:
        return functional_call(model, layout.unflatten(w), (sample.reshape(1, 1, -1),))[0, 0]

    per_sample = vmap(grad(one_logit), in_dims=(None, 0))
    rows = x[0]
    return torch.cat([per_sample(w0, rows[i : i + chunk]) for i in range(0, rows.shape[0], chunk)])


@dataclass(frozen=True)
class GaussNewtonSplit:
    """The Hessian of a mean BCE loss split as ``H = A + B`` (the many-parameter form of SI §I).

    With ``z_b`` the logit of sample ``b`` and ``p_b = σ(z_b)``,

    ``A = (1/N) Σ_b p_b(1−p_b) ∇z_b ∇z_bᵀ`` (Gauss–Newton part, positive semidefinite: the
    analogue of Term A) and ``B = (1/N) Σ_b (p_b − y_b) ∇²z_b`` (the analogue of Term B).

    :param trace_a: ``tr A = (1/N) Σ_b p_b(1−p_b) |∇z_b|²`` (≥ 0).
    :param trace_b: ``tr H − tr A``.
    :param matrix_a: ``A`` when requested, else ``None``.
    """

    trace_a: float
    trace_b: float
    matrix_a: torch.Tensor | None = None


def gauss_newton_split(
    model: torch.nn.Module,
    x: torch.Tensor,
    trace: float,
    with_matrix: bool = False,
    chunk: int = 32,
) -> GaussNewtonSplit:
    """Split a known Hessian trace into its Gauss–Newton part and the rest (see
    :class:`GaussNewtonSplit`).

    :param model: the single-member float64 model.
    :param x: the inputs the Hessian was computed on, ``(N, D)``.
    :param trace: ``tr H`` of the mean BCE loss on ``x`` (with any labels: ``A`` does not
        depend on them).
    :param with_matrix: also return the ``n × n`` matrix ``A`` (small models only).
    :param chunk: Jacobian rows computed at once.
    :return: :class:`GaussNewtonSplit`.
    """
    jac = logit_jacobian(model, x, chunk=chunk)
    logits_fn, w0 = logits_function(model, x)
    with torch.no_grad():
        p = torch.sigmoid(logits_fn(w0))
    curv = p * (1 - p) / jac.shape[0]
    trace_a = float((curv * jac.square().sum(dim=1)).sum())
    matrix = (jac.T * curv) @ jac if with_matrix else None
    return GaussNewtonSplit(trace_a, float(trace) - trace_a, matrix)


def exact_spectrum(op: SymmetricOperator) -> tuple[np.ndarray, float]:
    """Eigenvalues of the full Hessian and its asymmetry ``max|H − Hᵀ|`` (rounding of products).

    :param op: the operator (a few hundred parameters at most is sensible).
    :return: ``(ascending eigenvalues, asymmetry)``.
    """
    h = full_hessian(op)
    asymmetry = float((h - h.T).abs().max())
    return torch.linalg.eigvalsh(0.5 * (h + h.T)).numpy(), asymmetry
