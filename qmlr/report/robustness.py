"""Verdicts of the robustness checks: finite shots and splits that are not interpolation.

Both reuse the criteria of claims 1 and 2 exactly as the resilience chapter states them
(:mod:`qmlr.report.analysis`, fixed before these studies ran) and the uncertainty rule of
:mod:`qmlr.report.uncertainty`:

* **finite shots** (:mod:`qmlr.studies.shots_study`): for each dataset and each evaluation shot
  count ``N`` of :data:`~qmlr.studies.shots_study.EVAL_SHOTS`, the QNN's label-flipping
  validation curve read out with ``N`` shots keeps claim 2's plateau (to α =
  :data:`~qmlr.report.analysis.CLAIM_PLATEAU_ALPHA`) and transition (α_c in [0.4, 0.6]); the
  same for the QNNs trained with shots in the forward pass, read out with as many shots; and
  claim 3 for the exact-trained QNN read out with ``N`` shots (its area under the validation
  curve larger under feature randomization than under label flipping, the same test);
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

from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import clean_split
from qmlr.report import phenotype as P
from qmlr.report.analysis import (
    DATASET_NAMES,
    Verdict,
    area_difference_test,
    curve_row,
    curve_summary,
    decay_tests,
    interval_of,
    mlp_claim,
    qnn_tests,
    verdict_from_tests,
)
from qmlr.report.phenotype import QNN_PHENOTYPE, model_name, model_order
from qmlr.report.plots import VAL_STYLE, band
from qmlr.report.uncertainty import tri_not, validation_size
from qmlr.studies.splits_study import DATA

#: Short names of the corruptions in tables.
CORRUPTION_LABELS = {"label_flip": "label flipping", "feature_random": "feature randomization"}

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


#: Scorecard claim and name of each kind of verdict here, by the head of its check id (claim 0:
#: claim 1 for the MLP's verdict, claim 2 for the QNN's).
CHECK_NAMES = {
    "shots": (2, "QNN read out with {n} shots"),
    "trained-shots": (2, "QNN trained and read out with {n} shots"),
    "features-shots": (3, "QNN read out with {n} shots, features vs labels"),
    "split-coarse": (0, "{model} validated between coarse training points"),
    "split-outside": (0, "{model} validated outside the windows"),
}


def filed(check_id: str, verdict: Verdict) -> Verdict:
    """``verdict`` with its identity: the id ``check_id`` (``"<kind>[-N]/<dataset or model>"``),
    filed beyond the paper in the resilience chapter under claim 1 (an MLP) or 2 (a QNN), or
    under the claim :data:`CHECK_NAMES` gives its kind.

    Example:
        >>> filed("shots-10/xxz", Verdict("c", "e", None)).name
        'XXZ: QNN read out with 10 shots'
    """
    head, what = check_id.split("/")
    shot_kinds = ("shots", "trained", "features")
    prefix, _, n = head.rpartition("-") if head.startswith(shot_kinds) else (head, "", "")
    claim, name = CHECK_NAMES[prefix]
    if claim == 0:
        claim, name = (1 if what == "mlp" else 2), f"XXZ: {name.format(model=what.upper())}"
    else:
        name = f"{DATASET_NAMES.get(what, what)}: {name.format(n=n)}"
    return verdict.filed(check_id, claim, "resilience", False, name)


def shots_verdicts(summary: pd.DataFrame, profile: str) -> dict[str, Verdict]:
    """Claim 2's plateau and transition under finite-shot readout, one verdict per dataset and
    evaluation shot count (label flipping), then one per shot-trained series (read out with
    its own training shots).

    :param summary: :func:`shots_summary` output.
    :param profile: the profile the records came from.
    :return: ``{"shots-<N>/<dataset>" or "trained-shots-<N>/<dataset>": verdict}``.
    """
    flips = summary[(summary["corruption"] == "label_flip") & (summary["shots"] > 0)]
    picked = flips[(flips["train_shots"] == 0) | (flips["train_shots"] == flips["shots"])]
    verdicts = {}
    for _, row in picked.sort_values(["train_shots", "dataset", "shots"]).iterrows():
        name = DATASET_NAMES[row["dataset"]]
        trained = f", trained with {row['train_shots']} shots" if row["train_shots"] else ""
        evidence = (
            f"{name}, {row['shots']} shots per sample{trained}: clean validation "
            f"{row['clean_val']:.3f}, lowest change from clean up to α = 0.3 "
            f"{interval_of(row, 'plateau_margin')}, α_c = {interval_of(row, 'alpha_c')}"
        )
        key = f"{'trained-' if row['train_shots'] else ''}shots-{row['shots']}/{row['dataset']}"
        verdicts[key] = verdict_from_tests(
            f"Beyond the paper: {name} QNN{trained}, read out with {row['shots']} shots, "
            "keeps claim 2's plateau and transition",
            evidence,
            qnn_tests(row, with_train=False),
            profile,
            n_val=validation_size(row["dataset"]),
        )
    return {key: filed(key, v) for key, v in verdicts.items()}


def splits_summary(records: pd.DataFrame) -> pd.DataFrame:
    """:func:`~qmlr.report.analysis.curve_summary` of split records by model and split."""
    return curve_summary(records, ["model", "split"])


def split_sizes(records: pd.DataFrame) -> dict[str, int]:
    """Validation samples of each split (the ``outside`` one is recorded with each cell).

    :param records: :func:`qmlr.studies.splits_study.split_records` output.
    :return: ``{split: samples}``.
    """
    return {
        "interleaved": validation_size("xxz"),
        "coarse": len(clean_split(DATA, "val")),
        "outside": len(clean_split(DATA, "outside")),
    }


def split_verdicts(
    summary: pd.DataFrame, sizes: dict[str, int], profile: str
) -> dict[str, Verdict]:
    """Per split other than the paper's: the MLP still decays (claim 1) and the QNN still shows
    plateau and transition (claim 2), each a verdict.

    :param summary: :func:`splits_summary` output.
    :param sizes: :func:`split_sizes` output.
    :param profile: the profile the records came from.
    :return: ``{"split-<split>/<model>": verdict}``, two per split, MLP first.
    """
    verdicts = {}
    for split in ("coarse", "outside"):
        mlp = summary[(summary["model"] == "mlp") & (summary["split"] == split)].iloc[0]
        qnn = summary[(summary["model"] == "qnn") & (summary["split"] == split)].iloc[0]
        where = SPLIT_NAMES[split]
        verdicts[f"split-{split}/mlp"] = verdict_from_tests(
            f"Beyond the paper: XXZ MLP, validated {where}, falls steadily from α = 0",
            f"XXZ MLP ({split}): clean validation {mlp['clean_val']:.3f}; slope "
            f"{interval_of(mlp, 'val_slope')} per unit α over α ≤ 0.5; lowest change from "
            f"clean up to α = 0.3 {interval_of(mlp, 'plateau_margin')}",
            decay_tests(mlp),
            profile,
            n_val=sizes[split],
        )
        verdicts[f"split-{split}/qnn"] = verdict_from_tests(
            f"Beyond the paper: XXZ QNN, validated {where}, keeps plateau and transition",
            f"XXZ QNN ({split}): clean validation {qnn['clean_val']:.3f}; lowest change "
            f"from clean up to α = 0.3 {interval_of(qnn, 'plateau_margin')}; "
            f"α_c = {interval_of(qnn, 'alpha_c')}",
            qnn_tests(qnn, with_train=False),
            profile,
            n_val=sizes[split],
        )
    return {key: filed(key, v) for key, v in verdicts.items()}


# --------------------------------------------------------------------------------------------
# Tables and figures
# --------------------------------------------------------------------------------------------

#: The α at which the shots and splits tables report validation accuracy.
TABLE_ALPHAS = (0.0, 0.3, 0.5)


def _at(records: pd.DataFrame, by: list[str], alphas=TABLE_ALPHAS) -> pd.DataFrame:
    """Mean ± std (over runs) of validation accuracy at ``alphas``, one row per group."""
    rows = []
    for key, g in records.groupby(by, sort=True):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for a in alphas:
            v = g.loc[(g["alpha"] - a).abs() < 1e-9, "val_accuracy"]
            row[f"α = {a}"] = f"{v.mean():.3f} ± {v.std(ddof=0):.3f}" if len(v) else "–"
        row["runs"] = int(g["run"].nunique())
        rows.append(row)
    return pd.DataFrame(rows)


def shots_feature_verdicts(summary: pd.DataFrame, profile: str) -> dict[str, Verdict]:
    """Claim 3 under finite-shot readout: per dataset and evaluation shot count, the
    exact-trained QNN loses less area under its validation curve to feature randomization than
    to label flipping (:func:`~qmlr.report.analysis.area_difference_test`, the resilience
    chapter's test and threshold). Only where the summary holds both corruptions.

    :param summary: :func:`shots_summary` output.
    :param profile: the profile the records came from.
    :return: ``{"features-shots-<N>/<dataset>": verdict}``.
    """
    exact = summary[(summary["train_shots"] == 0) & (summary["shots"] > 0)]
    verdicts = {}
    for dataset, shots in sorted(set(zip(exact["dataset"], exact["shots"], strict=True))):
        here = exact[(exact["dataset"] == dataset) & (exact["shots"] == shots)]
        if set(here["corruption"]) < {"label_flip", "feature_random"}:
            continue
        flip = curve_row(here, corruption="label_flip")
        feat = curve_row(here, corruption="feature_random")
        test = area_difference_test(feat, flip, "QNN area difference")
        name = DATASET_NAMES[dataset]
        key = f"features-shots-{shots}/{dataset}"
        verdicts[key] = verdict_from_tests(
            f"Beyond the paper: {name} QNN read out with {shots} shots suffers less from feature "
            "randomization than from label flipping",
            f"{name}, {shots} shots per sample: area under the validation curve "
            f"{feat['val_area']:.3f} (features) vs {flip['val_area']:.3f} (labels), difference "
            f"{test.value}",
            [test],
            profile,
            n_val=validation_size(dataset),
        )
    return {key: filed(key, v) for key, v in verdicts.items()}


def shots_table(records: pd.DataFrame) -> pd.DataFrame:
    """The QNN's validation accuracy (mean ± std over runs) at α = 0, 0.3 and 0.5 per dataset,
    corruption, training shots and readout shots, with the validation-set size.

    :param records: :func:`qmlr.studies.shots_study.records` output.
    """
    table = _at(records, ["dataset", "corruption", "train_shots", "shots"])
    table.insert(4, "validation n", [validation_size(d) for d in table["dataset"]])
    table["corruption"] = table["corruption"].map(CORRUPTION_LABELS)
    table["dataset"] = table["dataset"].map(DATASET_NAMES)
    table["train_shots"] = [s if s else "exact" for s in table["train_shots"]]
    table["shots"] = [s if s else "exact" for s in table["shots"]]
    return table.rename(columns={"train_shots": "trained with", "shots": "read out with"})


def splits_table(records: pd.DataFrame, sizes: dict[str, int]) -> pd.DataFrame:
    """Per model and split: validation accuracy (mean ± std over runs) at α = 0, 0.3 and 0.5,
    the validation-set size, and α_c with its interval.

    :param records: :func:`qmlr.studies.splits_study.split_records` output.
    :param sizes: :func:`split_sizes` output.
    """
    table = _at(records, ["model", "split"])
    summary = splits_summary(records).set_index(["model", "split"])
    table["α_c [95% CI]"] = [
        str(interval_of(summary.loc[(m, s)], "alpha_c"))
        for m, s in zip(table["model"], table["split"], strict=True)
    ]
    table.insert(2, "validation n", [sizes[s] for s in table["split"]])
    order = {m: i for i, m in enumerate(model_order(list(table["model"])))}
    split_order = {s: i for i, s in enumerate(SPLIT_NAMES)}
    table = table.sort_values(
        ["model", "split"],
        key=lambda c: c.map(order) if c.name == "model" else c.map(split_order),
    )
    table["model"] = table["model"].map(model_name)
    table["split"] = table["split"].map(SPLIT_NAMES)
    return table.reset_index(drop=True)


def draw_curves(ax, records: pd.DataFrame, by: str, labels: dict, title: str = "") -> None:
    """Validation accuracy vs α (mean ± std over runs), one band per value of ``by``.

    :param ax: matplotlib axes.
    :param records: records of one panel.
    :param by: the column whose values get one band each.
    :param labels: ``{value: legend label}`` in drawing order (values absent are skipped).
    :param title: the panel's title.
    """
    for value, label in labels.items():
        g = records[records[by] == value]
        if g.empty:
            continue
        stats = g.groupby("alpha")["val_accuracy"].agg(["mean", "std"]).fillna(0.0)
        band(ax, stats.index, stats["mean"], stats["std"], label=label, **VAL_STYLE)
    ax.axhline(0.5, color="grey", linewidth=0.5)
    ax.set_xlabel(r"noise ratio $\alpha$")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)


def split_phenotypes(records: pd.DataFrame) -> pd.DataFrame:
    """The controls chapter's phenotype of every model on every split
    (:func:`qmlr.report.phenotype.phenotype_of`, each split in place of a dataset).

    :param records: :func:`qmlr.studies.splits_study.split_records` output.
    :return: one row per model (display order), one column per split, the phenotype in each.
    """
    recs = records.assign(dataset=records["split"])
    if "n_params" not in recs:
        recs["n_params"] = float("nan")
    paper = recs["model"].isin(P.PAPER_MODELS) & recs["n_params"].isna()
    recs.loc[paper, "n_params"] = [P.paper_n_params("xxz", m) for m in recs.loc[paper, "model"]]
    kinds = P.phenotypes(P.phenotype_checks(P.phenotype_table(recs)))
    table = kinds.pivot(index="model", columns="dataset", values="phenotype")
    table = table.reindex(index=P.model_order(list(table.index)), columns=list(SPLIT_NAMES))
    table.index = [P.model_name(m) for m in table.index]
    table.columns = [SPLIT_NAMES[s] for s in table.columns]
    return table.rename_axis("model").reset_index()


def realization_verdict(records: pd.DataFrame, profile: str) -> Verdict:
    """Claim 1 for the XXZ MLP whose runs each read another phase realization
    (:mod:`qmlr.studies.realizations_study`): its intervals now include the spread over
    realizations.

    :param records: :func:`qmlr.studies.realizations_study.records` output.
    :param profile: the profile the records came from.
    """
    row = curve_summary(records, ["model"]).iloc[0]
    verdict = mlp_claim(row, "XXZ, one phase realization per run", profile, validation_size("xxz"))
    return Verdict(
        "Beyond the paper: " + verdict.claim,
        verdict.evidence,
        verdict.reproduced,
        verdict.partly,
        verdict.inconclusive,
    ).filed(
        "phase-realizations/mlp",
        1,
        "resilience",
        False,
        "XXZ: MLP with one phase realization per run",
    )


def realization_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per run (phase seed): lowest train accuracy over α, and validation accuracy at α = 0,
    0.3 and 0.5 — the spread over phase realizations.

    :param records: :func:`qmlr.studies.realizations_study.records` output.
    """
    rows = []
    for (run, seed), g in records.groupby(["run", "phase_seed"], sort=True):
        row = {"run": int(run), "phase seed": int(seed)}
        row["lowest train accuracy"] = f"{g['train_accuracy'].min():.3f}"
        for a in TABLE_ALPHAS:
            v = g.loc[(g["alpha"] - a).abs() < 1e-9, "val_accuracy"]
            row[f"validation, α = {a}"] = f"{v.mean():.3f}" if len(v) else "–"
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Phase augmentation
# --------------------------------------------------------------------------------------------

#: What "phase augmentation makes the XXZ MLP QNN-like" means (fixed before the
#: ``phase-augmentation`` study ran): under label flipping, the augmented MLP passes every check
#: of the controls chapter's QNN phenotype (:data:`qmlr.report.phenotype.QNN_PHENOTYPE`: learns
#: the clean task, reproduces at most 0.2 of the flipped labels, holds its plateau to α = 0.3,
#: α_c in [0.4, 0.6], a sharp drop), each with its existing named threshold; a check whose
#: threshold lies inside its run-bootstrap interval leaves the answer inconclusive
#: (:func:`qmlr.report.phenotype.phenotype_outcome`).
AUGMENTED_QNN_LIKE_CHECKS = QNN_PHENOTYPE

#: Check ids of the phase-augmentation verdicts (:func:`augmentation_verdicts`).
AUGMENTATION_IDS = ("phase-augmentation/mlp", "phase-augmentation/phenotype")


def augmentation_verdicts(records: pd.DataFrame, n_cells: int, profile: str) -> dict[str, Verdict]:
    """Two verdicts on the XXZ MLP trained with phase augmentation
    (:mod:`qmlr.studies.augmentation_study`), both beyond the paper:

    * ``phase-augmentation/mlp`` (claim 1): the augmented MLP still memorizes and decays
      (:func:`qmlr.report.analysis.mlp_claim`, the resilience chapter's criteria);
    * ``phase-augmentation/phenotype`` (claim 2): the augmented MLP still lacks the QNN's
      phenotype — the negation of :data:`AUGMENTED_QNN_LIKE_CHECKS` under the uncertainty rule,
      so "not reproduced" means augmentation made the MLP QNN-like.

    :param records: :func:`qmlr.studies.augmentation_study.available_records` records.
    :param n_cells: cells the study has; with fewer records nothing is judged.
    :param profile: the profile the records came from.
    :return: ``{check id: verdict}``.
    """
    from dataclasses import replace

    name = "XXZ, phase augmentation"
    done = f"{len(records)} of {n_cells} cells computed"
    complete = len(records) == n_cells > 0
    if records.empty or records["alpha"].nunique() < 2:  # no curve yet
        mlp = Verdict(
            f"Beyond the paper: {name}, MLP, label flipping: train ≈ 1 at every α, validation "
            "falls steadily from α = 0",
            name,
            None,
        )
        phen = Verdict(
            f"Beyond the paper: {name}: the MLP still lacks the QNN's phenotype", name, None
        )
    else:
        row = curve_summary(records, ["model"]).iloc[0]
        mlp = mlp_claim(row, name, profile, validation_size("xxz"))
        mlp = replace(mlp, claim="Beyond the paper: " + mlp.claim)
        checks = P.phenotype_checks(P.phenotype_table(records))
        sel = checks.set_index("check_id").loc[list(AUGMENTED_QNN_LIKE_CHECKS)]
        listed = "; ".join(
            f"{c} {'passes' if r['passed'] else 'fails'} ({r['value']:.3f}"
            + ("" if r["conclusive"] else ", threshold inside the interval")
            + ")"
            for c, r in sel.iterrows()
        )
        evidence = (
            f"{name}: phenotype {P.phenotype_of(checks, 'xxz', 'mlp')}; the QNN phenotype's "
            f"checks: {listed}"
        )
        outcome = tri_not(P.phenotype_outcome(checks, "xxz", "mlp"))
        point = not bool(sel["passed"].all())
        judged = get_profile(profile).judged
        phen = Verdict(
            f"Beyond the paper: {name}: the MLP still lacks the QNN's phenotype",
            evidence,
            point if judged else None,
            inconclusive=judged and outcome is None,
        )
    if not complete:  # a study still being computed is shown, never judged
        mlp = replace(mlp, evidence=f"{mlp.evidence} ({done})", reproduced=None, inconclusive=False)
        phen = replace(
            phen, evidence=f"{phen.evidence} ({done})", reproduced=None, inconclusive=False
        )
    ids = dict(zip(("mlp", "phenotype"), AUGMENTATION_IDS, strict=True))
    return {
        ids["mlp"]: mlp.filed(ids["mlp"], 1, "resilience", False, _AUG_NAMES["mlp"]),
        ids["phenotype"]: phen.filed(
            ids["phenotype"], 2, "resilience", False, _AUG_NAMES["phenotype"]
        ),
    }


#: Scorecard names of the phase-augmentation verdicts.
_AUG_NAMES = {
    "mlp": "XXZ: MLP with phase augmentation (memorization, decay)",
    "phenotype": "XXZ: MLP with phase augmentation lacks the QNN's phenotype",
}
