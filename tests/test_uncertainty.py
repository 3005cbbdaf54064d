"""The uncertainty rule: bootstrap intervals over runs and the inconclusive verdict state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.report import analysis as A
from qmlr.report import phenotype as P
from qmlr.report import scorecard as S
from qmlr.report import uncertainty as U
from qmlr.report.phenotype import measures as PM


def test_constants_fixed_before_listing_the_verdicts() -> None:
    assert (U.INTERVAL_LEVEL, U.BOOTSTRAP_RESAMPLES, U.BOOTSTRAP_SEED) == (0.95, 2000, 0)


def test_bootstrap_interval_resamples_runs_jointly() -> None:
    val = np.array([[1.0, 0.0], [0.0, 1.0]])
    # resampling the runs of both columns together keeps their sum at 1 in every resample
    interval, samples = U.bootstrap_interval(lambda v: float(v.sum()), [val], n_boot=200)
    np.testing.assert_allclose(samples, 1.0)
    np.testing.assert_allclose([interval.low, interval.high], [1.0, 1.0])
    other, _ = U.bootstrap_interval(lambda v: float(v[0]), [val], n_boot=200)
    assert other.low == 0.0 and other.high == 1.0 and other.estimate == 0.5


def test_bootstrap_critical_alpha_keeps_its_former_numbers() -> None:
    rng = np.random.default_rng(1)
    alphas = np.round(np.arange(10) * 0.1, 1)
    runs = np.clip(1 - alphas + rng.normal(0, 0.05, (5, 10)), 0, 1)
    # the former implementation, written out
    picks = np.random.default_rng(0).integers(0, 5, size=(2000, 5))
    samples = np.array([A.critical_alpha(alphas, runs[p].mean(axis=0)) for p in picks])
    low, high = np.percentile(samples, [2.5, 97.5])
    got = A.bootstrap_critical_alpha(alphas, runs)
    np.testing.assert_allclose([got.low, got.high], [low, high], rtol=0, atol=1e-12)


def test_threshold_tests_and_three_valued_logic() -> None:
    inside = U.ThresholdTest("x", U.Interval(0.94, 0.90, 0.97), (0.95,), False)
    outside = U.ThresholdTest("x", U.Interval(0.99, 0.97, 1.0), (0.95,), True)
    assert inside.outcome is None and outside.outcome is True
    window = U.ThresholdTest("a", U.Interval(0.5, 0.45, 0.55), (0.4, 0.6), True)
    assert window.conclusive
    undefined = U.ThresholdTest("a", U.Interval(np.nan, np.nan, np.nan), (0.4, 0.6), False)
    assert undefined.outcome is False
    assert U.tri_all([True, None, False]) is False
    assert U.tri_any([False, False]) is False and U.tri_any([None, False]) is None
    with pytest.raises(ValueError):
        U.percentile_interval(0.0, np.zeros(3), level=1.0)


def _curve(val: np.ndarray, spread: float, runs: int = 5) -> pd.DataFrame:
    alphas = np.round(np.arange(len(val)) * 0.1, 1)
    offsets = np.linspace(-spread, spread, runs)
    rows = [
        {"alpha": a, "run": r, "val_accuracy": v + offsets[r], "train_accuracy": 1.0}
        for r in range(runs)
        for a, v in zip(alphas, val, strict=True)
    ]
    return pd.DataFrame(rows)


def test_curve_summary_intervals_widen_with_the_spread() -> None:
    val = np.clip(1.0 - np.round(np.arange(10) * 0.1, 1), 0, 1)
    tight = A.curve_summary(_curve(val, 0.0).assign(m="x"), ["m"]).iloc[0]
    wide = A.curve_summary(_curve(val, 0.1).assign(m="x"), ["m"]).iloc[0]
    np.testing.assert_allclose(tight["val_slope"], -1.0, atol=1e-12)
    np.testing.assert_allclose([tight["val_slope_low"], tight["val_slope_high"]], -1.0)
    assert wide["plateau_margin_low"] < wide["plateau_margin"] <= wide["plateau_margin_high"]
    np.testing.assert_allclose(A.plateau_margin(np.arange(4) * 0.1, val[:4], 0.3), -0.3)


def test_phenotype_interpretation_holds_clear_of_every_threshold(syn) -> None:
    qnn = np.where(syn.ALPHAS <= 0.35, 0.98, np.where(syn.ALPHAS < 0.45, 0.9, 0.05))
    records = pd.concat(
        [
            syn.curve_records("mlp", syn.MLP_VAL, 0.97),
            syn.curve_records("qnn", qnn, 0.05),
            syn.curve_records("centroid", syn.MLP_VAL, 0.9),
        ],
        ignore_index=True,
    )
    verdict = P.phenotype_verdicts(P.phenotype_table(records), "paper")[P.INTERPRETATION_ID]
    assert verdict.label == "reproduced"
    assert "holds on this evidence" in S.interpretation_summary(P.phenotype_table(records), "paper")


def test_headline_with_an_inconclusive_core_check() -> None:
    ok = A.Verdict("c", "e", True)
    unsure = A.Verdict("c", "e", True, inconclusive=True)
    bad = A.Verdict("c", "e", False)
    check = lambda v: v.filed("n", 1, "resilience", True, "n")  # noqa: E731
    assert S.headline([check(ok), check(unsure)]).label == U.INCONCLUSIVE_LABEL
    assert S.headline([check(ok), check(unsure), check(bad)]).label == "partly reproduced"
    assert S.headline([check(unsure), check(bad)]).label == "not reproduced"
    assert "1 inconclusive" in S.headline([check(ok), check(unsure)]).evidence


def test_a_threshold_equal_to_a_bound_up_to_rounding_is_inside() -> None:
    """A bound that is 0.1 in exact arithmetic but computed one rounding step below it (as a
    mean of forgetting accuracies on 24 samples can be) must not decide the verdict."""
    bound = float(np.nextafter(0.1, 0.0))
    assert bound < 0.1
    test = U.ThresholdTest("gap", U.Interval(0.05, 0.0, bound), (0.1,), False)
    assert test.outcome is None and test.state == "inconclusive"
    clear = U.ThresholdTest("gap", U.Interval(0.05, 0.0, 0.1 - 1e-6), (0.1,), False)
    assert clear.outcome is False and clear.state == "fails"


@pytest.mark.filterwarnings("ignore:Mean of empty slice")  # resamples of the dropped run only
def test_resampled_means_are_the_bootstrap_interval_resamples() -> None:
    rng = np.random.default_rng(2)
    runs = rng.uniform(size=(4, 6))
    runs[1, 2] = np.nan  # a dropped run at one point
    _, samples = U.bootstrap_interval(lambda m: float(m[2] + m[5]), [runs])
    means = U.resampled_means(runs)
    np.testing.assert_allclose(means[:, 2] + means[:, 5], samples, atol=1e-12)
    table = U.threshold_table([A.Verdict("c", "e", True).filed("x", 1, "y", True, "z")])
    assert table.empty and "runs" in table.columns


def test_row_statistics_match_their_single_curve_functions_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    alphas = np.round(np.linspace(0.0, 0.9, 10), 1)
    curves = rng.random((200, 10))
    curves[rng.random(curves.shape) < 0.05] = np.nan
    pairs = [
        (lambda v: A.critical_alpha(alphas, v), lambda m: A.critical_alpha_rows(alphas, m)),
        (
            lambda v: A.plateau_margin(alphas, v, 0.3),
            lambda m: A.plateau_margin_rows(alphas, m, 0.3),
        ),
        (lambda v: A.train_deviation(alphas, v), lambda m: A.train_deviation_rows(alphas, m)),
        (lambda v: PM.steepest_drop(alphas, v), lambda m: PM.steepest_drop_rows(alphas, m)),
    ]
    for single, rows in pairs:
        expected = np.array([single(v) for v in curves])
        np.testing.assert_array_equal(rows(curves), expected)


def test_bootstrap_interval_is_the_same_with_a_row_statistic_and_with_repeated_resamples() -> None:
    runs = np.random.default_rng(4).random((5, 6))
    plain, plain_samples = U.bootstrap_interval(lambda v: float(v.max() - v[0]), [runs])
    rows = U.RowStatistic(lambda m: m.max(axis=1) - m[:, 0])
    fast, fast_samples = U.bootstrap_interval(rows, [runs])
    assert plain == fast
    np.testing.assert_array_equal(plain_samples, fast_samples)
    means = np.nanmean(runs[U.bootstrap_picks(5)], axis=1)  # every resample, one by one
    np.testing.assert_array_equal(plain_samples, means.max(axis=1) - means[:, 0])


def test_distinct_rows_rebuild_the_matrix_byte_for_byte() -> None:
    matrix = np.array([[0.0, np.nan], [-0.0, np.nan], [0.0, np.nan], [1.0, 2.0]])
    first, inverse = U.distinct_rows(matrix)
    assert first.tolist() == [0, 1, 3] and inverse.tolist() == [0, 1, 0, 2]
    assert matrix[first][inverse].tobytes() == matrix.tobytes()
