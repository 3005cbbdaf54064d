"""The unlearning and forgetting chapters' verdicts (claims 4 and 5 of the paper).

Each verdict is judged on :func:`qmlr.report.unlearning.summary_table`; its thresholds are the
named constants of :mod:`qmlr.report.unlearning`. Every number a verdict compares with a
threshold carries its bootstrap interval over runs
(:mod:`qmlr.report.unlearning_intervals`), and the rule of :mod:`qmlr.report.uncertainty`
applies: a threshold inside the interval of the number it judges makes that test — and, unless
another fails outright, the verdict — *inconclusive at this scale*.

Example:
    >>> runs_text(1), runs_text(5)
    ('1 run', '5 runs')
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from qmlr.core.unlearn import METHOD_LABELS
from qmlr.report.analysis import Verdict, area_difference_test, interval_of
from qmlr.report.checks import CheckRow, Measured, judge, judge_all
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


def _measured(parts: list[str], tests: list[ThresholdTest], summary: pd.DataFrame):
    """The evidence and tests of one unlearning check (``None``: no results)."""
    if not tests:
        return None
    evidence = "; ".join(parts)
    judged = evaluable(summary)
    if not judged:
        evidence += _scale_note(summary)
    datasets = [t.name.split(" ", 1)[0].lower() for t in tests]
    return Measured(evidence, tuple(tests), judged, _sizes(summary, datasets))


def _phase_note(setting: str, phase: str) -> str:
    return f" [{setting}{', ' + phase + ' phase' if phase != 'random' else ''}]"


def _by_dataset(summary: pd.DataFrame, model: str, setting: str, phase: str):
    return series_rows(summary, model, setting, phase).groupby("dataset", sort=True)


def _series_measure(summary: pd.DataFrame, model: str, setting: str, phase: str,
                    methods: tuple[str, ...], head, item):  # fmt: skip
    """The evidence and tests of a check read per dataset on one series: ``item`` gives each
    method's summary row's tests and text (of the row and its dataset's rows), ``head`` each
    dataset's lead (of its upper-case name and rows); ``None`` without results."""
    parts, tests = [], []
    for dataset, rows in _by_dataset(summary, model, setting, phase):
        texts = []
        for _, r in rows[rows["method"].isin(methods)].iterrows():
            found, text = item(r, rows)
            tests += found
            texts.append(text)
        parts.append(head(dataset.upper(), rows) + ", ".join(texts))
    return _measured(parts, tests, summary)


def _label(r: pd.Series) -> str:
    return METHOD_LABELS[r["method"]]


def lag_measure(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """Claim 5, MLP half: approximate methods stay below Retrain-level validation accuracy: the
    best step's run-mean validation accuracy minus Retrain's final stays below
    −:data:`RETRAIN_TOLERANCE`."""

    def item(r: pd.Series, _: pd.DataFrame):
        lags = r["steps_to_retrain"] is None or pd.isna(r["steps_to_retrain"])
        t = _test(r, "val_gap_best", "best − Retrain", -RETRAIN_TOLERANCE, lags)
        return [t], f"{_label(r)} {r['val_final_mean']:.3f} (best − Retrain {t.value})"

    def head(d: str, rows: pd.DataFrame) -> str:
        return f"{d}: Retrain {rows['retrain_val_final'].iloc[0]:.3f} vs "

    return _series_measure(summary, model, setting, phase, APPROXIMATE, head, item)


def quick_tests(row: pd.Series) -> list[ThresholdTest]:
    """Whether a method reaches Retrain's level within :data:`QUICK_STEPS` steps *from a start
    below it* (a start at the level, :func:`starts_at_retrain`, does not count), as two
    threshold tests on a summary row: the start lies below Retrain's level (step-0 gap <
    −:data:`RETRAIN_TOLERANCE`) and the level is reached by step :data:`QUICK_STEPS` (best gap
    up to it ≥ −:data:`RETRAIN_TOLERANCE`)."""
    steps = row["steps_to_retrain"]
    reached = steps is not None and not pd.isna(steps) and int(steps) <= QUICK_STEPS
    start = not starts_at_retrain(steps)
    return [
        _test(row, "val_gap_start", "step 0 − Retrain", -RETRAIN_TOLERANCE, start),
        _test(row, "val_gap_quick", f"best to step {QUICK_STEPS} − Retrain", -RETRAIN_TOLERANCE,
              reached),
    ]  # fmt: skip


def quick_measure(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """Claim 5, QNN half: approximate methods reach Retrain level within QUICK_STEPS steps,
    from a start below it (:func:`quick_tests`); a method at
    Retrain's level at step 0 is reported as :data:`STARTS_AT_RETRAIN` and does not count."""

    def item(r: pd.Series, _: pd.DataFrame):
        steps, pair = r["steps_to_retrain"], quick_tests(r)
        when = STARTS_AT_RETRAIN if starts_at_retrain(steps) else _steps_text(steps, r["steps"])
        return pair, (f"{_label(r)} {when} (step 0 − Retrain {pair[0].value}; best to step "
                      f"{QUICK_STEPS} − Retrain {pair[1].value})")  # fmt: skip

    def head(d: str, rows: pd.DataFrame) -> str:
        level = rows["retrain_val_final"].iloc[0]
        return f"{d}: steps to Retrain ({level:.3f}) − {RETRAIN_TOLERANCE}: "

    return _series_measure(summary, model, setting, phase, APPROXIMATE, head, item)


def _start_text(rows: pd.DataFrame) -> str:
    start = rows["forget_start"][rows["method"] != "retrain"]
    return f"{start.iloc[0]:.3f}" if len(start) else "n/a"


def stubborn_measure(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """SI §III, MLP: at the last step Retrain's forgetting accuracy is near zero
    (≤ :data:`FORGOTTEN_LEVEL`) and every approximate method's exceeds it by at least
    :data:`STUBBORN_GAP` (a series' rows list Retrain first)."""

    def item(r: pd.Series, rows: pd.DataFrame):
        retrain = rows[rows["method"] == "retrain"]
        final = float(retrain["forget_final_mean"].iloc[0]) if len(retrain) else float("nan")
        if r["method"] == "retrain":
            t = _test(r, "forget_final", "final forgetting acc.", FORGOTTEN_LEVEL,
                      final <= FORGOTTEN_LEVEL)  # fmt: skip
            return [t], f"Retrain {t.value}"
        gap = bool(r["forget_final_mean"] - final >= STUBBORN_GAP)
        t = _test(r, "forget_gap_final", "final forgetting acc. − Retrain's", STUBBORN_GAP, gap)
        return [t], f"{_label(r)} {r['forget_final_mean']:.3f} (− Retrain {t.value})"

    def head(d: str, rows: pd.DataFrame) -> str:
        return f"{d}: forgetting acc. at step 0 {_start_text(rows)}, at the end "

    methods = ("retrain", *APPROXIMATE)
    return _series_measure(summary, model, setting, phase, methods, head, item)


def fast_measure(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """SI §III, QNN: the forgetting accuracy of Retrain and of every approximate method of the
    paper is ≤ :data:`FORGOTTEN_LEVEL` within :data:`QUICK_STEPS` steps (the lowest run-mean
    forgetting accuracy up to that step is at most the level)."""

    def item(r: pd.Series, _: pd.DataFrame):
        steps = r["steps_to_forgotten"]
        fast = steps is not None and not pd.isna(steps) and steps <= QUICK_STEPS
        what = f"lowest forgetting acc. to step {QUICK_STEPS}"
        t = _test(r, "forget_min_quick", what, FORGOTTEN_LEVEL, fast)
        return [t], (f"{_label(r)} {_steps_text(steps, r['steps'])} "
                     f"(lowest to step {QUICK_STEPS}: {t.value})")  # fmt: skip

    def head(d: str, rows: pd.DataFrame) -> str:
        return f"{d}: step 0 {_start_text(rows)}; steps to ≤ {FORGOTTEN_LEVEL}: "

    methods = ("retrain", *APPROXIMATE)
    return _series_measure(summary, model, setting, "random", methods, head, item)


def easier_measure(summary: pd.DataFrame, *_: str):
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
    return _measured(parts, tests, summary)


#: Each kind of unlearning check: its claim as tested (of model, setting, phase) and its
#: measure (of the summary, model, setting, phase).
KINDS = {
    "lag": (
        lambda m, s, p: (
            f"5: {m.upper()} approximate methods (Finetune, Scrub, Grad-Asc) lag "
            f"Retrain: never within {RETRAIN_TOLERANCE} of its final validation accuracy"
            + _phase_note(s, p)
        ),
        lag_measure,
    ),
    "quick": (
        lambda m, s, p: (
            f"5: {m.upper()} approximate methods reach Retrain-level validation "
            f"accuracy quickly (≤ {QUICK_STEPS} steps) from a start below it [{s}]"
        ),
        quick_measure,
    ),
    "stubborn": (
        lambda m, s, p: (
            f"5 / SI §III: {m.upper()} Retrain forgets (≤ {FORGOTTEN_LEVEL}) while "
            f"the approximate methods' forgetting accuracy stays ≥ {STUBBORN_GAP} above it "
            "('stubborn memories')" + _phase_note(s, p)
        ),
        stubborn_measure,
    ),
    "fast": (
        lambda m, s, p: (
            f"5 / SI §III: {m.upper()} forgetting accuracy falls below "
            f"{FORGOTTEN_LEVEL} within {QUICK_STEPS} steps for every method of the paper [{s}]"
        ),
        fast_measure,
    ),
    "easier": (
        lambda m, s, p: (
            "5: unlearning is easier for the QNN — smaller area under the "
            "forgetting curve than the MLP for every approximate method"
        ),
        easier_measure,
    ),
}


def check_row(kind: str, model: str = "", setting: str = "", phase: str = "random",
              filed: tuple[str, str, bool, str] = ("", "", False, "")) -> CheckRow:  # fmt: skip
    """The claim-5 check of ``kind`` (:data:`KINDS`) on one series, as a row.

    :param kind: a key of :data:`KINDS`.
    :param model: the records' model name, e.g. ``"qnn"``.
    :param setting: the unlearning setting.
    :param phase: XXZ phase convention.
    :param filed: ``(id, chapter, core, name)``; without an id the verdict is unfiled.
    """
    claim, measure = KINDS[kind]
    check, chapter, core, name = filed
    return CheckRow(check, 5, chapter, core, name, claim(model, setting, phase),
                    lambda summary: measure(summary, model, setting, phase))  # fmt: skip


def lag_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random") -> Verdict:
    """:func:`lag_measure` judged (unfiled)."""
    return judge(check_row("lag", model, setting, phase), summary)


def quick_verdict(
    summary: pd.DataFrame, model: str, setting: str, phase: str = "random"
) -> Verdict:
    """:func:`quick_measure` judged (unfiled)."""
    return judge(check_row("quick", model, setting, phase), summary)


def stubborn_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """:func:`stubborn_measure` judged (unfiled)."""
    return judge(check_row("stubborn", model, setting, phase), summary)


def fast_forgetting_verdict(summary: pd.DataFrame, model: str, setting: str):
    """:func:`fast_measure` judged (unfiled)."""
    return judge(check_row("fast", model, setting), summary)


def easier_for_qnn_verdict(summary: pd.DataFrame) -> Verdict:
    """:func:`easier_measure` judged (unfiled)."""
    return judge(check_row("easier"), summary)


#: Claim 5's validation-accuracy half, on the main series and the sensitivity series.
UNLEARNING_ROWS = (
    check_row("lag", "mlp", "si", filed=("mlp-lags-retrain", "unlearning", True,
                                         "MLP lags Retrain")),
    check_row("quick", "qnn", "paper-figure", filed=("qnn-reaches-retrain", "unlearning", True,
                                                     "QNN reaches Retrain quickly")),
    check_row("quick", "qnn", "si", filed=("qnn-reaches-retrain-si", "unlearning", False,
                                           "QNN reaches Retrain quickly, SI's literal setting")),
    check_row("lag", "mlp", "si", "canonical", ("mlp-lags-retrain-canonical", "unlearning", False,
                                                "MLP lags Retrain, canonical XXZ phases")),
)  # fmt: skip

#: Claim 5's forgetting half (SI §III, Figs. S2 and S3).
FORGETTING_ROWS = (
    check_row("stubborn", "mlp", "si", filed=("mlp-stubborn", "forgetting", True,
                                              "MLP keeps 'stubborn memories'")),
    check_row("fast", "qnn", "paper-figure", filed=("qnn-forgets-fast", "forgetting", True,
                                                    "QNN forgets fast")),
    check_row("easier", filed=("qnn-forgets-easier", "forgetting", True,
                               "QNN forgets more easily than the MLP")),
    check_row("fast", "qnn", "si", filed=("qnn-forgets-fast-si", "forgetting", False,
                                          "QNN forgets fast, SI's literal setting")),
    check_row("stubborn", "mlp", "si", "canonical", ("mlp-stubborn-canonical", "forgetting",
              False, "MLP keeps 'stubborn memories', canonical XXZ phases")),
)  # fmt: skip


def unlearning_verdicts(summary: pd.DataFrame) -> list[Verdict]:
    """:data:`UNLEARNING_ROWS` judged."""
    return judge_all(UNLEARNING_ROWS, summary)


def forgetting_verdicts(summary: pd.DataFrame) -> list[Verdict]:
    """:data:`FORGETTING_ROWS` judged."""
    return judge_all(FORGETTING_ROWS, summary)
