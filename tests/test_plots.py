"""Figure helpers that draw many models at once."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from qmlr.report import analysis, plots  # noqa: E402


def test_phenotype_panels_draw_every_model_present() -> None:
    rows = [
        {"dataset": d, "model": m, "corruption": c, "alpha": a, "run": r,
         "train_accuracy": 1.0, "val_accuracy": 1.0 - a}
        for d in ("mnist",)
        for m in ("mlp", "qnn", "centroid")
        for c in ("label_flip", "feature_random")
        for a in (0.0, 0.5)
        for r in range(2)
        if not (m == "centroid" and c == "feature_random")
    ]  # fmt: skip
    table = analysis.curves(pd.DataFrame(rows), ["dataset", "model", "corruption"])
    fig, axes = plt.subplots(1, 2, squeeze=False)
    plots.phenotype_panels(
        axes, table, ["mnist"], ["label_flip", "feature_random"], ["mlp", "qnn", "centroid", "knn"]
    )
    assert [len(ax.lines) for ax in axes[0]] == [3, 2]
    assert axes[0][0].lines[2].get_color() == plots.CONTROL_COLORS["centroid"]
    np.testing.assert_allclose(axes[0][0].lines[0].get_ydata(), [1.0, 0.5])
    assert axes[0][0].lines[0].get_linewidth() > axes[0][0].lines[2].get_linewidth()
    plt.close(fig)


def test_phenotype_panels_draw_any_metric() -> None:
    rows = [
        {"dataset": "xxz", "model": m, "corruption": "label_flip", "alpha": a, "run": 0,
         "corrupted_memorized": np.nan if a == 0 else v}
        for m, v in (("mlp", 0.9), ("qnn", 0.1))
        for a in (0.0, 0.4, 0.8)
    ]  # fmt: skip
    table = analysis.curves(pd.DataFrame(rows), ["dataset", "model", "corruption"],
                            metrics=("corrupted_memorized",))  # fmt: skip
    fig, ax = plt.subplots()
    plots.phenotype_panels([[ax]], table, ["xxz"], ["label_flip"], ["mlp", "qnn"],
                           metric="corrupted_memorized")  # fmt: skip
    np.testing.assert_allclose(ax.lines[1].get_ydata()[1:], [0.1, 0.1])
    assert ax.get_ylabel() == plots.METRIC_LABELS["corrupted_memorized"]
    plt.close(fig)
