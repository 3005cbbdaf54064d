"""The authors' Hessian QNN: RX and RY layers with a CNOT ring (their research code's circuit).

Each of ``depth`` layers applies ``RX(θ[l, q, 0])`` then ``RY(θ[l, q, 1])`` on every qubit ``q``,
then ``CNOT(q, q+1 mod L)`` for ``q = 0 … L−1`` in order; the readout is ``<Z_{L−1}>`` and the
logit ``5 <Z_{L−1}>``, with amplitude encoding and ``N(0, 0.01²)`` initialisation as in
:mod:`qmlr.core.qnn`. The gates come from :mod:`qmlr.core.gates`.

Two implementations: the fast path :func:`rxry_expectation` (dense batched statevector, also for
complex angles), and the definition :func:`rxry_reference_expectation`, built gate by gate with
tensorcircuit-ng. In the curvature study the ``authors-code`` configuration's ``qnn`` specs
build this kind (:class:`RxRyKind`, name ``qnn-rxry``).

Example:
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> kind = get_kind("qnn-rxry")
    >>> net = kind.build(ModelSpec("qnn-rxry", depth=5), DataSpec("mnist"), 1024, [0])
    >>> kind.n_params(net)
    [100]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qmlr.core.gates import kron_chain, rotation
from qmlr.core.kinds import RxRyDescription
from qmlr.core.models.base import ModelKind, complex_dtype
from qmlr.core.qnn import INIT_STD, LOGIT_SCALE, tc_torch_backend


@functools.lru_cache(maxsize=16)
def cnot_ring_permutation(n_qubits: int) -> torch.Tensor:
    """Basis permutation of ``CNOT(0,1) CNOT(1,2) … CNOT(L−1,0)`` (applied in this order).

    The ring maps basis state ``k`` to ``f(k)``; the returned index ``g = f⁻¹`` satisfies
    ``ψ_out = ψ_in[..., g]``. Qubit 0 is the most significant bit.

    :param n_qubits: ``L`` (at least 2).
    :return: int64 tensor of shape ``(2**L,)``.

    Example:
        >>> cnot_ring_permutation(2).tolist()  # CNOT(0,1) then CNOT(1,0)
        [0, 2, 3, 1]
    """
    if n_qubits < 2:
        raise ValueError(f"a CNOT ring needs at least 2 qubits, got {n_qubits}")
    with torch.inference_mode(False), torch.no_grad():
        k = torch.arange(2**n_qubits)
        shifts = torch.arange(n_qubits - 1, -1, -1)
        bits = (k[:, None] >> shifts) & 1  # (2**L, L), column q = qubit q
        for q in range(n_qubits):
            t = (q + 1) % n_qubits
            bits[:, t] ^= bits[:, q]
        image = (bits << shifts).sum(dim=1)
        inverse = torch.empty_like(image)
        inverse[image] = k
    return inverse


def _complex_of(params: torch.Tensor) -> torch.dtype:
    """complex128 for float64 or complex128 angles, complex64 otherwise."""
    double = params.dtype in (torch.float64, torch.complex128)
    return torch.complex128 if double else torch.complex64


def rxry_expectation(params: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """``<Z_{L−1}> = ψᴴ Z_{L−1} ψ`` of the RX–RY–CNOT-ring circuit (batched, autograd-ready).

    The one-qubit gates of a layer are fused into two Kronecker factors (high and low qubits)
    applied as matrix products; the CNOT ring is one basis permutation. Complex angles continue
    every gate analytically (the circuit is then not unitary and ψ not normalised); the readout
    stays ``Σ |ψ_k|² z_k``, real, as a statevector simulator computes it.

    :param params: angles ``(E, depth, L, 2)``, real or complex.
    :param states: amplitudes ``(E, B, 2**L)`` (real inputs are cast to complex of the params'
        precision).
    :return: real tensor ``(E, B)``.

    Example:
        >>> params = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
        >>> states = torch.eye(4, dtype=torch.complex128)[None]
        >>> rxry_expectation(params, states).tolist()  # |10> → CNOT(0,1) → |11> → CNOT(1,0) → |01>
        [[1.0, -1.0, -1.0, 1.0]]
    """
    if params.ndim != 4 or params.shape[-1] != 2:
        raise ValueError(f"params must have shape (E, depth, L, 2), got {tuple(params.shape)}")
    n_ens, depth, n_qubits, _ = params.shape
    if states.ndim != 3 or states.shape[0] != n_ens or states.shape[-1] != 2**n_qubits:
        raise ValueError(
            f"states must have shape ({n_ens}, B, {2**n_qubits}), got {tuple(states.shape)}"
        )
    if not states.is_complex():
        states = states.to(_complex_of(params))
    cdtype = states.dtype
    high = (n_qubits + 1) // 2
    da, db = 2**high, 2 ** (n_qubits - high)
    perm = cnot_ring_permutation(n_qubits).to(states.device)
    psi = states
    n_batch = states.shape[1]
    for layer in range(depth):
        theta = params[:, layer]
        units = rotation(theta[..., 1], "y", cdtype) @ rotation(theta[..., 0], "x", cdtype)
        fac_a, fac_b = kron_chain(units[:, :high]), kron_chain(units[:, high:])
        blocked = psi.reshape(n_ens, n_batch, da, db)
        blocked = torch.einsum("eij,ebjk,elk->ebil", fac_a, blocked, fac_b)
        psi = blocked.reshape(n_ens, n_batch, da * db)[..., perm]
    probs = psi.real.square() + psi.imag.square()
    z_last = 1.0 - 2.0 * (torch.arange(2**n_qubits, device=states.device) & 1).to(probs.dtype)
    return probs @ z_last


def rxry_reference_expectation(params: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """The same circuit built gate by gate with tensorcircuit-ng (torch backend): the definition.

    :param params: angles ``(depth, L, 2)`` (float64 for complex128 simulation).
    :param state: amplitudes ``(2**L,)``.
    :return: the real scalar ``<Z_{L−1}>``.
    """
    import tensorcircuit as tc

    depth, n_qubits, _ = params.shape
    cdtype = state.dtype if state.is_complex() else torch.complex128
    params = params.to(torch.float64 if cdtype == torch.complex128 else torch.float32)
    with tc_torch_backend(cdtype):
        circuit = tc.Circuit(n_qubits, inputs=state.to(cdtype))
        for layer in range(depth):
            for q in range(n_qubits):
                circuit.rx(q, theta=params[layer, q, 0])
                circuit.ry(q, theta=params[layer, q, 1])
            for q in range(n_qubits):
                circuit.cnot(q, (q + 1) % n_qubits)
        value = circuit.expectation_ps(z=[n_qubits - 1])
    return torch.real(value)


class RxRyCnotQNN(torch.nn.Module):
    """An ensemble of the authors' Hessian QNNs (:func:`rxry_expectation`), logit ``5 <Z_{L−1}>``.

    :param n_qubits: ``L``.
    :param depth: layers.
    :param seeds: one seed per member.
    :param dtype: ``torch.complex64`` or ``torch.complex128``.

    Example:
        >>> model = RxRyCnotQNN(3, 2, seeds=(0, 1), dtype=torch.complex128)
        >>> model.theta.shape, model(torch.eye(8)[:5]).shape
        (torch.Size([2, 2, 3, 2]), torch.Size([2, 5]))
    """

    def __init__(
        self,
        n_qubits: int,
        depth: int,
        seeds: Sequence[int] = (0,),
        dtype: torch.dtype = torch.complex128,
    ) -> None:
        super().__init__()
        real = {torch.complex64: torch.float32, torch.complex128: torch.float64}
        if dtype not in real:
            raise ValueError(f"dtype must be torch.complex64 or torch.complex128, got {dtype}")
        if n_qubits < 2 or depth < 1 or not seeds:
            raise ValueError(
                f"need n_qubits >= 2, depth >= 1 and seeds; got {n_qubits}, {depth}, {seeds}"
            )
        self.n_qubits, self.depth, self.dtype = int(n_qubits), int(depth), dtype
        self.seeds = tuple(int(s) for s in seeds)
        init = [
            INIT_STD
            * torch.randn(
                depth, n_qubits, 2, generator=torch.Generator().manual_seed(s), dtype=torch.float64
            )
            for s in self.seeds
        ]
        self.theta = torch.nn.Parameter(torch.stack(init).to(real[dtype]))

    @property
    def n_members(self) -> int:
        """Ensemble size ``E``."""
        return len(self.seeds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)`` of inputs ``(E, B, 2**L)`` or ``(B, 2**L)``."""
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        if x.ndim != 3 or x.shape[0] != self.n_members or x.shape[-1] != 2**self.n_qubits:
            raise ValueError(
                f"inputs must have shape ({self.n_members}, B, {2**self.n_qubits}), "
                f"got {tuple(x.shape)}"
            )
        return LOGIT_SCALE * rxry_expectation(self.theta, x.to(self.dtype))


class RxRyKind(RxRyDescription, ModelKind):
    """``qnn-rxry``: :class:`RxRyCnotQNN` on the amplitudes, trained with the QNN's settings."""

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        """The amplitudes themselves, as complex numbers."""
        return torch.as_tensor(x).to(complex_dtype(model))

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        n_qubits = int(round(np.log2(in_features)))
        if 2**n_qubits != in_features:
            raise ValueError(f"amplitude encoding needs 2**L features, got {in_features}")
        return RxRyCnotQNN(n_qubits, model.depth, seeds=tuple(seeds), dtype=complex_dtype(model))
