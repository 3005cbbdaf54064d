"""The reproduction scorecard: every claim of the paper, the chapter that tests it, the verdict.

The scorecard computes nothing of its own. For a profile it loads each study exactly as its
chapter does (committed results at ``paper``, a small live run at ``smoke``) and calls the *same*
verdict functions the chapters table (:func:`collect_checks` names them), so a chapter and the
scorecard cannot disagree. For claims 1–6 it also names the models (the MLP and
the classical controls) that share the QNN's behaviour, and says whether the paper's
interpretation — the QNN's resilience is quantum — holds (:func:`interpretation_summary`).

Each verdict is a check filed under one of the paper's seven claims (method-spec, "Paper claims
the book must test") by its own identity (:meth:`qmlr.report.verdict.Verdict.filed`). A check is
*core* when it tests the claim as the paper states it, in the paper's setting; the other checks
(other optimizer settings, canonical XXZ phases, the SI's consequences, trained-model analogues)
go beyond the paper and are shown but do not enter the claim's headline verdict
(:func:`headline`).

Example:
    >>> checks = [Verdict("c", "e", ok).filed(n, 7, "analytic-curvature", True, n)
    ...           for n, ok in (("a", True), ("b", False))]
    >>> headline(checks).label
    'partly reproduced'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qmlr.engine.profiles import get_profile
from qmlr.report import analysis
from qmlr.report import curvature as RC
from qmlr.report import phenotype as P
from qmlr.report import robustness as R
from qmlr.report import unlearning as UR
from qmlr.report import unlearning_checks as UC
from qmlr.report.checks import judge_all
from qmlr.report.markdown import _myst_table, escape_markdown
from qmlr.report.sharing import mark_note
from qmlr.report.uncertainty import INCONCLUSIVE_LABEL, open_tests
from qmlr.report.verdict import Verdict
from qmlr.studies import augmentation_study, realizations_study, shots_study, splits_study
from qmlr.studies import curvature_study as CS
from qmlr.studies import unlearning_study as U
from qmlr.studies.study import load_records, load_results

#: The paper's claims (method-spec, "Paper claims the book must test"), shortened.
CLAIMS: dict[int, str] = {
    1: "MLP, label flipping: memorizes the flipped labels (train accuracy ≈ 1 at every α) and its "
    "validation accuracy falls steadily from α = 0",
    2: "QNN, label flipping: validation plateau up to α ≈ 0.4, sharp drop near α ≈ 0.5, "
    "train accuracy ≈ 1 − α (no memorization)",
    3: "Feature randomization hurts both models far less than label flipping",
    4: "Across capacities (Fig. S1): every MLP width decays continuously, every QNN depth shows "
    "plateau + transition",
    5: "Unlearning: the MLP's approximate methods lag Retrain and keep the poison ('stubborn "
    "memories'); the QNN's reach Retrain level quickly and forget fast",
    6: "Curvature: the Hessian-trace ratio noisy/clean rises strongly with α for the MLP, is ≤ 1 "
    "and falls with α for the QNN",
    7: "Analytic (SI §I): H_MLP = x² p(1−p) ≥ 0; the second term of H_QNN can be negative for a "
    "mislabeled point",
}

#: Chapter labels (MyST targets) and the short names the scorecard links them by.
CHAPTERS: dict[str, str] = {
    "resilience": "Resilience",
    "capacity": "Capacity",
    "unlearning": "Unlearning",
    "forgetting": "Forgetting",
    "curvature": "Curvature (trained models)",
    "analytic-curvature": "Curvature (minimal models)",
    "controls": "Is the resilience quantum?",
}

_VERDICT_MARKS = {
    "reproduced": "✓",
    "partly reproduced": "◐",
    "not reproduced": "✗",
    INCONCLUSIVE_LABEL: "?",
    "not evaluated": "–",
}


def is_filed(verdict: Verdict) -> bool:
    """Whether a verdict carries a scorecard identity: a check id, a claim number and a chapter
    of :data:`CHAPTERS` (:meth:`~qmlr.report.verdict.Verdict.filed`).

    Example:
        >>> is_filed(Verdict("c", "e", True)), is_filed(Verdict("c", "e", True, check="x",
        ...     claim_no=1, chapter="resilience"))
        (False, True)
    """
    return verdict.claim_no is not None and bool(verdict.check) and verdict.chapter in CHAPTERS


@dataclass(frozen=True)
class ClaimCard:
    """One claim of the paper with all its checks.

    :param number: 1–7.
    :param text: the claim, shortened (:data:`CLAIMS`).
    :param checks: its checks (filed verdicts), core first.
    """

    number: int
    text: str
    checks: tuple[Verdict, ...]

    @property
    def chapters(self) -> tuple[str, ...]:
        """Labels of the chapters testing the claim, in order of first appearance."""
        return tuple(dict.fromkeys(c.chapter for c in self.checks))

    @property
    def verdict(self) -> Verdict:
        """The claim's headline verdict (:func:`headline`)."""
        return headline(self.checks, self.text)


