"""The analytic chapter's checks and verdicts: the SI §I formulas against two numeric references.

Grid and sweep sizes come from the profile (:mod:`qmlr.engine.profiles`); the tolerances are
named here, and the chapter's prose reads them from this module.

Example:
    >>> xg, tg, yg = check_grid("tiny")
    >>> xg.shape == tg.shape == yg.shape
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qmlr.core.analytic import (
    MODELS,
    Model,
    autograd_hessian,
    finite_difference_hessian,
    identity_checks,
    misclassified,
    numeric_model,
    outlier_sweep,
    toy_summary,
)
from qmlr.engine.profiles import Profile, get_profile
from qmlr.report.analysis import Verdict
from qmlr.report.checks import CheckRow, Measured, judge_all


@dataclass(frozen=True)
class DiscrepancyRow:
    """Max absolute discrepancy of the lambdified Hessian against one reference on a grid."""

    model: Model
    reference: str
    max_abs: float
    max_abs_hessian: float
    n_points: int


#: The columns of :func:`identity_table`.
IDENTITY_COLUMNS = ("model", "quantity", "equation", "label y", "derived − printed", "holds")


def identity_table() -> pd.DataFrame:
    """Every identity of :func:`qmlr.core.analytic.identity_checks` for both models, one row
    each: the SI's printed gradient or Hessian against ``sympy.diff`` of the loss, the residual
    derived − printed (simplified, as text) and whether it is exactly zero.

    :return: columns :data:`IDENTITY_COLUMNS`.

    Example:
        >>> table = identity_table()
        >>> bool(table["holds"].all()), set(table["derived − printed"])
        (True, {'0'})
    """
    rows = [
        (c.model.upper(), c.quantity, c.equation, c.label, str(c.residual), bool(c.holds))
        for model in MODELS
        for c in identity_checks(model)
    ]
    return pd.DataFrame(rows, columns=list(IDENTITY_COLUMNS))


def check_grid(profile: str | Profile = "paper") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (x, theta, y) grid of the numeric checks, flattened.

    ``x`` in [-1, 1], ``theta`` in [-2 pi, 2 pi], both labels; ``n x n x 2`` points with ``n``
    the profile's ``analytic_grid`` (paper 41, smoke 11).

    :param profile: a profile or its name (:mod:`qmlr.engine.profiles`).
    :return: flat arrays ``(x, theta, y)``.
    :raises ValueError: for an unknown profile.

    Example:
        >>> [a.shape for a in check_grid("smoke")]
        [(242,), (242,), (242,)]
    """
    n = get_profile(profile).analytic_grid
    xg, tg, yg = np.meshgrid(
        np.linspace(-1.0, 1.0, n), np.linspace(-2 * np.pi, 2 * np.pi, n), [0.0, 1.0]
    )
    return xg.ravel(), tg.ravel(), yg.ravel()


def discrepancy_table(profile: str | Profile = "paper", h: float = 5e-3) -> list[DiscrepancyRow]:
    """Compare the lambdified Hessians with autograd and with 5-point finite differences.

    :param profile: grid size, see :func:`check_grid`.
    :param h: finite-difference step.
    :return: one :class:`DiscrepancyRow` per (model, reference).

    Example:
        >>> rows = discrepancy_table("smoke")
        >>> max(r.max_abs for r in rows if r.reference == "torch autograd") < 1e-12
        True
    """
    xg, tg, yg = check_grid(profile)
    rows = []
    for model in MODELS:
        ours = numeric_model(model).hessian(xg, tg, yg)
        references = {
            "torch autograd": autograd_hessian(model, xg, tg, yg),
            f"5-point finite differences (h={h:g})": finite_difference_hessian(
                model, xg, tg, yg, h
            ),
        }
        for name, ref in references.items():
            rows.append(
                DiscrepancyRow(
                    model=model,
                    reference=name,
                    max_abs=float(np.max(np.abs(ours - ref))),
                    max_abs_hessian=float(np.max(np.abs(ours))),
                    n_points=int(xg.size),
                )
            )
    return rows


