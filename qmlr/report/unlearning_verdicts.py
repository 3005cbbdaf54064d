"""The unlearning and forgetting chapters' verdicts (claims 4 and 5 of the paper).

Each verdict is judged on :func:`qmlr.report.unlearning.summary_table`; its thresholds are the
named constants of :mod:`qmlr.report.unlearning`. Every number a verdict compares with a
threshold carries its bootstrap interval over runs
(:mod:`qmlr.report.unlearning_intervals`), and the rule of :mod:`qmlr.report.uncertainty`
applies: a threshold inside the interval of the number it judges makes that test — and, unless
another fails outright, the verdict — *inconclusive at this scale*.

Example:
    >>> reaches_retrain_quickly(4), reaches_retrain_quickly(None)
    (True, False)
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from qmlr.core.unlearn import METHOD_LABELS
from qmlr.report.analysis import Verdict, area_difference_test, interval_of, judge_tests
from qmlr.report.uncertainty import ThresholdTest
from qmlr.report.unlearning import (
    FORGOTTEN_LEVEL,
    MIN_RUNS,
    QUICK_STEPS,
    RETRAIN_TOLERANCE,
    STARTS_AT_RETRAIN,
    STUBBORN_GAP,
    _steps_text,
    starts_at_retrain,
)
from qmlr.report.unlearning_intervals import sizes_text
from qmlr.studies.unlearning_study import APPROXIMATE, PAPER_STEPS


def evaluable(summary: pd.DataFrame) -> bool:
    """Whether the study is at a scale where verdicts mean something (≥ 3 runs, 50 steps)."""
    return bool(
        len(summary) and summary["runs"].min() >= MIN_RUNS and summary["steps"].min() >= PAPER_STEPS
    )


def runs_text(n: int) -> str:
    """``"1 run"``, ``"5 runs"``."""
    return f"{n} run" if n == 1 else f"{n} runs"


def _scale_note(summary: pd.DataFrame) -> str:
    return (
        f" — not evaluated at this scale ({runs_text(int(summary['runs'].min()))}, "
        f"{int(summary['steps'].min())} steps; needs ≥ {MIN_RUNS} runs and {PAPER_STEPS} steps)"
    )


def series_rows(
    summary: pd.DataFrame, model: str, setting: str, phase: str = "random"
) -> pd.DataFrame:
    """The summary rows of one series (every method), as the verdicts and the sources table
    select them.

    :param summary: :func:`qmlr.report.unlearning.summary_table` output.
    :param model: the records' model name, e.g. ``"qnn"``.
    :param setting: the unlearning setting.
    :param phase: XXZ phase convention; the default also keeps MNIST (which has none).
    :return: the rows (possibly none).
    """
    if summary.empty:
        return summary
    sel = (summary["model"] == model) & (summary["setting"] == setting)
    # MNIST has no phase (""); a non-default phase selects the XXZ series only.
    sel &= summary["phase"].isin(["", "random"]) if phase == "random" else summary["phase"] == phase
    return summary[sel]


def _test(row: pd.Series, name: str, what: str, threshold: float, passes: bool) -> ThresholdTest:
    """One threshold test on the interval of ``name`` in a summary row (runs and sets named)."""
    label = (
        f"{row['dataset'].upper()} {row['model'].upper()} {METHOD_LABELS[row['method']]}: {what}"
    )
    return ThresholdTest(
        label,
        interval_of(row, name),
        (threshold,),
        bool(passes),
        runs=int(row["runs"]),
        sizes=sizes_text(row["dataset"], (name.split("_")[0].replace("val", "validation"),)),
    )


def _sizes(summary: pd.DataFrame, datasets: list[str]) -> str:
    runs = runs_text(int(summary["runs"].min())) if len(summary) else "no runs"
    sets = "; ".join(f"{d.upper()} {sizes_text(d)}" for d in sorted(set(datasets)))
    return f"{runs} per series" + (f"; {sets}" if sets else "")


def _verdict(
    claim: str, parts: list[str], tests: list[ThresholdTest], summary: pd.DataFrame
) -> Verdict:
    if not tests:
        return Verdict(claim, "no results", None)
    evidence = "; ".join(parts)
    judged = evaluable(summary)
    if not judged:
        evidence += _scale_note(summary)
    datasets = [t.name.split(" ", 1)[0].lower() for t in tests]
    return judge_tests(claim, evidence, tests, judged, sizes=_sizes(summary, datasets))


def _phase_note(setting: str, phase: str) -> str:
    return f" [{setting}{', ' + phase + ' phase' if phase != 'random' else ''}]"


def lag_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random") -> Verdict:
    """Claim 5, MLP half: approximate methods stay below Retrain-level validation accuracy: the
    best step's run-mean validation accuracy minus Retrain's final stays below
    −:data:`RETRAIN_TOLERANCE`."""
    parts, tests = [], []
    for dataset, rows in series_rows(summary, model, setting, phase).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            lags = r["steps_to_retrain"] is None or pd.isna(r["steps_to_retrain"])
            test = _test(r, "val_gap_best", "best − Retrain", -RETRAIN_TOLERANCE, lags)
            tests.append(test)
            texts.append(
                f"{METHOD_LABELS[r['method']]} {r['val_final_mean']:.3f} "
                f"(best − Retrain {test.value})"
            )
        parts.append(
            f"{dataset.upper()}: Retrain {rows['retrain_val_final'].iloc[0]:.3f} vs "
            + ", ".join(texts)
        )
    claim = (
        f"5: {model.upper()} approximate methods (Finetune, Scrub, Grad-Asc) lag Retrain: "
        f"never within {RETRAIN_TOLERANCE} of its final validation accuracy"
    )
    return _verdict(claim + _phase_note(setting, phase), parts, tests, summary)


def reaches_retrain_quickly(steps: int | None) -> bool:
    """Whether a method reaches Retrain's level within :data:`QUICK_STEPS` steps *from a start
    below it* (a start at the level, :func:`starts_at_retrain`, does not count).

    Example:
        >>> [reaches_retrain_quickly(s) for s in (0, 3, QUICK_STEPS + 1, None)]
        [False, True, False, False]
    """
    if steps is None or pd.isna(steps) or starts_at_retrain(steps):
        return False
    return int(steps) <= QUICK_STEPS


def quick_tests(row: pd.Series) -> list[ThresholdTest]:
    """:func:`reaches_retrain_quickly` as two threshold tests on a summary row: the start lies
    below Retrain's level (step-0 gap < −:data:`RETRAIN_TOLERANCE`) and the level is reached by
    step :data:`QUICK_STEPS` (best gap up to it ≥ −:data:`RETRAIN_TOLERANCE`)."""
    steps = row["steps_to_retrain"]
    reached = steps is not None and not pd.isna(steps) and int(steps) <= QUICK_STEPS
    return [
        _test(
            row,
            "val_gap_start",
            "step 0 − Retrain",
            -RETRAIN_TOLERANCE,
            not starts_at_retrain(steps),
        ),
        _test(
            row,
            "val_gap_quick",
            f"best to step {QUICK_STEPS} − Retrain",
            -RETRAIN_TOLERANCE,
            reached,
        ),
    ]


def quick_verdict(
    summary: pd.DataFrame, model: str, setting: str, phase: str = "random"
) -> Verdict:
    """Claim 5, QNN half: approximate methods reach Retrain level within QUICK_STEPS steps,
    from a start below it (:func:`reaches_retrain_quickly`, :func:`quick_tests`); a method at
    Retrain's level at step 0 is reported as :data:`STARTS_AT_RETRAIN` and does not count."""
    parts, tests = [], []
    for dataset, rows in series_rows(summary, model, setting, phase).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            steps = r["steps_to_retrain"]
            pair = quick_tests(r)
            tests += pair
            when = STARTS_AT_RETRAIN if starts_at_retrain(steps) else _steps_text(steps, r["steps"])
            texts.append(
                f"{METHOD_LABELS[r['method']]} {when} (step 0 − Retrain {pair[0].value}; best "
                f"to step {QUICK_STEPS} − Retrain {pair[1].value})"
            )
        parts.append(
            f"{dataset.upper()}: steps to Retrain ({rows['retrain_val_final'].iloc[0]:.3f}) − "
            f"{RETRAIN_TOLERANCE}: " + ", ".join(texts)
        )
    claim = (
        f"5: {model.upper()} approximate methods reach Retrain-level validation accuracy "
        f"quickly (≤ {QUICK_STEPS} steps) from a start below it [{setting}]"
    )
    return _verdict(claim, parts, tests, summary)


