"""Figures of the curvature study; each draws on a given ``ax`` and never calls ``plt.show()``.

A figure of one *scope* (:data:`qmlr.report.curvature.SCOPES`, e.g. ``"si"`` or
``"authors-code"``) shows the paper's models of that series.

Example:
    >>> _tick(-0.001), _tick(100.0)
    ('−1e-3', '1e2')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qmlr.core.spectral_density import SpectralDensity
from qmlr.engine.store import CellResult
from qmlr.report.curvature_tables import (
    DEFINITIONS,
    LABELS,
    MODEL_KINDS,
    authors_readings,
    trace_ratios,
    with_scope,
)
from qmlr.report.plots import model_color


def _log_or_symlog(ax, values: np.ndarray, linthresh: float = 1e-2) -> None:
    values = np.asarray(values, float)
    if np.all(values[np.isfinite(values)] > 0):
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=linthresh)


def _alpha_axes(ax, ylabel: str, title: str, size: float | None = None, legend: int = 7) -> None:
    """Label an axis over α: the ordinate, the title (of ``size``) and the legend."""
    ax.set_xlabel(r"label-flip ratio $\alpha$")
    ax.set_ylabel(ylabel)
    ax.set_title(title, **({} if size is None else {"fontsize": size}))
    ax.legend(fontsize=legend)


def _scope(records, scope: str, kind: str | None = None):
    """The paper's models of one scope (only ``kind`` where given)."""
    frame = with_scope(records)
    frame = frame[(frame["scope"] == scope) & frame["model"].isin(MODEL_KINDS)]
    return frame if kind is None else frame[frame["model"] == kind]


def _runs(ax, part, column: str, kind: str, offset: float) -> None:
    """Each run of ``part`` as a dot at its α (shifted by ``offset``), dead runs as red crosses."""
    dead = part["dead"].astype(bool)
    ax.scatter(part["alpha"][~dead] + offset, part[column][~dead], s=12,
               color=model_color(kind), alpha=0.5)  # fmt: skip
    if dead.any():
        ax.scatter(part["alpha"][dead] + offset, part[column][dead], s=30, marker="x",
                   color="tab:red", label=f"{LABELS[kind]} dead run")  # fmt: skip


def _ratio_axes(ax, plotted: list, ylabel: str, title: str, size=None, legend: int = 7) -> None:
    """A trace-ratio panel's line at 1, its log or symlog axis (of the ``plotted`` values) and
    its labels (:func:`_alpha_axes`)."""
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
    _log_or_symlog(ax, np.concatenate(plotted) if plotted else np.ones(1))
    _alpha_axes(ax, ylabel, title, size, legend)


def _mean_line(ax, part, column: str, style: str, **kwargs) -> np.ndarray:
    """The mean of ``column`` per α as a line (markers of size 4 unless given); the means."""
    mean = part.groupby("alpha")[column].mean()
    ax.plot(mean.index, mean.to_numpy(), style, **({"markersize": 4} | kwargs))
    return mean.to_numpy(float)


def _error_bars(ax, part, column: str, style: str, **kwargs) -> None:
    """The mean ± std over runs of ``column`` per α."""
    stats = part.groupby("alpha")[column].agg(["mean", "std"])
    ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], fmt=style, markersize=4,
                capsize=2, **kwargs)  # fmt: skip


def plot_trace_ratio(ax, records, config: str) -> None:
    """The paper's figure for one scope (``config``): trace ratio vs α, MLP and QNN (real
    Hessian), log axis.

    Each run is a dot (dead MLP runs: red crosses); the solid line is the mean over all runs,
    the dashed line the mean without dead runs (each against its own clean mean); the band is
    ±1 standard deviation over runs (all runs).
    """
    every = trace_ratios(_scope(records, config), include_dead=True)
    alive = trace_ratios(_scope(records, config), include_dead=False)
    plotted = []
    for i, kind in enumerate(("mlp", "qnn")):
        color = model_color(kind)
        run = every[(every["model"] == kind) & (every["alpha"] > 0)]
        if run.empty:
            continue
        _runs(ax, run, "ratio", kind, (i - 0.5) * 0.012)
        _mean_line(ax, run, "ratio", "-o", color=color, label=f"{LABELS[kind]} (all runs)")
        stats = run.groupby("alpha")["ratio"].agg(["mean", "std"])
        lo = np.maximum(stats["mean"] - stats["std"], stats["mean"] * 0.05)
        ax.fill_between(stats.index, lo, stats["mean"] + stats["std"], color=color, alpha=0.15,
                        lw=0)  # fmt: skip
        alive_k = alive[(alive["model"] == kind) & (alive["alpha"] > 0)]
        if len(alive_k) != len(run):
            _mean_line(ax, alive_k, "ratio", "--s", color=color, markersize=3,
                       label=f"{LABELS[kind]} (without dead runs)")  # fmt: skip
        plotted.append(run["ratio"].to_numpy(float))
    _ratio_axes(ax, plotted, r"tr $H_\mathrm{noisy}$ / mean tr $H_\mathrm{clean}$", config)


