"""Tests for qmlr.core.mlp: the stacked ensemble equals plain torch models, initialization,
errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core.mlp import MLP, glorot_bound, init_weights, layer_sizes


def plain_models(model: MLP) -> list[torch.nn.Sequential]:
    """One ``nn.Sequential(Linear, ReLU, …, Linear)`` per member, loaded with its weights."""
    sizes = layer_sizes(model.in_features, model.hidden)
    out = []
    for e in range(model.n_members):
        layers: list[torch.nn.Module] = []
        for j, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            linear = torch.nn.Linear(fan_in, fan_out, dtype=model.dtype)
            with torch.no_grad():
                linear.weight.copy_(model.weights[j][e].T)
                linear.bias.copy_(model.biases[j][e])
            layers.append(linear)
            if j < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        out.append(torch.nn.Sequential(*layers))
    return out


def randomize_biases(model: MLP, seed: int) -> None:
    """Give the (zero-initialized) biases random values so the comparison exercises them."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for bias in model.biases:
            bias.copy_(0.3 * torch.randn(bias.shape, generator=gen, dtype=bias.dtype))


@pytest.mark.parametrize("hidden", [(16, 4), (8,), (5, 4, 3)])
def test_ensemble_equals_plain_sequential_models(hidden: tuple[int, ...]) -> None:
    model = MLP(20, hidden=hidden, seeds=(0, 5, 9), dtype=torch.float64)
    randomize_biases(model, seed=1)
    plain = plain_models(model)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(3, 7, 20, generator=gen, dtype=torch.float64)
    y = (torch.rand(3, 7, generator=gen) > 0.5).double()

    logits = model(x)
    assert logits.shape == (3, 7) and logits.dtype == torch.float64
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="sum")
    loss.backward()

    for e, net in enumerate(plain):
        ref = net(x[e]).squeeze(-1)
        np.testing.assert_allclose(logits[e].detach().numpy(), ref.detach().numpy(), atol=1e-13)
        ref_loss = torch.nn.functional.binary_cross_entropy_with_logits(ref, y[e], reduction="sum")
        ref_loss.backward()
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        for j, linear in enumerate(linears):
            np.testing.assert_allclose(
                model.weights[j].grad[e].numpy(), linear.weight.grad.T.numpy(), atol=1e-12
            )
            np.testing.assert_allclose(
                model.biases[j].grad[e].numpy(), linear.bias.grad.numpy(), atol=1e-12
            )


def test_shared_input_broadcasts_to_all_members() -> None:
    model = MLP(6, hidden=(4,), seeds=(1, 2), dtype=torch.float64)
    x = torch.randn(5, 6, dtype=torch.float64)
    np.testing.assert_allclose(
        model(x).detach().numpy(), model(x.expand(2, -1, -1)).detach().numpy()
    )
    assert not np.allclose(model(x)[0].detach().numpy(), model(x)[1].detach().numpy())


def test_glorot_bounds_and_zero_biases() -> None:
    model = MLP(1024, hidden=(16, 4), seeds=(0, 1, 2, 3))
    sizes = layer_sizes(1024, (16, 4))
    for j, weight in enumerate(model.weights):
        fan_in, fan_out = sizes[j], sizes[j + 1]
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        assert weight.shape == (4, fan_in, fan_out)
        w = weight.detach().numpy()
        assert np.abs(w).max() <= bound
        # uniform on (-a, a): fills the interval (the large first layer tests the variance too)
        assert np.abs(w).max() > 0.9 * bound
        if w.size > 1000:
            np.testing.assert_allclose(w.std(), bound / np.sqrt(3.0), rtol=0.02)
            assert abs(w.mean()) < 0.01 * bound
    for bias in model.biases:
        np.testing.assert_array_equal(bias.detach().numpy(), 0.0)
    assert glorot_bound(1024, 16) == pytest.approx(np.sqrt(6 / 1040))


def test_init_deterministic_and_independent_of_ensemble_position() -> None:
    alone = MLP(30, hidden=(8, 4), seeds=(7,), dtype=torch.float64)
    again = MLP(30, hidden=(8, 4), seeds=(7,), dtype=torch.float64)
    inside = MLP(30, hidden=(8, 4), seeds=(3, 4, 7), dtype=torch.float64)
    triples = zip(alone.weights, again.weights, inside.weights, strict=True)
    for w_alone, w_again, w_inside in triples:
        np.testing.assert_array_equal(w_alone.detach().numpy(), w_again.detach().numpy())
        np.testing.assert_array_equal(w_inside[2].detach().numpy(), w_alone[0].detach().numpy())
        assert not np.allclose(w_inside[0].detach().numpy(), w_inside[1].detach().numpy())
    # float32 init is the rounded float64 init
    low = MLP(30, hidden=(8, 4), seeds=(7,))
    for w_low, w_high in zip(low.weights, alone.weights, strict=True):
        assert w_low.dtype == torch.float32
        np.testing.assert_array_equal(w_low.detach().numpy(), w_high.float().detach().numpy())
    np.testing.assert_array_equal(
        init_weights(30, (8, 4), seed=7)[0].numpy(), alone.weights[0][0].detach().numpy()
    )


def test_parameter_count_of_16_4_on_1024_inputs() -> None:
    model = MLP(1024, hidden=(16, 4), seeds=(0, 1))
    expected = (1024 * 16 + 16) + (16 * 4 + 4) + (4 * 1 + 1)
    assert expected == 16473
    assert model.n_params_per_member == expected
    assert sum(p.numel() for p in model.parameters()) == 2 * expected


def test_dtype_of_outputs_and_input_cast() -> None:
    model = MLP(4, hidden=(3,))
    out = model(torch.ones(2, 4, dtype=torch.float64))
    assert out.dtype == torch.float32 and out.shape == (1, 2)


def test_bad_inputs_raise_value_error() -> None:
    model = MLP(4, hidden=(3,), seeds=(0, 1))
    with pytest.raises(ValueError, match="expects 4"):
        model(torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match="E=2"):
        model(torch.zeros(3, 5, 4))
    with pytest.raises(ValueError, match="shape"):
        model(torch.zeros(4))
    with pytest.raises(ValueError, match="real"):
        model(torch.zeros(2, 5, 4, dtype=torch.complex64))
    with pytest.raises(ValueError, match="seeds"):
        MLP(4, seeds=())
    with pytest.raises(ValueError, match="float32 or torch.float64"):
        MLP(4, dtype=torch.complex64)
    with pytest.raises(ValueError, match="positive"):
        MLP(4, hidden=(0,))
