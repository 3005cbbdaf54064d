"""Verdicts of the robustness checks: finite shots and splits that are not interpolation.

Both reuse the criteria of claims 1 and 2 exactly as the resilience chapter states them
(:mod:`qmlr.report.analysis`, fixed before these studies ran) and the uncertainty rule of
:mod:`qmlr.report.uncertainty`:

* **finite shots** (:mod:`qmlr.studies.shots_study`): for each dataset and each evaluation shot
  count ``N`` of :data:`~qmlr.studies.shots_study.EVAL_SHOTS`, the QNN's label-flipping
  validation curve read out with ``N`` shots keeps claim 2's plateau (to α =
  :data:`~qmlr.report.analysis.CLAIM_PLATEAU_ALPHA`) and transition (α_c in [0.4, 0.6]); the
  same for the QNNs trained with shots in the forward pass, read out with as many shots;
* **splits** (:mod:`qmlr.studies.splits_study`): on each split other than the paper's, the
  MLP's validation curve still decays from α = 0 (claim 1's slope and no-plateau criteria) and
  the QNN's still shows plateau and transition (claim 2's, without the train criterion, which
  does not depend on the split).

Example:
    >>> SPLIT_NAMES["coarse"]
    'held out between coarse training points'
"""

from __future__ import annotations

import pandas as pd

from qmlr.report.analysis import (
    DATASET_NAMES,
    Verdict,
    curve_summary,
    decay_tests,
    interval_of,
    qnn_tests,
    verdict_from_tests,
)
from qmlr.report.uncertainty import validation_size

#: Display names of the splits (:data:`qmlr.studies.splits_study.SPLITS`).
SPLIT_NAMES = {
    "interleaved": "interleaved (the paper's)",
    "coarse": "held out between coarse training points",
    "outside": "each phase outside the windows",
}


def shots_summary(records: pd.DataFrame) -> pd.DataFrame:
    """:func:`~qmlr.report.analysis.curve_summary` of the shots study's records by dataset,
    corruption, training shots and evaluation shots."""
    return curve_summary(records, ["dataset", "corruption", "train_shots", "shots"])


def shots_verdicts(summary: pd.DataFrame, profile: str) -> list[Verdict]:
    """Claim 2's plateau and transition under finite-shot readout, one verdict per dataset and
    evaluation shot count (label flipping), then one per shot-trained series (read out with
    its own training shots).

    :param summary: :func:`shots_summary` output.
    :param profile: the profile the records came from.
    :return: the verdicts.
    """
    flips = summary[(summary["corruption"] == "label_flip") & (summary["shots"] > 0)]
    picked = flips[(flips["train_shots"] == 0) | (flips["train_shots"] == flips["shots"])]
    verdicts = []
    for _, row in picked.sort_values(["train_shots", "dataset", "shots"]).iterrows():
        name = DATASET_NAMES[row["dataset"]]
        trained = f", trained with {row['train_shots']} shots" if row["train_shots"] else ""
        evidence = (
            f"{name}, {row['shots']} shots per sample{trained}: clean validation "
            f"{row['clean_val']:.3f}, lowest change from clean up to α = 0.3 "
            f"{interval_of(row, 'plateau_margin')}, α_c = {interval_of(row, 'alpha_c')}"
        )
        verdicts.append(
            verdict_from_tests(
                f"Beyond the paper: {name} QNN{trained}, read out with {row['shots']} shots, "
                "keeps claim 2's plateau and transition",
                evidence,
                qnn_tests(row, with_train=False),
                profile,
                n_val=validation_size(row["dataset"]),
            )
        )
    return verdicts


def splits_summary(records: pd.DataFrame) -> pd.DataFrame:
    """:func:`~qmlr.report.analysis.curve_summary` of split records by model and split."""
    return curve_summary(records, ["model", "split"])


def split_sizes(records: pd.DataFrame) -> dict[str, int]:
    """Validation samples of each split (the ``outside`` one is recorded with each cell).

    :param records: :func:`qmlr.studies.splits_study.split_records` output.
    :return: ``{split: samples}``.
    """
    from qmlr.studies.runner import clean_split
    from qmlr.studies.splits_study import DATA

    return {
        "interleaved": validation_size("xxz"),
        "coarse": len(clean_split(DATA, "val")),
        "outside": len(clean_split(DATA, "outside")),
    }


def split_verdicts(summary: pd.DataFrame, sizes: dict[str, int], profile: str) -> list[Verdict]:
    """Per split other than the paper's: the MLP still decays (claim 1) and the QNN still shows
    plateau and transition (claim 2), each a verdict.

    :param summary: :func:`splits_summary` output.
    :param sizes: :func:`split_sizes` output.
    :param profile: the profile the records came from.
    :return: two verdicts per split, MLP first.
    """
    verdicts = []
    for split in ("coarse", "outside"):
        mlp = summary[(summary["model"] == "mlp") & (summary["split"] == split)].iloc[0]
        qnn = summary[(summary["model"] == "qnn") & (summary["split"] == split)].iloc[0]
        where = SPLIT_NAMES[split]
        verdicts.append(
            verdict_from_tests(
                f"Beyond the paper: XXZ MLP, validated {where}, falls steadily from α = 0",
                f"XXZ MLP ({split}): clean validation {mlp['clean_val']:.3f}; slope "
                f"{interval_of(mlp, 'val_slope')} per unit α over α ≤ 0.5; lowest change from "
                f"clean up to α = 0.3 {interval_of(mlp, 'plateau_margin')}",
                decay_tests(mlp),
                profile,
                n_val=sizes[split],
            )
        )
        verdicts.append(
            verdict_from_tests(
                f"Beyond the paper: XXZ QNN, validated {where}, keeps plateau and transition",
                f"XXZ QNN ({split}): clean validation {qnn['clean_val']:.3f}; lowest change "
                f"from clean up to α = 0.3 {interval_of(qnn, 'plateau_margin')}; "
                f"α_c = {interval_of(qnn, 'alpha_c')}",
                qnn_tests(qnn, with_train=False),
                profile,
                n_val=sizes[split],
            )
        )
    return verdicts
