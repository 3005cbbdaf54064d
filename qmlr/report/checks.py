"""Checks as data: one declarative form for a threshold check, and the harness that judges it.

A check of the book is a row: its stable id, the paper's claim it is filed under, its chapter,
whether it is *core*, its scorecard name, the claim as tested, and its **measure** — a
function of the records that returns the threshold tests (each a number with its run-bootstrap
interval, :mod:`qmlr.report.uncertainty`, held against named thresholds in a direction) and the
evidence text. A threshold test is itself data (:class:`Bound`): the statistic it reads, its
thresholds and direction. :func:`judge` is the one harness every row goes through: it applies
the uncertainty rule (a threshold inside the interval → *inconclusive at this scale*), names
the interval level, the runs and the sets, and files the verdict under the row's identity.

Example:
    >>> from qmlr.report.uncertainty import Interval, ThresholdTest
    >>> t = ThresholdTest("slope", Interval(-0.5, -0.6, -0.4), (-0.2,), True)
    >>> row = CheckRow("demo", 1, "resilience", True, "demo", "a claim",
    ...                lambda data: Measured("slope " + str(t.value), (t,)))
    >>> v = judge(row, None)
    >>> v.label, v.check, v.evidence
    ('reproduced', 'demo', 'slope -0.500 [-0.600, -0.400] (95% run-bootstrap intervals)')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qmlr.engine.profiles import get_profile
from qmlr.report.uncertainty import Interval, ThresholdTest, outcome_of
from qmlr.report.verdict import Verdict, judge_outcome

#: The directions a threshold test can hold its number in.
DIRECTIONS = (">=", "<=", ">", "<", "in")


def holds(value: float, direction: str, thresholds: Sequence[float]) -> bool:
    """Whether ``value`` lies on the passing side of ``thresholds`` (``"in"``: inside the
    closed window of two thresholds; NaN never passes).

    Example:
        >>> holds(0.5, "in", (0.4, 0.6)), holds(float("nan"), "<=", (0.1,)), holds(3, ">", (2,))
        (True, False, True)
    """
    if np.isnan(value):
        return False
    if direction == "in":
        return bool(thresholds[0] <= value <= thresholds[1])
    t = thresholds[0]
    return bool({">=": value >= t, "<=": value <= t, ">": value > t, "<": value < t}[direction])


def interval_of(row: pd.Series, name: str) -> Interval:
    """The interval of statistic ``name`` in a summary row (columns ``name``, ``name_low``,
    ``name_high``).

    Example:
        >>> str(interval_of(pd.Series({"x": 0.5, "x_low": 0.4, "x_high": 0.6}), "x"))
        '0.500 [0.400, 0.600]'
    """
    return Interval(float(row[name]), float(row[f"{name}_low"]), float(row[f"{name}_high"]))


@dataclass(frozen=True)
class Bound:
    """One threshold test as data: the statistic of a summary row it reads (with its
    run-bootstrap interval), its label, its thresholds and the direction that passes.

    :param statistic: the row's column (and ``_low`` / ``_high`` bounds).
    :param label: the number's name in evidence and tables.
    :param thresholds: one threshold, or two for the window of ``"in"``.
    :param direction: one of :data:`DIRECTIONS`.
    :param point: where the answer on the point estimates reads another column of the row
        than ``statistic`` (an equivalent discrete number, e.g. the plateau's end for its
        margin): that column, its direction and threshold.

    Example:
        >>> row = pd.Series({"slope": -0.5, "slope_low": -0.6, "slope_high": -0.1})
        >>> Bound("slope", "validation slope", (-0.2,), "<").test(row).state
        'inconclusive'
    """

    statistic: str
    label: str
    thresholds: tuple[float, ...]
    direction: str
    point: tuple[str, str, float] | None = None

    @property
    def reads(self) -> str:
        """The column the answer on the point estimates reads."""
        return self.statistic if self.point is None else self.point[0]

    def passes(self, row: pd.Series) -> bool:
        """The test's answer on the point estimates of ``row``."""
        if self.point is None:
            return holds(float(row[self.statistic]), self.direction, self.thresholds)
        column, direction, threshold = self.point
        return holds(float(row[column]), direction, (threshold,))

    def test(
        self, row: pd.Series, label: str | None = None, runs: int | None = None, sizes: str = ""
    ) -> ThresholdTest:
        """The threshold test on ``row`` (``label`` overrides :attr:`label`)."""
        value = interval_of(row, self.statistic)
        return ThresholdTest(
            label or self.label, value, self.thresholds, self.passes(row), runs, sizes
        )