def autograd_discrepancy_report(profile: str = "paper") -> str:
    """Where, and under which numeric settings, the lambdified Hessians differ most from autograd.

    The failure message of the chapter's autograd check: per model the grid point of the
    largest ``|Δ|`` with both values, the discrepancy computed a second time in this process (a
    value that changes between two calls points at run-time state such as threads or memory
    layout, a stable one at the inputs or the kernels), and the settings in force: torch's
    default dtype, intra-op threads and CPU capability, the numpy version and the processor.

    :param profile: grid size, see :func:`check_grid`.
    :return: a few lines of text.

    Example:
        >>> print(autograd_discrepancy_report("smoke").splitlines()[0][:42])
        autograd vs lambdified Hessian, grid smoke
    """
    import platform

    import torch

    xg, tg, yg = check_grid(profile)
    lines = [
        f"autograd vs lambdified Hessian, grid {profile} ({xg.size} points), tolerance "
        f"{AUTOGRAD_TOLERANCE:g}; torch {torch.__version__} default dtype "
        f"{torch.get_default_dtype()}, {torch.get_num_threads()} threads, CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}; numpy {np.__version__}; "
        f"{platform.processor() or platform.machine()}"
    ]
    for model in MODELS:
        ours = numeric_model(model).hessian(xg, tg, yg)
        autos = [autograd_hessian(model, xg, tg, yg) for _ in range(2)]
        deltas = [np.abs(ours - auto) for auto in autos]
        i = int(np.argmax(deltas[0]))
        lines.append(
            f"{model}: max |Δ| {deltas[0][i]:.3e} (again: {deltas[1].max():.3e}) at "
            f"x={float(xg[i])!r}, theta={float(tg[i])!r}, y={yg[i]:g}: lambdified "
            f"{float(ours[i])!r}, autograd {float(autos[0][i])!r}"
        )
    return "\n".join(lines)


#: Largest accepted discrepancy of the lambdified Hessians from torch autograd (rounding level).
AUTOGRAD_TOLERANCE = 1e-12


#: Largest accepted discrepancy from the 5-point finite differences (the stencil's error budget).
FINITE_DIFFERENCE_TOLERANCE = 1e-9


def outlier_positions(profile: str | Profile = "paper") -> np.ndarray:
    """Features of the mislabeled point in the outlier sweep: equispaced in [0.05, 0.95].

    :param profile: a profile or its name; its ``analytic_sweep`` positions (paper 19, smoke 5).
    :return: the positions.

    Example:
        >>> outlier_positions("smoke").round(3).tolist()
        [0.05, 0.275, 0.5, 0.725, 0.95]
    """
    return np.linspace(0.05, 0.95, get_profile(profile).analytic_sweep)


def _exact(evidence: str, holds: bool, partly: bool = False) -> Measured:
    """An exact check: no run-to-run interval, the evidence states its numbers."""
    return Measured(evidence, (), True, point=bool(holds), partly=bool(partly), phrased=True)


def _row(check: str, core: bool, name: str, claim: str, measure) -> CheckRow:
    return CheckRow(check, 7, "analytic-curvature", core, name, claim, measure)


#: The analytic chapter's checks (claim 7 and the SI's consequences); their measures read the
#: numbers :func:`claim_verdicts` computes (``n``).
ANALYTIC_ROWS = (
    _row("si-formulas", True, "SI formulas follow from the loss",
         "(S6), (S10), (S15) and the Term A/B split follow from the loss (S1), (S5)",
         lambda n: _exact(f"{n['holds']}/{n['identities']} symbolic identities exact (y "
                          f"symbolic, 0, 1); max |Δ| vs autograd {n['auto']:.1e}, vs 5-point FD "
                          f"{n['fd']:.1e}", n["exact"])),
    _row("mlp-hessian-nonnegative", True, "H_MLP ≥ 0", "7a: H_MLP = x² p(1−p) ≥ 0 for every point",
         lambda n: _exact(f"min H_MLP over {n['grid']} grid points = {n['h_mlp_min']:.3g} (and "
                          "x² ≥ 0, p(1−p) > 0 symbolically)",
                          n["h_mlp_min"] >= 0.0 and n["exact"])),
    _row("term-b-negative", True, "Term B negative for a mislabeled point",
         "7b: the second term of H_QNN is negative for a mislabeled point",
         lambda n: _exact(f"max of −(p−y)cos φ over misclassified grid points = "
                          f"{n['minus_b']:.3g}; min total H_QNN there = {n['h_qnn']:.3f}",
                          n["minus_b"] < 0.0 and n["h_qnn"] < 0.0)),
    _row("toy-noise-raises-mlp-curvature", False,
         "SI §I.B.1: noise raises the MLP's curvature (toy data)",
         "SI §I.B.1: label noise drives the MLP to higher curvature",
         lambda n: _exact(
             f"toy set: H {n['mlp']['H total, clean']:.2g} (clean, θ* at interval end) → "
             f"{n['mlp']['H total, with outlier']:.3f} with outlier; higher at all "
             f"{n['positions']} outlier positions: {n['mlp_higher']}; outlier p = "
             f"{n['mlp']['p of the outlier']:.2f} (not ≈ 0.5)",
             n["mlp_higher"] and n["mlp"]["H total, with outlier"] > n["mlp"]["H total, clean"])),
    _row("toy-term-b-offsets", False, "SI §I.C: Term B offsets outliers (toy data)",
         "SI §I.C: Term B lets the QNN's total curvature offset outliers",
         lambda n: _exact(f"toy set: H {n['qnn']['H total, clean']:.3f} → "
                          f"{n['qnn']['H total, with outlier']:.3f}; lower at "
                          f"{n['qnn_lower'].sum()}/{n['positions']} outlier positions",
                          n["qnn_lower"].all(), n["qnn_lower"].any())),
)  # fmt: skip


