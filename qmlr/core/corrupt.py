"""Class-balanced data poisoning: label flipping and feature randomization.

Both corruptions act on a class-sorted training set (labels ``[0] * N/2 + [1] * N/2``), choose
the same number of rows from each class half, and return a new :class:`~qmlr.core.data.Dataset`
(the input is never modified) together with the sorted indices of the corrupted rows.

Counting rule. The number of corrupted rows starts from ``int(N * alpha)``. Because
``N * alpha`` is a floating-point product (``0.57 * 100 == 56.99999999999999``), it is floored
as ``floor(N * alpha + 1e-9)``, which equals the exact-arithmetic ``int`` for every ratio with
a few decimal digits. Label flipping then rounds **down** to an even number, feature
randomization rounds **up** to an even number, and each class half contributes half of them.
For the paper's sets (MNIST N = 500, XXZ N = 82) and alpha = 0.0, 0.1, ..., 0.9:

======  ================================================  =================================
alpha   MNIST flip / feature                              XXZ flip / feature
======  ================================================  =================================
0.1     50 / 50                                           8 / 8
0.3     150 / 150                                         24 / 24
0.5     250 / 250                                         40 / 42
0.9     450 / 450                                         72 / 74
======  ================================================  =================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from qmlr.core.data import Dataset

__all__ = [
    "CORRUPTIONS",
    "Corrupted",
    "corrupt",
    "corruption_count",
    "flip_labels",
    "randomize_features",
]

CORRUPTIONS = ("label_flip", "feature_random")
FEATURE_NOISE_STD = 0.1
_FLOOR_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class Corrupted:
    """A corrupted dataset and the rows that were corrupted.

    :param data: the corrupted :class:`~qmlr.core.data.Dataset`.
    :param indices: sorted, unique ``int64`` row indices that were changed (for label flipping
        this is the forget set of the unlearning study).
    :raises ValueError: if ``indices`` is not a sorted unique int64 array of valid rows.
    """

    data: Dataset
    indices: np.ndarray

    def __post_init__(self) -> None:
        idx = self.indices
        if not isinstance(idx, np.ndarray) or idx.ndim != 1 or idx.dtype != np.int64:
            raise ValueError("Corrupted.indices must be a 1-D int64 numpy array")
        if idx.size and (np.any(np.diff(idx) <= 0) or idx[0] < 0 or idx[-1] >= len(self.data)):
            raise ValueError("Corrupted.indices must be sorted, unique and within the dataset")


def _check_inputs(ds: Dataset, alpha: Any, rng: Any) -> float:
    if not isinstance(ds, Dataset):
        raise ValueError(f"expected a qmlr.core.data.Dataset, got {type(ds).__name__}")
    if isinstance(alpha, bool) or not isinstance(alpha, Real):
        raise ValueError(f"alpha must be a real number in [0, 1), got {alpha!r}")
    alpha = float(alpha)
    if not (0.0 <= alpha < 1.0):  # also rejects nan
        raise ValueError(f"alpha must be a real number in [0, 1), got {alpha!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    n = len(ds)
    half = n // 2
    sorted_labels = np.concatenate([np.zeros(half, np.int64), np.ones(half, np.int64)])
    if n % 2 or not np.array_equal(ds.y, sorted_labels):
        raise ValueError(
            "corruptions need a class-sorted, balanced dataset: labels [0] * N/2 + [1] * N/2 "
            f"(got N={n} with {int(np.sum(ds.y == 0))} zeros, {int(np.sum(ds.y == 1))} ones)"
        )
    return alpha


def corruption_count(n: int, alpha: float, kind: str) -> int:
    """Number of rows a corruption changes.

    :param n: dataset size.
    :param alpha: corruption ratio in ``[0, 1)``.
    :param kind: ``"label_flip"`` (``floor(n * alpha)`` rounded down to even) or
        ``"feature_random"`` (rounded up to even).
    :return: an even count, at most ``n`` when ``n`` is even.

    Example:

    >>> corruption_count(82, 0.5, "label_flip"), corruption_count(82, 0.5, "feature_random")
    (40, 42)
    """
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; expected one of {CORRUPTIONS}")
    base = math.floor(n * alpha + _FLOOR_EPS)
    if base % 2 == 0:
        return base
    return base - 1 if kind == "label_flip" else base + 1


def _balanced_indices(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count / 2`` rows without replacement from each class half (class 0 drawn first)."""
    half, per_class = n // 2, count // 2
    first = rng.choice(half, size=per_class, replace=False)
    second = half + rng.choice(half, size=per_class, replace=False)
    return np.sort(np.concatenate([first, second]).astype(np.int64))


def _with_meta(ds: Dataset, kind: str, alpha: float, count: int) -> dict[str, Any]:
    meta = dict(ds.meta)
    meta["corruption"] = {"kind": kind, "alpha": alpha, "n_corrupted": count}
    return meta


