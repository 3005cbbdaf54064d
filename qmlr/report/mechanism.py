"""Where the resilience comes from: the mechanism studies measured, the predictions judged, the
phase diagram drawn, the finding in one sentence.

Every model is one *curve* (study, dataset, model), measured on its label-flipping records:
``memorization`` (flipped training labels reproduced at 0 < α ≤ 0.4,
:func:`qmlr.report.phenotype.memorization`), ``random_fit`` (training accuracy at α = 0.5, where
class-balanced flipping makes the labels independent of the inputs: the randomization test),
``plateau`` (validation accuracy at α = 0.3 minus at α = 0, :func:`qmlr.report.analysis.
plateau_margin`) and ``clean_val`` (validation accuracy at α = 0), each with its 95% percentile
bootstrap interval over runs (:mod:`qmlr.report.uncertainty`). The predictions stored before the
runs (:mod:`qmlr.studies.mechanism_predictions`) are judged by the rule written there: a
prediction *held* or *failed* where the whole interval lies on one side of the level, is *open*
where the level lies inside it, *pending* while a cell of its model is missing, and *not judged*
(memorization only) for a model that does not learn the clean task.

Example:
    >>> outcome_word(True), outcome_word(None)
    ('held', 'open')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qmlr.core.kinds import describe, logit_scale
from qmlr.engine.loading import store_for
from qmlr.engine.profiles import get_profile
from qmlr.engine.store import flat_record
from qmlr.report.analysis import PLATEAU_TOLERANCE, plateau_margin, run_matrix
from qmlr.report.checks import Bound
from qmlr.report.keyresult import KEY_RESULT_WORDS, word_count
from qmlr.report.phenotype import LEARNS_LEVEL, flipped_window, mean_interval, model_name
from qmlr.report.uncertainty import Interval, bootstrap_interval
from qmlr.studies.mechanism_predictions import (
    DECISION_LEVEL,
    PREDICTIONS_PATH,
    RANDOM_FIT_LEVEL,
    load_predictions,
)
from qmlr.studies.mechanism_study import STUDY_NAMES
from qmlr.studies.registry import study_cells
from qmlr.studies.study import load_available, run_study_specs

#: The α of the randomization test and of the plateau measure.
RANDOM_ALPHA = 0.5
PLATEAU_ALPHA = 0.3
#: The earlier studies whose models join the phase diagram (label flipping only).
EXISTING_STUDIES = ("resilience", "controls")
#: Model families of the diagram, by kind (markers and legend).
FAMILIES = {
    "qnn": "QNN",
    "qnn-separable": "separable QNN",
    "quadratic-form": "quadratic form",
    "mlp-spectral": "spectral-norm MLP",
}


def outcome_word(outcome: bool | None) -> str:
    """``held`` / ``failed`` / ``open`` for a conclusive pass / fail / an inconclusive test."""
    return "open" if outcome is None else ("held" if outcome else "failed")


def _rows(results: Sequence[Any]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        model = r.spec.model
        scaled = describe(model.kind).scaled
        rows.append({**flat_record(r), "scale": logit_scale(model) if scaled else math.nan})
    return rows


def load_records(
    profile: str, studies: Sequence[str] = STUDY_NAMES, results_dir: str | Path | None = None
) -> tuple[pd.DataFrame, dict[str, tuple[int, int]]]:
    """The label-flipping records of ``studies`` a chapter can show without training (at a
    stored profile, the cells on disk; else computed live), and per study the cells computed
    and planned.

    :param profile: the profile.
    :param studies: study names.
    :param results_dir: results folder override.
    :return: ``(records, {study: (computed, planned, compute seconds)})``; the seconds are the
        sum of the cells' ``wall_time_s`` (each ensemble's wall time shared by its members).
    """
    rows, counts = [], {}
    for study in studies:
        if get_profile(profile).stored:
            results, total = load_available(study, profile, results_dir)
        else:  # small live runs: in this process (worker start-up would cost more than them)
            cells = study_cells(study, profile)
            store = store_for(profile, results_dir)
            results = run_study_specs(study, cells, store, n_jobs=1, progress=False)
            total = len(cells)
        flips = [r for r in results if r.spec.corruption == "label_flip"]
        seconds = sum(float(r.provenance.get("wall_time_s", 0.0)) for r in results)
        counts[study] = (len(results), total, seconds)
        rows += _rows(flips)
    return pd.DataFrame(rows), counts


def existing_records(profile: str, results_dir: str | Path | None = None) -> pd.DataFrame:
    """The label-flipping records of the earlier studies (:data:`EXISTING_STUDIES`) at a stored
    profile, read from their committed ``records.csv`` (loading thousands of sealed cells would
    dominate the chapter's time); none at another profile (training them is their own
    chapters' work, and would double the smoke chapter's time).

    :param profile: the profile.
    :param results_dir: results folder override.
    :return: records with the columns :func:`curve_table` reads.
    """
    if not get_profile(profile).stored:
        return pd.DataFrame(columns=["study", "dataset", "model", "model_label"])
    root = store_for(profile, results_dir).root
    parts = [pd.read_csv(root / study / "records.csv") for study in EXISTING_STUDIES]
    records = pd.concat(parts, ignore_index=True)
    return records[records["corruption"] == "label_flip"].reset_index(drop=True)


def _plateau(group: pd.DataFrame) -> Interval:
    keep = group["alpha"].round(6).isin([0.0, PLATEAU_ALPHA])
    alphas, val = run_matrix(group[keep], "val_accuracy")
    if len(alphas) < 2 or val.shape[0] == 0:
        return Interval(math.nan, math.nan, math.nan)
    interval, _ = bootstrap_interval(lambda v: plateau_margin(alphas, v, PLATEAU_ALPHA), [val])
    return interval


def curve_table(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (study, dataset, model_label): its measures with their intervals.

    :param records: label-flipping records (:func:`load_records`).
    :return: columns ``study``, ``dataset``, ``model``, ``model_label``, ``depth``, ``scale``,
        ``cells``, ``runs``, ``clean_val``, and ``memorization`` / ``random_fit`` / ``plateau``
        with ``_low`` / ``_high`` bounds.
    """
    rows = []
    if records.empty:
        return pd.DataFrame(rows)
    keys = ["study", "dataset", "model", "model_label"]
    for (study, dataset, model, label), group in records.groupby(keys, sort=False):
        alpha = group["alpha"].astype(float)
        mem, runs = mean_interval(group, "corrupted_memorized", flipped_window(group))
        fit, _ = mean_interval(group, "train_accuracy", (alpha - RANDOM_ALPHA).abs() < 1e-9)
        clean, _ = mean_interval(group, "val_accuracy", alpha == 0)
        plateau = _plateau(group)
        row = {
            "study": study,
            "dataset": dataset,
            "model": model,
            "model_label": label,
            "depth": group["depth"].iloc[0],
            "scale": group["scale"].iloc[0] if "scale" in group else math.nan,
            "cells": len(group),
            "runs": runs,
            "clean_val": clean.estimate,
        }
        row |= mem.columns("memorization") | fit.columns("random_fit") | plateau.columns("plateau")
        rows.append(row)
    return pd.DataFrame(rows)