def claim_verdicts(
    profile: str | Profile = "paper",
    disc: list[DiscrepancyRow] | None = None,
    identities: pd.DataFrame | None = None,
) -> list[Verdict]:
    """The analytic chapter's verdicts (:data:`ANALYTIC_ROWS`): the SI §I formulas (claim 7)
    and their consequences.

    In order: the derivation (every identity of :func:`identity_checks` exact and the numeric
    Hessians within :data:`AUTOGRAD_TOLERANCE` / :data:`FINITE_DIFFERENCE_TOLERANCE` of their
    references); 7a, ``H_MLP >= 0`` on the :func:`check_grid`; 7b, the Term B contribution and
    the total ``H_QNN`` negative at misclassified grid points; SI §I.B.1, the outlier raises the
    MLP's curvature (seven-point dataset and every :func:`outlier_positions`); SI §I.C, it lowers
    the QNN's (``partly`` when it does at some positions only).

    :param profile: a profile or its name (grid and sweep sizes; every verdict is judged).
    :param disc: :func:`discrepancy_table` of ``profile`` where already computed (or stored).
    :param identities: :func:`identity_table` where already computed (or stored).
    :return: five :class:`qmlr.report.analysis.Verdict`.

    Example:
        >>> [v.label for v in claim_verdicts("smoke")][:3]
        ['reproduced', 'reproduced', 'reproduced']
    """
    identities = identity_table() if identities is None else identities
    disc = discrepancy_table(profile) if disc is None else disc
    n = {
        "holds": int(identities["holds"].sum()),
        "identities": len(identities),
        "auto": max(r.max_abs for r in disc if r.reference == "torch autograd"),
        "fd": max(r.max_abs for r in disc if r.reference.startswith("5-point")),
    }
    n["exact"] = (
        n["holds"] == len(identities)
        and n["auto"] <= AUTOGRAD_TOLERANCE
        and n["fd"] <= FINITE_DIFFERENCE_TOLERANCE
    )
    xg, tg, yg = check_grid(profile)
    mlp, qnn = numeric_model("mlp"), numeric_model("qnn")
    wrong = misclassified("qnn", xg, tg, yg)
    sweep = outlier_sweep(outlier_positions(profile))
    n |= {
        "grid": xg.size,
        "h_mlp_min": float(mlp.hessian(xg, tg, yg).min()),
        "minus_b": float((-qnn.term_b(xg, tg, yg))[wrong].max()),
        "h_qnn": float(qnn.hessian(xg, tg, yg)[wrong].min()),
        "positions": len(outlier_positions(profile)),
        "mlp_higher": all(r.hessian > r.clean_hessian for r in sweep if r.model == "mlp"),
        "qnn_lower": np.array([r.hessian < r.clean_hessian for r in sweep if r.model == "qnn"]),
        "mlp": toy_summary("mlp"),
        "qnn": toy_summary("qnn"),
    }
    return judge_all(ANALYTIC_ROWS, n)
