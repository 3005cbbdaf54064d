"""Phenotype measures, checks that can fail for the wrong model, and the class-means algebra."""

from __future__ import annotations

import numpy as np
import pytest

from qmlr.report import phenotype as P
from qmlr.report.sharing import SHARING_MARK


def test_steepest_drop_per_step_of_alpha(syn) -> None:
    np.testing.assert_allclose(P.steepest_drop(syn.ALPHAS, syn.MLP_VAL), 0.1)
    np.testing.assert_allclose(P.steepest_drop(syn.ALPHAS, syn.QNN_VAL), 0.48)
    # a wider grid: a fall of 0.4 over 0.4 of α is 0.1 per 0.1
    np.testing.assert_allclose(P.steepest_drop([0.0, 0.4, 0.8], [1.0, 0.6, 0.2]), 0.1)
    assert P.steepest_drop([0.0, 0.5], [0.2, 0.9]) == 0.0


@pytest.mark.parametrize(
    ("alphas", "acc"), [([0.0], [1.0]), ([0.0, 0.1], [1.0]), ([0.1, 0.1], [1.0, 0.5])]
)
def test_steepest_drop_rejects_bad_input(alphas, acc) -> None:
    with pytest.raises(ValueError):
        P.steepest_drop(alphas, acc)


def test_memorization_ignores_alpha_zero_and_the_majority_inversion(syn) -> None:
    rec = syn.curve_records("mlp", syn.MLP_VAL, 0.3)
    rec.loc[rec["alpha"] > 0.5, "corrupted_memorized"] = 1.0
    np.testing.assert_allclose(P.memorization(rec), 0.3)
    assert np.isnan(P.memorization(rec[rec["alpha"] == 0]))


def test_paper_parameter_counts() -> None:
    assert P.paper_n_params("mnist", "mlp") == 1024 * 16 + 16 + 16 * 4 + 4 + 4 + 1
    assert P.paper_n_params("xxz", "qnn") == 4 * 12 * 4
    with pytest.raises(ValueError):
        P.paper_n_params("mnist", "centroid")


def test_phenotype_table_measures(syn) -> None:
    table = P.phenotype_table(syn.study())
    assert list(table["model"][table["corruption"] == "label_flip"]) == ["mlp", "qnn", "centroid"]
    row = table[(table["model"] == "centroid") & (table["corruption"] == "label_flip")].iloc[0]
    assert row["n_params"] == 0 and row["plateau_end"] == 0.4
    np.testing.assert_allclose(row["memorization"], 0.02)
    np.testing.assert_allclose(row["alpha_c"], 0.4 + 0.1 * 0.48 / 0.53)  # crossing of 0.5
    assert row["alpha_c_low"] <= row["alpha_c"] <= row["alpha_c_high"]
    np.testing.assert_allclose(row["steepest_drop"], 0.53, atol=1e-12)
    mlp = table[(table["model"] == "mlp") & (table["corruption"] == "label_flip")].iloc[0]
    assert mlp["n_params"] == P.paper_n_params("mnist", "mlp")  # filled in for the paper's MLP
    np.testing.assert_allclose(
        mlp["val_area"], np.trapezoid(syn.MLP_VAL, syn.ALPHAS), atol=1e-4
    )  # clip at 1


def test_phenotype_table_needs_its_columns(syn) -> None:
    with pytest.raises(ValueError, match="corrupted_memorized"):
        P.phenotype_table(syn.study().drop(columns="corrupted_memorized"))


def test_checks_fail_for_the_mlp_and_pass_for_the_qnn(syn) -> None:
    checks = P.phenotype_checks(P.phenotype_table(syn.study()))
    passed = checks.set_index(["model", "check_id"])["passed"]
    for check in ("no-memorization", "plateau-0.3", "sharp-drop"):
        assert passed["qnn", check] and not passed["mlp", check]
    assert passed["mlp", "alpha-c-window"] and passed["qnn", "alpha-c-window"]  # cannot separate
    assert not passed["qnn", "plateau-0.4"] and passed["centroid", "plateau-0.4"]
    kinds = P.phenotypes(checks).set_index("model")["phenotype"]
    assert kinds.to_dict() == {"mlp": "MLP", "qnn": "QNN", "centroid": "QNN"}


