"""The curvature study (SI IV.D and the paper's Hessian figure): computation and records.

Specs are in :mod:`qmlr.studies.curvature_specs` (re-exported here), the measurements of one
trained model in :mod:`qmlr.core.curvature_metrics` and :mod:`qmlr.core.complexified`,
verdicts and tables in :mod:`qmlr.report.curvature`, figures in
:mod:`qmlr.report.plots_curvature`.

Both configurations train in **double precision** (float64 / complex128), unlike the sweeps: the
Hessian is a second derivative at a trained point, and the QNN's spectrum spans five decades.
Class-balanced label flipping reuses the sweeps' machinery — a
:class:`~qmlr.engine.specs.CellSpec` with the same seeds (:meth:`CurvatureSpec.cell`) and
:func:`qmlr.engine.runner.poisoned_training_set` — so every model of a given (α, run) sees the
same poison, and the ``si`` models share poison, initialisation and minibatch order with the
resilience sweep's MNIST cells.

Measured per model (:func:`qmlr.core.curvature_metrics.measure`): the exact trace, ``λ_max`` and
``λ_min``, the spectral density by stochastic Lanczos quadrature (and for the QNNs the exact
spectrum), the share of negative curvature, the Gauss–Newton / residual split of the trace
(Terms A and B of SI §I), and whether a model is *dead*; for the ``authors-code`` QNN of the
later series also the trace over complexified angles
(:func:`qmlr.core.curvature_metrics.complexified_metrics`).

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> [s.flips for s in curvature_specs(get_profile("smoke"))][-1]
    'class-balanced'
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qmlr.core.curvature_settings import is_dead
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.runner import (
    build_model,
    clean_split,
    forward_cost,
    model_inputs,
    poisoned_training_set,
    training_cost,
)
from qmlr.engine.store import CellResult, environment_provenance
from qmlr.studies.curvature_specs import (
    AUTHORS_MLP_HIDDEN,
    AUTHORS_QNN_DEPTH,
    AUTHORS_SERIES,
    AUTHORS_TRAIN_FRACTION,
    AUTHORS_TRAINING,
    CONFIGS,
    CONTROL_KINDS,
    FLIPS,
    HESSIAN_LABELS,
    MODEL_KINDS,
    N_QUBITS,
    PRECISION,
    STUDY,
    CurvatureSpec,
    authors_specs,
    config_model,
    config_training,
    control_specs,
    curvature_specs,
    mlp_parameters,
    n_parameters,
    paper_specs,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "AUTHORS_MLP_HIDDEN",
    "AUTHORS_QNN_DEPTH",
    "AUTHORS_SERIES",
    "AUTHORS_TRAIN_FRACTION",
    "AUTHORS_TRAINING",
    "CONFIGS",
    "CONTROL_KINDS",
    "FLIPS",
    "HESSIAN_LABELS",
    "MODEL_KINDS",
    "N_QUBITS",
    "PRECISION",
    "STUDY",
    "CurvatureSpec",
    "RECORD_COLUMNS",
    "authors_specs",
    "authors_train_size",
    "build",
    "compute_group",
    "compute_run",
    "config_model",
    "config_training",
    "control_specs",
    "curvature_specs",
    "export",
    "mlp_parameters",
    "n_parameters",
    "paper_specs",
    "plan",
    "records_frame",
    "run_data",
]

#: Runs whose complexified trace is also computed by its definition (``2P`` Hessian-vector
#: products), as a check of the identity used for every run.
COMPLEXIFIED_DIRECT_RUNS = (0,)

# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunData:
    """What one run trains on and where its Hessian is measured (rows of the 500 images).

    :param x: training set features ``(500, 1024)`` (the 500 MNIST training images).
    :param y: their labels after flipping.
    :param flipped: boolean mask of flipped rows.
    :param train_rows: rows the model is trained on.
    :param hessian_rows: rows the Hessian is computed on.
    """

    x: np.ndarray
    y: np.ndarray
    flipped: np.ndarray
    train_rows: np.ndarray
    hessian_rows: np.ndarray

    @property
    def clean_y(self) -> np.ndarray:
        """The true labels."""
        return self.y ^ self.flipped.astype(self.y.dtype)


def authors_train_size(n: int) -> int:
    """Rows of the training part of the ``authors-code`` split of ``n`` rows
    (:data:`AUTHORS_TRAIN_FRACTION`, rounded).

    Example:
        >>> authors_train_size(500)
        350
    """
    return int(round(AUTHORS_TRAIN_FRACTION * n))


def _authors_split(spec: CurvatureSpec, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The seeded 70/30 split of ``n`` rows: sorted (train, held-out) rows."""
    order = np.random.default_rng(spec.split_seed()).permutation(n)
    n_train = authors_train_size(n)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def unbalanced_flips(spec: CurvatureSpec, train_rows: np.ndarray) -> np.ndarray:
    """The ``train-unbalanced`` flips: ``⌊α n_train⌋`` training rows drawn uniformly without
    replacement, whatever their class.

    :param spec: the run (its α and :meth:`CurvatureSpec.unbalanced_flip_seed`).
    :param train_rows: the rows of the training part.
    :return: the sorted flipped rows.
    """
    count = int(np.floor(spec.alpha * len(train_rows) + 1e-9))
    rng = np.random.default_rng(spec.unbalanced_flip_seed())
    return np.sort(rng.choice(train_rows, size=count, replace=False))


