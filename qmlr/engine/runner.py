"""Compute cells: prepare each member's (corrupted) data, train ensembles, store results.

Cells that share data, model and training hyperparameters are trained together as one
ensemble (:mod:`qmlr.core.train`), in groups spread over worker processes with joblib (one torch
thread each). Only the calling process writes result files, one atomic file per cell as its
group finishes, so an interrupted sweep resumes from whatever finished.

Importing this module loads neither torch nor a model: the functions that train or size a model
import them when called, so a study's stored results load without torch (a chapter's kernel
starts about 2 s sooner).

Example:
    >>> from qmlr.engine.runner import compute_cell
    >>> from qmlr.core.train import TrainConfig
    >>> from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
    >>> cell = CellSpec("demo", DataSpec("xxz"), ModelSpec("mlp", hidden=(4,)),
    ...                 TrainConfig(1, 32, 0.01), "label_flip", 0.2, run=0)
    >>> result = compute_cell(cell)
    >>> 0.0 <= result.metrics["val_accuracy"] <= 1.0
    True
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING, Any

import numpy as np

from qmlr.core.corrupt import corrupt
from qmlr.core.data import Dataset, load_dataset, mlp_features
from qmlr.core.kinds import describe
from qmlr.engine.atomic import check_writable
from qmlr.engine.claims import CellClaims
from qmlr.engine.cluster import check_backend, map_on_cluster
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.engine.store import CellResult, ResultStore, environment_provenance

if TYPE_CHECKING:
    import torch

#: Largest ensemble trained at once; bounds memory and keeps resume granularity fine.
MAX_GROUP_SIZE = 10
#: A QNN ensemble's minibatch statevectors (members x batch x 2^L amplitudes) are kept below
#: this many amplitudes: beyond it the simulation is bound by memory bandwidth and a larger
#: ensemble is slower per model (measured with benchmarks/bench_qnn.py).
QNN_GROUP_AMPLITUDES = 1_400_000


@lru_cache(maxsize=8)
def clean_split(data: DataSpec, split: str) -> Dataset:
    """The clean train or validation split of ``data`` (cached per process)."""
    return load_dataset(data.name, split, **data.loader_options())


def model_inputs(x: np.ndarray, model: ModelSpec) -> torch.Tensor:
    """Features as the model reads them (its registered kind's
    :meth:`~qmlr.core.models.base.ModelKind.inputs`): amplitudes for a QNN, [Re, Im] or pixels for
    an MLP."""
    from qmlr.core.models import get_kind

    return get_kind(model.kind).inputs(x, model)


def build_model(
    model: ModelSpec, data: DataSpec, in_features: int, seeds: Sequence[int]
) -> torch.nn.Module:
    """An untrained ensemble model with one member per seed (a gradient-trained kind's
    :meth:`~qmlr.core.models.base.ModelKind.build`)."""
    from qmlr.core.models import get_kind

    return get_kind(model.kind).build(model, data, in_features, seeds)


def model_size(model: ModelSpec, data: DataSpec) -> int:
    """Trained parameters of one model of ``model`` on ``data``: counted by its kind
    (:meth:`~qmlr.core.kinds.KindDescription.count_params`, no torch) where it says, else built
    and counted.

    :param model: the model; ``data``: its dataset.
    :return: the parameter count.

    Example:
        >>> model_size(ModelSpec("mlp", hidden=(16, 4)), DataSpec("mnist"))
        16473
    """
    kind = describe(model.kind)
    in_features = kind.state_length(model, data)
    if in_features is None:
        in_features = mlp_features(clean_split(data, "train").x[:1]).shape[-1]
    counted = kind.count_params(model, in_features)
    if counted is not None:
        return counted
    from qmlr.core.models import get_kind

    x = model_inputs(clean_split(data, "train").x[:1], model)
    return int(get_kind(model.kind).n_params(build_model(model, data, x.shape[-1], [0]))[0])


@dataclass(frozen=True)
class PoisonedTraining:
    """A cell's training set after corruption, and which rows were corrupted."""

    data: Dataset
    corrupted: np.ndarray


