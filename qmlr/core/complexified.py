r"""The Hessian over complexified angles: the curvature the authors' research code computed.

The authors' Hessian code differentiated the QNN's loss twice with respect to one real vector
``v = [a; b]`` that holds the real and the imaginary part of every angle, ``θ = a + i b``: a
``2P × 2P`` matrix for ``P`` angles, evaluated at the trained (real) angles, ``b = 0``. Every gate
``exp(−iθG/2)`` (``G² = I``) continues analytically to complex ``θ`` (it is then not unitary); the
readout stays what a statevector simulator computes, ``E = ψᴴ Z ψ = Σ_k |ψ_k|² z_k``, real.

**How its trace relates to the real Hessian's.** Write ``H`` for the ordinary ``P × P`` Hessian of
the mean BCE loss ``L`` (the ``a``-block of the complexified one) and ``H_bb`` for the block of
the imaginary parts, so ``tr H_C = tr H + tr H_bb``.

* *A holomorphic loss* (one that depends on ``θ`` alone, not on ``θ̄``) has ``∂_b = i ∂_a``, so
  ``H_bb = −H`` (Cauchy–Riemann) and ``tr H_C = 0`` identically: its real and imaginary parts are
  harmonic.
* *The simulated loss is not holomorphic*: ``ψ(θ)`` is, ``ψᴴ`` is anti-holomorphic. With the
  Wirtinger derivatives of ``E(θ, θ̄)`` and ``∂²ψ/∂θ_j² = −ψ/4`` (``G² = I``), the diagonal
  second derivatives of ``E`` in the two directions differ by ``E`` itself,
  ``∂²E/∂b_j² = ∂²E/∂a_j² + E``, for every angle ``j``. Hence, with logit ``z_n = 5 E_n``,
  ``p_n = σ(z_n)`` and the BCE's ``ℓ' = p − y``, ``ℓ'' = p(1 − p)``,

  .. math::

     \operatorname{tr} H_C \;=\; 2\operatorname{tr} H
     \;+\; \frac1N\sum_n p_n(1-p_n)\bigl(|\nabla_b z_n|^2 - |\nabla_a z_n|^2\bigr)
     \;+\; \frac{P}{N}\sum_n (p_n - y_n)\, z_n .

  The last term is negative for samples the model classifies as labelled (``z`` and ``y − ½``
  of one sign) and positive for the others, and it carries the factor ``P``.

:func:`complexified_trace` computes ``tr H_C`` by its definition (the diagonal of ``2P``
Hessian-vector products, both blocks), :func:`identity_trace` by the right-hand side above; the
tests check both against ``torch.func.hessian`` of the loss over ``v`` on a small circuit.

Example:
    >>> from qmlr.core.models.rxry import RxRyCnotQNN
    >>> model = RxRyCnotQNN(2, 1, seeds=(0,), dtype=torch.complex128)
    >>> x = torch.eye(4, dtype=torch.complex128); y = torch.tensor([0, 1, 1, 0])
    >>> t = complexified_trace(model, x, y)
    >>> abs(t.trace - identity_trace(model, x, y, t.trace_real)) < 1e-12
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.func import functional_call, grad, vmap

from qmlr.core.curvature import HessianOperator, _single_model_inputs, hessian_diagonal


def complexified_logits_function(
    model: torch.nn.Module, x: torch.Tensor
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """A single model's logits as a function of ``v = [Re θ; Im θ]`` (length ``2P``).

    :param model: a single-member float64 model whose forward accepts complex parameters (the
        RX-RY + CNOT-ring QNN, :class:`qmlr.core.models.rxry.RxRyCnotQNN`).
    :param x: inputs ``(B, D)``.
    :return: ``(logits_fn, v0)`` with ``v0 = [θ0; 0]``; ``logits_fn(v)`` has shape ``(B,)``.
    """
    x, w0, layout = _single_model_inputs(model, x)
    n = w0.shape[0]

    def logits_fn(v: torch.Tensor) -> torch.Tensor:
        theta = torch.complex(v[:n], v[n:])
        return functional_call(model, layout.unflatten(theta), (x,))[0]

    return logits_fn, torch.cat([w0, torch.zeros_like(w0)])


def complexified_loss_function(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """The mean BCE-with-logits loss as a function of ``v = [Re θ; Im θ]``.

    :param model: see :func:`complexified_logits_function`.
    :param x: inputs ``(B, D)``; ``y``: labels ``(B,)`` in {0, 1}.
    :return: ``(loss_fn, v0)``.
    """
    logits_fn, v0 = complexified_logits_function(model, x)
    labels = y.reshape(-1).to(torch.float64)
    if labels.shape[0] != x.shape[-2]:
        raise ValueError(f"expected {x.shape[-2]} labels, got shape {tuple(y.shape)}")

    def loss_fn(v: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits_fn(v), labels)

    return loss_fn, v0


@dataclass(frozen=True)
class ComplexifiedTrace:
    """The trace of the ``2P × 2P`` complexified Hessian and its two diagonal blocks.

    :param trace: ``tr H_C = trace_real + trace_imag``.
    :param trace_real: the real-angle block's trace, ``tr H`` (the ordinary Hessian's).
    :param trace_imag: the imaginary-angle block's trace, ``tr H_bb``.
    """

    trace: float
    trace_real: float
    trace_imag: float


def complexified_trace(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 8
) -> ComplexifiedTrace:
    """``tr H_C`` by its definition: the diagonal of ``2P`` Hessian-vector products in ``v``.

    :param model: see :func:`complexified_logits_function`.
    :param x: inputs ``(B, D)``; ``y``: labels ``(B,)``.
    :param chunk: products mapped at once.
    :return: :class:`ComplexifiedTrace`.
    """
    loss_fn, v0 = complexified_loss_function(model, x, y)
    diagonal = hessian_diagonal(HessianOperator(loss_fn, v0, chunk=chunk), chunk=chunk)
    n = v0.shape[0] // 2
    real, imag = float(diagonal[:n].sum()), float(diagonal[n:].sum())
    return ComplexifiedTrace(real + imag, real, imag)


def complexified_logit_jacobian(
    model: torch.nn.Module, x: torch.Tensor, chunk: int = 32
) -> torch.Tensor:
    """Per-sample gradients of the logit in ``v``: row ``b`` is ``[∇_a z_b, ∇_b z_b]``.

    :param model: see :func:`complexified_logits_function`.
    :param x: inputs ``(B, D)``.
    :param chunk: samples mapped at once.
    :return: float64 tensor ``(B, 2P)``.
    """
    x, w0, layout = _single_model_inputs(model, x)
    n = w0.shape[0]

    def one_logit(v: torch.Tensor, sample: torch.Tensor) -> torch.Tensor:
        theta = torch.complex(v[:n], v[n:])
        return functional_call(model, layout.unflatten(theta), (sample.reshape(1, 1, -1),))[0, 0]

    per_sample = vmap(grad(one_logit), in_dims=(None, 0))
    v0 = torch.cat([w0, torch.zeros_like(w0)])
    rows = x[0]
    return torch.cat([per_sample(v0, rows[i : i + chunk]) for i in range(0, rows.shape[0], chunk)])


def identity_trace(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, real_trace: float
) -> float:
    """``tr H_C`` from the identity of the module docstring, given ``tr H``.

    Valid when every parameter is the angle of one gate ``exp(−iθG/2)`` with ``G² = I`` and the
    readout is ``ψᴴ Z ψ`` (the RX-RY + CNOT-ring QNN).

    :param model: see :func:`complexified_logits_function`.
    :param x: the Hessian's inputs ``(N, D)``; ``y``: their labels.
    :param real_trace: ``tr H`` of the mean BCE loss on ``(x, y)``.
    :return: ``2 tr H + (1/N) Σ p(1−p)(|∇_b z|² − |∇_a z|²) + (P/N) Σ (p − y) z``.
    """
    jac = complexified_logit_jacobian(model, x)
    n = jac.shape[1] // 2
    logits_fn, v0 = complexified_logits_function(model, x)
    with torch.no_grad():
        z = logits_fn(v0)
    p = torch.sigmoid(z)
    labels = y.reshape(-1).to(torch.float64)
    imbalance = p * (1 - p) * (jac[:, n:].square().sum(1) - jac[:, :n].square().sum(1))
    return float(2 * real_trace + imbalance.mean() + n * ((p - labels) * z).mean())
