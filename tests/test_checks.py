"""Tests of qmlr.report.checks: the form of a check and the harness that judges it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.report import checks as C
from qmlr.report import uncertainty as U


def _row(tests, judged=True, sizes="", **measured) -> C.CheckRow:
    return C.CheckRow(
        "demo/x", 1, "resilience", True, "demo", "c",
        lambda _: C.Measured("e", tuple(tests), judged, sizes, **measured),
    )  # fmt: skip


OK = U.ThresholdTest("x", U.Interval(0.99, 0.97, 1.0), (0.95,), True)
UNSURE = U.ThresholdTest("y", U.Interval(0.3, 0.1, 0.5), (0.2,), True)
BAD = U.ThresholdTest("z", U.Interval(0.1, 0.0, 0.15), (0.2,), False)


def test_the_harness_applies_the_uncertainty_rule_and_files_the_verdict() -> None:
    assert C.judge(_row([OK]), None).label == "reproduced"
    verdict = C.judge(_row([OK, UNSURE], sizes="validation n = 84"), None)
    assert verdict.label == U.INCONCLUSIVE_LABEL and verdict.reproduced is True
    assert "validation n = 84" in verdict.evidence and "y (0.2)" in verdict.evidence
    assert (verdict.check, verdict.claim_no, verdict.core, verdict.tests) == (
        "demo/x", 1, True, (OK, UNSURE),
    )  # fmt: skip
    # a conclusive failure decides, whatever else is unsure
    assert C.judge(_row([UNSURE, BAD]), None).label == "not reproduced"
    assert C.judge(_row([UNSURE], judged=False), None).label == "not evaluated"


def test_a_check_may_combine_its_tests_otherwise_or_phrase_its_own_evidence() -> None:
    assert C.judge(_row([BAD], point=True, outcome=None), None).label == U.INCONCLUSIVE_LABEL
    phrased = C.judge(_row([], point=False, outcome=False, partly=True, phrased=True), None)
    assert phrased.evidence == "e" and phrased.label == "partly reproduced"
    unjudged = C.judge(_row([], judged=False, point=False, partly=True, phrased=True), None)
    assert unjudged.label == "not evaluated" and not unjudged.partly


def test_no_results_and_unfiled_rows() -> None:
    empty = C.CheckRow("", 5, "", False, "", "c", lambda _: None)
    verdict = C.judge(empty, None)
    assert verdict.evidence == "no results" and verdict.label == "not evaluated"
    assert verdict.check == "" and verdict.claim_no is None


@pytest.mark.parametrize(
    ("direction", "thresholds", "value", "passes"),
    [(">=", (0.5,), 0.5, True), (">", (0.5,), 0.5, False), ("<", (0.0,), -1.0, True),
     ("<=", (0.1,), np.nan, False), ("in", (0.4, 0.6), 0.61, False)],
)  # fmt: skip
def test_bound_directions(direction: str, thresholds: tuple, value: float, passes: bool) -> None:
    row = pd.Series({"s": value, "s_low": -5.0, "s_high": 5.0, "p": 1.0})
    bound = C.Bound("s", "stat", thresholds, direction)
    test = bound.test(row, runs=3, sizes="n = 5")
    assert test.passes is passes and (test.runs, test.sizes, test.name) == (3, "n = 5", "stat")
    assert test.state == "inconclusive"  # every threshold lies inside [-5, 5]
    other = C.Bound("s", "stat", thresholds, direction, point=("p", ">=", 1.0))
    assert other.passes(row) and other.reads == "p"
