"""How much does training depend on the CPU's kernels? Emulate CPUs on one machine and measure.

Each configuration runs in a fresh process under an environment that selects different kernels
of the same torch build: ``ATEN_CPU_CAPABILITY`` picks ATen's vectorized kernels (``default`` =
scalar, ``avx2``, ``avx512``; a capability the CPU lacks falls back to the best it has) and
``MKL_CBWR`` pins MKL's code path (``COMPATIBLE``, ``AVX2``, ...). A *pin* is a change of the
training code tried as a cure (unfused Adam, deterministic algorithms). For each configuration
the script:

1. hashes the outputs of the single kernels training is built from (batched matmuls of the MLP
   and the QNN, reductions, the loss, transcendental functions, one Adam step, fused and not), to
   name the kernels whose results depend on the configuration;
2. recomputes committed results (an XXZ MLP unlearning run, and an XXZ MLP and an MNIST QNN
   resilience cell in their recorded ensembles, one torch thread) and counts the validation
   samples whose prediction moved, against the committed file and against the same pin under the
   machine's native kernels, at any step of a curve and at its last step.

Run from the repository root (all configurations took 57 minutes on a loaded 2-core machine)::

    python benchmarks/cpu_drift.py            # every configuration, the table on stdout
    python benchmarks/cpu_drift.py --quick    # kernel hashes only (a minute)
    python benchmarks/cpu_drift.py --timing 3 # time short trainings in each configuration
    python benchmarks/cpu_drift.py --json drift.json   # also keep the raw rows
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The committed results recomputed: task name -> (study, key).
TASKS: dict[str, tuple[str, str]] = {
    "unlearning XXZ MLP": ("unlearning", "bf523f78769a69bf"),
    "resilience XXZ MLP": ("resilience", "203a782aadd1bb0a"),
    "resilience MNIST QNN": ("resilience", "078cff35e9b158bd"),
}
ALL, MLP, NONE = tuple(TASKS), tuple(t for t in TASKS if "MLP" in t), ()


@dataclass(frozen=True)
class Config:
    """One emulated CPU: kernel-selecting environment, a pin of the training code, and the tasks
    worth recomputing (none where the kernel hashes equal a configuration already run)."""

    env: dict[str, str]
    pin: str = "none"
    tasks: tuple[str, ...] = ALL


DEFAULT, COMPATIBLE = {"ATEN_CPU_CAPABILITY": "default"}, {"MKL_CBWR": "COMPATIBLE"}
#: name -> configuration; the first is the machine's native one.
CONFIGS: dict[str, Config] = {
    "native": Config({}),
    "aten=default": Config(DEFAULT),
    "mkl=COMPATIBLE": Config(COMPATIBLE),
    "mkl=AVX2": Config({"MKL_CBWR": "AVX2"}, tasks=NONE),
    "aten=default mkl=COMPATIBLE": Config({**DEFAULT, **COMPATIBLE}, tasks=MLP),
    "native +unfused-adam": Config({}, "unfused-adam"),
    "aten=default +unfused-adam": Config(DEFAULT, "unfused-adam"),
    "mkl=COMPATIBLE +unfused-adam": Config(COMPATIBLE, "unfused-adam", NONE),
    "aten=default mkl=COMPATIBLE +unfused-adam": Config(
        {**DEFAULT, **COMPATIBLE}, "unfused-adam", NONE
    ),
    "aten=default +deterministic": Config(DEFAULT, "deterministic", NONE),
}


# ----------------------------------------------------------------------------- worker side
def _apply_pin(pin: str) -> None:
    import torch

    import qmlr.core.train

    if pin == "unfused-adam":
        qmlr.core.train.adam = lambda params, lr: torch.optim.Adam(
            params, lr=lr, fused=False, foreach=False
        )
    elif pin == "deterministic":
        torch.use_deterministic_algorithms(True)
    elif pin != "none":
        raise ValueError(f"unknown pin {pin!r}")


def _digest(t) -> str:
    import torch

    t = t.detach().contiguous()
    if t.is_complex():
        t = torch.view_as_real(t).contiguous()
    return hashlib.sha256(t.numpy().tobytes()).hexdigest()[:12]


def kernel_hashes() -> dict[str, str]:
    """Digest of each kernel's output on fixed inputs (same inputs in every configuration)."""
    import torch

    gen = torch.Generator().manual_seed(0)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)

    x, w, b = randn(3, 64, 8192), randn(3, 8192, 16), randn(3, 1, 16)
    h, w2 = randn(3, 64, 16), randn(3, 16, 1)
    zr = randn(2, 64, 64, dtype=torch.complex64)
    psi = randn(2, 64, 512, dtype=torch.complex64)
    logits, labels = randn(3, 64), (randn(3, 64) > 0).float()
    out = {
        "baddbmm 8192x16 (MLP layer 1)": torch.baddbmm(b, x, w),
        "baddbmm 16x1 (MLP output)": torch.baddbmm(b[..., :1], h, w2),
        "bmm^T 8192 (MLP weight grad)": torch.bmm(x.transpose(1, 2), h),
        "bmm complex64 (QNN layer)": torch.bmm(zr, psi),
        "sum over 8192 (reduction)": x.sum(dim=-1),
        "mean over 64 (reduction)": logits.mean(dim=-1),
        "exp": torch.exp(logits),
        "log1p": torch.log1p(logits.abs()),
        "cos/sin": torch.cos(logits) + torch.sin(logits),
        "BCE with logits": torch.nn.functional.binary_cross_entropy_with_logits(
            logits, labels, reduction="none"
        ),
    }
    for name, kwargs in {
        "Adam step fused": dict(fused=True),
        "Adam step unfused (single tensor)": dict(fused=False, foreach=False),
        "Adam step foreach": dict(fused=False, foreach=True),
    }.items():
        p = torch.nn.Parameter(w.clone())
        opt = torch.optim.Adam([p], lr=0.01, **kwargs)
        for _ in range(3):
            p.grad = x.transpose(1, 2)[..., :16].clone() * 1e-3
            opt.step()
        out[name] = p
    return {k: _digest(v) for k, v in out.items()}


