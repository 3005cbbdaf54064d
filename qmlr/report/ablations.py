"""Measured ablations: one claim of the paper under the SI's reading and the authors' code's.

Each comparison (:class:`Comparison`) holds one divergence's affected claim: the headline number
of the figure under both readings and the verdict of the chapter's own verdict function on each
reading's records (:mod:`qmlr.report.analysis`, :mod:`qmlr.report.unlearning_checks`,
:mod:`qmlr.report.curvature`). :func:`measured` gives a divergence's comparisons from the
records of every reading (:class:`Readings`, :func:`load_readings`); :mod:`qmlr.report.sources`
assembles them into the "Where the published figures come from" table.

Example:
    >>> Comparison("c", "h", 0.5, 0.25, None, None).row()["change"]
    '-0.250'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from qmlr.report import unlearning_checks as UC
from qmlr.report.analysis import (
    DATASET_NAMES,
    Verdict,
    curve_row,
    curve_summary,
    mlp_claim,
    qnn_claim,
)
from qmlr.report.curvature import claim6_verdicts, shape_checks
from qmlr.report.curvature_tables import readings_frame, with_scope
from qmlr.report.unlearning import summary_table
from qmlr.studies import curvature_study as C
from qmlr.studies.study import load_records, load_results
from qmlr.studies.unlearning_study import APPROXIMATE, records_frame

#: Label of a reading that the book has not computed.
NOT_MEASURED = "not measured"
#: The two readings, as the table's column headers say them.
SI_READING, CODE_READING = "SI's reading", "authors' code's reading"


@dataclass(frozen=True)
class Comparison:
    """One affected claim measured under both readings.

    :param claim: the claim, briefly.
    :param headline: what the headline number is.
    :param si: the headline number under the SI's reading (``nan``: not measured).
    :param code: the headline number under the authors' code's reading.
    :param si_verdict: the claim's verdict under the SI's reading (``None``: not measured).
    :param code_verdict: the claim's verdict under the code's reading.
    :param digits: decimals shown.
    :param judged: whether a claim's verdict belongs to the row (``False``: a number only).
    """

    claim: str
    headline: str
    si: float
    code: float
    si_verdict: Verdict | None
    code_verdict: Verdict | None
    digits: int = 3
    judged: bool = True

    def row(self) -> dict[str, str]:
        """The comparison's table cells (claim to verdicts)."""

        def fmt(v: float, verdict: Verdict | None) -> str:
            if np.isfinite(v):
                return f"{v:.{self.digits}f}"
            return NOT_MEASURED if verdict is None else "undefined at this scale"

        change = (
            f"{self.code - self.si:+.{self.digits}f}"
            if np.isfinite(self.si) and np.isfinite(self.code)
            else "—"
        )
        return {
            "claim": self.claim,
            "headline number": self.headline,
            SI_READING: fmt(self.si, self.si_verdict),
            CODE_READING: fmt(self.code, self.code_verdict),
            "change": change,
            f"verdict, {SI_READING}": _label(self.si_verdict) if self.judged else "—",
            f"verdict, {CODE_READING}": _label(self.code_verdict) if self.judged else "—",
        }


def _label(verdict: Verdict | None) -> str:
    return NOT_MEASURED if verdict is None else verdict.label


# --------------------------------------------------------------------------------------------
# Sweeps: normalization (Fig. 2c) and encoding (Fig. 2d vs 3b)
# --------------------------------------------------------------------------------------------

_BY = ["dataset", "model", "corruption"]


def _flip_summary(records: pd.DataFrame, dataset: str, model: str) -> pd.Series | None:
    sel = select(records, dataset, model)
    if sel.empty:
        return None
    return curve_row(curve_summary(sel, _BY), dataset=dataset, model=model)


def _val_at(records: pd.DataFrame, dataset: str, model: str, alpha: float) -> float:
    sel = select(records, dataset, model)
    sel = sel[np.isclose(sel["alpha"].astype(float), alpha)]
    return float(sel["val_accuracy"].mean()) if len(sel) else float("nan")


#: Claims 1 and 2 as the sweep rows compare them, by model: the claim, its headline number, that
#: number's column of :func:`~qmlr.report.analysis.curve_summary`, the claim's verdict on a curve.
SWEEP_CLAIMS = {
    "mlp": ("1: MLP memorizes, validation decays", "validation slope (α ≤ 0.5)", "val_slope",
            mlp_claim),
    "qnn": ("2: QNN plateau + transition near α = 0.5", "α_c (validation = 0.5)", "alpha_c",
            qnn_claim),
}  # fmt: skip