#: The predictions' tests: a measure at or above its level (a prediction says whether it is).
MEMORIZATION = Bound("memorization", "flipped labels reproduced", (DECISION_LEVEL,), ">=")
RANDOM_FIT = Bound("random_fit", "random-label fit", (RANDOM_FIT_LEVEL,), ">=")


def _judge(bound: Bound, row: pd.Series, predicted: bool) -> str:
    """:func:`outcome_word` of a prediction that ``bound`` holds (``predicted``) or not."""
    outcome = bound.test(row).outcome
    return outcome_word(None if outcome is None else outcome == bool(predicted))


def judged_predictions(profile: str, table: pd.DataFrame, planned: dict[str, int]) -> pd.DataFrame:
    """The stored predictions beside the measures of their models, judged.

    :param profile: the profile (paper: the committed predictions).
    :param table: :func:`curve_table` of the mechanism studies.
    :param planned: per (study, dataset, model_label) key joined by ``"|"``, the cells planned
        (a model is judged only when all are computed).
    :return: one row per prediction with the prediction's columns, the measures, and
        ``memorization_outcome`` / ``random_fit_outcome`` (``held``, ``failed``, ``open``,
        ``pending``, ``not judged``).
    """
    preds = pd.DataFrame(load_predictions(profile)["predictions"])
    keys = ["study", "dataset", "model_label"]
    measured = table.drop(columns=["model", "depth", "scale"]) if not table.empty else None
    out = preds if measured is None else preds.merge(measured, on=keys, how="left")
    mem_words, fit_words = [], []
    for _, row in out.iterrows():
        key = "|".join(str(row[k]) for k in keys)
        complete = "cells" in row and row["cells"] == planned.get(key, -1)
        if not complete:
            mem_words.append("pending")
            fit_words.append("pending")
            continue
        fit_words.append(_judge(RANDOM_FIT, row, row["predicts_random_fit"]))
        learns = not row["clean_val"] < LEARNS_LEVEL  # NaN: judged, as a computed model
        mem_words.append(_judge(MEMORIZATION, row, row["predicts_memorization"]) if learns
                         else "not judged")  # fmt: skip
    return out.assign(memorization_outcome=mem_words, random_fit_outcome=fit_words)