def recompute_task(study: str, key: str) -> dict:
    """Recompute one committed result in this process: its validation curves and metrics."""
    import torch

    import qmlr.studies.unlearning_study  # noqa: F401  (registers the unlearning spec kind)
    from qmlr.engine.agreement import recompute
    from qmlr.engine.runner import clean_split
    from qmlr.engine.store import ResultStore

    torch.set_num_threads(1)
    store = ResultStore(ROOT / "results")
    stored = store.load_file(ROOT / "results" / study / "cells" / f"{key}.json")
    start, cpu_start = time.perf_counter(), time.process_time()
    if study == "unlearning":
        from qmlr.studies.unlearning_study import compute_spec

        fresh = compute_spec(stored.spec)
    else:
        fresh = recompute(stored, store, check=False)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    n_val = len(clean_split(stored.spec.data, "val").y)
    return {
        "n_val": n_val,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "val": validation_curves(fresh.metrics),
        "metrics": fresh.metrics,
    }


def validation_curves(metrics: dict) -> dict[str, list[float]]:
    """Every validation-accuracy curve of a result (a sweep cell has one single-point curve)."""
    if "curves" in metrics:
        curves = {m: c["val_accuracy"] for m, c in metrics["curves"].items()}
        return {"base": [metrics["base_val_accuracy"]], **curves}
    return {"final": [metrics["val_accuracy"]]}