def stubborn_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """SI §III, MLP: at the last step Retrain's forgetting accuracy is near zero
    (≤ :data:`FORGOTTEN_LEVEL`) and every approximate method's exceeds it by at least
    :data:`STUBBORN_GAP`."""
    parts, tests = [], []
    for dataset, rows in series_rows(summary, model, setting, phase).groupby("dataset", sort=True):
        retrain = rows[rows["method"] == "retrain"]
        texts = []
        final = float(retrain["forget_final_mean"].iloc[0]) if len(retrain) else float("nan")
        if len(retrain):
            r = retrain.iloc[0]
            test = _test(
                r,
                "forget_final",
                "final forgetting acc.",
                FORGOTTEN_LEVEL,
                final <= FORGOTTEN_LEVEL,
            )
            tests.append(test)
            texts.append(f"Retrain {test.value}")
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            gap = bool(r["forget_final_mean"] - final >= STUBBORN_GAP)
            test = _test(
                r, "forget_gap_final", "final forgetting acc. − Retrain's", STUBBORN_GAP, gap
            )
            tests.append(test)
            texts.append(
                f"{METHOD_LABELS[r['method']]} {r['forget_final_mean']:.3f} "
                f"(− Retrain {test.value})"
            )
        start = rows["forget_start"][rows["method"] != "retrain"]
        start_text = f"{start.iloc[0]:.3f}" if len(start) else "n/a"
        parts.append(
            f"{dataset.upper()}: forgetting acc. at step 0 {start_text}, at the end "
            + ", ".join(texts)
        )
    claim = (
        f"5 / SI §III: {model.upper()} Retrain forgets (≤ {FORGOTTEN_LEVEL}) while the "
        f"approximate methods' forgetting accuracy stays ≥ {STUBBORN_GAP} above it "
        "('stubborn memories')" + _phase_note(setting, phase)
    )
    return _verdict(claim, parts, tests, summary)