def headline(checks: Sequence[Verdict], claim: str = "") -> Verdict:
    """Combine the core checks of a claim into one verdict.

    Not evaluated if any core check is not evaluated (or none exists); reproduced if every core
    check is; inconclusive at this scale if none is conclusively not reproduced and some are
    inconclusive (:mod:`qmlr.report.uncertainty`); not reproduced if none is reproduced, even
    in part; partly reproduced otherwise (an inconclusive check counts as not reproduced there).

    :param checks: the claim's checks (non-core ones are ignored).
    :param claim: the claim's text, copied into the verdict.
    :return: a :class:`~qmlr.report.verdict.Verdict` whose evidence counts the core checks
        reproduced (and inconclusive), or, when not all are evaluated, those evaluated.
    """
    core = [v for v in checks if v.core]
    n_judged = sum(v.reproduced is not None for v in core)
    n_ok = sum(v.conclusively_reproduced for v in core)
    n_open = sum(v.inconclusive and v.reproduced is not None for v in core)
    noun = "check" if len(core) == 1 else "checks"
    if not core or n_judged < len(core):
        return Verdict(claim, f"{n_judged} of {len(core)} core {noun} evaluated", None)
    evidence = f"{n_ok} of {len(core)} core {noun} reproduced"
    if n_open:
        evidence += f", {n_open} inconclusive at this scale"
    if n_open and n_ok + n_open == len(core):
        return Verdict(claim, evidence, True, inconclusive=True)
    return Verdict(
        claim,
        evidence,
        n_ok == len(core),
        partly=any(v.conclusively_reproduced or v.partly for v in core),
    )


# --------------------------------------------------------------------------------------------
# Checks, per chapter (pure functions of the data each chapter loads)
# --------------------------------------------------------------------------------------------


def resilience_checks(records: pd.DataFrame, profile: str) -> list[Verdict]:
    """Claims 1–3 from the resilience study, as the resilience chapter judges them.

    :param records: :func:`qmlr.studies.study.load_records` of ``"resilience"``.
    :param profile: the profile the records came from.
    :return: per dataset, one check of each of claims 1, 2 and 3.
    """
    summary = analysis.curve_summary(records, ["dataset", "model", "corruption"])
    return analysis.resilience_verdicts(summary, profile)


def unlearning_checks(records: pd.DataFrame) -> list[Verdict]:
    """Claim 5 from the unlearning study: the unlearning and forgetting chapters' verdicts.

    :param records: :func:`qmlr.studies.unlearning_study.records_frame` of the study's results.
    :return: nine checks (five core: the main-figure settings).
    """
    summary = UR.summary_table(records)
    return judge_all((*UC.UNLEARNING_ROWS, *UC.FORGETTING_ROWS), summary)


def load_phenotype(profile: str, results_dir: str | Path | None = None) -> pd.DataFrame:
    """The controls chapter's :func:`qmlr.report.phenotype.phenotype_table` (MLP, QNN, controls).

    :param profile: ``"paper"`` or ``"smoke"``.
    :param results_dir: results folder override.
    """
    return P.phenotype_table(P.load_records(profile, results_dir))


def robustness_verdicts(profile: str, results_dir: str | Path | None = None) -> list[Verdict]:
    """The resilience chapter's finite-shot, split, phase-realization and phase-augmentation
    verdicts, beyond the paper (:mod:`qmlr.report.robustness`).

    :param profile: the profile.
    :param results_dir: results folder override.
    """
    shots = R.shots_summary(shots_study.records(profile, results_dir))
    verdicts = R.shots_verdicts(shots, profile) | R.shots_feature_verdicts(shots, profile)
    records = splits_study.split_records(profile, results_dir)
    verdicts |= R.split_verdicts(R.splits_summary(records), R.split_sizes(records), profile)
    realization = R.realization_verdict(realizations_study.records(profile, results_dir), profile)
    augmented = R.augmentation_verdicts(
        *augmentation_study.available_records(profile, results_dir), profile
    )
    return [*verdicts.values(), realization, *augmented.values()]


