"""Tests of qmlr.report.curvature, curvature_tables and plots_curvature: ratios, tables, verdicts
and the run-to-run intervals of their numbers under the uncertainty rule, figures."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

from qmlr.core.curvature_metrics import measure
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.engine.store import CellResult
from qmlr.report import curvature as R
from qmlr.report import curvature_tables as CT
from qmlr.report import plots_curvature as P
from qmlr.report.uncertainty import INCONCLUSIVE_LABEL, bootstrap_interval, outcome_of
from qmlr.studies import curvature_study as S
from qmlr.studies.experiments import get_profile

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _fake_records(
    ratios: dict[tuple, list[float]], dead_at=None, complexified=None
) -> pd.DataFrame:
    """Two runs per α of each (config, model[, flips, labels]) with the given clean-relative
    traces; ``complexified`` maps a key to complexified traces."""
    rows = []
    alphas = (0.0, 0.2, 0.3, 0.4)
    for key, per_alpha in ratios.items():
        config, kind = key[:2]
        flips, labels = key[2:] if len(key) > 2 else ("class-balanced", "poisoned")
        cx = (complexified or {}).get(key, [np.nan] * 4)
        for alpha, value, cval in zip(alphas, per_alpha, cx, strict=True):
            for run in range(2):
                rows.append(
                    {
                        "config": config,
                        "model": kind,
                        "flips": flips,
                        "hessian_labels": labels,
                        "alpha": alpha,
                        "run": run,
                        "trace": value * (1 + 0.1 * run),
                        "trace_complexified": cval * (1 + 0.1 * run),
                        "dead": dead_at == (config, kind, alpha, run),
                        "lam_max": value,
                        "negative_share_slq": 0.001 if kind != "qnn" else 0.02,
                        "negative_share_exact": np.nan if kind != "qnn" else 0.02 + alpha,
                        "trace_gauss_newton": value,
                        "trace_residual": 0.0 if kind != "qnn" else -0.1,
                        "trace_residual_flipped": np.nan if kind != "qnn" else -0.2 * alpha,
                    }
                )
    return pd.DataFrame(rows)


FIRST = "authors-code, balanced flips, flipped labels"


def test_ratios_tables_and_verdicts():
    records = _fake_records(
        {
            ("si", "mlp"): [1.0, 5.0, 20.0, 100.0],
            ("si", "qnn"): [1.0, 0.9, 0.8, 0.5],
            ("authors-code", "mlp"): [1.0, 2.0, 3.0, 4.0],
            ("authors-code", "qnn"): [1.0, 1.1, 1.2, 1.3],
        },
        dead_at=("si", "mlp", 0.4, 1),
    )
    ratios = CT.trace_ratios(records)
    si_mlp = ratios[(ratios["config"] == "si") & (ratios["model"] == "mlp")]
    np.testing.assert_allclose(si_mlp[si_mlp["alpha"] == 0.2]["ratio"], [5 / 1.05, 5.5 / 1.05])
    assert len(CT.trace_ratios(records, include_dead=False)) == len(records) - 1
    table = CT.ratio_table(records)
    assert table.loc[("si", "mlp", "real", 0.4), "dead (all runs)"] == 1
    assert table.loc[("si", "qnn", "real", 0.2), "runs"] == 2
    verdicts = {v.claim: v for v in R.claim_verdicts(records)}
    assert verdicts["6 (si): MLP trace ratio rises strongly with α"].reproduced is True
    assert verdicts["6 (si): QNN trace ratio ≤ 1 and falling with α"].reproduced is True
    assert verdicts[f"6 ({FIRST}): MLP trace ratio rises strongly with α"].reproduced is False
    assert verdicts[f"6 ({FIRST}): QNN trace ratio ≤ 1 and falling with α"].reproduced is False
    assert "dead run" in verdicts["6 (si): MLP trace ratio rises strongly with α"].evidence
    assert "real Hessian" in verdicts["6 (si): QNN trace ratio ≤ 1 and falling with α"].evidence
    term_b = [v for v in verdicts.values() if "mislabeled" in v.claim][0]
    assert term_b.reproduced is True
    few = records[records["alpha"].isin([0.0, 0.4])]
    assert all(v.reproduced is None for v in R.claim_verdicts(few) if v.claim.startswith("6 ("))


def test_readings_judge_each_scope_and_definition_separately():
    pipeline = ("authors-code", "qnn", "train-unbalanced", "clean")
    records = _fake_records(
        {
            ("authors-code", "qnn"): [1.0, 0.5, 0.2, 0.1],
            pipeline: [1.0, 1.5, 2.0, 3.0],
            ("authors-code", "mlp", "train-unbalanced", "clean"): [1.0, 3.0, 9.0, 30.0],
        },
        complexified={pipeline: [2.0, 1.6, 1.2, 0.2]},
    )
    readings = CT.readings_frame(records)
    assert sorted(readings["definition"].unique()) == ["complexified", "real"]
    assert len(readings) == len(records) + 8
    checks = {(v.claim_no, v.name): (v.core, v) for v in R.claim_verdicts(records)}
    core, real = checks[6, "QNN, authors'-code configuration as it ran"]
    assert core and real.reproduced is False and "real Hessian" in real.evidence
    name = "QNN, authors'-code configuration as it ran, complexified angles, 2P × 2P"
    core, cx = checks[6, name]
    assert not core and cx.reproduced is True and "complexified" in cx.claim
    np.testing.assert_allclose(
        CT.trace_ratios(readings).query("definition == 'complexified' and alpha == 0.4")["ratio"],
        [0.2 / 2.1, 0.22 / 2.1],
    )
    core, first = checks[6, "QNN, authors'-code models, balanced flips, flipped Hessian labels "
                         "(first reading)"]  # fmt: skip
    assert not core and first.reproduced is True
    assert checks[6, "MLP, authors'-code configuration as it ran"][1].reproduced is True


def test_controls_run_the_qnn_check_with_its_thresholds():
    records = _fake_records(
        {
            ("si", "mlp"): [1.0, 5.0, 20.0, 100.0],
            ("si", "qnn"): [1.0, 0.9, 0.8, 0.5],
            ("si", "logistic"): [1.0, 0.95, 0.9, 0.8],
            ("si", "mlp-tanh"): [1.0, 4.0, 12.0, 40.0],
        }
    )
    text = R.curvature_sharing(records)
    assert text.endswith("falling (MNIST, SI configuration): logistic; rising ≥ 10× like the "
                         "MLP's claim: mlp-tanh")  # fmt: skip
    verdict = R.controls_verdict(records)
    assert verdict.reproduced is False and "logistic" in verdict.evidence
    shared = records[records["model"] != "logistic"]
    assert R.controls_verdict(shared).reproduced is True
    assert R.curvature_sharing(records[records["model"].isin(["mlp", "qnn"])]) is None
    few = records[records["alpha"].isin([0.0, 0.4])]
    assert "not evaluated" in R.curvature_sharing(few)
    assert R.controls_verdict(few).reproduced is None


def _smoke_results() -> list[CellResult]:
    """One small measured model per smoke spec (no training)."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 4, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (10,), generator=gen)
    flipped = np.zeros(10, dtype=bool)
    flipped[:2] = True
    results = []
    for spec in S.curvature_specs(get_profile("smoke")):
        seed = int(10 * spec.alpha)
        if spec.model.kind == "mlp":
            model, xs = MLP(4, (3,), seeds=(seed,), dtype=torch.float64), x
        else:
            model = QNN(2, 1, seeds=(seed,), dtype=torch.complex128)
            xs = x.to(torch.complex128) / torch.linalg.vector_norm(x, dim=1, keepdim=True)
        metrics = {**measure(model, xs, y, flipped, spec.model.kind, 4, 20, 0), "dead": False}
        metrics.update(val_accuracy=0.5, train_accuracy=0.5)
        results.append(CellResult(spec, metrics, {"train_time_s": 0.0, "hessian_time_s": 0.0}))
    return results


