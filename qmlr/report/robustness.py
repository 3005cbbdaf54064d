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

from dataclasses import replace

import pandas as pd

from qmlr.engine.runner import clean_split
from qmlr.report import phenotype as P
from qmlr.report.analysis import (
    DATASET_NAMES,
    DECAYS,
    Verdict,
    area_comparison,
    curve_row,
    curve_summary,
    mlp_claim_text,
    mlp_measure,
    qnn_tests,
)
from qmlr.report.checks import (
    CheckRow,
    Measured,
    interval_of,
    judge,
    judge_by_id,
    profile_judged,
    validation_sizes,
)
from qmlr.report.plots import CORRUPTION_NAMES, VAL_STYLE, band
from qmlr.report.uncertainty import tri_not, validation_size
from qmlr.studies.splits_study import DATA

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


def _row(check_id: str, claim_no: int, name: str, claim: str, measure) -> CheckRow:
    """A robustness check: beyond the paper, in the resilience chapter."""
    return CheckRow(check_id, claim_no, "resilience", False, name, claim, measure)


def _shots_measure(row: pd.Series, judged: bool) -> Measured:
    trained = f", trained with {row['train_shots']} shots" if row["train_shots"] else ""
    evidence = (
        f"{DATASET_NAMES[row['dataset']]}, {row['shots']} shots per sample{trained}: clean "
        f"validation {row['clean_val']:.3f}, lowest change from clean up to α = 0.3 "
        f"{interval_of(row, 'plateau_margin')}, α_c = {interval_of(row, 'alpha_c')}"
    )
    sizes = validation_sizes(validation_size(row["dataset"]))
    return Measured(evidence, tuple(qnn_tests(row, with_train=False)), judged, sizes)


def shots_rows(summary: pd.DataFrame) -> list[CheckRow]:
    """Claim 2's plateau and transition under finite-shot readout, one row per dataset and
    evaluation shot count (label flipping), then one per shot-trained series (read out with
    its own training shots); data: the profile.

    :param summary: :func:`shots_summary` output.
    :return: rows ``"shots-<N>/<dataset>"`` and ``"trained-shots-<N>/<dataset>"``.
    """
    flips = summary[(summary["corruption"] == "label_flip") & (summary["shots"] > 0)]
    picked = flips[(flips["train_shots"] == 0) | (flips["train_shots"] == flips["shots"])]
    rows = []
    for _, r in picked.sort_values(["train_shots", "dataset", "shots"]).iterrows():
        name, n = DATASET_NAMES[r["dataset"]], r["shots"]
        trained = f", trained with {r['train_shots']} shots" if r["train_shots"] else ""
        kind = "trained-shots" if r["train_shots"] else "shots"
        what = "QNN trained and read out with" if r["train_shots"] else "QNN read out with"
        claim = (
            f"Beyond the paper: {name} QNN{trained}, read out with {n} shots, keeps claim 2's "
            "plateau and transition"
        )
        measure = lambda profile, r=r: _shots_measure(r, profile_judged(profile))  # noqa: E731
        rows.append(_row(f"{kind}-{n}/{r['dataset']}", 2, f"{name}: {what} {n} shots", claim,
                         measure))  # fmt: skip
    return rows


def shots_verdicts(summary: pd.DataFrame, profile: str) -> dict[str, Verdict]:
    """:func:`shots_rows` judged at ``profile``, by check id."""
    return judge_by_id(shots_rows(summary), profile)


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


def _split_measure(summary: pd.DataFrame, model: str, split: str, n_val: int, judged: bool):
    r = summary[(summary["model"] == model) & (summary["split"] == split)].iloc[0]
    plateau = f"lowest change from clean up to α = 0.3 {interval_of(r, 'plateau_margin')}"
    if model == "mlp":
        shown = f"slope {interval_of(r, 'val_slope')} per unit α over α ≤ 0.5; {plateau}"
        tests = [b.test(r) for b in DECAYS]
    else:
        shown, tests = f"{plateau}; α_c = {interval_of(r, 'alpha_c')}", qnn_tests(r, False)
    evidence = f"XXZ {model.upper()} ({split}): clean validation {r['clean_val']:.3f}; {shown}"
    return Measured(evidence, tuple(tests), judged, validation_sizes(n_val))


#: Per split other than the paper's, what is checked of each model (claim, scorecard name,
#: claim text): the MLP still decays (claim 1), the QNN still shows plateau and transition
#: (claim 2, without the train criterion, which does not depend on the split).
SPLIT_CHECKS = {
    "mlp": (1, "falls steadily from α = 0"),
    "qnn": (2, "keeps plateau and transition"),
}


