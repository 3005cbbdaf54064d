"""Summaries of sweep records: curves, critical noise ratios, plateaus, slopes, claim verdicts.

Everything here is a pure function of a tidy records table (one row per trained model, as
written by :func:`qmlr.store.export_records`), so the chapters' numbers and verdicts are computed,
never typed.

Example:
    >>> import numpy as np
    >>> critical_alpha(np.array([0.0, 0.4, 0.6]), np.array([1.0, 0.9, 0.3]))
    0.5333333333333333
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A model "holds" a plateau while its mean validation accuracy stays within this of α = 0.
PLATEAU_TOLERANCE = 0.05
#: Train accuracy at or above this counts as memorizing the (corrupted) training labels.
MEMORIZATION_LEVEL = 0.95


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


def critical_alpha(alphas: np.ndarray, accuracy: np.ndarray, threshold: float = 0.5) -> float:
    """First α at which the accuracy curve falls to ``threshold`` (linear interpolation).

    :param alphas: increasing noise ratios.
    :param accuracy: accuracy at each α.
    :param threshold: level that defines the transition.
    :return: the crossing α, or ``nan`` if the curve never reaches the threshold.
    """
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    if accuracy[0] <= threshold:
        return float(alphas[0])
    for i in range(1, len(alphas)):
        if accuracy[i] <= threshold:
            a0, a1, v0, v1 = alphas[i - 1], alphas[i], accuracy[i - 1], accuracy[i]
            return float(a0 + (v0 - threshold) * (a1 - a0) / (v0 - v1))
    return float("nan")


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        if np.isnan(self.estimate):
            return "none"
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_critical_alpha(
    alphas: np.ndarray, runs: np.ndarray, n_boot: int = 2000, seed: int = 0, threshold: float = 0.5
) -> Interval:
    """α_c of the run-averaged curve, with a 95% bootstrap interval over runs.

    :param alphas: noise ratios, shape (A,).
    :param runs: validation accuracy per run, shape (R, A).
    :param n_boot: bootstrap resamples of the runs.
    :param seed: seed of the resampling.
    :param threshold: transition level.
    :return: the estimate and its interval (``nan`` where curves never cross).
    """
    runs = np.asarray(runs, float)
    estimate = critical_alpha(alphas, runs.mean(axis=0), threshold)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, runs.shape[0], size=(n_boot, runs.shape[0]))
    samples = np.array([critical_alpha(alphas, runs[p].mean(axis=0), threshold) for p in picks])
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return Interval(estimate, float("nan"), float("nan"))
    low, high = np.percentile(samples, [2.5, 97.5])
    return Interval(estimate, float(low), float(high))


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


def slope(alphas: np.ndarray, accuracy: np.ndarray, max_alpha: float = 0.5) -> float:
    """Least-squares slope of accuracy vs α over ``α <= max_alpha``."""
    alphas, accuracy = np.asarray(alphas, float), np.asarray(accuracy, float)
    keep = alphas <= max_alpha + 1e-9
    return float(np.polyfit(alphas[keep], accuracy[keep], 1)[0])


def run_matrix(
    records: pd.DataFrame, metric: str = "val_accuracy"
) -> tuple[np.ndarray, np.ndarray]:
    """(alphas, runs x alphas matrix) of one curve's records."""
    table = records.pivot_table(index="run", columns="alpha", values=metric)
    return table.columns.to_numpy(float), table.to_numpy(float)


def curve_summary(records: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per curve: clean accuracy, plateau end, α_c with bootstrap interval, slope, memorization.

    :param records: tidy records.
    :param by: columns that identify one curve, e.g. ``["dataset", "model", "corruption"]``.
    :return: one row per curve.
    """
    rows = []
    for key, group in records.groupby(list(by), sort=True):
        alphas, val = run_matrix(group, "val_accuracy")
        _, train = run_matrix(group, "train_accuracy")
        mean_val, mean_train = val.mean(axis=0), train.mean(axis=0)
        ac = bootstrap_critical_alpha(alphas, val)
        below = alphas < 0.5
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
                "clean_val": float(mean_val[0]),
                "plateau_end": plateau_end(alphas, mean_val),
                "alpha_c": ac.estimate,
                "alpha_c_low": ac.low,
                "alpha_c_high": ac.high,
                "val_slope": slope(alphas, mean_val),
                "min_train": float(mean_train.min()),
                "train_minus_1_minus_alpha": float(
                    np.max(np.abs(mean_train[below] - (1 - alphas[below])))
                ),
                "val_area": float(np.trapezoid(mean_val, alphas)),
                "runs": int(val.shape[0]),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Verdict:
    """A claim, the measured evidence, and whether it reproduced."""

    claim: str
    evidence: str
    reproduced: bool | None

    @property
    def label(self) -> str:
        """``reproduced``, ``not reproduced`` or ``not evaluated``."""
        if self.reproduced is None:
            return "not evaluated"
        return "reproduced" if self.reproduced else "not reproduced"


def claims_table(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """The verdicts as a display table."""
    return pd.DataFrame(
        {
            "claim": [v.claim for v in verdicts],
            "measured evidence": [v.evidence for v in verdicts],
            "verdict": [v.label for v in verdicts],
        }
    )


def memorizes_and_decays(row: pd.Series) -> tuple[bool, bool]:
    """Claim 1 for one MLP curve: (train ≥ 0.95 at every α, validation decays from α = 0)."""
    memorizes = row["min_train"] >= MEMORIZATION_LEVEL
    decays = row["val_slope"] < -0.2 and row["plateau_end"] < 0.3
    return bool(memorizes), bool(decays)


def plateau_and_transition(row: pd.Series) -> tuple[bool, bool, bool]:
    """Claim 2 for one QNN curve: (plateau to α ≥ 0.3, α_c in [0.4, 0.6], train ≈ 1 − α)."""
    plateau = row["plateau_end"] >= 0.3
    transition = 0.4 <= row["alpha_c"] <= 0.6 if not np.isnan(row["alpha_c"]) else False
    no_memorization = row["train_minus_1_minus_alpha"] <= 0.1
    return bool(plateau), bool(transition), bool(no_memorization)
