"""Poisoning phenotypes of every model, and checks that can fail for the wrong model.

The paper describes two *phenotypes* under class-balanced label flipping: the MLP memorizes the
flipped labels and its validation accuracy erodes from α = 0; the QNN reproduces almost none of
them, keeps a validation plateau up to α ≈ 0.4 and collapses in a sharp transition near 0.5.
Its :mod:`~qmlr.report.phenotype.measures` measure the ingredients of both phenotypes on any
model's sweep records (the resilience study's MLP and QNN, the controls study's classical
controls); this module runs every check on every model, so a check is evidence for a *quantum*
effect only where the MLP fails it, and makes the controls chapter's verdicts, tables and
verdict paragraph.

The thresholds of the measures were fixed (and committed) before any paper-scale control result was
looked at; they are the single source of truth for the controls chapter and the scorecard.

Example:
    >>> import numpy as np
    >>> steepest_drop(np.array([0.0, 0.4, 0.5, 0.6]), np.array([0.98, 0.98, 0.45, 0.02]))
    0.53
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

from qmlr.engine.profiles import get_profile
from qmlr.report.analysis import (
    DATASET_NAMES,
    INTERVAL_LEVEL,
    PLATEAU_TOLERANCE,
    Verdict,
    area_difference_test,
    interval_of,
)
from qmlr.report.checks import Bound, Measured, filed
from qmlr.report.phenotype.measures import (  # noqa: F401 (this package re-exports them)
    DROP_STEP,
    LEARNS_LEVEL,
    MEMORIZATION_MAX_ALPHA,
    MEMORIZES_LEVEL,
    MODEL_NAMES,
    NO_MEMORIZATION_LEVEL,
    PAPER_MODELS,
    PAPER_PLATEAU_ALPHA,
    PHENOTYPE_PLATEAU_ALPHA,
    PLATEAU_ALPHAS,
    RECORD_COLUMNS,
    RECORD_STUDIES,
    SHARP_DROP_LEVEL,
    TRANSITION_WINDOW,
    curve_intervals,
    flipped_window,
    load_records,
    mean_interval,
    memorization,
    model_name,
    model_order,
    paper_n_params,
    phenotype_table,
    steepest_drop,
)
from qmlr.report.sharing import listed, marked
from qmlr.report.uncertainty import tri_all, tri_any, tri_not, validation_size


def _memorization(level: float, direction: str) -> Bound:
    """The test that a model reproduces at most (``"<="``) or least (``">="``) ``level`` of the
    flipped training labels."""
    labels = f"{level} of the flipped training labels (0 < α ≤ {MEMORIZATION_MAX_ALPHA})"
    sign = {"<=": "≤", ">=": "≥"}[direction]
    return Bound("memorization", f"reproduces {sign} {labels}", (level,), direction)


#: Every phenotype check, by stable id, as a threshold test on a :func:`phenotype_table` row
#: (the QNN's phenotype: the first, a plateau, transition). A plateau's answer reads the
#: plateau's end; its interval is that of the margin to the plateau tolerance.
CHECKS: dict[str, Bound] = {
    "no-memorization": _memorization(NO_MEMORIZATION_LEVEL, "<="),
    **{
        f"plateau-{a:.1f}": Bound(
            f"plateau_margin_{a:.1f}",
            f"validation within {PLATEAU_TOLERANCE} of clean up to α = {a:.1f}",
            (-PLATEAU_TOLERANCE,),
            ">=",
            point=("plateau_end", ">=", a - 1e-9),
        )
        for a in PLATEAU_ALPHAS
    },
    "alpha-c-window": Bound(
        "alpha_c", f"α_c in [{TRANSITION_WINDOW[0]}, {TRANSITION_WINDOW[1]}]", TRANSITION_WINDOW,
        "in",
    ),
    "sharp-drop": Bound(
        "steepest_drop", f"validation falls ≥ {SHARP_DROP_LEVEL} within {DROP_STEP} of α",
        (SHARP_DROP_LEVEL,), ">=",
    ),
    "learns": Bound(
        "clean_val", f"clean validation accuracy (α = 0) ≥ {LEARNS_LEVEL}", (LEARNS_LEVEL,), ">="
    ),
    "memorizes": _memorization(MEMORIZES_LEVEL, ">="),
}  # fmt: skip


#: Checks that make up the QNN's phenotype (no memorization, plateau, transition).
QNN_PHENOTYPE = (
    "learns",
    "no-memorization",
    f"plateau-{PHENOTYPE_PLATEAU_ALPHA:.1f}",
    "alpha-c-window",
    "sharp-drop",
)


#: The checks of the QNN's side (every check but the MLP's "memorizes"), in table order.
QNN_CHECK_IDS = tuple(c for c in CHECKS if c not in ("learns", "memorizes"))


def phenotype_checks(table: pd.DataFrame, corruption: str = "label_flip") -> pd.DataFrame:
    """Every check of :data:`CHECKS` on every model of ``table`` under ``corruption``.

    :param table: :func:`phenotype_table` output.
    :param corruption: the corruption whose curves are checked (the phenotypes are label
        flipping's).
    :return: long table with ``dataset``, ``model``, ``check_id``, ``value``, ``passed`` (on the
        point estimate), ``conclusive`` (no threshold inside the run-to-run interval) and
        ``outcome`` (``passed`` where conclusive, else ``None``).
    """
    rows = [
        {
            "dataset": r["dataset"],
            "model": r["model"],
            "check_id": check_id,
            "value": float(r[check.reads]),
            "passed": test.passes,
            "conclusive": test.conclusive,
            "outcome": test.outcome,
        }
        for _, r in table[table["corruption"] == corruption].iterrows()
        for check_id, check in CHECKS.items()
        for test in (check.test(r),)
    ]
    columns = ["dataset", "model", "check_id", "value", "passed", "conclusive", "outcome"]
    return pd.DataFrame(rows, columns=columns).astype({"outcome": object})


def _of(checks: pd.DataFrame, dataset: str, model: str, column: str) -> dict:
    """``{check id: column}`` of one model's checks on one dataset."""
    sel = checks[(checks["dataset"] == dataset) & (checks["model"] == model)]
    if sel.empty:
        raise ValueError(f"no checks of {model!r} on {dataset!r}")
    return dict(zip(sel["check_id"], sel[column], strict=True))


def phenotype_of(checks: pd.DataFrame, dataset: str, model: str) -> str:
    """``"does not learn"`` if the model fails ``learns`` on ``dataset``; else ``"QNN"`` if it
    passes every check of :data:`QNN_PHENOTYPE`, ``"MLP"`` if it memorizes and holds no plateau
    to α = 0.3, ``"neither"`` otherwise.

    :param checks: :func:`phenotype_checks` output.
    :param dataset: the dataset.
    :param model: the model kind.
    """
    passed = _of(checks, dataset, model, "passed")
    if not passed["learns"]:
        return "does not learn"
    if all(passed[c] for c in QNN_PHENOTYPE):
        return "QNN"
    if passed["memorizes"] and not passed[f"plateau-{PLATEAU_ALPHAS[0]:.1f}"]:
        return "MLP"
    return "neither"


def phenotypes(checks: pd.DataFrame) -> pd.DataFrame:
    """:func:`phenotype_of` for every (dataset, model) of ``checks``: columns ``dataset``,
    ``model``, ``phenotype``."""
    pairs = checks[["dataset", "model"]].drop_duplicates()
    return pd.DataFrame(
        [
            {"dataset": d, "model": m, "phenotype": phenotype_of(checks, d, m)}
            for d, m in pairs.itertuples(index=False)
        ]
    )


def discrimination(checks: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and check: does it tell the QNN from the MLP, and who shares the QNN's result.

    A check supports a QNN-specific claim only where the QNN passes it and the MLP fails it.

    :param checks: :func:`phenotype_checks` output (with ``mlp`` and ``qnn`` rows).
    :return: columns ``dataset``, ``check_id``, ``qnn``, ``mlp`` (passed), ``qnn_specific``
        (QNN passes, MLP fails), ``qnn_specific_outcome`` (the same under the uncertainty rule:
        ``None`` where not conclusive), ``controls_passing`` (the classical controls that pass,
        in display order, as a tuple).
    """
    rows = []
    for (dataset, check_id), g in checks.groupby(["dataset", "check_id"], sort=False):
        passed = dict(zip(g["model"], g["passed"], strict=True))
        outcome = dict(zip(g["model"], g["outcome"], strict=True))
        if not set(PAPER_MODELS) <= set(passed):
            raise ValueError(f"{dataset}: the checks need both the MLP and the QNN")
        controls = [m for m in model_order(list(passed)) if m not in PAPER_MODELS]
        rows.append(
            {
                "dataset": dataset,
                "check_id": check_id,
                "qnn": passed["qnn"],
                "mlp": passed["mlp"],
                "qnn_specific": passed["qnn"] and not passed["mlp"],
                "qnn_specific_outcome": tri_all([outcome["qnn"], tri_not(outcome["mlp"])]),
                "controls_passing": tuple(m for m in controls if passed[m]),
            }
        )
    return pd.DataFrame(rows)


def _names(models: Sequence[str]) -> str:
    return ", ".join(model_name(m) for m in models) if len(models) else "none"


def _per_dataset(kinds: pd.DataFrame) -> Iterator[tuple[str, dict[str, str], list[str]]]:
    """Per dataset of :func:`phenotypes` output: ``{model: phenotype}`` and the models in
    display order."""
    for dataset, g in kinds.groupby("dataset", sort=True):
        by = dict(zip(g["model"], g["phenotype"], strict=True))
        yield dataset, by, model_order(list(by))


def _others(by: dict[str, str], order: list[str], phenotype: str) -> list[str]:
    """The models of ``order`` with ``phenotype``, but its owner (``"QNN"``: the QNN)."""
    return [m for m in order if m != phenotype.lower() and by[m] == phenotype]


#: Stable id of the verdict on the paper's interpretation (:func:`phenotype_verdicts`).
INTERPRETATION_ID = "interpretation"


#: Scorecard names of the verdicts of :func:`phenotype_verdicts`, by check id: all filed under
#: claim 2, beyond the paper (they test whether a check can tell the QNN from the MLP and
#: whether any classical model shares the QNN's phenotype, not the claim as stated).
CHECK_NAMES = {
    "no-memorization": "no memorization separates QNN from MLP",
    f"plateau-{PHENOTYPE_PLATEAU_ALPHA:.1f}": (
        f"plateau to α = {PHENOTYPE_PLATEAU_ALPHA} separates QNN from MLP"
    ),
    f"plateau-{PAPER_PLATEAU_ALPHA:.1f}": (
        f"plateau to α = {PAPER_PLATEAU_ALPHA} (as stated) separates QNN from MLP"
    ),
    "alpha-c-window": "α_c window separates QNN from MLP",
    "sharp-drop": "sharp drop separates QNN from MLP",
}


#: Scorecard name of the interpretation's verdict.
INTERPRETATION_NAME = "no classical control shows the QNN's phenotype"


def phenotype_outcome(checks: pd.DataFrame, dataset: str, model: str) -> bool | None:
    """Whether ``model`` shows the QNN's phenotype on ``dataset`` under the uncertainty rule:
    the three-valued "and" of its :data:`QNN_PHENOTYPE` outcomes (``None``: inconclusive).

    :param checks: :func:`phenotype_checks` output.
    :param dataset: the dataset.
    :param model: the model kind.
    """
    outcome = _of(checks, dataset, model, "outcome")
    return tri_all(outcome[c] for c in QNN_PHENOTYPE)


def _open_checks(checks: pd.DataFrame, dataset: str, models: Sequence[str], ids) -> str:
    sel = checks[
        (checks["dataset"] == dataset)
        & checks["model"].isin(list(models))
        & checks["check_id"].isin(list(ids))
        & ~checks["conclusive"].astype(bool)
    ]
    named = ", ".join(
        f"{model_name(m)} `{c}`" for m, c in zip(sel["model"], sel["check_id"], strict=True)
    )
    return f"; threshold inside the interval: {named}" if named else ""


def phenotype_verdicts(table: pd.DataFrame, profile: str) -> dict[str, Verdict]:
    """The verdicts of the controls chapter, keyed by stable check id.

    ``"<check_id>/<dataset>"``: the check separates the QNN from the MLP on that dataset (the
    QNN passes, the MLP fails) — only then can it support a QNN-specific claim.
    :data:`INTERPRETATION_ID`: the paper's interpretation — the QNN shows its phenotype
    (:data:`QNN_PHENOTYPE`) on every dataset and no classical model (MLP or control) does.

    :param table: :func:`phenotype_table` output.
    :param profile: the profile the records came from (only a ``judged`` profile is judged).
    :return: ordered ``{check id: verdict}``; the interpretation last.
    """
    checks = phenotype_checks(table)
    kinds = phenotypes(checks)
    note = f" ({INTERVAL_LEVEL:.0%} run-bootstrap intervals; validation n = {{n}})"
    judged = get_profile(profile).judged
    verdicts: dict[str, Verdict] = {}
    for _, r in discrimination(checks).iterrows():
        if r["check_id"] not in QNN_CHECK_IDS:
            continue
        check = CHECKS[r["check_id"]]
        evidence = (
            f"QNN {'passes' if r['qnn'] else 'fails'}, MLP {'passes' if r['mlp'] else 'fails'}; "
            f"controls passing: {_names(r['controls_passing'])}"
            + note.format(n=validation_size(r["dataset"]))
            + _open_checks(checks, r["dataset"], PAPER_MODELS, [r["check_id"]])
        )
        check_id = f"{r['check_id']}/{r['dataset']}"
        dataset_name = DATASET_NAMES.get(r["dataset"], r["dataset"])
        measured = Measured(evidence, (), judged, point=r["qnn_specific"],
                            outcome=r["qnn_specific_outcome"], phrased=True)  # fmt: skip
        verdicts[check_id] = filed(check_id, 2, "controls", False,
                                   f"{dataset_name}: {CHECK_NAMES[r['check_id']]}",
                                   f"{dataset_name}: '{check.label}' separates the QNN from the "
                                   "MLP", measured)  # fmt: skip
    parts, ok, outcomes = [], [], []
    for dataset, by, order in _per_dataset(kinds):
        classical, mlp_like = _others(by, order, "QNN"), _others(by, order, "MLP")
        ok.append(by.get("qnn") == "QNN" and not classical)
        others = [m for m in by if m != "qnn"]
        shared = tri_any(phenotype_outcome(checks, dataset, m) for m in others)
        outcomes.append(tri_all([phenotype_outcome(checks, dataset, "qnn"), tri_not(shared)]))
        shown = "shown" if by.get("qnn") == "QNN" else "not shown"
        parts.append(
            f"{DATASET_NAMES.get(dataset, dataset)}: QNN phenotype {shown} by the QNN; "
            f"classical models with it: {_names(classical)}; models with the MLP's "
            f"phenotype besides the MLP: {_names(mlp_like)}"
            + note.format(n=validation_size(dataset))
            + _open_checks(checks, dataset, list(by), QNN_PHENOTYPE)
        )
    measured = Measured("; ".join(parts), (), judged, point=all(ok), outcome=tri_all(outcomes),
                        partly=any(ok) and not all(ok), phrased=True)  # fmt: skip
    verdicts[INTERPRETATION_ID] = filed(
        INTERPRETATION_ID, 2, "controls", False, INTERPRETATION_NAME,
        "The QNN's label-flipping phenotype (no memorization, plateau, sharp transition near "
        "0.5) is quantum: no classical model shows it", measured)  # fmt: skip
    return verdicts


def models_with_phenotype(table: pd.DataFrame, phenotype: str = "QNN") -> dict[str, list[str]]:
    """Per dataset, the models other than the phenotype's owner that show ``phenotype``.

    :param table: :func:`phenotype_table` output.
    :param phenotype: ``"QNN"`` or ``"MLP"`` (:func:`phenotype_of`).
    :return: ``{dataset: [model kinds in display order]}``.
    """
    kinds = phenotypes(phenotype_checks(table))
    return {d: _others(by, order, phenotype) for d, by, order in _per_dataset(kinds)}


def per_dataset_text(models: dict[str, list[str]]) -> str:
    """``"MNIST 1 vs 9: nearest centroid, logistic; XXZ: none"`` from ``{dataset: kinds}``.

    Example:
        >>> per_dataset_text({"mnist": ["centroid"], "xxz": []})
        'MNIST 1 vs 9: nearest centroid; XXZ: none'
    """
    return "; ".join(f"{DATASET_NAMES.get(d, d)}: {_names(m)}" for d, m in sorted(models.items()))


def sharing_outcomes(table: pd.DataFrame) -> dict[int, dict[str, list[tuple[str, bool | None]]]]:
    """For claims 1–3: per dataset, every model but the QNN with whether it shares the QNN's
    behaviour under the uncertainty rule (``None``: a threshold inside the interval).

    Claim 1: ``no-memorization`` (:func:`phenotype_checks`'s outcome); claim 2: the QNN's
    phenotype (:func:`phenotype_outcome`); claim 3: area under the validation curve larger
    under feature randomization than under label flipping
    (:func:`qmlr.report.analysis.area_difference_test`, the resilience chapter's claim-3 test).

    :param table: :func:`phenotype_table` of the MLP, the QNN and the controls.
    :return: ``{claim: {dataset: [(model kind, outcome), …]}}`` in display order.
    """
    checks = phenotype_checks(table)
    out: dict[int, dict[str, list[tuple[str, bool | None]]]] = {1: {}, 2: {}, 3: {}}
    for dataset in sorted(table["dataset"].unique()):
        sel = checks[(checks["dataset"] == dataset) & (checks["check_id"] == "no-memorization")]
        models = [m for m in model_order(list(sel["model"])) if m != "qnn"]
        no_mem = dict(zip(sel["model"], sel["outcome"], strict=True))
        out[1][dataset] = [(m, no_mem[m]) for m in models]
        out[2][dataset] = [(m, phenotype_outcome(checks, dataset, m)) for m in models]
        rows = table[table["dataset"] == dataset].set_index(["model", "corruption"])
        out[3][dataset] = [
            (m, area_difference_test(rows.loc[(m, "feature_random")],
                                     rows.loc[(m, "label_flip")], m).outcome)
            for m in models
            if (m, "feature_random") in rows.index and (m, "label_flip") in rows.index
        ]  # fmt: skip
    return out


def per_dataset_marked(models: dict[str, list[tuple[str, bool | None]]]) -> str:
    """:func:`per_dataset_text` of the models that share (``True``) or may share (``None``,
    marked :data:`qmlr.report.sharing.SHARING_MARK`).

    Example:
        >>> per_dataset_marked({"mnist": [("centroid", None), ("logistic", False)], "xxz": []})
        'MNIST 1 vs 9: nearest centroid ?; XXZ: none'
    """
    return "; ".join(
        f"{DATASET_NAMES.get(d, d)}: {listed((model_name(m), o) for m, o in pairs)}"
        for d, pairs in sorted(models.items())
    )


def shared_behaviour(
    table: pd.DataFrame, unlearning: str | None = None, curvature: str | None = None
) -> dict[int, str]:
    """For claims 1–6 of the paper: which models share the QNN's behaviour, as text per claim
    (a model whose sharing is inconclusive at this scale marked, :mod:`qmlr.report.sharing`).

    Claims 1–3: :func:`sharing_outcomes` (claim 4: the capacity sweep runs no controls, so it
    reads the paper-size curves of claim 2); claim 5: ``unlearning`` when given (the unlearning
    study's memorizing-QNN and control series, see
    :func:`qmlr.report.unlearning_checks.amenability_sharing`); claim 6: ``curvature`` when given
    (the curvature study's gradient-trained controls under the QNN's trace-ratio check,
    :func:`qmlr.report.curvature.curvature_sharing`).

    :param table: :func:`phenotype_table` of the MLP, the QNN and the controls.
    :param unlearning: claim 5's text, if measured.
    :param curvature: claim 6's text, if measured.
    :return: ``{claim: text}`` for claims 1–6.
    """
    outcomes = sharing_outcomes(table)
    untested = "not measured on the controls"
    return {
        1: "no memorization — " + per_dataset_marked(outcomes[1]),
        2: "QNN phenotype — " + per_dataset_marked(outcomes[2]),
        3: "feature randomization milder — " + per_dataset_marked(outcomes[3]),
        4: "no controls in the capacity sweep; at the paper's sizes as claim 2",
        5: unlearning or untested,
        6: curvature or untested,
    }


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
    for dataset, by, order in _per_dataset(kinds):
        qnn_like, mlp_like = _others(by, order, "QNN"), _others(by, order, "MLP")
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
