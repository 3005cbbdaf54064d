"""The model registry and its kinds: shapes, parameter counts, determinism, and each control
against a direct computation (scikit-learn or numpy)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from qmlr.core.models import CONTROL_KINDS, KINDS, PAPER_KINDS, get_kind
from qmlr.core.models.bounded import BoundedMLP
from qmlr.core.models.defended import EARLY_STOP_FRACTION, holdout_split
from qmlr.core.models.small import PCA_COMPONENTS, matched_width, pca_map
from qmlr.core.qnn import LOGIT_SCALE
from qmlr.core.train import TrainConfig
from qmlr.engine.specs import DataSpec, ModelSpec
from qmlr.studies.registry import spec_from_dict

RESULTS = Path(__file__).resolve().parent.parent / "results"
CONFIG = TrainConfig(epochs=30, batch_size=8, lr=0.05)
N_MEMBERS, N, D = 2, 40, 12
HIDDEN = {"mlp": (5, 3), "mlp-tanh": (5, 3), "mlp-early-stop": (5, 3), "mlp-weight-decay": (5, 3)}
HIDDEN["mlp-small"] = (4,)


def toy_data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two noisy Gaussian blobs per member, and a shared validation set."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (N_MEMBERS, N), generator=gen)
    y[:, :2] = torch.tensor([0, 1])  # both classes in every member
    x = torch.randn(N_MEMBERS, N, D, generator=gen) + 3.0 * y[..., None]
    y_val = torch.randint(0, 2, (30,), generator=gen)
    x_val = torch.randn(30, D, generator=gen) + 3.0 * y_val[:, None]
    return x, y, x_val, y_val


def fitted(kind: str, seeds=(3, 4), data=None):
    model = ModelSpec(kind, hidden=HIDDEN.get(kind, ()))
    x, y, x_val, y_val = data or toy_data()
    return get_kind(kind).fit(model, DataSpec("mnist"), CONFIG, x, y, list(seeds), x_val, y_val)


def test_spec_model_kinds_are_the_registry():
    assert all(KINDS[name].name == name for name in KINDS)
    assert CONTROL_KINDS == tuple(k for k in KINDS if k not in PAPER_KINDS)
    assert {"mlp", "qnn", "qnn-rxry", "qnn-reim"} == set(PAPER_KINDS)
    with pytest.raises(ValueError, match="unknown model kind"):
        ModelSpec("forest")


@pytest.mark.parametrize(
    "kind, hidden, depth",
    [("mlp", (), 0), ("qnn", (), 0), ("logistic", (3,), 0), ("centroid", (), 2), ("knn", (1,), 0)],
)
def test_malformed_model_specs_are_refused(kind, hidden, depth):
    with pytest.raises(ValueError):
        ModelSpec(kind, hidden=hidden, depth=depth)


def test_every_committed_cell_keeps_its_key():
    files = sorted(RESULTS.glob("*/cells/*.json"))
    assert files, "no committed results found"
    for path in files:
        document = json.loads(path.read_text())
        spec = spec_from_dict(document["kind"], document["spec"])
        assert spec.to_dict() == document["spec"], path
        assert spec.key() == document["key"] == path.stem, path


def test_paper_model_labels_and_inputs_are_unchanged():
    from qmlr.engine.runner import build_model, model_inputs

    assert ModelSpec("mlp", hidden=(16, 4)).label == "MLP [16, 4]"
    assert ModelSpec("qnn", depth=6).label == "QNN depth 6"
    x = np.array([[1 + 2j, 3j]])
    np.testing.assert_array_equal(model_inputs(x, ModelSpec("qnn", depth=1)).numpy(), x)
    assert model_inputs(x, ModelSpec("qnn", depth=1)).dtype == torch.complex64
    np.testing.assert_array_equal(
        model_inputs(x, ModelSpec("mlp", hidden=(2,), precision="double")).numpy(),
        [[1.0, 0.0, 2.0, 3.0]],
    )
    net = build_model(ModelSpec("qnn", depth=4), DataSpec("xxz"), 4096, [0, 1])
    assert get_kind("qnn").n_params(net) == [192, 192]


@pytest.mark.parametrize("kind", CONTROL_KINDS)
def test_controls_fit_to_logits_of_every_member(kind):
    net, history = fitted(kind)
    x, y, x_val, _ = toy_data()
    assert net(x_val).shape == (N_MEMBERS, len(x_val))
    assert net(x).shape == (N_MEMBERS, N)
    assert history.train_accuracy.shape == history.val_accuracy.shape == (N_MEMBERS,)
    assert np.all(history.val_accuracy > 0.6)  # the blobs are easy
    assert len(get_kind(kind).extra_metrics(net)) == N_MEMBERS


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("centroid", 0),
        ("logistic", D + 1),
        ("logistic-quadratic", D + 1),
        ("mlp-tanh", D * 5 + 5 + 5 * 3 + 3 + 3 + 1),
        ("mlp-early-stop", D * 5 + 5 + 5 * 3 + 3 + 3 + 1),
        ("mlp-weight-decay", D * 5 + 5 + 5 * 3 + 3 + 3 + 1),
        ("knn", 0),
    ],
)
def test_parameter_counts(kind, expected):
    net, _ = fitted(kind)
    assert get_kind(kind).n_params(net) == [expected] * N_MEMBERS
    assert [m["n_params"] for m in get_kind(kind).extra_metrics(net)] == [expected] * N_MEMBERS


def test_small_mlp_matches_the_qnn_parameter_count_on_reduced_inputs():
    assert matched_width(240) == (20,) and matched_width(192) == (16,)
    for qnn, hidden in ((240, 20), (192, 16)):
        assert abs(hidden * (PCA_COMPONENTS + 2) + 1 - qnn) <= PCA_COMPONENTS
    x, y, x_val, y_val = toy_data()
    data = (torch.randn(N_MEMBERS, N, 3 * PCA_COMPONENTS), y, torch.randn(30, 30), y_val)
    net, _ = fitted("mlp-small", data=data)
    assert get_kind("mlp-small").n_params(net) == [PCA_COMPONENTS * 4 + 4 + 4 + 1] * N_MEMBERS
    assert net.directions.shape == (N_MEMBERS, 3 * PCA_COMPONENTS, PCA_COMPONENTS)


def test_pca_map_is_scikit_learns_pca_up_to_sign():
    from sklearn.decomposition import PCA

    x = np.random.default_rng(0).normal(size=(50, 12)) * np.arange(1, 13)
    mean, v = pca_map(x, 4)
    reference = PCA(n_components=4, svd_solver="full").fit(x)
    np.testing.assert_allclose(mean, reference.mean_)
    np.testing.assert_allclose(np.abs(v.T @ reference.components_.T), np.eye(4), atol=1e-8)


def test_centroid_is_scikit_learns_nearest_centroid():
    from sklearn.neighbors import NearestCentroid

    x, y, x_val, _ = toy_data()
    net, _ = fitted("centroid")
    for e in range(N_MEMBERS):
        reference = NearestCentroid().fit(x[e].numpy(), y[e].numpy()).predict(x_val.numpy())
        np.testing.assert_array_equal((net(x_val)[e] > 0).long().numpy(), reference)
        means = [x[e][y[e] == c].numpy().mean(axis=0) for c in (0, 1)]
        np.testing.assert_allclose(net.centroids[e].numpy(), means, rtol=1e-6)


@pytest.mark.parametrize("kind, estimator", [("svc-rbf", "SVC"), ("knn", "KNeighborsClassifier")])
def test_sklearn_adapter_predicts_as_the_estimator(kind, estimator):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    cls = {"SVC": SVC, "KNeighborsClassifier": KNeighborsClassifier}[estimator]
    x, y, x_val, _ = toy_data()
    net, _ = fitted(kind)
    for e in range(N_MEMBERS):
        ref = cls(**get_kind(kind).params).fit(x[e].double().numpy(), y[e].numpy())
        np.testing.assert_array_equal(
            (net(x_val)[e] > 0).long().numpy(), ref.predict(x_val.double().numpy())
        )
    if kind == "svc-rbf":
        assert get_kind(kind).n_params(net) == [est.dual_coef_.size + 1 for est in net.estimators]


def test_logistic_quadratic_reads_squared_moduli():
    x = np.array([[0.6 + 0.0j, 0.0 - 0.8j], [1j, 0.0]])
    features = get_kind("logistic-quadratic").inputs(x, ModelSpec("logistic-quadratic"))
    np.testing.assert_allclose(features.numpy(), [[0.36, 0.64], [1.0, 0.0]], rtol=1e-6)
    # phase invariant: a global phase changes nothing
    rotated = get_kind("logistic-quadratic").inputs(
        x * np.exp(0.7j), ModelSpec("logistic-quadratic")
    )
    np.testing.assert_allclose(rotated.numpy(), features.numpy(), rtol=1e-6)


def test_bounded_mlp_logit_is_five_tanh_of_the_mlp():
    net = BoundedMLP(D, (5, 3), seeds=(0, 1))
    x = 100 * torch.randn(7, D)
    np.testing.assert_allclose(
        net(x).detach().numpy(), (LOGIT_SCALE * torch.tanh(net.mlp(x))).detach().numpy()
    )
    assert float(net(x).detach().abs().max()) <= LOGIT_SCALE


@pytest.mark.parametrize("kind", ["logistic", "mlp-tanh", "mlp-early-stop", "mlp-small"])
def test_gradient_controls_are_deterministic_under_their_seeds(kind):
    x, _, x_val, _ = toy_data()
    a, b, c = fitted(kind), fitted(kind), fitted(kind, seeds=(5, 6))
    np.testing.assert_array_equal(a[0](x_val).detach().numpy(), b[0](x_val).detach().numpy())
    assert not np.array_equal(a[0](x_val).detach().numpy(), c[0](x_val).detach().numpy())


def test_holdout_split_is_seeded_and_disjoint():
    keep, hold = holdout_split(82, seed=7)
    assert len(hold) == round(EARLY_STOP_FRACTION * 82) and len(keep) + len(hold) == 82
    assert not set(keep) & set(hold)
    np.testing.assert_array_equal(holdout_split(82, seed=7)[1], hold)
    assert not np.array_equal(holdout_split(82, seed=8)[1], hold)


def test_early_stopping_keeps_an_epoch_of_the_run():
    net, _ = fitted("mlp-early-stop")
    epochs = [m["early_stop_epoch"] for m in get_kind("mlp-early-stop").extra_metrics(net)]
    assert all(1 <= e <= CONFIG.epochs for e in epochs)


def test_adam_weight_decay_pulls_weights_to_zero_without_a_loss_gradient():
    from qmlr.core.train import adam

    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = adam([p], lr=0.1, weight_decay=1e-3)
    p.grad = torch.zeros(2)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9], rtol=1e-5)


def test_weight_decay_kind_trains_with_its_stated_penalty(monkeypatch):
    from qmlr.core.models import base, defended

    seen = {}
    real_fit = base.fit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(base, "fit", spy)
    fitted("mlp-weight-decay")
    assert seen["weight_decay"] == defended.WEIGHT_DECAY > 0
