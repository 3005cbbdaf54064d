"""Benchmark of one QNN training step: the fast path against tensorcircuit-ng.

One *step* is what :func:`qmlr.train.fit` does per minibatch: forward pass, BCE-with-logits,
backward pass and one ``Adam`` update, for a single model (``E = 1``) unless said otherwise. It is
timed for

* the fast path (:class:`qmlr.qnn.QNN`);
* tensorcircuit-ng on its torch backend, the circuit built gate by gate and vectorized over the
  batch with ``torch.func.vmap`` (:func:`qmlr.qnn.reference_expectations`);
* tensorcircuit-ng on its jax backend, ``jax.jit`` of ``jax.vmap`` (only when ``jax`` is
  importable; its compile time is reported apart from the step time; XLA's CPU threads are not
  governed by ``torch.set_num_threads``);
* the fast path training an ensemble of ``E`` models at once, reported per model;

for the two QNN shapes the studies train (12 qubits / depth 4 / batch 32 and 10 qubits / depth 6
/ batch 256) in complex64 and complex128. All steps are timed in one process with two torch
threads, after a warm-up, round-robin (every round calls every method in turn, starting at a
different method each round), so a change of background load hits every method alike; the table
reports medians and speed-ups against tensorcircuit's torch backend in the same shape and dtype.
The last line printed is machine-readable (:func:`parse_speedup` reads it)::

    qnn_speedup_vs_tensorcircuit_torch: 20.41

Run it with ``python -m qmlr bench`` (``--quick`` for a smoke run with fewer repeats).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import re
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np
import torch

from qmlr.qnn import (
    LOGIT_SCALE,
    QNN,
    init_params,
    reference_circuit,
    reference_expectations,
    tc_backend,
)
from qmlr.train import per_member_bce

BENCH_THREADS = 2
"""Torch intra-op threads during the benchmark (the previous setting is restored)."""

LEARNING_RATE = 0.01
"""Adam learning rate of every timed step (it does not affect the cost of a step)."""

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
"""torch's ``Adam`` defaults, replicated by the jax step."""

SPEEDUP_KEY = "qnn_speedup_vs_tensorcircuit_torch"
"""Name on the last printed line, ``f"{SPEEDUP_KEY}: X"``."""

TC_TORCH = "tensorcircuit-ng torch, vmap"
FAST = "fast path, E=1"
TC_JAX = "tensorcircuit-ng jax, jit+vmap"


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


class EnsembleCase(NamedTuple):
    """Where the ensemble row is measured: shape, dtype and ensemble size ``E``."""

    case: BenchCase
    dtype: torch.dtype
    size: int


class RepeatPlan(NamedTuple):
    """How often steps are called: warm-up calls, rounds, and calls per round by method."""

    warmup: int
    rounds: int
    per_round: Mapping[str, int]


XXZ_CASE = BenchCase(12, 4, 32)
MNIST_CASE = BenchCase(10, 6, 256)
CASES = (XXZ_CASE, MNIST_CASE)
DTYPES = (torch.complex64, torch.complex128)
HEADLINE = (XXZ_CASE, torch.complex128)
"""The shape and dtype whose speed-up is printed on the last line."""
ENSEMBLE = EnsembleCase(XXZ_CASE, torch.complex64, 10)
"""The configuration the sweeps train with (single precision, ensembles of models)."""

FULL_PLAN = RepeatPlan(warmup=1, rounds=5, per_round={TC_TORCH: 1, FAST: 3, TC_JAX: 3})
QUICK_PLAN = RepeatPlan(warmup=1, rounds=1, per_round={})
"""Calls per round default to 1 for a method the plan does not name."""

_Key = TypeVar("_Key")