def test_phenotype_flips_when_the_curves_flip(syn) -> None:
    """Give the QNN the MLP's curve and memorization: every QNN-side check now fails for it."""
    rec = syn.study()
    swap = (rec["model"] == "qnn") & (rec["corruption"] == "label_flip")
    mlp = (rec["model"] == "mlp") & (rec["corruption"] == "label_flip")
    rec.loc[swap, ["val_accuracy", "corrupted_memorized"]] = rec.loc[
        mlp, ["val_accuracy", "corrupted_memorized"]
    ].to_numpy()
    checks = P.phenotype_checks(P.phenotype_table(rec))
    assert P.phenotype_of(checks, "mnist", "qnn") == "MLP"
    verdicts = P.phenotype_verdicts(P.phenotype_table(rec), "paper")
    assert verdicts["sharp-drop/mnist"].reproduced is False
    assert verdicts[P.INTERPRETATION_ID].reproduced is False


def test_discrimination_and_verdict_ids(syn) -> None:
    table = P.phenotype_table(syn.study())
    disc = P.discrimination(P.phenotype_checks(table)).set_index("check_id")
    assert disc.loc["sharp-drop", "qnn_specific"]
    assert not disc.loc["alpha-c-window", "qnn_specific"]
    assert disc.loc["sharp-drop", "controls_passing"] == ("centroid",)
    verdicts = P.phenotype_verdicts(table, "paper")
    assert list(verdicts) == [f"{c}/mnist" for c in P.QNN_CHECK_IDS] + [P.INTERPRETATION_ID]
    assert verdicts["sharp-drop/mnist"].reproduced is True
    assert verdicts["alpha-c-window/mnist"].reproduced is False
    # the centroid shows the QNN's phenotype: the interpretation fails
    assert verdicts[P.INTERPRETATION_ID].reproduced is False
    assert "nearest centroid" in verdicts[P.INTERPRETATION_ID].evidence
    assert all(v.reproduced is None for v in P.phenotype_verdicts(table, "smoke").values())


def test_interpretation_holds_when_no_control_shares_the_phenotype(syn) -> None:
    table = P.phenotype_table(syn.study(centroid_val=syn.MLP_VAL, centroid_mem=0.9))
    verdict = P.phenotype_verdicts(table, "paper")[P.INTERPRETATION_ID]
    assert verdict.reproduced is True
    assert "besides the MLP: nearest centroid" in verdict.evidence


def test_discrimination_needs_both_paper_models(syn) -> None:
    checks = P.phenotype_checks(P.phenotype_table(syn.study()))
    with pytest.raises(ValueError, match="MLP and the QNN"):
        P.discrimination(checks[checks["model"] != "mlp"])


def test_shared_behaviour_names_the_controls(syn) -> None:
    shared = P.shared_behaviour(P.phenotype_table(syn.study()))
    assert sorted(shared) == [1, 2, 3, 4, 5, 6]
    assert shared[1] == "no memorization — MNIST 1 vs 9: nearest centroid"
    assert shared[2] == "QNN phenotype — MNIST 1 vs 9: nearest centroid"
    assert "MLP, nearest centroid" in shared[3]
    shared = P.shared_behaviour(
        P.phenotype_table(syn.study(centroid_val=syn.MLP_VAL, centroid_mem=0.9))
    )
    assert shared[2] == "QNN phenotype — MNIST 1 vs 9: none"
    assert shared[6] == "not measured on the controls"
    assert P.shared_behaviour(P.phenotype_table(syn.study()), curvature="c")[6] == "c"


