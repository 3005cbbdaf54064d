"""Tests of qmlr.core.corrupt: class-balanced label flipping and feature randomization."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from qmlr.core import data
from qmlr.core.corrupt import (
    Corrupted,
    corrupt,
    corruption_count,
    flip_labels,
    randomize_features,
)
from qmlr.core.data import Dataset

ALPHAS = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
SEEDS = [0, 1, 7]
KINDS = ["label_flip", "feature_random"]


def _synthetic_complex(n: int = 82, dim: int = 64, raw_dim: int = 48) -> Dataset:
    """A class-sorted complex set shaped like XXZ (N = 82), with padding beyond raw_dim."""
    rng = np.random.default_rng(11)
    x = np.zeros((n, dim), dtype=np.complex128)
    x[:, :raw_dim] = rng.normal(size=(n, raw_dim)) + 1j * rng.normal(size=(n, raw_dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.repeat(np.array([0, 1], dtype=np.int64), n // 2)
    return Dataset(x, y, {"name": "synthetic-xxz", "split": "train", "raw_dim": raw_dim})


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return data.mnist_1v9("train")


@pytest.fixture(scope="module")
def cplx() -> Dataset:
    return _synthetic_complex()


@pytest.fixture(params=["mnist", "cplx"])
def dataset(request) -> Dataset:
    return request.getfixturevalue(request.param)


def _expected_count(n: int, alpha: float, kind: str) -> int:
    """Exact rational arithmetic on the decimal alpha, independent of the library's epsilon."""
    base = math.floor(Fraction(str(alpha)) * n)
    if kind == "label_flip":
        return base - base % 2
    return base + base % 2


def _snapshot(ds: Dataset) -> tuple[np.ndarray, np.ndarray, dict]:
    return ds.x.copy(), ds.y.copy(), dict(ds.meta)


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [82, 500, 100, 2])
def test_counts_for_every_alpha_on_the_grid(kind, n):
    for k in range(10):
        alpha = k / 10
        assert corruption_count(n, alpha, kind) == _expected_count(n, alpha, kind)
    for alpha in (0.57, 0.29, 0.33, 0.07):  # products that fall just below an integer
        assert corruption_count(n, alpha, kind) == _expected_count(n, alpha, kind)


def test_counts_quoted_in_the_method_spec():
    assert corruption_count(82, 0.3, "label_flip") == 24  # XXZ forget set
    assert corruption_count(500, 0.3, "label_flip") == 150  # MNIST forget set
    assert corruption_count(82, 0.5, "label_flip") == 40
    assert corruption_count(82, 0.5, "feature_random") == 42
    assert corruption_count(82, 0.9, "feature_random") == 74


# --------------------------------------------------------------------------------------------
# Properties over alpha, seed and dataset
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_flip_labels_properties(dataset, alpha, seed):
    x0, y0, meta0 = _snapshot(dataset)
    out = flip_labels(dataset, alpha, np.random.default_rng(seed))
    n, half = len(dataset), len(dataset) // 2
    idx = out.indices
    assert isinstance(out, Corrupted)
    assert idx.dtype == np.int64 and np.all(np.diff(idx) > 0)
    assert len(idx) == _expected_count(n, alpha, "label_flip")
    assert np.sum(idx < half) == np.sum(idx >= half) == len(idx) // 2
    np.testing.assert_array_equal(out.data.y[idx], 1 - y0[idx])
    untouched = np.setdiff1d(np.arange(n), idx)
    np.testing.assert_array_equal(out.data.y[untouched], y0[untouched])
    np.testing.assert_array_equal(out.data.x, x0)
    assert out.data.meta["corruption"] == {
        "kind": "label_flip",
        "alpha": alpha,
        "n_corrupted": len(idx),
    }
    # the input is not mutated, and the output shares no arrays with it
    np.testing.assert_array_equal(dataset.x, x0)
    np.testing.assert_array_equal(dataset.y, y0)
    assert dataset.meta == meta0 and "corruption" not in dataset.meta
    assert not np.shares_memory(out.data.x, dataset.x)
    assert not np.shares_memory(out.data.y, dataset.y)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_randomize_features_properties(dataset, alpha, seed):
    x0, y0, meta0 = _snapshot(dataset)
    out = randomize_features(dataset, alpha, np.random.default_rng(seed))
    n, half = len(dataset), len(dataset) // 2
    raw_dim = dataset.meta["raw_dim"]
    idx = out.indices
    assert idx.dtype == np.int64 and np.all(np.diff(idx) > 0)
    assert len(idx) == _expected_count(n, alpha, "feature_random")
    assert np.sum(idx < half) == np.sum(idx >= half) == len(idx) // 2
    np.testing.assert_array_equal(out.data.y, y0)  # labels stay clean
    untouched = np.setdiff1d(np.arange(n), idx)
    np.testing.assert_array_equal(out.data.x[untouched], x0[untouched])
    noisy = out.data.x[idx]
    assert out.data.x.dtype == x0.dtype
    np.testing.assert_allclose(np.linalg.norm(noisy, axis=1), 1.0, atol=1e-12)
    assert np.all(noisy[:, raw_dim:] == 0)  # zero padding beyond raw_dim
    if len(idx):
        assert np.all(np.count_nonzero(noisy[:, :raw_dim], axis=1) == raw_dim)
        assert not np.any(np.all(np.isclose(noisy, x0[idx]), axis=1))
        if np.iscomplexobj(x0):
            assert np.all(np.abs(noisy.imag).max(axis=1) > 0)
        else:
            assert noisy.min() < 0  # Gaussian noise, unlike non-negative pixels
    assert out.data.meta["corruption"]["kind"] == "feature_random"
    np.testing.assert_array_equal(dataset.x, x0)
    np.testing.assert_array_equal(dataset.y, y0)
    assert dataset.meta == meta0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alpha", [0.1, 0.3, 0.9])
