"""The unlearning study's summaries: curve statistics, tables, amenability, figures, prose.

Everything here reads the study's tidy records
(:func:`qmlr.studies.unlearning_study.records_frame`); the verdicts built on these summaries
are in :mod:`qmlr.report.unlearning_verdicts`.

Example:
    >>> steps_to_reach([0.5, 0.7, 0.9, 0.95], target=0.95, tolerance=0.02)
    3
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from qmlr.core.models import get_kind
from qmlr.core.models.small import PCA_COMPONENTS
from qmlr.core.unlearn import METHOD_LABELS, METHODS, METRICS, get_method
from qmlr.engine.runner import build_model, clean_split, model_inputs
from qmlr.engine.specs import ModelSpec
from qmlr.engine.store import CellResult, ResultStore
from qmlr.report.plots import band
from qmlr.report.unlearning_intervals import method_intervals, series_matrices, set_sizes
from qmlr.studies.experiments import Profile, get_profile
from qmlr.studies.study import load_results
from qmlr.studies.unlearning_study import (
    APPROXIMATE,
    SERIES,
    SERIES_COLUMNS,
    SETTINGS,
    Series,
    UnlearningSpec,
    make_spec,
    records_frame,
    unlearning_runs,
)


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


#: "Retrain level": within this of Retrain's final (step-50) mean validation accuracy.
RETRAIN_TOLERANCE = 0.02


#: "Quickly": within the first fifth of the 50 steps.
QUICK_STEPS = 10


#: "Stubborn memories" (SI §III: "a large gap between the approximate methods and the
#: baseline"): an approximate method's final forgetting accuracy exceeds Retrain's by at least
#: this (0.1 = 15 of the 150 MNIST or 2.4 of the 24 XXZ forget samples).
STUBBORN_GAP = 0.1


#: Forgetting accuracy at or below this = "near zero".
FORGOTTEN_LEVEL = 0.1


#: Fewer runs or steps than these: verdicts are "not evaluated at this scale".
MIN_RUNS = 3


#: The forgetting chapter calls the poisoned MLP's and QNN's memorized fractions at step 0
#: different when they differ by more than this.
START_GAP = 0.2


#: How :func:`quick_verdict` reports a method already at Retrain's level at step 0.
STARTS_AT_RETRAIN = "starts at Retrain's level"


def starts_at_retrain(steps: int | None) -> bool:
    """Whether a method's validation curve is at Retrain's level already at step 0.

    ``steps`` is its ``steps_to_retrain`` (:func:`summary_table`); 0 means the poisoned model
    starts at the level, so it has nothing to reach.

    Example:
        >>> starts_at_retrain(0), starts_at_retrain(3), starts_at_retrain(None)
        (True, False, False)
    """
    return steps is not None and not pd.isna(steps) and int(steps) == 0


def curve_stats(records: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over runs of every metric, per series, method and step.

    :param records: :func:`records_frame` output.
    :return: indexed by ``(*SERIES_COLUMNS, method, step)``; columns ``<metric>_mean``,
        ``<metric>_std`` (population std over runs) and ``runs``.
    """
    grouped = records.groupby([*SERIES_COLUMNS, "method", "step"], sort=True)
    out = pd.DataFrame({"runs": grouped.size()})
    for m in METRICS:
        out[f"{m}_mean"] = grouped[m].mean()
        out[f"{m}_std"] = grouped[m].std(ddof=0)
    return out


def steps_to_reach(curve: Sequence[float], target: float, tolerance: float) -> int | None:
    """First step at which ``curve >= target - tolerance`` (``None``: never).

    Example:
        >>> steps_to_reach([0.5, 0.9, 0.97], 0.98, 0.02)
        2
    """
    hits = np.flatnonzero(np.asarray(curve, float) >= target - tolerance)
    return int(hits[0]) if hits.size else None


def forgetting_area(curve: Sequence[float]) -> float:
    """Area under the forgetting-accuracy curve over steps 0 … S, divided by S (in [0, 1]).

    The trapezoidal area normalized to the run length, so it reads as the average forgetting
    accuracy over the run: 1 = the poison was reproduced throughout, 0 = never.

    Example:
        >>> forgetting_area([1.0, 0.0, 0.0])
        0.25
    """
    curve = np.asarray(curve, float)
    if curve.size < 2:
        return float(curve[0]) if curve.size else float("nan")
    return float(np.trapezoid(curve) / (curve.size - 1))


