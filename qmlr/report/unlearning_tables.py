"""The unlearning and forgetting chapters' tables, prose and figure, from the summary of
:mod:`qmlr.report.unlearning` (``summary`` throughout: its
:func:`~qmlr.report.unlearning.summary_table`; ``series``: a
:class:`~qmlr.studies.unlearning_study.Series`).

Example:
    >>> setting_text("xxz", "mlp", "si")
    'lr 0.01, full batch'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import pandas as pd

from qmlr.core.unlearn_catalog import METHOD_LABELS, METHODS, method_weights
from qmlr.engine.runner import model_size
from qmlr.engine.store import CellResult, ResultStore
from qmlr.report import plots
from qmlr.report.unlearning import (
    FORGOTTEN_LEVEL,
    QUICK_STEPS,
    RETRAIN_TOLERANCE,
    STARTS_AT_RETRAIN,
    method_row,
    reach_text,
    set_sizes,
    step_of,
    steps_text,
    within,
)
from qmlr.studies.experiments import Profile, get_profile
from qmlr.studies.unlearning_study import (
    APPROXIMATE,
    SERIES,
    SETTINGS,
    Series,
    UnlearningSpec,
    make_spec,
    unlearning_runs,
)

#: The methods the chapters' prose and tables list after Retrain.
LISTED = (*APPROXIMATE, "scrub_kurmanji")


def _listed(summary: pd.DataFrame, series: Series) -> list[tuple[str, pd.Series]]:
    """The :data:`LISTED` methods of a series that have results, with their summary rows."""
    rows = [(m, method_row(summary, series, m)) for m in LISTED]
    return [(m, r) for m, r in rows if r is not None]


def sweep_cross_check(results: Iterable[CellResult], store: ResultStore) -> pd.DataFrame:
    """Compare each run's poisoned base model with the resilience sweep's cell at α = 0.3.

    The run's poison and model seeds are those of the sweep cell of the same data, model, α and
    run, and its base training is the same, so both must reach the same accuracies (the sweep
    trains ensembles, equal to training alone up to rounding). Runs whose sweep cell is not in
    ``store`` are skipped.

    :param results: unlearning results.
    :param store: the store holding the resilience study.
    :return: one row per compared run (empty if none is available).
    """
    rows = []
    for r in results:
        s: UnlearningSpec = r.spec  # type: ignore[assignment]
        cell = dataclasses.replace(s.cell(), study="resilience")
        if not store.has(cell):
            continue
        sweep = store.load(cell).metrics
        rows.append(
            {
                "dataset": s.data.name,
                "model": s.model.kind,
                "setting": s.setting,
                "run": s.run,
                "base val. acc.": r.metrics["base_val_accuracy"],
                "sweep val. acc.": sweep["val_accuracy"],
                "base train acc.": r.metrics["base_train_accuracy"],
                "sweep train acc.": sweep["train_accuracy"],
            }
        )
    return pd.DataFrame(rows)


def mean_std(row: pd.Series, name: str) -> str:
    """``<name>_mean ± <name>_std`` of a summary row, as the chapters print it.

    Example:
        >>> mean_std(pd.Series({"x_mean": 0.5, "x_std": 0.01}), "x")
        '0.500 ± 0.010'
    """
    return f"{row[f'{name}_mean']:.3f} ± {row[f'{name}_std']:.3f}"


def display_summary(summary: pd.DataFrame, dataset: str, role: str | None = None) -> pd.DataFrame:
    """A readable table of one dataset's summary rows (mean ± std over runs).

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param role: keep only ``"main"`` or ``"sensitivity"`` series (default: all).
    """
    rows = summary[summary["dataset"] == dataset]
    if role is not None:
        rows = rows[rows["role"] == role]
    out = []
    for _, r in rows.iterrows():
        phase = f", {r['phase']} phase" if r["phase"] not in ("", "random") else ""
        out.append(
            {
                "model": f"{r['model'].upper()} ({r['setting']}{phase})",
                "method": METHOD_LABELS[r["method"]],
                "val. acc. step 0": f"{r['val_start']:.3f}",
                f"val. acc. step {r['steps']}": mean_std(r, "val_final"),
                f"steps to Retrain − {RETRAIN_TOLERANCE}": (
                    reach_text(r)
                    if r["method"] != "retrain"
                    else steps_text(r["steps_to_retrain"], r["steps"])
                ),
                "forget acc. step 0": f"{r['forget_start']:.3f}",
                f"forget acc. step {r['steps']}": mean_std(r, "forget_final"),
                "forget area": mean_std(r, "forget_area"),
                f"steps to forget ≤ {FORGOTTEN_LEVEL}": steps_text(
                    r["steps_to_forgotten"], r["steps"]
                ),
                "runs": int(r["runs"]),
            }
        )
    return pd.DataFrame(out)


def series_n_params(series: Series) -> int:
    """Trained parameters of a series' model (``mlp-small``: its MLP after the fixed PCA map).

    Example:
        >>> series_n_params(Series("xxz", "qnn", "si"))
        192
    """
    spec = make_spec(series, get_profile("paper"), 0, steps=0)
    return model_size(spec.model, spec.data)


def amenability_table(summary: pd.DataFrame, series: Sequence[Series]) -> pd.DataFrame:
    """Per series: where its poisoned model starts, Retrain's level, and the steps each
    approximate method needs to reach that level from below
    (:func:`~qmlr.report.unlearning.reach_text`).

    :param series: the series to show (those without results are skipped).
    :return: one row per series.
    """
    rows = []
    for s in series:
        start = method_row(summary, s, "finetune")
        if start is None:
            continue
        row = {
            "series": s.label,
            "parameters": series_n_params(s),
            "poison reproduced, step 0": f"{start['forget_start']:.3f}",
            "val. acc. step 0": f"{start['val_start']:.3f}",
            f"Retrain level (step {int(start['steps'])})": f"{start['retrain_val_final']:.3f}",
        }
        for method, r in _listed(summary, s):
            row[METHOD_LABELS[method]] = reach_text(r)
        rows.append(row)
    return pd.DataFrame(rows)


def describe_amenability(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on whether a series' approximate methods reach Retrain's level from below
    within :data:`QUICK_STEPS` steps.

    :return: Markdown text (``""`` without results).
    """
    start = method_row(summary, series, "finetune")
    if start is None:
        return ""
    level = start["retrain_val_final"] - RETRAIN_TOLERANCE
    head = (
        f"**{series.label}**: poisoned model at validation accuracy {start['val_start']:.3f} "
        f"(reproducing {start['forget_start']:.0%} of the flipped labels), Retrain's level "
        f"{start['retrain_val_final']:.3f}"
    )
    if start["val_start"] >= level:
        return head + " — it starts at that level, so the speed of unlearning is not tested."
    steps = int(start["steps"])
    reach = {m: step_of(method_row(summary, series, m)["steps_to_retrain"]) for m in APPROXIMATE}
    quick = [m for m, n in reach.items() if within(n)]
    slow = [m for m, n in reach.items() if not within(n)]

    def listed(methods: list[str]) -> str:
        return ", ".join(f"{METHOD_LABELS[m]} {steps_text(reach[m], steps)}" for m in methods)

    parts = []
    if quick:
        parts.append(f"within {QUICK_STEPS} steps: {listed(quick)}")
    if slow:
        parts.append(f"later or never: {listed(slow)}")
    return head + "; steps to reach it from below — " + "; ".join(parts) + "."