def test_figures_and_verdicts_of_measured_models():
    import matplotlib.pyplot as plt

    results = _smoke_results()
    records = S.records_frame(results)
    spectra = P.spectra_frame(results, records)
    fig, axes = plt.subplots(2, 4)
    P.plot_trace_ratio(axes[0, 0], records, "si")
    P.plot_density(axes[0, 1], spectra, "si", "mlp")
    P.plot_density(axes[0, 2], spectra, "authors-code", "qnn")
    P.plot_negative_share(axes[0, 3], records, "si")
    P.plot_term_split(axes[1, 0], records, "si")
    P.plot_lambda_max(axes[1, 1], records, "authors-code")
    plt.close(fig)
    assert len(R.claim_verdicts(records)) >= 4
    assert len(CT.summary_table(records)) == len(records)


def test_methods_table_has_one_row_per_configuration_and_model():
    table = CT.methods_table(get_profile("paper"))
    assert len(table) == 4 + 5 + 4 and set(table["configuration"]) == {"si", "authors-code"}
    assert table["scope"].nunique() == len(CT.SCOPES)


def test_a_control_whose_ratio_straddles_the_ceiling_is_inconclusive():
    records = _fake_records(
        {
            ("si", "mlp"): [1.0, 5.0, 20.0, 100.0],
            ("si", "qnn"): [1.0, 0.9, 0.8, 0.5],
            ("si", "logistic"): [1.0, 0.95, 0.9, 0.8],
            ("si", "mlp-small"): [1.0, 0.95, 0.9, 0.8],
        }
    )
    clear = R.curvature_sharing(records)
    assert "falling (MNIST, SI configuration): logistic, mlp-small;" in clear
    assert R.controls_open_text(records).startswith("No control's trace-ratio shape")
    table = R.controls_table(records).set_index("model")
    assert table.loc["logistic", "≤ 1 and falling"] == "yes"
    assert table.loc["logistic", "rises strongly"] == "no"
    # one run of mlp-small at α = 0.2 far above the clean trace: mean ratio ≈ 1.17 > 1, but a
    # resample of the other run alone gives 0.95, so the ceiling 1 lies inside the interval
    late = (records["model"] == "mlp-small") & (records["alpha"] == 0.2) & (records["run"] == 1)
    records.loc[late, "trace"] = 1.5
    checks = R.shape_checks(CT.with_scope(records).query("scope == 'si'"))
    row = checks[checks["model"] == "mlp-small"].iloc[0]
    assert not row["qnn_like"] and outcome_of(row["qnn_tests"]) is None
    text = R.curvature_sharing(records)
    assert "falling (MNIST, SI configuration): logistic, mlp-small ?;" in text
    assert R.controls_table(records).set_index("model").loc["mlp-small", "≤ 1 and falling"] == "?"
    note = R.controls_open_text(records)
    assert note.startswith("Inconclusive at this scale") and "mlp-small (≤ 1 and falling: " in note
    assert "logistic" not in note and "vs 1" in note


