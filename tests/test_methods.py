"""The Methods tables: every value equals the spec, model or corruption behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.core.data import Dataset
from qmlr.core.unlearn import METHOD_LABELS, METHODS, get_method
from qmlr.engine.runner import poisoned_training_set
from qmlr.report import methods as M
from qmlr.studies.curvature_study import n_parameters
from qmlr.studies.experiments import PAPER_MLP_HIDDEN, PAPER_QNN_DEPTH, PAPER_TRAINING, get_profile
from qmlr.studies.registry import study_cells


@pytest.fixture(scope="module")
def splits() -> dict[str, dict[str, Dataset]]:
    return M.load_splits()


@pytest.fixture(scope="module")
def train(splits) -> dict[str, Dataset]:
    return {name: s["train"] for name, s in splits.items()}


def toy_dataset(n: int, dim: int = 6, seed: int = 0) -> Dataset:
    """A class-sorted, balanced set of ``n`` random unit rows."""
    x = np.random.default_rng(seed).normal(size=(n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.repeat(np.array([0, 1], dtype=np.int64), n // 2)
    return Dataset(x, y, {"name": "toy", "split": "train", "raw_dim": dim})


def expected_count(n: int, tenths: int, kind: str) -> int:
    """The corruption rule in integer arithmetic: floor(n·α), then to even (down/up)."""
    base = n * tenths // 10
    if base % 2 == 0:
        return base
    return base - 1 if kind == "label_flip" else base + 1


def test_studies_table_counts_every_spec():
    table = M.studies_table("paper").set_index("study")
    for study in table.index:
        assert table.loc[study, "specs"] == len(study_cells(study, "paper"))
    assert table.loc["resilience", "runs"] == get_profile("paper").runs
    assert table.loc["resilience", "α"] == "0, 0.1, …, 0.9"


@pytest.mark.parametrize("profile", ["paper", "smoke"])
def test_training_rows_equal_si_table_i_scaled_by_the_profile(profile):
    table = M.training_table(profile)
    prof = get_profile(profile)
    for dataset in ("mnist", "xxz"):
        for kind, label in (
            ("mlp", f"MLP {list(PAPER_MLP_HIDDEN[dataset])}"),
            ("qnn", f"QNN depth {PAPER_QNN_DEPTH[dataset]}"),
        ):
            name = {"mnist": "MNIST 1 vs 9", "xxz": "XXZ"}[dataset]
            row = table[
                (table["study"] == "resilience")
                & (table["data"] == name)
                & (table["models"] == label)
            ]
            assert len(row) == 1
            si = PAPER_TRAINING[(dataset, kind)]
            assert row["epochs"].item() == max(1, round(si.epochs * prof.epoch_scale))
            assert row["batch"].item() == si.batch_size
            assert row["lr"].item() == si.lr
            assert row["runs"].item() == prof.runs
            assert row["specs"].item() == 2 * len(prof.alphas) * prof.runs


def test_paper_training_table_holds_the_si_numbers():
    table = M.training_table("paper").set_index(["study", "data", "models"])
    row = table.loc[("resilience", "XXZ", "QNN depth 4")]
    assert (row["epochs"], row["batch"], row["lr"]) == (200, 32, 0.03)
    row = table.loc[("resilience", "MNIST 1 vs 9", "MLP [16, 4]")]
    assert (row["epochs"], row["batch"], row["lr"]) == (100, 128, 0.01)


def test_data_table_sizes_and_encodings(splits):
    table = M.data_table(splits, "paper").set_index("dataset")
    assert table.loc["MNIST 1 vs 9", "train"] == "500 (250 + 250)"
    assert table.loc["XXZ", "train"] == "82 (41 + 41)"
    assert table.loc["XXZ", "validation"] == "84 (42 + 42)"
    assert table.loc["MNIST 1 vs 9", "qubits"] == 10
    assert table.loc["XXZ", "qubits"] == 12
    assert table.loc["XXZ", "MLP inputs"].startswith("8192")
    assert table.loc["XXZ", "global phases"] == "canonical, random"
    assert table.loc["MNIST 1 vs 9", "label 0"] == "digit 1"


@pytest.mark.parametrize("profile", ["paper", "smoke"])
def test_corruption_counts_follow_the_rule_on_generated_data(profile):
    train = {"mnist": toy_dataset(500), "xxz": toy_dataset(82, seed=1)}
    counts = M.corruption_counts(train, profile, seed=3)
    assert len(counts)
    for _, row in counts.iterrows():
        expected = expected_count(row["N"], round(row["alpha"] * 10), row["corruption"])
        assert row["changed"] == expected, row
        assert row["class 0"] == row["class 1"] == expected // 2


def test_corruption_counts_do_not_depend_on_the_seed():
    train = {"xxz": toy_dataset(82)}
    a = M.corruption_counts(train, "paper", seed=0)
    b = M.corruption_counts(train, "paper", seed=12345)
    pd.testing.assert_frame_equal(a, b)


def test_corruption_counts_equal_what_the_studies_corrupt(train):
    counts = M.corruption_counts(train, "paper").set_index(["dataset", "corruption", "alpha"])
    checked = 0
    for cell in study_cells("resilience", "paper"):
        if cell.run != 0 or cell.model.kind != "qnn" or cell.alpha not in (0.3, 0.5, 0.9):
            continue
        corrupted = poisoned_training_set(cell).corrupted
        row = counts.loc[(cell.data.name, cell.corruption, cell.alpha)]
        assert row["changed"] == len(corrupted)
        checked += 1
    assert checked == 12  # 2 datasets x 2 corruptions x 3 α
    xxz = counts.loc[("xxz", slice(None), 0.5), "changed"].droplevel([0, 2])
    assert (xxz["label_flip"], xxz["feature_random"]) == (40, 42)


def test_corruption_table_marks_unused_pairs(train):
    counts = M.corruption_counts(train, "smoke")
    wide = M.corruption_table(counts).set_index("α")
    flip = "MNIST 1 vs 9 (N = 500), label flipping"
    noise = "MNIST 1 vs 9 (N = 500), feature randomization"
    # at 0.3 only label flipping is used (the unlearning and mechanism studies); the mechanism
    # studies' randomization test flips at 0.5
    assert wide.loc["0.3", flip] == "150 (75 + 75)"
    assert wide.loc["0.3", noise] == "—"
    assert list(wide.index) == ["0", "0.3", "0.4", "0.5", "0.8"]


def mlp_count(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def test_model_parameters_equal_the_architectures(train):
    table = M.model_table(train, "paper")
    single = table[table["precision"] == "single"].set_index(["dataset", "model"])
    assert single.loc[("MNIST 1 vs 9", "QNN depth 6"), "parameters"] == 6 * 10 * 4
    assert single.loc[("XXZ", "QNN depth 4"), "parameters"] == 4 * 12 * 4
    assert single.loc[("MNIST 1 vs 9", "MLP [16, 4]"), "parameters"] == mlp_count([1024, 16, 4, 1])
    assert single.loc[("XXZ", "MLP [64, 16]"), "parameters"] == mlp_count([8192, 64, 16, 1])
    assert "RZZ ring" in single.loc[("XXZ", "QNN depth 4"), "architecture"]
    curvature = table[table["studies"] == "curvature"]
    specs = study_cells("curvature", "paper")
    paper = {n_parameters(s) for s in specs if s.model.kind in ("mlp", "qnn")}
    assert sorted(curvature["parameters"]) == sorted(paper)


def test_unlearning_weights_are_the_methods_defaults():
    table = M.unlearning_methods_table("paper").set_index("method")
    assert list(table.index) == [METHOD_LABELS[m] for m in METHODS]
    names = {"ce": "λ_ce", "kl": "λ_kl", "fo": "λ_fo", "beta": "β"}
    for name in ("retrain", "finetune", "scrub", "grad_asc"):
        for field, value in get_method(name).params().items():
            if field in names:
                assert table.loc[METHOD_LABELS[name], names[field]] == value
    scrub = table.loc["Scrub (paper)"]
    assert (scrub["λ_ce"], scrub["λ_kl"], scrub["λ_fo"], scrub["β"]) == (1.0, 0.0, 0.2, "—")
    assert table.loc["Grad-Asc", "β"] == 0.2
    assert table.loc["Retrain", "starts from"] == "fresh initialization"


@pytest.mark.parametrize("profile", ["paper", "smoke"])
def test_unlearning_settings_follow_the_specs(train, profile):
    table = M.unlearning_settings_table(train, profile)
    specs = study_cells("unlearning", profile)
    assert table["runs"].sum() == len(specs)
    assert set(table["steps"]) == {s.unlearn.steps for s in specs}
    mnist = table[table["data"] == "MNIST 1 vs 9"]
    assert set(mnist["forget set D_f"]) == {150} and set(mnist["retain set D_r"]) == {350}
    batched = table[table["batch"] == 256]
    assert set(batched["updates per step"]) == {2}  # ceil(350 / 256)


def test_curvature_table_has_every_configuration():
    table = M.curvature_table("paper")
    assert list(zip(table["configuration"], table["parameters"], strict=True))[:4] == [
        ("si", 16473),
        ("si", 240),
        ("authors-code", 8221),
        ("authors-code", 100),
    ]
    controls = table[table["model"].str.startswith("control")]
    assert sorted(controls["parameters"]) == [241, 1025, 16473, 16473, 16473]
    assert set(table["precision"]) == {"double"}


def test_as_myst_table_is_an_unnamed_table_directive():
    text = M.as_myst_table(pd.DataFrame({"a": [1, 2]}), "Caption.")
    assert text.startswith(":::{table} Caption.\n\n|") and text.endswith("\n:::")
    assert ":name:" not in text


def test_format_grid():
    assert M.format_grid([0.0, 0.4, 0.8]) == "0, 0.4, 0.8"
    assert M.format_grid(get_profile("paper").alphas) == "0, 0.1, …, 0.9"