def poisoned_training_set(spec: CellSpec) -> PoisonedTraining:
    """Apply the cell's corruption to the clean training split with the cell's poison seed."""
    clean = clean_split(spec.data, "train")
    result = corrupt(clean, spec.corruption, spec.alpha, np.random.default_rng(spec.poison_seed()))
    return PoisonedTraining(result.data, np.asarray(result.indices))


def train_group(cells: Sequence[CellSpec], progress: bool = False) -> list[CellResult]:
    """Train the cells (equal data, model and training config) as one ensemble.

    :param cells: cells with equal :meth:`~qmlr.engine.specs.CellSpec.group_key`.
    :param progress: show an epoch progress bar.
    :return: one result per cell, in order.
    """
    return train_group_model(cells, progress)[0]


def train_group_model(
    cells: Sequence[CellSpec], progress: bool = False
) -> tuple[list[CellResult], Any]:
    """:func:`train_group`, also returning the fitted ensemble (for studies that evaluate it
    further, e.g. with finite shots or on other splits).

    :param cells: cells with equal :meth:`~qmlr.engine.specs.CellSpec.group_key`.
    :param progress: show an epoch progress bar.
    :return: one result per cell, in order, and the fitted ensemble.
    """
    import torch

    from qmlr.core.augment import input_augmentation
    from qmlr.core.models import get_kind

    if len({c.group_key() for c in cells}) != 1:
        raise ValueError("cells of one group must share data, model and training config")
    first = cells[0]
    start = time.perf_counter()
    poisoned = [poisoned_training_set(c) for c in cells]
    x = torch.stack([model_inputs(p.data.x, first.model) for p in poisoned])
    y = torch.stack([torch.as_tensor(p.data.y) for p in poisoned])
    val = clean_split(first.data, "val")
    x_val, y_val = model_inputs(val.x, first.model), torch.as_tensor(val.y)
    seeds = [c.model_seed() for c in cells]
    kind = get_kind(first.model.kind)
    augmented = first.train.augment != "none"
    options = {}
    if augmented:  # the validation inputs stay the fixed states of data.phase_seed
        options["augment"] = input_augmentation(
            first.train.augment, [c.augment_seed() for c in cells]
        )
    model, history = kind.fit(
        first.model,
        first.data,
        first.train,
        x,
        y,
        seeds,
        x_val,
        y_val,
        progress=progress,
        **options,
    )
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        val_predictions = (model(x_val) > 0).long().numpy()
        train_predictions = (model(x) > 0).long().numpy()
    extra = kind.extra_metrics(model)
    clean_train = clean_split(first.data, "train")
    results = []
    for i, (cell, pois) in enumerate(zip(cells, poisoned, strict=True)):
        mask = np.zeros(len(pois.data.y), dtype=bool)
        mask[pois.corrupted] = True
        pred, pred_train = val_predictions[i], train_predictions[i]
        metrics = {
            "train_accuracy": float(history.train_accuracy[i]),
            "val_accuracy": float(history.val_accuracy[i]),
            "clean_train_accuracy": float(np.mean(pred_train == clean_train.y)),
            "n_corrupted": int(mask.sum()),
            "corrupted_memorized": float(np.mean(pred_train[mask] == pois.data.y[mask]))
            if mask.any()
            else float("nan"),
            "final_train_loss": float(history.train_loss[i, -1])
            if history.train_loss.shape[1]
            else float("nan"),
            "val_predicted_1": float(pred.mean()),
            **extra[i],
        }
        provenance = {
            **environment_provenance(),
            "poison_seed": cell.poison_seed(),
            "model_seed": cell.model_seed(),
            **({"augment_seed": cell.augment_seed()} if augmented else {}),
            "ensemble_size": len(cells),
            "ensemble_index": i,
            "ensemble_keys": [c.key() for c in cells],
            "ensemble_wall_time_s": elapsed,
            "wall_time_s": elapsed / len(cells),
            "torch_threads": torch.get_num_threads(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        results.append(CellResult(cell, metrics, provenance))
    return results, model


def compute_cell(spec: CellSpec) -> CellResult:
    """Train one cell alone (an ensemble of one)."""
    return train_group([spec])[0]


def group_limit(cell: CellSpec, max_size: int = MAX_GROUP_SIZE) -> int:
    """Largest ensemble worth training at once for cells like ``cell``."""
    length = describe(cell.model.kind).state_length(cell.model, cell.data)
    if length is None:
        return max_size
    per_member = cell.train.batch_size * length
    return max(1, min(max_size, QNN_GROUP_AMPLITUDES // per_member))


def plan_groups(cells: Iterable[CellSpec], max_size: int = MAX_GROUP_SIZE) -> list[list[CellSpec]]:
    """Split cells into ensembles of equal group key, each at most ``max_size`` large (fewer
    for QNNs with large minibatch states, see :func:`group_limit`)."""
    ordered = sorted(cells, key=lambda c: (repr(c.group_key()), c.corruption, c.alpha, c.run))
    groups: list[list[CellSpec]] = []
    for _, members in groupby(ordered, key=lambda c: repr(c.group_key())):
        members = list(members)
        n_chunks = -(-len(members) // group_limit(members[0], max_size))
        size = -(-len(members) // n_chunks)
        groups += [members[i : i + size] for i in range(0, len(members), size)]
    return groups


#: Torch intra-op threads of every worker process (the configuration ``qmlr bench`` times).
WORKER_THREADS = 1


#: Environment variable capping the local worker processes of every run (the test suite sets
#: it to 1: its own workers already fill the cores, nested pools would oversubscribe them).
MAX_JOBS_ENV = "QMLR_MAX_JOBS"


def job_limit(n_jobs: int) -> int:
    """``n_jobs``, capped by ``$QMLR_MAX_JOBS`` where that is set.

    :param n_jobs: the worker processes asked for.
    :return: the worker processes to start.

    Example:
        >>> job_limit(1)
        1
    """
    cap = os.environ.get(MAX_JOBS_ENV)
    return max(1, min(n_jobs, int(cap))) if cap else n_jobs


def _with_threads(
    compute: Callable[[list[Any]], list[CellResult]], specs: list[Any], threads: int
) -> list[CellResult]:
    """``compute(specs)`` with ``threads`` torch threads (in a worker process or in this one);
    the process's own thread count is restored afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return compute(specs)
    finally:
        torch.set_num_threads(previous)


def run_specs(
    specs: Sequence[Any],
    store: ResultStore,
    compute: Callable[[list[Any]], list[CellResult]],
    plan: Callable[[list[Any]], list[list[Any]]] = lambda specs: [[s] for s in specs],
    n_jobs: int = 2,
    progress: bool = True,
    backend: str = "loky",
    scheduler: str | None = None,
) -> list[CellResult]:
    """Compute the specs missing from ``store`` and return every spec's verified result.

    Generic over the kind of spec: ``plan`` splits the missing specs into groups, ``compute``
    turns one group into results. Groups run in ``n_jobs`` worker processes, or on the workers
    of a Dask cluster (one torch thread per group either way); only this process writes files,
    one atomic file per result as its group finishes, so a killed run loses at most the groups
    in flight and resumes from the rest, and a dead cluster worker's group is simply run again.
    Groups are planned over all of ``specs`` (so a resumed or shared run trains the same
    ensembles) and each is claimed just before it is computed (:mod:`qmlr.engine.claims`): groups
    that another live process on the same folder holds are left to it and collected once they
    land, and the claims of a process that died are taken over.

    :param specs: the specs wanted (any registered spec type).
    :param store: where results are read from and written to.
    :param compute: group of specs -> their results (must be a module-level function).
    :param plan: missing specs -> groups, most expensive first.
    :param n_jobs: worker processes (1 computes in this process); loky backend only.
    :param progress: show a progress bar over specs.
    :param backend: ``"loky"`` (local worker processes) or ``"dask"`` (every worker thread of
        the cluster at ``scheduler``; see :mod:`qmlr.engine.cluster`).
    :param scheduler: the Dask scheduler's address, ``tcp://HOST:PORT`` (dask backend only).
    :return: results in the order of ``specs``.
    :raises StorageError: the results folder cannot be written (checked before any training).
    """
    check_backend(backend, scheduler)
    n_jobs = job_limit(n_jobs)
    wanted = list(dict.fromkeys(specs))
    missing = [s for s in wanted if not store.has(s)]
    if missing:
        for folder in sorted({store.cell_path(s).parent for s in missing}):
            check_writable(folder)  # a read-only or full folder fails before any training
        # planned over every wanted spec, so a resumed or shared run trains the same ensembles
        todo = set(missing)
        groups = [g for g in ([s for s in group if s in todo] for group in plan(wanted)) if g]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(missing), desc=specs[0].study, unit="cell")
        with CellClaims(store) as claims:  # cells live processes compute are left to them
            while groups:
                mine = claims.claimed(groups, store.has)
                if backend == "dask":
                    finished = map_on_cluster(
                        _with_threads, ((compute, g, WORKER_THREADS) for g in mine), scheduler
                    )
                elif n_jobs == 1 or len(groups) == 1:
                    import torch

                    # the cores the run was given (a thread per job), not every core of the machine
                    threads = max(1, min(n_jobs * WORKER_THREADS, torch.get_num_threads()))
                    finished = (_with_threads(compute, g, threads) for g in mine)
                else:
                    from joblib import Parallel, delayed

                    finished = Parallel(
                        n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="n_jobs"
                    )(delayed(_with_threads)(compute, g, WORKER_THREADS) for g in mine)
                with closing(finished):  # on an error, stop the groups still queued
                    for results in finished:
                        for result in results:
                            store.save(result)
                        claims.release(r.spec for r in results)
                        if bar is not None:
                            bar.update(len(results))
                groups = claims.wait(groups, store.has)  # those others held, once free
        if bar is not None:
            bar.close()
    return [store.load(s) for s in specs]


def _plan_sweep(cells: list[CellSpec]) -> list[list[CellSpec]]:
    groups = plan_groups(cells)
    groups.sort(key=lambda g: -group_cost(g))  # largest work first keeps both workers busy
    return groups


def run_cells(
    cells: Sequence[CellSpec],
    store: ResultStore,
    n_jobs: int = 2,
    progress: bool = True,
    backend: str = "loky",
    scheduler: str | None = None,
) -> list[CellResult]:
    """Compute the missing sweep cells into ``store`` (as ensembles) and return all results.

    :param cells: the cells wanted.
    :param store: where results are read from and written to.
    :param n_jobs: worker processes (1 runs in this process); loky backend only.
    :param progress: show a progress bar over cells.
    :param backend: ``"loky"`` or ``"dask"`` (see :func:`run_specs`).
    :param scheduler: the Dask scheduler's address (dask backend only).
    :return: results in the order of ``cells``.
    """
    return run_specs(
        cells,
        store,
        train_group,
        _plan_sweep,
        n_jobs=n_jobs,
        progress=progress,
        backend=backend,
        scheduler=scheduler,
    )


#: Relative work of one classical hidden unit per sample in the cost model (a circuit counts its
#: amplitudes times its layers): calibrated so a paper MLP costs a few percent of a paper QNN.
CLASSICAL_UNIT_COST = 8


def forward_cost(model: ModelSpec, data: DataSpec) -> int:
    """Rough relative work of one sample's forward pass, the studies' one cost model for
    scheduling: amplitudes x layers for a circuit kind, :data:`CLASSICAL_UNIT_COST` x (hidden
    units + 1) for a classical one.

    :param model: the model; ``data``: its dataset.
    :return: the relative work.

    Example:
        >>> forward_cost(ModelSpec("qnn", depth=6), DataSpec("mnist"))
        6144
        >>> forward_cost(ModelSpec("mlp", hidden=(16, 4)), DataSpec("mnist"))
        168
    """
    length = describe(model.kind).state_length(model, data)
    if length:
        return length * max(1, model.depth)
    return CLASSICAL_UNIT_COST * (sum(model.hidden) + 1)


def training_cost(cell: Any, members: int = 1) -> float:
    """Rough relative work of training ``members`` models like ``cell`` (any spec with ``model``,
    ``data`` and ``train``): epochs (at least one: a fit without epochs still passes the data)
    x training samples x a forward and a backward pass (three forward passes).

    :param cell: the spec; ``members``: the ensemble's size.
    :return: the relative work (see :func:`forward_cost`).
    """
    n_train = len(clean_split(cell.data, "train"))
    passes = 3 * max(1, cell.train.epochs) * n_train
    return members * passes * forward_cost(cell.model, cell.data)


def group_cost(group: Sequence[CellSpec]) -> float:
    """Rough relative work of training a sweep group as one ensemble (:func:`training_cost`)."""
    return training_cost(group[0], len(group))
