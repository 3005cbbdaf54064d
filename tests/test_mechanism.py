"""The mechanism chapter's measures and judgements on hand-made records (no training)."""

from __future__ import annotations

import pandas as pd

from qmlr.report import mechanism as M


def records(label: str, memorized: tuple[float, float], val0: float = 0.95) -> pd.DataFrame:
    rows = []
    for run, mem in enumerate(memorized):
        for alpha, train, val, corrupted in (
            (0.0, 1.0, val0, float("nan")),
            (0.3, 0.9, val0 - 0.02, mem),
            (0.5, 0.6, 0.5, 0.5),
        ):
            rows.append(
                {
                    "study": "qnn-depth",
                    "dataset": "mnist",
                    "model": "qnn",
                    "model_label": label,
                    "depth": 12,
                    "scale": 5.0,
                    "alpha": alpha,
                    "run": run,
                    "train_accuracy": train,
                    "val_accuracy": val,
                    "corrupted_memorized": corrupted,
                }
            )
    return pd.DataFrame(rows)


def test_curve_table_measures_with_intervals():
    table = M.curve_table(records("QNN depth 12", (0.9, 0.7)))
    row = table.iloc[0]
    assert row["cells"] == 6 and row["runs"] == 2
    assert abs(row["memorization"] - 0.8) < 1e-12
    assert row["memorization_low"] <= 0.8 <= row["memorization_high"]
    assert abs(row["random_fit"] - 0.6) < 1e-12
    assert abs(row["plateau"] + 0.02) < 1e-9


def test_predictions_are_judged_pending_held_failed_or_open():
    planned = {"qnn-depth|mnist|QNN depth 12": 6, "qnn-depth|mnist|QNN depth 6": 6}
    both = pd.concat([records("QNN depth 12", (0.9, 0.8)), records("QNN depth 6", (0.9, 0.7))])
    judged = M.judged_predictions("paper", M.curve_table(both), planned).set_index("model_label")
    mnist = judged[judged["dataset"] == "mnist"]
    # depth 12 was predicted to memorize (ceiling 0.56), depth 6 not (0.196)
    assert mnist.loc["QNN depth 12", "memorization_outcome"] == "held"
    assert mnist.loc["QNN depth 6", "memorization_outcome"] == "failed"
    assert mnist.loc["QNN depth 6", "random_fit_outcome"] == "held"  # 0.6 < 0.75, predicted no
    assert mnist.loc["QNN depth 24", "memorization_outcome"] == "pending"
    sentence = M.finding(judged.reset_index())
    # depth 6 below the level but memorized; depth 12 above it and memorized
    assert "A low ceiling did not always predict resilience" in sentence
    assert "1 memorized (MNIST QNN depth 6); 0 of 1 predictions held" in sentence
    assert "A high ceiling predicted memorization: of 1 model" in sentence
    assert "MNIST: no depth up to" not in sentence and "depth 12" in sentence


def test_a_model_that_does_not_learn_is_not_judged():
    planned = {"qnn-depth|mnist|QNN depth 12": 6}
    table = M.curve_table(records("QNN depth 12", (0.9, 0.8), val0=0.6))
    judged = M.judged_predictions("paper", table, planned)
    row = judged[(judged["dataset"] == "mnist") & (judged["model_label"] == "QNN depth 12")]
    assert row["memorization_outcome"].item() == "not judged"


def test_onset_depth_words():
    rows = pd.DataFrame(
        {
            "study": ["qnn-depth"] * 2,
            "dataset": ["mnist"] * 2,
            "depth": [6, 12],
            "memorization_low": [0.0, 0.6],
            "memorization_high": [0.2, 0.9],
        }
    )
    assert M.onset_depth(rows, "mnist") == "depth 12"
    assert M.onset_depth(rows.iloc[:1], "mnist") == "no depth up to 6"
    assert M.onset_depth(rows, "xxz") == "undetermined"
    # a depth that does not learn the clean task does not count as memorizing
    assert M.onset_depth(rows.assign(clean_val=[0.95, 0.5]), "mnist") == "no depth up to 6"