_REAL = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def _dtype_label(dtype: torch.dtype) -> str:
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

    :param run: performs one Adam step and returns the minibatch loss computed before the update.
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
    """The fast path's training step (:class:`~qmlr.qnn.QNN`, loss as in :func:`qmlr.train.fit`).

    :param case: the shape.
    :param dtype: simulation dtype.
    :param n_models: ensemble size ``E``; members are seeded ``seed, seed + 1, …``.
    :param seed: seed of the first member's initialization (:func:`qmlr.qnn.init_params`).
    :param data_seed: seed of :func:`bench_data`.
    :param lr: Adam learning rate.
    :return: the step.

    Example:
        >>> step = fast_step(BenchCase(3, 1, 4), torch.complex128)
        >>> loss = step.run()
        >>> step.params().shape
        (1, 1, 3, 4)
    """
    _check_dtype(dtype)
    model = QNN(case.n_qubits, case.depth, seeds=range(seed, seed + n_models), dtype=dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
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
    optimizer = torch.optim.Adam([theta], lr=lr)
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


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------


def round_robin_medians(
    steps: Mapping[_Key, Callable[[], object]],
    warmup: int,
    rounds: int,
    per_round: Mapping[_Key, int] | None = None,
) -> dict[_Key, float]:
    """Median wall seconds per call of every step, timed in interleaved rounds.

    Each step is first called ``warmup`` times (untimed). Then every round calls each step
    ``per_round[name]`` times (default 1), step after step, starting one step later than the
    previous round, so slow drifts of background load spread over all steps alike.

    :param steps: callables by name (any hashable key).
    :param warmup: untimed calls per step.
    :param rounds: number of timed rounds (at least 1).
    :param per_round: timed calls per round by name.
    :return: median seconds per call by name.

    Example:
        >>> t = round_robin_medians({"a": lambda: None, "b": lambda: None}, warmup=0, rounds=2)
        >>> sorted(t), t["a"] >= 0
        (['a', 'b'], True)
    """
    if rounds < 1 or warmup < 0:
        raise ValueError(f"need rounds >= 1 and warmup >= 0, got rounds={rounds}, warmup={warmup}")
    per_round = dict(per_round or {})
    names = list(steps)
    for name in names:
        for _ in range(warmup):
            steps[name]()
    times: dict[_Key, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            for _ in range(per_round.get(name, 1)):
                start = time.perf_counter()
                steps[name]()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


@dataclass(frozen=True)
class Row:
    """One line of the table: milliseconds per step per model and speed-up vs tc torch."""

    case: str
    dtype: str
    method: str
    ms: float
    speedup: float


def _ensemble_method(size: int) -> str:
    return f"fast path, E={size}, per model"


def build_rows(
    seconds: Mapping[tuple[BenchCase, torch.dtype, str], float],
    cases: Sequence[BenchCase],
    dtypes: Sequence[torch.dtype],
    ensemble: EnsembleCase | None,
) -> list[Row]:
    """Turn median seconds per step into table rows (per model; speed-ups vs tc torch).

    :param seconds: median seconds per step by ``(case, dtype, method)``; the ensemble's entry
        is the time of the whole ensemble step.
    :param cases: shapes, in table order.
    :param dtypes: dtypes, in table order.
    :param ensemble: where the ensemble row is, or ``None``.
    :return: rows; methods without a measurement are left out.

    Example:
        >>> case, c64 = BenchCase(2, 1, 1), torch.complex64
        >>> s = {(case, c64, TC_TORCH): 1.0, (case, c64, FAST): 0.1}
        >>> [round(r.speedup, 6) for r in build_rows(s, [case], [c64], None)]
        [1.0, 10.0]
    """
    rows = []
    for case in cases:
        for dtype in dtypes:
            reference = seconds[(case, dtype, TC_TORCH)]
            methods = [(TC_TORCH, 1), (FAST, 1), (TC_JAX, 1)]
            if ensemble is not None and (ensemble.case, ensemble.dtype) == (case, dtype):
                methods.append((_ensemble_method(ensemble.size), ensemble.size))
            for method, n_models in methods:
                if (case, dtype, method) not in seconds:
                    continue
                per_model = seconds[(case, dtype, method)] / n_models
                label = _dtype_label(dtype)
                rows.append(Row(case.label, label, method, 1e3 * per_model, reference / per_model))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table.

    Example:
        >>> print(format_table([Row("2q/d1/b1", "complex64", "fast path, E=1", 1.5, 10.0)]))
        | config | dtype | method | median ms/step | speed-up vs tc torch |
        |---|---|---|---:|---:|
        | 2q/d1/b1 | complex64 | fast path, E=1 | 1.50 | 10.00x |
    """
    lines = [
        "| config | dtype | method | median ms/step | speed-up vs tc torch |",
        "|---|---|---|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.case} | {row.dtype} | {row.method} | {row.ms:.2f} | {row.speedup:.2f}x |"
        )
    return "\n".join(lines)


def format_speedup(speedup: float) -> str:
    """The machine-readable last line.

    Example:
        >>> format_speedup(20.4149)
        'qnn_speedup_vs_tensorcircuit_torch: 20.41'
    """
    return f"{SPEEDUP_KEY}: {speedup:.2f}"


_SPEEDUP_LINE = re.compile(rf"^{SPEEDUP_KEY}: ([0-9]+(?:\.[0-9]+)?)$")


def parse_speedup(text: str) -> float:
    """Read the speed-up from the benchmark's output (its last non-empty line).

    :param text: the printed output, or just its last line.
    :return: the speed-up ``X`` of ``qnn_speedup_vs_tensorcircuit_torch: X``.
    :raises ValueError: if the last non-empty line does not have that form.

    Example:
        >>> parse_speedup("| table |\\nqnn_speedup_vs_tensorcircuit_torch: 20.41\\n")
        20.41
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"empty benchmark output; expected a last line '{SPEEDUP_KEY}: X'")
    match = _SPEEDUP_LINE.match(lines[-1])
    if match is None:
        raise ValueError(f"expected the last line to read '{SPEEDUP_KEY}: X', got {lines[-1]!r}")
    return float(match.group(1))


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def _build_steps(
    cases: Sequence[BenchCase],
    dtypes: Sequence[torch.dtype],
    ensemble: EnsembleCase | None,
    with_jax: bool,
) -> dict[tuple[BenchCase, torch.dtype, str], TrainStep]:
    steps = {}
    for case in cases:
        for dtype in dtypes:
            steps[(case, dtype, TC_TORCH)] = tc_torch_step(case, dtype)
            steps[(case, dtype, FAST)] = fast_step(case, dtype)
            if with_jax:
                steps[(case, dtype, TC_JAX)] = tc_jax_step(case, dtype)
    if ensemble is not None:
        method = _ensemble_method(ensemble.size)
        steps[(ensemble.case, ensemble.dtype, method)] = fast_step(
            ensemble.case, ensemble.dtype, n_models=ensemble.size
        )
    return steps


def main(
    quick: bool = False,
    cases: Sequence[BenchCase] = CASES,
    dtypes: Sequence[torch.dtype] = DTYPES,
    headline: tuple[BenchCase, torch.dtype] = HEADLINE,
    ensemble: EnsembleCase | None = ENSEMBLE,
) -> int:
    """Run the benchmark and print the table; the last line is ``format_speedup(X)``.

    :param quick: fewer repeats (a smoke run; timings are rough).
    :param cases: shapes to time.
    :param dtypes: dtypes to time.
    :param headline: ``(case, dtype)`` whose speed-up of the fast path over tc torch is the last
        line; must be among ``cases`` × ``dtypes``.
    :param ensemble: where to time the ensemble row (``None``: no such row).
    :return: exit code 0.
    """
    if headline[0] not in cases or headline[1] not in dtypes:
        raise ValueError(f"headline {headline} must be one of the timed cases and dtypes")
    plan = QUICK_PLAN if quick else FULL_PLAN
    with_jax = jax_available()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(BENCH_THREADS)
    try:
        import tensorcircuit as tc

        print(
            f"QNN training step (forward + BCE + backward + Adam), one model unless noted; "
            f"torch {torch.__version__}, tensorcircuit-ng {tc.__version__}, "
            f"{torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs, "
            f"{platform.machine()}"
        )
        print(
            f"repeats: warm-up {plan.warmup}, {plan.rounds} round-robin round(s)"
            + (" (quick)" if quick else "")
        )
        if not with_jax:
            print("note: jax is not importable; the tensorcircuit-ng jax method is skipped")
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        steps = _build_steps(cases, dtypes, ensemble, with_jax)
        calls = {key: step.run for key, step in steps.items()}
        per_round = {key: plan.per_round.get(key[2], 1) for key in steps}
        timing_start, cpu_start = time.perf_counter(), time.process_time()
        seconds = round_robin_medians(calls, plan.warmup, plan.rounds, per_round)
        timing_s = time.perf_counter() - timing_start
        cpu_per_wall = (time.process_time() - cpu_start) / max(timing_s, 1e-9)
        print(
            f"measured in {time.perf_counter() - start:.0f} s; 1-min load average "
            f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after; this process used "
            f"{cpu_per_wall:.2f} CPU-s per wall-s while timing"
        )
        print()
        print(format_table(build_rows(seconds, cases, dtypes, ensemble)))
        compiled = [(key, step.compile_s) for key, step in steps.items() if step.compile_s]
        if compiled:
            print()
            for (case, dtype, method), compile_s in compiled:
                label = f"{case.label} {_dtype_label(dtype)} {method}"
                print(f"compile time (jit), {label}: {compile_s:.2f} s")
        case, dtype = headline
        speedup = seconds[(case, dtype, TC_TORCH)] / seconds[(case, dtype, FAST)]
        print()
        print(format_speedup(speedup))
    finally:
        torch.set_num_threads(previous_threads)
    return 0
