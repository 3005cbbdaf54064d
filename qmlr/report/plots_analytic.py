"""Figures of the analytic-curvature chapter (SI §I minimal models).

Every function draws on a given :class:`matplotlib.axes.Axes`, returns it, and never calls
``plt.show()``; all numbers come from :mod:`qmlr.core.analytic`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from qmlr.core import analytic

MODEL_LABELS = {"mlp": "MLP  $z=\\theta x$", "qnn": "QNN  $z=\\cos(\\pi x+\\theta)$"}
_COLORS = {"clean": "tab:blue", "noisy": "tab:red", "a": "tab:green", "b": "tab:purple"}


def plot_landscape(
    ax: Axes, model: analytic.Model, x0: float = 0.5, theta_range: tuple[float, float] | None = None
) -> Axes:
    """Total loss ``L(theta)`` of a conflicting pair and of a clean pair, minima marked.

    :param ax: target axes.
    :param model: ``"mlp"`` or ``"qnn"``.
    :param x0: feature of the pairs, see :func:`qmlr.core.analytic.pair_dataset`.
    :param theta_range: plotted interval (default ``[-10, 10]`` MLP, ``[-pi, pi]`` QNN).
    :return: ``ax``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> _ = plot_landscape(plt.figure().gca(), "qnn")
    """
    lo, hi = theta_range or ((-10.0, 10.0) if model == "mlp" else (-np.pi, np.pi))
    t = np.linspace(lo, hi, 801)
    for conflicting, color in ((True, _COLORS["noisy"]), (False, _COLORS["clean"])):
        ds = analytic.pair_dataset(x0, conflicting=conflicting)
        m = analytic.minimize_dataset_loss(model, ds)
        where = "at interval end" if m.at_boundary else f"$\\theta^*={_fmt(m.theta)}$"
        loss = analytic.dataset_loss(model, ds, t)
        ax.plot(t, loss, color=color, label=f"{ds.name}: {where}, $H={m.hessian:.3g}$")
        if not m.at_boundary:  # mark every plotted minimum as deep as the global one
            ties = t[loss <= m.loss + 1e-9]
            keep = np.append(True, np.diff(ties) > 2 * (t[1] - t[0]))
            ax.plot(ties[keep], np.full(keep.sum(), m.loss), "o", color=color)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"total loss $\mathcal{L}(\theta)$")
    ax.set_title(MODEL_LABELS[model], fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    return ax


def _fmt(v: float) -> str:
    """Two decimals without a negative zero."""
    return f"{v:.2f}".replace("-0.00", "0.00")


def plot_phase_terms(ax: Axes, label: int, n: int = 721) -> Axes:
    """QNN single-point curvature over the phase ``phi = pi x + theta`` for one label.

    Draws Term A, the Term B contribution ``-B`` and ``H_QNN = A - B``; shades the phases at
    which the point is misclassified (``cos phi > 0`` for ``y = 0``, ``< 0`` for ``y = 1``).

    :param ax: target axes.
    :param label: 0 or 1.
    :param n: number of phase samples.
    :return: ``ax``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> _ = plot_phase_terms(plt.figure().gca(), 0)
    """
    if label not in (0, 1):
        raise ValueError(f"label must be 0 or 1, got {label!r}")
    qnn = analytic.numeric_model("qnn")
    phi = np.linspace(-np.pi, np.pi, n)
    a = qnn.term_a(0.0, phi, label)
    b = qnn.term_b(0.0, phi, label)
    wrong = analytic.misclassified("qnn", 0.0, phi, label)
    ax.fill_between(
        phi,
        0,
        1,
        where=wrong,
        transform=ax.get_xaxis_transform(),
        color="0.9",
        label="misclassified",
    )
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.plot(phi, a, color=_COLORS["a"], ls="--", label=r"Term A $p(1-p)\sin^2\varphi$")
    ax.plot(phi, -b, color=_COLORS["b"], ls=":", lw=2, label=r"$-$Term B $=-(p-y)\cos\varphi$")
    ax.plot(phi, a - b, color="k", label=r"$H_{QNN}=A-B$")
    ax.set_xticks(np.pi * np.array([-1, -0.5, 0, 0.5, 1]))
    ax.set_xticklabels([r"$-\pi$", r"$-\pi/2$", "0", r"$\pi/2$", r"$\pi$"])
    ax.set_xlabel(r"phase $\varphi=\pi x+\theta$")
    ax.set_title(f"label $y={label}$", fontsize="medium")
    return ax


def plot_point_hessians(
    ax: Axes, model: analytic.Model, clean: analytic.ToyDataset, noisy: analytic.ToyDataset
) -> Axes:
    """Per-point curvature at each dataset's own minimiser, plus the totals.

    Bars: clean set (at its minimiser) and clean + mislabeled set (at its minimiser), one
    group per point and a final "total" group; the mislabeled point is hatched.

    :param ax: target axes.
    :param model: ``"mlp"`` or ``"qnn"``.
    :param clean: the clean dataset.
    :param noisy: the dataset with the mislabeled point(s) appended after the clean ones.
    :return: ``ax``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> ds0, ds1 = analytic.toy_dataset(None), analytic.toy_dataset(0.5)
        >>> _ = plot_point_hessians(plt.figure().gca(), "qnn", ds0, ds1)
    """
    m0 = analytic.minimize_dataset_loss(model, clean)
    m1 = analytic.minimize_dataset_loss(model, noisy)
    h0 = analytic.point_hessians(model, clean, m0.theta)
    h1 = analytic.point_hessians(model, noisy, m1.theta)
    n = noisy.x.size
    pos = np.arange(n + 1, dtype=float)
    pos[-1] += 0.5
    w = 0.38
    clean_vals = np.append(np.pad(h0, (0, n - clean.x.size)), h0.sum())
    noisy_vals = np.append(h1, h1.sum())
    t0 = "interval end" if m0.at_boundary else _fmt(m0.theta)
    clean_bars = ax.bar(
        pos - w / 2, clean_vals, w, color=_COLORS["clean"], label=rf"clean, $\theta^*$={t0}"
    )
    bars = ax.bar(
        pos + w / 2,
        noisy_vals,
        w,
        color=_COLORS["noisy"],
        label=rf"+ mislabeled, $\theta^*$={_fmt(m1.theta)}",
    )
    for group in (clean_bars, bars):
        total = group[-1]
        ax.annotate(
            f"{total.get_height():.3g}",
            (total.get_x() + total.get_width() / 2, max(total.get_height(), 0.0)),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="small",
        )
    for i in np.flatnonzero(noisy.mislabeled):
        bars[i].set_hatch("//")
        bars[i].set_edgecolor("k")
    ax.axhline(0.0, color="0.4", lw=0.8)
    ticks = [
        f"{xi:+.2g}\n$y$={yi}" + ("*" if f else "")
        for xi, yi, f in zip(noisy.x, noisy.y, noisy.mislabeled, strict=True)
    ]
    ax.set_xticks(pos)
    ax.set_xticklabels([*ticks, "total"], fontsize="small")
    ax.set_ylabel(r"curvature $d^2\mathcal{L}/d\theta^2$ at $\theta^*$")
    ax.set_title(MODEL_LABELS[model], fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return ax


def plot_outlier_sweep(ax: Axes, rows: Sequence[analytic.SweepRow]) -> Axes:
    """Total curvature at the minimiser versus the mislabeled point's feature, both models.

    Solid: with the mislabeled point; dashed: the clean set's total (horizontal).

    :param ax: target axes.
    :param rows: output of :func:`qmlr.core.analytic.outlier_sweep`.
    :return: ``ax``.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> _ = plot_outlier_sweep(plt.figure().gca(), analytic.outlier_sweep([0.3, 0.5]))
    """
    for model, color in (("mlp", "tab:orange"), ("qnn", "tab:cyan")):
        sel = [r for r in rows if r.model == model]
        if not sel:
            continue
        xs = [r.outlier for r in sel]
        ax.plot(
            xs,
            [r.hessian for r in sel],
            "o-",
            ms=3,
            color=color,
            label=f"{model.upper()} + mislabeled",
        )
        ax.axhline(sel[0].clean_hessian, color=color, ls="--", label=f"{model.upper()} clean")
    ax.set_xlabel("feature $x$ of the mislabeled point ($y=0$)")
    ax.set_ylabel(r"total curvature at $\theta^*$")
    ax.set_title("outlier position sweep", fontsize="medium")
    ax.legend(fontsize="small")
    return ax