def setting_text(dataset: str, kind: str, setting: str) -> str:
    """An unlearning setting's learning rate and batch, as the chapters' prose states them.

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param kind: a model kind with a setting in :data:`~qmlr.studies.unlearning_study.SETTINGS`.
    :param setting: a key of :data:`~qmlr.studies.unlearning_study.SETTINGS`.
    :return: e.g. ``"lr 0.005, batch 256"`` or ``"lr 0.01, full batch"``.

    Example:
        >>> setting_text("mnist", "qnn", "paper-figure"), setting_text("xxz", "mlp", "si")
        ('lr 0.005, batch 256', 'lr 0.01, full batch')
    """
    config = SETTINGS[setting][(dataset, kind)]
    batch = "full batch" if config.batch_size is None else f"batch {config.batch_size}"
    return f"lr {config.lr:g}, {batch}"


def settings_table(profile: Profile) -> pd.DataFrame:
    """Every series' base-training and unlearning hyperparameters at ``profile``."""
    rows = []
    for s in SERIES:
        spec = make_spec(s, profile, 0)
        n_retain = set_sizes(s.dataset)["retain"]
        batch = spec.unlearn.batch_size or n_retain
        rows.append(
            {
                "series": s.label,
                "role": s.role,
                "model": spec.model.label,
                "base training (epochs / batch / lr)": f"{spec.train.epochs} / "
                f"{spec.train.batch_size} / {spec.train.lr}",
                "unlearning lr": spec.unlearn.lr,
                "unlearning batch": f"{spec.unlearn.batch_label} (|D_r| = {n_retain})",
                "updates per step": -(-n_retain // batch),
                "steps": spec.unlearn.steps,
                "runs": unlearning_runs(profile),
            }
        )
    return pd.DataFrame(rows)


def method_table() -> pd.DataFrame:
    """Each method's hyperparameters (its dataclass defaults)."""
    rows = []
    for name in METHODS:
        params = method_weights(name).params()
        params.pop("method")
        rows.append(
            {
                "method": METHOD_LABELS[name],
                "start": "fresh init" if method_weights(name).fresh_init else "poisoned model",
                "weights": ", ".join(f"{k} = {v}" for k, v in params.items()),
            }
        )
    return pd.DataFrame(rows)


METHOD_COLORS = {
    "retrain": "black",
    "finetune": "tab:blue",
    "scrub": "tab:orange",
    "grad_asc": "tab:green",
    "scrub_kurmanji": "tab:purple",
}


#: Axis labels of the unlearning metrics (those of the sweep's, :data:`plots.METRIC_LABELS`).
METRIC_LABELS = plots.METRIC_LABELS | {
    "forget_accuracy": "forgetting accuracy",
    "retain_accuracy": "retain accuracy",
    "forget_loss": "forget-set BCE",
}


def plot_methods(
    ax,
    stats: pd.DataFrame,
    series: Series,
    metric: str = "val_accuracy",
    methods: Sequence[str] = METHODS,
    title: str | None = None,
) -> None:
    """One panel: ``metric`` vs unlearning step of every method of one series, mean ± std.

    :param ax: matplotlib axes.
    :param stats: :func:`curve_stats` output.
    :param series: which series to draw.
    :param metric: a metric of :data:`qmlr.core.unlearn.METRICS`.
    :param methods: methods to draw (missing ones are skipped).
    :param title: panel title (default: the series label).
    """
    key = tuple(series.coords.values())
    for method in methods:
        try:
            curve = stats.loc[(*key, method)]
        except KeyError:
            continue
        plots.band(
            ax,
            curve.index.to_numpy(),
            curve[f"{metric}_mean"],
            curve[f"{metric}_std"],
            label=METHOD_LABELS[method],
            color=METHOD_COLORS[method],
            linestyle="--" if method == "scrub_kurmanji" else "-",
            linewidth=1.5,
        )
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title if title is not None else series.label, fontsize=10)
    ax.set_xlabel("unlearning step")
    ax.set_ylabel(METRIC_LABELS[metric])
    if metric.endswith("accuracy"):
        ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)


