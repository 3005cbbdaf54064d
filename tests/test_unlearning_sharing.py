"""Amenability to unlearning of the memorizing QNN and the controls, under the uncertainty rule."""

from __future__ import annotations

import pandas as pd

import qmlr.studies.unlearning_study as U
from qmlr.report import unlearning as UR
from qmlr.report import unlearning_sharing as US

LEVEL = 0.95


def _summary_rows(series, val_start: float, steps: int | None, width: float = 0.005) -> list:
    """Summary rows of every approximate method of ``series``: the poisoned model at
    ``val_start``, Retrain's level first reached at ``steps``; gap intervals ± ``width``."""
    best_quick = LEVEL if steps is not None and steps <= UR.QUICK_STEPS else val_start
    gaps = {"val_gap_start": val_start - LEVEL, "val_gap_quick": best_quick - LEVEL}
    bounds = {f"{k}_{e}": v + (width if e == "high" else -width)
              for k, v in gaps.items() for e in ("low", "high")}  # fmt: skip
    return [
        {
            **series.coords,
            "method": method,
            "runs": 5,
            "val_start": val_start,
            "retrain_val_final": LEVEL,
            "steps_to_retrain": steps,
            **gaps,
            **bounds,
        }
        for method in U.APPROXIMATE
    ]


def _summary(*rows: list) -> pd.DataFrame:
    return pd.DataFrame([r for group in rows for r in group])


def test_amenability_sharing_separates_a_start_at_retrain_from_a_quick_reach():
    at_level, quick, slow = U.CONTROL_SERIES[0], U.CONTROL_SERIES[1], U.MEMORIZING_SERIES[0]
    summary = _summary(
        _summary_rows(at_level, LEVEL, 0),
        _summary_rows(quick, 0.5, UR.QUICK_STEPS),
        _summary_rows(slow, 0.1, UR.QUICK_STEPS + 1),
    )
    text = US.amenability_sharing(summary)
    starts, reaches = text.split("; of the")
    reaches = reaches.split("every approximate method:")[1]
    assert at_level.kind in starts and quick.kind not in starts and "?" not in text
    assert quick.kind in reaches and "memorizing" not in reaches
    assert US.amenability_outcomes(summary, quick) == (False, True)
    # one step slower and the quick control no longer counts
    summary = _summary(
        _summary_rows(at_level, LEVEL, 0), _summary_rows(quick, 0.5, UR.QUICK_STEPS + 1)
    )
    assert US.amenability_sharing(summary).endswith("every approximate method: none")


def test_a_start_straddling_retrains_level_is_inconclusive():
    near, quick, mem = U.CONTROL_SERIES[0], U.CONTROL_SERIES[1], U.MEMORIZING_SERIES[0]
    # step 0 at Retrain's level − tolerance + 0.002: −tolerance inside the ±0.005 interval
    start = LEVEL - UR.RETRAIN_TOLERANCE + 0.002
    summary = _summary(
        _summary_rows(near, start, 0),
        _summary_rows(quick, 0.5, UR.QUICK_STEPS),
        _summary_rows(mem, 0.1, UR.QUICK_STEPS),
    )
    # it may start at the level or just below it (and then it reaches the level at once)
    assert US.amenability_outcomes(summary, near) == (None, None)
    text = US.amenability_sharing(summary)
    assert f"{US.series_name(near)} ?" in text.split("; of the")[0]
    assert text.endswith(f"{US.series_name(near)} ?, {US.series_name(quick)}")
    # a narrower interval leaves the threshold outside: conclusive again
    narrow = _summary(_summary_rows(near, start, 0, width=0.001))
    assert US.amenability_outcomes(narrow, near) == (True, False)
    paragraph = US.amenability_paragraph(summary, [mem], [near, quick])
    assert "0 (and 1 inconclusive at this scale) start at Retrain's level" in paragraph
    assert f"{near.label} ?" in paragraph and "is not specific to the QNN" in paragraph
    assert paragraph.split("\n\n")[1].startswith("Inconclusive at this scale")
    note = paragraph.split("\n\n")[1]
    assert near.label in note and quick.label not in note


def test_an_open_memorizing_qnn_leaves_the_paragraph_inconclusive():
    quick, mem = U.CONTROL_SERIES[1], U.MEMORIZING_SERIES[0]
    # the memorizing QNN's best early gap at −tolerance: it may or may not reach the level
    rows = _summary_rows(mem, 0.1, UR.QUICK_STEPS)
    for r in rows:
        r |= {"val_gap_quick": -UR.RETRAIN_TOLERANCE, "val_gap_quick_low": -0.03,
              "val_gap_quick_high": 0.0}  # fmt: skip
    summary = _summary(rows, _summary_rows(quick, 0.5, UR.QUICK_STEPS + 1))
    assert US.amenability_outcomes(summary, mem) == (False, None)
    paragraph = US.amenability_paragraph(summary, [mem], [quick])
    assert "Amenability to unlearning is inconclusive at this scale" in paragraph