def spectra_frame(results: Sequence[CellResult], records):
    """``records`` with a ``spectrum`` column: each run's
    :class:`qmlr.core.curvature.SpectralDensity`
    (exact eigenvalues for the QNN, SLQ nodes and weights for the MLP)."""
    by_key = {r.spec.key(): r for r in results}
    out = records.copy()
    spectra = []
    for key, kind in zip(out["key"], out["model"], strict=True):
        m = by_key[key].metrics
        if kind == "qnn" and "eigenvalues" in m:
            spectra.append(SpectralDensity.from_eigenvalues(np.asarray(m["eigenvalues"])))
        else:
            spectra.append(
                SpectralDensity(np.asarray(m["slq_nodes"]), np.asarray(m["slq_weights"]))
            )
    out["spectrum"] = spectra
    return out


def asinh_density(
    spectra: Sequence[SpectralDensity], scale: float, grid_u: np.ndarray, sigma_u: float = 0.25
) -> np.ndarray:
    """Mean over runs of the density of ``u = asinh(λ / scale)``, Gaussian-broadened in ``u``.

    ``u`` is linear in ``λ`` for ``|λ| ≪ scale`` and logarithmic beyond, so one axis shows the
    negative tail, the bulk at zero and the outliers; each run's density integrates to 1.

    :param spectra: one density per run.
    :param scale: the linear-to-log crossover.
    :param grid_u: points in ``u``.
    :param sigma_u: broadening in ``u``.
    :return: density values on ``grid_u``.
    """
    if not spectra:
        return np.zeros_like(np.asarray(grid_u, float))
    curves = []
    for rho in spectra:
        u = SpectralDensity(np.arcsinh(rho.nodes / scale), rho.weights)
        curves.append(u.density(grid_u, sigma_u))
    return np.mean(curves, axis=0)


def _tick(value: float) -> str:
    """``0``, ``±1e-3``-style label of a power of ten."""
    if value == 0:
        return "0"
    sign = "−" if value < 0 else ""
    return f"{sign}1e{int(round(np.log10(abs(value))))}"


def plot_density(ax, spectra_records, config: str, kind: str, alphas=(0.0, 0.4), scale=None):
    """Eigenvalue densities of one model, clean vs noisy, on an ``asinh(λ/scale)`` axis.

    :param ax: axes.
    :param spectra_records: :func:`spectra_frame` output.
    :param config: scope.
    :param kind: ``"mlp"`` or ``"qnn"``.
    :param alphas: the α values to overlay.
    :param scale: the ``asinh`` crossover (default: 1e-3 × the median clean ``λ_max``).
    """
    sel = _scope(spectra_records, config, kind)
    if scale is None:
        lam = sel[sel["alpha"] == alphas[0]]["lam_max"].abs()
        scale = 1e-3 * float(lam.median()) if len(lam) else 1.0
    every = np.concatenate([np.asarray(r.flat_nodes) for r in sel["spectrum"]]) if len(sel) else [0]
    umax = float(np.arcsinh(np.max(np.abs(every)) / scale)) + 1.0
    grid_u = np.linspace(-umax, umax, 600)
    styles = ["-", "--", "-.", ":"]
    peak = 1e-3
    for i, alpha in enumerate(alphas):
        runs = list(sel[sel["alpha"] == alpha]["spectrum"])
        if not runs:
            continue
        share = float(np.mean([r.negative_share() for r in runs]))
        density = asinh_density(runs, scale, grid_u)
        peak = max(peak, float(density.max()))
        ax.plot(grid_u, density, styles[i % 4], color=model_color(kind), alpha=1.0 - 0.35 * i,
                label=f"α = {alpha:g} (neg. share {share:.1%})")  # fmt: skip
    top = np.abs(np.asarray(every, float)).max()
    decades = np.arange(np.ceil(np.log10(scale)), np.floor(np.log10(max(top, scale))) + 1)
    decades = decades[(decades[-1] - decades) % 2 == 0] if decades.size else decades
    ticks = np.concatenate([-(10.0 ** decades[::-1]), [0.0], 10.0**decades])
    ax.set_xticks(np.arcsinh(ticks / scale), [_tick(t) for t in ticks], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 3 * peak)
    ax.set_xlabel(rf"$\lambda$ (asinh axis, crossover {scale:.0e})")
    ax.set_ylabel(r"density of asinh($\lambda$/scale)")
    method = "exact spectrum" if kind == "qnn" else "SLQ"
    ax.set_title(f"{config}: {LABELS[kind]} ({method})", fontsize=9)
    ax.legend(fontsize=7)


