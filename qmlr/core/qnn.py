"""The quantum neural network: an amplitude-encoded hardware-efficient ansatz.

The data vector (complex, unit norm, length ``2**L``) is the initial state of ``L`` qubits. Each of
``depth`` layers applies, on every qubit ``q``, ``RX(θ0) → RY(θ1) → RX(θ2)``, then
``RZZ(θ3)`` on the ring pairs ``(i, i+1 mod L)`` for ``i = 0 … L-1``, with

* ``RX(t) = exp(-i t X / 2)``, ``RY(t) = exp(-i t Y / 2)``, ``RZZ(t) = exp(-i t Z⊗Z / 2)``.

Parameters have shape ``(depth, L, 4)``: ``[:, q, 0:3]`` are the three rotation angles of qubit
``q``, ``[:, i, 3]`` is the RZZ angle on pair ``(i, i+1 mod L)``. The readout is
``m = <Z>`` on qubit ``L-1`` and the logit is ``5 m``. Qubit 0 is the most significant bit of the
amplitude index (tensorcircuit's convention).

Two implementations live here:

* the *reference* (the definition), :func:`reference_expectation`, built gate by gate with
  ``tensorcircuit.Circuit`` on tensorcircuit-ng's torch backend;
* the *fast path* used for training, :func:`expectation`, a batched torch statevector with a
  leading ensemble dimension ``E``: each layer's one-qubit gates are fused per qubit and
  Kronecker-multiplied into one dense factor per group of at most five qubits, applied as
  matrix products, and the RZZ ring is one diagonal phase; the last layer is cut to the
  readout's light cone.

:class:`QNN` wraps the fast path as a ``torch.nn.Module`` holding ``E`` independent models.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from qmlr.core.gates import kron_chain, rotation

# The logit is ``LOGIT_SCALE * <Z_{L-1}>``; it and the angles' initial spread ``INIT_STD`` live
# with the kinds' torch-free descriptions and are importable from here as before.
from qmlr.core.kinds import INIT_STD, LOGIT_SCALE
from qmlr.core.tc_state import tc_backend

_REAL_OF = {torch.complex64: torch.float32, torch.complex128: torch.float64}
_COMPLEX_OF = {torch.float32: torch.complex64, torch.float64: torch.complex128}


# --------------------------------------------------------------------------------------------
# tensorcircuit reference
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def tc_torch_backend(dtype: torch.dtype | str = torch.complex128) -> Iterator[object]:
    """Temporarily switch tensorcircuit-ng to the torch backend and a complex dtype.

    tensorcircuit's backend and dtype are process-global; this context manager sets them on entry
    and restores the previous backend (and tensornetwork's default backend) and dtype on every
    exit path, exceptions included.

    :param dtype: ``torch.complex64`` or ``torch.complex128`` (or ``"complex64"``/``"complex128"``).
    :return: a context manager yielding tensorcircuit's backend object.

    Example:
        >>> import tensorcircuit as tc
        >>> before = (tc.backend.name, tc.dtypestr)
        >>> with tc_torch_backend(torch.complex128) as K:
        ...     (K.name, tc.dtypestr)
        ('pytorch', 'complex128')
        >>> (tc.backend.name, tc.dtypestr) == before
        True
    """
    with tc_backend("pytorch", dtype) as backend:
        yield backend


def _reference_dtype(params: torch.Tensor, state: torch.Tensor) -> torch.dtype:
    """Complex dtype of a reference simulation: the state's if complex, else from the params."""
    if state.is_complex():
        return state.dtype
    return torch.complex128 if params.dtype == torch.float64 else torch.complex64


def _check_circuit_shapes(params: torch.Tensor, dim: int, what: str) -> tuple[int, int]:
    """Validate ``params (..., depth, L, 4)`` against a state length ``dim``; return (depth, L)."""
    if params.ndim < 3 or params.shape[-1] != 4:
        raise ValueError(
            f"params must have shape (..., depth, n_qubits, 4), got {tuple(params.shape)}"
        )
    if params.is_complex() or not params.is_floating_point():
        raise ValueError(f"params must be a real floating tensor, got dtype {params.dtype}")
    depth, n_qubits = int(params.shape[-3]), int(params.shape[-2])
    if n_qubits < 2:
        raise ValueError(f"the RZZ ring needs at least 2 qubits, got n_qubits={n_qubits}")
    if dim != 2**n_qubits:
        raise ValueError(
            f"{what} has length {dim} but params describe {n_qubits} qubits "
            f"(expected length 2**{n_qubits} = {2**n_qubits})"
        )
    return depth, n_qubits


def reference_circuit(params: Any, state: Any = None) -> Any:
    """The model's circuit, built gate by gate as a ``tensorcircuit.Circuit``: the definition.

    Per layer ``l``: ``RX(θ[l,q,0]) → RY(θ[l,q,1]) → RX(θ[l,q,2])`` on every qubit ``q``, then
    ``RZZ(θ[l,i,3])`` on the ring pairs ``(i, i+1 mod L)``. Runs on tensorcircuit's current
    backend (numpy by default; torch inside :func:`tc_torch_backend`).

    :param params: angles of shape ``(depth, L, 4)`` (a tensor or array of the backend).
    :param state: input amplitudes of length ``2**L`` (default ``|0…0⟩``).
    :return: the circuit.

    Example:
        >>> import numpy as np
        >>> len(reference_circuit(np.zeros((2, 3, 4))).to_qir())  # 2 layers x (3 x 3 + 3)
        24
    """
    import tensorcircuit as tc

    if len(params.shape) != 3 or params.shape[-1] != 4:
        raise ValueError(f"params must have shape (depth, n_qubits, 4), got {tuple(params.shape)}")
    depth, n_qubits = int(params.shape[0]), int(params.shape[1])
    if n_qubits < 2:
        raise ValueError(f"the RZZ ring needs at least 2 qubits, got n_qubits={n_qubits}")
    circuit = tc.Circuit(n_qubits) if state is None else tc.Circuit(n_qubits, inputs=state)
    for layer in range(depth):
        for q in range(n_qubits):
            circuit.rx(q, theta=params[layer, q, 0])
            circuit.ry(q, theta=params[layer, q, 1])
            circuit.rx(q, theta=params[layer, q, 2])
        for i in range(n_qubits):
            circuit.rzz(i, (i + 1) % n_qubits, theta=params[layer, i, 3])
    return circuit


def reference_expectation(params: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """``<Z_{L-1}>`` of the circuit, built gate by gate with tensorcircuit-ng (torch backend).

    This is the definition of the model; it is differentiable with torch autograd.

    :param params: angles of shape ``(depth, L, 4)``.
    :param state: input amplitudes of shape ``(2**L,)`` (unit norm; complex or real).
    :return: the real scalar ``m``.

    Example:
        >>> params = torch.zeros(1, 2, 4, dtype=torch.float64)
        >>> state = torch.tensor([0, 1, 0, 0], dtype=torch.complex128)  # |01>
        >>> float(reference_expectation(params, state))
        -1.0
    """
    if state.ndim != 1:
        raise ValueError(f"state must have shape (2**L,), got {tuple(state.shape)}")
    depth, n_qubits = _check_circuit_shapes(params, int(state.shape[0]), "state")
    if params.ndim != 3:
        raise ValueError(f"params must have shape (depth, L, 4), got {tuple(params.shape)}")
    cdtype = _reference_dtype(params, state)
    # Angles must reach tc as tensors of the right precision: on the torch backend a Python
    # float is turned into a float32 tensor first, even under complex128.
    params = params.to(_REAL_OF[cdtype])
    with tc_torch_backend(cdtype):
        value = reference_circuit(params, state.to(cdtype)).expectation_ps(z=[n_qubits - 1])
    return torch.real(value)


def reference_expectations(
    params: torch.Tensor, states: torch.Tensor, method: str = "vmap"
) -> torch.Tensor:
    """:func:`reference_expectation` over a batch of input states.

    :param params: angles of shape ``(depth, L, 4)``.
    :param states: input amplitudes of shape ``(B, 2**L)``.
    :param method: ``"vmap"`` (``torch.func.vmap`` over the batch) or ``"loop"``.
    :return: real tensor of shape ``(B,)``.

    Example:
        >>> params = torch.zeros(1, 2, 4, dtype=torch.float64)
        >>> states = torch.eye(4, dtype=torch.complex128)
        >>> reference_expectations(params, states, method="loop").tolist()
        [1.0, -1.0, 1.0, -1.0]
    """
    if states.ndim != 2:
        raise ValueError(f"states must have shape (B, 2**L), got {tuple(states.shape)}")
    if method == "vmap":
        return torch.func.vmap(lambda s: reference_expectation(params, s))(states)
    if method == "loop":
        return torch.stack([reference_expectation(params, s) for s in states])
    raise ValueError(f"method must be 'vmap' or 'loop', got {method!r}")


# --------------------------------------------------------------------------------------------
# fast path
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _sign_tables(
    n_qubits: int, device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached ``(z, zz)``: ``z[i, k]`` = ±1 Z eigenvalue of qubit i at index k; ``zz`` = ring."""
    # Built outside inference mode so cached tables can later be saved for backward.
    with torch.inference_mode(False), torch.no_grad():
        k = torch.arange(2**n_qubits, device=device)
        shifts = torch.arange(n_qubits - 1, -1, -1, device=device)  # qubit 0 is the MSB
        bits = (k[None, :] >> shifts[:, None]) & 1
        z = (1 - 2 * bits).to(dtype)
        zz = z * torch.roll(z, shifts=-1, dims=0)  # row i: s_i s_{i+1 mod L}
    return z, zz


def z_signs(
    n_qubits: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """Table of Z eigenvalues: ``out[i, k] = +1`` if qubit ``i`` is 0 in basis index ``k``, else -1.

    Qubit 0 is the most significant bit of ``k``. Tables are cached per (L, device, dtype).

    :param n_qubits: number of qubits ``L``.
    :param device: torch device.
    :param dtype: real dtype of the table.
    :return: tensor of shape ``(L, 2**L)``.

    Example:
        >>> z_signs(2).tolist()
        [[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0]]
    """
    return _sign_tables(n_qubits, torch.device(device), dtype)[0]


def fused_rotations(angles: torch.Tensor, cdtype: torch.dtype = torch.complex128) -> torch.Tensor:
    """Fused one-qubit unitaries ``RX(θ2) RY(θ1) RX(θ0)`` (θ0 acts first).

    :param angles: real tensor of shape ``(..., 3)`` holding ``(θ0, θ1, θ2)``.
    :param cdtype: complex dtype of the result.
    :return: complex tensor of shape ``(..., 2, 2)``.

    Example:
        >>> u = fused_rotations(torch.tensor([torch.pi, 0.0, 0.0], dtype=torch.float64))
        >>> torch.allclose(u, torch.tensor([[0, -1j], [-1j, 0]], dtype=torch.complex128))
        True
    """
    if angles.shape[-1:] != (3,):
        raise ValueError(f"angles must have shape (..., 3), got {tuple(angles.shape)}")
    angles = angles.to(_REAL_OF[cdtype])
    rx0 = rotation(angles[..., 0], "x", cdtype)
    ry1 = rotation(angles[..., 1], "y", cdtype)
    rx2 = rotation(angles[..., 2], "x", cdtype)
    return rx2 @ ry1 @ rx0


GROUP_QUBITS = 5
"""Largest number of qubits whose fused one-qubit gates are applied as one dense matrix.

A layer's one-qubit gates on ``g`` qubits form a ``2**g × 2**g`` Kronecker factor; applying it
costs ``2**g`` multiply-adds per amplitude, in one efficient matrix product. Groups of at most
five qubits (12 qubits: three 16 × 16 factors; 10 qubits: two 32 × 32 factors) train 1.2×
faster than two 64 × 64 factors at 12 qubits (``benchmarks/bench_training.py``)."""


def qubit_groups(n_qubits: int) -> tuple[int, ...]:
    """Sizes of the consecutive qubit groups whose gates are fused, most significant first.

    :param n_qubits: number of qubits ``L``.
    :return: near-equal group sizes, each at most :data:`GROUP_QUBITS`, summing to ``L``.

    Example:
        >>> qubit_groups(12), qubit_groups(10), qubit_groups(3)
        ((4, 4, 4), (5, 5), (3,))
    """
    n_groups = -(-n_qubits // GROUP_QUBITS)
    base, extra = divmod(n_qubits, n_groups)
    return tuple(base + (g < extra) for g in range(n_groups))


def _apply_groups(
    psi: torch.Tensor, factors: list[torch.Tensor], dims: tuple[int, ...]
) -> torch.Tensor:
    """Apply one Kronecker factor per qubit group to ``psi`` in the blocked layout.

    The layout is ``(E, d0, B, d1, …, d_{k-1})`` (batch after the first group, so the first and
    last factors are plain batched matrix products and the phase broadcasts over the batch).
    """
    n_ens = psi.shape[0]
    n_groups = len(dims)
    for g, (fac, d) in enumerate(zip(factors, dims, strict=True)):
        if g == 0:
            psi = torch.bmm(fac, psi.reshape(n_ens, d, -1))
        elif g == n_groups - 1:
            psi = torch.bmm(psi.reshape(n_ens, -1, d), fac.transpose(1, 2))
        else:
            post = math.prod(dims[g + 1 :])
            psi = torch.matmul(fac[:, None], psi.reshape(n_ens, -1, d, post))
    return psi


def _layer_factors(theta: torch.Tensor, groups: tuple[int, ...], cdtype: torch.dtype):
    """One layer's fused one-qubit gates as one Kronecker factor per qubit group."""
    units = fused_rotations(theta[..., :3], cdtype)  # (E, L, 2, 2)
    factors, start = [], 0
    for size in groups:
        factors.append(kron_chain(units[:, start : start + size]))
        start += size
    return factors


def _prepare(params: torch.Tensor, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate the fast-path inputs and bring params/states to matching dtypes."""
    if params.ndim != 4:
        raise ValueError(
            f"params must have shape (E, depth, n_qubits, 4), got {tuple(params.shape)}"
        )
    if states.ndim != 3:
        raise ValueError(f"states must have shape (E, B, 2**L), got {tuple(states.shape)}")
    _check_circuit_shapes(params, int(states.shape[-1]), "states' last axis")
    if states.shape[0] != params.shape[0]:
        raise ValueError(
            f"ensemble sizes differ: params has E={params.shape[0]}, states has E={states.shape[0]}"
        )
    if states.is_complex():
        cdtype = states.dtype
    else:
        cdtype = torch.complex128 if params.dtype == torch.float64 else torch.complex64
        states = states.to(cdtype)
    if cdtype not in _REAL_OF:
        raise ValueError(f"states must be complex64 or complex128, got {cdtype}")
    return params.to(_REAL_OF[cdtype]), states


def _evolve_blocked(params: torch.Tensor, states: torch.Tensor, n_layers: int) -> torch.Tensor:
    """Run the first ``n_layers`` layers; return the state as ``(E, d0, B, 2**L / d0)``.

    ``d0 = 2**g0`` spans the first qubit group (the most significant qubits). Keeping the batch
    right after it makes the first and last groups' factors plain batched matrix products and
    lets the RZZ phase, a function of the amplitude index only, broadcast over the batch.
    """
    n_ens, _, n_qubits, _ = params.shape
    n_batch = states.shape[1]
    groups = qubit_groups(n_qubits)
    dims = tuple(2**g for g in groups)
    d0, rest = dims[0], 2**n_qubits // dims[0]
    _, zz = _sign_tables(n_qubits, states.device, params.dtype)
    psi = states.reshape(n_ens, n_batch, d0, rest).transpose(1, 2).contiguous()
    for layer in range(n_layers):
        theta = params[:, layer]
        psi = _apply_groups(psi, _layer_factors(theta, groups, states.dtype), dims)
        angle = -0.5 * (theta[..., 3] @ zz)  # (E, 2**L): the RZZ ring is diagonal
        phase = torch.complex(torch.cos(angle), torch.sin(angle)).reshape(n_ens, d0, 1, rest)
        psi = psi.reshape(n_ens, d0, n_batch, rest) * phase
    return psi.reshape(n_ens, d0, n_batch, rest)


def evolve(params: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """Final statevectors of the circuit (fast path).

    :param params: real angles of shape ``(E, depth, L, 4)``.
    :param states: input amplitudes of shape ``(E, B, 2**L)``; real inputs are cast to complex.
    :return: complex tensor of shape ``(E, B, 2**L)`` in the states' complex dtype.

    Example:
        >>> params = torch.zeros(1, 1, 2, 4, dtype=torch.float64)
        >>> params[0, 0, 0, 0] = torch.pi  # RX(pi) on qubit 0, the most significant bit
        >>> states = torch.tensor([[[1, 0, 0, 0]]], dtype=torch.complex128)
        >>> evolve(params, states)[0, 0].abs().round(decimals=12).tolist()
        [0.0, 0.0, 1.0, 0.0]
    """
    params, states = _prepare(params, states)
    n_ens, n_batch, dim = states.shape
    psi = _evolve_blocked(params, states, n_layers=params.shape[1])
    return psi.transpose(1, 2).reshape(n_ens, n_batch, dim)


def expectation(params: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """``<Z_{L-1}>`` for every ensemble member and input (fast path, autograd-friendly).

    Only the readout's backward light cone of the last layer is simulated: its RZZ ring is
    diagonal (it commutes with ``Z_{L-1}``) and its one-qubit gates on the other qubits cancel
    in the marginal of qubit ``L-1``, so the last layer reduces to one 2 × 2 gate. The result
    equals the whole circuit's (tested against tensorcircuit-ng); the skipped angles get
    exactly zero gradient, as they must.

    :param params: real angles of shape ``(E, depth, L, 4)``.
    :param states: input amplitudes of shape ``(E, B, 2**L)``; the computation runs in the
        states' complex dtype (real inputs: complex of the params' precision).
    :return: real tensor of shape ``(E, B)``.

    Example:
        >>> params = torch.zeros(1, 1, 2, 4, dtype=torch.float64)
        >>> states = torch.eye(4, dtype=torch.complex128)[None]
        >>> expectation(params, states).tolist()
        [[1.0, -1.0, 1.0, -1.0]]
    """
    params, states = _prepare(params, states)
    n_ens, depth, n_qubits, _ = params.shape
    n_batch = states.shape[1]
    psi = _evolve_blocked(params, states, n_layers=depth - 1)  # (E, d0, B, rest)
    rest = psi.shape[-1]
    if rest == 1:  # one qubit group: bring the register (and qubit L-1) to the last axis
        psi, rest = psi.transpose(1, 3), psi.shape[1]
    readout = fused_rotations(params[:, depth - 1, n_qubits - 1, :3], states.dtype)  # (E, 2, 2)
    # qubit L-1 is the least significant bit: the last axis of pairs
    psi = torch.bmm(psi.reshape(n_ens, -1, 2), readout.transpose(1, 2))
    probs = (psi.real.square() + psi.imag.square()).reshape(n_ens, -1, n_batch, rest)
    probs = probs.sum(dim=1).reshape(n_ens, n_batch, rest // 2, 2).sum(dim=2)
    return probs[..., 0] - probs[..., 1]


# --------------------------------------------------------------------------------------------
# module
# --------------------------------------------------------------------------------------------


def init_params(n_qubits: int, depth: int, seed: int) -> torch.Tensor:
    """Angles of one model, ``N(0, INIT_STD**2)`` from ``torch.Generator().manual_seed(seed)``.

    Drawn in float64, so the float32 initialization is the rounded float64 one.

    :param n_qubits: number of qubits ``L``.
    :param depth: number of layers.
    :param seed: the model's seed.
    :return: float64 tensor of shape ``(depth, L, 4)``.

    Example:
        >>> init_params(10, 6, seed=0).shape
        torch.Size([6, 10, 4])
    """
    gen = torch.Generator().manual_seed(int(seed))
    return INIT_STD * torch.randn(depth, n_qubits, 4, generator=gen, dtype=torch.float64)


class QNN(torch.nn.Module):
    """An ensemble of ``E = len(seeds)`` independent QNNs trained at once.

    :param n_qubits: number of qubits ``L`` (inputs have length ``2**L``).
    :param depth: number of layers.
    :param seeds: one seed per ensemble member; member ``e`` is initialized from
        ``torch.Generator().manual_seed(seeds[e])`` independently of the others.
    :param dtype: simulation dtype, ``torch.complex64`` or ``torch.complex128``; the parameter
        ``theta`` (shape ``(E, depth, L, 4)``) has the matching real dtype.
    :param scale: the logit scale ``s`` (logit ``s <Z>``; default :data:`LOGIT_SCALE`).

    Example:
        >>> model = QNN(n_qubits=3, depth=2, seeds=(0, 1))
        >>> model.theta.shape
        torch.Size([2, 2, 3, 4])
        >>> model(torch.eye(8)[:5]).shape  # a (B, 2**L) input is shared by all members
        torch.Size([2, 5])
    """

    def __init__(
        self,
        n_qubits: int,
        depth: int,
        seeds: Sequence[int] = (0,),
        dtype: torch.dtype = torch.complex64,
        scale: float = LOGIT_SCALE,
    ) -> None:
        super().__init__()
        if not scale > 0:
            raise ValueError(f"the logit scale must be positive, got {scale!r}")
        if dtype not in _REAL_OF:
            raise ValueError(f"dtype must be torch.complex64 or torch.complex128, got {dtype}")
        if n_qubits < 2:
            raise ValueError(f"n_qubits must be at least 2, got {n_qubits}")
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        seeds = tuple(int(s) for s in seeds)
        if not seeds:
            raise ValueError("seeds must hold at least one seed (one per ensemble member)")
        self.n_qubits = int(n_qubits)
        self.depth = int(depth)
        self.seeds = seeds
        self.dtype = dtype
        self.scale = float(scale)
        init = torch.stack([init_params(n_qubits, depth, s) for s in seeds])
        self.theta = torch.nn.Parameter(init.to(_REAL_OF[dtype]))

    @property
    def n_members(self) -> int:
        """Ensemble size ``E``."""
        return len(self.seeds)

    def _states(self, x: torch.Tensor) -> torch.Tensor:
        """Validate and broadcast inputs to ``(E, B, 2**L)`` in the model's complex dtype."""
        dim = 2**self.n_qubits
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        if x.ndim != 3:
            raise ValueError(
                f"inputs must have shape (E, B, {dim}) or (B, {dim}), got {tuple(x.shape)}"
            )
        if x.shape[-1] != dim:
            raise ValueError(
                f"inputs have length {x.shape[-1]} but the model has {self.n_qubits} qubits "
                f"(expected 2**{self.n_qubits} = {dim})"
            )
        if x.shape[0] != self.n_members:
            raise ValueError(
                f"inputs have ensemble size {x.shape[0]}, the model has E={self.n_members}"
            )
        return x.to(device=self.theta.device, dtype=self.dtype)

    def expectation(self, x: torch.Tensor) -> torch.Tensor:
        """``<Z_{L-1}>`` of every member on every input: ``(E, B, 2**L)`` → ``(E, B)``."""
        return expectation(self.theta, self._states(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``s <Z_{L-1}>`` (``s`` = :attr:`scale`, 5 by default).

        :param x: inputs of shape ``(E, B, 2**L)`` or ``(B, 2**L)`` (broadcast to all members).
        :return: real logits of shape ``(E, B)``.
        """
        return self.scale * self.expectation(x)
