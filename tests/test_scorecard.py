"""Tests of qmlr.report.scorecard: every claim appears, verdicts are the chapters', doctored
data shows."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from qmlr.engine.store import DEFAULT_RESULTS_DIR, CellResult, ResultStore
from qmlr.report import analysis
from qmlr.report import scorecard as S
from qmlr.report.analysis import Verdict

BOOK = Path(__file__).resolve().parent.parent / "book"


def _check(ok: bool | None, core: bool = True, partly: bool = False, claim: int = 1) -> Verdict:
    return Verdict("claim", "evidence", ok, partly).filed("c", claim, "resilience", core, "c")


@pytest.fixture(scope="module")
def paper_checks() -> list[Verdict]:
    """The stored checks (recomputed where stale): test_verdicts_equal_the_chapters compares
    them with the chapters' verdicts computed from the cells."""
    from qmlr.report.stored import stored_checks

    return stored_checks("paper")


# ------------------------------------------------------------------------------ headline rule


@pytest.mark.parametrize(
    ("core", "label"),
    [
        ([True, True], "reproduced"),
        ([False, False], "not reproduced"),
        ([True, False], "partly reproduced"),
        ([None, True], "not evaluated"),
        ([], "not evaluated"),
    ],
)
def test_headline_combines_core_checks(core: list[bool | None], label: str) -> None:
    checks = [_check(ok) for ok in core] + [_check(False, core=False)]
    assert S.headline(checks).label == label


def test_headline_counts_a_partly_reproduced_core_check_as_part() -> None:
    checks = [_check(False, partly=True), _check(False)]
    assert S.headline(checks).label == "partly reproduced"
    assert S.headline(checks).evidence == "0 of 2 core checks reproduced"


def test_beyond_checks_never_change_the_headline() -> None:
    core = [_check(True)]
    assert S.headline(core + [_check(False, core=False)]).label == "reproduced"
    assert S.headline([_check(False)] + [_check(True, core=False)]).label == "not reproduced"


def test_scorecard_requires_every_claim() -> None:
    checks = [_check(True, claim=n) for n in range(1, 7)]  # claim 7 missing
    with pytest.raises(ValueError, match="claim 7"):
        S.scorecard(checks)


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        S.collect_checks("huge")


# ------------------------------------------------------------------------------ markdown


def test_summary_markdown_has_one_row_per_claim_and_resolvable_links() -> None:
    cards = S.scorecard([_check(True, claim=n) for n in S.CLAIMS])
    text = S.summary_markdown(cards, "paper")
    rows = [line for line in text.splitlines() if re.match(r"^\| \d ", line)]
    assert [row.split("|")[1].strip() for row in rows] == [str(n) for n in S.CLAIMS]
    assert ":name: tab-scorecard" in text
    labels = set()
    for path in BOOK.glob("*.md"):
        labels |= set(re.findall(r"^\(([\w-]+)\)=$", path.read_text(), flags=re.M))
    targets = set(re.findall(r"\{ref\}`[^<`]*<([\w-]+)>`", S.summary_markdown(cards, "p")))
    assert targets and targets <= labels
    assert set(S.CHAPTERS) <= labels  # every chapter the scorecard can link to has its label


def test_summary_sentence_names_the_claims() -> None:
    cards = S.scorecard(
        [_check(True, claim=n) for n in S.CLAIMS if n != 5] + [_check(False, claim=5)]
    )
    sentence = S.summary_sentence(cards, "paper")
    assert "**6** reproduce in full (claims 1, 2, 3, 4, 6, 7)" in sentence
    assert "**1** not at all (claim 5)" in sentence
    smoke = S.scorecard([_check(None, claim=n) for n in range(1, 7)] + [_check(True, claim=7)])
    sentence = S.summary_sentence(smoke, "smoke")
    assert "**1** reproduces in full (claim 7)" in sentence
    assert "**6** are not evaluated at this scale (claims 1, 2, 3, 4, 5, 6)" in sentence
    assert S.headline([_check(None), _check(True)]).evidence == "1 of 2 core checks evaluated"
    none = S.scorecard([_check(None, claim=n) for n in S.CLAIMS])
    assert "none of the paper's 7 claims is evaluated" in S.summary_sentence(none, "smoke")