def fast_forgetting_verdict(summary: pd.DataFrame, model: str, setting: str):
    """SI §III, QNN: the forgetting accuracy of Retrain and of every approximate method of the
    paper is ≤ :data:`FORGOTTEN_LEVEL` within :data:`QUICK_STEPS` steps (the lowest run-mean
    forgetting accuracy up to that step is at most the level)."""
    parts, tests = [], []
    for dataset, rows in series_rows(summary, model, setting).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(("retrain", *APPROXIMATE))].iterrows():
            steps = r["steps_to_forgotten"]
            fast = steps is not None and not pd.isna(steps) and steps <= QUICK_STEPS
            what = f"lowest forgetting acc. to step {QUICK_STEPS}"
            test = _test(r, "forget_min_quick", what, FORGOTTEN_LEVEL, fast)
            tests.append(test)
            texts.append(
                f"{METHOD_LABELS[r['method']]} {_steps_text(steps, r['steps'])} "
                f"(lowest to step {QUICK_STEPS}: {test.value})"
            )
        start = rows["forget_start"][rows["method"] != "retrain"]
        start_text = f"{start.iloc[0]:.3f}" if len(start) else "n/a"
        parts.append(
            f"{dataset.upper()}: step 0 {start_text}; steps to ≤ {FORGOTTEN_LEVEL}: "
            + ", ".join(texts)
        )
    claim = (
        f"5 / SI §III: {model.upper()} forgetting accuracy falls below {FORGOTTEN_LEVEL} within "
        f"{QUICK_STEPS} steps for every method of the paper [{setting}]"
    )
    return _verdict(claim, parts, tests, summary)


