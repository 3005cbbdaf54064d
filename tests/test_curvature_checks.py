"""Run-to-run intervals of the curvature verdicts' numbers, and the uncertainty rule on them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qmlr.report import curvature as R
from qmlr.report.uncertainty import INCONCLUSIVE_LABEL, bootstrap_interval

ALPHAS = (0.0, 0.2, 0.3, 0.4)


def records(curves: dict[str, list[list[float]]], config: str = "si") -> pd.DataFrame:
    """Curvature records of ``config``: ``curves[model][run]`` is that run's trace at each α."""
    rows = []
    for model, runs in curves.items():
        for run, traces in enumerate(runs):
            for alpha, trace in zip(ALPHAS, traces, strict=True):
                rows.append(
                    {
                        "config": config,
                        "model": model,
                        "alpha": alpha,
                        "run": run,
                        "trace": trace,
                        "dead": False,
                        "negative_share_slq": 0.001,
                        "negative_share_exact": 0.02 + alpha if model == "qnn" else np.nan,
                        "trace_gauss_newton": trace,
                        "trace_residual": 0.0 if model != "qnn" else -0.1,
                        "trace_residual_flipped": -0.2 * alpha if model == "qnn" else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def verdict(frame: pd.DataFrame, check: str):
    return {v.check: v for v in R.claim_verdicts(frame, hessian_samples=100)}[check]


def test_ratio_intervals_are_the_generic_bootstrap_of_the_same_statistic() -> None:
    rng = np.random.default_rng(4)
    table = pd.DataFrame(rng.uniform(1.0, 3.0, (5, 4)), columns=list(ALPHAS))
    got = R.ratio_intervals(table)
    for name in R.RATIO_STATISTICS:
        expected, _ = bootstrap_interval(
            lambda m, name=name: float(R.ratio_statistics(m)[name]), [table.to_numpy()]
        )
        np.testing.assert_allclose(
            [got[name].estimate, got[name].low, got[name].high],
            [expected.estimate, expected.low, expected.high],
            atol=1e-12,
        )
    assert R.ratio_intervals(table) == got  # seeded: the same numbers again


def test_a_threshold_inside_the_interval_makes_the_shape_inconclusive() -> None:
    """The QNN's mean ratio stays below 1 and falls, but one run's trace jumps above its clean
    trace at α = 0.2: the ≤ 1 threshold lies inside the interval of the largest ratio."""
    spread = [[1.0, 0.99, 0.8, 0.5]] * 4 + [[1.0, 0.5, 0.4, 0.3]]
    spread[0] = [1.0, 1.5, 0.8, 0.5]
    frame = records({"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": spread})
    qnn = verdict(frame, "qnn-trace-ratio/si/real")
    assert qnn.reproduced is True and qnn.label == INCONCLUSIVE_LABEL
    states = {t.name: t.state for t in qnn.tests}
    assert states[R.RATIO_STATISTICS["max_ratio"]] == "inconclusive"
    assert "5 runs per α; Hessian on 100 samples" in qnn.evidence
    # every run alike: zero-width intervals, clear of the thresholds
    tight = records({"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": [[1.0, 0.9, 0.8, 0.5]] * 5})
    assert verdict(tight, "qnn-trace-ratio/si/real").label == "reproduced"
    assert verdict(tight, "mlp-trace-ratio/si/real").label == "reproduced"


def test_a_conclusive_failure_decides_whatever_else_is_unsure() -> None:
    """A QNN ratio that rises in every run fails 'falling' clear of 0, whatever its ≤ 1 test."""
    rising = [[1.0, 0.5, 0.7, 0.9]] * 4 + [[1.0, 1.4, 1.6, 1.8]]
    frame = records({"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": rising})
    qnn = verdict(frame, "qnn-trace-ratio/si/real")
    assert qnn.label == "not reproduced"
    assert {t.state for t in qnn.tests} == {"fails", "inconclusive"}


def test_controls_verdict_is_three_valued() -> None:
    """A control whose ratio may or may not stay ≤ 1 leaves 'only the QNN' inconclusive."""
    base = {"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": [[1.0, 0.9, 0.8, 0.5]] * 5}
    unsure = [[1.0, 0.95, 0.9, 0.8]] * 4 + [[1.0, 1.6, 1.5, 1.4]]
    v = R.controls_verdict(records({**base, "logistic": unsure}))
    assert v.label == INCONCLUSIVE_LABEL and v.reproduced is True  # mean ratio 1.08 > 1
    clear = [[1.0, 2.0, 3.0, 4.0]] * 5
    assert R.controls_verdict(records({**base, "logistic": clear})).label == "reproduced"


def test_claim7_numbers_carry_intervals() -> None:
    frame = records({"mlp": [[1.0, 5.0, 20.0, 100.0]] * 3, "qnn": [[1.0, 0.9, 0.8, 0.5]] * 3})
    frame["scope"] = "si"
    verdicts = {v.check: v for v in R.claim7_verdicts(frame, 3, hessian_samples=6)}
    assert set(verdicts) == {
        "mlp-term-b-zero",
        "mlp-no-negative-curvature",
        "qnn-term-b-flipped-negative",
        "qnn-more-negative-curvature",
    }
    assert all(v.label == "reproduced" for v in verdicts.values()), verdicts
    assert all(t.runs == 3 for v in verdicts.values() for t in v.tests)
    assert "3 runs per α; Hessian on 6 samples" in verdicts["mlp-term-b-zero"].evidence
    interval = R.max_interval(pd.DataFrame({"a": [0.0, 0.02], "b": [0.005, np.nan]}))
    assert interval.estimate == 0.02 and interval.contains(0.01)
