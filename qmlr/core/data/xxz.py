"""The XXZ dataset: windows of the phase diagram as labels, grids and held-out points."""

from __future__ import annotations

import logging
import os

import numpy as np

from qmlr.core.data.record import Dataset, _check_split
from qmlr.core.data.xxz_states import xxz_default_deltas, xxz_ground_states

logger = logging.getLogger(__name__)


# Grid-index windows (start, stop inclusive) stepping by 2 (the paper's train/validation split).
_XXZ_WINDOWS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "train": ((107, 187), (200, 280)),
    "val": ((106, 188), (199, 281)),
}


def xxz_window_indices(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Grid indices of the two phases for a split (on the 293-point grid).

    ``"train"``: label 0 = 107, 109, ..., 187 (41), label 1 = 200, 202, ..., 280 (41);
    ``"val"``: label 0 = 106, 108, ..., 188 (42), label 1 = 199, 201, ..., 281 (42).

    :param split: ``"train"`` or ``"val"``.
    :return: ``(indices of label 0, indices of label 1)`` as int64 arrays.

    Example:

    >>> [len(w) for w in xxz_window_indices("val")]
    [42, 42]
    """
    _check_split(split)
    return tuple(np.arange(a, b + 1, 2, dtype=np.int64) for a, b in _XXZ_WINDOWS[split])


#: Grids of the XXZ training and validation points: ``"interleaved"`` (the paper's: validation
#: points between neighbouring training points) and ``"coarse"`` (every :data:`COARSE_STEP`-th
#: training point; validation on points at least two grid steps from any training point).
XXZ_GRIDS = ("interleaved", "coarse")


#: The coarse grid keeps every this-many-th point of each paper training window.
COARSE_STEP = 4


#: Held-out points of the coarse grid: these many grid steps past each coarse training point
#: (never the last); the nearest training point is 2 to 4 grid steps away.
COARSE_HELD_OUT_OFFSETS = (2, 3, 4, 5, 6)


#: Splits of the XXZ dataset: the windows' ``train`` and ``val`` and the states of each phase
#: ``outside`` the windows (XY: −1 < Δ < 1, Néel: Δ > 1).
XXZ_SPLITS = ("train", "val", "outside")


def xxz_outside_indices() -> tuple[np.ndarray, np.ndarray]:
    """Grid indices of each phase outside the paper's windows: label 0 with −1 < Δ < 1, label 1
    with Δ > 1, neither in its phase's window (train and validation windows together).

    :return: ``(indices of label 0, indices of label 1)`` as int64 arrays.

    Example:

    >>> [len(w) for w in xxz_outside_indices()]
    [14, 15]
    """
    deltas = xxz_default_deltas()
    grid = np.arange(len(deltas))
    out = []
    for label, phase in enumerate(((-1.0, 1.0), (1.0, np.inf))):
        lo = min(w[label][0] for w in _XXZ_WINDOWS.values())
        hi = max(w[label][1] for w in _XXZ_WINDOWS.values())
        inside = (deltas > phase[0]) & (deltas < phase[1])
        out.append(grid[inside & ((grid < lo) | (grid > hi))].astype(np.int64))
    return out[0], out[1]


def xxz_grid_indices(split: str, grid: str = "interleaved") -> tuple[np.ndarray, np.ndarray]:
    """Grid indices of the two phases for an XXZ split on a training grid.

    ``"interleaved"``: :func:`xxz_window_indices`. ``"coarse"``: ``train`` keeps every
    :data:`COARSE_STEP`-th point of each paper training window (11 per phase); ``val`` holds the
    points :data:`COARSE_HELD_OUT_OFFSETS` grid steps past each training point but the last
    (50 per phase). ``"outside"`` is :func:`xxz_outside_indices` on either grid.

    :param split: ``"train"``, ``"val"`` or ``"outside"``.
    :param grid: ``"interleaved"`` or ``"coarse"``.
    :return: ``(indices of label 0, indices of label 1)`` as int64 arrays.
    :raises ValueError: for an unknown split or grid.

    Example:

    >>> [len(w) for w in xxz_grid_indices("train", "coarse")]
    [11, 11]
    >>> held_out, kept = (xxz_grid_indices(s, "coarse")[0] for s in ("val", "train"))
    >>> int(held_out[0] - kept[0])
    2
    """
    if split not in XXZ_SPLITS:
        raise ValueError(f"split must be one of {XXZ_SPLITS}, got {split!r}")
    if grid not in XXZ_GRIDS:
        raise ValueError(f"grid must be one of {XXZ_GRIDS}, got {grid!r}")
    if split == "outside":
        return xxz_outside_indices()
    if grid == "interleaved":
        return xxz_window_indices(split)
    coarse = tuple(w[::COARSE_STEP] for w in xxz_window_indices("train"))
    if split == "train":
        return coarse
    return tuple(
        np.array([c + o for c in w[:-1] for o in COARSE_HELD_OUT_OFFSETS], dtype=np.int64)
        for w in coarse
    )


XXZ_PHASES = ("random", "canonical")


def xxz_dataset(
    split: str,
    phase: str = "random",
    phase_seed: int = 0,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    grid: str = "interleaved",
) -> Dataset:
    """XXZ phase classification: XY/critical phase (label 0) vs Neel phase (label 1).

    Rows are the 12-qubit ground states at the grid indices of :func:`xxz_window_indices`,
    class-sorted. The global phase of a ground state is arbitrary; it does not affect a QNN but
    does affect an MLP reading ``[Re, Im]``:

    * ``phase="canonical"``: real states, largest-magnitude amplitude positive.
    * ``phase="random"``: the canonical state times :math:`e^{i\\varphi}`, with one
      :math:`\\varphi \\sim U[0, 2\\pi)` per grid point drawn from
      ``np.random.default_rng(phase_seed)`` (the same draw for train and val).

    :param split: ``"train"`` (82 states) or ``"val"`` (84 states).
    :param phase: ``"random"`` or ``"canonical"``.
    :param phase_seed: seed of the random phases.
    :param cache_dir: cache directory override for :func:`xxz_ground_states`.
    :param grid: the training grid (:func:`xxz_grid_indices`); ``split`` may then also be
        ``"outside"`` (the states of each phase outside the windows).
    :return: :class:`Dataset`, ``x`` complex128 ``(N, 4096)``; ``meta`` keys ``name="xxz"``,
        ``split``, ``raw_dim=4096``, ``phase``, ``phase_seed``, ``deltas`` (Delta of each row),
        ``grid_indices``, ``n_sites``.
    :raises ValueError: for an unknown split or phase.

    Example:

    >>> ds = xxz_dataset("train", phase="canonical")
    >>> ds.x.shape, int(ds.y.sum())
    ((82, 4096), 41)
    """
    if phase not in XXZ_PHASES:
        raise ValueError(f"phase must be one of {XXZ_PHASES}, got {phase!r}")
    idx0, idx1 = xxz_grid_indices(split, grid)
    record = xxz_ground_states(cache_dir=cache_dir)
    indices = np.concatenate([idx0, idx1])
    x = record.states[indices].copy()  # unit norm to ~1e-15; a global phase keeps it so
    if phase == "random":
        phis = np.random.default_rng(phase_seed).uniform(0.0, 2.0 * np.pi, size=len(record.deltas))
        x *= np.exp(1j * phis[indices])[:, None]
    y = np.concatenate([np.zeros(len(idx0), np.int64), np.ones(len(idx1), np.int64)])
    meta = {
        "name": "xxz",
        "split": split,
        "raw_dim": 2**record.n,
        "phase": phase,
        "phase_seed": phase_seed,
        "deltas": record.deltas[indices].copy(),
        "grid_indices": indices,
        "n_sites": record.n,
    }
    if grid != "interleaved":
        meta["grid"] = grid
    return Dataset(x, y, meta)
