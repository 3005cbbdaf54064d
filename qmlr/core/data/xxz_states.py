"""Ground states of the XXZ ring: the Hamiltonian, exact diagonalization, the on-disk cache."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qmlr.core.tc_state import tc_backend

if TYPE_CHECKING:  # scipy loads only where a ground state is solved
    import scipy.sparse as sp

logger = logging.getLogger(__name__)
_EIGSH_V0_SEED = 20_250_802  # fixed start vector for ARPACK: deterministic, no symmetry

XXZ_N_SITES = 12


XXZ_GRID_SIZE = 293


XXZ_DELTA_RANGE = (-3.0, 3.0)


_CACHE_FORMAT_VERSION = 1


@lru_cache(maxsize=4)
def _xxz_pieces(n: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """``(sum_i X_i X_{i+1} + Y_i Y_{i+1}, sum_i Z_i Z_{i+1})`` on an ``n``-site ring, float64."""
    import scipy.sparse as sp  # here, not at the top: a chapter reading stored results skips it
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
            from scipy.sparse.linalg import eigsh

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
