"""The QNN without entangling gates: a product circuit, with the QNN's interface."""

from __future__ import annotations

import torch

from qmlr.core.models import get_kind
from qmlr.core.models.qnn_separable import SeparableQNN
from qmlr.core.qnn import QNN, evolve
from qmlr.engine.specs import DataSpec, ModelSpec


def product_state() -> torch.Tensor:
    a = torch.tensor([0.6, 0.8j], dtype=torch.complex128)
    b = torch.tensor([1.0, 1.0], dtype=torch.complex128) / 2**0.5
    c = torch.tensor([0.28, 0.96], dtype=torch.complex128)
    return torch.kron(torch.kron(a, b), c)


def schmidt_values(model: QNN, theta: torch.Tensor) -> torch.Tensor:
    out = evolve(theta, product_state()[None, None])[0, 0]
    return torch.linalg.svdvals(out.reshape(2, 4))


def test_product_input_stays_a_product_state():
    separable = SeparableQNN(3, 3, seeds=(0,), dtype=torch.complex128)
    entangling = QNN(3, 3, seeds=(0,), dtype=torch.complex128)
    with torch.no_grad():
        separable.theta.uniform_(0, 6.28)
        entangling.theta.copy_(separable.theta)
    assert schmidt_values(separable, separable.masked_theta())[1] < 1e-12
    assert schmidt_values(entangling, entangling.theta)[1] > 1e-3


def test_rzz_angles_get_no_gradient_and_are_not_counted():
    net = get_kind("qnn-separable").build(
        ModelSpec("qnn-separable", depth=2, scale=25.0), DataSpec("mnist"), 1024, [0, 1]
    )
    assert net.scale == 25.0 and net.theta.shape == (2, 2, 10, 4)
    x = torch.randn(4, 1024, dtype=torch.complex64)
    net(x / x.norm(dim=1, keepdim=True)).sum().backward()
    assert net.theta.grad[..., 3].abs().max() == 0
    assert get_kind("qnn-separable").n_params(net) == [2 * 10 * 3] * 2