def _sweep(
    si: pd.DataFrame, code: pd.DataFrame, dataset: str, model: str, profile: str, code_model=None
) -> Comparison:
    """:data:`SWEEP_CLAIMS`' claim of ``model`` on the label-flipping curve of each reading
    (``code_model``: the model's kind in ``code``, default ``model``; no curve: not measured)."""
    claim, headline, column, verdict = SWEEP_CLAIMS[model]
    name = DATASET_NAMES[dataset]
    rows = [_flip_summary(si, dataset, model), _flip_summary(code, dataset, code_model or model)]
    number = [float(r[column]) if r is not None else float("nan") for r in rows]
    judged = [verdict(r, name, profile) if r is not None else None for r in rows]
    return Comparison(f"{claim} ({name})", headline, *number, *judged)


def encoding_comparisons(
    resilience: pd.DataFrame, encoding: pd.DataFrame, profile: str, alpha: float = 0.3
) -> list[Comparison]:
    """The XXZ QNN as 12 qubits (SI) and as 13 qubits on [Re ψ, Im ψ] (the code's unlearning
    input): validation accuracy at the unlearning ratio (Fig. 3b's starting point), and claim 2
    on its label-flipping sweep (is the model of Fig. 3b the model of Fig. 2d?).

    :param resilience: the resilience study's records.
    :param encoding: the encoding study's records (model ``qnn-reim``).
    :param profile: the profile both came from.
    :param alpha: the unlearning study's label-flip ratio.
    """
    return [
        Comparison(
            f"Fig. 3b's poisoned QNN ({DATASET_NAMES['xxz']}, α = {alpha:g})",
            f"validation accuracy at α = {alpha:g}",
            _val_at(resilience, "xxz", "qnn", alpha),
            _val_at(encoding, "xxz", "qnn-reim", alpha),
            None,
            None,
            judged=False,
        ),
        _sweep(resilience, encoding, "xxz", "qnn", profile, code_model="qnn-reim"),
    ]


# --------------------------------------------------------------------------------------------
# Unlearning: the QNNs' optimizer (Fig. 3) and the XXZ QNN's input (Fig. 3b)
# --------------------------------------------------------------------------------------------


def _approx_final(summary: pd.DataFrame, model: str, setting: str) -> float:
    rows = UC.series_rows(summary, model, setting)
    rows = rows[rows["method"].isin(APPROXIMATE)]
    return float(rows["val_final_mean"].mean()) if len(rows) else float("nan")


def _base(summary: pd.DataFrame, model: str, setting: str, column: str) -> float:
    """The poisoned base model's step-0 ``column`` (``val_start`` or ``forget_start``)."""
    rows = UC.series_rows(summary, model, setting)
    rows = rows[rows["method"] != "retrain"]
    return float(rows[column].iloc[0]) if len(rows) else float("nan")


def _unlearning(part: pd.DataFrame, claim: str, headline: str, number, verdict, si, code):
    """Claim 5 on two unlearning series (``si``, ``code``: model and setting) of ``part``: the
    ``number`` of each, and the ``verdict`` of each series that ran (else not measured)."""
    rows = [(x, not UC.series_rows(part, *x).empty) for x in (si, code)]
    judged = [verdict(part, *x) if present else None for x, present in rows]
    return Comparison(claim, headline, number(part, *si), number(part, *code), *judged)


def optimizer_comparisons(summary: pd.DataFrame) -> list[Comparison]:
    """Claim 5's QNN half on each dataset with the SI's unlearning optimizer (``si``) and the
    authors' code's (``paper-figure``).

    :param summary: :func:`qmlr.report.unlearning.summary_table` of the unlearning records.
    :return: one comparison per dataset (headline: the approximate methods' mean validation
        accuracy at the last step).
    """
    return [
        _unlearning(
            summary[summary["dataset"] == dataset],
            f"5: QNN approximate methods reach Retrain quickly ({DATASET_NAMES[dataset]})",
            "approximate methods' mean final validation accuracy",
            _approx_final,
            partial(UC.verdict, "quick"),
            ("qnn", "si"),
            ("qnn", "paper-figure"),
        )
        for dataset in ("mnist", "xxz")
        if (summary["dataset"] == dataset).any()
    ]