def test_determinism_and_seed_dependence(dataset, kind, alpha):
    a = corrupt(dataset, kind, alpha, np.random.default_rng(42))
    b = corrupt(dataset, kind, alpha, np.random.default_rng(42))
    c = corrupt(dataset, kind, alpha, np.random.default_rng(43))
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data.x, b.data.x)
    np.testing.assert_array_equal(a.data.y, b.data.y)
    assert not np.array_equal(a.indices, c.indices) or not np.array_equal(a.data.x, c.data.x)


def test_feature_noise_is_gaussian(mnist, cplx):
    """After normalization, sqrt(raw_dim) * entry is ~N(0, 1) (per part for complex data)."""
    out = randomize_features(mnist, 0.9, np.random.default_rng(5))
    z = out.data.x[out.indices, :784].ravel() * np.sqrt(784)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    kurtosis = np.mean(z**4) / np.mean(z**2) ** 2
    assert abs(kurtosis - 3.0) < 0.1  # Gaussian, not uniform (1.8)
    out = randomize_features(cplx, 0.9, np.random.default_rng(5))
    w = out.data.x[out.indices, :48] * np.sqrt(48)
    assert abs(np.mean(w.real**2) - 0.5) < 0.05 and abs(np.mean(w.imag**2) - 0.5) < 0.05


def test_same_rng_stream_rules(cplx):
    """Indices come first from the generator: both corruptions at equal counts pick equal rows."""
    a = flip_labels(cplx, 0.3, np.random.default_rng(9))
    b = randomize_features(cplx, 0.3, np.random.default_rng(9))
    np.testing.assert_array_equal(a.indices, b.indices)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alpha", [-0.1, 1.0, 1.5, float("nan"), float("inf"), "0.3", None, True])
def test_bad_alpha(cplx, kind, alpha):
    with pytest.raises(ValueError, match=r"alpha must be a real number in \[0, 1\)"):
        corrupt(cplx, kind, alpha, np.random.default_rng(0))


def test_numpy_scalar_alpha_accepted(cplx):
    out = flip_labels(cplx, np.float64(0.3), np.random.default_rng(0))
    assert len(out.indices) == 24
    assert len(flip_labels(cplx, 0, np.random.default_rng(0)).indices) == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rng", [0, np.random.RandomState(0), None])
def test_bad_rng(cplx, kind, rng):
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        corrupt(cplx, kind, 0.3, rng)


@pytest.mark.parametrize("kind", KINDS)
def test_unsorted_or_unbalanced_input(cplx, kind):
    rng = np.random.default_rng(0)
    perm = np.random.default_rng(1).permutation(len(cplx))
    shuffled = Dataset(cplx.x[perm], cplx.y[perm], dict(cplx.meta))
    with pytest.raises(ValueError, match="class-sorted"):
        corrupt(shuffled, kind, 0.3, rng)
    flipped = flip_labels(cplx, 0.3, rng).data  # a corrupted set is no longer class-sorted
    with pytest.raises(ValueError, match="class-sorted"):
        corrupt(flipped, kind, 0.3, rng)
    unbalanced = Dataset(cplx.x[1:], cplx.y[1:], dict(cplx.meta))
    with pytest.raises(ValueError, match="class-sorted"):
        corrupt(unbalanced, kind, 0.3, rng)


def test_unknown_kind(cplx):
    with pytest.raises(ValueError, match="label_flip"):
        corrupt(cplx, "label_noise", 0.3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown corruption"):
        corruption_count(82, 0.3, "gaussian")


def test_not_a_dataset():
    with pytest.raises(ValueError, match="Dataset"):
        flip_labels({"x": np.eye(2)}, 0.3, np.random.default_rng(0))


def test_corrupted_record_validates_indices(cplx):
    with pytest.raises(ValueError, match="sorted"):
        Corrupted(cplx, np.array([3, 1], dtype=np.int64))
    with pytest.raises(ValueError, match="int64"):
        Corrupted(cplx, np.array([1, 3], dtype=np.int32))
    with pytest.raises(ValueError, match="within"):
        Corrupted(cplx, np.array([1, len(cplx)], dtype=np.int64))