def collect_checks(profile: str = "paper", results_dir: str | Path | None = None) -> list[Verdict]:
    """Every check of every chapter at ``profile``: each study loaded as its chapter loads it and
    judged by the chapter's own verdict function (claim 4 with the canonical-phase MLP widths of
    the phase-sensitivity study).

    :param profile: ``"paper"`` (committed results) or ``"smoke"`` (small live runs, whose
        trend verdicts are *not evaluated*, as in the chapters).
    :param results_dir: results folder override (default: the profile's store).
    :return: the checks (filed verdicts), ordered by claim.

    Example:
        >>> checks = collect_checks("paper")   # doctest: +SKIP
        >>> sorted({c.claim_no for c in checks})   # doctest: +SKIP
        [1, 2, 3, 4, 5, 6, 7]
    """
    from qmlr.report import analytic as AR  # sympy: loaded only where the checks are computed

    hessian_samples = get_profile(profile).hessian_samples  # an unknown profile raises
    phases = load_records("phase-sensitivity", profile, results_dir)
    canonical = phases[(phases["model"] == "mlp") & (phases["corruption"] == "label_flip")]
    capacity = [
        analysis.curve_summary(r, ["model", "model_label"])
        for r in (load_records("capacity", profile, results_dir), canonical)
    ]
    curvature = CS.records_frame(load_results("curvature", profile, results_dir))
    checks = [
        *resilience_checks(load_records("resilience", profile, results_dir), profile),
        *analysis.capacity_verdicts(*capacity, profile),
        *unlearning_checks(U.records_frame(load_results("unlearning", profile, results_dir))),
        *RC.claim_verdicts(curvature, hessian_samples=hessian_samples),
        *AR.claim_verdicts(profile),
        *P.phenotype_verdicts(load_phenotype(profile, results_dir), profile).values(),
        *robustness_verdicts(profile, results_dir),
    ]
    return sorted(checks, key=lambda c: c.claim_no)


def scorecard(checks: Sequence[Verdict]) -> list[ClaimCard]:
    """Group checks into one card per claim of :data:`CLAIMS` (core checks first).

    :param checks: e.g. :func:`collect_checks`.
    :return: seven cards, claims 1–7.
    :raises ValueError: for a check without a scorecard identity (:func:`is_filed`) or a claim
        without checks.
    """
    for check in checks:
        if not is_filed(check):
            raise ValueError(f"verdict without a scorecard identity: {check.claim!r}")
    cards = []
    for number, text in CLAIMS.items():
        mine = [c for c in checks if c.claim_no == number]
        if not mine:
            raise ValueError(f"claim {number} has no checks")
        mine.sort(key=lambda c: not c.core)  # stable: chapter order within core / beyond
        cards.append(ClaimCard(number, text, tuple(mine)))
    return cards


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------


def chapter_link(label: str) -> str:
    """A MyST cross-reference to a chapter, e.g. ``{ref}`Capacity <capacity>```."""
    return f"{{ref}}`{CHAPTERS[label]} <{label}>`"


def verdict_text(verdict: Verdict) -> str:
    """The verdict's label with a mark (✓ ◐ ✗ –), bold when judged."""
    text = f"{_VERDICT_MARKS[verdict.label]} {verdict.label}"
    return text if verdict.reproduced is None else f"**{text}**"


def _checks_cell(card: ClaimCard) -> str:
    beyond = [c for c in card.checks if not c.core]
    text = card.verdict.evidence
    failed = [
        c.name for c in card.checks if c.core and c.reproduced is False and not c.inconclusive
    ]
    if failed:
        text += " (not: " + "; ".join(failed) + ")"
    if beyond:
        n_beyond = sum(c.conclusively_reproduced for c in beyond)
        n_open = sum(c.reproduced is None for c in beyond)
        n_unsure = sum(c.label == INCONCLUSIVE_LABEL for c in beyond)
        text += f"; beyond the paper {n_beyond} of {len(beyond)} reproduced"
        if n_unsure:
            text += f", {n_unsure} inconclusive at this scale"
        if n_open:
            text += f" ({n_open} not evaluated)"
    return escape_markdown(text)


