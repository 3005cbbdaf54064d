"""Cell specs: validation, stable keys, derived seeds, profiles."""

from __future__ import annotations

import pytest

from qmlr.core.train import TrainConfig
from qmlr.studies.experiments import PAPER_TRAINING, get_profile, training_config
from qmlr.studies.registry import study_cells
from qmlr.studies.specs import CellSpec, DataSpec, ModelSpec


def make_cell(**overrides) -> CellSpec:
    fields = dict(
        study="demo",
        data=DataSpec("xxz"),
        model=ModelSpec("qnn", depth=4),
        train=TrainConfig(200, 32, 0.03),
        corruption="label_flip",
        alpha=0.2,
        run=0,
    )
    fields.update(overrides)
    return CellSpec(**fields)


def test_round_trip_and_stable_key():
    cell = make_cell()
    assert CellSpec.from_dict(cell.to_dict()) == cell
    assert make_cell().key() == cell.key()
    assert make_cell(alpha=0.1 + 0.1).key() == cell.key()  # float noise does not change identity
    assert make_cell(run=1).key() != cell.key()


@pytest.mark.parametrize("alpha", [-0.1, 1.0, 1.5, float("nan")])
def test_alpha_outside_unit_interval_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha"):
        make_cell(alpha=alpha)


@pytest.mark.parametrize("bad", [dict(corruption="gaussian"), dict(run=-1)])
def test_bad_cells_are_refused(bad):
    with pytest.raises(ValueError):
        make_cell(**bad)


def test_bad_parts_are_refused():
    with pytest.raises(ValueError, match="unknown dataset"):
        DataSpec("cifar")
    with pytest.raises(ValueError, match="unknown phase"):
        DataSpec("xxz", phase="gauge")
    with pytest.raises(ValueError, match="unknown model kind"):
        ModelSpec("cnn")
    with pytest.raises(ValueError, match="hidden"):
        ModelSpec("mlp", hidden=())
    with pytest.raises(ValueError, match="depth"):
        ModelSpec("qnn", depth=0)


def test_poison_is_shared_between_models_and_model_seeds_differ():
    qnn = make_cell()
    mlp = make_cell(model=ModelSpec("mlp", hidden=(64, 16)), train=TrainConfig(400, 32, 0.01))
    assert qnn.poison_seed() == mlp.poison_seed()
    assert qnn.model_seed() != mlp.model_seed()
    assert make_cell(run=1).poison_seed() != qnn.poison_seed()
    assert make_cell(alpha=0.3).poison_seed() != qnn.poison_seed()
    assert 0 <= qnn.poison_seed() < 2**63


def test_profiles():
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("huge")
    paper = get_profile("paper")
    assert paper.alphas == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    assert paper.runs == 5
    assert training_config("xxz", "qnn", paper) == PAPER_TRAINING[("xxz", "qnn")]
    assert training_config("mnist", "mlp", get_profile("smoke")).epochs < 100


def test_paper_studies_have_the_papers_size():
    cells = study_cells("resilience", "paper")
    assert len(cells) == 2 * 2 * 2 * 10 * 5
    assert len({c.key() for c in cells}) == len(cells)
    assert len(study_cells("capacity", "paper")) == (5 + 3) * 10 * 5
    with pytest.raises(ValueError, match="unknown study"):
        study_cells("nope", "paper")


def test_normalization_option_leaves_existing_keys_unchanged():
    import json
    from pathlib import Path

    from qmlr.studies.registry import study_cells as cells_of

    image = DataSpec("mnist")
    per_column = DataSpec("mnist", normalization="per-column")
    assert "normalization" not in image.to_dict()
    assert per_column.to_dict()["normalization"] == "per-column"
    cell = make_cell(data=image, model=ModelSpec("mlp", hidden=(16, 4)))
    other = make_cell(data=per_column, model=ModelSpec("mlp", hidden=(16, 4)))
    assert cell.key() != other.key()
    assert CellSpec.from_dict(other.to_dict()) == other
    assert other.poison_seed() == cell.poison_seed() and other.model_seed() == cell.model_seed()
    # a committed MNIST cell of the resilience study: its stored spec and key are what we compute
    stored = {c.key(): c for c in cells_of("resilience", "paper") if c.data.name == "mnist"}
    folder = Path(__file__).resolve().parent.parent / "results" / "resilience" / "cells"
    key = next(k for k in stored if (folder / f"{k}.json").exists())
    document = json.loads((folder / f"{key}.json").read_text())
    assert document["spec"]["data"] == {"name": "mnist", "phase": "random", "phase_seed": 0}
    assert stored[key].to_dict() == document["spec"] and stored[key].key() == document["key"]
    with pytest.raises(ValueError, match="normalization"):
        DataSpec("mnist", normalization="pixel")
    with pytest.raises(ValueError, match="MNIST only"):
        DataSpec("xxz", normalization="per-column")