def split_rows(sizes: dict[str, int]) -> list[CheckRow]:
    """Two rows per split other than the paper's, MLP first; data: (:func:`splits_summary`,
    profile).

    :param sizes: :func:`split_sizes` output.
    """
    where = {"coarse": "between coarse training points", "outside": "outside the windows"}
    return [
        _row(f"split-{split}/{model}", claim_no, f"XXZ: {model.upper()} validated {where[split]}",
             f"Beyond the paper: XXZ {model.upper()}, validated {SPLIT_NAMES[split]}, {text}",
             lambda x, m=model, s=split: _split_measure(x[0], m, s, sizes[s], profile_judged(x[1])))
        for split in ("coarse", "outside")
        for model, (claim_no, text) in SPLIT_CHECKS.items()
    ]  # fmt: skip


def split_verdicts(
    summary: pd.DataFrame, sizes: dict[str, int], profile: str
) -> dict[str, Verdict]:
    """:func:`split_rows` judged: ``{"split-<split>/<model>": verdict}``, two per split.

    :param summary: :func:`splits_summary` output.
    :param sizes: :func:`split_sizes` output.
    :param profile: the profile the records came from.
    """
    return judge_by_id(split_rows(sizes), (summary, profile))


# --------------------------------------------------------------------------------------------
# Tables and figures
# --------------------------------------------------------------------------------------------

#: The α at which the shots and splits tables report validation accuracy.
TABLE_ALPHAS = (0.0, 0.3, 0.5)


def _val_at(records: pd.DataFrame, column: str = "α = ", spread: bool = True) -> dict[str, str]:
    """Validation accuracy of ``records`` at each α of :data:`TABLE_ALPHAS` (columns ``column``
    and the α): the mean, ± the std over runs where ``spread``; – where no record has that α."""
    cells = {}
    for a in TABLE_ALPHAS:
        v = records.loc[(records["alpha"] - a).abs() < 1e-9, "val_accuracy"]
        std = f" ± {v.std(ddof=0):.3f}" if spread else ""
        cells[f"{column}{a}"] = f"{v.mean():.3f}{std}" if len(v) else "–"
    return cells


