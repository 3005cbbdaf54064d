"""The phenotype battery on a reader's classifier (qmlr.studies.battery, qmlr.report.battery,
``python -m qmlr battery``), with estimators defined here, on the ``smoke`` profile's poisons."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from qmlr.engine.runner import poisoned_training_set
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.report import phenotype as P
from qmlr.report.battery import battery_figure, battery_markdown, run_battery
from qmlr.studies.battery import battery_records, fresh_estimator, load_estimator
from qmlr.studies.controls_study import NO_TRAINING


class ClassMeans:
    """A reader's classifier: the class whose training mean is nearer (fit / predict_proba)."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> ClassMeans:
        self.classes_ = np.array([0, 1])
        self.means_ = np.stack([x[y == c].mean(axis=0) for c in self.classes_])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        d = (x**2).sum(axis=1)[:, None] - 2 * x @ self.means_.T + (self.means_**2).sum(axis=1)
        p1 = 1.0 / (1.0 + np.exp(np.clip(d[:, 1] - d[:, 0], -50, 50)))
        return np.column_stack([1 - p1, p1])


class Memorizer:
    """Another: remembers every training label exactly (a 1-nearest-neighbour)."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> Memorizer:
        self.x_, self.y_, self.classes_ = x, y, np.array([0, 1])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        d = (x**2).sum(axis=1)[:, None] - 2 * x @ self.x_.T + (self.x_**2).sum(axis=1)[None]
        nearest = np.argmin(d, axis=1)
        p1 = self.y_[nearest].astype(float)
        return np.column_stack([1 - p1, p1])


def fake_book(runs: int = 2) -> pd.DataFrame:
    """Book records stand-ins (the memorizer as "mlp", class means as "qnn"), fast to make."""
    parts = [
        battery_records(Memorizer(), "smoke", "mlp", ("mnist",), ("label_flip",), runs),
        battery_records(ClassMeans, "smoke", "qnn", ("mnist",), ("label_flip",), runs),
    ]
    return pd.concat(parts, ignore_index=True)


def test_records_use_the_books_poisons_and_measure_memorization() -> None:
    memo = battery_records(Memorizer, "smoke", datasets=("mnist",), corruptions=("label_flip",),
                           runs=1)  # fmt: skip
    assert set(P.RECORD_COLUMNS) <= set(memo.columns)
    assert memo["model"].unique().tolist() == ["Memorizer"]
    flipped = memo[memo["alpha"] > 0]
    # a memorizer reproduces its training labels, flipped or not
    assert np.allclose(flipped["corrupted_memorized"], 1.0)
    assert np.allclose(memo["train_accuracy"], 1.0)
    # the training set is the controls study's poisoned set at the same coordinates
    row = flipped.iloc[0]
    cell = CellSpec("controls", DataSpec("mnist"), ModelSpec("knn"), NO_TRAINING, "label_flip",
                    row["alpha"], int(row["run"]))  # fmt: skip
    clean_match = 1 - len(poisoned_training_set(cell).corrupted) / len(
        poisoned_training_set(cell).data.y
    )
    assert row["clean_train_accuracy"] == pytest.approx(clean_match)


def test_battery_sets_the_readers_model_beside_the_books() -> None:
    battery = run_battery(ClassMeans(), "smoke", name="class means", datasets=("mnist",),
                          corruptions=("label_flip",), runs=2,
                          book_records=fake_book())  # fmt: skip
    assert list(battery.table["model"]) == ["mlp", "qnn", "class means"]
    means = battery.table.set_index("model").loc["class means"]
    assert means["memorization"] < P.NO_MEMORIZATION_LEVEL
    assert battery.phenotype("mnist").split()[0] in ("QNN", "MLP", "neither")
    text = battery_markdown(battery)
    assert ":name: tab-battery-mnist" in text and "class means" in text
    fig = battery_figure(battery)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["MLP", "QNN", "class means"]


def test_estimators_are_checked_and_named() -> None:
    with pytest.raises(TypeError, match="predict_proba"):
        fresh_estimator(lambda: object())
    with pytest.raises(ValueError, match="MODULE:CALLABLE"):
        load_estimator("sklearn.naive_bayes.GaussianNB")
    assert load_estimator("test_battery:ClassMeans") is ClassMeans
    with pytest.raises(ValueError, match="one of the book's models"):
        run_battery(ClassMeans, "smoke", name="qnn", book_records=fake_book(1))


def test_cli_writes_the_tables_and_the_figure(tmp_path, monkeypatch, capsys) -> None:
    from qmlr.tools.cli import main

    monkeypatch.setattr(P, "load_records", lambda profile: fake_book())
    code = main(["battery", "test_battery:ClassMeans", "--profile", "smoke", "--dataset",
                 "mnist", "--runs", "2", "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    assert {"records.csv", "measures-mnist.csv", "battery.png"} <= {
        p.name for p in tmp_path.iterdir()
    }
    assert "ClassMeans's phenotype on mnist" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "measures-mnist.csv")) == 3
