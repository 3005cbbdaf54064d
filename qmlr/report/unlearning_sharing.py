"""Amenability to unlearning beyond the paper's QNN, under the uncertainty rule.

The unlearning chapter asks of the memorizing QNN and of the classical controls whether a
series *starts at Retrain's level* (as the paper's QNNs do) and whether every approximate method
*reaches it from below within* :data:`~qmlr.report.unlearning.QUICK_STEPS` steps. Both compare
the step-0 and best-early validation gaps to Retrain with −:data:`RETRAIN_TOLERANCE`
(:func:`qmlr.report.unlearning_verdicts.quick_tests`, the tests of the chapter's verdicts, with
their run-bootstrap intervals); where the threshold lies inside an interval the answer is
*inconclusive at this scale* (``None``) and the series is marked ``?``
(:mod:`qmlr.report.sharing`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from qmlr.core.unlearn import METHOD_LABELS
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
from qmlr.report.unlearning import QUICK_STEPS, RETRAIN_TOLERANCE, _row
from qmlr.report.unlearning_verdicts import quick_tests
from qmlr.studies.unlearning_study import APPROXIMATE, CONTROL_SERIES, MEMORIZING_SERIES, Series


def series_tests(summary: pd.DataFrame, series: Series) -> list[list[ThresholdTest]] | None:
    """:func:`~qmlr.report.unlearning_verdicts.quick_tests` of every approximate method of a
    series (``None`` where a method lacks results)."""
    rows = [_row(summary, series, m) for m in APPROXIMATE]
    if any(r is None for r in rows):
        return None
    return [quick_tests(r) for r in rows]


def amenability_outcomes(summary: pd.DataFrame, series: Series) -> tuple | None:
    """Whether a series starts at Retrain's level with every approximate method, and whether
    every approximate method reaches it from below within ``QUICK_STEPS`` steps, each
    ``True`` / ``False`` / ``None`` (inconclusive at this scale).

    :param summary: :func:`qmlr.report.unlearning.summary_table` output.
    :param series: the series.
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

    :param summary: :func:`qmlr.report.unlearning.summary_table` output.
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

    :param summary: :func:`qmlr.report.unlearning.summary_table` output.
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
