"""Run-to-run intervals of the unlearning verdicts' numbers, and the uncertainty rule on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unlearning_rows import unlearning_row

from qmlr.core.unlearn import METHODS
from qmlr.report import unlearning as UR
from qmlr.report import unlearning_intervals as UI
from qmlr.report import unlearning_verdicts as UV
from qmlr.report.uncertainty import INCONCLUSIVE_LABEL, bootstrap_interval


def records(mlp_levels: list[float], mlp_forget: list[float], steps: int = 50) -> pd.DataFrame:
    """MNIST records: Retrain climbs to 0.95 and forgets by step 5 in every run; run ``r`` of
    the MLP's other methods stays at validation accuracy ``mlp_levels[r]`` and forgetting
    accuracy ``mlp_forget[r]``; the QNN's reach 0.95 and forget at step 3."""
    rows = []
    step = np.arange(steps + 1)
    for model in ("mlp", "qnn"):
        for method in METHODS:
            for run, (level, kept) in enumerate(zip(mlp_levels, mlp_forget, strict=True)):
                if method == "retrain":
                    val = np.minimum(0.5 + 0.1 * step, 0.95)
                    forget = np.maximum(0.5 - 0.1 * step, 0.0)
                elif model == "mlp":
                    val, forget = np.full(step.size, level), np.full(step.size, kept)
                else:
                    val = np.where(step >= 3, 0.95, 0.80)
                    forget = np.where(step >= 3, 0.0, 0.5)
                rows += [unlearning_row(model, method, run, s, val, forget) for s in step]
    return pd.DataFrame(rows)


def test_set_sizes_follow_the_data_and_the_studys_alpha() -> None:
    assert UI.set_sizes("mnist") == {"validation": 500, "forget": 150, "retain": 350}
    assert UI.set_sizes("xxz") == {"validation": 84, "forget": 24, "retain": 58}
    assert UI.sizes_text("mnist") == "validation n = 500, forget n = 150, retain n = 350"


def test_intervals_are_the_generic_bootstrap_of_the_same_statistic() -> None:
    """Resampling all runs at once gives the intervals of uncertainty.bootstrap_interval (same
    seed, same picks), the method's runs and Retrain's drawn together."""
    rng = np.random.default_rng(3)
    val, forget = rng.uniform(0.6, 1.0, (5, 11)), rng.uniform(0.0, 0.5, (5, 11))
    rval, rforget = rng.uniform(0.6, 1.0, (5, 11)), rng.uniform(0.0, 0.5, (5, 11))
    curves = {"finetune": (val, forget), "retrain": (rval, rforget)}
    got = UI.method_intervals(curves, "finetune", quick_steps=4)
    for name in UI.STATISTICS:

        def stat(v, f, rv, rf, name=name):
            return float(UI.curve_statistics(v, f, rv, rf, quick_steps=4)[name])

        expected, _ = bootstrap_interval(stat, [val, forget, rval, rforget])
        np.testing.assert_allclose(
            [got[name], got[f"{name}_low"], got[f"{name}_high"]],
            [expected.estimate, expected.low, expected.high],
            atol=1e-12,
        )
    # without Retrain every gap is undefined, not an error
    alone = UI.method_intervals({"finetune": (val, forget)}, "finetune", quick_steps=4)
    assert np.isnan(alone["val_gap_best"]) and not np.isnan(alone["forget_final"])


def test_intervals_are_seeded_and_reproducible() -> None:
    frame = records([0.90, 0.93, 0.95], [0.2, 0.1, 0.3])
    first, again = UR.summary_table(frame), UR.summary_table(frame.sample(frac=1, random_state=1))
    columns = [c for c in first.columns if c.endswith(("_low", "_high"))]
    key = ["model", "method"]
    first, again = first.sort_values(key), again.sort_values(key)
    np.testing.assert_allclose(first[columns].to_numpy(float), again[columns].to_numpy(float))


def test_a_threshold_inside_the_interval_makes_the_verdict_inconclusive() -> None:
    """The MLP lags Retrain (0.95) by 0.023 on the run mean, but its runs range from 0.05
    below Retrain to level with it: the −0.02 threshold lies inside the interval."""
    spread = UR.summary_table(records([0.90, 0.93, 0.95], [0.6, 0.6, 0.6]))
    verdict = UV.lag_verdict(spread, "mlp", "si")
    assert verdict.reproduced is True and verdict.label == INCONCLUSIVE_LABEL
    assert "threshold inside the interval" in verdict.evidence
    assert {t.state for t in verdict.tests} == {"inconclusive"}
    # the same run mean with no run-to-run spread is clear of the threshold
    tight = UR.summary_table(records([0.9267] * 3, [0.6] * 3))
    clear = UV.lag_verdict(tight, "mlp", "si")
    assert clear.label == "reproduced" and {t.state for t in clear.tests} == {"passes"}
    assert "3 runs per series" in clear.evidence
    assert "validation n = 500, forget n = 150, retain n = 350" in clear.evidence


def test_forgetting_verdicts_follow_the_rule() -> None:
    """Stubborn memories need a final forgetting gap ≥ 0.1 to Retrain's (0 here)."""
    spread = UR.summary_table(records([0.8] * 3, [0.05, 0.15, 0.2]))
    assert UV.stubborn_verdict(spread, "mlp", "si").label == INCONCLUSIVE_LABEL
    clear = UR.summary_table(records([0.8] * 3, [0.3, 0.4, 0.5]))
    assert UV.stubborn_verdict(clear, "mlp", "si").label == "reproduced"
    below = UR.summary_table(records([0.8] * 3, [0.01, 0.02, 0.03]))
    assert UV.stubborn_verdict(below, "mlp", "si").label == "not reproduced"
    # the MLP's forgetting area exceeds the QNN's in every resample: clear of 0
    easier = UV.easier_for_qnn_verdict(clear)
    assert easier.label == "reproduced" and all(t.runs == 3 for t in easier.tests)


@pytest.mark.parametrize("check", ["lag", "quick", "stubborn", "fast"])
def test_few_runs_stay_not_evaluated(check: str) -> None:
    few = UR.summary_table(records([0.8, 0.9], [0.3, 0.4]))
    verdict = {
        "lag": UV.lag_verdict(few, "mlp", "si"),
        "quick": UV.quick_verdict(few, "qnn", "paper-figure"),
        "stubborn": UV.stubborn_verdict(few, "mlp", "si"),
        "fast": UV.fast_forgetting_verdict(few, "qnn", "paper-figure"),
    }[check]
    assert verdict.reproduced is None and verdict.label == "not evaluated"