# ------------------------------------------------------------------------------ paper results


def test_every_claim_appears_with_core_checks(paper_checks: list[Verdict]) -> None:
    cards = S.scorecard(paper_checks)
    assert [c.number for c in cards] == [1, 2, 3, 4, 5, 6, 7]
    for card in cards:
        assert any(check.core for check in card.checks), card.number
        assert card.verdict.reproduced is not None, card.number  # paper results are judged
    details = S.details_markdown(cards, "paper")
    assert details.count("\n| ") == 1 + len(paper_checks)  # header + one row per check


def test_verdicts_equal_the_chapters(paper_checks: list[Verdict]) -> None:
    """The scorecard holds exactly the verdicts the chapters' own pipelines produce."""
    from qmlr.report import analytic as AR
    from qmlr.report import curvature as RC
    from qmlr.report import phenotype as P
    from qmlr.report import unlearning as UR
    from qmlr.report import unlearning_checks as UC
    from qmlr.report.checks import judge_all
    from qmlr.studies import curvature_study as CS
    from qmlr.studies import unlearning_study as U
    from qmlr.studies.study import load_records, load_results

    resilience = analysis.curve_summary(
        load_records("resilience"), ["dataset", "model", "corruption"]
    )
    capacity = analysis.curve_summary(load_records("capacity"), ["model", "model_label"])
    canonical = load_records("phase-sensitivity")
    canonical = canonical[(canonical["model"] == "mlp") & (canonical["corruption"] == "label_flip")]
    canonical = analysis.curve_summary(canonical, ["model", "model_label"])
    unlearning = UR.summary_table(U.records_frame(load_results("unlearning")))
    expected = (
        analysis.resilience_verdicts(resilience, "paper")
        + analysis.capacity_verdicts(capacity, canonical, "paper")
        + judge_all((*UC.UNLEARNING_ROWS, *UC.FORGETTING_ROWS), unlearning)
        + RC.claim_verdicts(CS.records_frame(load_results("curvature")), hessian_samples=100)
        + AR.claim_verdicts("paper")
        + list(P.phenotype_verdicts(P.phenotype_table(P.load_records("paper")), "paper").values())
    )
    from qmlr.report import robustness as R
    from qmlr.studies import shots_study, splits_study

    splits = splits_study.split_records("paper")
    shots = R.shots_summary(shots_study.records("paper"))
    expected += list(R.shots_verdicts(shots, "paper").values())
    expected += list(R.shots_feature_verdicts(shots, "paper").values())
    expected += list(
        R.split_verdicts(R.splits_summary(splits), R.split_sizes(splits), "paper").values()
    )
    from qmlr.studies import augmentation_study, realizations_study

    expected.append(R.realization_verdict(realizations_study.records("paper"), "paper"))
    augmented = augmentation_study.available_records("paper")
    expected += list(R.augmentation_verdicts(*augmented, "paper").values())
    assert Counter(paper_checks) == Counter(expected)


def test_every_verdict_has_a_unique_identity(paper_checks: list[Verdict]) -> None:
    """Checks are filed by id, never by wording or position: ids are unique and each check
    carries its claim, chapter and core flag."""
    ids = analysis.by_check(paper_checks)  # raises on a missing or repeated id
    assert len(ids) == len(paper_checks) and all(S.is_filed(c) for c in paper_checks)
    with pytest.raises(ValueError, match="without a scorecard identity"):
        S.scorecard([*paper_checks, analysis.Verdict("c", "e", True)])


def test_chapters_call_the_functions_the_scorecard_calls() -> None:
    """Guard against a chapter drifting to its own verdict logic."""
    analytic = (BOOK / "analytic-curvature.md").read_text()
    # disc and proof: the stored discrepancy table and identity proof
    assert "AR.claim_verdicts(profile, disc, proof)" in analytic
    assert "disc = stored_discrepancy_table(profile)" in analytic
    assert "proof = stored_identity_table(profile)" in analytic
    capacity = re.sub(r'"\s*\n\s*"', "", (BOOK / "capacity.md").read_text())
    assert "capacity_verdicts(" in capacity or analysis.CANONICAL_CAPACITY_CLAIM in capacity
    assert "resilience_verdicts(summary, profile)" in (BOOK / "resilience.md").read_text()
    assert "judge_all(UC.UNLEARNING_ROWS, summary)" in (BOOK / "unlearning.md").read_text()
    assert "judge_all(UC.FORGETTING_ROWS, summary)" in (BOOK / "forgetting.md").read_text()
    assert "RC.claim_verdicts(records, hessian_samples=" in (BOOK / "curvature.md").read_text()
    assert "S.scorecard(stored_checks(profile))" in (BOOK / "intro.md").read_text()


