"""The kinds' torch-free descriptions: specs load without torch, and each torch kind is its
description (one source of truth for names, settings, spec checks and labels)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

import qmlr.core.models as models
from qmlr.core import augment, qnn, train
from qmlr.core.kinds import (
    CONTROL_KINDS,
    DESCRIPTIONS,
    LOGIT_SCALE,
    MECHANISM_KINDS,
    PAPER_KINDS,
    PCA_COMPONENTS,
    WEIGHT_DECAY,
    KindDescription,
    describe,
    logit_scale,
)
from qmlr.core.models import KINDS, base, defended, get_kind, small
from qmlr.core.models.base import ModelKind
from qmlr.core.train_config import AUGMENTATIONS, TrainConfig

#: What a description declares; no torch kind class may declare any of it again.
DESCRIBED = (
    "name",
    "training",
    "records_n_params",
    "augmentable",
    "scaled",
    "hidden_layers",
    "validate",
    "label",
    "label_note",
    "state_length",
    "count_params",
)


def test_specs_and_kinds_import_without_torch_or_tensorcircuit() -> None:
    code = (
        "import sys\n"
        "import qmlr.engine.specs, qmlr.core.kinds, qmlr.core.train_config\n"
        "heavy = sorted({'torch', 'tensorcircuit'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def test_descriptions_are_the_registry_in_its_order() -> None:
    assert list(DESCRIPTIONS) == list(KINDS)
    for name, kind in KINDS.items():
        assert isinstance(kind, type(DESCRIPTIONS[name])), name
        assert isinstance(kind, ModelKind) and isinstance(DESCRIPTIONS[name], KindDescription)
        assert describe(name).name == name


def test_torch_kinds_declare_nothing_their_description_does() -> None:
    for name, kind in KINDS.items():
        for cls in type(kind).__mro__:
            if issubclass(cls, ModelKind):
                redeclared = sorted(set(DESCRIBED) & set(vars(cls)))
                assert not redeclared, f"{name}: {cls.__qualname__} declares {redeclared}"


def test_unknown_kinds_are_refused_alike() -> None:
    with pytest.raises(ValueError, match="unknown model kind 'cnn'") as described:
        describe("cnn")
    with pytest.raises(ValueError) as got:
        get_kind("cnn")
    assert str(described.value) == str(got.value)


def spec(hidden: tuple[int, ...] = (), depth: int = 0, **extra: object) -> SimpleNamespace:
    """A stand-in ModelSpec (the descriptions read attributes only)."""
    return SimpleNamespace(hidden=hidden, depth=depth, **extra)


SPECS = [
    spec(),
    spec((4,)),
    spec((64, 16)),
    spec((0,)),
    spec(depth=4),
    spec((4,), depth=2),
    spec(depth=3, shots=100),
    spec(depth=3, scale=2.5),
    spec((8,), scale=50.0),
]


def outcome(kind: KindDescription, model: SimpleNamespace) -> str:
    """A kind's label of ``model``, or its validation error."""
    try:
        kind.validate(model)
    except ValueError as error:
        return f"ValueError: {error}"
    return kind.label(model)


@pytest.mark.parametrize("name", list(KINDS))
def test_torch_kind_and_description_check_and_label_alike(name: str) -> None:
    kind, description = KINDS[name], DESCRIPTIONS[name]
    assert [outcome(kind, m) for m in SPECS] == [outcome(description, m) for m in SPECS]
    for attribute in DESCRIBED[1:6]:
        assert getattr(kind, attribute) == getattr(description, attribute)


def test_labels_and_checks_are_unchanged() -> None:
    assert outcome(describe("mlp"), spec((64, 16))) == "MLP [64, 16]"
    assert outcome(describe("mlp"), spec()) == "ValueError: an MLP needs positive hidden widths"
    assert outcome(describe("qnn"), spec(depth=4, shots=100)) == "QNN depth 4, 100 shots"
    assert outcome(describe("mlp-tanh"), spec((4,))) == "MLP [4], 5·tanh logit"
    assert outcome(describe("mlp-weight-decay"), spec((4,))) == "MLP [4], weight decay 0.001"
    assert outcome(describe("mlp-small"), spec((20,))) == "PCA 10 + MLP [20]"
    assert outcome(describe("mlp-spectral"), spec((8,), scale=0.0)) == "MLP [8], Lipschitz 10"
    assert outcome(describe("quadratic-form"), spec(scale=2.5)) == "quadratic form, s = 2.5"
    assert outcome(describe("knn"), spec((4,))) == "ValueError: a knn model has no hidden layers"
    assert (
        outcome(describe("centroid"), spec(depth=1)) == "ValueError: a centroid model has no depth"
    )


def test_old_import_paths_still_work() -> None:
    assert train.TrainConfig is TrainConfig and augment.AUGMENTATIONS is AUGMENTATIONS
    assert qnn.LOGIT_SCALE == LOGIT_SCALE == logit_scale(spec()) == 5.0
    assert base.logit_scale is logit_scale
    assert defended.WEIGHT_DECAY == WEIGHT_DECAY and small.PCA_COMPONENTS == PCA_COMPONENTS
    assert (models.PAPER_KINDS, models.MECHANISM_KINDS, models.CONTROL_KINDS) == (
        PAPER_KINDS,
        MECHANISM_KINDS,
        CONTROL_KINDS,
    )


#: Specs whose parameters a kind counts without torch, on both datasets.
COUNTED = [
    ("mlp", {"hidden": (16, 4)}),
    ("mlp-tanh", {"hidden": (8,)}),
    ("mlp-weight-decay", {"hidden": (8, 2)}),
    ("mlp-early-stop", {"hidden": (4,)}),
    ("logistic", {}),
    ("qnn", {"depth": 3}),
    ("qnn-reim", {"depth": 2}),
]


#: Each of them on each dataset it reads (the [Re ψ, Im ψ] QNN reads the XXZ states only).
COUNTED_ON = [
    (k, f, d) for k, f in COUNTED for d in ("mnist", "xxz") if (k, d) != ("qnn-reim", "mnist")
]


@pytest.mark.parametrize(
    ("kind", "fields", "dataset"), COUNTED_ON, ids=[f"{k}-{d}" for k, _, d in COUNTED_ON]
)
def test_a_counted_model_has_the_parameters_of_the_built_one(kind, fields, dataset) -> None:
    from qmlr.engine.runner import build_model, clean_split, model_inputs, model_size
    from qmlr.engine.specs import DataSpec, ModelSpec

    model, data = ModelSpec(kind, **fields), DataSpec(dataset)
    x = model_inputs(clean_split(data, "train").x[:1], model)
    built = get_kind(kind).n_params(build_model(model, data, x.shape[-1], [0]))[0]
    assert describe(kind).count_params(model, x.shape[-1]) == built == model_size(model, data)


def test_the_small_mlp_counts_the_mlp_after_its_pca_map() -> None:
    from qmlr.engine.runner import build_model, model_size
    from qmlr.engine.specs import DataSpec, ModelSpec

    mlp = build_model(ModelSpec("mlp", hidden=(20,)), DataSpec("xxz"), PCA_COMPONENTS, [0])
    small_mlp = ModelSpec("mlp-small", hidden=(20,))
    assert model_size(small_mlp, DataSpec("xxz")) == get_kind("mlp").n_params(mlp)[0] == 241
