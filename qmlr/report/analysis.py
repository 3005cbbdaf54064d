"""Summaries of sweep records: curves, critical noise ratios, plateaus, slopes, claim verdicts.

Everything here is a pure function of a tidy records table (one row per trained model, as
written by :func:`qmlr.engine.store.export_records`), so the chapters' numbers and verdicts are
computed, never typed. Every number a verdict reads carries a run-to-run bootstrap interval, and a
threshold inside it makes the verdict *inconclusive at this scale* (:mod:`qmlr.report.uncertainty`).

Example:
    >>> import numpy as np
    >>> critical_alpha(np.array([0.0, 0.4, 0.6]), np.array([1.0, 0.9, 0.3]))
    0.5333333333333333
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from qmlr.report.checks import (
    Bound,
    CheckRow,
    Measured,
    interval_of,
    judge_all,
    profile_judged,
    unfiled,
    validation_sizes,
)
from qmlr.report.uncertainty import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    INTERVAL_LEVEL,  # noqa: F401 (re-exported: the level of every interval)
    Interval,
    RowStatistic,
    ThresholdTest,
    bootstrap_interval,
    percentile_interval,
    validation_size,
)
from qmlr.report.verdict import (  # noqa: F401 (re-exported: chapters import them from here)
    Verdict,
    by_check,
    claims_table,
    judge_outcome,
)

#: A model "holds" a plateau while its mean validation accuracy stays within this of α = 0.
PLATEAU_TOLERANCE = 0.05
#: Train accuracy at or above this counts as memorizing the (corrupted) training labels.
MEMORIZATION_LEVEL = 0.95
#: A lowest train accuracy this close to :data:`MEMORIZATION_LEVEL` is reported as borderline:
#: float-rounding-level changes to training (another Adam kernel) move it by about 0.02.
BORDERLINE_MARGIN = 0.03
#: Claim 1's "continuous compromise": a mean validation slope steeper than this per unit α over
#: α ≤ :data:`SLOPE_MAX_ALPHA` ...
DECAY_SLOPE = -0.2
#: ... and a plateau (:data:`PLATEAU_TOLERANCE`) that ends before this α; claim 2: the QNN's
#: plateau must reach at least this α ...
CLAIM_PLATEAU_ALPHA = 0.3
#: The α range the validation slope is fitted over.
SLOPE_MAX_ALPHA = 0.5
#: ... its critical α (validation accuracy crossing 0.5) must lie in this window ...
ALPHA_C_WINDOW = (0.4, 0.6)
#: ... and its train accuracy stay within this of 1 − α below α = 0.5 (no memorization).
TRAIN_FOLLOWS_TOLERANCE = 0.1
#: α_c is where the run-mean validation accuracy falls to this level (chance for two classes).
CROSSING_LEVEL = 0.5
#: The resilience chapter calls the XXZ MLP's memorization phase-dependent when its lowest
#: train accuracy under the two phase conventions differs by more than this.
PHASE_MEMORIZATION_GAP = 0.2


def curves(
    records: pd.DataFrame,
    by: Sequence[str],
    metrics: Sequence[str] = ("train_accuracy", "val_accuracy"),
) -> pd.DataFrame:
    """Mean and standard deviation over runs of each metric, per group and α.

    :param records: tidy records with an ``alpha`` column.
    :param by: grouping columns, e.g. ``["dataset", "model", "corruption"]``.
    :param metrics: metric columns.
    :return: a frame indexed by ``(*by, alpha)`` with columns ``<metric>_mean``, ``<metric>_std``,
        ``runs``.
    """
    grouped = records.groupby([*by, "alpha"], sort=True)
    out = pd.DataFrame({"runs": grouped.size()})
    for m in metrics:
        out[f"{m}_mean"] = grouped[m].mean()
        out[f"{m}_std"] = grouped[m].std(ddof=0)
    return out


def critical_alpha(
    alphas: np.ndarray, accuracy: np.ndarray, threshold: float = CROSSING_LEVEL
) -> float:
    """First α at which the accuracy curve falls to ``threshold`` (linear interpolation).

    :param alphas: increasing noise ratios.
    :param accuracy: accuracy at each α.
    :param threshold: level that defines the transition.
    :return: the crossing α, or ``nan`` if the curve never reaches the threshold.

    Example:
        >>> critical_alpha(np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.75, 0.25]))
        0.75
    """
    return float(critical_alpha_rows(alphas, np.asarray(accuracy, float)[None, :], threshold)[0])


def critical_alpha_rows(
    alphas: np.ndarray, accuracy: np.ndarray, threshold: float = CROSSING_LEVEL
) -> np.ndarray:
    """:func:`critical_alpha` of every row of ``accuracy`` (one curve per row) at once.

    :param alphas: increasing noise ratios, shape (A,).
    :param accuracy: accuracy per curve and α, shape (n, A).
    :param threshold: level that defines the transition.
    :return: the n crossing α (``nan`` where a curve never reaches the threshold).
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    below = accuracy <= threshold  # a NaN point never counts as reached
    first = below.argmax(axis=1)
    out = np.full(len(accuracy), np.nan)
    out[below[:, 0]] = alphas[0]
    rows = np.flatnonzero(below.any(axis=1) & (first > 0))
    i = first[rows]
    a0, a1 = alphas[i - 1], alphas[i]
    v0, v1 = accuracy[rows, i - 1], accuracy[rows, i]
    with np.errstate(invalid="ignore"):  # a NaN point before the crossing
        out[rows] = a0 + (v0 - threshold) * (a1 - a0) / (v0 - v1)
    return out


