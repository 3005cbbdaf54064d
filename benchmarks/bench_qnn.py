"""Time one QNN training step as the studies run it: the fast path against tensorcircuit-ng.

The configuration is the sweeps' own: one torch thread in the process (each worker of
:func:`qmlr.engine.runner.run_specs` sets :data:`qmlr.engine.runner.WORKER_THREADS`), and the step
of
:mod:`benchmarks.qnn_steps` (forward, the loss of :func:`qmlr.core.train.fit`, backward, the fused
Adam
of :func:`qmlr.core.train.adam`). It is timed for the two QNN shapes the studies train (12 qubits /
depth 4 / batch 32 and 10 qubits / depth 6 / batch 256) in complex64 and complex128, plus the
fast path training an ensemble of ``E`` models at once (reported per model).

Every call is timed twice: wall clock and CPU time of this process (:func:`time.process_time`).
All steps run in one process after a warm-up, round-robin (every round calls every method in
turn, starting one method later each round), so a change of background load hits every method
alike. The speed-ups are ratios of the **least CPU time per call** over the repeats: CPU time
does not count the time the process waited for a core, and the minimum drops the calls that
other processes slowed through shared caches, so the ratio holds beside busy neighbours, while
wall time does not. The table shows both, and the run prints the load it saw (1-minute load
average before and after, CPU seconds per wall second while timing; 1.00 means the process
always had its core). The last line is machine-readable (:func:`parse_speedup` reads it)::

    qnn_speedup_vs_tensorcircuit_torch: 7.29

Run it with ``python -m qmlr bench`` (``--quick``: a smoke run with one round), or with
``python -m benchmarks.bench_qnn`` from the repository root.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import torch

from benchmarks.qnn_steps import (
    FAST,
    TC_JAX,
    TC_TORCH,
    BenchCase,
    TrainStep,
    dtype_label,
    fast_step,
    jax_available,
    tc_jax_step,
    tc_torch_step,
)
from qmlr.engine.runner import WORKER_THREADS

BENCH_THREADS = WORKER_THREADS
"""Torch intra-op threads while timing: the studies' workers' (the previous setting is restored)."""

XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
"""XLA flags that keep the jax method on one thread too (applied only if jax is not loaded yet)."""

SPEEDUP_KEY = "qnn_speedup_vs_tensorcircuit_torch"
"""Name on the last printed line, ``f"{SPEEDUP_KEY}: X"``."""


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

FULL_PLAN = RepeatPlan(warmup=2, rounds=7, per_round={TC_TORCH: 1, FAST: 3, TC_JAX: 3})
QUICK_PLAN = RepeatPlan(warmup=1, rounds=1, per_round={})
"""Calls per round default to 1 for a method the plan does not name."""

_Key = TypeVar("_Key")


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of every timed call of one step.

    Example:
        >>> t = Timing(wall=(3.0, 1.0, 2.0), cpu=(1.0, 0.5, 0.9))
        >>> t.wall_median, t.cpu_min
        (2.0, 0.5)
    """

    wall: tuple[float, ...]
    cpu: tuple[float, ...]

    @property
    def wall_median(self) -> float:
        """Median wall seconds per call."""
        return statistics.median(self.wall)

    @property
    def cpu_min(self) -> float:
        """Least CPU seconds of a call (the speed-ups' measure)."""
        return min(self.cpu)