def easier_for_qnn_verdict(summary: pd.DataFrame) -> Verdict:
    """Claim 5's comparison: the QNN's forgetting area is below the MLP's for every approximate
    method on each dataset (main-figure settings); the interval is that of the difference of
    areas, MLP − QNN, from both series' bootstrap samples."""
    main = summary[summary["role"] == "main"]
    parts, tests = [], []
    for dataset, rows in main.groupby("dataset", sort=True):
        texts = []
        for method in APPROXIMATE:
            pick = {
                k: rows[(rows["model"] == k) & (rows["method"] == method)] for k in ("mlp", "qnn")
            }
            if not (len(pick["mlp"]) and len(pick["qnn"])):
                continue
            mlp, qnn = pick["mlp"].iloc[0], pick["qnn"].iloc[0]
            label = f"{dataset.upper()} {METHOD_LABELS[method]}: forgetting area, MLP − QNN"
            test = area_difference_test(mlp, qnn, label, "forget_area")
            runs = int(min(mlp["runs"], qnn["runs"]))
            tests.append(replace(test, runs=runs, sizes=sizes_text(dataset, ("forget",))))
            texts.append(
                f"{METHOD_LABELS[method]} {mlp['forget_area_mean']:.3f} vs "
                f"{qnn['forget_area_mean']:.3f} (difference {test.value})"
            )
        parts.append(f"{dataset.upper()} (MLP vs QNN): " + ", ".join(texts))
    claim = (
        "5: unlearning is easier for the QNN — smaller area under the forgetting curve than "
        "the MLP for every approximate method"
    )
    return _verdict(claim, parts, tests, summary)


def unlearning_verdicts(summary: pd.DataFrame) -> list[Verdict]:
    """Claim 5's validation-accuracy half, on the main series and the sensitivity series."""
    filed = [
        (lag_verdict(summary, "mlp", "si"), "mlp-lags-retrain", True, "MLP lags Retrain"),
        (
            quick_verdict(summary, "qnn", "paper-figure"),
            "qnn-reaches-retrain",
            True,
            "QNN reaches Retrain quickly",
        ),
        (
            quick_verdict(summary, "qnn", "si"),
            "qnn-reaches-retrain-si",
            False,
            "QNN reaches Retrain quickly, SI's literal setting",
        ),
        (
            lag_verdict(summary, "mlp", "si", phase="canonical"),
            "mlp-lags-retrain-canonical",
            False,
            "MLP lags Retrain, canonical XXZ phases",
        ),
    ]
    return [v.filed(check, 5, "unlearning", core, name) for v, check, core, name in filed]


def forgetting_verdicts(summary: pd.DataFrame) -> list[Verdict]:
    """Claim 5's forgetting half (SI §III, Figs. S2 and S3)."""
    filed = [
        (
            stubborn_verdict(summary, "mlp", "si"),
            "mlp-stubborn",
            True,
            "MLP keeps 'stubborn memories'",
        ),
        (
            fast_forgetting_verdict(summary, "qnn", "paper-figure"),
            "qnn-forgets-fast",
            True,
            "QNN forgets fast",
        ),
        (
            easier_for_qnn_verdict(summary),
            "qnn-forgets-easier",
            True,
            "QNN forgets more easily than the MLP",
        ),
        (
            fast_forgetting_verdict(summary, "qnn", "si"),
            "qnn-forgets-fast-si",
            False,
            "QNN forgets fast, SI's literal setting",
        ),
        (
            stubborn_verdict(summary, "mlp", "si", phase="canonical"),
            "mlp-stubborn-canonical",
            False,
            "MLP keeps 'stubborn memories', canonical XXZ phases",
        ),
    ]
    return [v.filed(check, 5, "forgetting", core, name) for v, check, core, name in filed]