def bootstrap_critical_alpha(
    alphas: np.ndarray,
    runs: np.ndarray,
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    threshold: float = CROSSING_LEVEL,
) -> Interval:
    """α_c of the run-averaged curve, with its bootstrap interval over runs
    (:data:`~qmlr.report.uncertainty.INTERVAL_LEVEL`).

    :param alphas: noise ratios, shape (A,).
    :param runs: validation accuracy per run, shape (R, A).
    :param n_boot: bootstrap resamples of the runs.
    :param seed: seed of the resampling.
    :param threshold: transition level.
    :return: the estimate and its interval (``nan`` where curves never cross).
    """
    statistic = RowStatistic(lambda v: critical_alpha_rows(alphas, v, threshold))
    interval, _ = bootstrap_interval(statistic, [runs], n_boot=n_boot, seed=seed)
    return interval


def plateau_end(
    alphas: np.ndarray, accuracy: np.ndarray, tolerance: float = PLATEAU_TOLERANCE
) -> float:
    """Largest α up to which the curve stays within ``tolerance`` of its α = 0 value."""
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    ok = accuracy >= accuracy[0] - tolerance
    end = alphas[0]
    for a, good in zip(alphas, ok, strict=True):
        if not good:
            break
        end = a
    return float(end)


def slope(alphas: np.ndarray, accuracy: np.ndarray, max_alpha: float = SLOPE_MAX_ALPHA) -> float:
    """Least-squares slope of accuracy vs α over ``α <= max_alpha``; NaN when fewer than two
    grid points lie there (a coarse profile's grid), since no slope is defined.

    Example:
        >>> round(slope(np.array([0.0, 0.2, 0.6]), np.array([1.0, 0.9, 0.4])), 6)
        -0.5
        >>> slope(np.array([0.0, 0.6]), np.array([1.0, 0.4]))
        nan
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    keep = alphas <= max_alpha + 1e-9
    if keep.sum() < 2:
        return float("nan")
    x = alphas[keep] - alphas[keep].mean()  # the closed form of a degree-1 polyfit's slope
    return float(x @ (accuracy[keep] - accuracy[keep].mean()) / (x @ x))


def run_matrix(
    records: pd.DataFrame, metric: str = "val_accuracy"
) -> tuple[np.ndarray, np.ndarray]:
    """(alphas, runs x alphas matrix) of one curve's records: ``records.pivot_table(index="run",
    columns="alpha", values=metric)`` (runs and α sorted, runs or α without a value dropped),
    filled directly where each (run, α) has one record, as a curve's records do.

    Example:
        >>> records = pd.DataFrame({"run": [1, 0, 0], "alpha": [0.0, 0.2, 0.0],
        ...                         "val_accuracy": [0.5, np.nan, 1.0]})
        >>> alphas, matrix = run_matrix(records)
        >>> alphas.tolist(), matrix.tolist()
        ([0.0], [[1.0], [0.5]])
    """
    values = records[metric]
    runs, alphas = records["run"], records["alpha"]
    keyed = runs.notna().to_numpy() & alphas.notna().to_numpy()
    if values.dtype.kind in "biuf" and runs.dtype.kind in "iu" and keyed.all() and len(records):
        run_ids, rows = np.unique(runs.to_numpy(), return_inverse=True)
        alpha_ids, cols = np.unique(alphas.to_numpy(float), return_inverse=True)
        if len(np.unique(rows * len(alpha_ids) + cols)) == len(records):  # one record per cell
            matrix = np.full((len(run_ids), len(alpha_ids)), np.nan)
            matrix[rows, cols] = values.to_numpy(float)
            found = ~np.isnan(matrix)
            keep_rows, keep_cols = found.any(axis=1), found.any(axis=0)
            return alpha_ids[keep_cols], matrix[keep_rows][:, keep_cols]
    table = records.pivot_table(index="run", columns="alpha", values=metric)
    return table.columns.to_numpy(float), table.to_numpy(float)


def plateau_margin(alphas: np.ndarray, accuracy: np.ndarray, up_to: float) -> float:
    """Lowest ``accuracy(α) − accuracy(0)`` over ``0 < α ≤ up_to``: the plateau holds to
    ``up_to`` (:func:`plateau_end` ≥ ``up_to``) exactly when this is ≥ −tolerance. A continuous
    number, so a bootstrap interval can be put on the plateau test.

    Example:
        >>> round(plateau_margin(np.array([0.0, 0.1, 0.2, 0.3]), np.array([1.0, 0.97, 0.9, 0.5]),
        ...                      0.2), 6)
        -0.1
    """
    return float(plateau_margin_rows(alphas, np.asarray(accuracy, float)[None, :], up_to)[0])


def plateau_margin_rows(alphas: np.ndarray, accuracy: np.ndarray, up_to: float) -> np.ndarray:
    """:func:`plateau_margin` of every row of ``accuracy`` (one curve per row) at once.

    :param alphas: noise ratios, shape (A,).
    :param accuracy: accuracy per curve and α, shape (n, A).
    :param up_to: the plateau's end.
    :return: the n margins (``nan`` where no α lies in ``(0, up_to]``).
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    keep = (alphas > 0) & (alphas <= up_to + 1e-9)
    if not keep.any():
        return np.full(len(accuracy), np.nan)
    return np.min(accuracy[:, keep] - accuracy[:, :1], axis=1)


