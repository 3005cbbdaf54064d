"""Measured ablations: one claim of the paper under the SI's reading and the authors' code's.

Each function compares one divergence's affected claims (:class:`Comparison`): the headline
number of the figure under both readings and the verdict of the chapter's own verdict function
on each reading's records (:mod:`qmlr.report.analysis`, :mod:`qmlr.report.unlearning_checks`,
:mod:`qmlr.report.curvature`). :mod:`qmlr.report.sources` assembles them into the
"Where the published figures come from" table.

Example:
    >>> Comparison("c", "h", 0.5, 0.25, None, None).row()["change"]
    '-0.250'
"""

from __future__ import annotations

from dataclasses import dataclass

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
from qmlr.studies.unlearning_study import APPROXIMATE

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
    sel = records[
        (records["dataset"] == dataset)
        & (records["model"] == model)
        & (records["corruption"] == "label_flip")
    ]
    if sel.empty:
        return None
    return curve_row(curve_summary(sel, _BY), dataset=dataset, model=model)


def _val_at(records: pd.DataFrame, dataset: str, model: str, alpha: float) -> float:
    sel = records[
        (records["dataset"] == dataset)
        & (records["model"] == model)
        & (records["corruption"] == "label_flip")
        & np.isclose(records["alpha"].astype(float), alpha)
    ]
    return float(sel["val_accuracy"].mean()) if len(sel) else float("nan")


def _compared(claim: str, headline: str, si, code, column: str, verdict) -> Comparison:
    """Two curves' summary rows compared (``None``: not measured): their ``column`` and
    ``verdict`` (of a row)."""
    number = [float(r[column]) if r is not None else float("nan") for r in (si, code)]
    judged = [verdict(r) if r is not None else None for r in (si, code)]
    return Comparison(claim, headline, *number, *judged)


def normalization_comparisons(
    resilience: pd.DataFrame, per_column: pd.DataFrame, profile: str
) -> list[Comparison]:
    """Claims 1 and 2 on MNIST with image (SI) and per-column (code) normalization.

    :param resilience: the resilience study's records (the SI's normalization).
    :param per_column: the normalization study's records.
    :param profile: the profile both came from (verdicts are judged only where it is judged).
    :return: the MLP's claim 1 (headline: validation slope over α ≤ 0.5) and the QNN's claim 2
        (headline: α_c).
    """
    name = DATASET_NAMES["mnist"]
    return [
        _compared(f"{claim} ({name})", headline, _flip_summary(resilience, "mnist", model),
                  _flip_summary(per_column, "mnist", model), column,
                  lambda r, judge=judge: judge(r, name, profile))
        for model, claim, headline, column, judge in (
            ("mlp", "1: MLP memorizes, validation decays", "validation slope (α ≤ 0.5)",
             "val_slope", mlp_claim),
            ("qnn", "2: QNN plateau + transition near α = 0.5", "α_c (validation = 0.5)",
             "alpha_c", qnn_claim),
        )
    ]  # fmt: skip


def mlp_comparisons(
    resilience: pd.DataFrame, code_mlp: pd.DataFrame, profile: str
) -> list[Comparison]:
    """Claim 1 on MNIST with the SI's MLP ([16, 4], batch 128, lr 0.01) and the authors' code's
    ([64, 16], batch 256, lr 0.005), both on the SI's normalization.

    :param resilience: the resilience study's records.
    :param code_mlp: the code-mlp study's records.
    :param profile: the profile both came from.
    :return: the MLP's claim 1 (headline: validation slope over α ≤ 0.5).
    """
    name = DATASET_NAMES["mnist"]
    si, code = (_flip_summary(r, "mnist", "mlp") for r in (resilience, code_mlp))
    return [
        _compared(f"1: MLP memorizes, validation decays ({name})", "validation slope (α ≤ 0.5)",
                  si, code, "val_slope", lambda r: mlp_claim(r, name, profile))
    ]  # fmt: skip


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
    name = DATASET_NAMES["xxz"]
    si = _flip_summary(resilience, "xxz", "qnn")
    code = _flip_summary(encoding, "xxz", "qnn-reim")
    return [
        Comparison(
            f"Fig. 3b's poisoned QNN ({name}, α = {alpha:g})",
            f"validation accuracy at α = {alpha:g}",
            _val_at(resilience, "xxz", "qnn", alpha),
            _val_at(encoding, "xxz", "qnn-reim", alpha),
            None,
            None,
            judged=False,
        ),
        _compared(
            f"2: QNN plateau + transition near α = 0.5 ({name})",
            "α_c (validation = 0.5)",
            si,
            code,
            "alpha_c",
            lambda r: qnn_claim(r, name, profile),
        ),  # fmt: skip
    ]