def planned_cells(profile: str) -> dict[str, int]:
    """Cells planned per (study, dataset, model_label), keys joined by ``"|"``."""
    counts: dict[str, int] = {}
    for study in STUDY_NAMES:
        for cell in study_cells(study, profile):
            key = f"{study}|{cell.data.name}|{cell.model.label}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def existing_points(table: pd.DataFrame) -> pd.DataFrame:
    """The earlier studies' curves placed on the diagram's Lipschitz axis: no bound on their
    logit's Lipschitz constant (``q_flip = 1``), except the paper's QNN (``2s``, the ceiling of
    the ``qnn-depth`` prediction at its depth, joined by the caller)."""
    if table.empty:
        return pd.DataFrame(columns=["study", "dataset", "model", "model_label", "q_flip"])
    out = table.copy()
    out["q_flip"] = np.where(out["model"] == "qnn", np.nan, 1.0)
    return out


def onset_depth(judged: pd.DataFrame, dataset: str) -> str:
    """The smallest ``qnn-depth`` depth whose memorization interval lies at or above
    :data:`DECISION_LEVEL` on ``dataset``, as words; depths whose QNN does not learn the clean
    task (``clean_val`` below ``LEARNS_LEVEL``, where present) are skipped.

    :return: ``"depth D"``, ``"no depth up to D"`` (every computed depth below the level), or
        ``"undetermined"`` (computed depths open, or none computed).
    """
    rows = judged[(judged["study"] == "qnn-depth") & (judged["dataset"] == dataset)]
    rows = rows.dropna(subset=["memorization_low"]).sort_values("depth")
    if "clean_val" in rows:
        rows = rows[rows["clean_val"] >= LEARNS_LEVEL]
    for _, row in rows.iterrows():
        if row["memorization_low"] >= DECISION_LEVEL:
            return f"depth {int(row['depth'])}"
        if row["memorization_high"] >= DECISION_LEVEL:
            return "undetermined"
    if rows.empty:
        return "undetermined"
    return f"no depth up to {int(rows['depth'].max())}"


def _names(rows: pd.DataFrame) -> str:
    """``"MNIST QNN depth 12, XXZ MLP [4], Lipschitz 10"``: the rows' dataset and model."""
    return "; ".join(rows["dataset"].str.upper() + " " + rows["model_label"])


def _listed(rows: pd.DataFrame, names: bool) -> str:
    """`` (…)`` naming the rows' models, or nothing (no rows, or names not wanted)."""
    return f" ({_names(rows)})" if names and len(rows) else ""


