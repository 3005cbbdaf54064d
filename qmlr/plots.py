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
    :param curve: rows of :func:`qmlr.analysis.curves` for one group, indexed by α.
    :param label: legend prefix.
    :param color: colour of both lines.
    :param show_train: also draw the train curve.
    """
    alphas = curve.index.get_level_values("alpha").to_numpy(float)
    if show_train:
        band(
            ax,
            alphas,
            curve["train_accuracy_mean"],
            curve["train_accuracy_std"],
            label=f"{label} train".strip(),
            color=color,
            **TRAIN_STYLE,
        )
        color = ax.lines[-1].get_color()
    band(
        ax,
        alphas,
        curve["val_accuracy_mean"],
        curve["val_accuracy_std"],
        label=f"{label} validation".strip(),
        color=color,
        **VAL_STYLE,
    )
    ax.set_xlabel(r"noise ratio $\alpha$")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
