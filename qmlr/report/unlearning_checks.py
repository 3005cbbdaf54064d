"""The unlearning and forgetting chapters' checks (claim 5 of the paper) as rows, and the
amenability to unlearning beyond the paper's QNN, under the uncertainty rule.

Each check is judged on ``summary``, :func:`qmlr.report.unlearning.summary_table` output
(throughout); its thresholds are the named constants of :mod:`qmlr.report.unlearning`. Every
number a check compares with a threshold carries its bootstrap interval over runs, and the rule
of :mod:`qmlr.report.uncertainty` applies: a threshold inside the interval of the number it
judges makes that test — and, unless another fails outright, the verdict — *inconclusive at
this scale*.

Amenability asks of the memorizing QNN and of the classical controls whether a series *starts at
Retrain's level* (as the paper's QNNs do) and whether every approximate method *reaches it from
below within* :data:`~qmlr.report.unlearning.QUICK_STEPS` steps — the tests of
:func:`quick_tests`; where a threshold lies inside an interval the answer is ``None`` and the
series is marked ``?`` (:mod:`qmlr.report.sharing`).

Example:
    >>> runs_text(1), runs_text(5)
    ('1 run', '5 runs')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from qmlr.core.unlearn_catalog import METHOD_LABELS
from qmlr.report.analysis import Verdict, area_difference_test, interval_of
from qmlr.report.checks import CheckRow, Measured, judge
from qmlr.report.sharing import listed, open_note
from qmlr.report.uncertainty import (
    INCONCLUSIVE_LABEL,
    ThresholdTest,
    open_tests,
    outcome_of,
    tri_all,
    tri_any,
    tri_not,
)
from qmlr.report.unlearning import (
    FORGOTTEN_LEVEL,
    MIN_RUNS,
    QUICK_STEPS,
    RETRAIN_TOLERANCE,
    STUBBORN_GAP,
    method_row,
    reach_text,
    sizes_text,
    starts_at_retrain,
    step_of,
    steps_text,
    within,
)
from qmlr.studies.unlearning_study import (
    APPROXIMATE,
    CONTROL_SERIES,
    MEMORIZING_SERIES,
    PAPER_STEPS,
    Series,
)


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


def _series_measure(summary: pd.DataFrame, model: str, setting: str, phase: str,
                    methods: tuple[str, ...], head, item):  # fmt: skip
    """The evidence and tests of a check read per dataset on one series: ``item`` gives each
    method's summary row's tests and text (of the row and its dataset's rows), ``head`` each
    dataset's lead (of its upper-case name and rows); ``None`` without results."""
    parts, tests = [], []
    for dataset, rows in series_rows(summary, model, setting, phase).groupby("dataset"):
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
        lags = step_of(r["steps_to_retrain"]) is None
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
    what = f"best to step {QUICK_STEPS} − Retrain"
    return [
        _test(row, "val_gap_start", "step 0 − Retrain", -RETRAIN_TOLERANCE,
              not starts_at_retrain(steps)),
        _test(row, "val_gap_quick", what, -RETRAIN_TOLERANCE, within(steps)),
    ]  # fmt: skip


def quick_measure(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """Claim 5, QNN half: approximate methods reach Retrain level within QUICK_STEPS steps,
    from a start below it (:func:`quick_tests`); a method at Retrain's level at step 0 is
    reported as :data:`~qmlr.report.unlearning.STARTS_AT_RETRAIN` and does not count."""

    def item(r: pd.Series, _: pd.DataFrame):
        pair = quick_tests(r)
        text = f"{_label(r)} {reach_text(r)} (step 0 − Retrain {pair[0].value}; best to step "
        return pair, text + f"{QUICK_STEPS} − Retrain {pair[1].value})"

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
        what = f"lowest forgetting acc. to step {QUICK_STEPS}"
        t = _test(r, "forget_min_quick", what, FORGOTTEN_LEVEL, within(steps))
        return [t], (f"{_label(r)} {steps_text(steps, r['steps'])} "
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


#: Each kind of unlearning check: its claim as tested (a template of ``M``, the model's name in
#: capitals, ``setting`` and ``note``, :func:`_phase_note`) and its measure (of the summary,
#: model, setting, phase).
KINDS = {
    "lag": (
        "5: {M} approximate methods (Finetune, Scrub, Grad-Asc) lag Retrain: never within "
        f"{RETRAIN_TOLERANCE} of its final validation accuracy{{note}}",
        lag_measure,
    ),
    "quick": (
        "5: {M} approximate methods reach Retrain-level validation accuracy quickly "
        f"(≤ {QUICK_STEPS} steps) from a start below it [{{setting}}]",
        quick_measure,
    ),
    "stubborn": (
        f"5 / SI §III: {{M}} Retrain forgets (≤ {FORGOTTEN_LEVEL}) while the approximate methods' "
        f"forgetting accuracy stays ≥ {STUBBORN_GAP} above it ('stubborn memories'){{note}}",
        stubborn_measure,
    ),
    "fast": (
        f"5 / SI §III: {{M}} forgetting accuracy falls below {FORGOTTEN_LEVEL} within "
        f"{QUICK_STEPS} steps for every method of the paper [{{setting}}]",
        fast_measure,
    ),
    "easier": (
        "5: unlearning is easier for the QNN — smaller area under the forgetting curve than the "
        "MLP for every approximate method",
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
    claim = claim.format(M=model.upper(), setting=setting, note=_phase_note(setting, phase))
    check, chapter, core, name = filed
    return CheckRow(check, 5, chapter, core, name, claim,
                    lambda summary: measure(summary, model, setting, phase))  # fmt: skip


def verdict(
    kind: str, summary: pd.DataFrame, model: str = "", setting: str = "", phase: str = "random"
) -> Verdict:
    """The claim-5 check of ``kind`` on one series (:func:`check_row`, same arguments), judged
    unfiled on ``summary`` (:func:`qmlr.report.unlearning.summary_table` output).

    Example:
        >>> empty = pd.DataFrame(columns=["dataset", "model", "setting", "phase", "method"])
        >>> verdict("lag", empty, "mlp", "si").evidence
        'no results'
    """
    return judge(check_row(kind, model, setting, phase), summary)


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


def series_tests(summary: pd.DataFrame, series: Series) -> list[list[ThresholdTest]] | None:
    """:func:`quick_tests` of every approximate method of a series (``None`` where a method
    lacks results)."""
    rows = [method_row(summary, series, m) for m in APPROXIMATE]
    if any(r is None for r in rows):
        return None
    return [quick_tests(r) for r in rows]


def amenability_outcomes(summary: pd.DataFrame, series: Series) -> tuple | None:
    """Whether a series starts at Retrain's level with every approximate method, and whether
    every approximate method reaches it from below within ``QUICK_STEPS`` steps, each
    ``True`` / ``False`` / ``None`` (inconclusive at this scale).

    :return: ``(starts, quick)``, or ``None`` without results.
    """
    tests = series_tests(summary, series)
    if tests is None:
        return None
    starts = tri_all(tri_not(below.outcome) for below, _ in tests)
    quick = outcome_of(t for pair in tests for t in pair)
    return starts, quick


def series_name(series: Series) -> str:
    """The scorecard's short name of a series.

    Example:
        >>> series_name(Series("xxz", "qnn", "si"))
        'XXZ qnn (si)'
    """
    memorizing = " memorizing" if series.role == "memorizing" else ""
    return f"{series.dataset.upper()} {series.kind}{memorizing} ({series.setting})"


def amenability_sharing(summary: pd.DataFrame) -> str:
    """Claim 5 beyond the QNN, for the scorecard: which memorizing-QNN and control series start
    at Retrain's level with every approximate method (as the paper's QNNs do), and which reach
    it from below within ``QUICK_STEPS`` steps with every approximate method; a series whose
    answer is inconclusive at this scale is marked ``?``.

    :param summary: :func:`qmlr.report.unlearning.summary_table` output (series without results
        are skipped).
    :return: one line of text.
    """
    found = [(s, amenability_outcomes(summary, s)) for s in (*MEMORIZING_SERIES, *CONTROL_SERIES)]
    found = [(series_name(s), o) for s, o in found if o is not None]
    if not found and summary.empty:
        return "not measured"
    starts = listed((n, o[0]) for n, o in found)
    quick = listed((n, o[1]) for n, o in found)
    return (
        f"starts at Retrain's level as the QNNs do: {starts}; of the memorizing QNN and the "
        f"controls starting below it, reaches it within {QUICK_STEPS} steps with every "
        f"approximate method: {quick}"
    )


def open_tests_text(summary: pd.DataFrame, series: Sequence[Series]) -> str:
    """The series whose amenability is inconclusive at this scale, with the tests whose
    threshold lies inside the run-bootstrap interval (``""`` where none is).

    :param series: the series to look at.
    :return: Markdown text.
    """
    parts = []
    for s in series:
        tests = series_tests(summary, s)
        outcomes = amenability_outcomes(summary, s)
        if tests is None or None not in outcomes:
            continue
        methods: dict[str, list[str]] = {}  # the same number of several methods shown once
        for method, pair in zip(APPROXIMATE, tests, strict=True):
            for t in open_tests(pair):
                what = f"{t.name.split(': ', 1)[-1]} {t.against}"
                methods.setdefault(what, []).append(METHOD_LABELS[method])
        shown = "; ".join(f"{', '.join(m)}: {what}" for what, m in methods.items())
        parts.append(f"{s.label} ({shown})")
    return open_note(f"the threshold −{RETRAIN_TOLERANCE} lies inside the run-bootstrap "
                     "interval of the gap to Retrain's level", parts)  # fmt: skip


def _verdict(mem_quick: bool | None, controls_quick: bool | None) -> str:
    """The paragraph's closing clause from the memorizing QNN's and the controls' outcomes."""
    if mem_quick is None or (mem_quick and controls_quick is None):
        return (
            f"is {INCONCLUSIVE_LABEL}: whether the memorizing QNN, or a control starting below "
            "Retrain's level, recovers quickly rests on a threshold inside its interval."
        )
    if mem_quick and not controls_quick:
        return (
            "separates the QNN from the classical controls on this evidence: the memorizing "
            "QNN recovers quickly, and no control starting below Retrain's level does — but "
            "the memorizing QNN's poison is an inverted rule, not memorized exceptions, so "
            "this compares different kinds of poisoned model."
        )
    if mem_quick:
        return (
            "is not specific to the QNN: the memorizing QNN recovers quickly, and so do "
            "classical controls that start below Retrain's level."
        )
    if controls_quick is False:
        return (
            "is **not** a property of the QNN on this evidence: made to learn its poison, the QNN "
            "recovers no faster than the classical models; no model here that starts below "
            "Retrain's level reaches it with every approximate method within "
            f'{QUICK_STEPS} steps. The paper\'s QNN reaches it "quickly" because it '
            "starts there — resilience to the poison, not amenability to unlearning."
        )
    return (
        "is **not** a property of the QNN on this evidence: the memorizing QNN does not "
        "recover quickly"
        + (", while classical controls that start below Retrain's level do." if controls_quick
           else ".")
    )  # fmt: skip


def amenability_paragraph(
    summary: pd.DataFrame, memorizing: Sequence[Series], controls: Sequence[Series]
) -> str:
    """The chapter's paragraph on amenability: the memorizing QNN and the controls, starting at
    or below Retrain's level and reaching it quickly, under the uncertainty rule (a series whose
    answer is inconclusive is counted apart and marked ``?``).

    :param memorizing: the memorizing-QNN series.
    :param controls: the control series.
    :return: Markdown text.
    """
    out = {s: amenability_outcomes(summary, s) for s in (*memorizing, *controls)}
    out = {s: o for s, o in out.items() if o is not None}
    mem = [s for s in memorizing if s in out and out[s][0] is not True]
    ctrl = [s for s in controls if s in out]
    below = [s for s in ctrl if out[s][0] is not True]

    def names(group: list[Series], which: int) -> str:
        return listed(((s.label, out[s][which]) for s in group), sep="; ")

    def count(group: list[Series], which: int) -> str:
        n_open = sum(out[s][which] is None for s in group)
        n = sum(out[s][which] is True for s in group)
        return f"{n}" + (f" (and {n_open} {INCONCLUSIVE_LABEL})" if n_open else "")

    parts = []
    if mem:
        parts.append(
            f"Made to memorize, the QNN starts below Retrain's level, and every approximate method "
            f"reaches it within {QUICK_STEPS} steps in {count(mem, 1)} of {len(mem)} settings "
            f"({', '.join(s.setting for s in mem if out[s][1] is True) or 'none'}"
            + "".join(f", {s.setting} ?" for s in mem if out[s][1] is None)
            + ")."
        )
    parts.append(
        f"Of the {len(ctrl)} control series, {count(ctrl, 0)} start at Retrain's level "
        f"like the paper's QNN ({names(ctrl, 0)}), and {count(below, 1)} of the {len(below)} "
        f"that start below it (or may) reach it with every approximate method within "
        f"{QUICK_STEPS} steps ({names(below, 1)})."
    )
    if not mem:
        parts.append("Amenability to unlearning is not tested here: no memorizing QNN has results.")
    else:
        mem_quick = tri_all(out[s][1] for s in mem)
        parts.append(
            "Amenability to unlearning " + _verdict(mem_quick, tri_any(out[s][1] for s in below))
        )
    note = open_tests_text(summary, [*memorizing, *controls])
    return " ".join(parts) + (f"\n\n{note}" if note else "")