@dataclass(frozen=True)
class Measured:
    """What a check's measure returns: the evidence and the threshold tests it rests on.

    :param evidence: the measured numbers, as text.
    :param tests: the threshold tests.
    :param judged: whether the scale allows a verdict (else *not evaluated*).
    :param sizes: the runs and sets behind the numbers (named in the evidence).
    :param point: the answer on the point estimates (default: every test passes).
    :param outcome: the three-valued answer under the rule (default: three-valued "and" of
        the tests), for checks that combine their tests otherwise.
    :param partly: the claim holds in part (for a failed verdict).
    :param phrased: the evidence already names the intervals and the open thresholds in the
        check's own words (the harness adds nothing to it).
    """

    evidence: str
    tests: tuple[ThresholdTest, ...] = ()
    judged: bool = True
    sizes: str = ""
    point: bool | None = None
    outcome: Any = field(default="all")
    partly: bool = False
    phrased: bool = False


@dataclass(frozen=True)
class CheckRow:
    """One check of the book, as data.

    :param id: stable id, unique in the book (e.g. ``"qnn-plateau-transition/xxz"``).
    :param claim_no: the paper's claim it is filed under, 1–7.
    :param chapter: label of the chapter that makes it.
    :param core: ``True`` if it tests the claim as the paper states it, in the paper's setting.
    :param name: its short name in the scorecard.
    :param claim: the claim as tested.
    :param measure: a function of the check's data returning :class:`Measured` (``None``: no
        results, the check is *not evaluated*).
    """

    id: str
    claim_no: int
    chapter: str
    core: bool
    name: str
    claim: str
    measure: Callable[[Any], Measured | None]


def judge(row: CheckRow, data: Any) -> Verdict:
    """The harness: measure ``row`` on ``data``, judge it under the uncertainty rule
    (:func:`~qmlr.report.verdict.judge_outcome`) and file it under the row's identity (a row
    without an id gives an unfiled verdict, e.g. for a comparison outside the scorecard).

    :param row: the check.
    :param data: what its measure reads.
    :return: the verdict.
    """
    m = row.measure(data)
    if m is None:
        verdict = Verdict(row.claim, "no results", None)
    else:
        point = all(t.passes for t in m.tests) if m.point is None else m.point
        outcome = outcome_of(m.tests) if m.outcome == "all" else m.outcome
        if m.phrased:
            unsure = m.judged and outcome is None
            verdict = Verdict(row.claim, m.evidence, bool(point) if m.judged else None,
                              m.partly and m.judged, unsure, tests=m.tests)  # fmt: skip
        else:
            verdict = judge_outcome(
                row.claim, m.evidence, point, outcome, m.tests, m.judged, m.partly, m.sizes
            )
    if not row.id:
        return verdict
    return verdict.filed(row.id, row.claim_no, row.chapter, row.core, row.name)


def judge_all(rows: Iterable[CheckRow], data: Any) -> list[Verdict]:
    """:func:`judge` of every row on the same data, in order."""
    return [judge(row, data) for row in rows]


def judge_by_id(rows: Iterable[CheckRow], data: Any) -> dict[str, Verdict]:
    """:func:`judge_all`, keyed by the rows' ids."""
    return {v.check: v for v in judge_all(rows, data)}


def unfiled(claim: str, measured: Measured | None) -> Verdict:
    """``measured`` judged for ``claim`` by the harness, without a scorecard identity (a
    chapter's comparison, or a check filed later).

    Example:
        >>> unfiled("a claim", None).evidence
        'no results'
    """
    return judge(CheckRow("", 0, "", False, "", claim, lambda _: measured), None)


def filed(
    check: str, claim_no: int, chapter: str, core: bool, name: str, claim: str, m: Measured
) -> Verdict:
    """``m`` judged by the harness and filed under a check's identity (see
    :class:`CheckRow`), for a measure computed before its row."""
    return judge(CheckRow(check, claim_no, chapter, core, name, claim, lambda _: m), None)


def validation_sizes(n_val: int | None) -> str:
    """The sizes text of a verdict on validation accuracies.

    Example:
        >>> validation_sizes(84), validation_sizes(None)
        ('validation n = 84', '')
    """
    return f"validation n = {n_val}" if n_val else ""


def profile_judged(profile: str) -> bool:
    """Whether ``profile`` is at a scale where its verdicts are judged."""
    return get_profile(profile).judged
