"""The Gauss-Newton split of a binary cross-entropy Hessian: ``H = A - B`` with the positive
semi-definite Term A ``Σ p(1−p) ∇z ∇zᵀ / N`` and the residual Term B from the logits' curvature.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import functional_call, grad, vmap

from qmlr.core.curvature.operators import (
    _single_model_inputs,
    logits_function,
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
