"""The controls chapter's tables and its generated verdict paragraph."""

from __future__ import annotations

import pandas as pd

from qmlr.report.analysis import (
    DATASET_NAMES,
    INTERVAL_LEVEL,
    interval_of,
)
from qmlr.report.phenotype.checks import (
    CHECKS,
    INTERPRETATION_ID,
    QNN_CHECK_IDS,
    _names,
    discrimination,
    models_with_phenotype,
    per_dataset_text,
    phenotype_checks,
    phenotype_of,
    phenotype_outcome,
    phenotype_verdicts,
    phenotypes,
)
from qmlr.report.phenotype.measures import (
    DROP_STEP,
    LEARNS_LEVEL,
    model_name,
    model_order,
)
from qmlr.report.sharing import marked


def _mark(passed: bool) -> str:
    return "✓" if passed else "✗"


def display_table(table: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """One dataset's label-flipping measures, one row per model, as the chapter tables them.

    :param table: :func:`phenotype_table` output (both corruptions).
    :param dataset: the dataset.
    :return: columns model, parameters, memorization, plateau up to α, α_c [95% CI], steepest
        drop per 0.1 of α, area under validation (label flipping and, where present, feature
        randomization) and phenotype (:func:`phenotype_of` on the point estimates, marked
        :data:`~qmlr.report.sharing.SHARING_MARK` where a threshold of the QNN phenotype's
        checks lies inside its run-bootstrap interval, :func:`phenotype_outcome`).
    """

    mine = table[table["dataset"] == dataset]
    flip = mine[mine["corruption"] == "label_flip"].set_index("model")
    feature = mine[mine["corruption"] == "feature_random"].set_index("model")["val_area"]
    checks = phenotype_checks(table)
    rows = []
    for model in model_order(list(flip.index)):
        r = flip.loc[model]
        n = r["n_params"]
        rows.append(
            {
                "model": model_name(model),
                "parameters": "–" if pd.isna(n) else f"{round(n):,}",
                "memorization": f"{r['memorization']:.3f}",
                "plateau up to α": f"{r['plateau_end']:.1f}",
                "α_c [95% CI]": str(interval_of(r, "alpha_c")),
                f"steepest drop per {DROP_STEP} of α": f"{r['steepest_drop']:.3f}",
                "area, labels": f"{r['val_area']:.3f}",
                "area, features": f"{feature[model]:.3f}" if model in feature.index else "–",
                "phenotype": marked(
                    phenotype_of(checks, dataset, model), phenotype_outcome(checks, dataset, model)
                ),
            }
        )
    return pd.DataFrame(rows)


def check_matrix(table: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Every check on every model of one dataset (label flipping): one row per model, one
    column per check (by its id), each cell ✓ / ✗ with the measured value; a last row says
    whether the check separates the QNN from the MLP (the QNN passes, the MLP fails).

    :param table: :func:`phenotype_table` output.
    :param dataset: the dataset.
    """
    checks = phenotype_checks(table)
    checks = checks[checks["dataset"] == dataset]
    disc = discrimination(checks).set_index("check_id")
    rows = []
    for model in model_order(list(checks["model"])):
        sel = checks[checks["model"] == model].set_index("check_id")
        row = {"model": model_name(model)}
        for check_id in CHECKS:
            row[check_id] = f"{_mark(sel.loc[check_id, 'passed'])} {sel.loc[check_id, 'value']:.2f}"
        rows.append(row)
    rows.append(
        {"model": "QNN passes, MLP fails"}
        | {c: "yes" if disc.loc[c, "qnn_specific"] else "no" for c in CHECKS}
    )
    return pd.DataFrame(rows)


def check_legend() -> str:
    """The checks of :data:`CHECKS` as a Markdown list: ``id``: what it requires.

    Example:
        >>> check_legend().splitlines()[0]
        '- `no-memorization`: reproduces ≤ 0.2 of the flipped training labels (0 < α ≤ 0.4)'
    """
    return "\n".join(f"- `{c}`: {check.label}" for c, check in CHECKS.items())


def verdict_paragraph(table: pd.DataFrame, profile: str) -> str:
    """The chapter's verdict in words, per dataset: who shows the QNN's phenotype, who the
    MLP's, which checks separate the QNN from the MLP, and what that means for the paper's
    interpretation.

    :param table: :func:`phenotype_table` output.
    :param profile: the profile (at an unjudged profile the text says so).
    :return: Markdown.
    """
    checks = phenotype_checks(table)
    kinds = phenotypes(checks)
    disc = discrimination(checks)
    verdict = phenotype_verdicts(table, profile)[INTERPRETATION_ID]
    parts = []
    for dataset, g in kinds.groupby("dataset", sort=True):
        by = dict(zip(g["model"], g["phenotype"], strict=True))
        order = model_order(list(by))
        qnn_like = [m for m in order if m != "qnn" and by[m] == "QNN"]
        mlp_like = [m for m in order if m != "mlp" and by[m] == "MLP"]
        neither = [m for m in order if by[m] == "neither"]
        chance = [m for m in order if by[m] == "does not learn"]
        separating = disc[(disc["dataset"] == dataset) & disc["qnn_specific"]]
        separating = [c for c in separating["check_id"] if c in QNN_CHECK_IDS]
        parts.append(
            f"**{DATASET_NAMES.get(dataset, dataset)}.** The QNN "
            + ("shows" if by.get("qnn") == "QNN" else "does not show")
            + f" the phenotype. Classical models with the QNN's phenotype: {_names(qnn_like)}. "
            f"With the MLP's phenotype: {_names(mlp_like)}. Neither: {_names(neither)}. "
            + (
                f"Not learning the clean task (validation accuracy at α = 0 below "
                f"{LEARNS_LEVEL}): {_names(chance)}. "
                if chance
                else ""
            )
            + "Checks the QNN passes and the MLP fails: "
            + (", ".join(f"`{c}`" for c in separating) if separating else "none")
            + "."
        )
    if verdict.reproduced is None:
        ending = (
            f"At profile `{profile}` the runs are too small and short to judge the paper's "
            'interpretation; rerun with `profile = "paper"`.'
        )
    elif verdict.inconclusive:
        ending = (
            "**On this evidence the paper's interpretation is inconclusive at this scale:** on "
            f"the point estimates it {'holds' if verdict.reproduced else 'does not hold'}, but "
            "a threshold it rests on lies inside the run-to-run interval of the number it "
            f"judges ({INTERVAL_LEVEL:.0%} bootstrap over runs; see the verdict's evidence)."
        )
    elif verdict.reproduced:
        ending = (
            "**On this evidence the paper's interpretation holds:** no classical model tested "
            "here shows the QNN's phenotype."
        )
    else:
        shared = {d: m for d, m in models_with_phenotype(table, "QNN").items() if m}
        lacking = sorted(
            set(kinds[(kinds["model"] == "qnn") & (kinds["phenotype"] != "QNN")]["dataset"])
        )
        reasons = []
        if shared:
            reasons.append(
                "classical models without any quantum ingredient show the QNN's phenotype ("
                + per_dataset_text(shared)
                + ")"
            )
        if lacking:
            reasons.append(
                "the QNN itself does not show it on "
                + ", ".join(DATASET_NAMES.get(d, d) for d in lacking)
            )
        ending = (
            "**On this evidence the paper's interpretation does not hold"
            + (" on every dataset" if verdict.partly else "")
            + ":** "
            + "; ".join(reasons)
            + "."
        )
    return "\n\n".join([*parts, ending])