def test_model_names_and_order() -> None:
    assert P.model_order(["svc-rbf", "qnn", "centroid", "mlp"]) == [
        "mlp",
        "qnn",
        "centroid",
        "svc-rbf",
    ]
    assert P.model_name("mlp-small") == "MLP (QNN-sized)"


def test_display_tables_and_verdict_paragraph(syn) -> None:
    table = P.phenotype_table(syn.study())
    shown = P.display_table(table, "mnist")
    assert list(shown["model"]) == ["MLP", "QNN", "nearest centroid"]
    # the synthetic QNN's α_c sits on the window's edge, inside its interval: marked open
    assert list(shown["phenotype"]) == ["MLP", f"QNN {SHARING_MARK}", "QNN"]
    assert shown["parameters"].tolist()[:2] == ["16,473", "240"]
    matrix = P.check_matrix(table, "mnist").set_index("model")
    assert list(matrix.columns) == list(P.CHECKS)
    assert matrix.loc["MLP", "sharp-drop"] == "✗ 0.10"
    assert matrix.loc["QNN passes, MLP fails", "sharp-drop"] == "yes"
    assert matrix.loc["QNN passes, MLP fails", "alpha-c-window"] == "no"
    assert P.check_legend().count("\n- `") == len(P.CHECKS) - 1
    text = P.verdict_paragraph(table, "paper")
    assert "QNN's phenotype: nearest centroid" in text and "does not hold" in text
    held = P.verdict_paragraph(P.phenotype_table(syn.study(syn.MLP_VAL, 0.9)), "paper")
    # the synthetic QNN's α_c sits on the window's edge (0.4): inside its run-to-run interval
    assert "inconclusive at this scale" in held and "MLP's phenotype: nearest centroid" in held
    assert "too small" in P.verdict_paragraph(table, "smoke")


def test_models_with_phenotype(syn) -> None:
    table = P.phenotype_table(syn.study())
    assert P.models_with_phenotype(table, "QNN") == {"mnist": ["centroid"]}
    assert P.models_with_phenotype(table, "MLP") == {"mnist": []}


def test_load_records_joins_the_paper_models_and_the_controls(syn, monkeypatch) -> None:
    from qmlr.report.phenotype import measures

    rec = syn.study()
    frames = {
        "resilience": rec[rec["model"].isin(P.PAPER_MODELS)].drop(columns="n_params"),
        "controls": rec[~rec["model"].isin(P.PAPER_MODELS)].assign(extra=1),
    }
    asked = []

    def fake(study, profile, results_dir=None):
        asked.append((study, profile))
        return frames[study]

    monkeypatch.setattr(measures, "study_records", fake)
    joined = P.load_records("smoke")
    assert asked == [("resilience", "smoke"), ("controls", "smoke")]
    assert list(joined.columns) == [*P.RECORD_COLUMNS, "n_params"]
    assert len(joined) == len(rec) and set(joined["model"]) == {"mlp", "qnn", "centroid"}
    table = P.phenotype_table(joined)
    assert set(table[table["model"] == "qnn"]["n_params"]) == {P.paper_n_params("mnist", "qnn")}


def test_a_model_at_chance_has_no_phenotype(syn) -> None:
    """A centroid at chance keeps a trivial 'plateau' at 0.5: it must not count as the QNN's."""
    chance = np.full_like(syn.ALPHAS, 0.5)
    table = P.phenotype_table(syn.study(centroid_val=chance, centroid_mem=0.02))
    checks = P.phenotype_checks(table)
    passed = checks.set_index(["model", "check_id"])["passed"]
    assert passed["centroid", "plateau-0.4"] and not passed["centroid", "learns"]
    assert P.phenotype_of(checks, "mnist", "centroid") == "does not learn"
    assert P.models_with_phenotype(table, "QNN") == {"mnist": []}
    assert "Not learning the clean task" in P.verdict_paragraph(table, "paper")
    assert P.phenotype_verdicts(table, "paper")[P.INTERPRETATION_ID].reproduced is True


