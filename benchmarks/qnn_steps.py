"""The QNN training steps that :mod:`benchmarks.bench_qnn` times, one per method.

One *step* is what :func:`qmlr.core.train.fit` does per minibatch: forward pass, BCE-with-logits,
backward pass and one update of the optimizer ``fit`` builds (:func:`qmlr.core.train.adam`, torch's
fused Adam), for a single model (``E = 1``) unless said otherwise. The methods are

* the fast path (:class:`qmlr.core.qnn.QNN`) with the loss of ``fit``
  (:func:`qmlr.core.train.per_member_bce`);
* tensorcircuit-ng on its torch backend, the circuit built gate by gate and vectorized over the
  batch with ``torch.func.vmap`` (:func:`qmlr.core.qnn.reference_expectations`);
* tensorcircuit-ng on its jax backend, ``jax.jit`` of ``jax.vmap`` with an Adam update written
  like torch's (only when ``jax`` is importable);
* the fast path training an ensemble of ``E`` models at once.

Every method starts from the same angles (:func:`qmlr.core.qnn.init_params`) and sees the same data
(:func:`bench_data`), so their losses and updates agree (``tests/test_bench.py``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from qmlr.core.qnn import (
    LOGIT_SCALE,
    QNN,
    init_params,
    reference_circuit,
    reference_expectations,
    tc_backend,
)
from qmlr.core.train import adam, per_member_bce

LEARNING_RATE = 0.01
"""Adam learning rate of every timed step (it does not affect the cost of a step)."""

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
"""torch's ``Adam`` defaults (those :func:`qmlr.core.train.adam` keeps), replicated by the jax
step."""

TC_TORCH = "tensorcircuit-ng torch, vmap"
FAST = "fast path, E=1"
TC_JAX = "tensorcircuit-ng jax, jit+vmap"
"""Method names, as the table prints them."""


@dataclass(frozen=True)
class BenchCase:
    """One QNN shape: qubits, layers and minibatch size.

    Example:
        >>> BenchCase(12, 4, 32).label
        '12q/d4/b32'
    """

    n_qubits: int
    depth: int
    batch: int

    def __post_init__(self) -> None:
        if self.n_qubits < 2 or self.depth < 1 or self.batch < 1:
            raise ValueError(
                "a bench case needs n_qubits >= 2, depth >= 1 and batch >= 1, got "
                f"n_qubits={self.n_qubits}, depth={self.depth}, batch={self.batch}"
            )

    @property
    def label(self) -> str:
        """Short name such as ``"12q/d4/b32"``."""
        return f"{self.n_qubits}q/d{self.depth}/b{self.batch}"


_REAL = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def dtype_label(dtype: torch.dtype) -> str:
    """``torch.complex64`` → ``"complex64"``."""
    return str(dtype).removeprefix("torch.")


def _check_dtype(dtype: torch.dtype) -> None:
    if dtype not in _REAL:
        raise ValueError(f"dtype must be torch.complex64 or torch.complex128, got {dtype}")


# --------------------------------------------------------------------------------------------
# the timed steps
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainStep:
    """One method's training step, ready to be called repeatedly.

    :param run: performs one training step; returns the minibatch loss before the update.
    :param params: returns a float64 copy of the current angles, shape ``(E, depth, L, 4)``.
    :param n_models: ensemble size ``E`` (per-model time = step time / ``E``).
    :param compile_s: seconds spent compiling before the first step (jit methods), else ``None``.
    """

    run: Callable[[], float]
    params: Callable[[], np.ndarray]
    n_models: int = 1
    compile_s: float | None = None


def bench_data(
    case: BenchCase, dtype: torch.dtype, n_models: int = 1, seed: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random unit-norm complex inputs and 0/1 labels, one minibatch per ensemble member.

    Drawn in complex128 and cast, so both dtypes see the same data; member ``e`` gets the same
    batch whatever the ensemble size.

    :param case: the shape (qubits and batch size are used).
    :param dtype: complex dtype of the inputs.
    :param n_models: number of ensemble members ``E``.
    :param seed: seed of a private ``torch.Generator``.
    :return: ``x`` of shape ``(E, B, 2**L)`` and labels ``y`` of shape ``(E, B)`` (real dtype).

    Example:
        >>> x, y = bench_data(BenchCase(3, 1, 5), torch.complex64, n_models=2)
        >>> tuple(x.shape), tuple(y.shape), y.dtype
        ((2, 5, 8), (2, 5), torch.float32)
    """
    _check_dtype(dtype)
    if n_models < 1:
        raise ValueError(f"n_models must be at least 1, got {n_models}")
    gen = torch.Generator().manual_seed(int(seed))
    xs, ys = [], []
    for _ in range(n_models):  # member by member: member e's batch does not depend on E
        x = torch.randn(case.batch, 2**case.n_qubits, generator=gen, dtype=torch.complex128)
        xs.append(x / torch.linalg.vector_norm(x, dim=-1, keepdim=True))
        ys.append(torch.rand(case.batch, generator=gen, dtype=torch.float64) < 0.5)
    return torch.stack(xs).to(dtype), torch.stack(ys).to(_REAL[dtype])