def summary_table(records: pd.DataFrame, tolerance: float = RETRAIN_TOLERANCE) -> pd.DataFrame:
    """Per series and method: final accuracies, steps to Retrain level, forgetting measures.

    Columns: the series columns, ``role``, ``method``, ``runs``, ``steps``; ``val_start``,
    ``val_final_mean`` / ``_std`` (validation accuracy at step 0 and at the last step);
    ``retrain_val_final`` (Retrain's final mean); ``steps_to_retrain`` (first step at which the
    run-mean validation curve is at least ``retrain_val_final - tolerance``, ``None`` = never);
    ``forget_start`` / ``forget_final_mean`` / ``_std`` (forgetting accuracy at step 0 and the
    last step); ``forget_area_mean`` / ``_std`` (per-run :func:`forgetting_area`); and
    ``steps_to_forgotten`` (first step with run-mean forgetting accuracy ≤
    :data:`FORGOTTEN_LEVEL`); and the numbers the verdicts judge, each with its bootstrap
    interval over runs (:func:`qmlr.report.unlearning_intervals.method_intervals`).
    """
    rows = []
    for coords, group in records.groupby(SERIES_COLUMNS, sort=False):
        means = group.groupby(["method", "step"])[["val_accuracy", "forget_accuracy"]].mean()
        retrain_final = (
            float(means.loc["retrain"]["val_accuracy"].iloc[-1])
            if "retrain" in means.index.get_level_values(0)
            else float("nan")
        )
        matrices = series_matrices(group)
        for method in [m for m in METHODS if m in set(group["method"])]:
            g = group[group["method"] == method]
            last = int(g["step"].max())
            final = g[g["step"] == last]
            val_curve = means.loc[method]["val_accuracy"].to_numpy()
            forget_curve = means.loc[method]["forget_accuracy"].to_numpy()
            areas = g.groupby("run")["forget_accuracy"].apply(forgetting_area)
            low = np.flatnonzero(forget_curve <= FORGOTTEN_LEVEL)
            rows.append(
                {
                    **dict(zip(SERIES_COLUMNS, coords, strict=True)),
                    "role": g["role"].iloc[0],
                    "method": method,
                    "runs": int(g["run"].nunique()),
                    "steps": last,
                    "val_start": float(val_curve[0]),
                    "val_final_mean": float(final["val_accuracy"].mean()),
                    "val_final_std": float(final["val_accuracy"].std(ddof=0)),
                    "retrain_val_final": retrain_final,
                    "steps_to_retrain": steps_to_reach(val_curve, retrain_final, tolerance),
                    "forget_start": float(forget_curve[0]),
                    "forget_final_mean": float(final["forget_accuracy"].mean()),
                    "forget_final_std": float(final["forget_accuracy"].std(ddof=0)),
                    "forget_area_mean": float(areas.mean()),
                    "forget_area_std": float(areas.std(ddof=0)),
                    "steps_to_forgotten": int(low[0]) if low.size else None,
                }
                | method_intervals(matrices, method, QUICK_STEPS)
            )
    return pd.DataFrame(rows)


def profile_summary(profile: str, results_dir: str | None = None) -> pd.DataFrame:
    """:func:`summary_table` of every unlearning result of ``profile`` (stored sealed by
    :mod:`qmlr.report.stored` for the chapters that show it).

    :param profile: a profile name.
    :param results_dir: unused (the profile's own results are read).
    :return: the table.
    """
    return summary_table(records_frame(load_results("unlearning", profile)))


def _steps_text(steps: int | None, total: int) -> str:
    return f"never in {total}" if steps is None or pd.isna(steps) else str(int(steps))


