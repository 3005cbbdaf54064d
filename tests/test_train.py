"""The training loop: determinism, ensemble = independent models, it actually learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core import train
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.core.train import TrainConfig, accuracy, fit, minibatch_orders


def separable(n_members: int, n: int = 40, d: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_members, n, d, generator=g, dtype=torch.float64)
    y = (x[..., 0] + 0.5 * x[..., 1] > 0).long()
    return x, y


def test_orders_are_permutations_and_seeded():
    orders = minibatch_orders(10, 3, seeds=[1, 2])
    assert orders.shape == (3, 2, 10)
    for epoch in orders:
        for member in epoch:
            assert sorted(member.tolist()) == list(range(10))
    np.testing.assert_array_equal(orders, minibatch_orders(10, 3, seeds=[1, 2]))
    assert not torch.equal(orders[:, 0], orders[:, 1])


def test_same_seed_gives_identical_results():
    x, y = separable(2)
    cfg = TrainConfig(epochs=5, batch_size=8, lr=0.01)
    runs = []
    for _ in range(2):
        model = MLP(6, (8, 4), seeds=(3, 4), dtype=torch.float64)
        hist = fit(model, x, y, cfg, seeds=(5, 6))
        runs.append((hist, [p.detach().clone() for p in model.parameters()]))
    np.testing.assert_array_equal(runs[0][0].train_loss, runs[1][0].train_loss)
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("kind", ["mlp", "qnn"])
def test_ensemble_member_trains_exactly_like_a_model_alone(kind):
    """Batching E models into one ensemble must not couple them (Adam is element-wise)."""
    if kind == "mlp":
        x, y = separable(3)
        make = lambda seeds: MLP(6, (8, 4), seeds=seeds, dtype=torch.float64)  # noqa: E731
    else:
        g = torch.Generator().manual_seed(1)
        x = torch.randn(3, 24, 2**4, generator=g, dtype=torch.complex128)
        x = x / x.abs().pow(2).sum(-1, keepdim=True).sqrt()
        y = (x[..., 0].abs() > x[..., 1].abs()).long()
        make = lambda seeds: QNN(4, 2, seeds=seeds, dtype=torch.complex128)  # noqa: E731
    cfg = TrainConfig(epochs=4, batch_size=7, lr=0.05)
    together = make((10, 11, 12))
    hist = fit(together, x, y, cfg, seeds=(20, 21, 22))
    alone = make((11,))
    hist_alone = fit(alone, x[1:2], y[1:2], cfg, seeds=(21,))
    # Forward passes agree bit for bit; batched backward reductions differ by ~1e-17, which
    # Adam's normalisation m / sqrt(v) amplifies on near-zero gradients, hence the tolerance.
    np.testing.assert_allclose(hist.train_loss[1], hist_alone.train_loss[0], rtol=1e-7)
    for p_together, p_alone in zip(together.parameters(), alone.parameters(), strict=True):
        torch.testing.assert_close(p_together[1:2], p_alone, rtol=1e-5, atol=1e-7)


def test_mlp_learns_a_separable_problem():
    x, y = separable(1, n=200, seed=3)
    model = MLP(6, (16, 4), seeds=(0,), dtype=torch.float64)
    hist = fit(
        model,
        x,
        y,
        TrainConfig(epochs=60, batch_size=32, lr=0.01),
        seeds=(0,),
        x_val=x[0],
        y_val=y[0],
    )
    assert hist.train_accuracy[0] > 0.95
    assert hist.val_accuracy[0] == hist.train_accuracy[0]
    assert hist.train_loss[0, -1] < hist.train_loss[0, 0]
    assert hist.train_accuracy.dtype == np.float64


def test_accuracy_is_fraction_of_positive_logit_matches():
    class Fixed(torch.nn.Module):
        def forward(self, x):
            return x[..., 0]

    x = torch.tensor([[[1.0], [-1.0], [2.0], [-0.5]]])
    y = torch.tensor([[1, 1, 1, 0]])
    np.testing.assert_allclose(accuracy(Fixed(), x, y), [0.75])


def test_bad_shapes_and_configs_are_refused():
    x, y = separable(2)
    model = MLP(6, (4,), seeds=(0, 1))
    with pytest.raises(ValueError, match="seeds"):
        fit(model, x.float(), y, TrainConfig(1, 4, 0.1), seeds=(0,))
    with pytest.raises(ValueError, match="expected x"):
        fit(model, x[0].float(), y, TrainConfig(1, 4, 0.1), seeds=(0, 1))
    with pytest.raises(ValueError):
        TrainConfig(epochs=1, batch_size=0, lr=0.1)
    with pytest.raises(ValueError):
        TrainConfig(epochs=1, batch_size=4, lr=0.0)


def test_fused_adam_follows_torch_default_adam() -> None:
    """The fused optimizer of :func:`fit` takes the same steps as torch's default Adam loop."""
    torch.manual_seed(0)
    target = torch.randn(50, dtype=torch.float64)
    paths = []
    for make in (lambda p: train.adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05)):
        param = torch.nn.Parameter(torch.zeros(50, dtype=torch.float64))
        optimizer = make([param])
        for _ in range(30):
            optimizer.zero_grad()
            ((param - target) ** 4).sum().backward()
            optimizer.step()
        paths.append(param.detach().clone())
    np.testing.assert_allclose(paths[0].numpy(), paths[1].numpy(), rtol=1e-12, atol=1e-14)
    assert torch.linalg.norm(paths[0]) > 0.5  # the parameters moved