def test_the_stored_checks_are_collect_checks(monkeypatch) -> None:
    from qmlr.report.stored import CHECKS

    monkeypatch.setattr(S, "collect_checks", lambda profile, results_dir: (profile, results_dir))
    assert CHECKS.compute("paper", None) == ("paper", None)
    assert "P.phenotype_verdicts(table, profile)" in (BOOK / "controls.md").read_text()


def test_core_unlearning_checks_are_the_main_figure_settings(paper_checks: list[Verdict]) -> None:
    for check in (c for c in paper_checks if c.claim_no == 5):
        main = ("[si]" in check.claim and "MLP" in check.claim) or ("[paper-figure]" in check.claim)
        if "easier for the QNN" in check.claim:
            main = True
        assert check.core == main, check.claim


def test_curvature_checks_split_claims_6_and_7(paper_checks: list[Verdict]) -> None:
    from qmlr.report import curvature as RC

    curvature = [c for c in paper_checks if c.chapter == "curvature"]
    assert {c.claim_no for c in curvature if c.core} == {6}
    assert {c.claim_no for c in curvature} == {6, 7}
    assert all(c.claim.startswith(f"{c.claim_no} (") for c in curvature)
    core_scopes = {c.claim.split("(")[1].split(")")[0] for c in curvature if c.core}
    assert core_scopes <= set(RC.CORE_SCOPES)
    assert len({c.name for c in curvature}) == len(curvature)  # names are unique


def test_doctored_result_changes_the_verdict(tmp_path: Path) -> None:
    """Break the MNIST QNN's plateau in a copy of the committed results: claim 2 must fail."""
    from qmlr.studies.study import load_records

    shutil.copytree(DEFAULT_RESULTS_DIR / "resilience", tmp_path / "resilience")
    before = S.resilience_checks(load_records("resilience", "paper", tmp_path), "paper")
    store = ResultStore(tmp_path)
    doctored = 0
    for result in store.iter_study("resilience"):
        s = result.spec
        if (s.data.name, s.model.kind, s.corruption) == ("mnist", "qnn", "label_flip") and (
            0.0 < s.alpha <= 0.3
        ):
            metrics = {**result.metrics, "val_accuracy": 0.45}
            store.save(CellResult(s, metrics, result.provenance))  # re-sealed
            doctored += 1
    assert doctored == 15
    after = S.resilience_checks(load_records("resilience", "paper", tmp_path), "paper")

    def claim_2(checks: list[Verdict]) -> dict[str, str]:
        return {c.name: c.label for c in checks if c.claim_no == 2}

    assert claim_2(before) == {"MNIST 1 vs 9": "reproduced", "XXZ": "reproduced"}
    assert claim_2(after) == {"MNIST 1 vs 9": "not reproduced", "XXZ": "reproduced"}
    assert S.headline([c for c in after if c.claim_no == 2]).label == "partly reproduced"
    # claim 1 (MLPs) is untouched; claim 3's evidence moves (the QNN's area) but not its verdict
    assert [c for c in before if c.claim_no == 1] == [c for c in after if c.claim_no == 1]
    assert [c.label for c in before] != [c.label for c in after]
    assert {c.label for c in after if c.claim_no == 3} == {"reproduced"}


# ------------------------------------------------------------------------------ controls