def round_robin_times(
    steps: Mapping[_Key, Callable[[], object]],
    warmup: int,
    rounds: int,
    per_round: Mapping[_Key, int] | None = None,
) -> dict[_Key, Timing]:
    """Wall and CPU seconds of every call of every step, timed in interleaved rounds.

    Each step is first called ``warmup`` times (untimed). Then every round calls each step
    ``per_round[name]`` times (default 1), step after step, starting one step later than the
    previous round, so slow drifts of background load spread over all steps alike.

    :param steps: callables by name (any hashable key).
    :param warmup: untimed calls per step.
    :param rounds: number of timed rounds (at least 1).
    :param per_round: timed calls per round by name.
    :return: the :class:`Timing` of every step, by name.

    Example:
        >>> t = round_robin_times({"a": lambda: None, "b": lambda: None}, warmup=0, rounds=2)
        >>> sorted(t), len(t["a"].cpu), t["a"].cpu_min >= 0
        (['a', 'b'], 2, True)
    """
    if rounds < 1 or warmup < 0:
        raise ValueError(f"need rounds >= 1 and warmup >= 0, got rounds={rounds}, warmup={warmup}")
    per_round = dict(per_round or {})
    names = list(steps)
    for name in names:
        for _ in range(warmup):
            steps[name]()
    wall: dict[_Key, list[float]] = {name: [] for name in names}
    cpu: dict[_Key, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            for _ in range(per_round.get(name, 1)):
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                steps[name]()
                cpu[name].append(time.process_time() - cpu_start)
                wall[name].append(time.perf_counter() - wall_start)
    return {name: Timing(tuple(wall[name]), tuple(cpu[name])) for name in names}


class LoadSeen(NamedTuple):
    """The load a timing run saw: 1-minute load averages and this process's CPU per wall."""

    load_before: float
    load_after: float
    cpu_per_wall: float


@contextlib.contextmanager
def watch_load() -> Iterator[list[LoadSeen]]:
    """Measure the load around a block; the yielded list holds one :class:`LoadSeen` after it.

    Example:
        >>> with watch_load() as seen:
        ...     _ = sum(range(1000))
        >>> len(seen), seen[0].cpu_per_wall >= 0
        (1, True)
    """
    seen: list[LoadSeen] = []
    load_before = os.getloadavg()[0]
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    yield seen
    cpu_s = time.process_time() - cpu_start
    wall_s = max(time.perf_counter() - wall_start, 1e-9)
    seen.append(LoadSeen(load_before, os.getloadavg()[0], cpu_s / wall_s))


def format_load(load: LoadSeen, n_cpus: int | None) -> str:
    """One line describing the load a run saw.

    Example:
        >>> format_load(LoadSeen(0.5, 1.25, 0.98), 2)
        '1-min load average 0.50 before, 1.25 after (2 CPUs); 0.98 CPU-s per wall-s while timing'
    """
    return (
        f"1-min load average {load.load_before:.2f} before, {load.load_after:.2f} after "
        f"({n_cpus} CPUs); {load.cpu_per_wall:.2f} CPU-s per wall-s while timing"
    )


@contextlib.contextmanager
def one_thread(threads: int = BENCH_THREADS) -> Iterator[bool]:
    """Run a block with ``threads`` torch threads and, if jax is not loaded yet, one XLA thread.

    Both settings are restored on exit (XLA reads its flags once, when jax starts).

    :param threads: torch intra-op threads in the block.
    :return: (yields) whether the XLA flags were applied.

    Example:
        >>> before = torch.get_num_threads()
        >>> with one_thread(1) as xla:
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    previous_threads = torch.get_num_threads()
    previous_flags = os.environ.get("XLA_FLAGS")
    xla = "jax" not in sys.modules
    if xla:
        os.environ["XLA_FLAGS"] = f"{previous_flags or ''} {XLA_ONE_THREAD}".strip()
    torch.set_num_threads(threads)
    try:
        yield xla
    finally:
        torch.set_num_threads(previous_threads)
        if xla and previous_flags is None:
            os.environ.pop("XLA_FLAGS", None)
        elif xla:
            os.environ["XLA_FLAGS"] = previous_flags


# --------------------------------------------------------------------------------------------
# the table and the headline
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table, per model: median wall ms, least CPU ms, speed-up vs tc torch."""

    case: str
    dtype: str
    method: str
    wall_ms: float
    cpu_ms: float
    speedup: float


def _ensemble_method(size: int) -> str:
    return f"fast path, E={size}, per model"


def build_rows(
    timings: Mapping[tuple[BenchCase, torch.dtype, str], Timing],
    cases: Sequence[BenchCase],
    dtypes: Sequence[torch.dtype],
    ensemble: EnsembleCase | None,
) -> list[Row]:
    """Turn the timings into table rows (per model; speed-ups of least CPU times).

    :param timings: by ``(case, dtype, method)``; the ensemble's entry times the whole
        ensemble step.
    :param cases: shapes, in table order.
    :param dtypes: dtypes, in table order.
    :param ensemble: where the ensemble row is, or ``None``.
    :return: rows; methods without a measurement are left out.

    Example:
        >>> case, c64 = BenchCase(2, 1, 1), torch.complex64
        >>> t = {(case, c64, TC_TORCH): Timing((2.0,), (1.0,)),
        ...      (case, c64, FAST): Timing((1.0,), (0.1,))}
        >>> [round(r.speedup, 6) for r in build_rows(t, [case], [c64], None)]
        [1.0, 10.0]
    """
    rows = []
    for case in cases:
        for dtype in dtypes:
            reference = timings[(case, dtype, TC_TORCH)].cpu_min
            methods = [(TC_TORCH, 1), (FAST, 1), (TC_JAX, 1)]
            if ensemble is not None and (ensemble.case, ensemble.dtype) == (case, dtype):
                methods.append((_ensemble_method(ensemble.size), ensemble.size))
            for method, n_models in methods:
                timing = timings.get((case, dtype, method))
                if timing is None:
                    continue
                cpu = timing.cpu_min / n_models
                wall = timing.wall_median / n_models
                label = dtype_label(dtype)
                rows.append(Row(case.label, label, method, 1e3 * wall, 1e3 * cpu, reference / cpu))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table.

    Example:
        >>> print(format_table([Row("2q/d1/b1", "complex64", "fast path, E=1", 1.6, 1.5, 10.0)]))
        | config | dtype | method | wall ms (median) | CPU ms (least) | speed-up vs tc torch (CPU) |
        |---|---|---|---:|---:|---:|
        | 2q/d1/b1 | complex64 | fast path, E=1 | 1.60 | 1.50 | 10.00x |
    """
    lines = [
        "| config | dtype | method | wall ms (median) | CPU ms (least) "
        "| speed-up vs tc torch (CPU) |",
        "|---|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.case} | {row.dtype} | {row.method} | {row.wall_ms:.2f} | {row.cpu_ms:.2f} "
            f"| {row.speedup:.2f}x |"
        )
    return "\n".join(lines)


def headline_speedup(
    timings: Mapping[tuple[BenchCase, torch.dtype, str], Timing],
    headline: tuple[BenchCase, torch.dtype],
) -> float:
    """Least CPU time of tensorcircuit's torch step over the fast path's, at ``headline``.

    Example:
        >>> case, c = BenchCase(2, 1, 1), torch.complex128
        >>> headline_speedup({(case, c, TC_TORCH): Timing((9.0,), (4.0,)),
        ...                   (case, c, FAST): Timing((1.0,), (0.5,))}, (case, c))
        8.0
    """
    case, dtype = headline
    return timings[(case, dtype, TC_TORCH)].cpu_min / timings[(case, dtype, FAST)].cpu_min


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


def _print_header(plan: RepeatPlan, quick: bool, with_jax: bool, xla_one_thread: bool) -> None:
    import tensorcircuit as tc

    print(
        "QNN training step (forward + the loss of qmlr.core.train.fit + backward + "
        "qmlr.core.train.adam, "
        f"fused Adam), one model unless noted; torch {torch.__version__}, tensorcircuit-ng "
        f"{tc.__version__}, {torch.get_num_threads()} torch thread(s) as each study worker, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(
        f"repeats: warm-up {plan.warmup}, {plan.rounds} round-robin round(s)"
        + (" (quick)" if quick else "")
        + "; speed-ups are ratios of the least CPU time per call"
    )
    if not with_jax:
        print("note: jax is not importable; the tensorcircuit-ng jax method is skipped")
    elif not xla_one_thread:
        print("note: jax was loaded before the benchmark; XLA may use more than one thread")


def main(
    quick: bool = False,
    cases: Sequence[BenchCase] = CASES,
    dtypes: Sequence[torch.dtype] = DTYPES,
    headline: tuple[BenchCase, torch.dtype] = HEADLINE,
    ensemble: EnsembleCase | None = ENSEMBLE,
) -> int:
    """Run the benchmark and print the table; the last line is ``format_speedup(X)``.

    :param quick: one round (a smoke run; timings are rough).
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
    with one_thread() as xla_one_thread:
        _print_header(plan, quick, with_jax, xla_one_thread)
        start = time.perf_counter()
        steps = _build_steps(cases, dtypes, ensemble, with_jax)
        calls = {key: step.run for key, step in steps.items()}
        per_round = {key: plan.per_round.get(key[2], 1) for key in steps}
        with watch_load() as seen:
            timings = round_robin_times(calls, plan.warmup, plan.rounds, per_round)
        load = format_load(seen[0], os.cpu_count())
        print(f"measured in {time.perf_counter() - start:.0f} s; {load}")
        print()
        print(format_table(build_rows(timings, cases, dtypes, ensemble)))
        compiled = [(key, step.compile_s) for key, step in steps.items() if step.compile_s]
        if compiled:
            print()
            for (case, dtype, method), compile_s in compiled:
                label = f"{case.label} {dtype_label(dtype)} {method}"
                print(f"compile time (jit), {label}: {compile_s:.2f} s")
        print()
        print(format_speedup(headline_speedup(timings, headline)))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round (a smoke run)")
    sys.exit(main(quick=parser.parse_args().quick))