def _at(records: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean ± std (over runs) of validation accuracy at :data:`TABLE_ALPHAS`, one row per group."""
    rows = []
    for key, g in records.groupby(by, sort=True):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)) | _val_at(g)
        row["runs"] = int(g["run"].nunique())
        rows.append(row)
    return pd.DataFrame(rows)


def _features_measure(here: pd.DataFrame, dataset: str, shots: int, judged: bool) -> Measured:
    flip = curve_row(here, corruption="label_flip")
    feat = curve_row(here, corruption="feature_random")
    test, areas = area_comparison(feat, flip, "QNN area difference")
    head = f"{DATASET_NAMES[dataset]}, {shots} shots per sample"
    evidence = f"{head}: area under the validation curve {areas}"
    return Measured(evidence, (test,), judged, validation_sizes(validation_size(dataset)))


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
    rows = []
    for dataset, shots in sorted(set(zip(exact["dataset"], exact["shots"], strict=True))):
        here = exact[(exact["dataset"] == dataset) & (exact["shots"] == shots)]
        if set(here["corruption"]) < {"label_flip", "feature_random"}:
            continue
        name = DATASET_NAMES[dataset]
        rows.append(_row(
            f"features-shots-{shots}/{dataset}", 3,
            f"{name}: QNN read out with {shots} shots, features vs labels",
            f"Beyond the paper: {name} QNN read out with {shots} shots suffers less from feature "
            "randomization than from label flipping",
            lambda p, h=here, d=dataset, n=shots: _features_measure(h, d, n, profile_judged(p)),
        ))  # fmt: skip
    return judge_by_id(rows, profile)


def shots_table(records: pd.DataFrame) -> pd.DataFrame:
    """The QNN's validation accuracy (mean ± std over runs) at α = 0, 0.3 and 0.5 per dataset,
    corruption, training shots and readout shots, with the validation-set size.

    :param records: :func:`qmlr.studies.shots_study.records` output.
    """
    table = _at(records, ["dataset", "corruption", "train_shots", "shots"])
    table.insert(4, "validation n", [validation_size(d) for d in table["dataset"]])
    table["corruption"] = table["corruption"].map(CORRUPTION_NAMES)
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
    order = {m: i for i, m in enumerate(P.model_order(list(table["model"])))}
    split_order = {s: i for i, s in enumerate(SPLIT_NAMES)}
    table = table.sort_values(
        ["model", "split"],
        key=lambda c: c.map(order) if c.name == "model" else c.map(split_order),
    )
    table["model"] = table["model"].map(P.model_name)
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


def _xxz_mlp(name: str, records: pd.DataFrame, profile: str) -> Measured:
    """Claim 1 (:func:`~qmlr.report.analysis.mlp_measure`) on one XXZ MLP curve's records."""
    row = curve_summary(records, ["model"]).iloc[0]
    return mlp_measure(row, name, profile_judged(profile), validation_size("xxz"))


def realization_verdict(records: pd.DataFrame, profile: str) -> Verdict:
    """Claim 1 for the XXZ MLP whose runs each read another phase realization
    (:mod:`qmlr.studies.realizations_study`): its intervals now include the spread over
    realizations (:func:`~qmlr.report.analysis.mlp_measure`; the verdict keeps no tests, so the
    chapter's table of threshold tests lists none for it).

    :param records: :func:`qmlr.studies.realizations_study.records` output.
    :param profile: the profile the records came from.
    """
    name = "XXZ, one phase realization per run"
    row = _row("phase-realizations/mlp", 1, "XXZ: MLP with one phase realization per run",
               "Beyond the paper: " + mlp_claim_text(name),
               lambda records: _xxz_mlp(name, records, profile))  # fmt: skip
    return replace(judge(row, records), tests=())


def realization_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per run (phase seed): lowest train accuracy over α, and validation accuracy at α = 0,
    0.3 and 0.5 — the spread over phase realizations.

    :param records: :func:`qmlr.studies.realizations_study.records` output.
    """
    rows = []
    for (run, seed), g in records.groupby(["run", "phase_seed"], sort=True):
        row = {"run": int(run), "phase seed": int(seed)}
        row["lowest train accuracy"] = f"{g['train_accuracy'].min():.3f}"
        rows.append(row | _val_at(g, "validation, α = ", spread=False))
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
AUGMENTED_QNN_LIKE_CHECKS = P.QNN_PHENOTYPE


def _augmented_phenotype(records: pd.DataFrame, profile: str) -> Measured:

    checks = P.phenotype_checks(P.phenotype_table(records))
    sel = checks.set_index("check_id").loc[list(AUGMENTED_QNN_LIKE_CHECKS)]
    listed = "; ".join(
        f"{c} {'passes' if r['passed'] else 'fails'} ({r['value']:.3f}"
        + ("" if r["conclusive"] else ", threshold inside the interval")
        + ")"
        for c, r in sel.iterrows()
    )
    evidence = (
        f"{AUGMENTED}: phenotype {P.phenotype_of(checks, 'xxz', 'mlp')}; the QNN phenotype's "
        f"checks: {listed}"
    )
    outcome = tri_not(P.phenotype_outcome(checks, "xxz", "mlp"))
    point = not bool(sel["passed"].all())
    return Measured(evidence, (), profile_judged(profile), point=point, outcome=outcome,
                    phrased=True)  # fmt: skip


#: The name of the phase-augmented XXZ MLP in its verdicts.
AUGMENTED = "XXZ, phase augmentation"

#: The phase-augmentation checks (data: the records and the profile): the augmented MLP still
#: memorizes and decays (claim 1, :func:`qmlr.report.analysis.mlp_measure`), and still lacks
#: the QNN's phenotype (claim 2: the negation of :data:`AUGMENTED_QNN_LIKE_CHECKS` under the
#: uncertainty rule, so "not reproduced" means augmentation made the MLP QNN-like).
AUGMENTATION_ROWS = (
    _row("phase-augmentation/mlp", 1, "XXZ: MLP with phase augmentation (memorization, decay)",
         "Beyond the paper: " + mlp_claim_text(AUGMENTED), lambda x: _xxz_mlp(AUGMENTED, *x)),
    _row("phase-augmentation/phenotype", 2,
         "XXZ: MLP with phase augmentation lacks the QNN's phenotype",
         f"Beyond the paper: {AUGMENTED}: the MLP still lacks the QNN's phenotype",
         lambda x: _augmented_phenotype(*x)),
)  # fmt: skip

#: Check ids of the phase-augmentation verdicts.
AUGMENTATION_IDS = tuple(r.id for r in AUGMENTATION_ROWS)


def augmentation_verdicts(records: pd.DataFrame, n_cells: int, profile: str) -> dict[str, Verdict]:
    """:data:`AUGMENTATION_ROWS` on the XXZ MLP trained with phase augmentation
    (:mod:`qmlr.studies.augmentation_study`); a study still being computed (or without a
    curve) is shown, never judged.

    :param records: :func:`qmlr.studies.augmentation_study.available_records` records.
    :param n_cells: cells the study has; with fewer records nothing is judged.
    :param profile: the profile the records came from.
    :return: ``{check id: verdict}``.
    """
    if records.empty or records["alpha"].nunique() < 2:  # no curve yet
        rows = [replace(r, measure=lambda _: Measured(AUGMENTED, (), False, phrased=True))
                for r in AUGMENTATION_ROWS]  # fmt: skip
    else:
        rows = list(AUGMENTATION_ROWS)
    verdicts = judge_by_id(rows, (records, profile))
    if len(records) == n_cells > 0:
        return verdicts
    done = f"{len(records)} of {n_cells} cells computed"
    return {
        k: replace(v, evidence=f"{v.evidence} ({done})", reproduced=None, inconclusive=False)
        for k, v in verdicts.items()
    }
