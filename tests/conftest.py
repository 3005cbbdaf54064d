"""Shared test fixtures."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

ALPHAS = np.round(np.arange(10) * 0.1, 1)
#: Validation curves of the two phenotypes, and a centroid-like one (clean up to 0.4).
MLP_VAL = 1.0 - ALPHAS
QNN_VAL = np.where(ALPHAS <= 0.35, 0.98, np.where(ALPHAS < 0.55, 0.5, 0.05))
CENTROID_VAL = np.where(ALPHAS <= 0.45, 0.98, np.where(ALPHAS < 0.55, 0.45, 0.02))


def curve_records(
    model: str,
    val: np.ndarray,
    memorized: float,
    dataset: str = "mnist",
    corruption: str = "label_flip",
    runs: int = 3,
    n_params: float = np.nan,
) -> pd.DataFrame:
    """Synthetic records: ``runs`` runs of one curve, run r offset by (r − 1)·0.005."""
    rows = []
    for run in range(runs):
        for a, v in zip(ALPHAS, val, strict=True):
            rows.append(
                {
                    "dataset": dataset,
                    "model": model,
                    "corruption": corruption,
                    "alpha": a,
                    "run": run,
                    "train_accuracy": 1.0,
                    "val_accuracy": float(np.clip(v + (run - 1) * 0.005, 0, 1)),
                    "corrupted_memorized": np.nan if a == 0 else memorized,
                    "n_params": n_params,
                }
            )
    return pd.DataFrame(rows)


def study(centroid_val: np.ndarray = CENTROID_VAL, centroid_mem: float = 0.02) -> pd.DataFrame:
    """MLP, QNN and a centroid control on one dataset, both corruptions."""
    parts = [
        curve_records("mlp", MLP_VAL, 0.97),
        curve_records("qnn", QNN_VAL, 0.05),
        curve_records("centroid", centroid_val, centroid_mem, n_params=0),
    ]
    flat = np.full_like(ALPHAS, 0.97)
    parts += [
        curve_records(m, flat, 0.5, corruption="feature_random") for m in ("mlp", "qnn", "centroid")
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def syn() -> SimpleNamespace:
    """Synthetic phenotype records: ``study`` (an MLP, a QNN and a centroid control),
    ``curve_records`` (one curve), the curves ``MLP_VAL``, ``QNN_VAL``, ``CENTROID_VAL`` and
    their grid ``ALPHAS``."""
    return SimpleNamespace(
        study=study,
        curve_records=curve_records,
        ALPHAS=ALPHAS,
        MLP_VAL=MLP_VAL,
        QNN_VAL=QNN_VAL,
        CENTROID_VAL=CENTROID_VAL,
    )


@pytest.fixture
def one_torch_thread():
    """One torch thread (two threads on a busy two-core machine are many times slower for the
    small products of the curvature tests); the setting is restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def unit_states(n: int, n_qubits: int, seed: int):
    """``n`` seeded random complex128 unit vectors of length ``2**n_qubits``."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    shape = (n, 2**n_qubits)
    x = torch.complex(
        torch.randn(shape, dtype=torch.float64, generator=gen),
        torch.randn(shape, dtype=torch.float64, generator=gen),
    )
    return x / torch.linalg.vector_norm(x, dim=1, keepdim=True)


@pytest.fixture
def states():
    """:func:`unit_states` as a fixture."""
    return unit_states
