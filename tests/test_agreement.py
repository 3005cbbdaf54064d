"""Recompute checks: bit identity on the same CPU fingerprint, the cross-CPU tolerance elsewhere."""

from __future__ import annotations

import dataclasses
import functools
import json

import pytest

from qmlr.core.train import TrainConfig
from qmlr.engine import agreement as A
from qmlr.engine import fingerprint as F
from qmlr.engine import runner
from qmlr.engine.agreement import (
    BIT_IDENTICAL,
    CROSS_CPU,
    CROSS_CPU_SAMPLES_ANY_STEP,
    CROSS_CPU_SAMPLES_LAST_STEP,
    agree,
)
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.engine.store import CellResult, ResultStore

SPEC = CellSpec(
    "tiny", DataSpec("mnist"), ModelSpec("mlp", hidden=(8, 4)), TrainConfig(2, 128, 0.01),
    "label_flip", 0.4, 0,
)  # fmt: skip


@functools.cache
def stored_on_this_machine() -> tuple[CellResult, int]:
    """A result computed here, just now (so its fingerprint is this machine's), and n_val."""
    result = runner.compute_cell(SPEC)
    return result, len(runner.clean_split(SPEC.data, "val").y)


def moved_by(result: CellResult, samples: int, n_val: int, **provenance) -> CellResult:
    """``result`` with its validation accuracy moved by ``samples`` samples."""
    metrics = {**result.metrics, "val_accuracy": result.metrics["val_accuracy"] - samples / n_val}
    return CellResult(result.spec, metrics, {**result.provenance, **provenance})


def fake_other_cpu(monkeypatch) -> None:
    """Make this process report another CPU's fingerprint."""
    real = F._static_fingerprint()
    monkeypatch.setattr(
        F, "_static_fingerprint", lambda: {**real, "cpu_model": "Other CPU", "cpu_capability": "X"}
    )


def test_a_fresh_result_recomputes_bit_identically_on_the_same_cpu(tmp_path):
    stored, n_val = stored_on_this_machine()
    store = ResultStore(tmp_path)
    store.save(stored)
    fresh = A.recompute(store.load(SPEC), store)
    check = fresh.provenance["recompute_check"]
    assert check["mode"] == BIT_IDENTICAL and check["ok"], check
    assert json.dumps(fresh.metrics) == json.dumps(stored.metrics)
    # one validation sample moved is within the cross-CPU tolerance, but not on the same CPU
    with pytest.raises(AssertionError, match=f"{SPEC.key()}: {BIT_IDENTICAL} check .* FAILED"):
        A.recompute(moved_by(stored, 1, n_val), store)


def test_another_cpu_is_checked_with_the_tolerance(tmp_path, monkeypatch):
    stored, n_val = stored_on_this_machine()
    store = ResultStore(tmp_path)
    store.save(stored)
    fake_other_cpu(monkeypatch)
    fresh = A.recompute(moved_by(stored, CROSS_CPU_SAMPLES_LAST_STEP, n_val), store)
    check = fresh.provenance["recompute_check"]
    assert check["mode"] == CROSS_CPU and check["ok"], check
    assert "cpu_model" in check["summary"] and "'Other CPU'" in check["summary"]
    beyond = moved_by(stored, CROSS_CPU_SAMPLES_LAST_STEP + 1, n_val)
    with pytest.raises(AssertionError, match=f"{SPEC.key()}: {CROSS_CPU} check .* FAILED"):
        A.recompute(beyond, store)
    unchecked = A.recompute(beyond, store, check=False)
    assert unchecked.provenance["recompute_check"]["ok"] is False


def test_a_result_stored_before_fingerprints_counts_as_another_cpu():
    stored, n_val = stored_on_this_machine()
    old = CellResult(
        SPEC, stored.metrics, {k: v for k, v in stored.provenance.items() if k != "cpu"}
    )
    agreement = agree(old, moved_by(stored, 1, n_val))
    assert agreement.mode == CROSS_CPU and agreement.ok
    assert agreement.moved == {"val_accuracy": (1, 1)}
    assert "fingerprint 'not recorded'" in str(agreement)


def test_counts_must_agree_exactly_across_cpus():
    stored, _ = stored_on_this_machine()
    other = {**stored.provenance, "cpu": {**stored.provenance["cpu"], "cpu_model": "Other"}}
    fresh = CellResult(
        SPEC, {**stored.metrics, "n_corrupted": stored.metrics["n_corrupted"] + 1}, other
    )
    agreement = agree(stored, fresh)
    assert agreement.mode == CROSS_CPU and not agreement.ok
    assert agreement.broken == ("n_corrupted",)
    with pytest.raises(AssertionError, match=SPEC.key()):
        agreement.check()