def flip_labels(ds: Dataset, alpha: float, rng: np.random.Generator) -> Corrupted:
    """Flip the labels of a class-balanced fraction ``alpha`` of a class-sorted dataset.

    ``n = floor(N * alpha)`` rounded down to even; ``n / 2`` rows are drawn without replacement
    from each class half and their labels become ``1 - y``. Features are unchanged.

    :param ds: class-sorted dataset (labels ``[0] * N/2 + [1] * N/2``).
    :param alpha: ratio in ``[0, 1)``.
    :param rng: the random generator (draws: class-0 rows, then class-1 rows).
    :return: :class:`Corrupted` with copied arrays and ``meta["corruption"]``.
    :raises ValueError: for a bad ``alpha``, ``rng`` or an unsorted/unbalanced dataset.

    Example:

    >>> meta = {"name": "toy", "split": "train", "raw_dim": 4}
    >>> ds = Dataset(np.eye(4), np.array([0, 0, 1, 1]), meta)
    >>> c = flip_labels(ds, 0.5, np.random.default_rng(0))
    >>> len(c.indices), int(c.data.y.sum())
    (2, 2)
    """
    alpha = _check_inputs(ds, alpha, rng)
    count = corruption_count(len(ds), alpha, "label_flip")
    indices = _balanced_indices(len(ds), count, rng)
    y = ds.y.copy()
    y[indices] = 1 - y[indices]
    data = Dataset(ds.x.copy(), y, _with_meta(ds, "label_flip", alpha, count))
    return Corrupted(data, indices)


def randomize_features(ds: Dataset, alpha: float, rng: np.random.Generator) -> Corrupted:
    """Replace a class-balanced fraction ``alpha`` of rows by normalized Gaussian noise.

    ``n = floor(N * alpha)`` rounded up to even; ``n / 2`` rows per class half. Each chosen row
    becomes ``meta["raw_dim"]`` i.i.d. N(0, 0.1^2) entries (for complex data, real and imaginary
    parts each N(0, 0.1^2)), zero-padded to the row length ``D`` and L2-normalized. Labels stay
    clean.

    :param ds: class-sorted dataset (labels ``[0] * N/2 + [1] * N/2``).
    :param alpha: ratio in ``[0, 1)``.
    :param rng: the random generator (draws: class-0 rows, class-1 rows, then the noise, real
        parts before imaginary parts, rows in index order).
    :return: :class:`Corrupted` with copied arrays and ``meta["corruption"]``.
    :raises ValueError: for a bad ``alpha``, ``rng`` or an unsorted/unbalanced dataset.

    Example:

    >>> meta = {"name": "toy", "split": "train", "raw_dim": 4}
    >>> ds = Dataset(np.eye(4), np.array([0, 0, 1, 1]), meta)
    >>> c = randomize_features(ds, 0.25, np.random.default_rng(0))
    >>> len(c.indices), np.allclose(np.linalg.norm(c.data.x, axis=1), 1)
    (2, True)
    """
    alpha = _check_inputs(ds, alpha, rng)
    count = corruption_count(len(ds), alpha, "feature_random")
    indices = _balanced_indices(len(ds), count, rng)
    raw_dim = int(ds.meta["raw_dim"])
    noise = rng.normal(0.0, FEATURE_NOISE_STD, size=(count, raw_dim))
    if np.iscomplexobj(ds.x):
        noise = noise + 1j * rng.normal(0.0, FEATURE_NOISE_STD, size=(count, raw_dim))
    rows = np.zeros((count, ds.x.shape[1]), dtype=ds.x.dtype)
    rows[:, :raw_dim] = noise
    if count:
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    x = ds.x.copy()
    x[indices] = rows
    data = Dataset(x, ds.y.copy(), _with_meta(ds, "feature_random", alpha, count))
    return Corrupted(data, indices)


def corrupt(ds: Dataset, kind: str, alpha: float, rng: np.random.Generator) -> Corrupted:
    """Apply a corruption by name.

    :param ds: class-sorted dataset.
    :param kind: ``"label_flip"`` (:func:`flip_labels`) or ``"feature_random"``
        (:func:`randomize_features`).
    :param alpha: ratio in ``[0, 1)``.
    :param rng: the random generator.
    :return: :class:`Corrupted`.
    :raises ValueError: for an unknown ``kind`` (and see the two functions).

    Example:

    >>> meta = {"name": "toy", "split": "train", "raw_dim": 4}
    >>> ds = Dataset(np.eye(4), np.array([0, 0, 1, 1]), meta)
    >>> corrupt(ds, "label_flip", 0.0, np.random.default_rng(0)).indices
    array([], dtype=int64)
    """
    if kind == "label_flip":
        return flip_labels(ds, alpha, rng)
    if kind == "feature_random":
        return randomize_features(ds, alpha, rng)
    raise ValueError(f"unknown corruption {kind!r}; expected one of {CORRUPTIONS}")