def train_deviation(alphas: np.ndarray, train: np.ndarray) -> float:
    """Largest ``|train accuracy − (1 − α)|`` below α = 0.5 (claim 2's "train ≈ 1 − α")."""
    return float(train_deviation_rows(alphas, np.asarray(train, float)[None, :])[0])


def train_deviation_rows(alphas: np.ndarray, train: np.ndarray) -> np.ndarray:
    """:func:`train_deviation` of every row of ``train`` (one curve per row) at once."""
    below = np.asarray(alphas) < 0.5
    return np.max(np.abs(train[:, below] - (1 - np.asarray(alphas)[below])), axis=1)


def _curve_statistics(alphas: np.ndarray) -> dict[str, Callable[..., float]]:
    """The statistics of :func:`curve_summary` with an interval, as functions of the run-mean
    validation and train curves (all but the slope on every resample at once)."""
    return {
        "min_train": RowStatistic(lambda v, t: np.min(t, axis=1)),
        "val_slope": lambda v, t: slope(alphas, v),
        "plateau_margin": RowStatistic(
            lambda v, t: plateau_margin_rows(alphas, v, CLAIM_PLATEAU_ALPHA)
        ),
        "train_minus_1_minus_alpha": RowStatistic(lambda v, t: train_deviation_rows(alphas, t)),
        "val_area": RowStatistic(lambda v, t: np.trapezoid(v, alphas, axis=1)),
    }


