"""Does a recomputed result agree with the stored one? Bit for bit on the same CPU, within the
measured cross-CPU drift elsewhere.

Training is bit-for-bit repeatable only on the same kernels (:mod:`qmlr.engine.fingerprint`). When
the stored and the fresh result carry the same CPU fingerprint, :func:`agree` demands identical
metrics (mode ``"bit-identical"``). Otherwise (another CPU, other kernel settings, or a result
stored before fingerprints were recorded) it demands that every accuracy — each point of every
curve — moved by at most :data:`CROSS_CPU_SAMPLES_ANY_STEP` samples of its set, and at the last
step of a curve by at most :data:`CROSS_CPU_SAMPLES_LAST_STEP`, and that every count and label
is identical (mode ``"cross-CPU tolerance"``). Other real-valued metrics (losses, curvatures)
are reported there, not checked.

Some models train chaotically: a last-bit difference in one kernel grows into another minimum.
Where a whole study recomputed on another machine measured a model moving more samples than the
default allows (:data:`DRIFT_DIR`, written by ``benchmarks/revision_drift.py``), that model's
tolerance is :data:`DRIFT_FACTOR` times its measured drift (:func:`tolerance`).

Example:
    >>> from qmlr.engine.agreement import agree
    >>> from qmlr.engine.store import CellResult
    >>> from qmlr.core.train import TrainConfig
    >>> from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
    >>> spec = CellSpec("demo", DataSpec("xxz"), ModelSpec("mlp", hidden=(4,)),
    ...                 TrainConfig(1, 32, 0.01), "label_flip", 0.2, run=0)
    >>> cpu = {"cpu_model": "A"}
    >>> stored = CellResult(spec, {"val_accuracy": 0.5, "n_corrupted": 3}, {"cpu": cpu})
    >>> print(agree(stored, stored).mode)
    bit-identical
    >>> other = CellResult(spec, stored.metrics, {"cpu": {"cpu_model": "B"}})
    >>> print(agree(stored, other).mode)
    cross-CPU tolerance
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qmlr.engine.fingerprint import FingerprintMatch, compare
from qmlr.engine.runner import clean_split, train_group
from qmlr.engine.store import DEFAULT_RESULTS_DIR, CellResult, ResultStore

#: Samples of a set (validation, training, retain or forget) whose prediction a recomputation
#: on another CPU may change, at any point of an accuracy curve. Derived from
#: ``python benchmarks/cpu_drift.py``: recomputing an XXZ MLP unlearning run, an XXZ MLP and an
#: MNIST QNN resilience cell under other kernels than the machine's own (torch's scalar kernels,
#: MKL's compatible code path, both) moved at most 3 samples at any step and 2 at the last (an
#: AMD EPYC with AVX2, 2026-12-02); an Intel Xeon with AVX-512 moved 3 of 84 validation samples
#: of an XXZ MLP unlearning curve (issue 11). The tolerance is twice the largest drift measured.
CROSS_CPU_SAMPLES_ANY_STEP = 6
#: The same at the last step of a curve (a sweep cell's final accuracy is its only step): twice
#: the 2 samples measured there.
CROSS_CPU_SAMPLES_LAST_STEP = 4

#: Measured cross-CPU drift of whole studies, one JSON file per study
#: (``python benchmarks/revision_drift.py <study> <before> <after> --json DRIFT_DIR/<study>.json``).
DRIFT_DIR = DEFAULT_RESULTS_DIR / "cross-cpu-drift"
#: A model whose measured drift exceeds the default may move this many times its measured drift.
DRIFT_FACTOR = 2


@functools.cache
def measured_drift(folder: Path = DRIFT_DIR) -> dict[str, tuple[int, int]]:
    """The most samples each model moved in the measured recomputations of whole studies.

    :param folder: the folder of ``benchmarks/revision_drift.py`` tables.
    :return: ``{"<kind>/<dataset>": (any step, last step)}``, maxima over the tables.

    Example:
        >>> measured_drift()["centroid/mnist"]
        (0, 0)
    """
    drift: dict[str, tuple[int, int]] = {}
    for path in sorted(Path(folder).glob("*.json")):
        for name, row in json.loads(path.read_text())["by_model"].items():
            before = drift.get(name, (0, 0))
            drift[name] = (max(before[0], row["any_step"]), max(before[1], row["last_step"]))
    return drift


def tolerance(kind: str | None, dataset: str | None) -> tuple[int, int]:
    """Samples (at any step, at the last step) a cross-CPU recompute of a model may move.

    :param kind: the model kind (``None``: not a model's result, the default applies).
    :param dataset: the dataset name.
    :return: the default tolerance, or :data:`DRIFT_FACTOR` times the measured drift of this
        model where that is larger.

    Example:
        >>> tolerance("qnn", "mnist") == (CROSS_CPU_SAMPLES_ANY_STEP, CROSS_CPU_SAMPLES_LAST_STEP)
        True
        >>> tolerance("mlp-tanh", "xxz")[0] > CROSS_CPU_SAMPLES_ANY_STEP
        True
    """
    measured = measured_drift().get(f"{kind}/{dataset}", (0, 0))
    return (
        max(CROSS_CPU_SAMPLES_ANY_STEP, DRIFT_FACTOR * measured[0]),
        max(CROSS_CPU_SAMPLES_LAST_STEP, DRIFT_FACTOR * measured[1]),
    )


def _tolerance_of(result: Any) -> tuple[int, int]:
    model, data = getattr(result.spec, "model", None), getattr(result.spec, "data", None)
    return tolerance(getattr(model, "kind", None), getattr(data, "name", None))


BIT_IDENTICAL = "bit-identical"
CROSS_CPU = "cross-CPU tolerance"

#: Metric-name fragments and the set whose samples an accuracy of that name counts (the first
#: fragment found in the metric's name decides).
_SETS = (
    ("val", "n_val"),
    ("forget", "n_forget"),
    ("retain", "n_retain"),
    ("corrupted_memorized", "n_corrupted"),
    ("train", "n_train"),
)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Flatten nested dicts to ``{dotted path: leaf}`` (lists are leaves)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{path}.{k}" if path else str(k)))
        return out
    return {path: value}


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _is_real(value: Any) -> bool:
    return isinstance(value, float) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, float) for v in value)
    )


def set_sizes(result: Any) -> dict[str, int]:
    """Sizes of the sets a result's accuracies count: ``n_val``, ``n_train`` from the spec's
    clean splits, ``n_forget``, ``n_retain``, ``n_corrupted`` from its metrics where present.

    :param result: a :class:`qmlr.engine.store.CellResult`.
    :return: ``{set name: number of samples}``.
    """
    sizes = {k: int(v) for k, v in result.metrics.items() if k in ("n_forget", "n_retain")}
    if "n_corrupted" in result.metrics:
        sizes["n_corrupted"] = int(result.metrics["n_corrupted"])
    sizes["n_val"] = len(clean_split(result.spec.data, "val").y)
    sizes["n_train"] = len(clean_split(result.spec.data, "train").y)
    return sizes


def _set_of(path: str) -> str | None:
    name = path.rsplit(".", 1)[-1]
    if "accuracy" not in name and name not in ("corrupted_memorized", "val_predicted_1"):
        return None
    return next((n for fragment, n in _SETS if fragment in name), None)


def _samples_moved(a: float, b: float, n: int) -> int:
    """Samples of a set of ``n`` whose prediction moved between accuracies ``a`` and ``b`` (all
    ``n`` when only one of them is NaN)."""
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else n
    return round(abs(a - b) * n)


@dataclass(frozen=True)
class Agreement:
    """How a recomputed result compares with the stored one.

    :param key: the result's key.
    :param mode: :data:`BIT_IDENTICAL` (fingerprints match) or :data:`CROSS_CPU`.
    :param ok: whether the result passed the check of its mode.
    :param fingerprint: where the two CPU fingerprints differ.
    :param differing: metrics (dotted paths) whose values differ at all.
    :param moved: ``{accuracy: (samples moved at any step, at the last step)}`` of the
        accuracies that moved.
    :param broken: in tolerance mode, what fails it (counts or labels that differ, accuracies
        beyond the tolerance); in bit-identical mode, every differing metric.
    :param allowed: in tolerance mode, the samples (any step, last step) an accuracy may move
        (:func:`tolerance`).
    """

    key: str
    mode: str
    ok: bool
    fingerprint: FingerprintMatch
    differing: tuple[str, ...] = ()
    moved: dict[str, tuple[int, int]] = field(default_factory=dict)
    broken: tuple[str, ...] = ()
    allowed: tuple[int, int] = (CROSS_CPU_SAMPLES_ANY_STEP, CROSS_CPU_SAMPLES_LAST_STEP)

    def max_moved(self) -> tuple[int, int]:
        """(most samples moved at any step, at the last step) over every accuracy."""
        if not self.moved:
            return 0, 0
        return max(a for a, _ in self.moved.values()), max(b for _, b in self.moved.values())

    def __str__(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        if self.mode == BIT_IDENTICAL:
            detail = (
                "every metric identical"
                if not self.differing
                else f"{len(self.differing)} metrics differ: {', '.join(self.differing[:6])}"
            )
            return f"{self.key}: {BIT_IDENTICAL} check (same CPU fingerprint) {verdict}; {detail}"
        where = "; ".join(
            f"{k} {a!r} → {b!r}" for k, (a, b) in self.fingerprint.differences.items()
        )
        head = f"{self.key}: {CROSS_CPU} check (fingerprint differs: {where}) {verdict}"
        if not self.differing:
            return f"{head}; every metric identical"
        any_step, last = self.max_moved()
        text = (
            f"{head}; at most {any_step} samples moved at any step and {last} at the last (allowed "
            f"{self.allowed[0]} and {self.allowed[1]})"
        )
        return text + (f"; broken: {', '.join(self.broken[:6])}" if self.broken else "")

    def check(self) -> Agreement:
        """Raise ``AssertionError`` (its message names the result and the mode) unless ok.

        :return: ``self``, so that ``agree(a, b).check()`` can be kept.
        """
        if not self.ok:
            raise AssertionError(str(self))
        return self


def agree(stored: Any, fresh: Any, sizes: dict[str, int] | None = None) -> Agreement:
    """Compare a stored result with its recomputation, in the mode their fingerprints allow.

    :param stored: the stored :class:`qmlr.engine.store.CellResult` (its ``provenance["cpu"]`` may
    be
        missing: computed before fingerprints, so on "another CPU").
    :param fresh: the recomputed result, whose provenance holds this machine's fingerprint.
    :param sizes: set sizes (:func:`set_sizes`); looked up from the spec when needed and
        not given.
    :return: the :class:`Agreement`.
    """
    if stored.spec.key() != fresh.spec.key():
        raise ValueError(f"not the same result: {stored.spec.key()} vs {fresh.spec.key()}")
    match = compare(stored.provenance.get("cpu"), fresh.provenance.get("cpu") or {})
    old, new = _leaves(stored.metrics), _leaves(fresh.metrics)
    differing = tuple(k for k in sorted(set(old) | set(new)) if not _same(old.get(k), new.get(k)))
    key = stored.spec.key()
    if match.same:
        return Agreement(key, BIT_IDENTICAL, not differing, match, differing, {}, differing)
    moved: dict[str, tuple[int, int]] = {}
    broken = []
    allowed = _tolerance_of(stored)
    for path in differing:
        a, b = old.get(path), new.get(path)
        set_name = _set_of(path)
        if set_name is None or not (_is_real(a) and _is_real(b)):
            if not (_is_real(a) and _is_real(b)):
                broken.append(path)  # a count, label or shape: must not change with the CPU
            continue
        a, b = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
        if len(a) != len(b):
            broken.append(path)
            continue
        if sizes is None:
            sizes = set_sizes(stored)
        n = sizes.get(set_name)
        if n is None:
            broken.append(path)
            continue
        steps = [_samples_moved(x, y, n) for x, y in zip(a, b, strict=True)]
        moved[path] = (max(steps), steps[-1])
        if moved[path][0] > allowed[0] or steps[-1] > allowed[1]:
            broken.append(path)
    return Agreement(key, CROSS_CPU, not broken, match, differing, moved, tuple(broken), allowed)


def recompute(result: CellResult, store: ResultStore, check: bool = True) -> CellResult:
    """Recompute a stored sweep cell exactly as it was computed: the same ensemble members in
    the same order, with the same number of torch threads. (Training a member alone instead
    gives the same forward pass but backward reductions that differ by ~1e-17, which Adam's
    normalisation can amplify into a different final accuracy.)

    The fresh result is compared with the stored one by :func:`agree`:
    bit for bit where the two CPU fingerprints match, within the measured cross-CPU drift elsewhere
    (results stored before fingerprints were recorded count as another CPU). Which of the two
    was checked, and the verdict, are recorded in the fresh result's
    ``provenance["recompute_check"]``.

    :param result: a verified result from ``store``.
    :param store: the store holding the other members of its ensemble.
    :param check: raise ``AssertionError`` (naming the cell and the mode) when the fresh
        result does not agree.
    :return: the freshly computed result of the same cell.
    """
    import torch

    keys = result.provenance.get("ensemble_keys", [result.spec.key()])
    folder = store.root / result.spec.study / "cells"
    cells = [store.load_file(folder / f"{key}.json").spec for key in keys]
    previous = torch.get_num_threads()
    torch.set_num_threads(int(result.provenance.get("torch_threads", previous)))
    try:
        fresh = train_group(cells)[keys.index(result.spec.key())]
    finally:
        torch.set_num_threads(previous)
    agreement = agree(result, fresh)
    fresh.provenance["recompute_check"] = {
        "mode": agreement.mode,
        "ok": agreement.ok,
        "summary": str(agreement),
    }
    if check:
        agreement.check()
    return fresh
