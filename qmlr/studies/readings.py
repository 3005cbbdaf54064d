"""Which reading of the paper a result follows: the SI's text or the authors' code.

Two of the places where the authors' code departs from the SI change a model's input, and the
records say which reading each row follows:

- ``encoding`` (XXZ QNNs): ``"complex-12q"`` — the 4096 complex amplitudes of the ground state as
  12 qubits (the SI; kind ``qnn``) — or ``"reim-13q"`` — ``[Re ψ, Im ψ]`` as the 8192 amplitudes
  of 13 qubits (the authors' unlearning script; kind ``qnn-reim``); empty for every other row.
- ``normalization`` (MNIST): ``"image"`` — each image one unit vector (the SI) — or
  ``"per-column"`` — each image column a unit vector (the authors' code); empty for XXZ.

Example:
    >>> encoding_of("xxz", "qnn-reim"), encoding_of("xxz", "qnn"), encoding_of("mnist", "qnn")
    ('reim-13q', 'complex-12q', '')
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from qmlr.engine.atomic import write_atomic
from qmlr.engine.store import CellResult, flat_record

#: The XXZ QNN encodings: model kind -> the records' ``encoding``.
ENCODINGS = {"qnn": "complex-12q", "qnn-reim": "reim-13q"}
#: Sort order of a sweep's tidy records.
SORT_COLUMNS = ["dataset", "phase", "normalization", "model", "hidden", "depth", "corruption"]


def encoding_of(dataset: str, kind: str) -> str:
    """The records' ``encoding`` of a model ``kind`` on ``dataset`` (empty where none applies)."""
    return ENCODINGS.get(kind, "") if dataset == "xxz" else ""


def normalization_of(data: Any) -> str:
    """The records' ``normalization`` of a :class:`~qmlr.engine.specs.DataSpec` (empty for XXZ).

    Example:
        >>> from qmlr.engine.specs import DataSpec
        >>> normalization_of(DataSpec("mnist")), normalization_of(DataSpec("xxz"))
        ('image', '')
    """
    return data.normalization if data.name == "mnist" else ""


def reading_columns(spec: Any) -> dict[str, str]:
    """``{"encoding": ..., "normalization": ...}`` of a spec with ``data`` and ``model``."""
    return {
        "encoding": encoding_of(spec.data.name, spec.model.kind),
        "normalization": normalization_of(spec.data),
    }


def reading_records(results: Iterable[CellResult]) -> pd.DataFrame:
    """Sweep results as tidy records (:func:`qmlr.engine.store.flat_record`) with the
    ``encoding`` and ``normalization`` columns, sorted by coordinates.

    :param results: sweep-cell results.
    :return: one row per cell.
    """
    rows = [{**flat_record(r), **reading_columns(r.spec)} for r in results]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["depth"] = frame["depth"].astype(str)
    return frame.sort_values([*SORT_COLUMNS, "alpha", "run"], kind="stable").reset_index(drop=True)


def export_reading_records(results: list[CellResult], folder: str | Path) -> Path:
    """Write :func:`reading_records` to ``<folder>/records.csv`` (a study's exporter)."""
    text = reading_records(results).to_csv(index=False, lineterminator="\n")
    return write_atomic(Path(folder) / "records.csv", text.encode())
