"""Time one Adam step of the QNN: tensorcircuit-ng reference vs the batched fast path.

One step = forward + BCE-with-logits + backward + ``Adam.step`` on a batch of 32 random
normalized inputs, 12 qubits, depth 4 (the XXZ model), with 2 torch threads, for

* (a) the tensorcircuit-ng circuit on its torch backend, ``torch.func.vmap`` over the batch
  (a Python loop if vmap fails; the table says which), one model;
* (b) the fast path (:class:`qmlr.qnn.QNN`), one model (E = 1);
* (c) the fast path with an ensemble of E = 50 models trained at once (time per model);

in complex64 and complex128. Each timing is a median over interleaved rounds after a warm-up (so
load from other processes hits every method alike); the ratios are relative to (a) in the same
dtype, measured in this same process. Run with::

    .venv/bin/python benchmarks/bench_qnn.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

from qmlr.qnn import LOGIT_SCALE, QNN, init_params, reference_expectations

N_QUBITS = 12
DEPTH = 4
BATCH = 32
ENSEMBLE = 50


def interleaved_medians(
    steps: dict[str, tuple[Callable[[], None], int]], warmup: int, rounds: int
) -> dict[str, float]:
    """Median seconds per call of each step, timed in interleaved rounds.

    Every round times each step ``k`` times (``steps[name] = (step, k)``), so a load change on a
    shared machine hits all methods alike and the ratios stay meaningful.
    """
    for step, _ in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, (step, per_round) in steps.items():
            for _ in range(per_round):
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def batch(n_models: int, dtype: torch.dtype, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random normalized complex inputs ``(n_models, BATCH, 2**L)`` and 0/1 labels."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_models, BATCH, 2**N_QUBITS, generator=gen, dtype=dtype)
    x = x / torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    y = (torch.rand(n_models, BATCH, generator=gen) > 0.5).to(x.real.dtype)
    return x, y


def tensorcircuit_step(dtype: torch.dtype) -> tuple[Callable[[], None], str]:
    """An Adam step of one model simulated by tensorcircuit-ng; also returns the batching mode."""
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    theta = torch.nn.Parameter(init_params(N_QUBITS, DEPTH, seed=0).to(real))
    opt = torch.optim.Adam([theta], lr=0.01)
    x, y = batch(1, dtype, seed=1)
    x, y = x[0], y[0]

    def make(method: str) -> Callable[[], None]:
        def step() -> None:
            opt.zero_grad()
            logits = LOGIT_SCALE * reference_expectations(theta, x, method=method)
            torch.nn.functional.binary_cross_entropy_with_logits(logits, y).backward()
            opt.step()

        return step

    try:
        make("vmap")()
        return make("vmap"), "torch.func.vmap"
    except Exception as err:  # any vmap failure means: fall back to the loop
        print(f"vmap over tensorcircuit failed ({type(err).__name__}: {err}); using a loop")
        return make("loop"), "Python loop"


def fast_step(dtype: torch.dtype, n_models: int) -> Callable[[], None]:
    """An Adam step of an ensemble of ``n_models`` fast-path QNNs."""
    model = QNN(N_QUBITS, DEPTH, seeds=range(n_models), dtype=dtype)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = batch(n_models, dtype, seed=1)

    def step() -> None:
        opt.zero_grad()
        # sum over members so each member's gradient is that of its own mean loss
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y, reduction="none")
        loss.mean(dim=1).sum().backward()
        opt.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    print(
        f"QNN Adam step: {N_QUBITS} qubits, depth {DEPTH}, batch {BATCH}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor()}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for dtype in (torch.complex64, torch.complex128):
        name = str(dtype).removeprefix("torch.")
        tc_step, mode = tensorcircuit_step(dtype)
        steps = {
            "tc": (tc_step, 1),
            "fast": (fast_step(dtype, 1), 4),
            "ensemble": (fast_step(dtype, ENSEMBLE), 1),
        }
        t = interleaved_medians(steps, warmup=2, rounds=args.rounds)
        t_tc, t_fast, t_ens = t["tc"], t["fast"], t["ensemble"] / ENSEMBLE
        rows += [
            (name, f"(a) tensorcircuit-ng, torch backend, {mode}", t_tc, 1.0),
            (name, "(b) fast path, E=1", t_fast, t_tc / t_fast),
            (name, f"(c) fast path, E={ENSEMBLE}, per model", t_ens, t_tc / t_ens),
        ]
    print(f"load average after: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)")

    width = max(len(r[1]) for r in rows)
    print(f"\n| dtype | {'method':<{width}} | ms / step / model | speed-up vs (a) |")
    print(f"|---|{'-' * (width + 2)}|---:|---:|")
    for name, label, seconds, ratio in rows:
        print(f"| {name} | {label:<{width}} | {1e3 * seconds:8.1f} | {ratio:6.1f}x |")


if __name__ == "__main__":
    main()
