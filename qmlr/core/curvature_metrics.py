"""Every curvature measurement of one trained model on its Hessian samples.

:func:`measure` takes a single-member float64 model (an MLP, a QNN or a classical control), the
samples and labels the Hessian is taken on, and returns the exact trace, the extreme
eigenvalues, the spectral density by stochastic Lanczos quadrature (and for small models the
exact spectrum), the share of negative curvature and the Gauss–Newton / residual split of the
trace (Terms A and B of SI §I), as a flat dict of JSON-serialisable numbers.

Example:
    >>> is_dead(np.array([0.2, 0.2])), len(density_grid(-1.0, 2.0))
    (True, 101)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qmlr.core import curvature as C
from qmlr.core.complexified import complexified_trace, identity_trace
from qmlr.core.curvature_settings import (  # noqa: F401 (re-exported)
    DEAD_LOGIT_SPREAD,
    DENSITY_POINTS,
    EIGSH_MAXITER,
    EIGSH_TOL,
    HUTCHINSON_PROBES,
    HVP_CHUNK,
    is_dead,
)


def density_grid(lam_min: float, lam_max: float, points: int = DENSITY_POINTS) -> np.ndarray:
    """The per-run grid of the stored density: ``[λ_min, λ_max]`` padded by 5 % of its width."""
    width = max(lam_max - lam_min, 1e-12)
    return np.linspace(lam_min - 0.05 * width, lam_max + 0.05 * width, points)


def measure(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    flipped: np.ndarray,
    kind: str,
    slq_probes: int,
    slq_steps: int,
    seed: int,
) -> dict[str, Any]:
    """Every curvature measurement of one trained model on its Hessian samples.

    MLP (``n`` in the thousands): exact trace from the diagonal of ``n`` vmapped HVPs, ``λ_max``
    and ``λ_min`` by ARPACK on the HVP operator, SLQ on the HVP operator. QNN (a few hundred
    parameters): the full Hessian, its exact eigenvalues; ARPACK and SLQ on the explicit matrix.
    Both: Hutchinson cross-check, Gauss–Newton / residual split of the trace; QNN also the
    Hessian of the flipped samples' share of the loss, to split the residual (Term B) trace.

    :param model: single-member double-precision model.
    :param x: Hessian inputs (as the model reads them).
    :param y: their labels.
    :param flipped: which of them carry a flipped label.
    :param kind: ``"mlp"`` or ``"qnn"``.
    :param slq_probes: SLQ probes.
    :param slq_steps: Lanczos steps.
    :param seed: probe seed.
    :return: a flat dict of JSON-serialisable metrics.
    """
    op = C.hessian_operator(model, x, y, chunk=HVP_CHUNK.get(kind, HVP_CHUNK["mlp"]))
    out: dict[str, Any] = {
        "n_params": op.size,
        "hessian_loss": op.loss(),
        "gradient_norm": float(torch.linalg.vector_norm(op.gradient)),
    }
    exact = None
    if kind == "qnn":
        h = C.full_hessian(op)
        out["hessian_asymmetry"] = float((h - h.T).abs().max())
        target: C.SymmetricOperator = C.MatrixOperator(h)
        eigenvalues = torch.linalg.eigvalsh(target.matrix).numpy()
        exact = C.summarize_spectrum(eigenvalues)
        trace = float(torch.diagonal(h).sum())
        out.update(
            eigenvalues=eigenvalues.tolist(),
            negative_mass_exact=exact.negative_mass,
            negative_share_exact=exact.negative_share,
            negative_sum_exact=exact.negative_sum,
            trace_method="full Hessian",
        )
    else:
        target = op
        trace = C.exact_trace(op)
        out["trace_method"] = "diagonal of HVPs"
    out["trace"] = trace
    extremes = _eigsh(target, seed)  # before SLQ, as the committed cells were computed
    rho = C.slq(target, probes=slq_probes, steps=slq_steps, seed=seed)
    extremes = _record_extremes(extremes, rho, out)
    out["lam_max"] = exact.lam_max if exact else extremes.lam_max
    out["lam_min"] = exact.lam_min if exact else extremes.lam_min
    grid = density_grid(out["lam_min"], out["lam_max"])
    sigma = (grid[-1] - grid[0]) / (DENSITY_POINTS - 1)
    out.update(
        slq_nodes=rho.nodes.tolist(),
        slq_weights=rho.weights.tolist(),
        slq_trace=rho.moment(1) * op.size,
        slq_lam_max=float(rho.flat_nodes.max()),
        slq_lam_min=float(rho.flat_nodes.min()),
        negative_mass_slq=rho.negative_mass(),
        negative_share_slq=rho.negative_share(),
        density_grid=grid.tolist(),
        density=rho.density(grid, sigma).tolist(),
    )
    hutch = C.hutchinson_trace(target, probes=HUTCHINSON_PROBES, seed=seed + 7)
    out.update(hutchinson_trace=hutch.estimate, hutchinson_se=hutch.stderr)
    split = C.gauss_newton_split(model, x, trace)
    out.update(trace_gauss_newton=split.trace_a, trace_residual=split.trace_b)
    if kind == "qnn":
        out.update(_flipped_split(model, x, y, flipped, trace))
    return out


def _eigsh(target: C.SymmetricOperator, seed: int) -> C.Extremes | None:
    """λ_max and λ_min by ARPACK; ``None`` where it finds no Ritz value at all."""
    try:
        return C.extreme_eigenvalues(target, tol=EIGSH_TOL, maxiter=EIGSH_MAXITER, seed=seed)
    except RuntimeError:
        return None


def _record_extremes(
    extremes: C.Extremes | None, rho: C.SpectralDensity, out: dict[str, Any]
) -> C.Extremes:
    """Record ARPACK's extremes in ``out``; without them the extreme SLQ nodes stand in."""
    if extremes is None:
        nan = float("nan")
        out.update(lam_max_eigsh=nan, lam_min_eigsh=nan, eigsh_converged=False, eigsh_products=0)
        out["extremes_method"] = "SLQ nodes (ARPACK found no eigenvalue)"
        nodes = rho.flat_nodes
        return C.Extremes(float(nodes.max()), float(nodes.min()), 0, False)
    out.update(
        lam_max_eigsh=extremes.lam_max,
        lam_min_eigsh=extremes.lam_min,
        eigsh_converged=extremes.converged,
        eigsh_products=extremes.products,
    )
    return extremes


