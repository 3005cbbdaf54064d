"""The :class:`Dataset` record every loader returns, its checks, and the classical models'
features (:func:`mlp_features`).

Example:
    >>> import numpy as np
    >>> mlp_features(np.array([[1j, 0.0]])).tolist()
    [[0.0, 0.0, 1.0, 0.0]]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

SPLITS = ("train", "val")

#: Side of an MNIST image (pixels); the per-column normalization's column length.
MNIST_SIDE = 28
_NORM_ATOL = 1e-6


# --------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled set of unit-L2 vectors.

    :param x: data, shape ``(N, D)``, ``float64`` or ``complex128``; every row has unit L2 norm
        (MNIST normalized per column, ``meta["normalization"] == "per-column"``: every row's
        squared norm is a whole number of unit columns, 1 to 28).
    :param y: labels, shape ``(N,)``, ``int64`` in ``{0, 1}``.
    :param meta: description; at least the keys ``"name"``, ``"split"`` and ``"raw_dim"`` (the
        length of a row before zero-padding, ``raw_dim <= D``).
    :raises ValueError: if any of the above does not hold.

    Example:

    >>> x = np.eye(2)
    >>> ds = Dataset(x, np.array([0, 1]), {"name": "toy", "split": "train", "raw_dim": 2})
    >>> len(ds), ds.x.shape
    (2, (2, 2))
    """

    x: np.ndarray
    y: np.ndarray
    meta: dict[str, Any]

    def __post_init__(self) -> None:
        x, y, meta = self.x, self.y, self.meta
        if not isinstance(x, np.ndarray) or x.ndim != 2:
            raise ValueError(f"Dataset.x must be a 2-D numpy array (N, D), got {_describe(x)}")
        if x.dtype not in (np.float64, np.complex128):
            raise ValueError(f"Dataset.x must be float64 or complex128, got dtype {x.dtype}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"Dataset.x must be non-empty, got shape {x.shape}")
        if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype != np.int64:
            raise ValueError(f"Dataset.y must be a 1-D int64 numpy array, got {_describe(y)}")
        if y.shape[0] != x.shape[0]:
            raise ValueError(
                f"Dataset.x and Dataset.y disagree on N: x has {x.shape[0]} rows, "
                f"y has {y.shape[0]}"
            )
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"Dataset.y must contain only 0 and 1, got values {np.unique(y)}")
        if not isinstance(meta, dict):
            raise ValueError(f"Dataset.meta must be a dict, got {type(meta).__name__}")
        missing = [k for k in ("name", "split", "raw_dim") if k not in meta]
        if missing:
            raise ValueError(f"Dataset.meta is missing required keys {missing}")
        raw_dim = meta["raw_dim"]
        if not isinstance(raw_dim, int | np.integer) or not 1 <= raw_dim <= x.shape[1]:
            raise ValueError(
                f"Dataset.meta['raw_dim'] must be an int in [1, D={x.shape[1]}], got {raw_dim!r}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError("Dataset.x contains non-finite values")
        if meta.get("normalization", "image") == "per-column":
            _check_column_norms(x)
            return
        norms = np.linalg.norm(x, axis=1)
        worst = float(np.max(np.abs(norms - 1.0)))
        if worst > _NORM_ATOL:
            raise ValueError(
                f"Dataset.x rows must have unit L2 norm (tolerance {_NORM_ATOL}); "
                f"the worst row is off by {worst:.3g}"
            )

    def __len__(self) -> int:
        return int(self.x.shape[0])


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"array of shape {a.shape} and dtype {a.dtype}"
    return type(a).__name__


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _check_column_norms(x: np.ndarray) -> None:
    """Per-column rows: each squared norm is a whole number of unit columns, 1 to 28."""
    squared = np.sum(np.abs(x) ** 2, axis=1)
    worst = float(np.max(np.abs(squared - np.round(squared))))
    if worst > _NORM_ATOL * MNIST_SIDE or squared.min() < 1 - _NORM_ATOL:
        raise ValueError(
            "Dataset.x rows normalized per column must have a squared L2 norm equal to a whole "
            f"number of unit columns; the worst row is off by {worst:.3g}"
        )
    if squared.max() > MNIST_SIDE + _NORM_ATOL * MNIST_SIDE:
        raise ValueError(f"a per-column row has more than {MNIST_SIDE} unit columns")


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("cannot L2-normalize an all-zero row")
    return x / norms


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# XXZ ring
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Features and dispatch
# --------------------------------------------------------------------------------------------


def mlp_features(x: np.ndarray) -> np.ndarray:
    """Real features for a classical model.

    :param x: data ``(..., D)``; real or complex.
    :return: real floating ``x`` unchanged; integer ``x`` as float64; complex ``x`` as
        ``[Re x, Im x]`` concatenated along the last axis, shape ``(..., 2D)``.

    Example:

    >>> mlp_features(np.array([[1 + 2j, 3j]]))
    array([[1., 0., 2., 3.]])
    """
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return np.concatenate([x.real, x.imag], axis=-1)
    if np.issubdtype(x.dtype, np.floating):
        return x
    return x.astype(np.float64)
