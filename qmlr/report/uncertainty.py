"""Run-to-run uncertainty of the numbers verdicts read, and the rule that turns it into a verdict.

Every number a verdict compares with a threshold (a lowest train accuracy, a slope, a plateau, a
critical noise ratio, a memorization fraction, ...) is a statistic of the run-averaged curves of
a few independent runs. This module puts a bootstrap interval over runs on each of them — the
runs of a curve are resampled with replacement, the statistic recomputed on the resampled run
means — and fixes **one rule**, the same for every verdict:

* a threshold test whose threshold lies inside the interval of the number it judges is
  *inconclusive at this scale*;
* a verdict made of several tests (all must pass) is *not reproduced* if any test fails
  conclusively, *inconclusive at this scale* if none fails conclusively but one is
  inconclusive, and *reproduced* if every test passes conclusively (three-valued "and").

The interval level, the number of resamples and the seed are the named constants below, fixed
(and committed) before the verdicts they change were listed. The interval is a statement about
run-to-run variation only; the validation-set size each accuracy was measured on
(:func:`validation_size`) is reported beside it.

Example:
    >>> import numpy as np
    >>> runs = np.array([[1.0, 0.8], [1.0, 0.9], [1.0, 1.0]])
    >>> interval, _ = bootstrap_interval(lambda m: float(m[1]), [runs])
    >>> round(interval.estimate, 3), interval.low <= 0.9 <= interval.high
    (0.9, True)
    >>> ThresholdTest("x", interval, (0.95,), True).outcome is None
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from qmlr.core.data import load_dataset

#: Two-sided level of every run-to-run interval a verdict reads (percentile bootstrap).
INTERVAL_LEVEL = 0.95
#: Bootstrap resamples of the runs behind every interval.
BOOTSTRAP_RESAMPLES = 2000
#: Seed of the resampling (the same picks for every curve with the same number of runs).
BOOTSTRAP_SEED = 0
#: The label of a verdict whose threshold lies inside the interval of the number it judges.
INCONCLUSIVE_LABEL = "inconclusive at this scale"
#: A threshold this close to a bound of an interval lies inside it: accuracies are fractions of
#: small sets, so a bound can equal a threshold exactly and differ from it only by rounding
#: (e.g. a gap of 3/24 − 0.6/24 computed as 0.09999999999999999 against a threshold of 0.1).
BOUND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap percentile interval.

    Example:
        >>> str(Interval(0.5, 0.45, 0.55))
        '0.500 [0.450, 0.550]'
    """

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        if np.isnan(self.estimate):
            return "none"
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def text(self) -> str:
        """As :meth:`__str__`, in three significant digits where three decimals would hide the
        number (below 0.001 or from 10 000 in size).

        Example:
            >>> Interval(2.6e-13, 8.3e-14, 2.6e-13).text(), Interval(0.5, 0.4, 0.6).text()
            ('2.6e-13 [8.3e-14, 2.6e-13]', '0.500 [0.400, 0.600]')
        """
        size = max(abs(self.estimate), abs(self.low), abs(self.high))
        if not np.isfinite(size) or size == 0 or 1e-3 <= size < 1e4:
            return str(self)
        return f"{self.estimate:.3g} [{self.low:.3g}, {self.high:.3g}]"

    def columns(self, name: str) -> dict[str, float]:
        """The interval as the columns ``name``, ``name_low``, ``name_high`` of a summary row
        (read back by :func:`qmlr.report.checks.interval_of`).

        Example:
            >>> Interval(0.5, 0.4, 0.6).columns("x")
            {'x': 0.5, 'x_low': 0.4, 'x_high': 0.6}
        """
        return {name: self.estimate, f"{name}_low": self.low, f"{name}_high": self.high}

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``, bounds widened by
        :data:`BOUND_TOLERANCE` (never, where the interval is undefined).

        Example:
            >>> Interval(0.5, 0.4, 0.6).contains(0.6), Interval(0.5, np.nan, np.nan).contains(0.5)
            (True, False)
            >>> Interval(0.05, 0.0, 0.125 - 0.025).contains(0.1)  # 0.09999999999999999
            True
        """
        return bool(self.low - BOUND_TOLERANCE <= value <= self.high + BOUND_TOLERANCE)


def bootstrap_picks(n_runs: int, n_boot: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED):
    """Run indices of each bootstrap resample, shape ``(n_boot, n_runs)``.

    :param n_runs: runs of the curve (at least one).
    :param n_boot: resamples.
    :param seed: seed of the draw.
    :return: integer array.
    :raises ValueError: for fewer than one run or resample.

    Example:
        >>> bootstrap_picks(3, 4).shape
        (4, 3)
    """
    if n_runs < 1 or n_boot < 1:
        raise ValueError(f"need at least one run and one resample, got {n_runs}, {n_boot}")
    return np.random.default_rng(seed).integers(0, n_runs, size=(n_boot, n_runs))


def percentile_interval(
    estimate: float, samples: np.ndarray, level: float = INTERVAL_LEVEL
) -> Interval:
    """The ``level`` percentile interval of the finite ``samples`` around ``estimate``.

    :param estimate: the statistic on the observed runs.
    :param samples: its bootstrap samples (NaN samples are dropped).
    :param level: two-sided level in (0, 1).
    :return: the interval (``nan`` bounds where no sample is finite).

    Example:
        >>> str(percentile_interval(0.5, np.linspace(0.0, 1.0, 101), 0.9))
        '0.500 [0.050, 0.950]'
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    samples = np.asarray(samples, float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return Interval(float(estimate), float("nan"), float("nan"))
    tail = round(50.0 * (1.0 - level), 10)
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return Interval(float(estimate), float(low), float(high))


@dataclass(frozen=True)
class RowStatistic:
    """A statistic of run-mean curves computed on many curves at once: ``rows`` maps
    ``(n, points)`` arrays (one per matrix, row ``i`` of each belonging together) to the ``n``
    values. Called on single curves it is the same function (its row of one), so an estimate and
    its bootstrap samples come from one code path; :func:`bootstrap_interval` calls ``rows``
    once on all distinct resamples instead of once per resample.

    :param rows: the statistic on stacked curves.

    Example:
        >>> first = RowStatistic(lambda v: v[:, 0])
        >>> first(np.array([0.25, 1.0])), first.rows(np.array([[0.5, 1.0], [0.75, 0.0]])).tolist()
        (0.25, [0.5, 0.75])
    """

    rows: Callable[..., np.ndarray]

    def __call__(self, *curves: np.ndarray) -> float:
        return float(self.rows(*(np.asarray(c, float)[None, :] for c in curves))[0])


def bootstrap_interval(
    statistic: Callable[..., float],
    matrices: Sequence[np.ndarray],
    n_boot: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = INTERVAL_LEVEL,
) -> tuple[Interval, np.ndarray]:
    """A statistic of one curve's run means, with its bootstrap interval over runs.

    :param statistic: called with the run mean of each matrix (in order), returns a number; a
        :class:`RowStatistic` is called once on all resamples.
    :param matrices: ``(runs, points)`` arrays of one curve that share their runs (rows), e.g.
        validation and train accuracy per run and α; the runs are resampled jointly.
    :param n_boot: resamples.
    :param seed: seed of the resampling.
    :param level: two-sided level.
    :return: the interval and the bootstrap samples (for differences between curves resampled
        with the same seed).

    Example:
        >>> runs = np.array([[0.0], [1.0]])
        >>> interval, samples = bootstrap_interval(lambda m: float(m[0]), [runs], n_boot=50)
        >>> interval.estimate, samples.shape, set(np.unique(samples)) <= {0.0, 0.5, 1.0}
        (0.5, (50,), True)
    """
    mats = [np.asarray(m, float) for m in matrices]
    n_runs = mats[0].shape[0]
    if any(m.ndim != 2 or m.shape[0] != n_runs for m in mats):
        raise ValueError("every matrix must be (runs, points) with the same runs")
    estimate = statistic(*(np.nanmean(m, axis=0) for m in mats))
    picks = bootstrap_picks(n_runs, n_boot, seed)
    # every resample's run means at once (the same sums, in the same order, as one resample's)
    means = [resample_means(m, picks) for m in mats]
    # a resample whose run means equal another's bit for bit has the same statistic: compute it
    # once per distinct resample (few distinct ones for few runs; exact, the inputs are equal)
    first, inverse = distinct_rows(np.concatenate(means, axis=1))
    if isinstance(statistic, RowStatistic):
        distinct = np.asarray(statistic.rows(*(mm[first] for mm in means)), dtype=float)
    else:
        distinct = np.array([statistic(*(mm[b] for mm in means)) for b in first], dtype=float)
    samples = distinct[inverse]
    return percentile_interval(estimate, samples, level), samples


def resample_means(matrix: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """``np.nanmean(matrix[picks], axis=1)``, bit for bit: the run means of every resample.
    Without a NaN the picked runs are summed one after another in pick order (the order of
    that reduction) and divided by their number, without the ``(resamples, runs, points)``
    copy.

    :param matrix: ``(runs, points)``.
    :param picks: ``(resamples, runs)`` run indices (:func:`bootstrap_picks`).
    :return: ``(resamples, points)``.

    Example:
        >>> m = np.array([[0.1, 0.2], [0.7, np.nan]])
        >>> picks = bootstrap_picks(2, 5)
        >>> np.array_equal(resample_means(m, picks), np.nanmean(m[picks], axis=1), equal_nan=True)
        True
    """
    if not np.isfinite(matrix).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a resample of dropped runs only
            return np.nanmean(matrix[picks], axis=1)
    total = matrix[picks[:, 0]]  # a copy (fancy indexing)
    for r in range(1, picks.shape[1]):
        total += matrix[picks[:, r]]
    return total / picks.shape[1]


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``matrix`` that differ bit for bit: the index of each distinct row's first
    occurrence, and for every row the position of its distinct row in that list.

    :param matrix: a 2-D array.
    :return: ``(first, inverse)``, with ``matrix[first][inverse]`` equal to ``matrix`` byte
        for byte (NaN rows included; ``0.0`` and ``-0.0`` stay apart).

    Example:
        >>> first, inverse = distinct_rows(np.array([[1.0, np.nan], [0.0, 1.0], [1.0, np.nan]]))
        >>> first.tolist(), inverse.tolist()
        ([0, 1], [0, 1, 0])
    """
    rows = np.ascontiguousarray(matrix)
    if rows.shape[1] == 0:  # every row is the empty row
        return np.zeros(min(len(rows), 1), dtype=int), np.zeros(len(rows), dtype=int)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)  # distinct rows in order of first occurrence
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.ravel()]


def resampled_means(
    matrix: np.ndarray, n_boot: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> np.ndarray:
    """The run means of every bootstrap resample of a ``(runs, points)`` matrix at once: the
    resamples of :func:`bootstrap_interval` (same picks for the same seed and run count), for
    statistics that can be computed on all resamples together.

    :param matrix: ``(runs, points)``; NaN entries (a dropped run) are left out of the means.
    :param n_boot: resamples.
    :param seed: seed of the resampling.
    :return: ``(n_boot, points)`` run means (NaN where a resample holds no finite value).

    Example:
        >>> runs = np.array([[0.0, 1.0], [1.0, 1.0]])
        >>> means = resampled_means(runs, n_boot=4)
        >>> means.shape, bool(np.all(means[:, 1] == 1.0))
        ((4, 2), True)
    """
    matrix = np.asarray(matrix, float)
    if matrix.ndim != 2:
        raise ValueError(f"expected a (runs, points) matrix, got shape {matrix.shape}")
    n_runs = matrix.shape[0]
    picks = bootstrap_picks(n_runs, n_boot, seed)
    # how often each resample draws each run: the means are weighted sums of the runs
    counts = np.zeros((n_boot, n_runs))
    np.add.at(counts, (np.arange(n_boot)[:, None], picks), 1.0)
    finite = np.isfinite(matrix)
    if finite.all():
        return np.einsum("br,rp->bp", counts, matrix) / n_runs
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample of dropped runs only
        total = np.einsum("br,rp->bp", counts, np.where(finite, matrix, 0.0))
        return total / np.einsum("br,rp->bp", counts, finite.astype(float))


def mean_intervals(
    statistics: Callable[[np.ndarray], dict[str, np.ndarray]], matrix: np.ndarray
) -> tuple[dict[str, Interval], dict[str, np.ndarray]]:
    """Statistics of a curve's run means, each with its bootstrap interval over runs: the
    statistics of the run means (NaN runs left out) and of every resample's
    (:func:`resampled_means`, all at once).

    :param statistics: of ``(..., points)`` run means, returns name -> ``(...)`` array.
    :param matrix: ``(runs, points)``.
    :return: name -> interval, and name -> bootstrap samples.

    Example:
        >>> runs = np.array([[1.0, 0.0], [1.0, 2.0]])
        >>> intervals, _ = mean_intervals(lambda m: {"last": m[..., -1]}, runs)
        >>> str(intervals["last"])
        '1.000 [0.000, 2.000]'
    """
    matrix = np.asarray(matrix, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point without runs
        estimate = statistics(np.nanmean(matrix, axis=0))
    samples = statistics(resampled_means(matrix))
    return {k: percentile_interval(float(v), samples[k]) for k, v in estimate.items()}, samples


@dataclass(frozen=True)
class ThresholdTest:
    """One comparison of a measured number with a threshold, under the module's rule.

    :param name: what is measured, for evidence texts.
    :param value: the number with its run-to-run interval.
    :param thresholds: the thresholds it is compared with (two for a window).
    :param passes: the test's answer on the point estimate.
    :param runs: the runs behind the interval (for tables; ``None``: not stated).
    :param sizes: the sets the number is measured on, e.g. ``"validation n = 84"``.

    Example:
        >>> ThresholdTest("slope", Interval(-0.5, -0.6, -0.4), (-0.2,), True).outcome
        True
        >>> ThresholdTest("slope", Interval(-0.3, -0.4, -0.1), (-0.2,), True).state
        'inconclusive'
    """

    name: str
    value: Interval
    thresholds: tuple[float, ...]
    passes: bool
    runs: int | None = None
    sizes: str = ""

    @property
    def conclusive(self) -> bool:
        """No threshold lies inside the interval."""
        return not any(self.value.contains(t) for t in self.thresholds)

    @property
    def outcome(self) -> bool | None:
        """``passes`` where conclusive, else ``None`` (inconclusive at this scale)."""
        return bool(self.passes) if self.conclusive else None

    @property
    def state(self) -> str:
        """``"passes"``, ``"fails"`` or ``"inconclusive"`` (threshold inside the interval)."""
        outcome = self.outcome
        return "inconclusive" if outcome is None else ("passes" if outcome else "fails")

    @property
    def threshold_text(self) -> str:
        """The thresholds, e.g. ``"0.4, 0.6"``."""
        return ", ".join(f"{t:g}" for t in self.thresholds)

    @property
    def against(self) -> str:
        """The number held against its thresholds, e.g. ``"0.300 [0.200, 0.400] vs 0.1"``."""
        return f"{self.value.text()} vs {self.threshold_text}"


def outcome_of(tests: Iterable[ThresholdTest]) -> bool | None:
    """The three-valued "and" of the tests' outcomes (:func:`tri_all`): whether all pass under
    the rule, ``None`` where none fails conclusively and one is inconclusive."""
    return tri_all(t.outcome for t in tests)


def open_tests(tests: Iterable[ThresholdTest]) -> list[ThresholdTest]:
    """The tests whose threshold lies inside the interval of the number they judge."""
    return [t for t in tests if t.state == "inconclusive"]


def threshold_table(verdicts: Iterable) -> pd.DataFrame:
    """Every threshold test behind ``verdicts``, one row each: the number with its interval,
    the threshold, the runs and sets behind it, and the test's state under the rule.

    :param verdicts: :class:`~qmlr.report.analysis.Verdict` objects (their ``check`` and
        ``tests``); verdicts without tests are skipped.
    :return: columns ``check``, ``number``, ``value [95% interval]``, ``threshold``, ``runs``,
        ``sets``, ``test``, ``verdict``.

    Example:
        >>> from types import SimpleNamespace
        >>> t = ThresholdTest("gap", Interval(0.3, 0.2, 0.4), (0.1,), True, runs=5)
        >>> v = SimpleNamespace(check="c", tests=(t,), label="reproduced")
        >>> threshold_table([v]).iloc[0].tolist()
        ['c', 'gap', '0.300 [0.200, 0.400]', '0.1', '5', '', 'passes', 'reproduced']
    """
    rows = [
        {
            "check": v.check,
            "number": t.name,
            f"value [{INTERVAL_LEVEL:.0%} interval]": t.value.text(),
            "threshold": t.threshold_text,
            "runs": "" if t.runs is None else str(t.runs),
            "sets": t.sizes,
            "test": t.state,
            "verdict": v.label,
        }
        for v in verdicts
        for t in v.tests
    ]
    columns = ["check", "number", f"value [{INTERVAL_LEVEL:.0%} interval]", "threshold"]
    return pd.DataFrame(rows, columns=[*columns, "runs", "sets", "test", "verdict"])


def tri_all(outcomes: Iterable[bool | None]) -> bool | None:
    """Three-valued "and": ``False`` if any is ``False``, else ``None`` if any is ``None``.

    Example:
        >>> tri_all([True, None]), tri_all([None, False]), tri_all([True, True])
        (None, False, True)
    """
    values = list(outcomes)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def tri_not(outcome: bool | None) -> bool | None:
    """Three-valued "not".

    Example:
        >>> tri_not(True), tri_not(None)
        (False, None)
    """
    return None if outcome is None else not outcome


def tri_any(outcomes: Iterable[bool | None]) -> bool | None:
    """Three-valued "or": ``True`` if any is ``True``, else ``None`` if any is ``None``.

    Example:
        >>> tri_any([False, None]), tri_any([None, True]), tri_any([])
        (None, True, False)
    """
    return tri_not(tri_all(tri_not(v) for v in outcomes))


def rule_text() -> str:
    """The uncertainty rule in one paragraph, for the chapters (numbers from the constants).

    Example:
        >>> rule_text().startswith("Every number a verdict compares with a threshold")
        True
    """
    return (
        "Every number a verdict compares with a threshold carries a "
        f"{INTERVAL_LEVEL:.0%} percentile bootstrap interval over runs ({BOOTSTRAP_RESAMPLES} "
        f"resamples of the runs, seed {BOOTSTRAP_SEED}; the statistic recomputed on the "
        "resampled run means). A test whose threshold lies inside the interval of the number it "
        "judges is inconclusive, and a verdict none of whose tests fails outright but one of "
        f"which is inconclusive is **{INCONCLUSIVE_LABEL}**. The interval covers run-to-run "
        "variation only; the sampling error of the fixed sets the numbers are measured on adds "
        "to it."
    )


def inconclusive_sentence(verdicts: Iterable, table: str) -> str:
    """A sentence naming the verdicts that are inconclusive at this scale, with their answer on
    the point estimates (``""`` when none is).

    :param verdicts: :class:`~qmlr.report.analysis.Verdict` objects.
    :param table: label of the chapter's table of threshold tests (:func:`threshold_table`).
    :return: Markdown text.

    Example:
        >>> from types import SimpleNamespace as V
        >>> inconclusive_sentence([V(label=INCONCLUSIVE_LABEL, name="x", reproduced=True)], "t")
        ' Inconclusive at this scale ({numref}`t`): x (reproduced on the point estimates).'
    """
    unsure = [v for v in verdicts if v.label == INCONCLUSIVE_LABEL]
    if not unsure:
        return ""
    listed = "; ".join(
        f"{v.name} ({'reproduced' if v.reproduced else 'not reproduced'} on the point estimates)"
        for v in unsure
    )
    return f" Inconclusive at this scale ({{numref}}`{table}`): {listed}."


@lru_cache(maxsize=4)
def validation_size(dataset: str) -> int:
    """Number of validation samples every accuracy of ``dataset`` is measured on.

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :return: the size of its validation split.

    Example:
        >>> validation_size("xxz")
        84
    """
    return len(load_dataset(dataset, "val"))