def curve_summary(records: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per curve: clean accuracy, plateau end, α_c, slope, memorization, each number a verdict
    reads with its run-to-run bootstrap interval (:mod:`qmlr.report.uncertainty`).

    :param records: tidy records.
    :param by: columns that identify one curve, e.g. ``["dataset", "model", "corruption"]``.
    :return: one row per curve; ``<statistic>_low`` / ``_high`` bound the intervals, and
        ``val_area_boot`` holds the area's bootstrap samples (differences between curves of
        equal run counts resample the same runs).
    """
    rows = []
    for key, group in records.groupby(list(by), sort=True):
        alphas, val = run_matrix(group, "val_accuracy")
        _, train = run_matrix(group, "train_accuracy")
        mean_val = val.mean(axis=0)
        ac = bootstrap_critical_alpha(alphas, val)
        row = {
            **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
            "clean_val": float(mean_val[0]),
            "plateau_end": plateau_end(alphas, mean_val),
            **ac.columns("alpha_c"),
        }
        for name, stat in _curve_statistics(alphas).items():
            interval, samples = bootstrap_interval(stat, [val, train])
            row |= interval.columns(name)
            if name == "val_area":
                row["val_area_boot"] = samples
        rows.append(row | {"runs": int(val.shape[0])})
    return pd.DataFrame(rows)


#: Claim 1's memorization: the lowest mean train accuracy at least :data:`MEMORIZATION_LEVEL`.
MEMORIZES = Bound("min_train", "lowest train accuracy", (MEMORIZATION_LEVEL,), ">=")
#: Claim 1's continuous compromise: a slope below :data:`DECAY_SLOPE` and no plateau to
#: α = :data:`CLAIM_PLATEAU_ALPHA` (its point answer reads the plateau's end).
DECAYS = (
    Bound("val_slope", "validation slope", (DECAY_SLOPE,), "<"),
    Bound("plateau_margin", "plateau margin", (-PLATEAU_TOLERANCE,), "<",
          point=("plateau_end", "<", CLAIM_PLATEAU_ALPHA)),
)  # fmt: skip
#: Claim 2's plateau to α = :data:`CLAIM_PLATEAU_ALPHA` and α_c in :data:`ALPHA_C_WINDOW`.
PLATEAU_TRANSITION = (
    Bound("plateau_margin", "plateau margin", (-PLATEAU_TOLERANCE,), ">=",
          point=("plateau_end", ">=", CLAIM_PLATEAU_ALPHA)),
    Bound("alpha_c", "α_c", ALPHA_C_WINDOW, "in"),
)  # fmt: skip
#: Claim 2's "train ≈ 1 − α" (no memorization).
TRAIN_FOLLOWS = Bound(
    "train_minus_1_minus_alpha", "train deviation from 1 − α", (TRAIN_FOLLOWS_TOLERANCE,), "<="
)


def qnn_tests(row: pd.Series, with_train: bool = True) -> list[ThresholdTest]:
    """Claim 2 for one curve: :data:`PLATEAU_TRANSITION` and (``with_train``)
    :data:`TRAIN_FOLLOWS`."""
    return [b.test(row) for b in (*PLATEAU_TRANSITION, *([TRAIN_FOLLOWS] if with_train else []))]


DATASET_NAMES = {"mnist": "MNIST 1 vs 9", "xxz": "XXZ"}


def curve_row(summary: pd.DataFrame, **where) -> pd.Series:
    """The single row of ``summary`` matching ``where`` (column=value pairs)."""
    mask = np.ones(len(summary), dtype=bool)
    for k, v in where.items():
        mask &= (summary[k] == v).to_numpy()
    rows = summary[mask]
    if len(rows) != 1:
        raise ValueError(f"expected one curve for {where}, found {len(rows)}")
    return rows.iloc[0]


def mlp_claim_text(name: str) -> str:
    """Claim 1 as tested on one curve named ``name``."""
    return (
        f"{name}, MLP, label flipping: train ≈ 1 at every α, validation falls steadily from α = 0"
    )


def qnn_claim_text(name: str) -> str:
    """Claim 2 as tested on one curve named ``name``."""
    return (
        f"{name}, QNN, label flipping: plateau up to α ≈ 0.4, sharp drop near α ≈ 0.5, "
        "train ≈ 1 − α"
    )


def mlp_measure(row: pd.Series, name: str, judged: bool, n_val: int | None) -> Measured:
    """Claim 1 on one MLP label-flipping curve: :data:`MEMORIZES` and :data:`DECAYS`."""
    memorizes = MEMORIZES.test(row)
    status = "memorizes" if memorizes.passes else "does not memorize"
    if abs(row["min_train"] - MEMORIZATION_LEVEL) < BORDERLINE_MARGIN:
        status += f", borderline: within {BORDERLINE_MARGIN} of the {MEMORIZATION_LEVEL} threshold"
    evidence = (
        f"{name}: lowest mean train accuracy {interval_of(row, 'min_train')} ({status}); "
        f"validation slope {interval_of(row, 'val_slope')} per unit α over "
        f"α ≤ {SLOPE_MAX_ALPHA}, within {PLATEAU_TOLERANCE} of clean up to "
        f"α = {row['plateau_end']:.1f} (lowest change from clean up to "
        f"α = {CLAIM_PLATEAU_ALPHA}: {interval_of(row, 'plateau_margin')})"
    )
    tests = (memorizes, *(b.test(row) for b in DECAYS))
    return Measured(evidence, tests, judged, validation_sizes(n_val))


def qnn_measure(
    row: pd.Series, name: str, judged: bool, n_val: int | None, with_train: bool = True
) -> Measured:
    """Claim 2 on one QNN label-flipping curve: :func:`qnn_tests`."""
    evidence = (
        f"{name}: validation within {PLATEAU_TOLERANCE} of clean ({row['clean_val']:.3f}) up to "
        f"α = {row['plateau_end']:.1f} (lowest change from clean up to α = "
        f"{CLAIM_PLATEAU_ALPHA}: {interval_of(row, 'plateau_margin')}); "
        f"α_c = {interval_of(row, 'alpha_c')}; "
        "largest deviation of train accuracy from 1 − α below α = 0.5: "
        f"{interval_of(row, 'train_minus_1_minus_alpha')}"
    )
    return Measured(evidence, tuple(qnn_tests(row)), judged, validation_sizes(n_val))


def mlp_claim(row: pd.Series, name: str, profile: str, n_val: int | None = None) -> Verdict:
    """Claim 1 for one MLP label-flipping curve, unfiled (:func:`mlp_measure`)."""
    return unfiled(mlp_claim_text(name), mlp_measure(row, name, profile_judged(profile), n_val))


def qnn_claim(row: pd.Series, name: str, profile: str, n_val: int | None = None) -> Verdict:
    """Claim 2 for one QNN label-flipping curve, unfiled (:func:`qnn_measure`)."""
    return unfiled(qnn_claim_text(name), qnn_measure(row, name, profile_judged(profile), n_val))


def area_difference_test(
    feature: pd.Series, flip: pd.Series, label: str, column: str = "val_area"
) -> ThresholdTest:
    """Claim 3 for one model: area under the validation curve larger under feature
    randomization than under label flipping; the interval is that of the difference, from the
    two curves' bootstrap samples (:func:`curve_summary`). With another ``column`` (and its
    ``<column>_boot`` samples), the same test that ``feature``'s area exceeds ``flip``'s."""
    diff = float(feature[column] - flip[column])
    samples = np.asarray(feature[f"{column}_boot"]) - np.asarray(flip[f"{column}_boot"])
    return ThresholdTest(label, percentile_interval(diff, samples), (0.0,), diff > 0)


def area_comparison(feature: pd.Series, flip: pd.Series, label: str) -> tuple[ThresholdTest, str]:
    """:func:`area_difference_test` and its evidence: both areas and their difference."""
    test = area_difference_test(feature, flip, label)
    areas = f"{feature['val_area']:.3f} (features) vs {flip['val_area']:.3f} (labels)"
    return test, f"{areas}, difference {test.value}"


def corruption_measure(summary: pd.DataFrame, dataset: str, judged: bool) -> Measured:
    """Claim 3 on one dataset: both models' area differences (:func:`area_difference_test`)."""
    parts, tests = [], []
    for model in ("mlp", "qnn"):
        flip = curve_row(summary, dataset=dataset, model=model, corruption="label_flip")
        feat = curve_row(summary, dataset=dataset, model=model, corruption="feature_random")
        test, areas = area_comparison(feat, flip, f"{model.upper()} area difference")
        tests.append(test)
        parts.append(f"{model.upper()} area under validation curve {areas}")
    evidence = f"{DATASET_NAMES[dataset]}: " + "; ".join(parts)
    return Measured(evidence, tuple(tests), judged, validation_sizes(validation_size(dataset)))


