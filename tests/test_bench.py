"""Tests for the QNN benchmark (benchmarks/qnn_steps.py, benchmarks/bench_qnn.py).

The timed steps agree, the harness and the output format work, the configuration is the
studies' (one torch thread, the optimizer of ``fit``). No timings are asserted: the steps run a
few times at a tiny size to show they compute the same thing.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import tensorcircuit as tc
import torch

from benchmarks import bench_qnn as harness
from benchmarks import qnn_steps as bench
from qmlr.core import train
from qmlr.engine import runner

TINY = bench.BenchCase(n_qubits=4, depth=2, batch=2)
# Adam moves a component by lr * g / (|g| + 1e-8). Components whose gradient is analytically zero
# (outside the light cone of the measured qubit) carry float64 round-off g ~ 1e-16 and so move by
# up to ~lr * 1e-8; with lr = 1e-3 that stays far below the 1e-10 tolerance, while a component
# with a real gradient moves by ~lr, so a wrong gradient would show.
LR = 1e-3
STEPS = 3


def run_steps(step: bench.TrainStep, n: int = STEPS) -> list[float]:
    return [step.run() for _ in range(n)]


def test_fast_and_tc_torch_steps_agree_in_complex128() -> None:
    fast = bench.fast_step(TINY, torch.complex128, seed=3, lr=LR)
    ref = bench.tc_torch_step(TINY, torch.complex128, seed=3, lr=LR)
    init = fast.params()
    np.testing.assert_allclose(ref.params(), init, rtol=0, atol=0)

    np.testing.assert_allclose(run_steps(fast), run_steps(ref), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.params(), ref.params(), rtol=0, atol=1e-10)
    # the steps did train: the measured qubit's rotations moved by about STEPS * lr
    moved = np.abs(fast.params() - init)[0, -1, -1, :3]
    assert np.all(moved > 0.5 * STEPS * LR)


def test_steps_run_in_complex64_and_agree_on_the_first_loss() -> None:
    fast = bench.fast_step(TINY, torch.complex64, seed=3)
    ref = bench.tc_torch_step(TINY, torch.complex64, seed=3)
    first_fast, first_ref = fast.run(), ref.run()
    np.testing.assert_allclose(first_fast, first_ref, rtol=1e-5)
    assert np.isfinite(run_steps(fast, 1) + run_steps(ref, 1)).all()
    assert fast.params().dtype == ref.params().dtype == np.float64


def test_ensemble_step_trains_every_member_on_its_own_data() -> None:
    ens = bench.fast_step(TINY, torch.complex128, n_models=3, seed=5, lr=LR)
    assert ens.n_models == 3 and ens.params().shape == (3, 2, 4, 4)
    x_ens, y_ens = bench.bench_data(TINY, torch.complex128, n_models=3)
    x_one, y_one = bench.bench_data(TINY, torch.complex128, n_models=1)
    np.testing.assert_array_equal(x_ens[:1].numpy(), x_one.numpy())
    np.testing.assert_array_equal(y_ens[:1].numpy(), y_one.numpy())
    assert not torch.equal(x_ens[1], x_ens[0])
    # member 0 (seed 5, the first batch) trains exactly like a single model with seed 5
    single = bench.fast_step(TINY, torch.complex128, seed=5, lr=LR)
    losses, single_losses = run_steps(ens), run_steps(single)
    np.testing.assert_allclose(ens.params()[:1], single.params(), rtol=0, atol=1e-10)
    assert not np.allclose(ens.params()[1], single.params()[0])
    # the step's loss sums the members' mean losses (all positive), so it exceeds member 0's
    assert np.all(np.isfinite(losses)) and losses[0] > single_losses[0]


def test_tc_jax_step_agrees_with_tc_torch() -> None:
    pytest.importorskip("jax")
    backend, dtype = tc.backend.name, tc.dtypestr
    jax_step = bench.tc_jax_step(TINY, torch.complex128, seed=3, lr=LR)
    assert (tc.backend.name, tc.dtypestr) == (backend, dtype)
    assert jax_step.compile_s is not None and jax_step.compile_s > 0
    ref = bench.tc_torch_step(TINY, torch.complex128, seed=3, lr=LR)
    np.testing.assert_allclose(run_steps(jax_step), run_steps(ref), rtol=0, atol=1e-10)
    np.testing.assert_allclose(jax_step.params(), ref.params(), rtol=0, atol=1e-10)


def test_bench_data_is_normalized_and_shared_across_dtypes() -> None:
    x64, y64 = bench.bench_data(TINY, torch.complex64, n_models=2, seed=4)
    x128, y128 = bench.bench_data(TINY, torch.complex128, n_models=2, seed=4)
    assert x64.dtype == torch.complex64 and y128.dtype == torch.float64
    np.testing.assert_allclose(torch.linalg.vector_norm(x128, dim=-1).numpy(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(x64.numpy(), x128.numpy(), atol=1e-6)
    np.testing.assert_array_equal(y64.numpy(), y128.numpy())
    assert set(np.unique(y128.numpy())) <= {0.0, 1.0}


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="n_qubits >= 2"):
        bench.BenchCase(1, 1, 1)
    with pytest.raises(ValueError, match="complex64 or torch.complex128"):
        bench.fast_step(TINY, torch.float64)
    with pytest.raises(ValueError, match="rounds >= 1"):
        harness.round_robin_times({"a": lambda: None}, warmup=0, rounds=0)
    with pytest.raises(ValueError, match="headline"):
        harness.main(quick=True, cases=(TINY,), headline=(harness.XXZ_CASE, torch.complex128))


def test_round_robin_warms_up_then_interleaves_and_rotates() -> None:
    calls: list[str] = []
    steps = {name: (lambda n=name: calls.append(n)) for name in "abc"}
    timings = harness.round_robin_times(steps, warmup=1, rounds=3, per_round={"b": 2})
    assert calls[:3] == ["a", "b", "c"]
    assert calls[3:] == ["a", "b", "b", "c"] + ["b", "b", "c", "a"] + ["c", "a", "b", "b"]
    assert set(timings) == {"a", "b", "c"}
    assert (
        [len(timings[n].cpu) for n in "abc"] == [len(timings[n].wall) for n in "abc"] == [3, 6, 3]
    )
    assert all(t >= 0 for n in "abc" for t in timings[n].cpu + timings[n].wall)


def test_round_robin_times_cpu_time_not_waiting() -> None:
    def busy() -> None:  # burns CPU
        sum(i * i for i in range(20_000))

    def idle() -> None:  # waits without CPU
        time.sleep(0.02)

    timings = harness.round_robin_times({"busy": busy, "idle": idle}, warmup=0, rounds=2)
    idle_t = timings["idle"]
    assert idle_t.wall_median >= 0.02 and idle_t.cpu_min < 0.5 * idle_t.wall_median
    assert timings["busy"].cpu_min > 0


def test_build_rows_reports_per_model_times_and_cpu_speedups() -> None:
    c64, c128 = torch.complex64, torch.complex128

    def timing(cpu: float) -> harness.Timing:  # wall = 3 x the CPU time, CPU min = cpu
        return harness.Timing(wall=(3 * cpu, 2 * cpu, 4 * cpu), cpu=(cpu, 1.5 * cpu, 2 * cpu))

    timings = {
        (TINY, c64, bench.TC_TORCH): timing(2.0),
        (TINY, c64, bench.FAST): timing(0.5),
        (TINY, c64, "fast path, E=4, per model"): timing(1.0),  # the whole ensemble step
        (TINY, c128, bench.TC_TORCH): timing(3.0),
        (TINY, c128, bench.FAST): timing(0.2),
        (TINY, c128, bench.TC_JAX): timing(0.1),
    }
    ensemble = harness.EnsembleCase(TINY, c64, 4)
    rows = harness.build_rows(timings, [TINY], [c64, c128], ensemble)
    got = [(r.dtype, r.method, r.cpu_ms, r.wall_ms, r.speedup) for r in rows]
    expected = [
        ("complex64", bench.TC_TORCH, 2000.0, 6000.0, 1.0),
        ("complex64", bench.FAST, 500.0, 1500.0, 4.0),
        ("complex64", "fast path, E=4, per model", 250.0, 750.0, 8.0),
        ("complex128", bench.TC_TORCH, 3000.0, 9000.0, 1.0),
        ("complex128", bench.FAST, 200.0, 600.0, 15.0),
        ("complex128", bench.TC_JAX, 100.0, 300.0, 30.0),
    ]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    np.testing.assert_allclose([g[2:] for g in got], [e[2:] for e in expected])
    assert harness.headline_speedup(timings, (TINY, c128)) == pytest.approx(15.0)
    table = harness.format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| 4q/d2/b2 | complex128 |" in table


def test_the_benchmark_times_the_studies_configuration() -> None:
    assert harness.BENCH_THREADS == runner.WORKER_THREADS == 1
    seen = []
    threads = torch.get_num_threads()
    with harness.one_thread():
        seen.append(torch.get_num_threads())
    assert seen == [runner.WORKER_THREADS] and torch.get_num_threads() == threads
    # the optimizer is the one fit builds: train.adam (fused), with its learning rate
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bench, "adam", lambda params, lr: calls.append(lr) or train.adam(params, lr))
        bench.fast_step(TINY, torch.complex64, lr=0.5)
        bench.tc_torch_step(TINY, torch.complex64, lr=0.25)
    assert calls == [0.5, 0.25]
    assert bench.adam is train.adam


def test_watch_load_reports_cpu_per_wall() -> None:
    with harness.watch_load() as seen:
        time.sleep(0.05)
    assert len(seen) == 1 and 0 <= seen[0].cpu_per_wall < 0.5
    assert "CPU-s per wall-s" in harness.format_load(seen[0], 2)


def test_parse_speedup_reads_the_last_line() -> None:
    text = "header\n| table |\n\n" + harness.format_speedup(12.345) + "\n\n"
    assert harness.format_speedup(12.345) == "qnn_speedup_vs_tensorcircuit_torch: 12.35"
    assert harness.parse_speedup(text) == 12.35
    assert harness.parse_speedup("qnn_speedup_vs_tensorcircuit_torch: 7") == 7.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "qnn_speedup_vs_tensorcircuit_torch: 3.00\nanother line",
        "qnn_speedup_vs_tensorcircuit_torch: fast",
        "speedup: 3.00",
    ],
)
def test_parse_speedup_rejects_other_output(text: str) -> None:
    with pytest.raises(ValueError, match="qnn_speedup_vs_tensorcircuit_torch"):
        harness.parse_speedup(text)


def test_main_prints_a_table_ending_in_the_speedup_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    threads, backend, dtype = torch.get_num_threads(), tc.backend.name, tc.dtypestr
    torch.set_num_threads(2)
    try:
        code = harness.main(
            quick=True,
            cases=(TINY,),
            headline=(TINY, torch.complex128),
            ensemble=harness.EnsembleCase(TINY, torch.complex64, 2),
        )
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert code == 0
    assert (tc.backend.name, tc.dtypestr) == (backend, dtype)
    assert harness.parse_speedup(out) > 0
    # tc torch + fast in two dtypes, one ensemble row, and tc jax in two dtypes where installed
    assert out.count("| 4q/d2/b2 |") == 5 + 2 * bench.jax_available()
    assert "fast path, E=2, per model" in out
    assert "1 torch thread(s)" in out and "CPU-s per wall-s" in out
    if not bench.jax_available():
        assert "jax is not importable" in out