def summary_markdown(
    cards: Sequence[ClaimCard], profile: str, shared: dict[int, str] | None = None
) -> str:
    """The scorecard as a numbered MyST table (``tab-scorecard``): one row per claim.

    :param cards: :func:`scorecard` output.
    :param profile: the profile the verdicts came from (named in the caption).
    :param shared: per claim, which other models share the QNN's behaviour
        (:func:`qmlr.report.phenotype.shared_behaviour`); adds a column when given (a model
        marked ? shares it inconclusively at this scale, :mod:`qmlr.report.sharing`).
    :return: MyST markdown, to be displayed with ``IPython.display.Markdown``.
    """
    rows = [
        [
            str(card.number),
            escape_markdown(card.text),
            ", ".join(chapter_link(ch) for ch in card.chapters),
            _checks_cell(card),
            verdict_text(card.verdict),
        ]
        + ([] if shared is None else [escape_markdown(shared.get(card.number, "–"))])
        for card in cards
    ]
    caption = (
        f"Reproduction scorecard (profile `{profile}`): each claim of the paper, the chapters "
        "that test it, how many of its core checks reproduced, and the verdict."
    )
    header = ["#", "claim of the paper", "tested in", "checks", "verdict"]
    if shared is not None:
        caption += (
            " The last column names the other models — the MLP and the classical controls of "
            f"{chapter_link('controls')} — that share the QNN's behaviour."
        )
        note = mark_note(shared.values())
        caption += f" {note}" if note else ""
        header.append("shares the QNN's behaviour")
    return _myst_table(caption, "tab-scorecard", header, rows)


def _check_row(check: Verdict, name: str, *cells: str) -> list[str]:
    """A row of a table of checks: claim, ``name``, scope, chapter, then ``cells``."""
    scope = "core" if check.core else "beyond the paper"
    return [str(check.claim_no), escape_markdown(name), scope, chapter_link(check.chapter), *cells]


def details_markdown(cards: Sequence[ClaimCard], profile: str) -> str:
    """Every check behind the scorecard as a numbered MyST table (``tab-scorecard-checks``).

    :param cards: :func:`scorecard` output.
    :param profile: the profile the verdicts came from (named in the caption).
    :return: MyST markdown, to be displayed with ``IPython.display.Markdown``.
    """
    rows = [
        _check_row(check, check.claim, escape_markdown(check.evidence), verdict_text(check))
        for card in cards
        for check in card.checks
    ]
    caption = (
        f"Every check behind {{numref}}`tab-scorecard` (profile `{profile}`), with the chapter "
        "that computes it and its measured evidence."
    )
    header = ["#", "check", "scope", "chapter", "measured evidence", "verdict"]
    return _myst_table(caption, "tab-scorecard-checks", header, rows)


def open_thresholds(verdict: Verdict) -> str:
    """What makes a verdict inconclusive: its tests whose threshold lies inside the interval of
    the number they judge (from :attr:`~qmlr.report.verdict.Verdict.tests`, else from its
    evidence).

    Example:
        >>> open_thresholds(Verdict("c", "e; threshold inside the interval: slope (-0.2)", True))
        'slope (-0.2)'
    """
    shown = [f"{t.name}: {t.against}" for t in open_tests(verdict.tests)]
    if shown:
        return "; ".join(shown)
    marker = "threshold inside the interval: "
    return verdict.evidence.split(marker, 1)[1] if marker in verdict.evidence else ""


def inconclusive_markdown(cards: Sequence[ClaimCard], profile: str) -> str:
    """Every check that is *inconclusive at this scale*, as a numbered MyST table
    (``tab-scorecard-inconclusive``): the claim, the check, its scope and chapter, its answer on
    the point estimates, and the thresholds that lie inside the run-to-run intervals.

    :param cards: :func:`scorecard` output.
    :param profile: the profile the verdicts came from (named in the caption).
    :return: MyST markdown (a sentence when no check is inconclusive).
    """
    rows = [
        _check_row(
            check,
            check.name,
            "reproduced" if check.reproduced else "not reproduced",
            escape_markdown(open_thresholds(check)),
        )
        for card in cards
        for check in card.checks
        if check.label == INCONCLUSIVE_LABEL
    ]
    if not rows:
        return f"At profile `{profile}` no check is {INCONCLUSIVE_LABEL}.\n"
    caption = (
        f"The checks that are {INCONCLUSIVE_LABEL} (profile `{profile}`): a threshold they rest "
        "on lies inside the run-to-run bootstrap interval of the number it judges, and none of "
        "their tests fails outright. The point estimates' answer is given for reference only."
    )
    header = ["#", "check", "scope", "chapter", "on the point estimates", "threshold inside"]
    return _myst_table(caption, "tab-scorecard-inconclusive", header, rows)


