"""Run or load a whole study: the chapters' and the CLI's entry point to results.

``paper`` results live in the repository's ``results/<study>/`` (committed, with provenance and
a tidy ``records.csv``); ``smoke`` results are computed live into a throw-away folder.

Example:
    >>> from qmlr.studies.study import load_records
    >>> records = load_records("resilience", "smoke")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qmlr.core.data import full_mnist_path, load_mnist_arrays
from qmlr.engine.atomic import storage_error
from qmlr.engine.loading import (
    available_of,
    compute_specs,
    records_of,
    results_of,
    store_for,
)
from qmlr.engine.profiles import get_profile
from qmlr.engine.sessions import SessionLog
from qmlr.engine.store import CellResult, ResultStore, export_records
from qmlr.studies.registry import get_study, study_cells

__all__ = [
    "load_available",
    "load_records",
    "load_results",
    "reproduce",
    "require_data",
    "run_study_specs",
    "store_for",
    "study_machines",
    "study_wall_time",
]


def require_data(profile: str) -> None:
    """Fail before any training when a profile's data files are missing: at a profile reading
    full MNIST (``mnist_source="full"``) the files at :func:`qmlr.core.data.full_mnist_path`
    are loaded once here, so a missing or malformed file raises its own error up front.

    :param profile: a profile name.
    :raises FileNotFoundError: the full-MNIST files are missing (the message says how to get
        them).
    :raises ValueError: a file is malformed.

    Example:
        >>> require_data("smoke")  # the built-in subset: nothing to check
    """
    if get_profile(profile).mnist_source == "full":
        load_mnist_arrays(full_mnist_path())


def reproduce(
    study: str,
    profile: str = "paper",
    n_jobs: int = 2,
    results_dir: str | Path | None = None,
    progress: bool = True,
    backend: str = "loky",
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Compute every missing cell of ``study``, export ``records.csv`` and log the wall time.

    :param study: study name (see :data:`qmlr.studies.registry.STUDIES`).
    :param profile: ``"paper"`` or ``"smoke"``.
    :param n_jobs: local worker processes (loky backend).
    :param results_dir: override the store folder.
    :param progress: show a progress bar.
    :param backend: ``"loky"`` (local worker processes) or ``"dask"`` (a Dask cluster).
    :param scheduler: the Dask scheduler's address, ``tcp://HOST:PORT`` (dask backend only).
    :return: a short summary (cells total / computed now by this process, wall time).
    """
    cells = study_cells(study, profile)
    require_data(profile)
    root = store_for(profile, results_dir).root
    folder = root / study
    session = SessionLog(folder, study, profile, len(cells), n_jobs=n_jobs, backend=backend)
    store = session.store(root)  # logs the session in study.json as each cell lands
    start = time.perf_counter()
    results = run_study_specs(
        study,
        cells,
        store,
        n_jobs=n_jobs,
        progress=progress,
        backend=backend,
        scheduler=scheduler,
    )
    elapsed = time.perf_counter() - start
    computed = session.cells_computed  # by this process: a concurrent run saves the rest
    exporter = get_study(study).export or (
        lambda results, into: export_records(results, Path(into) / "records.csv")
    )
    _export_atomically(exporter, results, folder)
    session.close(elapsed)
    return {"cells": len(cells), "computed": computed, "wall_time_s": round(elapsed, 1)}


def _export_atomically(
    exporter: Callable[[list[CellResult], Path], Any], results: list[CellResult], folder: Path
) -> None:
    """Run a study's exporter into a private folder, then move each file it wrote into
    ``folder`` with ``os.replace``: readers never see a half-written table."""
    try:
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".export-"))
    except OSError as err:
        raise storage_error(err, folder) from err
    try:
        exporter(results, staging)
        for path in sorted(staging.iterdir()):
            os.replace(path, folder / path.name)
    except OSError as err:
        raise storage_error(err, folder) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_results(
    study: str, profile: str = "paper", results_dir: str | Path | None = None
) -> list[CellResult]:
    """Every cell of ``study`` at ``profile``, computing the missing ones (with a progress bar)
    (:func:`qmlr.engine.loading.results_of` of its definition)."""
    return results_of(get_study(study), profile, results_dir)


def load_available(
    study: str, profile: str = "paper", results_dir: str | Path | None = None
) -> tuple[list[CellResult], int]:
    """The cells of ``study`` a chapter can show without training
    (:func:`qmlr.engine.loading.available_of` of its definition).

    :param study: study name.
    :param profile: profile name.
    :param results_dir: results folder override.
    :return: ``(results in the study's order, number of cells the study has)``.
    """
    return available_of(get_study(study), profile, results_dir)


def run_study_specs(
    study: str,
    specs: list,
    store: ResultStore,
    n_jobs: int = 2,
    progress: bool = True,
    backend: str = "loky",
    scheduler: str | None = None,
) -> list[CellResult]:
    """Compute the missing specs of ``study`` with the study's own compute and plan functions
    (:func:`qmlr.engine.loading.compute_specs` of its definition).

    :param study: study name (see :data:`qmlr.studies.registry.STUDIES`).
    :param specs: the specs wanted.
    :param store: where results are read from and written to.
    :param n_jobs: local worker processes (loky backend).
    :param progress: show a progress bar.
    :param backend: ``"loky"`` (local worker processes) or ``"dask"`` (a Dask cluster).
    :param scheduler: the Dask scheduler's address, ``tcp://HOST:PORT`` (dask backend only).
    :return: results in the order of ``specs``.
    """
    options = dict(n_jobs=n_jobs, progress=progress, backend=backend, scheduler=scheduler)
    return compute_specs(get_study(study), specs, store, **options)


def load_records(study: str, profile: str = "paper", results_dir: str | Path | None = None):
    """The study as a tidy ``pandas.DataFrame`` (one row per cell)."""
    return records_of(get_study(study), profile, results_dir)


def study_machines(study: str, results_dir: str | Path | None = None) -> str:
    """The machines (system, architecture, cores) of the sessions that computed the
    paper-profile results of ``study``, as ``study.json`` records them: ``"A"`` or ``"A; B"``
    (``"an unrecorded machine"`` where none is recorded).

    :param study: study name.
    :param results_dir: results folder override.
    :return: the text.
    """
    path = store_for("paper", results_dir).root / study / "study.json"
    sessions = json.loads(path.read_text()).get("sessions", []) if path.exists() else []
    machines = dict.fromkeys(s["machine"] for s in sessions if s.get("machine"))
    return "; ".join(machines) or "an unrecorded machine"


def study_wall_time(study: str, results_dir: str | Path | None = None) -> float | None:
    """Total recorded wall time (s) of the paper-profile computation of ``study``."""
    path = store_for("paper", results_dir).root / study / "study.json"
    if not path.exists():
        return None
    return float(json.loads(path.read_text()).get("total_wall_time_s", 0.0))