def fast_step(
    case: BenchCase,
    dtype: torch.dtype,
    n_models: int = 1,
    seed: int = 0,
    data_seed: int = 1,
    lr: float = LEARNING_RATE,
) -> TrainStep:
    """The fast path's training step (:class:`~qmlr.core.qnn.QNN`, loss as in
    :func:`qmlr.core.train.fit`).

    :param case: the shape.
    :param dtype: simulation dtype.
    :param n_models: ensemble size ``E``; members are seeded ``seed, seed + 1, …``.
    :param seed: seed of the first member's initialization (:func:`qmlr.core.qnn.init_params`).
    :param data_seed: seed of :func:`bench_data`.
    :param lr: learning rate of :func:`qmlr.core.train.adam`.
    :return: the step.

    Example:
        >>> step = fast_step(BenchCase(3, 1, 4), torch.complex128)
        >>> loss = step.run()
        >>> step.params().shape
        (1, 1, 3, 4)
    """
    _check_dtype(dtype)
    model = QNN(case.n_qubits, case.depth, seeds=range(seed, seed + n_models), dtype=dtype)
    optimizer = adam(model.parameters(), lr=lr)
    x, y = bench_data(case, dtype, n_models, data_seed)

    def run() -> float:
        loss = per_member_bce(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()  # each member's gradient is that of its own mean loss
        optimizer.step()
        return float(loss.detach().sum())

    def params() -> np.ndarray:
        return model.theta.detach().to(torch.float64).numpy().copy()

    return TrainStep(run=run, params=params, n_models=n_models)


def tc_torch_step(
    case: BenchCase,
    dtype: torch.dtype,
    seed: int = 0,
    data_seed: int = 1,
    lr: float = LEARNING_RATE,
) -> TrainStep:
    """Training step of one model simulated by tensorcircuit-ng (torch backend, ``vmap``).

    Same initialization, data and loss as :func:`fast_step` with ``n_models=1``.

    :param case: the shape.
    :param dtype: simulation dtype.
    :param seed: initialization seed.
    :param data_seed: seed of :func:`bench_data`.
    :param lr: Adam learning rate.
    :return: the step.

    Example:
        >>> step = tc_torch_step(BenchCase(2, 1, 3), torch.complex128)
        >>> loss = step.run()
        >>> step.params().shape
        (1, 1, 2, 4)
    """
    _check_dtype(dtype)
    theta = torch.nn.Parameter(init_params(case.n_qubits, case.depth, seed).to(_REAL[dtype]))
    optimizer = adam([theta], lr=lr)
    x, y = bench_data(case, dtype, 1, data_seed)
    x, y = x[0], y[0]

    def run() -> float:
        logits = LOGIT_SCALE * reference_expectations(theta, x, method="vmap")
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def params() -> np.ndarray:
        return theta.detach().to(torch.float64).numpy()[None].copy()

    return TrainStep(run=run, params=params)


def jax_available() -> bool:
    """Whether ``jax`` can be imported (the tensorcircuit jax method needs it).

    Example:
        >>> isinstance(jax_available(), bool)
        True
    """
    return importlib.util.find_spec("jax") is not None


def _tc_jax_backend(dtype: torch.dtype):
    """tensorcircuit-ng on the jax backend in ``dtype`` for a block (restored on exit)."""
    return tc_backend("jax", dtype)


@contextlib.contextmanager
def _jax_x64(enabled: bool) -> Iterator[None]:
    """Set jax's x64 flag for the block (only if it differs) and restore it afterwards.

    An executable compiled for 64-bit arrays must be called with the flag on; other code (the
    torch backend context of tensorcircuit) may have switched it in between.
    """
    import jax

    before = bool(jax.config.jax_enable_x64)
    if before != enabled:
        jax.config.update("jax_enable_x64", enabled)
    try:
        yield
    finally:
        if before != enabled:
            jax.config.update("jax_enable_x64", before)


def tc_jax_step(
    case: BenchCase,
    dtype: torch.dtype,
    seed: int = 0,
    data_seed: int = 1,
    lr: float = LEARNING_RATE,
) -> TrainStep:
    """Training step of one model simulated by tensorcircuit-ng (jax backend, ``jit(vmap)``).

    The whole step (loss, gradient and an Adam update written like torch's) is one compiled
    function; compiling it happens here and its wall time is ``compile_s``. Same
    initialization, data and loss as :func:`tc_torch_step`.

    :param case: the shape.
    :param dtype: simulation dtype.
    :param seed: initialization seed.
    :param data_seed: seed of :func:`bench_data`.
    :param lr: Adam learning rate.
    :return: the step.
    :raises ImportError: if ``jax`` is not installed.
    """
    import jax
    import jax.numpy as jnp

    _check_dtype(dtype)
    n_qubits, depth = case.n_qubits, case.depth
    beta1, beta2 = ADAM_BETAS
    x, y = bench_data(case, dtype, 1, data_seed)
    theta0 = init_params(n_qubits, depth, seed).to(_REAL[dtype])
    x64 = dtype == torch.complex128

    def expectation(params, state):
        circuit = reference_circuit(params, state)  # on tensorcircuit's jax backend here
        return jnp.real(circuit.expectation_ps(z=[n_qubits - 1]))

    def loss_fn(params, states, labels):
        logits = LOGIT_SCALE * jax.vmap(expectation, in_axes=(None, 0))(params, states)
        # numerically stable BCE-with-logits, as torch computes it
        terms = jnp.maximum(logits, 0) - logits * labels + jnp.log1p(jnp.exp(-jnp.abs(logits)))
        return jnp.mean(terms)

    def step(params, m, v, t, states, labels):
        loss, grad = jax.value_and_grad(loss_fn)(params, states, labels)
        t = t + 1
        m = m + (1 - beta1) * (grad - m)
        v = beta2 * v + (1 - beta2) * grad * grad
        denom = jnp.sqrt(v) / jnp.sqrt(1 - beta2**t) + ADAM_EPS
        params = params - (lr / (1 - beta1**t)) * m / denom
        return params, m, v, t, loss

    with _tc_jax_backend(dtype):  # sets the x64 flag to match dtype while arrays are made
        params = jnp.asarray(theta0.numpy())
        zeros = jnp.zeros_like(params)
        state = [params, zeros, zeros, jnp.zeros((), dtype=params.dtype)]
        states, labels = jnp.asarray(x[0].numpy()), jnp.asarray(y[0].numpy())
        start = time.perf_counter()
        compiled = jax.jit(step).lower(*state, states, labels).compile()
        compile_s = time.perf_counter() - start

    def run() -> float:
        with _jax_x64(x64):
            *new_state, loss = compiled(*state, states, labels)
            value = float(loss)  # waits for the result
        state[:] = new_state
        return value

    def params_now() -> np.ndarray:
        return np.asarray(state[0], dtype=np.float64)[None].copy()

    return TrainStep(run=run, params=params_now, compile_s=compile_s)