def display_summary(summary: pd.DataFrame, dataset: str, role: str | None = None) -> pd.DataFrame:
    """A readable table of one dataset's summary rows (mean ± std over runs).

    :param summary: :func:`summary_table` output.
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
                f"val. acc. step {r['steps']}": f"{r['val_final_mean']:.3f} ± "
                f"{r['val_final_std']:.3f}",
                f"steps to Retrain − {RETRAIN_TOLERANCE}": (
                    STARTS_AT_RETRAIN
                    if starts_at_retrain(r["steps_to_retrain"]) and r["method"] != "retrain"
                    else _steps_text(r["steps_to_retrain"], r["steps"])
                ),
                "forget acc. step 0": f"{r['forget_start']:.3f}",
                f"forget acc. step {r['steps']}": f"{r['forget_final_mean']:.3f} ± "
                f"{r['forget_final_std']:.3f}",
                "forget area": f"{r['forget_area_mean']:.3f} ± {r['forget_area_std']:.3f}",
                f"steps to forget ≤ {FORGOTTEN_LEVEL}": _steps_text(
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
    model = spec.model
    if model.kind == "mlp-small":
        model, in_features = ModelSpec("mlp", hidden=model.hidden), PCA_COMPONENTS
    else:
        in_features = model_inputs(clean_split(spec.data, "train").x[:1], model).shape[-1]
    net = build_model(model, spec.data, in_features, [0])
    return int(get_kind(model.kind).n_params(net)[0])


def steps_from_below(row: pd.Series, tolerance: float = RETRAIN_TOLERANCE) -> int | str | None:
    """Steps until a method's run-mean validation accuracy reaches Retrain's level, counted only
    from a start below it.

    :param row: a :func:`summary_table` row.
    :param tolerance: "Retrain's level" is its final mean minus this.
    :return: :data:`STARTS_AT_RETRAIN` if the poisoned model already starts at that level, else
        the step (``None`` = never).

    Example:
        >>> row = pd.Series({"val_start": 0.5, "retrain_val_final": 0.9, "steps_to_retrain": 7})
        >>> steps_from_below(row), steps_from_below(row.replace(0.5, 0.95))
        (7, "starts at Retrain's level")
    """
    if row["val_start"] >= row["retrain_val_final"] - tolerance:
        return STARTS_AT_RETRAIN
    steps = row["steps_to_retrain"]
    return None if steps is None or pd.isna(steps) else int(steps)


def amenability_table(summary: pd.DataFrame, series: Sequence[Series]) -> pd.DataFrame:
    """Per series: where its poisoned model starts, Retrain's level, and the steps each
    approximate method needs to reach that level from below (:func:`steps_from_below`).

    :param summary: :func:`summary_table` output.
    :param series: the series to show (those without results are skipped).
    :return: one row per series.
    """
    rows = []
    for s in series:
        start = _row(summary, s, "finetune")
        if start is None:
            continue
        row = {
            "series": s.label,
            "parameters": series_n_params(s),
            "poison reproduced, step 0": f"{start['forget_start']:.3f}",
            "val. acc. step 0": f"{start['val_start']:.3f}",
            f"Retrain level (step {int(start['steps'])})": f"{start['retrain_val_final']:.3f}",
        }
        for method in (*APPROXIMATE, "scrub_kurmanji"):
            r = _row(summary, s, method)
            if r is not None:
                reach = steps_from_below(r)
                row[METHOD_LABELS[method]] = (
                    reach if isinstance(reach, str) else _steps_text(reach, int(r["steps"]))
                )
        rows.append(row)
    return pd.DataFrame(rows)


def describe_amenability(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on whether a series' approximate methods reach Retrain's level from below
    within :data:`QUICK_STEPS` steps.

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :return: Markdown text (``""`` without results).
    """
    start = _row(summary, series, "finetune")
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
    reach = {m: steps_from_below(_row(summary, series, m)) for m in APPROXIMATE}
    quick = [m for m, n in reach.items() if n is not None and n <= QUICK_STEPS]
    slow = [m for m, n in reach.items() if n is None or n > QUICK_STEPS]

    def listed(methods: list[str]) -> str:
        return ", ".join(f"{METHOD_LABELS[m]} {_steps_text(reach[m], steps)}" for m in methods)

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
        params = get_method(name).params()
        params.pop("method")
        rows.append(
            {
                "method": METHOD_LABELS[name],
                "start": "fresh init" if get_method(name).fresh_init else "poisoned model",
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


METRIC_LABELS = {
    "val_accuracy": "validation accuracy",
    "forget_accuracy": "forgetting accuracy",
    "retain_accuracy": "retain accuracy",
    "train_accuracy": "train accuracy",
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
        band(
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


def _row(summary: pd.DataFrame, series: Series, method: str) -> pd.Series | None:
    sel = summary["method"] == method
    for column, value in series.coords.items():
        sel &= summary[column] == value
    rows = summary[sel]
    return rows.iloc[0] if len(rows) else None


def describe_validation(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on a series' validation curves: where Retrain ends, where the approximate
    methods end and when (if ever) they reach Retrain level.

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :return: Markdown text (``""`` if the series has no results).
    """
    retrain = _row(summary, series, "retrain")
    if retrain is None:
        return ""
    steps = int(retrain["steps"])
    parts = []
    for method in (*APPROXIMATE, "scrub_kurmanji"):
        r = _row(summary, series, method)
        if r is None:
            continue
        reach = r["steps_to_retrain"]
        if reach is None or pd.isna(reach):
            when = f"never within {RETRAIN_TOLERANCE} of it"
        elif starts_at_retrain(reach):
            when = STARTS_AT_RETRAIN
        else:
            when = f"Retrain level at step {int(reach)}"
        parts.append(
            f"{METHOD_LABELS[method]} {r['val_final_mean']:.3f} ± {r['val_final_std']:.3f} ({when})"
        )
    return (
        f"**{series.label}.** The poisoned model starts at validation accuracy "
        f"{_row(summary, series, 'finetune')['val_start']:.3f}; after {steps} steps Retrain "
        f"reaches {retrain['val_final_mean']:.3f} ± {retrain['val_final_std']:.3f}, and "
        + "; ".join(parts)
        + "."
    )


def describe_forgetting(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on a series' forgetting curves: the poisoned model's forgetting accuracy,
    Retrain's and the approximate methods' at the last step, and their areas.

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :return: Markdown text (``""`` if the series has no results).
    """
    retrain, start = _row(summary, series, "retrain"), _row(summary, series, "finetune")
    if retrain is None or start is None:
        return ""
    steps = int(retrain["steps"])
    parts = []
    for method in (*APPROXIMATE, "scrub_kurmanji"):
        r = _row(summary, series, method)
        if r is not None:
            parts.append(
                f"{METHOD_LABELS[method]} {r['forget_final_mean']:.3f} "
                f"(area {r['forget_area_mean']:.3f})"
            )
    return (
        f"**{series.label}.** The poisoned model reproduces "
        f"{start['forget_start']:.0%} of the flipped labels (forgetting accuracy at step 0); "
        f"after {steps} steps Retrain's forgetting accuracy is "
        f"{retrain['forget_final_mean']:.3f} (area {retrain['forget_area_mean']:.3f}), and "
        + ", ".join(parts)
        + "."
    )