def plot_negative_share(ax, records, config: str) -> None:
    """Share of negative curvature vs α: QNN exact (solid) and SLQ (dotted), MLP SLQ."""
    for kind, how, style in (("qnn", "exact", "-o"), ("qnn", "slq", ":"), ("mlp", "slq", "-s")):
        part = _scope(records, config, kind)
        column = f"negative_share_{how}"
        if not part.empty and part[column].notna().any():
            label = f"{LABELS[kind]} ({how.replace('slq', 'SLQ')})"
            _error_bars(ax, part, column, style, color=model_color(kind), label=label)
    _alpha_axes(ax, r"negative share $\Sigma|\lambda_-| / \Sigma|\lambda|$", config, 9)


def plot_term_split(ax, records, config: str) -> None:
    """QNN trace split vs α: Gauss–Newton part (Term A), Term B of the clean samples, Term B of
    the flipped samples (mean ± std over runs)."""
    q = _scope(records, config, "qnn").copy()
    if q.empty:
        return
    q["trace_residual_flipped"] = q["trace_residual_flipped"].fillna(0.0)
    q["term_b_clean"] = q["trace_residual"] - q["trace_residual_flipped"]
    parts = (
        ("trace_gauss_newton", "tr A (Gauss–Newton)", "-o"),
        ("term_b_clean", "tr B, clean samples", "--s"),
        ("trace_residual_flipped", "tr B, flipped samples", ":v"),
        ("trace", "tr H", "-"),
    )
    for column, label, style in parts:
        _error_bars(ax, q, column, style, label=label)
    ax.axhline(0.0, color="0.4", lw=0.8)
    _alpha_axes(ax, "trace", f"{config}: QNN", 9)


def plot_lambda_max(ax, records, config: str) -> None:
    """``λ_max`` vs α for both models (runs as dots, mean line, dead runs as red crosses)."""
    sel = _scope(records, config)
    for i, kind in enumerate(("mlp", "qnn")):
        part = sel[sel["model"] == kind]
        if part.empty:
            continue
        _runs(ax, part, "lam_max", kind, (i - 0.5) * 0.012)
        _mean_line(ax, part, "lam_max", "-o", color=model_color(kind), label=LABELS[kind])
    _log_or_symlog(ax, sel["lam_max"].to_numpy(float))
    _alpha_axes(ax, r"$\lambda_\max$", config)


#: Line styles of the readings: (Hessian labels, definition) -> style.
READING_STYLES = {
    ("clean", "real"): "-o",
    ("clean", "complexified"): "--o",
    ("poisoned", "real"): "-s",
    ("poisoned", "complexified"): "--s",
}


def plot_readings(ax, records, model: str = "qnn") -> None:
    """Every reading of one ``authors-code`` model: mean trace ratio (without dead runs) vs α
    per flips, Hessian labels and trace definition, symlog axis.

    :param ax: axes.
    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :param model: ``"qnn"`` or ``"mlp"``.
    """
    colors = {"train-unbalanced": "tab:green", "class-balanced": model_color(model)}
    plotted = [np.ones(1)]
    for (flips, labels, definition), part in authors_readings(records, model).groupby(
        ["flips", "hessian_labels", "definition"]
    ):
        style = READING_STYLES[(labels, definition)]
        label = f"{flips}, {labels} labels, {definition}"
        plotted.append(_mean_line(ax, part, "ratio", style, color=colors[flips], label=label))
    title = f"authors-code: {LABELS.get(model, model)}, every reading"
    _ratio_axes(ax, plotted, r"tr $H(\alpha)$ / mean tr $H(0)$", title, 9, legend=6)


def plot_controls(ax, records) -> None:
    """Mean trace ratio (real Hessian, without dead runs) vs α of the ``si`` MLP, QNN and the
    gradient-trained controls, symlog axis."""
    ratios = trace_ratios(with_scope(records).query("scope == 'si'"), include_dead=False)
    plotted = [np.ones(1)]
    for model, part in ratios.groupby("model", sort=False):
        style, lw = ("-o", 2) if model in MODEL_KINDS else ("--.", 1)
        kw = {"lw": lw, "color": model_color(model), "label": LABELS.get(model, model)}
        plotted.append(_mean_line(ax, part, "ratio", style, **kw))
    ylabel = r"tr $H(\alpha)$ / mean tr $H(0)$ (" + DEFINITIONS["real"] + ")"
    _ratio_axes(ax, plotted, ylabel, "si: the paper's models and the controls", 9, legend=6)
