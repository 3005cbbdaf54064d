"""The unlearning and forgetting chapters' verdicts (claims 4 and 5 of the paper).

Each verdict is judged on :func:`qmlr.report.unlearning.summary_table`; its thresholds are the
named constants of :mod:`qmlr.report.unlearning`.

Example:
    >>> reaches_retrain_quickly(4), reaches_retrain_quickly(None)
    (True, False)
"""

from __future__ import annotations

import pandas as pd

from qmlr.core.unlearn import METHOD_LABELS
from qmlr.report.analysis import Verdict
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


def _rows(summary: pd.DataFrame, model: str, setting: str, phase: str = "random") -> pd.DataFrame:
    sel = (summary["model"] == model) & (summary["setting"] == setting)
    # MNIST has no phase (""); a non-default phase selects the XXZ series only.
    sel &= summary["phase"].isin(["", "random"]) if phase == "random" else summary["phase"] == phase
    return summary[sel]


def _verdict(claim: str, parts: list[str], ok: list[bool], summary: pd.DataFrame) -> Verdict:
    evidence = "; ".join(parts)
    if not ok:
        return Verdict(claim, "no results", None)
    if not evaluable(summary):
        return Verdict(claim, evidence + _scale_note(summary), None)
    return Verdict(claim, evidence, all(ok))


def lag_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random") -> Verdict:
    """Claim 5, MLP half: approximate methods stay below Retrain-level validation accuracy."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting, phase).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            lags = r["steps_to_retrain"] is None or pd.isna(r["steps_to_retrain"])
            ok.append(bool(lags))
            texts.append(f"{METHOD_LABELS[r['method']]} {r['val_final_mean']:.3f}")
        parts.append(
            f"{dataset.upper()}: Retrain {rows['retrain_val_final'].iloc[0]:.3f} vs "
            + ", ".join(texts)
        )
    claim = (
        f"5: {model.upper()} approximate methods (Finetune, Scrub, Grad-Asc) lag Retrain: "
        f"never within {RETRAIN_TOLERANCE} of its final validation accuracy"
    )
    setting_note = f" [{setting}{', ' + phase + ' phase' if phase != 'random' else ''}]"
    return _verdict(claim + setting_note, parts, ok, summary)


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


def quick_verdict(
    summary: pd.DataFrame, model: str, setting: str, phase: str = "random"
) -> Verdict:
    """Claim 5, QNN half: approximate methods reach Retrain level within QUICK_STEPS steps,
    from a start below it (:func:`reaches_retrain_quickly`); a method at Retrain's level at
    step 0 is reported as :data:`STARTS_AT_RETRAIN` and does not count."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting, phase).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            steps = r["steps_to_retrain"]
            ok.append(reaches_retrain_quickly(steps))
            when = STARTS_AT_RETRAIN if starts_at_retrain(steps) else _steps_text(steps, r["steps"])
            texts.append(f"{METHOD_LABELS[r['method']]} {when}")
        parts.append(
            f"{dataset.upper()}: steps to Retrain ({rows['retrain_val_final'].iloc[0]:.3f}) − "
            f"{RETRAIN_TOLERANCE}: " + ", ".join(texts)
        )
    claim = (
        f"5: {model.upper()} approximate methods reach Retrain-level validation accuracy "
        f"quickly (≤ {QUICK_STEPS} steps) from a start below it [{setting}]"
    )
    return _verdict(claim, parts, ok, summary)


def stubborn_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """SI §III, MLP: at the last step Retrain's forgetting accuracy is near zero
    (≤ :data:`FORGOTTEN_LEVEL`) and every approximate method's exceeds it by at least
    :data:`STUBBORN_GAP`."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting, phase).groupby("dataset", sort=True):
        retrain = rows[rows["method"] == "retrain"]
        texts = []
        final = float(retrain["forget_final_mean"].iloc[0]) if len(retrain) else float("nan")
        ok.append(final <= FORGOTTEN_LEVEL)
        texts.append(f"Retrain {final:.3f}")
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            ok.append(bool(r["forget_final_mean"] - final >= STUBBORN_GAP))
            texts.append(f"{METHOD_LABELS[r['method']]} {r['forget_final_mean']:.3f}")
        start = rows["forget_start"][rows["method"] != "retrain"]
        start_text = f"{start.iloc[0]:.3f}" if len(start) else "n/a"
        parts.append(
            f"{dataset.upper()}: forgetting acc. at step 0 {start_text}, at the end "
            + ", ".join(texts)
        )
    claim = (
        f"5 / SI §III: {model.upper()} Retrain forgets (≤ {FORGOTTEN_LEVEL}) while the "
        f"approximate methods' forgetting accuracy stays ≥ {STUBBORN_GAP} above it "
        "('stubborn memories')"
        f" [{setting}{', ' + phase + ' phase' if phase != 'random' else ''}]"
    )
    return _verdict(claim, parts, ok, summary)


def fast_forgetting_verdict(summary: pd.DataFrame, model: str, setting: str):
    """SI §III, QNN: the forgetting accuracy of Retrain and of every approximate method of the
    paper is ≤ :data:`FORGOTTEN_LEVEL` within :data:`QUICK_STEPS` steps."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(("retrain", *APPROXIMATE))].iterrows():
            steps = r["steps_to_forgotten"]
            fast = steps is not None and not pd.isna(steps) and steps <= QUICK_STEPS
            ok.append(bool(fast))
            texts.append(f"{METHOD_LABELS[r['method']]} {_steps_text(steps, r['steps'])}")
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
    return _verdict(claim, parts, ok, summary)


def easier_for_qnn_verdict(summary: pd.DataFrame) -> Verdict:
    """Claim 5's comparison: the QNN's forgetting area is below the MLP's for every approximate
    method on each dataset (main-figure settings)."""
    main = summary[summary["role"] == "main"]
    parts, ok = [], []
    for dataset, rows in main.groupby("dataset", sort=True):
        texts = []
        for method in APPROXIMATE:
            area = {
                k: rows[(rows["model"] == k) & (rows["method"] == method)]["forget_area_mean"]
                for k in ("mlp", "qnn")
            }
            if not (len(area["mlp"]) and len(area["qnn"])):
                continue
            a_mlp, a_qnn = float(area["mlp"].iloc[0]), float(area["qnn"].iloc[0])
            ok.append(a_qnn < a_mlp)
            texts.append(f"{METHOD_LABELS[method]} {a_mlp:.3f} vs {a_qnn:.3f}")
        parts.append(f"{dataset.upper()} (MLP vs QNN): " + ", ".join(texts))
    claim = (
        "5: unlearning is easier for the QNN — smaller area under the forgetting curve than "
        "the MLP for every approximate method"
    )
    return _verdict(claim, parts, ok, summary)


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
