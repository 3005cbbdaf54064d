"""Curvature of a model's loss (a package: :mod:`~qmlr.core.curvature.operators`,
:mod:`~qmlr.core.curvature.exact`, :mod:`~qmlr.core.curvature.spectral`,
:mod:`~qmlr.core.curvature.gauss_newton`): Hessian-vector products, trace, extreme eigenvalues,
spectra.

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

from qmlr.core.curvature.exact import (
    Extremes,
    exact_trace,
    extreme_eigenvalues,
    full_hessian,
    hessian_diagonal,
    linear_operator,
)
from qmlr.core.curvature.gauss_newton import (
    GaussNewtonSplit,
    gauss_newton_split,
    logit_jacobian,
)
from qmlr.core.curvature.operators import (
    DEFAULT_CHUNK,
    HessianOperator,
    MatrixOperator,
    ParameterLayout,
    SymmetricOperator,
    bce_loss_function,
    flatten_parameters,
    hessian_operator,
    logits_function,
)
from qmlr.core.curvature.spectral import (
    NEGATIVE_TOL,
    SpectralDensity,
    SpectrumSummary,
    TraceEstimate,
    hutchinson_trace,
    lanczos,
    rademacher,
    slq,
    summarize_spectrum,
    tridiagonal,
)

__all__ = [
    "DEFAULT_CHUNK",
    "Extremes",
    "GaussNewtonSplit",
    "HessianOperator",
    "MatrixOperator",
    "NEGATIVE_TOL",
    "ParameterLayout",
    "SpectralDensity",
    "SpectrumSummary",
    "SymmetricOperator",
    "TraceEstimate",
    "bce_loss_function",
    "exact_trace",
    "extreme_eigenvalues",
    "flatten_parameters",
    "full_hessian",
    "gauss_newton_split",
    "hessian_diagonal",
    "hessian_operator",
    "hutchinson_trace",
    "lanczos",
    "linear_operator",
    "logit_jacobian",
    "logits_function",
    "rademacher",
    "slq",
    "summarize_spectrum",
    "tridiagonal",
]
