"""The unlearning checks: the run-to-run intervals of their numbers, the uncertainty rule on them,
and the amenability to unlearning of the memorizing QNN and the controls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unlearning_rows import unlearning_row

import qmlr.studies.unlearning_study as U
from qmlr.core.unlearn import METHODS
from qmlr.report import unlearning as UR
from qmlr.report import unlearning_checks as UC
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
    assert UR.set_sizes("mnist") == {"validation": 500, "forget": 150, "retain": 350}
    assert UR.set_sizes("xxz") == {"validation": 84, "forget": 24, "retain": 58}
    assert UR.sizes_text("mnist") == "validation n = 500, forget n = 150, retain n = 350"


def test_intervals_are_the_generic_bootstrap_of_the_same_statistic() -> None:
    """Resampling all runs at once gives the intervals of uncertainty.bootstrap_interval (same
    seed, same picks), the method's runs and Retrain's drawn together."""
    rng = np.random.default_rng(3)
    val, forget = rng.uniform(0.6, 1.0, (5, 11)), rng.uniform(0.0, 0.5, (5, 11))
    rval, rforget = rng.uniform(0.6, 1.0, (5, 11)), rng.uniform(0.0, 0.5, (5, 11))
    curves = {"finetune": (val, forget), "retrain": (rval, rforget)}
    got = UR.method_intervals(curves, "finetune", quick_steps=4)
    for name in UR.STATISTICS:

        def stat(v, f, rv, rf, name=name):
            return float(UR.curve_statistics(v, f, rv, rf, quick_steps=4)[name])

        expected, _ = bootstrap_interval(stat, [val, forget, rval, rforget])
        np.testing.assert_allclose(
            [got[name], got[f"{name}_low"], got[f"{name}_high"]],
            [expected.estimate, expected.low, expected.high],
            atol=1e-12,
        )
    # without Retrain every gap is undefined, not an error
    alone = UR.method_intervals({"finetune": (val, forget)}, "finetune", quick_steps=4)
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
    verdict = UC.verdict("lag", spread, "mlp", "si")
    assert verdict.reproduced is True and verdict.label == INCONCLUSIVE_LABEL
    assert "threshold inside the interval" in verdict.evidence
    assert {t.state for t in verdict.tests} == {"inconclusive"}
    # the same run mean with no run-to-run spread is clear of the threshold
    tight = UR.summary_table(records([0.9267] * 3, [0.6] * 3))
    clear = UC.verdict("lag", tight, "mlp", "si")
    assert clear.label == "reproduced" and {t.state for t in clear.tests} == {"passes"}
    assert "3 runs per series" in clear.evidence
    assert "validation n = 500, forget n = 150, retain n = 350" in clear.evidence


def test_forgetting_verdicts_follow_the_rule() -> None:
    """Stubborn memories need a final forgetting gap ≥ 0.1 to Retrain's (0 here)."""
    spread = UR.summary_table(records([0.8] * 3, [0.05, 0.15, 0.2]))
    assert UC.verdict("stubborn", spread, "mlp", "si").label == INCONCLUSIVE_LABEL
    clear = UR.summary_table(records([0.8] * 3, [0.3, 0.4, 0.5]))
    assert UC.verdict("stubborn", clear, "mlp", "si").label == "reproduced"
    below = UR.summary_table(records([0.8] * 3, [0.01, 0.02, 0.03]))
    assert UC.verdict("stubborn", below, "mlp", "si").label == "not reproduced"
    # the MLP's forgetting area exceeds the QNN's in every resample: clear of 0
    easier = UC.verdict("easier", clear)
    assert easier.label == "reproduced" and all(t.runs == 3 for t in easier.tests)


@pytest.mark.parametrize("check", ["lag", "quick", "stubborn", "fast"])
def test_few_runs_stay_not_evaluated(check: str) -> None:
    few = UR.summary_table(records([0.8, 0.9], [0.3, 0.4]))
    verdict = {
        "lag": UC.verdict("lag", few, "mlp", "si"),
        "quick": UC.verdict("quick", few, "qnn", "paper-figure"),
        "stubborn": UC.verdict("stubborn", few, "mlp", "si"),
        "fast": UC.verdict("fast", few, "qnn", "paper-figure"),
    }[check]
    assert verdict.reproduced is None and verdict.label == "not evaluated"


LEVEL = 0.95


