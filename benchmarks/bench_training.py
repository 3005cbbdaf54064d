"""Time the two choices that set the paper-scale training cost, against their baselines.

Both sides of each ratio run in this process, interleaved (round robin), one torch thread,
timed in CPU seconds; each timed call is a short :func:`qmlr.core.train.fit` (10 epochs on 82
samples, batch 32, an ensemble of 10, as in the XXZ sweeps):

* QNN (12 qubits, depth 4, complex64): the fast path with qubit groups of at most
  ``qnn.GROUP_QUBITS`` qubits against two half-register factors (``GROUP_QUBITS = 6``: two
  64 × 64 matrices); both cut the last layer to the readout's light cone;
* MLP ([64, 16] on 8192 inputs, float32): the fused Adam of :func:`qmlr.core.train.adam` against
  torch's default per-tensor Adam.

Prints one line per comparison with the median times and their ratio. Run with::

    .venv/bin/python benchmarks/bench_training.py [--repeats N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator

import torch

from qmlr.core import qnn, train
from qmlr.core.mlp import MLP
from qmlr.core.train import TrainConfig, fit

N_MEMBERS, N_TRAIN = 10, 82  # an XXZ training set (82 states), ensembles as in the sweeps
CONFIG = TrainConfig(epochs=10, batch_size=32, lr=0.01)


@contextlib.contextmanager
def patched(module: object, name: str, value: object) -> Iterator[None]:
    """Temporarily replace ``module.name`` (restored on exit)."""
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def _data(n_features: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(N_MEMBERS, N_TRAIN, n_features, generator=gen, dtype=dtype)
    if dtype.is_complex:
        x = x / x.norm(dim=-1, keepdim=True)
    y = (torch.rand(N_MEMBERS, N_TRAIN, generator=gen) > 0.5).long()
    return x, y


def qnn_training(group_qubits: int) -> Callable[[], None]:
    """Short training of a 12-qubit, depth-4 QNN ensemble with the given largest qubit group."""
    x, y = _data(2**12, torch.complex64)
    seeds = tuple(range(N_MEMBERS))

    def run() -> None:
        with patched(qnn, "GROUP_QUBITS", group_qubits):
            fit(qnn.QNN(12, 4, seeds=seeds), x, y, CONFIG, seeds)

    return run


def mlp_training(fused: bool) -> Callable[[], None]:
    """Short training of an XXZ [64, 16] MLP ensemble with fused or torch's default Adam."""
    x, y = _data(2 * 2**12, torch.float32)
    seeds = tuple(range(N_MEMBERS))
    optimizer = train.adam if fused else (lambda params, lr: torch.optim.Adam(params, lr=lr))

    def run() -> None:
        with patched(train, "adam", optimizer):
            fit(MLP(2 * 2**12, (64, 16), seeds=seeds), x, y, CONFIG, seeds)

    return run


def round_robin(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median CPU seconds of each run, timed in interleaved rounds after one warm-up each.

    CPU time of this (single-threaded) process, not wall time, so that other processes sharing
    the cores inflate neither side. Each timed call is a whole short training run, so memory
    reuse is as in the real sweeps.
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main(repeats: int = 3) -> None:
    torch.set_num_threads(1)
    comparisons = {
        "qnn 12q/d4 training, qubit groups <= 5 vs two 64x64 factors": {
            "new": qnn_training(qnn.GROUP_QUBITS),
            "baseline": qnn_training(6),
        },
        "mlp [64,16]/8192 training, fused Adam vs default Adam": {
            "new": mlp_training(fused=True),
            "baseline": mlp_training(fused=False),
        },
    }
    for label, steps in comparisons.items():
        median = round_robin(steps, repeats)
        print(
            f"{label}: {median['new']:.2f} s vs {median['baseline']:.2f} s, "
            f"speedup {median['baseline'] / median['new']:.2f}x"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per variant")
    main(repeats=parser.parse_args().repeats)
