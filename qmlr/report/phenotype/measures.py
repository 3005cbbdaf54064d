"""Measures of a phenotype on any model's sweep records: memorization, plateau, α_c, steepest
drop, area; the thresholds every check uses; the per-model table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from qmlr.report.analysis import (
    Interval,
    bootstrap_critical_alpha,
    plateau_end,
    plateau_margin_rows,
    run_matrix,
)
from qmlr.report.uncertainty import RowStatistic, bootstrap_interval
from qmlr.studies.controls_study import paper_n_params as controls_n_params
from qmlr.studies.study import load_records as study_records

#: Memorization is measured under label flipping at the grid points with 0 < α ≤ this. Above
#: α = 0.5 the flipped labels are the majority of each input region, so a model that follows
#: the majority "reproduces" them without memorizing anything.
MEMORIZATION_MAX_ALPHA = 0.4
#: Reproducing at most this fraction of the flipped training labels is "no memorization"
#: (the QNN's phenotype).
NO_MEMORIZATION_LEVEL = 0.2
#: Reproducing at least this fraction of the flipped training labels is "memorizes" (the MLP's
#: phenotype). Between the two levels a model is neither.
MEMORIZES_LEVEL = 0.8
#: The α up to which the paper states the QNN's validation plateau ("up to α ≈ 0.4").
PAPER_PLATEAU_ALPHA = 0.4
#: The α at which the phenotype comparison requires the plateau. The paper states 0.4, but the
#: resilience study's QNNs themselves hold it only to 0.3 on both datasets (their validation
#: drops by more than the tolerance at 0.4), so a "QNN phenotype" demanding 0.4 would exclude
#: the QNN. Set to 0.3 after reading the published resilience curves and before any control
#: result existed; the 0.4 check is still run and reported on every model.
PHENOTYPE_PLATEAU_ALPHA = 0.3
#: The plateau is tested at both α: 0.4 is what the paper states, 0.3 what the resilience
#: chapter's claim-2 check used. Validation must stay within :data:`PLATEAU_TOLERANCE`
#: (:mod:`qmlr.report.analysis`) of its α = 0 value up to the given α.
PLATEAU_ALPHAS = (PHENOTYPE_PLATEAU_ALPHA, PAPER_PLATEAU_ALPHA)
#: α_c (validation crossing 0.5) inside this window is the paper's "transition near 0.5".
TRANSITION_WINDOW = (0.4, 0.6)
#: Sharpness is the steepest fall of the run-mean validation accuracy, per this step of α.
DROP_STEP = 0.1
#: A steepest fall of at least this much accuracy per :data:`DROP_STEP` of α is "sharp".
#: A curve falling steadily from 1 to 0 over α ∈ [0, 1] falls 0.1 per step.
SHARP_DROP_LEVEL = 0.3
#: Either phenotype needs a model that learns the clean task: validation accuracy at α = 0 of at
#: least this. A model near chance keeps a trivial "plateau" at chance and reproduces about
#: half of any labels. Added after the smoke run (where the nearest centroid and the logistic
#: model on XXZ's [Re ψ, Im ψ] sit at chance: random global phases cancel in the class means),
#: before any paper-scale control result existed.
LEARNS_LEVEL = 0.8


#: The two models of the paper; every other model kind of the records is a classical control.
PAPER_MODELS = ("mlp", "qnn")
#: Display names and order of the models (kinds not listed are shown as named, after these).
MODEL_NAMES: dict[str, str] = {
    "mlp": "MLP",
    "qnn": "QNN",
    "centroid": "nearest centroid",
    "logistic": "logistic",
    "logistic-quadratic": "logistic (quadratic features)",
    "mlp-tanh": "MLP (5·tanh logit)",
    "mlp-early-stop": "MLP (early stopping)",
    "mlp-weight-decay": "MLP (weight decay)",
    "mlp-small": "MLP (QNN-sized)",
    "svc-rbf": "SVC (RBF)",
    "knn": "k nearest neighbours",
}


def model_name(kind: str) -> str:
    """Display name of a model kind (the kind itself if unknown).

    Example:
        >>> model_name("centroid"), model_name("new-kind")
        ('nearest centroid', 'new-kind')
    """
    return MODEL_NAMES.get(kind, kind)


def model_order(kinds: Sequence[str]) -> list[str]:
    """The distinct ``kinds`` in display order: :data:`MODEL_NAMES` order, then the rest sorted.

    Example:
        >>> model_order(["knn", "zeta", "qnn", "mlp", "knn"])
        ['mlp', 'qnn', 'knn', 'zeta']
    """
    known = [k for k in MODEL_NAMES if k in set(kinds)]
    return known + sorted(set(kinds) - set(MODEL_NAMES))


# --------------------------------------------------------------------------------------------
# Measures of one curve
# --------------------------------------------------------------------------------------------


def steepest_drop(alphas: np.ndarray, accuracy: np.ndarray, step: float = DROP_STEP) -> float:
    """Largest fall of an accuracy curve between neighbouring grid points, per ``step`` of α.

    :param alphas: increasing noise ratios (at least two).
    :param accuracy: accuracy at each α.
    :param step: the α interval the fall is expressed per.
    :return: ``max_i (acc_i − acc_{i+1}) · step / (α_{i+1} − α_i)``, and 0 if the curve never falls.
    :raises ValueError: for fewer than two points, mismatched lengths or non-increasing α.

    Example:
        >>> steepest_drop(np.array([0.0, 0.2, 0.4]), np.array([1.0, 0.9, 0.5]), step=0.1)
        0.2
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    if alphas.shape != accuracy.shape or alphas.ndim != 1 or alphas.size < 2:
        raise ValueError("steepest_drop needs two 1-D arrays of equal length ≥ 2")
    return float(steepest_drop_rows(alphas, accuracy[None, :], step)[0])


