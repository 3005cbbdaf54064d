"""The book's front page: the compact claims table, the finding's figure.

The front page answers in one screen. :func:`claims_markdown` is the scorecard reduced to what a
reader scans first — each claim in about a dozen words (:data:`SHORT_CLAIMS`), its verdict and
the chapters that test it — while the full scorecard
(:func:`qmlr.report.scorecard.summary_markdown`) and every check sit one click away.
:func:`simplest_sharing` names, per dataset, the simplest classical model that shares the QNN's
phenotype, and :func:`finding_figure` draws it beside the QNN and the MLP under label flipping.
The mechanism chapter's one-sentence finding comes from
:func:`qmlr.report.mechanism.finding_sentence`.

Example:
    >>> sorted(SHORT_CLAIMS) == list(range(1, 8))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from qmlr.report import analysis, plots
from qmlr.report import phenotype as P
from qmlr.report.markdown import _myst_table, escape_markdown
from qmlr.report.scorecard import CLAIMS, ClaimCard, chapter_link, headline, is_filed, verdict_text
from qmlr.report.sharing import marked
from qmlr.report.verdict import Verdict

#: Each claim of :data:`qmlr.report.scorecard.CLAIMS` in about a dozen words.
SHORT_CLAIMS: dict[int, str] = {
    1: "MLP memorizes flipped labels; its validation accuracy falls from the first flip",
    2: "QNN keeps a validation plateau, then drops sharply near α ≈ 0.5",
    3: "Feature randomization hurts both models far less than label flipping",
    4: "Across sizes, MLPs decay continuously; every QNN depth plateaus, then drops",
    5: "Unlearning: the MLP keeps its poison, the QNN forgets it fast",
    6: "Hessian trace rises with α for the MLP, falls for the QNN",
    7: "Minimal models: the MLP's Hessian is ≥ 0, the QNN's can be negative",
}
assert set(SHORT_CLAIMS) == set(CLAIMS)


def claims_markdown(cards: Sequence[ClaimCard], profile: str) -> str:
    """The compact claims table (``tab-claims``): claim number, the claim in a dozen words, the
    verdict and the chapters that test it.

    :param cards: :func:`qmlr.report.scorecard.scorecard` output.
    :param profile: the profile the verdicts came from (named in the caption).
    :return: MyST markdown.
    """
    rows = [
        [
            str(card.number),
            escape_markdown(SHORT_CLAIMS[card.number]),
            verdict_text(card.verdict),
            ", ".join(chapter_link(ch) for ch in card.chapters),
        ]
        for card in cards
    ]
    caption = (
        f"The paper's seven claims and their verdicts (profile `{profile}`). The full scorecard, "
        f"with the checks behind each verdict, is below; every check is in {{ref}}`checks`."
    )
    return _myst_table(caption, "tab-claims", ["#", "claim", "verdict", "tested in"], rows)


def claim_sentences(verdicts: Sequence[Verdict]) -> list[str]:
    """One sentence per claim a chapter's verdicts are filed under: the claim in a dozen words,
    its verdict on this chapter's core checks (:func:`qmlr.report.scorecard.headline`) and how
    many of them reproduced — for the chapter's key-result box.

    :param verdicts: the chapter's verdicts (those without a scorecard identity are skipped).
    :return: Markdown sentences, in claim order.

    Example:
        >>> v = Verdict("c", "e", True).filed("demo", 7, "analytic-curvature", True, "demo")
        >>> claim_sentences([v])[0][-59:]
        'negative: **reproduced** (1 of 1 core checks of this page).'
    """
    checks = [v for v in verdicts if is_filed(v)]
    out = []
    for number in sorted({c.claim_no for c in checks if c.core}):
        core = [c for c in checks if c.claim_no == number and c.core]
        done = sum(c.conclusively_reproduced for c in core)
        out.append(
            f"Claim {number} — {escape_markdown(SHORT_CLAIMS[number])}: "
            f"**{headline(core).label}** ({done} of {len(core)} core checks of this page)."
        )
    return out


def simplest_sharing(table: pd.DataFrame) -> dict[str, tuple[str, bool | None] | None]:
    """Per dataset, the classical model with the fewest trained parameters that shows the QNN's
    phenotype under label flipping (ties: display order) — one that shows it for sure, else one
    whose phenotype is inconclusive at this scale (outcome ``None``), else ``None``.

    :param table: :func:`qmlr.report.phenotype.phenotype_table` of the MLP, the QNN and the
        controls.
    :return: ``{dataset: (model kind, outcome) or None}``.
    """
    outcomes = P.sharing_outcomes(table)[2]
    flips = table[table["corruption"] == "label_flip"].set_index(["dataset", "model"])
    out: dict[str, tuple[str, bool | None] | None] = {}
    for dataset, pairs in outcomes.items():
        controls = [(m, o) for m, o in pairs if m not in P.PAPER_MODELS]
        sure = [p for p in controls if p[1] is True] or [p for p in controls if p[1] is None]
        sure.sort(key=lambda p: float(flips.loc[(dataset, p[0]), "n_params"]))
        out[dataset] = sure[0] if sure else None
    return out


def finding_figure(
    records: pd.DataFrame, simplest: dict[str, tuple[str, bool | None] | None]
) -> Any:
    """The finding in one figure: under label flipping, on each dataset (columns), validation
    accuracy (top) and the fraction of flipped training labels reproduced (bottom) against α,
    for the QNN, the MLP and :func:`simplest_sharing`'s control; means ± one std over runs.

    :param records: :func:`qmlr.report.phenotype.load_records` output.
    :param simplest: :func:`simplest_sharing` output.
    :return: the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    datasets = sorted(simplest)
    metrics = ("val_accuracy", "corrupted_memorized")
    table = analysis.curves(records, ["dataset", "model", "corruption"], metrics=metrics)
    fig, axes = plt.subplots(2, len(datasets), figsize=(9.5, 6.4), sharex=True, squeeze=False,
                             constrained_layout=True)  # fmt: skip
    for j, dataset in enumerate(datasets):
        models, names = ["qnn", "mlp"], dict(P.MODEL_NAMES)
        if simplest[dataset] is not None:
            kind, outcome = simplest[dataset]
            models.append(kind)
            names[kind] = marked(P.model_name(kind), outcome)
        for i, metric in enumerate(metrics):
            ax = axes[i][j]
            plots.phenotype_panels([[ax]], table, [dataset], ["label_flip"], models,
                                   names=names, metric=metric)  # fmt: skip
            ax.set_title(analysis.DATASET_NAMES.get(dataset, dataset), fontsize=11)
            if i == 0:
                ax.set_xlabel("")
    legend = {}
    for ax in axes[-1]:
        legend |= dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncol=4,
               fontsize=9)  # fmt: skip
    return fig
