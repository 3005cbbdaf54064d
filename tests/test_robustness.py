"""Verdicts of the robustness checks (qmlr.report.robustness) on synthetic records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.report import robustness as R

ALPHAS = np.round(np.arange(0.0, 1.0, 0.1), 1)


def shot_records(feature_level: float, runs: int = 5, seed: int = 0) -> pd.DataFrame:
    """Records of the shots study for one dataset read out with 10 shots: label flipping decays
    as 1 − α; feature randomization sits at ``feature_level`` at every α > 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for corruption in ("label_flip", "feature_random"):
        for run in range(runs):
            for a in ALPHAS:
                clean = 1 - a if corruption == "label_flip" else (feature_level if a else 1.0)
                acc = float(np.clip(clean + rng.normal(0, 0.01), 0, 1))
                rows.append(
                    {"dataset": "xxz", "corruption": corruption, "train_shots": 0, "shots": 10,
                     "alpha": a, "run": run, "val_accuracy": acc, "train_accuracy": acc}
                )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("feature_level", "reproduced"), [(0.9, True), (0.2, False)])
def test_claim_3_under_shots_follows_the_area_difference(feature_level, reproduced):
    summary = R.shots_summary(shot_records(feature_level))
    verdicts = R.shots_feature_verdicts(summary, "paper")
    assert list(verdicts) == ["features-shots-10/xxz"]
    v = verdicts["features-shots-10/xxz"]
    assert v.reproduced is reproduced and v.claim_no == 3 and v.chapter == "resilience"
    assert v.name == "XXZ: QNN read out with 10 shots, features vs labels"


def test_claim_3_under_shots_needs_both_corruptions():
    records = shot_records(0.9)
    summary = R.shots_summary(records[records["corruption"] == "label_flip"])
    assert R.shots_feature_verdicts(summary, "paper") == {}
