"""Result store: one small, self-verifying JSON file per computed cell, plus tidy CSV exports.

Layout: ``<root>/<study>/cells/<cell key>.json``, each holding the cell's spec, its metrics and
its provenance, sealed by a SHA-256 of their canonical JSON. Writes are atomic (temporary file +
``os.replace``), so an interrupted run leaves only whole files and resumes where it stopped.
A file whose seal, name or schema does not match is refused with :class:`CorruptResultError`.

Example:
    >>> import tempfile
    >>> from qmlr.engine.store import ResultStore
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> store.keys("demo")
    []
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from qmlr import __version__
from qmlr.engine.atomic import write_atomic
from qmlr.engine.fingerprint import cpu_fingerprint
from qmlr.engine.specs import SPEC_TYPES, CellSpec, Spec

SCHEMA_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS_DIR = REPO_ROOT / "results"


class CorruptResultError(ValueError):
    """A result file failed its integrity check (hash, file name or schema)."""


@dataclass(frozen=True)
class CellResult:
    """A computed cell: its spec, measured metrics and provenance.

    :param spec: what was computed.
    :param metrics: JSON-serialisable measurements (accuracies, curves, ...).
    :param provenance: versions, commit, machine, wall time, seeds.
    """

    spec: Spec
    metrics: dict[str, Any]
    provenance: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """The sealed content of the result file."""
        return {
            "schema": SCHEMA_VERSION,
            "key": self.spec.key(),
            "kind": self.spec.kind,
            "spec": self.spec.to_dict(),
            "metrics": self.metrics,
            "provenance": self.provenance,
        }


def seal(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``payload``."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResultStore:
    """Cells of every study under one root folder.

    :param root: folder holding one sub-folder per study (default: the repository's
        ``results/``).
    """

    def __init__(self, root: str | os.PathLike[str] = DEFAULT_RESULTS_DIR) -> None:
        self.root = Path(root)

    def cell_path(self, spec: Spec) -> Path:
        """Where the result of ``spec`` lives."""
        return self.root / spec.study / "cells" / f"{spec.key()}.json"

    def has(self, spec: Spec) -> bool:
        """Whether a result file for ``spec`` exists (its integrity is checked on load)."""
        return self.cell_path(spec).exists()

    def save(self, result: CellResult) -> Path:
        """Write one result atomically and return its path.

        :raises StorageError: the folder cannot be written (nothing half-written is left).
        """
        payload = result.payload()
        document = {**payload, "sha256": seal(payload)}
        text = json.dumps(document, indent=1, sort_keys=True)
        return write_atomic(self.cell_path(result.spec), text.encode())

    def load_file(self, path: str | os.PathLike[str]) -> CellResult:
        """Read and verify one result file.

        :raises CorruptResultError: unreadable JSON, wrong schema, hash mismatch, or a file
            name that is not its spec's key.
        """
        path = Path(path)
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise CorruptResultError(f"{path}: not a readable result file ({err})") from err
        if not isinstance(document, dict) or document.get("schema") != SCHEMA_VERSION:
            raise CorruptResultError(f"{path}: schema is not {SCHEMA_VERSION}")
        stored = document.pop("sha256", None)
        if stored != seal(document):
            raise CorruptResultError(
                f"{path}: content does not match its SHA-256 seal (edited or damaged); "
                "delete it and recompute with `python -m qmlr reproduce`"
            )
        # The engine's decoder table holds every spec class imported so far (each study's
        # module enters its own; qmlr.studies.registry imports them all).
        kind = document.get("kind", CellSpec.kind)
        if kind not in SPEC_TYPES:
            raise CorruptResultError(
                f"{path}: unknown spec kind {kind!r} (known: {sorted(SPEC_TYPES)}; import "
                "qmlr.studies.registry to load every study's spec classes)"
            )
        spec = SPEC_TYPES[kind].from_dict(document["spec"])
        if spec.key() != document["key"] or path.stem != spec.key():
            raise CorruptResultError(f"{path}: file name / key does not match the spec")
        return CellResult(spec=spec, metrics=document["metrics"], provenance=document["provenance"])

    def load(self, spec: Spec) -> CellResult:
        """The verified result of ``spec``; ``FileNotFoundError`` if it was never computed."""
        path = self.cell_path(spec)
        if not path.exists():
            raise FileNotFoundError(f"no result for cell {spec.key()} ({path})")
        return self.load_file(path)

    def keys(self, study: str) -> list[str]:
        """Keys of the stored cells of ``study``."""
        folder = self.root / study / "cells"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    def iter_study(self, study: str) -> Iterator[CellResult]:
        """Every verified result of ``study``."""
        for key in self.keys(study):
            yield self.load_file(self.root / study / "cells" / f"{key}.json")


def flat_record(result: CellResult) -> dict[str, Any]:
    """One tidy row: the cell's coordinates and its scalar metrics."""
    s = result.spec
    row: dict[str, Any] = {
        "study": s.study,
        "dataset": s.data.name,
        "phase": s.data.phase if s.data.name == "xxz" else "",
        "model": s.model.kind,
        "model_label": s.model.label,
        "hidden": "x".join(map(str, s.model.hidden)),
        "depth": s.model.depth or "",
        "corruption": s.corruption,
        "alpha": s.alpha,
        "run": s.run,
        "key": s.key(),
    }
    row.update({k: v for k, v in result.metrics.items() if isinstance(v, int | float | str)})
    return row


def export_records(results: Iterable[CellResult], path: str | os.PathLike[str]) -> Path:
    """Write tidy records (one row per cell, sorted) to a CSV file."""
    rows = sorted(
        (flat_record(r) for r in results),
        key=lambda r: (
            r["dataset"],
            r["phase"],
            r["model"],
            r["hidden"],
            str(r["depth"]),
            r["corruption"],
            r["alpha"],
            r["run"],
        ),
    )
    return write_rows(rows, path)


def write_rows(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write record rows as one CSV file, atomically; the columns are every key, first seen first.

    :param rows: the rows, in the order to write.
    :param path: the CSV file.
    :return: its path.
    """
    fields = list(dict.fromkeys(k for row in rows for k in row))
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(path, text.getvalue().encode())


def environment_provenance() -> dict[str, Any]:
    """Versions, git commit, machine and CPU fingerprint of this process.

    ``git_dirty`` is true when tracked files outside ``results/`` differ from the commit.
    ``cpu`` is :func:`qmlr.engine.fingerprint.cpu_fingerprint`, read at the call (it holds the
    current torch thread count); the rest is computed once per process.
    """
    return {**_code_provenance(), "cpu": cpu_fingerprint()}


@lru_cache(maxsize=1)
def _code_provenance() -> dict[str, Any]:
    import numpy
    import torch

    try:  # the installed distribution's version: importing tensorcircuit costs seconds
        tc_version = importlib.metadata.version("tensorcircuit-ng")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - reported, not fatal
        tc_version = "unavailable"

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                # results/ holds outputs, not code: regenerating it leaves the code clean
                ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {
        "qmlr": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "tensorcircuit_ng": tc_version,
        "git_commit": commit,
        "git_dirty": dirty,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
    }


environment_provenance.cache_clear = _code_provenance.cache_clear  # type: ignore[attr-defined]
