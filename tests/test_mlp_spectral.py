"""The spectrally normalized MLP: shapes, the Lipschitz bound, the kind and its spec."""

from __future__ import annotations

import pytest
import torch

from qmlr.core.models import get_kind
from qmlr.core.models.mlp_spectral import SpectralMLP, spectral_norms
from qmlr.engine.specs import DataSpec, ModelSpec


def test_spectral_norms_are_the_largest_singular_values():
    w = torch.randn(3, 7, 4, dtype=torch.float64)
    expected = torch.linalg.matrix_norm(w, ord=2)
    torch.testing.assert_close(spectral_norms(w), expected)


def test_lipschitz_bound_holds_for_large_weights():
    net = SpectralMLP(6, (8, 5), seeds=(0, 1), lipschitz=10.0, dtype=torch.float64)
    with torch.no_grad():
        for w in net.mlp.weights:
            w.mul_(50.0)
    x = torch.randn(60, 6, dtype=torch.float64)
    z = net(x)
    assert z.shape == (2, 60)
    ratio = (z[:, :, None] - z[:, None, :]).abs() / torch.cdist(x, x).clamp_min(1e-12)[None]
    assert ratio.max() <= 10.0 + 1e-9
    assert all(spectral_norms(w).max() <= 1 + 1e-9 for w in net.normalized_weights())


def test_kind_takes_its_lipschitz_constant_from_the_scale():
    model = ModelSpec("mlp-spectral", hidden=(4,), scale=50.0)
    net = get_kind("mlp-spectral").build(model, DataSpec("mnist"), 16, [0, 1])
    assert net.lipschitz == 100.0
    assert (
        get_kind("mlp-spectral")
        .build(ModelSpec("mlp-spectral", hidden=(4,)), None, 16, [0])
        .lipschitz
        == 10.0
    )
    assert model.label == "MLP [4], Lipschitz 100"
    with pytest.raises(ValueError, match="hidden"):
        ModelSpec("mlp-spectral")