def _straddle(table, model: str, column: str, threshold: float):
    """``table`` with ``model``'s label-flipping interval of ``column`` around ``threshold``."""
    table = table.copy()
    row = (table["model"] == model) & (table["corruption"] == "label_flip")
    table.loc[row, f"{column}_low"] = threshold - 0.01
    table.loc[row, f"{column}_high"] = threshold + 0.01
    return table


def test_sharing_is_inconclusive_where_the_threshold_is_inside_the_interval(syn) -> None:
    table = P.phenotype_table(syn.study())
    clear = P.sharing_outcomes(table)
    assert clear[1] == {"mnist": [("mlp", False), ("centroid", True)]}
    assert clear[2]["mnist"] == [("mlp", False), ("centroid", True)]
    assert [o for _, o in clear[3]["mnist"]] == [True, True]
    open_ = _straddle(table, "centroid", "memorization", P.NO_MEMORIZATION_LEVEL)
    outcomes = P.sharing_outcomes(open_)
    assert outcomes[1]["mnist"] == [("mlp", False), ("centroid", None)]
    assert outcomes[2]["mnist"] == [("mlp", False), ("centroid", None)]
    shared = P.shared_behaviour(open_)
    assert shared[1] == "no memorization — MNIST 1 vs 9: nearest centroid ?"
    assert shared[2] == "QNN phenotype — MNIST 1 vs 9: nearest centroid ?"
    # a conclusive failure elsewhere in the phenotype decides: not shared, not marked
    failing = _straddle(open_, "centroid", "clean_val", P.LEARNS_LEVEL)
    failing.loc[failing["model"] == "centroid", "clean_val_high"] = P.LEARNS_LEVEL - 0.01
    failing.loc[failing["model"] == "centroid", "clean_val"] = P.LEARNS_LEVEL - 0.02
    assert P.shared_behaviour(failing)[2] == "QNN phenotype — MNIST 1 vs 9: none"


def test_feature_sharing_reads_the_area_difference_interval(syn) -> None:
    table = P.phenotype_table(syn.study())
    row = table[(table["model"] == "centroid") & (table["corruption"] == "label_flip")].iloc[0]
    assert row["val_area_low"] <= row["val_area"] <= row["val_area_high"]
    assert len(row["val_area_boot"]) == 2000
    flip = (table["model"] == "centroid") & (table["corruption"] == "label_flip")
    feat = (table["model"] == "centroid") & (table["corruption"] == "feature_random")
    close = table.copy()
    gap = float(close.loc[feat, "val_area"].iloc[0] - close.loc[flip, "val_area"].iloc[0])
    close.loc[flip, "val_area"] += gap - 1e-3  # the difference now 0.001: 0 inside its interval
    noise = np.linspace(-0.05, 0.05, 2000)
    boot = close.loc[feat, "val_area_boot"].iloc[0] - 1e-3 - noise
    old = close["val_area_boot"]
    close["val_area_boot"] = [boot if f else b for f, b in zip(flip, old, strict=True)]
    assert dict(P.sharing_outcomes(close)[3]["mnist"])["centroid"] is None
    assert "nearest centroid ?" in P.shared_behaviour(close)[3]


def test_display_table_marks_a_phenotype_open_at_this_scale(syn) -> None:
    """The chapter's phenotype column carries the open mark exactly where the three-valued
    phenotype outcome is inconclusive."""
    table = P.phenotype_table(syn.study())
    clear = P.display_table(table, "mnist").set_index("model")["phenotype"]
    assert clear[P.model_name("centroid")] == "QNN"
    open_ = _straddle(table, "centroid", "memorization", P.NO_MEMORIZATION_LEVEL)
    marked = P.display_table(open_, "mnist").set_index("model")["phenotype"]
    assert marked[P.model_name("centroid")] == f"QNN {SHARING_MARK}"
    assert marked[P.model_name("mlp")] == clear[P.model_name("mlp")]