def _flip_row(data: tuple[pd.DataFrame, str], dataset: str, model: str) -> pd.Series:
    return curve_row(data[0], dataset=dataset, model=model, corruption="label_flip")


def resilience_rows(datasets: Sequence[str]) -> list[CheckRow]:
    """Claims 1–3 on each dataset, as rows (data: the resilience summary and the profile)."""
    rows = []
    for d in datasets:
        name, n = DATASET_NAMES[d], validation_size(d)
        rows += [
            CheckRow(f"mlp-memorizes-decays/{d}", 1, "resilience", True, name, mlp_claim_text(name),
                     lambda x, d=d, name=name, n=n: mlp_measure(
                         _flip_row(x, d, "mlp"), name, profile_judged(x[1]), n)),
            CheckRow(f"qnn-plateau-transition/{d}", 2, "resilience", True, name,
                     qnn_claim_text(name), lambda x, d=d, name=name, n=n: qnn_measure(
                         _flip_row(x, d, "qnn"), name, profile_judged(x[1]), n)),
            CheckRow(f"features-milder/{d}", 3, "resilience", True, name,
                     f"{name}: feature randomization hurts both models far less than label "
                     "flipping", lambda x, d=d: corruption_measure(x[0], d, profile_judged(x[1]))),
        ]  # fmt: skip
    return rows