def test_phenotype_checks_are_filed_by_id_under_claim_2(syn) -> None:
    from qmlr.report import phenotype as P

    table = P.phenotype_table(syn.study())
    checks = list(P.phenotype_verdicts(table, "paper").values())
    assert {(c.claim_no, c.chapter, c.core) for c in checks} == {(2, "controls", False)}
    by_name = {c.name: c for c in checks}
    assert by_name[P.INTERPRETATION_NAME] == P.phenotype_verdicts(table, "paper")["interpretation"]
    sharp = by_name["MNIST 1 vs 9: " + P.CHECK_NAMES["sharp-drop"]]
    assert sharp.reproduced is True
    window = by_name["MNIST 1 vs 9: " + P.CHECK_NAMES["alpha-c-window"]]
    assert window.reproduced is False  # the MLP passes it too
    # beyond the paper: the headline of claim 2 is untouched by them
    core = _check(True, claim=2)
    assert S.headline([core, *checks]).label == "reproduced"


def test_shared_column_and_interpretation_sentence(syn) -> None:
    from qmlr.report import phenotype as P

    table = P.phenotype_table(syn.study())
    cards = S.scorecard([_check(True, claim=n) for n in range(1, 8)])
    plain = S.summary_markdown(cards, "paper")
    shared = S.summary_markdown(cards, "paper", P.shared_behaviour(table))
    assert "shares the QNN" not in plain and "shares the QNN's behaviour |" in shared
    assert "nearest centroid" in shared and shared.count("\n| ") == plain.count("\n| ")
    assert "a model marked ?" not in shared  # every sharing conclusive
    row = (table["model"] == "centroid") & (table["corruption"] == "label_flip")
    open_ = table.copy()
    open_.loc[row, ["memorization_low", "memorization_high"]] = [0.0, P.NO_MEMORIZATION_LEVEL]
    marked = S.summary_markdown(cards, "paper", P.shared_behaviour(open_))
    assert "nearest centroid ?" in marked and "Whether a model marked ? shares" in marked
    fails = S.interpretation_summary(table, "paper")
    assert "does not hold" in fails and "MNIST 1 vs 9: nearest centroid" in fails
    holds = S.interpretation_summary(
        P.phenotype_table(syn.study(centroid_val=syn.MLP_VAL, centroid_mem=0.9)), "paper"
    )
    # the synthetic QNN's α_c sits on the window's edge (0.4), inside its run-to-run interval
    assert "inconclusive at this scale" in holds
    assert "not evaluated" in S.interpretation_summary(table, "smoke")
    sentence = S.summary_sentence(cards, "paper", fails)
    assert sentence.startswith("At profile `paper`") and sentence.endswith(fails)
    assert S.summary_sentence(cards, "paper") + " " + fails == sentence


def test_interpretation_fails_without_sharers_when_the_qnn_lacks_its_phenotype(syn) -> None:
    from qmlr.report import phenotype as P

    rec = syn.study(centroid_val=syn.MLP_VAL, centroid_mem=0.9)
    qnn = (rec["model"] == "qnn") & (rec["corruption"] == "label_flip")
    rec.loc[qnn, "corrupted_memorized"] = 0.9  # the QNN now memorizes
    text = S.interpretation_summary(P.phenotype_table(rec), "paper")
    assert "does not hold" in text and "the QNN itself does not show" in text


def test_inconclusive_checks_are_listed_with_their_open_thresholds() -> None:
    from qmlr.report.uncertainty import INCONCLUSIVE_LABEL, Interval, ThresholdTest

    gap = ThresholdTest("best − Retrain", Interval(-0.03, -0.05, -0.01), (-0.02,), True, 5)
    unsure = analysis.judge_outcome("c", "e", True, None, [gap], True)
    unsure = unsure.filed("u", 5, "unlearning", True, "lag")
    failed = Verdict("c", "e", False).filed("f", 5, "forgetting", True, "stubborn")
    cards = [S.ClaimCard(5, "claim five", (unsure, failed))]
    assert unsure.label == INCONCLUSIVE_LABEL
    table = S.inconclusive_markdown(cards, "paper")
    assert "tab-scorecard-inconclusive" in table and table.count("\n| 5 |") == 1
    assert "best − Retrain: -0.030 \\[-0.050, -0.010\\] vs -0.02" in table
    # the claim's cell names only the conclusive failure after "not:"
    assert "(not: stubborn)" in S.summary_markdown(cards, "paper")
    plain = [S.ClaimCard(5, "claim five", (failed,))]
    assert "no check is inconclusive" in S.inconclusive_markdown(plain, "paper")