def finding(judged: pd.DataFrame, names: bool = True) -> str:
    """The chapter's finding, generated from the judged predictions: the predictions below the
    level (the ceiling says the model cannot memorize) and above it (it can) counted apart, since
    each side answers a different question — is a low ceiling enough for resilience, and is a
    high one enough for memorization?

    :param judged: :func:`judged_predictions`.
    :param names: name the models (else count them).
    :return: two or three sentences.

    Example:
        >>> rows = pd.DataFrame({"study": ["qnn-depth"] * 2, "dataset": ["xxz", "mnist"],
        ...     "depth": [4, 24], "memorization_low": [0.0, 0.0],
        ...     "memorization_high": [0.1, 0.1], "predicts_memorization": [False, True],
        ...     "memorization_outcome": ["held", "failed"], "random_fit_outcome": ["held"] * 2,
        ...     "model": ["qnn"] * 2, "model_label": ["QNN depth 4", "QNN depth 24"]})
        >>> print(finding(rows))  # doctest: +NORMALIZE_WHITESPACE
        A low ceiling predicted resilience: of the 1 model whose ceiling min(Lipschitz,
        capacity), computed before training, lies below the level, none memorized (all 1
        predictions held). A high ceiling did not predict memorization: of 1 model whose
        ceiling allowed it, 0 memorized and 1 did not (MNIST QNN depth 24). The QNN first
        memorizes at XXZ: no depth up to 4; MNIST: no depth up to 24.
    """
    done = judged[judged["memorization_outcome"].isin(["held", "failed", "open"])]
    pending = int((judged["memorization_outcome"] == "pending").sum())
    onsets = "; ".join(f"{d.upper()}: {onset_depth(judged, d)}" for d in ("xxz", "mnist"))
    if done.empty:
        return f"No memorization prediction is conclusive yet ({pending} pending)."
    low, high = done[~done["predicts_memorization"].astype(bool)], done[
        done["predicts_memorization"].astype(bool)]  # fmt: skip
    parts = []
    if len(low):
        fails = low[low["memorization_outcome"] == "failed"]
        held = int((low["memorization_outcome"] == "held").sum())
        model = "model" if len(low) == 1 else "models"
        lead = "predicted resilience" if fails.empty else "did not always predict resilience"
        what = (
            f"none memorized (all {held} predictions held)" if fails.empty and held == len(low)
            else f"none memorized conclusively ({held} of {len(low)} predictions held, "
            f"{len(low) - held} open)" if fails.empty
            else f"{len(fails)} memorized" + (f" ({_names(fails)})" if names else "")
            + f"; {held} of {len(low)} predictions held"
        )  # fmt: skip
        parts.append(
            f"A low ceiling {lead}: of the {len(low)} {model} whose ceiling min(Lipschitz, "
            f"capacity), computed before training, lies below the level, {what}."
        )
    if len(high):
        mem = high[high["memorization_outcome"] == "held"]
        short = high[high["memorization_outcome"] == "failed"]
        opened = len(high) - len(mem) - len(short)
        lead = "predicted memorization" if short.empty else "did not predict memorization"
        model = "model" if len(high) == 1 else "models"
        parts.append(
            f"A high ceiling {lead}: of {len(high)} {model} whose ceiling allowed it, "
            f"{len(mem)} memorized{_listed(mem, names)} and {len(short)} did not"
            f"{_listed(short, names)}" + (f"; {opened} open" if opened else "") + "."
        )
    tail = f" ({pending} models pending)" if pending else ""
    parts.append(f"The QNN first memorizes at {onsets}{tail}.")
    return " ".join(parts)


def finding_sentence(profile: str) -> str:
    """:func:`finding` at ``profile``, from the cells a chapter can show (the front page's
    mechanism sentence, :data:`qmlr.report.front.MECHANISM_SLOT`).

    :param profile: the profile.
    :return: one sentence.
    """
    records, _ = load_records(profile)
    judged = judged_predictions(profile, curve_table(records), planned_cells(profile))
    return finding(judged, names=False)


def family(model: str) -> str:
    """The diagram's family of a model kind (earlier models by their display name)."""
    return FAMILIES.get(model, model_name(model))


def plot_ceiling(ax: Any, judged: pd.DataFrame, measure: str = "memorization") -> None:
    """Measured ``measure`` (with its interval) against the predicted ceiling, one marker per
    model, by family and dataset.

    :param ax: a matplotlib axes.
    :param judged: :func:`judged_predictions`.
    :param measure: ``"memorization"`` or ``"plateau"``.
    """
    markers = {"xxz": "o", "mnist": "s"}
    colours = dict(zip(FAMILIES.values(), ("C0", "C3", "C2", "C1"), strict=True))
    done = judged.dropna(subset=[measure]) if measure in judged else judged.iloc[:0]
    for (fam, dataset), rows in done.groupby([done["model"].map(family), "dataset"]):
        err = [rows[measure] - rows[f"{measure}_low"], rows[f"{measure}_high"] - rows[measure]]
        ax.errorbar(
            rows["ceiling_flip"],
            rows[measure],
            yerr=np.abs(np.array(err, dtype=float)),
            fmt=markers[dataset],
            color=colours.get(fam, "k"),
            label=f"{fam}, {dataset.upper()}",
            alpha=0.8,
            capsize=2,
        )
    ax.axvline(DECISION_LEVEL, color="grey", ls=":", lw=1)
    if measure == "memorization":
        ax.axhline(DECISION_LEVEL, color="grey", ls=":", lw=1)
        ax.set_ylabel("flipped labels reproduced (α ≤ 0.4)")
    else:
        ax.axhline(-PLATEAU_TOLERANCE, color="grey", ls=":", lw=1)
        ax.set_ylabel(f"val(α={PLATEAU_ALPHA}) − val(0)")
    ax.set_xlabel("predicted ceiling min(q, c)")
    ax.set_xlim(-0.05, 1.05)