# --------------------------------------------------------------------------------------------
# Unlearning: the QNNs' optimizer (Fig. 3) and the XXZ QNN's input (Fig. 3b)
# --------------------------------------------------------------------------------------------


def _series(summary: pd.DataFrame, model: str, setting: str) -> pd.DataFrame:
    """One series' summary rows, selected as the unlearning verdicts select them."""
    return UC.series_rows(summary, model, setting)


def _approx_final(summary: pd.DataFrame, model: str, setting: str) -> float:
    rows = _series(summary, model, setting)
    rows = rows[rows["method"].isin(APPROXIMATE)]
    return float(rows["val_final_mean"].mean()) if len(rows) else float("nan")


def _base(summary: pd.DataFrame, model: str, setting: str, column: str) -> float:
    """The poisoned base model's step-0 ``column`` (``val_start`` or ``forget_start``)."""
    rows = _series(summary, model, setting)
    rows = rows[rows["method"] != "retrain"]
    return float(rows[column].iloc[0]) if len(rows) else float("nan")


def _present(summary: pd.DataFrame, model: str, setting: str) -> bool:
    return not _series(summary, model, setting).empty


def optimizer_comparisons(summary: pd.DataFrame) -> list[Comparison]:
    """Claim 5's QNN half on each dataset with the SI's unlearning optimizer (``si``) and the
    authors' code's (``paper-figure``).

    :param summary: :func:`qmlr.report.unlearning.summary_table` of the unlearning records.
    :return: one comparison per dataset (headline: the approximate methods' mean validation
        accuracy at the last step).
    """
    out = []
    for dataset in ("mnist", "xxz"):
        part = summary[summary["dataset"] == dataset]
        if part.empty:
            continue
        present = {s: _present(part, "qnn", s) for s in ("si", "paper-figure")}
        quick = {s: UC.verdict("quick", part, "qnn", s) if p else None for s, p in present.items()}
        out.append(
            Comparison(
                f"5: QNN approximate methods reach Retrain quickly ({DATASET_NAMES[dataset]})",
                "approximate methods' mean final validation accuracy",
                _approx_final(part, "qnn", "si"),
                _approx_final(part, "qnn", "paper-figure"),
                quick["si"],
                quick["paper-figure"],
            )
        )
    return out