def steepest_drop_rows(
    alphas: np.ndarray, accuracy: np.ndarray, step: float = DROP_STEP
) -> np.ndarray:
    """:func:`steepest_drop` of every row of ``accuracy`` (one curve per row) at once.

    :param alphas: increasing noise ratios, shape (A,) with A ≥ 2.
    :param accuracy: accuracy per curve and α, shape (n, A).
    :param step: the α interval the fall is expressed per.
    :return: the n steepest drops.
    :raises ValueError: for non-increasing α.
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    widths = np.diff(alphas)
    if np.any(widths <= 0):
        raise ValueError("alphas must be strictly increasing")
    falls = (-np.diff(accuracy, axis=1) * step / widths).max(axis=1)
    # max(0.0, nan) is 0.0, and Python's round is the one each value has always been rounded by
    return np.array([round(max(0.0, float(f)), 12) for f in falls], dtype=float)


def memorization(records: pd.DataFrame, max_alpha: float = MEMORIZATION_MAX_ALPHA) -> float:
    """Fraction of the flipped training labels a model reproduces, at 0 < α ≤ ``max_alpha``.

    The mean of the records' ``corrupted_memorized`` (per trained model: the fraction of its
    corrupted training rows predicted with their corrupted label) over runs and those α.

    :param records: records of one curve.
    :param max_alpha: largest α included.
    :return: the fraction, ``nan`` if no record has 0 < α ≤ ``max_alpha``.

    Example:
        >>> memorization(pd.DataFrame({"alpha": [0.0, 0.1, 0.4, 0.8],
        ...                            "corrupted_memorized": [np.nan, 0.1, 0.3, 1.0]}))
        0.2
    """
    values = records.loc[flipped_window(records, max_alpha), "corrupted_memorized"].astype(float)
    return float(round(values.mean(), 12)) if len(values) else float("nan")


def flipped_window(records: pd.DataFrame, max_alpha: float = MEMORIZATION_MAX_ALPHA) -> pd.Series:
    """Which ``records`` lie at 0 < α ≤ ``max_alpha``, where memorization is measured."""
    alpha = records["alpha"].astype(float)
    return (alpha > 0) & (alpha <= max_alpha + 1e-9)


def mean_interval(records: pd.DataFrame, metric: str, keep: pd.Series) -> tuple[Interval, int]:
    """The mean of ``metric`` over the records ``keep`` selects (its runs' mean over their α),
    with its run-bootstrap interval, and the runs (``nan`` and 0 where none is selected)."""
    if not keep.any():
        return Interval(np.nan, np.nan, np.nan), 0
    _, matrix = run_matrix(records[keep], metric)
    interval, _ = bootstrap_interval(RowStatistic(lambda m: np.mean(m, axis=1)), [matrix])
    return interval, matrix.shape[0]


def paper_n_params(dataset: str, kind: str) -> int:
    """Trainable parameters of the paper's MLP or QNN for ``dataset`` (SI IV.A), counted on the
    model as built (:func:`qmlr.studies.controls_study.paper_n_params`).

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param kind: ``"mlp"`` or ``"qnn"``.
    :return: the count.

    Example:
        >>> [paper_n_params(d, k) for d in ("mnist", "xxz") for k in ("mlp", "qnn")]
        [16473, 240, 525409, 192]
    """
    if dataset not in ("mnist", "xxz") or kind not in PAPER_MODELS:
        raise ValueError(f"no paper model {kind!r} for dataset {dataset!r}")
    return int(controls_n_params(dataset, kind))


#: Columns every phenotype record needs.
RECORD_COLUMNS = (
    "dataset",
    "model",
    "corruption",
    "alpha",
    "run",
    "train_accuracy",
    "val_accuracy",
    "corrupted_memorized",
)


def _bounds(name: str, interval: Interval) -> dict[str, float]:
    return {f"{name}_low": interval.low, f"{name}_high": interval.high}


def curve_intervals(group: pd.DataFrame, alphas: np.ndarray, val: np.ndarray) -> dict:
    """Run-to-run bootstrap bounds (:mod:`qmlr.report.uncertainty`) of every measure a check
    reads, for one curve: ``<measure>_low`` / ``_high`` of ``memorization``, ``clean_val``,
    ``steepest_drop``, ``val_area`` (with ``val_area_boot``, its bootstrap samples, for claim
    3's difference between corruptions) and ``plateau_margin_<α>`` for each α of
    :data:`PLATEAU_ALPHAS` (whose point values are returned too).

    :param group: the curve's records.
    :param alphas: its α grid; ``val``: validation accuracy per run and α.
    :return: the columns.
    """
    out = _bounds(
        "memorization", mean_interval(group, "corrupted_memorized", flipped_window(group))[0]
    )
    stats = {
        "clean_val": RowStatistic(lambda v: v[:, 0]),
        "steepest_drop": RowStatistic(lambda v: steepest_drop_rows(alphas, v)),
        "val_area": RowStatistic(lambda v: np.trapezoid(v, alphas, axis=1)),
        **{
            f"plateau_margin_{a:.1f}": RowStatistic(
                lambda v, a=a: plateau_margin_rows(alphas, v, a)
            )
            for a in PLATEAU_ALPHAS
        },
    }
    for name, stat in stats.items():
        interval, samples = bootstrap_interval(stat, [val])
        out |= _bounds(name, interval)
        if name == "val_area":
            out["val_area_boot"] = samples
        if name.startswith("plateau_margin"):
            out[name] = interval.estimate
    return out


def phenotype_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, corruption, model): the measures the phenotypes are judged on.

    :param records: tidy sweep records with :data:`RECORD_COLUMNS` and, optionally,
        ``n_params`` (its mean over the curve's cells; filled from :func:`paper_n_params` for
        the paper's models where missing).
    :return: one row per curve with ``n_params``, ``memorization`` (:func:`memorization`),
        ``clean_val``, ``plateau_end`` (:func:`qmlr.report.analysis.plateau_end`), ``alpha_c`` /
        ``alpha_c_low`` / ``alpha_c_high`` (:func:`qmlr.report.analysis.bootstrap_critical_alpha`),
        ``steepest_drop`` (:func:`steepest_drop`), ``val_area`` (trapezoidal area under the
        run-mean validation curve), ``runs`` and the intervals of :func:`curve_intervals`;
        rows in dataset, corruption, model order.
    """
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records lack the columns {missing}")
    rows = []
    for (dataset, corruption, model), group in records.groupby(
        ["dataset", "corruption", "model"], sort=True
    ):
        alphas, val = run_matrix(group, "val_accuracy")
        mean_val = val.mean(axis=0)
        ac = bootstrap_critical_alpha(alphas, val)
        # mean over cells: constant for most kinds, the support-vector count varies for an SVC
        n_params = float(group["n_params"].mean()) if "n_params" in group else np.nan
        if pd.isna(n_params) and model in PAPER_MODELS:
            n_params = paper_n_params(dataset, model)
        rows.append(
            {
                "dataset": dataset,
                "corruption": corruption,
                "model": model,
                "n_params": n_params,
                "memorization": memorization(group),
                "clean_val": float(mean_val[0]),
                "plateau_end": plateau_end(alphas, mean_val),
                **ac.columns("alpha_c"),
                "steepest_drop": steepest_drop(alphas, mean_val),
                "val_area": float(np.trapezoid(mean_val, alphas)),
                "runs": int(val.shape[0]),
                **curve_intervals(group, alphas, val),
            }
        )
    table = pd.DataFrame(rows)
    order = {k: i for i, k in enumerate(model_order(list(table["model"])))}
    return table.sort_values(
        ["dataset", "corruption", "model"], key=lambda c: c.map(order) if c.name == "model" else c
    ).reset_index(drop=True)


#: The studies whose records the phenotype reads: the paper's MLP and QNN, and the controls.
RECORD_STUDIES = ("resilience", "controls")


def load_records(profile: str = "paper", results_dir: str | Path | None = None) -> pd.DataFrame:
    """The MLP and QNN of the resilience study with every control of the controls study.

    :param profile: ``"paper"`` (committed results) or ``"smoke"`` (live runs).
    :param results_dir: results folder override.
    :return: records with :data:`RECORD_COLUMNS` and ``n_params``.
    """
    parts = [study_records(s, profile, results_dir) for s in RECORD_STUDIES]
    columns = [*RECORD_COLUMNS, "n_params"]
    return pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)