def plot_axes(ax: Any, points: pd.DataFrame) -> Any:
    """Every model on two axes — the Lipschitz ceiling ``q`` and the random-label fit — coloured
    by its memorization.

    :param ax: a matplotlib axes.
    :param points: rows with ``q_flip``, ``random_fit``, ``memorization``, ``dataset``.
    :return: the scatter (for a colour bar).
    """
    pts = points.dropna(subset=["q_flip", "random_fit", "memorization"])
    jitter = (np.arange(len(pts)) % 7 - 3) * 0.008
    scatter = None
    for dataset, marker in (("xxz", "o"), ("mnist", "s")):
        sel = (pts["dataset"] == dataset).to_numpy()
        scatter = ax.scatter(
            pts["q_flip"].to_numpy()[sel] + jitter[sel],
            pts["random_fit"].to_numpy()[sel],
            c=pts["memorization"].to_numpy()[sel],
            cmap="viridis",
            vmin=0,
            vmax=1,
            marker=marker,
            edgecolor="k",
            linewidth=0.4,
            label=dataset.upper(),
        )
    ax.set_xlabel("Lipschitz ceiling q (fraction separable at margin m)")
    ax.set_ylabel("training accuracy on random labels (α = 0.5)")
    ax.axhline(RANDOM_FIT_LEVEL, color="grey", ls=":", lw=1)
    ax.set_xlim(-0.05, 1.1)
    return scatter


def prediction_commit() -> dict[str, str]:
    """The stored predictions' provenance: the code commit they were computed at and the commit
    that added the file (from git; empty where git is unavailable).

    :return: ``computed_at_commit``, ``computed_at``, ``file_commit``, ``file_commit_time``.
    """
    import json
    import subprocess

    record = json.loads(PREDICTIONS_PATH.read_text())
    out = {
        "computed_at_commit": str(record["provenance"].get("git_commit", ""))[:7],
        "computed_at": record.get("computed_at", ""),
        "file_commit": "",
        "file_commit_time": "",
    }
    try:
        log = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%h %cI", "--", str(PREDICTIONS_PATH)],
            capture_output=True,
            text=True,
            cwd=PREDICTIONS_PATH.parent,
            check=True,
        ).stdout.split()
        if len(log) >= 2:
            out["file_commit"], out["file_commit_time"] = log[-2], log[-1]
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def key_finding(judged: pd.DataFrame, limit: int = KEY_RESULT_WORDS) -> str:
    """:func:`finding` for the chapter's key-result box: with the models named when it has at
    most ``limit`` words, else with their numbers only (the outcome table names them).

    :param judged: the judged predictions.
    :param limit: the most words of a key result.
    :return: the finding.

    Example:
        >>> rows = pd.DataFrame({"study": ["qnn-depth"] * 2, "dataset": ["xxz"] * 2,
        ...     "depth": [4, 8], "memorization_low": [0.0] * 2, "memorization_high": [0.1] * 2,
        ...     "predicts_memorization": [True] * 2,
        ...     "memorization_outcome": ["failed"] * 2, "random_fit_outcome": ["held"] * 2,
        ...     "model": ["qnn"] * 2, "model_label": ["QNN depth 4", "QNN depth 8"]})
        >>> "QNN depth 8" in key_finding(rows), "QNN depth 8" in key_finding(rows, limit=20)
        (True, False)
    """
    text = finding(judged)
    return text if word_count(text) <= limit else finding(judged, names=False)