def input_comparisons(summary: pd.DataFrame, setting: str = "paper-figure") -> list[Comparison]:
    """Claim 5's QNN half on XXZ with the 12-qubit QNN (SI) and the 13-qubit [Re ψ, Im ψ] QNN
    (the code's unlearning input), both with the code's unlearning optimizer.

    :param summary: :func:`qmlr.report.unlearning.summary_table` of the unlearning records.
    :param setting: the unlearning setting both series use.
    :return: the validation-accuracy and the forgetting halves of claim 5 (headlines: the base
        model's validation accuracy and the approximate methods' mean final validation accuracy).
    """
    part = summary[summary["dataset"] == "xxz"]
    has = {m: _present(part, m, setting) for m in ("qnn", "qnn-reim")}
    name = DATASET_NAMES["xxz"]
    return [
        Comparison(
            f"5: QNN approximate methods reach Retrain quickly ({name}) [{setting}]",
            "poisoned base model's validation accuracy",
            _base(part, "qnn", setting, "val_start"),
            _base(part, "qnn-reim", setting, "val_start"),
            UC.verdict("quick", part, "qnn", setting) if has["qnn"] else None,
            UC.verdict("quick", part, "qnn-reim", setting) if has["qnn-reim"] else None,
        ),
        Comparison(
            f"5 / SI §III: QNN forgetting accuracy falls fast ({name}) [{setting}]",
            "poisoned base model's forgetting accuracy (flipped labels reproduced)",
            _base(part, "qnn", setting, "forget_start"),
            _base(part, "qnn-reim", setting, "forget_start"),
            UC.verdict("fast", part, "qnn", setting) if has["qnn"] else None,
            UC.verdict("fast", part, "qnn-reim", setting) if has["qnn-reim"] else None,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Curvature: configuration, dead runs, Hessian labels and trace definition
# --------------------------------------------------------------------------------------------


def _claim6(
    records: pd.DataFrame, scope: str, kind: str, definition: str = "real", keep_dead: bool = False
) -> Verdict | None:
    """The curvature chapter's claim-6 verdict of one scope, model and trace definition."""
    if records.empty:
        return None
    frame = records.assign(dead=False) if keep_dead else records
    check = f"{kind}-trace-ratio/{scope}/{definition}"
    found = [v for v in claim6_verdicts(frame) if v.check == check]
    return found[0] if found else None


def _top_ratio(
    records: pd.DataFrame, scope: str, kind: str, definition: str = "real", with_dead: bool = False
) -> float:
    """Mean trace ratio at the largest noisy α (dead runs dropped unless ``with_dead``)."""
    if records.empty:
        return float("nan")
    checks = shape_checks(readings_frame(records))
    row = checks[
        (checks["scope"] == scope)
        & (checks["model"] == kind)
        & (checks["definition"] == definition)
    ]
    if row.empty:
        return float("nan")
    means = row.iloc[0]["means_all" if with_dead else "means"]
    return float(means[max(means)]) if means else float("nan")


def _scope_pair(
    records: pd.DataFrame, claim: str, kind: str, si: tuple[str, str], code: tuple[str, str]
) -> Comparison:
    """Claim 6 for ``kind`` in two (scope, definition) readings."""
    return Comparison(
        claim,
        "mean trace ratio at the largest α",
        _top_ratio(records, si[0], kind, si[1]),
        _top_ratio(records, code[0], kind, code[1]),
        _claim6(records, si[0], kind, si[1]),
        _claim6(records, code[0], kind, code[1]),
    )


#: Claim 6's wording per model, for the rows.
CLAIM6 = {"mlp": "6: MLP trace ratio rises strongly", "qnn": "6: QNN trace ratio ≤ 1 and falling"}
#: The authors' code's curvature pipeline as it ran, and the book's first reading of it.
CODE_SCOPE = "authors-code"
FIRST_READING = "authors-code, balanced flips, flipped labels"


def configuration_comparisons(records: pd.DataFrame) -> list[Comparison]:
    """Claim 6 for each model in the SI's configuration and in the authors' code as it ran.

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :return: one comparison per model (headline: mean trace ratio at the largest α, dead runs
        dropped as claim 6 is judged).
    """
    return [
        _scope_pair(records, CLAIM6[k], k, ("si", "real"), (CODE_SCOPE, "real"))
        for k in ("mlp", "qnn")
    ]


def label_comparisons(records: pd.DataFrame) -> list[Comparison]:
    """Claim 6 for the authors' models with the book's first reading (class-balanced flips of all
    samples, Hessian samples with the labels they carry) and the code's (flips of the training
    part only, held-out Hessian samples with clean labels).

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    """
    return [
        _scope_pair(
            records,
            f"{CLAIM6[k]} (authors' models)",
            k,
            (FIRST_READING, "real"),
            (CODE_SCOPE, "real"),
        )  # fmt: skip
        for k in ("mlp", "qnn")
    ]


def definition_comparisons(records: pd.DataFrame) -> list[Comparison]:
    """The authors'-code QNN's claim 6 with the real P × P Hessian's trace and the trace over
    complexified angles (the authors' ``jax.hessian`` over real and imaginary parts).

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    """
    return [
        _scope_pair(
            records,
            f"{CLAIM6['qnn']} (authors' code as it ran)",
            "qnn",
            (CODE_SCOPE, "real"),
            (CODE_SCOPE, "complexified"),
        )  # fmt: skip
    ]


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
    return [
        Comparison(
            f"{CLAIM6['mlp']} ({scope}; {n_dead} dead run(s))",
            "mean trace ratio at the largest α",
            _top_ratio(records, scope, "mlp", with_dead=True),
            _top_ratio(records, scope, "mlp"),
            _claim6(records, scope, "mlp", keep_dead=True),
            _claim6(records, scope, "mlp"),
        )
    ]