def run_data(spec: CurvatureSpec) -> RunData:
    """Poison, split and Hessian sample of a run.

    ``si``: train on all 500 poisoned images; Hessian on ``hessian_samples`` of them drawn
    without replacement. ``authors-code``: a seeded random 70/30 split of the 500 images; train
    on the 70 %; Hessian on ``hessian_samples`` of the held-out 30 %. With ``class-balanced``
    flips the flips are drawn over all 500 before the split (held-out samples can carry them);
    with ``train-unbalanced`` flips only training rows are flipped (:func:`unbalanced_flips`).
    """
    if spec.flips == "class-balanced":
        poisoned = poisoned_training_set(spec.cell())
        x, y = poisoned.data.x, poisoned.data.y.copy()
        corrupted = poisoned.corrupted
    else:
        clean = clean_split(spec.data, "train")
        x, y = clean.x, clean.y.copy()
    flipped = np.zeros(len(y), dtype=bool)
    rows = np.arange(len(y))
    if spec.config == "si":
        train_rows, pool = rows, rows
    else:
        train_rows, pool = _authors_split(spec, len(y))
    if spec.flips == "train-unbalanced":
        corrupted = unbalanced_flips(spec, train_rows)
        y[corrupted] ^= 1
    flipped[corrupted] = True
    if spec.hessian_samples > len(pool):
        raise ValueError(f"{spec.hessian_samples} Hessian samples requested, {len(pool)} available")
    rng = np.random.default_rng(spec.hessian_seed())
    hessian_rows = np.sort(rng.choice(pool, size=spec.hessian_samples, replace=False))
    return RunData(x, y, flipped, train_rows, hessian_rows)


def _inputs(x: np.ndarray, spec: CurvatureSpec) -> torch.Tensor:
    return model_inputs(x, spec.model)


def train(spec: CurvatureSpec, data: RunData, seed: int) -> tuple[torch.nn.Module, Any]:
    """The single-member double-precision model of ``spec``, trained on its rows.

    The paper's models are built and fitted with :func:`qmlr.core.train.fit` (the ``authors-code``
    QNN is model kind ``qnn-rxry``); a control is fitted by its kind
    (:meth:`~qmlr.core.models.base.ModelKind.fit`: early stopping, weight decay, the PCA map).

    :return: ``(model, history)``.
    """
    import torch

    from qmlr.core.models import get_kind
    from qmlr.core.train import fit

    x_all, y_all = _inputs(data.x, spec), torch.as_tensor(data.y)
    rows = torch.as_tensor(data.train_rows)
    val = clean_split(spec.data, "val")
    x_val, y_val = _inputs(val.x, spec), torch.as_tensor(val.y)
    x, y = x_all[rows][None], y_all[rows][None]
    if spec.model.kind in CONTROL_KINDS:
        kind = get_kind(spec.model.kind)
        return kind.fit(spec.model, spec.data, spec.train, x, y, (seed,), x_val, y_val)
    model = build(spec, seed)
    return model, fit(model, x, y, spec.train, (seed,), x_val, y_val)


