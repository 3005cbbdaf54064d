"""The circuit-free QNN: a quadratic form ``ψ ↦ s ψ†Mψ`` with ``‖M‖₂ ≤ 1`` (``quadratic-form``).

Every QNN of the paper computes ``s ⟨ψ|U†ZU|ψ⟩``, a quadratic form of a Hermitian ``M = U†ZU``
of operator norm 1. This model drops the circuit and trains ``M`` itself, over all Hermitian
matrices of norm at most 1: the QNN's function class with a universal circuit (and more, since
``M`` need not have eigenvalues ±1) — a "dequantized" QNN with the same Lipschitz constant,
``|f(ψ₁) − f(ψ₂)| ≤ 2s min_φ ‖ψ₁ − e^{iφ}ψ₂‖``.

Only ``M`` on the span ``S`` of the dataset's (clean training and validation) states matters
there: with ``Q`` an orthonormal basis of ``S``, ``M = Q K Q†`` gives ``ψ†Mψ = c†Kc`` for
``c = Q†ψ`` and ``‖M‖₂ = ‖K‖₂``, and any ``M`` acts on ``S`` as its compression ``Q†MQ``, of no
larger norm. So the model trains a ``k × k`` Hermitian ``K`` (``k = dim S``), exactly the same
function class on the data at a fraction of the cost. The norm bound holds by construction:
``K = H / max(1, ‖H‖₂)`` with ``H = (A + A†)/2`` and ``‖H‖₂`` its exact largest absolute
eigenvalue. ``K`` starts at the compression of the QNN's initial observable ``Z_{L-1}`` plus a
small seeded perturbation.

Example:
    >>> import torch
    >>> basis = torch.eye(4, dtype=torch.complex64)[:, :3]
    >>> net = QuadraticForm(basis, seeds=(0, 1), scale=5.0)
    >>> net(torch.eye(4, dtype=torch.complex64)).shape
    torch.Size([2, 4])
    >>> bool(net.operator_norms().max() <= 1 + 1e-6)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from qmlr.core.data import N_QUBITS, load_dataset
from qmlr.core.kinds import QuadraticFormDescription, logit_scale
from qmlr.core.models.base import Ensemble, ModelKind, complex_dtype
from qmlr.core.qnn import INIT_STD

#: Relative singular-value cut of the data span's basis (float64 SVD).
SPAN_TOLERANCE = 1e-10


def span_basis(states: np.ndarray, tol: float = SPAN_TOLERANCE) -> np.ndarray:
    """An orthonormal basis of the span of ``states`` (rows), as columns.

    :param states: ``(n, D)`` complex or real vectors.
    :param tol: singular values below ``tol`` × the largest are dropped.
    :return: ``(D, k)`` complex128 with orthonormal columns, ``k`` the numerical rank.

    Example:
        >>> span_basis(np.array([[1.0, 0, 0], [2.0, 0, 0], [0, 1.0, 0]])).shape
        (3, 2)
    """
    x = np.asarray(states)
    x = x.astype(np.complex128) if np.iscomplexobj(x) else x.astype(np.float64)  # real: 4× faster
    _, sv, vh = np.linalg.svd(x, full_matrices=False)
    rank = int(np.sum(sv > tol * sv[0]))
    return vh[:rank].T.astype(np.complex128)


@lru_cache(maxsize=4)
def data_span(name: str, options: tuple[tuple[str, Any], ...]) -> np.ndarray:
    """:func:`span_basis` of a dataset's clean training and validation states (cached per
    process: every quadratic-form ensemble on the same data shares it).

    :param name: the dataset; ``options``: its loader options as sorted items.
    :return: ``(D, k)`` basis.
    """
    kwargs = dict(options)
    states = np.concatenate([load_dataset(name, split, **kwargs).x for split in ("train", "val")])
    return span_basis(states)


def readout_sign(n_qubits: int) -> np.ndarray:
    """The diagonal of ``Z`` on qubit ``L-1`` (the least significant bit of the index).

    Example:
        >>> readout_sign(2).tolist()
        [1.0, -1.0, 1.0, -1.0]
    """
    return 1.0 - 2.0 * (np.arange(2**n_qubits) % 2)


class QuadraticForm(torch.nn.Module):
    """An ensemble of quadratic forms ``s c†Kc`` on the coordinates ``c = Q†ψ``.

    :param basis: ``Q``, ``(D, k)`` with orthonormal columns.
    :param seeds: one seed per member (its initial perturbation).
    :param scale: the logit scale ``s``.
    :param start: the initial ``K`` before perturbation, ``(k, k)`` Hermitian (default 0).
    """

    def __init__(
        self,
        basis: torch.Tensor,
        seeds: Sequence[int],
        scale: float,
        start: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        if not scale > 0:
            raise ValueError(f"the logit scale must be positive, got {scale!r}")
        self.register_buffer("basis", basis)
        k = int(basis.shape[1])
        start = torch.zeros(k, k, dtype=torch.complex128) if start is None else start
        members = []
        start = torch.view_as_real(start.to(torch.complex128)).movedim(-1, 0)
        for seed in seeds:
            gen = torch.Generator().manual_seed(int(seed))
            noise = torch.randn(2, k, k, generator=gen, dtype=torch.float64) * INIT_STD
            members.append(start + noise)
        real = torch.float64 if basis.dtype == torch.complex128 else torch.float32
        #: ``A`` of every member as real and imaginary parts, ``(E, 2, k, k)`` (a real
        #: parameter: the optimizer treats both parts alike).
        self.a = torch.nn.Parameter(torch.stack(members).to(real))
        self.n_members = len(members)
        self.scale = float(scale)

    def operator(self) -> torch.Tensor:
        """``K`` of every member, ``(E, k, k)`` Hermitian with ``‖K‖₂ ≤ 1``."""
        a = torch.complex(self.a[:, 0], self.a[:, 1])
        h = 0.5 * (a + a.mH)
        norm = torch.linalg.eigvalsh(h).abs().amax(dim=-1)
        return h / norm.clamp_min(1.0)[:, None, None]

    def operator_norms(self) -> torch.Tensor:
        """``‖K‖₂`` of every member (exact)."""
        with torch.no_grad():
            return torch.linalg.eigvalsh(self.operator()).abs().amax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)`` of unit states ``(E, B, D)`` or ``(B, D)``."""
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        c = x.to(self.basis.dtype) @ self.basis.conj()
        k_op = self.operator()
        return self.scale * ((c.conj() @ k_op) * c).sum(dim=-1).real


class QuadraticFormKind(QuadraticFormDescription, ModelKind):
    """``quadratic-form``: ``ψ ↦ s ψ†Mψ`` with ``‖M‖₂ ≤ 1`` on the amplitudes, trained with the
    QNN's settings."""

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        """The amplitudes themselves, as complex numbers (as the QNN reads them)."""
        return torch.as_tensor(x).to(complex_dtype(model))

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        basis = data_span(data.name, tuple(sorted(data.loader_options().items())))
        if basis.shape[0] != in_features:
            raise ValueError(f"inputs have {in_features} amplitudes, the data {basis.shape[0]}")
        z = readout_sign(N_QUBITS[data.name])
        start = torch.as_tensor((basis.conj().T * z) @ basis)
        return QuadraticForm(
            torch.as_tensor(basis).to(complex_dtype(model)), seeds, logit_scale(model), start
        )

    def n_params(self, ensemble: Ensemble) -> list[int]:
        """Real parameters of a ``k × k`` Hermitian matrix: ``k²`` per member."""
        k = int(ensemble.basis.shape[1])  # type: ignore[union-attr]
        return [k * k] * int(ensemble.n_members)  # type: ignore[union-attr]