ALPHAS = (0.0, 0.2, 0.3, 0.4)


def _trace_records(curves: dict[str, list[list[float]]], config: str = "si") -> pd.DataFrame:
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


def _verdict_of(frame: pd.DataFrame, check: str):
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
    frame = _trace_records({"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": spread})
    qnn = _verdict_of(frame, "qnn-trace-ratio/si/real")
    assert qnn.reproduced is True and qnn.label == INCONCLUSIVE_LABEL
    states = {t.name: t.state for t in qnn.tests}
    assert states[R.RATIO_STATISTICS["max_ratio"]] == "inconclusive"
    assert "5 runs per α; Hessian on 100 samples" in qnn.evidence
    # every run alike: zero-width intervals, clear of the thresholds
    tight = _trace_records(
        {"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": [[1.0, 0.9, 0.8, 0.5]] * 5}
    )
    assert _verdict_of(tight, "qnn-trace-ratio/si/real").label == "reproduced"
    assert _verdict_of(tight, "mlp-trace-ratio/si/real").label == "reproduced"


def test_a_conclusive_failure_decides_whatever_else_is_unsure() -> None:
    """A QNN ratio that rises in every run fails 'falling' clear of 0, whatever its ≤ 1 test."""
    rising = [[1.0, 0.5, 0.7, 0.9]] * 4 + [[1.0, 1.4, 1.6, 1.8]]
    frame = _trace_records({"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": rising})
    qnn = _verdict_of(frame, "qnn-trace-ratio/si/real")
    assert qnn.label == "not reproduced"
    assert {t.state for t in qnn.tests} == {"fails", "inconclusive"}


def test_controls_verdict_is_three_valued() -> None:
    """A control whose ratio may or may not stay ≤ 1 leaves 'only the QNN' inconclusive."""
    base = {"mlp": [[1.0, 5.0, 20.0, 100.0]] * 5, "qnn": [[1.0, 0.9, 0.8, 0.5]] * 5}
    unsure = [[1.0, 0.95, 0.9, 0.8]] * 4 + [[1.0, 1.6, 1.5, 1.4]]
    v = R.controls_verdict(_trace_records({**base, "logistic": unsure}))
    assert v.label == INCONCLUSIVE_LABEL and v.reproduced is True  # mean ratio 1.08 > 1
    clear = [[1.0, 2.0, 3.0, 4.0]] * 5
    assert R.controls_verdict(_trace_records({**base, "logistic": clear})).label == "reproduced"


def test_claim7_numbers_carry_intervals() -> None:
    frame = _trace_records(
        {"mlp": [[1.0, 5.0, 20.0, 100.0]] * 3, "qnn": [[1.0, 0.9, 0.8, 0.5]] * 3}
    )
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