def interpretation_sentence(verdict: Verdict, shared_phenotype: str | None) -> str:
    """One sentence on the paper's interpretation (the QNN's resilience is quantum).

    :param verdict: the controls chapter's interpretation verdict
        (:data:`qmlr.report.phenotype.INTERPRETATION_ID`).
    :param shared_phenotype: which classical models show the QNN's phenotype, per dataset
        (:func:`qmlr.report.phenotype.per_dataset_text`); ``None`` if none does.
    :return: Markdown text.

    Example:
        >>> interpretation_sentence(Verdict("c", "e", None), "x")[-33:]
        '— is not evaluated at this scale.'
    """
    controls = chapter_link("controls")
    if verdict.reproduced is None:
        judged = "is not evaluated at this scale."
    elif verdict.inconclusive:
        judged = (
            "is **inconclusive at this scale**: a threshold it rests on lies inside the "
            f"run-to-run interval of the number it judges ({controls})."
        )
    elif verdict.reproduced:
        judged = "**holds on this evidence**: no classical control shows its phenotype."
    elif shared_phenotype is None:
        judged = (
            "**does not hold on this evidence**: the QNN itself does not show its phenotype on "
            f"every dataset ({controls})."
        )
    else:
        judged = (
            "**does not hold on this evidence**: the QNN's phenotype (no memorization, plateau, "
            f"sharp transition) is shared by classical models "
            f"({escape_markdown(shared_phenotype)}; {controls})."
        )
    return (
        "The paper's interpretation — that the QNN's resilience is a feature of the quantum "
        f"model, not of its size or of classical inductive biases — {judged}"
    )


def interpretation_summary(table: pd.DataFrame, profile: str) -> str:
    """:func:`interpretation_sentence` for a :func:`load_phenotype` table.

    :param table: :func:`load_phenotype` output.
    :param profile: the profile the records came from.
    :return: Markdown text.
    """
    verdict = P.phenotype_verdicts(table, profile)[P.INTERPRETATION_ID]
    shared = P.sharing_outcomes(table)[2]
    sure = any(o is True for pairs in shared.values() for _, o in pairs)
    return interpretation_sentence(verdict, P.per_dataset_marked(shared) if sure else None)


def summary_sentence(
    cards: Sequence[ClaimCard], profile: str, interpretation: str | None = None
) -> str:
    """One sentence counting the claims by headline verdict, e.g. for the book's first page.

    :param cards: :func:`scorecard` output.
    :param profile: the profile the verdicts came from.
    :param interpretation: a sentence on the paper's interpretation
        (:func:`interpretation_sentence`), appended when given.
    :return: Markdown text.
    """
    by_label: dict[str, list[int]] = {}
    for card in cards:
        by_label.setdefault(card.verdict.label, []).append(card.number)

    def part(label: str, one: str, many: str) -> str:
        numbers = by_label.get(label, [])
        if not numbers:
            return f"none {many}"
        claims = ", ".join(str(n) for n in numbers)
        words = one if len(numbers) == 1 else many
        return f"**{len(numbers)}** {words} (claim{'s' if len(numbers) > 1 else ''} {claims})"

    tail = "" if interpretation is None else " " + interpretation
    if set(by_label) == {"not evaluated"}:
        return (
            f"At profile `{profile}` none of the paper's {len(cards)} claims is evaluated: the "
            'runs are too small to judge. Rerun with `profile = "paper"`.' + tail
        )
    text = (
        f"At profile `{profile}`, of the paper's {len(cards)} claims "
        + part("reproduced", "reproduces in full", "reproduce in full")
        + ", "
        + part("partly reproduced", "in part", "in part")
        + " and "
        + part("not reproduced", "not at all", "not at all")
    )
    if INCONCLUSIVE_LABEL in by_label:
        text += "; " + part(INCONCLUSIVE_LABEL, "is inconclusive at this scale", "are inconclusive")
    if "not evaluated" in by_label:
        text += "; " + part(
            "not evaluated", "is not evaluated at this scale", "are not evaluated at this scale"
        )
    return text + "." + tail
