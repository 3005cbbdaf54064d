"""The coarse XXZ grid, the outside-window states, new spec fields that keep every key."""

from __future__ import annotations

import numpy as np
import pytest

from qmlr.core import data as D
from qmlr.engine.profiles import get_profile
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.engine.store import CellResult
from qmlr.studies import splits_study as SP


def test_new_fields_keep_every_existing_key() -> None:
    from qmlr.core.train import TrainConfig

    cell = CellSpec(
        "resilience",
        DataSpec("xxz"),
        ModelSpec("qnn", depth=4),
        TrainConfig(200, 32, 0.03),
        "label_flip",
        0.2,
        run=1,
    )
    assert "grid" not in cell.to_dict()["data"] and "shots" not in cell.to_dict()["model"]
    assert cell.key() == "b6d4c3bf59dd2464"  # its key before the fields existed
    coarse = CellSpec(
        "resilience",
        DataSpec("xxz", grid="coarse"),
        ModelSpec("qnn", depth=4, shots=10),
        TrainConfig(200, 32, 0.03),
        "label_flip",
        0.2,
        run=1,
    )
    assert coarse.key() != cell.key() and CellSpec.from_dict(coarse.to_dict()) == coarse
    with pytest.raises(ValueError):
        DataSpec("mnist", grid="coarse")
    with pytest.raises(ValueError):
        ModelSpec("mlp", hidden=(4,), shots=10)


def test_coarse_grid_and_outside_states() -> None:
    deltas = D.xxz_default_deltas()
    train = D.xxz_grid_indices("train", "coarse")
    held = D.xxz_grid_indices("val", "coarse")
    outside = D.xxz_outside_indices()
    for label in (0, 1):
        full = D.xxz_window_indices("train")[label]
        np.testing.assert_array_equal(train[label], full[:: D.COARSE_STEP])
        gaps = np.abs(held[label][:, None] - train[label][None, :]).min(axis=1)
        assert gaps.min() >= 2 and gaps.max() <= 4
        window = (106, 188) if label == 0 else (199, 281)  # train and validation windows
        assert not set(outside[label]) & set(range(window[0], window[1] + 1))
    assert np.all(np.abs(deltas[outside[0]]) < 1) and np.all(deltas[outside[1]] > 1)
    ds = D.xxz_dataset("outside", grid="coarse")
    assert len(ds) == sum(map(len, outside)) and ds.meta["grid"] == "coarse"
    with pytest.raises(ValueError):
        D.xxz_grid_indices("test")


def test_cells_and_rows() -> None:
    cells = SP.splits_cells(get_profile("paper"))
    assert len(cells) == len(SP.MODELS) * 50
    assert {c.data for c in cells} == {SP.DATA} and {c.corruption for c in cells} == {"label_flip"}
    metrics = {"val_accuracy": 0.8, "train_accuracy": 1.0, "outside_accuracy": 0.6}
    rows = SP.split_rows(CellResult(cells[0], metrics, {}))
    assert [(r["split"], r["val_accuracy"]) for r in rows] == [("coarse", 0.8), ("outside", 0.6)]