def describe_validation(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on a series' validation curves: where Retrain ends, where the approximate
    methods end and when (if ever) they reach Retrain level.

    :return: Markdown text (``""`` if the series has no results).
    """
    retrain = method_row(summary, series, "retrain")
    if retrain is None:
        return ""
    steps = int(retrain["steps"])
    parts = []
    for method, r in _listed(summary, series):
        reach = step_of(r["steps_to_retrain"])
        when = {None: f"never within {RETRAIN_TOLERANCE} of it", 0: STARTS_AT_RETRAIN}.get(
            reach, f"Retrain level at step {reach}"
        )
        parts.append(f"{METHOD_LABELS[method]} {mean_std(r, 'val_final')} ({when})")
    return (
        f"**{series.label}.** The poisoned model starts at validation accuracy "
        f"{method_row(summary, series, 'finetune')['val_start']:.3f}; after {steps} steps Retrain "
        f"reaches {mean_std(retrain, 'val_final')}, and " + "; ".join(parts) + "."
    )


def describe_forgetting(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on a series' forgetting curves: the poisoned model's forgetting accuracy,
    Retrain's and the approximate methods' at the last step, and their areas.

    :return: Markdown text (``""`` if the series has no results).
    """
    retrain, start = method_row(summary, series, "retrain"), method_row(summary, series, "finetune")
    if retrain is None or start is None:
        return ""
    steps = int(retrain["steps"])
    parts = [
        f"{METHOD_LABELS[method]} {r['forget_final_mean']:.3f} (area {r['forget_area_mean']:.3f})"
        for method, r in _listed(summary, series)
    ]
    return (
        f"**{series.label}.** The poisoned model reproduces "
        f"{start['forget_start']:.0%} of the flipped labels (forgetting accuracy at step 0); "
        f"after {steps} steps Retrain's forgetting accuracy is "
        f"{retrain['forget_final_mean']:.3f} (area {retrain['forget_area_mean']:.3f}), and "
        + ", ".join(parts)
        + "."
    )