def _flipped_split(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, flipped: np.ndarray, trace: float
) -> dict[str, Any]:
    """Traces of the flipped samples' share ``(1/N) Σ_{b flipped} ℓ_b`` of the loss: total,
    Gauss–Newton and residual (Term B) parts; zero without flipped samples."""
    mask = torch.as_tensor(flipped, dtype=torch.bool)
    n_flip, n_all = int(mask.sum()), int(mask.numel())
    if n_flip == 0:
        return {"trace_flipped": 0.0, "trace_residual_flipped": 0.0, "n_hessian_flipped": 0}
    op = C.hessian_operator(model, x[mask], y[mask], chunk=HVP_CHUNK["qnn"])
    share = n_flip / n_all  # the mean over the flipped samples, reweighted to the full mean
    h_flip = share * C.full_hessian(op)
    trace_flip = float(torch.diagonal(h_flip).sum())
    split = C.gauss_newton_split(model, x[mask], trace_flip / share)
    return {
        "trace_flipped": trace_flip,
        "trace_residual_flipped": share * split.trace_b,
        "n_hessian_flipped": n_flip,
    }


def complexified_metrics(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    trace: float,
    direct: bool = False,
    poisoned_labels: torch.Tensor | None = None,
) -> dict[str, Any]:
    """The trace over complexified angles of an RX-RY + CNOT-ring QNN
    (:mod:`qmlr.core.complexified`).

    :param model: the single-member float64 QNN.
    :param x: Hessian inputs; ``y``: their labels; ``trace``: ``tr H`` on ``(x, y)``.
    :param direct: also compute ``tr H_C`` by its definition (``2P`` Hessian-vector products).
    :param poisoned_labels: other labels of the same samples (those they carry after flipping):
        also their real trace (exact, ``P`` products) and complexified trace.
    :return: ``trace_complexified`` (by the identity), ``trace_complexified_imag``
        (``tr H_C − tr H``), and where asked ``trace_complexified_direct``,
        ``trace_poisoned_labels``, ``trace_complexified_poisoned_labels``.
    """
    chunk = HVP_CHUNK["qnn"]
    value = identity_trace(model, x, y, trace)
    out: dict[str, Any] = {"trace_complexified": value, "trace_complexified_imag": value - trace}
    if direct:
        out["trace_complexified_direct"] = complexified_trace(model, x, y, chunk=chunk).trace
    if poisoned_labels is not None:
        op = C.hessian_operator(model, x, poisoned_labels, chunk=chunk)
        other = C.exact_trace(op)
        out["trace_poisoned_labels"] = other
        out["trace_complexified_poisoned_labels"] = identity_trace(model, x, poisoned_labels, other)
    return out