def input_comparisons(summary: pd.DataFrame, setting: str = "paper-figure") -> list[Comparison]:
    """Claim 5's QNN half on XXZ with the 12-qubit QNN (SI) and the 13-qubit [Re ψ, Im ψ] QNN
    (the code's unlearning input), both with the code's unlearning optimizer.

    :param summary: :func:`qmlr.report.unlearning.summary_table` of the unlearning records.
    :param setting: the unlearning setting both series use.
    :return: the validation-accuracy and the forgetting halves of claim 5 (headlines: the base
        model's validation accuracy and the approximate methods' mean final validation accuracy).
    """
    part, name = summary[summary["dataset"] == "xxz"], DATASET_NAMES["xxz"]
    series = ("qnn", setting), ("qnn-reim", setting)
    return [
        _unlearning(
            part,
            f"5: QNN approximate methods reach Retrain quickly ({name}) [{setting}]",
            "poisoned base model's validation accuracy",
            lambda p, m, s: _base(p, m, s, "val_start"),
            partial(UC.verdict, "quick"),
            *series,
        ),
        _unlearning(
            part,
            f"5 / SI §III: QNN forgetting accuracy falls fast ({name}) [{setting}]",
            "poisoned base model's forgetting accuracy (flipped labels reproduced)",
            lambda p, m, s: _base(p, m, s, "forget_start"),
            partial(UC.verdict, "fast"),
            *series,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Curvature: configuration, dead runs, Hessian labels and trace definition
# --------------------------------------------------------------------------------------------


def _trace_reading(
    records: pd.DataFrame, kind: str, scope: str, definition: str = "real", with_dead: bool = False
) -> tuple[float, Verdict | None]:
    """One model's claim 6 in one reading (scope, trace definition; dead runs dropped unless
    ``with_dead``): the mean trace ratio at the largest noisy α and the curvature chapter's
    verdict (``nan`` and ``None`` where not measured)."""
    if records.empty:
        return float("nan"), None
    checks = shape_checks(readings_frame(records))
    row = checks[
        (checks["scope"] == scope)
        & (checks["model"] == kind)
        & (checks["definition"] == definition)
    ]
    means = row.iloc[0]["means_all" if with_dead else "means"] if len(row) else None
    check = f"{kind}-trace-ratio/{scope}/{definition}"
    frame = records.assign(dead=False) if with_dead else records
    found = [v for v in claim6_verdicts(frame) if v.check == check]
    return float(means[max(means)]) if means else float("nan"), found[0] if found else None


def _trace_comparison(records: pd.DataFrame, claim: str, si: tuple, code: tuple) -> Comparison:
    """Claim 6 in two readings (``si``, ``code``: :func:`_trace_reading`'s arguments)."""
    (a, a_verdict), (b, b_verdict) = _trace_reading(records, *si), _trace_reading(records, *code)
    return Comparison(claim, "mean trace ratio at the largest α", a, b, a_verdict, b_verdict)


#: Claim 6's wording per model, for the rows.
CLAIM6 = {"mlp": "6: MLP trace ratio rises strongly", "qnn": "6: QNN trace ratio ≤ 1 and falling"}
#: The authors' code's curvature pipeline as it ran, and the book's first reading of it.
CODE_SCOPE = "authors-code"
FIRST_READING = "authors-code, balanced flips, flipped labels"

#: The claim-6 divergences measured as two (scope, trace definition) readings of the curvature
#: records, by topic: the models compared, what the claim adds, the SI's and the code's reading.
#: ``Hessian models, split and samples``: the SI's configuration and the authors' code as it
#: ran; ``Hessian flips and labels``: the authors' models with the book's first reading
#: (class-balanced flips of all samples, Hessian samples with the labels they carry) and the
#: code's (flips of the training part only, held-out Hessian samples with clean labels);
#: ``QNN Hessian definition``: the authors'-code QNN's real P × P Hessian's trace and the trace
#: over complexified angles (the authors' ``jax.hessian`` over real and imaginary parts).
SCOPE_PAIRS: dict[str, tuple[tuple[str, ...], str, tuple[str, str], tuple[str, str]]] = {
    "Hessian models, split and samples": (("mlp", "qnn"), "", ("si", "real"), (CODE_SCOPE, "real")),
    "Hessian flips and labels": (
        ("mlp", "qnn"),
        " (authors' models)",
        (FIRST_READING, "real"),
        (CODE_SCOPE, "real"),
    ),
    "QNN Hessian definition": (
        ("qnn",),
        " (authors' code as it ran)",
        (CODE_SCOPE, "real"),
        (CODE_SCOPE, "complexified"),
    ),
}


def scope_comparisons(records: pd.DataFrame, topic: str) -> list[Comparison]:
    """Claim 6 of each model of :data:`SCOPE_PAIRS`' ``topic`` in its two readings.

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :param topic: a key of :data:`SCOPE_PAIRS`.
    :return: one comparison per model (headline: mean trace ratio at the largest α, dead runs
        dropped as claim 6 is judged).

    Example:
        >>> [c.claim for c in scope_comparisons(pd.DataFrame(), "QNN Hessian definition")]
        ["6: QNN trace ratio ≤ 1 and falling (authors' code as it ran)"]
    """
    kinds, suffix, si, code = SCOPE_PAIRS[topic]
    return [_trace_comparison(records, f"{CLAIM6[k]}{suffix}", (k, *si), (k, *code)) for k in kinds]


def dead_run_comparisons(records: pd.DataFrame, scope: str = CODE_SCOPE) -> list[Comparison]:
    """Claim 6 for the MLP with its dead runs kept (the SI, which does not mention them) and
    dropped (the authors' code).

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :param scope: the curvature scope compared (the first reading's when ``scope`` has no MLP
        runs yet).
    """
    if records.empty:
        return []
    frame = with_scope(records)
    if not ((frame["scope"] == scope) & (frame["model"] == "mlp")).any():
        scope = FIRST_READING
    mine = frame[(frame["scope"] == scope) & (frame["model"] == "mlp")]
    n_dead = int(mine["dead"].astype(bool).sum())
    claim = f"{CLAIM6['mlp']} ({scope}; {n_dead} dead run(s))"
    return [_trace_comparison(records, claim, ("mlp", scope, "real", True), ("mlp", scope))]


# --------------------------------------------------------------------------------------------
# The readings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readings:
    """The records each measured row reads (empty frames where a study is missing).

    :param resilience: the resilience study's sweep records.
    :param normalization: the normalization study's records (per-column MNIST).
    :param encoding: the encoding study's records (13-qubit XXZ QNN).
    :param unlearning: :func:`qmlr.report.unlearning.summary_table` of the unlearning
        records.
    :param curvature: :func:`qmlr.studies.curvature_study.records_frame` of the curvature runs.
    :param profile: the profile they came from.
    :param code_mlp: the code-mlp study's records (the authors' code's MNIST MLP).
    """

    resilience: pd.DataFrame
    normalization: pd.DataFrame
    encoding: pd.DataFrame
    unlearning: pd.DataFrame
    curvature: pd.DataFrame
    profile: str
    code_mlp: pd.DataFrame = field(default_factory=pd.DataFrame)


def measured(topic: str, readings: Readings) -> list[Comparison]:
    """The comparisons the book has computed for a divergence ``topic`` (empty: none): the MNIST
    normalization compares claims 1 and 2 with image (SI) and per-column (code) normalization,
    the MNIST MLP claim 1 with the SI's MLP ([16, 4], batch 128, lr 0.01) and the code's
    ([64, 16], batch 256, lr 0.005), both on the SI's normalization (:func:`_sweep`)."""
    r = readings
    if topic == "MNIST normalization":
        return [_sweep(r.resilience, r.normalization, "mnist", m, r.profile) for m in SWEEP_CLAIMS]
    if topic == "MNIST MLP of the α sweep (Fig. 2c)" and not r.code_mlp.empty:
        return [_sweep(r.resilience, r.code_mlp, "mnist", "mlp", r.profile)]
    if topic == "Unlearning optimizer of the QNNs":
        return optimizer_comparisons(r.unlearning)
    if topic == "Input of the XXZ unlearning QNN":
        return [
            *encoding_comparisons(r.resilience, r.encoding, r.profile),
            *input_comparisons(r.unlearning),
        ]
    if topic in SCOPE_PAIRS:
        return scope_comparisons(r.curvature, topic)
    if topic == "Dead MLP runs in the Hessian figure":
        return dead_run_comparisons(r.curvature)
    return []


def load_readings(profile: str = "paper", tables: bool = True) -> Readings:
    """Load (at ``paper``: the committed results; otherwise computed live) every study the
    table reads.

    :param profile: a profile name.
    :param tables: also the unlearning summary and the curvature records (the table's; without
        them, empty frames: the readings of the chapter's figure only).
    :return: the records.
    """
    unlearning = (
        summary_table(records_frame(load_results("unlearning", profile)))
        if tables
        else pd.DataFrame()
    )
    return Readings(
        resilience=load_records("resilience", profile),
        normalization=load_records("normalization", profile),
        encoding=load_records("encoding", profile),
        unlearning=unlearning,
        curvature=C.records_frame(load_results("curvature", profile)) if tables else pd.DataFrame(),
        profile=profile,
        code_mlp=load_records("code-mlp", profile),
    )


#: The studies :func:`load_readings` reads (the inputs of the stored table).
READ_STUDIES = ("resilience", "normalization", "encoding", "unlearning", "curvature", "code-mlp")


def select(records: pd.DataFrame, dataset: str, model: str) -> pd.DataFrame:
    """The label-flipping records of one dataset and model (empty frame when absent)."""
    if records.empty:
        return records
    sel = (records["dataset"] == dataset) & (records["model"] == model)
    return records[sel & (records["corruption"] == "label_flip")]