def curve_result(curve: list[float], cpu: str) -> CellResult:
    metrics = {"curves": {"finetune": {"val_accuracy": curve, "forget_loss": [0.1] * len(curve)}}}
    return CellResult(SPEC, metrics, {"cpu": {"cpu_model": cpu}})


@pytest.mark.parametrize(
    ("any_step", "last", "ok"),
    [
        (CROSS_CPU_SAMPLES_ANY_STEP, CROSS_CPU_SAMPLES_LAST_STEP, True),
        (CROSS_CPU_SAMPLES_ANY_STEP + 1, 0, False),
        (0, CROSS_CPU_SAMPLES_LAST_STEP + 1, False),
    ],
)
def test_curves_may_move_a_few_samples_at_any_step_and_fewer_at_the_last(any_step, last, ok):
    n = 100
    stored = curve_result([0.5, 0.5, 0.5], "A")
    fresh = curve_result([0.5, 0.5 + any_step / n, 0.5 - last / n], "B")
    agreement = agree(stored, fresh, sizes={"n_val": n})
    assert agreement.mode == CROSS_CPU and agreement.ok is ok
    assert agreement.max_moved() == (max(any_step, last), last)
    same_cpu = agree(stored, curve_result(fresh.metrics["curves"]["finetune"]["val_accuracy"], "A"))
    assert same_cpu.mode == BIT_IDENTICAL and same_cpu.ok is (any_step == last == 0)


def test_results_of_different_specs_are_not_compared():
    stored, _ = stored_on_this_machine()
    other = CellResult(dataclasses.replace(SPEC, run=1), stored.metrics, stored.provenance)
    with pytest.raises(ValueError, match="not the same result"):
        agree(stored, other)


def chaotic_result(kind: str, dataset: str, accuracy: float, cpu: str) -> CellResult:
    spec = CellSpec(
        "tiny", DataSpec(dataset), ModelSpec(kind, hidden=(8, 4)), TrainConfig(2, 128, 0.01),
        "label_flip", 0.4, 0,
    )  # fmt: skip
    return CellResult(spec, {"val_accuracy": accuracy}, {"cpu": {"cpu_model": cpu}})


def test_a_model_measured_chaotic_across_cpus_gets_twice_its_drift():
    """The committed drift table names models beyond the default; each gets DRIFT_FACTOR times
    its measured drift, and one sample more than that fails."""
    drift = A.measured_drift()
    chaotic = {k: v for k, v in drift.items() if v[0] > CROSS_CPU_SAMPLES_ANY_STEP}
    assert chaotic, "the committed controls drift table names no model beyond the default"
    for name, (any_step, last) in drift.items():
        allowed = A.tolerance(*name.split("/"))
        assert allowed[0] >= A.DRIFT_FACTOR * any_step and allowed[1] >= A.DRIFT_FACTOR * last
    name = max(chaotic, key=lambda k: chaotic[k][0])
    kind, dataset = name.split("/")
    allowed = A.tolerance(kind, dataset)[1]
    n = 100
    stored = chaotic_result(kind, dataset, 0.5, "A")
    within = agree(stored, chaotic_result(kind, dataset, 0.5 + allowed / n, "B"), {"n_val": n})
    off = chaotic_result(kind, dataset, 0.5 - (allowed + 1) / n, "B")
    beyond = agree(stored, off, {"n_val": n})
    assert within.ok and within.allowed[1] == allowed and f"and {allowed})" in str(within)
    assert not beyond.ok
    # a model never measured beyond the default keeps the default
    assert A.tolerance("qnn", dataset) == (CROSS_CPU_SAMPLES_ANY_STEP, CROSS_CPU_SAMPLES_LAST_STEP)


def test_the_committed_drift_table_is_what_its_command_computes():
    """``results/cross-cpu-drift/*.json`` regenerate from the git history they name."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    try:
        from benchmarks.revision_drift import drift_table
    finally:
        sys.path.remove(str(root))
    for path in sorted(A.DRIFT_DIR.glob("*.json")):
        table = json.loads(path.read_text())
        have = subprocess.run(
            ["git", "-C", str(root), "cat-file", "-e", f"{table['before']}^{{commit}}"],
            capture_output=True,
        )
        if have.returncode:
            pytest.skip(f"revision {table['before']} is not in this clone (shallow?)")
        fresh = drift_table(table["study"], table["before"], table["after"])
        assert fresh["by_model"] == table["by_model"], path.name
