"""Hessian-vector products of a model's loss: the operator every curvature measurement uses.

:class:`HessianOperator` is the Hessian of a scalar loss of a flat parameter vector at a fixed
point, available only through products ``H v`` (``torch.func``: reverse over reverse, vmapped);
:class:`MatrixOperator` offers the same interface for an explicit symmetric matrix.

Example:
    >>> import torch
    >>> op = MatrixOperator(torch.eye(3, dtype=torch.float64))
    >>> op.size
    3
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch.func import functional_call, grad, vjp, vmap

#: Default number of Hessian-vector products mapped at once.
DEFAULT_CHUNK = 256


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

    :param model: an ensemble model of :mod:`qmlr.core.mlp` / :mod:`qmlr.core.qnn` (or any module
    mapping
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


# --------------------------------------------------------------------------------------------
# Lanczos and stochastic Lanczos quadrature
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Hutchinson
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# summaries of an exact spectrum
# --------------------------------------------------------------------------------------------