def _summary_rows(series, val_start: float, steps: int | None, width: float = 0.005) -> list:
    """Summary rows of every approximate method of ``series``: the poisoned model at
    ``val_start``, Retrain's level first reached at ``steps``; gap intervals ± ``width``."""
    best_quick = LEVEL if steps is not None and steps <= UR.QUICK_STEPS else val_start
    gaps = {"val_gap_start": val_start - LEVEL, "val_gap_quick": best_quick - LEVEL}
    bounds = {f"{k}_{e}": v + (width if e == "high" else -width)
              for k, v in gaps.items() for e in ("low", "high")}  # fmt: skip
    return [
        {
            **series.coords,
            "method": method,
            "runs": 5,
            "val_start": val_start,
            "retrain_val_final": LEVEL,
            "steps_to_retrain": steps,
            **gaps,
            **bounds,
        }
        for method in U.APPROXIMATE
    ]


def _summary(*rows: list) -> pd.DataFrame:
    return pd.DataFrame([r for group in rows for r in group])


def test_amenability_sharing_separates_a_start_at_retrain_from_a_quick_reach():
    at_level, quick, slow = U.CONTROL_SERIES[0], U.CONTROL_SERIES[1], U.MEMORIZING_SERIES[0]
    summary = _summary(
        _summary_rows(at_level, LEVEL, 0),
        _summary_rows(quick, 0.5, UR.QUICK_STEPS),
        _summary_rows(slow, 0.1, UR.QUICK_STEPS + 1),
    )
    text = UC.amenability_sharing(summary)
    starts, reaches = text.split("; of the")
    reaches = reaches.split("every approximate method:")[1]
    assert at_level.kind in starts and quick.kind not in starts and "?" not in text
    assert quick.kind in reaches and "memorizing" not in reaches
    assert UC.amenability_outcomes(summary, quick) == (False, True)
    # one step slower and the quick control no longer counts
    summary = _summary(
        _summary_rows(at_level, LEVEL, 0), _summary_rows(quick, 0.5, UR.QUICK_STEPS + 1)
    )
    assert UC.amenability_sharing(summary).endswith("every approximate method: none")


def test_a_start_straddling_retrains_level_is_inconclusive():
    near, quick, mem = U.CONTROL_SERIES[0], U.CONTROL_SERIES[1], U.MEMORIZING_SERIES[0]
    # step 0 at Retrain's level − tolerance + 0.002: −tolerance inside the ±0.005 interval
    start = LEVEL - UR.RETRAIN_TOLERANCE + 0.002
    summary = _summary(
        _summary_rows(near, start, 0),
        _summary_rows(quick, 0.5, UR.QUICK_STEPS),
        _summary_rows(mem, 0.1, UR.QUICK_STEPS),
    )
    # it may start at the level or just below it (and then it reaches the level at once)
    assert UC.amenability_outcomes(summary, near) == (None, None)
    text = UC.amenability_sharing(summary)
    assert f"{UC.series_name(near)} ?" in text.split("; of the")[0]
    assert text.endswith(f"{UC.series_name(near)} ?, {UC.series_name(quick)}")
    # a narrower interval leaves the threshold outside: conclusive again
    narrow = _summary(_summary_rows(near, start, 0, width=0.001))
    assert UC.amenability_outcomes(narrow, near) == (True, False)
    paragraph = UC.amenability_paragraph(summary, [mem], [near, quick])
    assert "0 (and 1 inconclusive at this scale) start at Retrain's level" in paragraph
    assert f"{near.label} ?" in paragraph and "is not specific to the QNN" in paragraph
    assert paragraph.split("\n\n")[1].startswith("Inconclusive at this scale")
    note = paragraph.split("\n\n")[1]
    assert near.label in note and quick.label not in note


def test_an_open_memorizing_qnn_leaves_the_paragraph_inconclusive():
    quick, mem = U.CONTROL_SERIES[1], U.MEMORIZING_SERIES[0]
    # the memorizing QNN's best early gap at −tolerance: it may or may not reach the level
    rows = _summary_rows(mem, 0.1, UR.QUICK_STEPS)
    for r in rows:
        r |= {"val_gap_quick": -UR.RETRAIN_TOLERANCE, "val_gap_quick_low": -0.03,
              "val_gap_quick_high": 0.0}  # fmt: skip
    summary = _summary(rows, _summary_rows(quick, 0.5, UR.QUICK_STEPS + 1))
    assert UC.amenability_outcomes(summary, mem) == (False, None)
    paragraph = UC.amenability_paragraph(summary, [mem], [quick])
    assert "Amenability to unlearning is inconclusive at this scale" in paragraph
