"""The front page (qmlr.report.front), key results (qmlr.report.keyresult) and readable tables
and dropdowns (qmlr.report.markdown)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.report import front as F
from qmlr.report.keyresult import KEY_RESULT_WORDS, key_result_text, word_count
from qmlr.report.markdown import escape_markdown, folded, frame_markdown, readable_frame
from qmlr.report.scorecard import CLAIMS, scorecard
from qmlr.report.verdict import Verdict


def cards():
    checks = [
        Verdict("c", "e", n % 2 == 0).filed(f"{n}", n, "resilience", True, f"check {n}")
        for n in CLAIMS
    ]
    return scorecard(checks)


def test_claims_table_is_compact() -> None:
    text = F.claims_markdown(cards(), "paper")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| # | claim | verdict | tested in |"
    assert len(rows) == 1 + len(CLAIMS)
    assert all(len(F.SHORT_CLAIMS[n].split()) <= 14 for n in CLAIMS)
    assert "{ref}`checks`" in text


def test_claim_sentences_follow_the_core_checks() -> None:
    core = Verdict("c", "e", True).filed("a", 2, "resilience", True, "a")
    beyond = Verdict("c", "e", False).filed("b", 2, "resilience", False, "b")
    (sentence,) = F.claim_sentences([core, beyond, Verdict("c", "e", True)])
    assert sentence.startswith("Claim 2 — ") and "**reproduced** (1 of 1 core" in sentence


def test_simplest_sharing_prefers_sure_then_fewest_parameters(monkeypatch) -> None:
    from qmlr.report import phenotype as P

    outcomes = {2: {"mnist": [("mlp", False), ("logistic", True), ("centroid", True)],
                    "xxz": [("mlp", False), ("knn", None), ("centroid", False)]}}  # fmt: skip
    monkeypatch.setattr(P, "sharing_outcomes", lambda table: outcomes)
    table = pd.DataFrame(
        [(d, m, "label_flip", n) for d in ("mnist", "xxz")
         for m, n in (("mlp", 9.0), ("logistic", 5.0), ("centroid", 0.0), ("knn", np.nan))],
        columns=["dataset", "model", "corruption", "n_params"],
    )  # fmt: skip
    assert F.simplest_sharing(table) == {"mnist": ("centroid", True), "xxz": ("knn", None)}


def test_key_results_are_short() -> None:
    assert word_count("Claim 2 — **reproduced** ({ref}`x`).") == 4
    assert key_result_text(["a b.", " ", "c."]) == "a b. c."
    with pytest.raises(ValueError, match="at most"):
        key_result_text(["word " * (KEY_RESULT_WORDS + 1)])


def test_readable_frames_have_no_raw_reprs() -> None:
    idx = pd.MultiIndex.from_tuples([("qnn", 0.30000000000000004)], names=["model", "alpha"])
    frame = pd.DataFrame({"trace_ratio": [0.123456], "gone": [np.nan], "n": [1200]}, index=idx)
    shown = readable_frame(frame)
    assert list(shown.columns) == ["model", "α", "trace ratio", "n"]
    assert shown.iloc[0].tolist() == ["qnn", "0.3", "0.123", "1,200"]
    assert folded("T", "x").startswith("::::{dropdown} T\n")


def test_escape_markdown_protects_table_cells() -> None:
    text = escape_markdown("max |tr H − tr A| / tr A, θ* at α_c [0, 1] $x$")
    assert "|" not in text.replace("\\|", "")
    assert "\\*" in text and "\\_" in text and "\\[" in text and "\\$" in text


def test_frame_markdown_escapes_and_names_the_table() -> None:
    text = frame_markdown(pd.DataFrame({"a|b": ["x|y"]}), "Cap.", "tab-x")
    assert text.startswith(":::{table} Cap.\n:name: tab-x\n")
    assert "| a\\|b |" in text and "| x\\|y |" in text