def build(spec: CurvatureSpec, seed: int) -> torch.nn.Module:
    """The untrained single-member double-precision model of a paper-model spec (the
    ``authors-code`` QNN is model kind ``qnn-rxry``)."""
    from qmlr.core.models import get_kind

    if spec.model.kind not in MODEL_KINDS:
        raise ValueError(f"{spec.model.kind!r} is fitted by its kind, not built here")
    if spec.ansatz == "rx-ry+cnot-ring":
        return get_kind("qnn-rxry").build(spec.model, spec.data, 2**N_QUBITS, (seed,))
    return build_model(spec.model, spec.data, 2**N_QUBITS, (seed,))


def compute_run(spec: CurvatureSpec) -> CellResult:
    """Train one model of the study and measure its curvature."""
    import torch

    start = time.perf_counter()
    data = run_data(spec)
    cell = spec.cell()
    seed = cell.model_seed()
    model, history = train(spec, data, seed)
    trained = time.perf_counter()
    x_all = _inputs(data.x, spec)
    with torch.no_grad():
        train_logits = model(x_all[torch.as_tensor(data.train_rows)][None])[0].numpy()
        all_logits = model(x_all[None])[0].numpy()
    held = np.setdiff1d(np.arange(len(data.y)), data.train_rows)
    clean_y = data.clean_y
    metrics: dict[str, Any] = {
        "train_accuracy": float(history.train_accuracy[0]),
        "val_accuracy": float(history.val_accuracy[0]),
        "heldout_accuracy": float(np.mean((all_logits[held] > 0) == clean_y[held]))
        if held.size
        else float("nan"),
        "final_train_loss": float(history.train_loss[0, -1]),
        "n_train": int(len(data.train_rows)),
        "n_flipped_train": int(data.flipped[data.train_rows].sum()),
        "logit_spread": float(train_logits.max() - train_logits.min()),
        "mean_probability": float(torch.sigmoid(torch.as_tensor(train_logits)).mean()),
        "dead": is_dead(train_logits),
        "hessian_rows": data.hessian_rows.tolist(),
    }
    metrics.update(_measure_hessian(spec, model, data, x_all))
    done = time.perf_counter()
    provenance = {
        **environment_provenance(),
        "poison_seed": spec.poison_seed(),
        "model_seed": seed,
        "hessian_seed": spec.hessian_seed(),
        "split_seed": spec.split_seed() if spec.config == "authors-code" else None,
        "probe_seed": spec.probe_seed(),
        "ansatz": spec.ansatz,
        "train_time_s": trained - start,
        "hessian_time_s": done - trained,
        "wall_time_s": done - start,
        "torch_threads": torch.get_num_threads(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return CellResult(spec, metrics, provenance)


def _measure_hessian(
    spec: CurvatureSpec, model: torch.nn.Module, data: RunData, x_all: torch.Tensor
) -> dict[str, Any]:
    """The curvature measurements on the run's Hessian samples, with the spec's labels; for
    the complexified series also the complexified traces (and, with clean Hessian labels after
    class-balanced flips, both traces with the labels the samples carry after flipping)."""
    import torch

    from qmlr.core.curvature_metrics import complexified_metrics, measure

    h_rows = torch.as_tensor(data.hessian_rows)
    carried = data.y[data.hessian_rows]
    labels = data.clean_y[data.hessian_rows] if spec.hessian_labels == "clean" else carried
    wrong = labels != data.clean_y[data.hessian_rows]
    x_h, y_h = x_all[h_rows], torch.as_tensor(labels)
    out: dict[str, Any] = {
        "n_hessian_flipped": int(wrong.sum()),
        "n_hessian_poisoned": int(data.flipped[data.hessian_rows].sum()),
    }
    out.update(
        measure(
            model,
            x_h,
            y_h,
            wrong,
            spec.model.kind,
            spec.slq_probes,
            spec.slq_steps,
            spec.probe_seed(),
        )
    )
    if spec.complexified:
        relabel = spec.hessian_labels == "clean" and spec.flips == "class-balanced"
        other = torch.as_tensor(carried) if relabel else None  # held-out flips exist only here
        out.update(
            complexified_metrics(
                model,
                x_h,
                y_h,
                out["trace"],
                direct=spec.run in COMPLEXIFIED_DIRECT_RUNS,
                poisoned_labels=other,
            )
        )
    return out


def compute_group(specs: list[CurvatureSpec]) -> list[CellResult]:
    """Compute a group of runs one after the other (the study's ``compute``)."""
    return [compute_run(s) for s in specs]


#: Relative work of one Hessian sample in training-sample passes (the cost model of scheduling).
HESSIAN_SAMPLE_PASSES = 800


def _cost(spec: CurvatureSpec) -> float:
    """Rough relative cost, for scheduling expensive runs first: the training
    (:func:`~qmlr.engine.runner.training_cost`) and the Hessian samples (twice for the trace
    over complexified angles)."""
    hessians = spec.hessian_samples * (2 if spec.complexified else 1) * HESSIAN_SAMPLE_PASSES
    return training_cost(spec) + hessians * forward_cost(spec.model, spec.data)


def plan(specs: list[CurvatureSpec]) -> list[list[CurvatureSpec]]:
    """One run per group: the ``authors-code`` runs first (the paper's figure), then the rest,
    each most expensive first."""
    return [
        [s]
        for s in sorted(specs, key=lambda s: (s.config == "authors-code", _cost(s)), reverse=True)
    ]


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------

#: Columns of the tidy records, in order.
RECORD_COLUMNS = (
    "config",
    "model",
    "model_label",
    "ansatz",
    "flips",
    "hessian_labels",
    "alpha",
    "run",
    "n_params",
    "dead",
    "trace",
    "trace_complexified",
    "trace_complexified_direct",
    "trace_complexified_imag",
    "trace_poisoned_labels",
    "trace_complexified_poisoned_labels",
    "lam_max",
    "lam_min",
    "negative_mass_slq",
    "negative_share_slq",
    "negative_mass_exact",
    "negative_share_exact",
    "negative_sum_exact",
    "trace_gauss_newton",
    "trace_residual",
    "trace_flipped",
    "trace_residual_flipped",
    "n_hessian_flipped",
    "n_hessian_poisoned",
    "slq_trace",
    "hutchinson_trace",
    "hutchinson_se",
    "lam_max_eigsh",
    "lam_min_eigsh",
    "slq_lam_max",
    "slq_lam_min",
    "eigsh_converged",
    "hessian_asymmetry",
    "val_accuracy",
    "train_accuracy",
    "heldout_accuracy",
    "logit_spread",
    "mean_probability",
    "hessian_loss",
    "gradient_norm",
    "train_time_s",
    "hessian_time_s",
    "key",
)


def record(result: CellResult) -> dict[str, Any]:
    """One tidy row of a run: coordinates, scalar metrics, timings."""
    s: CurvatureSpec = result.spec  # type: ignore[assignment]
    m, p = result.metrics, result.provenance
    row: dict[str, Any] = {
        "config": s.config,
        "model": s.model.kind,
        "model_label": s.model.label,
        "ansatz": s.ansatz,
        "flips": s.flips,
        "hessian_labels": s.hessian_labels,
        "alpha": s.alpha,
        "run": s.run,
        "key": s.key(),
        "train_time_s": p.get("train_time_s"),
        "hessian_time_s": p.get("hessian_time_s"),
    }
    for col in RECORD_COLUMNS:
        if col not in row:
            row[col] = m.get(col, float("nan"))
    return {c: row[c] for c in RECORD_COLUMNS}


def records_frame(results: Sequence[CellResult]):
    """The runs as a tidy ``pandas.DataFrame`` (one row per configuration, model, flips,
    Hessian labels, α, run)."""
    import pandas as pd

    rows = [record(r) for r in results if r.spec.kind == CurvatureSpec.kind]
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    order = ["config", "model", "flips", "hessian_labels", "alpha", "run"]
    return frame.sort_values(order).reset_index(drop=True)


def export(results: Sequence[CellResult], folder: str | Path) -> Path:
    """Write ``records.csv`` (tidy, one row per run) into ``folder`` and return its path."""
    path = Path(folder) / "records.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    records_frame(results).to_csv(path, index=False)
    return path


#: The study (listed in :mod:`qmlr.studies.registry`).
DEFINITION = StudyDefinition(
    STUDY, curvature_specs, compute_group, plan, export=export, spec_types=(CurvatureSpec,)
)
