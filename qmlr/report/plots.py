"""Figure helpers: each draws on a given ``ax`` and never calls ``plt.show()``.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> band(ax, [0, 1], [0.5, 0.6], [0.1, 0.1], label="demo")
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from qmlr.report.analysis import DATASET_NAMES

TRAIN_STYLE = {"linestyle": "-", "marker": "o", "markersize": 3}
VAL_STYLE = {"linestyle": "--", "marker": "s", "markersize": 3}


def band(
    ax,
    x: Sequence[float],
    mean: Sequence[float],
    std: Sequence[float],
    label: str | None = None,
    color: str | None = None,
    alpha: float = 0.2,
    **style,
) -> None:
    """A mean line with a ±std band.

    :param ax: matplotlib axes.
    :param x: abscissae.
    :param mean: mean values.
    :param std: standard deviations (band half-width).
    :param label: legend label.
    :param color: line and band colour.
    :param alpha: band opacity.
    """
    x, mean, std = np.asarray(x, float), np.asarray(mean, float), np.asarray(std, float)
    (line,) = ax.plot(x, mean, label=label, color=color, **style)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=alpha, linewidth=0)


def accuracy_vs_alpha(
    ax, curve: pd.DataFrame, label: str = "", color: str | None = None, show_train: bool = True
) -> None:
    """Train (solid) and validation (dashed) accuracy vs α of one curve, mean ± std over runs.

    :param ax: matplotlib axes.
    :param curve: rows of :func:`qmlr.report.analysis.curves` for one group, indexed by α.
    :param label: legend prefix.
    :param color: colour of both lines.
    :param show_train: also draw the train curve.
    """
    alphas = curve.index.get_level_values("alpha").to_numpy(float)
    shown = (("train", "train", TRAIN_STYLE),) if show_train else ()
    for metric, name, style in (*shown, ("val", "validation", VAL_STYLE)):
        band(
            ax,
            alphas,
            curve[f"{metric}_accuracy_mean"],
            curve[f"{metric}_accuracy_std"],
            label=f"{label} {name}".strip(),
            color=color,
            **style,
        )
        color = ax.lines[-1].get_color()  # validation in the train curve's colour
    _alpha_axes(ax, "accuracy")


def _alpha_axes(ax, ylabel: str) -> None:
    """Label an accuracy-vs-α panel: α on x, ``ylabel`` on y (0 to 1), a light grid."""
    ax.set_xlabel(r"noise ratio $\alpha$")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)


MODEL_NAMES = {"mlp": "MLP", "qnn": "QNN"}
CORRUPTION_NAMES = {"label_flip": "label flipping", "feature_random": "feature randomization"}
MODEL_COLORS = {"mlp": "tab:red", "qnn": "tab:blue"}
#: Axis labels of the sweep metrics.
METRIC_LABELS = {
    "val_accuracy": "validation accuracy",
    "train_accuracy": "train accuracy",
    "corrupted_memorized": "flipped labels reproduced",
}
#: Colours of the classical controls (issue 13), chosen apart from the MLP's and the QNN's.
CONTROL_COLORS = {
    "centroid": "tab:green",
    "logistic": "tab:orange",
    "logistic-quadratic": "tab:brown",
    "mlp-tanh": "tab:pink",
    "mlp-early-stop": "tab:purple",
    "mlp-weight-decay": "tab:olive",
    "mlp-small": "tab:gray",
    "svc-rbf": "tab:cyan",
    "knn": "black",
}


def model_color(kind: str) -> str:
    """Colour of a model kind: :data:`MODEL_COLORS`, then :data:`CONTROL_COLORS`, else grey.

    Example:
        >>> model_color("qnn"), model_color("centroid"), model_color("unknown")
        ('tab:blue', 'tab:green', 'lightgray')
    """
    return MODEL_COLORS.get(kind, CONTROL_COLORS.get(kind, "lightgray"))


def resilience_panels(
    axes, curve_table: pd.DataFrame, dataset: str, title_prefix: str = ""
) -> None:
    """Main Fig. 2 layout on a 2x2 grid of axes: rows {MLP, QNN}, columns {label flipping,
    feature randomization}; train (solid) and validation (dashed), mean ± std over runs.

    :param axes: 2x2 array of matplotlib axes.
    :param curve_table: :func:`qmlr.report.analysis.curves` by ``dataset, model, corruption``.
    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param title_prefix: text before each panel title.
    """
    for i, model in enumerate(("mlp", "qnn")):
        for j, corruption in enumerate(("label_flip", "feature_random")):
            ax = axes[i][j]
            curve = curve_table.xs(
                (dataset, model, corruption), level=("dataset", "model", "corruption")
            )
            accuracy_vs_alpha(ax, curve, label="", color=MODEL_COLORS[model])
            ax.set_title(f"{title_prefix}{MODEL_NAMES[model]}, {CORRUPTION_NAMES[corruption]}")
            ax.legend(loc="lower left", fontsize=8)


def capacity_panels(axes, curve_table: pd.DataFrame, labels_by_kind: dict[str, list[str]]) -> None:
    """SI Fig. S1 layout: MLP widths on the left axes, QNN depths on the right.

    :param axes: two matplotlib axes (left, right).
    :param curve_table: :func:`qmlr.report.analysis.curves` by ``model, model_label``.
    :param labels_by_kind: ``{"mlp": [labels...], "qnn": [labels...]}`` in legend order.
    """
    import matplotlib.pyplot as plt

    for ax, kind in zip(axes, ("mlp", "qnn"), strict=True):
        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(labels_by_kind[kind])))
        for label, color in zip(labels_by_kind[kind], colors, strict=True):
            curve = curve_table.xs((kind, label), level=("model", "model_label"))
            accuracy_vs_alpha(ax, curve, label=label, color=color)
        ax.set_title(f"{MODEL_NAMES[kind]}s, label flipping (XXZ)")
        ax.legend(loc="lower left", fontsize=7, ncol=2)


def phenotype_panels(
    axes,
    curve_table: pd.DataFrame,
    datasets: Sequence[str],
    corruptions: Sequence[str],
    models: Sequence[str],
    names: dict[str, str] | None = None,
    metric: str = "val_accuracy",
) -> None:
    """Fig. 2-style panels of many models: one panel per (dataset, corruption), one metric
    (validation accuracy by default) of every model against α, mean ± std over runs; the MLP
    and the QNN drawn thick.

    :param axes: array of axes, rows = datasets, columns = corruptions.
    :param curve_table: :func:`qmlr.report.analysis.curves` by ``dataset, model, corruption``.
    :param datasets: row order.
    :param corruptions: column order.
    :param models: model kinds, in legend order (missing curves are skipped).
    :param names: display names of the kinds (default: the kinds).
    :param metric: the metric of ``curve_table`` drawn (its ``<metric>_mean`` / ``_std``).
    """
    names = names or {}
    for i, dataset in enumerate(datasets):
        for j, corruption in enumerate(corruptions):
            ax = axes[i][j]
            for model in models:
                key = (dataset, model, corruption)
                if key not in curve_table.index.droplevel("alpha"):
                    continue
                curve = curve_table.xs(key, level=("dataset", "model", "corruption"))
                paper = model in MODEL_COLORS
                band(
                    ax,
                    curve.index.to_numpy(float),
                    curve[f"{metric}_mean"],
                    curve[f"{metric}_std"],
                    label=names.get(model, model),
                    color=model_color(model),
                    alpha=0.15,
                    linewidth=2.4 if paper else 1.1,
                    linestyle="-" if paper else "--",
                    zorder=3 if paper else 2,
                )
            ax.set_title(f"{DATASET_NAMES.get(dataset, dataset)}, {CORRUPTION_NAMES[corruption]}")
            _alpha_axes(ax, METRIC_LABELS.get(metric, metric))