def resilience_verdicts(summary: pd.DataFrame, profile: str) -> list[Verdict]:
    """Claims 1–3 for every dataset of a resilience summary (:func:`curve_summary` by
    dataset, model, corruption): :func:`resilience_rows` judged."""
    return judge_all(resilience_rows(sorted(summary["dataset"].unique())), (summary, profile))


#: Claim 4's halves, by model: the bounds each curve must pass, what passing means, and the
#: number shown per curve (its name and column).
CAPACITY_HALVES = {
    "mlp": (DECAYS, "MLP widths decay from α = 0", "slopes", "val_slope"),
    "qnn": (PLATEAU_TRANSITION, "QNN depths show plateau + transition", "α_c", "alpha_c"),
}


def capacity_measure(summary: pd.DataFrame, judged: bool, mlp_only: bool = False) -> Measured:
    """Claim 4 on a :func:`curve_summary` by model and ``model_label``: every MLP width decays
    (:data:`DECAYS`), every QNN depth shows plateau + transition (:data:`PLATEAU_TRANSITION`);
    with ``mlp_only``, the MLP half only, each slope after its width."""
    parts, tests = [], []
    for model in ("mlp",) if mlp_only else CAPACITY_HALVES:
        bounds, what, number, column = CAPACITY_HALVES[model]
        rows = [r for _, r in summary[summary["model"] == model].iterrows()]
        ok = sum(all(b.passes(r) for b in bounds) for r in rows)
        label = (lambda r: f"{r['model_label']}: ") if mlp_only else (lambda r: "")
        shown = ", ".join(label(r) + str(interval_of(r, column)) for r in rows)
        parts.append(f"{ok}/{len(rows)} {what} ({number} {shown})")
        tests += [b.test(r) for r in rows for b in bounds]
    evidence = "; ".join(parts)
    return Measured(evidence, tuple(tests), judged, validation_sizes(validation_size("xxz")))


#: Claim 4 beyond the paper: the capacity sweep's MLP widths again, with canonical XXZ phases.
CANONICAL_CAPACITY_CLAIM = (
    "Beyond the paper: every MLP width, trained on canonical-phase XXZ states, decays continuously"
)

#: Claim 4 and its canonical-phase check (data: the capacity summary, the canonical-phase
#: MLPs' summary, the profile).
CAPACITY_ROWS = (
    CheckRow("capacity-sweep", 4, "capacity", True, "Fig. S1 widths and depths",
             "Capacity (Fig. S1): every MLP decays continuously, every QNN depth has plateau + "
             "transition", lambda x: capacity_measure(x[0], profile_judged(x[2]))),
    CheckRow("capacity-canonical-phases", 4, "capacity", False, "MLP widths, canonical XXZ phases",
             CANONICAL_CAPACITY_CLAIM,
             lambda x: capacity_measure(x[1], profile_judged(x[2]), mlp_only=True)),
)  # fmt: skip


def capacity_verdicts(
    summary: pd.DataFrame, canonical_summary: pd.DataFrame, profile: str
) -> list[Verdict]:
    """:data:`CAPACITY_ROWS` judged, as the capacity chapter tables them.

    :param summary: :func:`curve_summary` of the capacity study by model and ``model_label``.
    :param canonical_summary: the same for the canonical-phase MLPs of the phase-sensitivity
        study (label flipping).
    :param profile: the profile the curves came from.
    :return: ``[claim 4, canonical-phase MLP decay]``.
    """
    return judge_all(CAPACITY_ROWS, (summary, canonical_summary, profile))