def training_seconds(repeats: int) -> dict[str, float]:
    """Median CPU seconds of the short MLP and QNN trainings of ``bench_training.py``."""
    import importlib.util

    import torch

    spec = importlib.util.spec_from_file_location(
        "bench_training", ROOT / "benchmarks" / "bench_training.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    torch.set_num_threads(1)
    runs = {
        "MLP [64,16]/8192": bench.mlp_training(fused=True),  # qmlr.core.train.adam, pinned or not
        "QNN 12q/d4": bench.qnn_training(bench.qnn.GROUP_QUBITS),
    }
    return bench.round_robin(runs, repeats)


def worker(pin: str, tasks: list[str], timing: int) -> None:
    import torch

    _apply_pin(pin)
    row = {"capability": torch.backends.cpu.get_cpu_capability(), "kernels": kernel_hashes()}
    row["tasks"] = {name: recompute_task(*TASKS[name]) for name in tasks}
    if timing:
        row["timing"] = training_seconds(timing)
    print(json.dumps(row))


# ----------------------------------------------------------------------------- parent side
def run_config(name: str, tasks: tuple[str, ...], timing: int = 0) -> dict:
    """Run one configuration in a fresh process (so its environment selects the kernels)."""
    config = CONFIGS[name]
    env = {**os.environ, **config.env, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, __file__, "--worker", config.pin, "--tasks", json.dumps(tasks)]
    cmd += ["--timing", str(timing)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"{name}: worker failed\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def drift(stored, metrics: dict) -> tuple[str, tuple[int, int], tuple[int, int]]:
    """(verdict, (val samples moved any step, last step), (any accuracy's, same)) of a
    recomputation against ``stored``, counted by :func:`qmlr.engine.agreement.agree`."""
    from qmlr.engine.agreement import agree
    from qmlr.engine.store import CellResult

    # no fingerprint on either side: always the cross-CPU comparison, which counts samples
    got = agree(CellResult(stored.spec, stored.metrics, {}), CellResult(stored.spec, metrics, {}))
    if not got.differing:
        return "identical", (0, 0), (0, 0)
    val = [m for k, m in got.moved.items() if "val" in k.rsplit(".", 1)[-1]] or [(0, 0)]
    every = list(got.moved.values()) or [(0, 0)]
    return (
        "moved" if got.moved else "differs",
        (max(a for a, _ in val), max(b for _, b in val)),
        (max(a for a, _ in every), max(b for _, b in every)),
    )


def report(rows: dict[str, dict]) -> None:
    """Print the kernel table and the drift table of the rows of :func:`run_config`."""
    import qmlr.studies.unlearning_study  # noqa: F401  (registers the unlearning spec kind)
    from qmlr.engine.agreement import CROSS_CPU_SAMPLES_ANY_STEP, CROSS_CPU_SAMPLES_LAST_STEP
    from qmlr.engine.store import CellResult, ResultStore

    names = list(rows)
    native = rows[names[0]]["kernels"]
    print(f"\nKernels whose output differs from the {names[0]!r} configuration's:")
    for name, row in rows.items():
        moved = [k for k, v in row["kernels"].items() if v != native[k]]
        print(f"  {name:42s} [{row['capability']:7s}] {', '.join(moved) or '(none)'}")

    timed = {name: row["timing"] for name, row in rows.items() if "timing" in row}
    if timed:
        first = next(iter(timed.values()))
        print("\nMedian CPU seconds of a short training (one thread), and the ratio to the first:")
        for name, seconds in timed.items():
            cells = "  ".join(f"{k} {v:6.2f} s ({v / first[k]:4.2f}x)" for k, v in seconds.items())
            print(f"  {name:42s} {cells}")
    if not any(row["tasks"] for row in rows.values()):
        return

    store = ResultStore(ROOT / "results")
    print(
        "\nSamples whose prediction moved, at any step / at the last step of a curve: of the\n"
        "validation set (val) and of any set (all: validation, train, retain, forget), against\n"
        "the committed result and against the same pin under native kernels; CPU seconds of the\n"
        "recomputation (one torch thread):"
    )
    header = f"  {'configuration':42s} {'task':21s} {'vs committed':>19s} {'vs native':>19s}"
    print(header + f" {'CPU s':>6s}")
    print(f"  {'':42s} {'':21s} {'val':>9s} {'all':>9s} {'val':>9s} {'all':>9s}")
    worst = [0, 0]

    def pair(base, metrics: dict, count: bool) -> list[str]:
        verdict, val, every = drift(base, metrics)
        if verdict == "identical":
            return ["identical", ""]
        if count:
            worst[:] = [max(worst[0], every[0]), max(worst[1], every[1])]
        return [f"{val[0]}/{val[1]}", f"{every[0]}/{every[1]}"]

    for name, row in rows.items():
        pin = CONFIGS[name].pin
        reference = next((n for n in rows if CONFIGS[n].env == {} and CONFIGS[n].pin == pin), None)
        for task, got in row["tasks"].items():
            study, key = TASKS[task]
            stored = store.load_file(ROOT / "results" / study / "cells" / f"{key}.json")
            cells = pair(stored, got["metrics"], count=pin == "none")
            ref = rows[reference]["tasks"].get(task) if reference else None
            if ref is None:
                cells += ["-", "-"]
            else:
                cells += pair(CellResult(stored.spec, ref["metrics"], {}), got["metrics"], False)
            print(
                f"  {name:42s} {task:21s} {cells[0]:>9s} {cells[1]:>9s} {cells[2]:>9s} "
                f"{cells[3]:>9s} {got.get('cpu_seconds', float('nan')):6.1f}"
            )
    print(
        f"\nLargest drift without a pin: {worst[0]} samples at any step, {worst[1]} at the last; "
        f"qmlr.engine.agreement allows {CROSS_CPU_SAMPLES_ANY_STEP} and "
        f"{CROSS_CPU_SAMPLES_LAST_STEP}."
    )


MATMUL = """
g = torch.Generator().manual_seed(0)
x = torch.randn(64, 8192, generator=g, dtype=torch.float64).float()
w = torch.randn(8192, 16, generator=g, dtype=torch.float64).float()
print(hashlib.sha256((x @ w).numpy().tobytes()).hexdigest())
"""


def late_settings() -> list[str]:
    """Is each variable obeyed when a process sets it after ``import torch``?"""

    def run(code: str, env: dict[str, str] | None = None) -> str:
        code = "import hashlib, os, torch\n" + code
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    set_aten = "os.environ['ATEN_CPU_CAPABILITY'] = 'default'\n"
    capability = "print(torch.backends.cpu.get_cpu_capability())"
    before_op = run(set_aten + capability)
    after_op = run("torch.ones(64).add_(1)\n" + set_aten + capability)
    late = run("os.environ['MKL_CBWR'] = 'COMPATIBLE'\n" + MATMUL)
    at_launch, native = run(MATMUL, COMPATIBLE), run(MATMUL)
    mkl = "obeyed" if late == at_launch != native else "not obeyed"
    return [
        "ATEN_CPU_CAPABILITY=default set after `import torch`, before any kernel ran: "
        f"capability {before_op}; after one kernel ran: capability {after_op}",
        f"MKL_CBWR=COMPATIBLE set after `import torch`, before the first matmul: {mkl}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--tasks", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="kernel hashes only")
    parser.add_argument(
        "--timing",
        type=int,
        default=0,
        metavar="N",
        help="instead of recomputing, time short trainings (median of N) in each configuration",
    )
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS), help="subset of configs")
    parser.add_argument("--json", help="keep the raw rows in this file (written as they come)")
    parser.add_argument("--from-json", help="print the tables of rows kept by --json")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, json.loads(args.tasks), args.timing)
        return
    if args.from_json:
        report(json.loads(Path(args.from_json).read_text()))
        return

    from qmlr.engine.fingerprint import cpu_fingerprint

    print("machine:", json.dumps(cpu_fingerprint()))
    print("\n".join(late_settings()))
    rows = {}
    for name in args.configs:
        tasks = () if args.quick or args.timing else CONFIGS[name].tasks
        rows[name] = run_config(name, tasks, args.timing)
        print(f"  ran {name} (capability {rows[name]['capability']})", file=sys.stderr)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
    report(rows)


if __name__ == "__main__":
    main()
