"""The curvature study (SI IV.D and the paper's Hessian figure): specs, computation, records.

Verdicts and tables are in :mod:`qmlr.report.curvature`, figures in
:mod:`qmlr.report.plots_curvature`, the measurements of one trained model in
:mod:`qmlr.core.curvature_metrics`.

One :class:`CurvatureSpec` is one trained model whose loss curvature is measured: a
*configuration*, a model, a label-noise ratio α and a run index.

* ``"si"`` — the Supplementary Information's setup: MNIST 1 vs 9 (250 + 250 training images),
  the SI IV models (MLP [16, 4]; QNN with 10 qubits, depth 6, RX-RY-RX + RZZ ring) trained with
  SI Table I; the Hessian of the BCE loss on 100 random (poisoned) training samples.
* ``"authors-code"`` — the setup of the authors' research code, from which the paper's figure
  came: a QNN of RX and RY layers with a CNOT ring, depth 5 (model kind ``qnn-rxry``,
  :class:`~qmlr.core.models.rxry.RxRyCnotQNN`); an MLP [8, 2]; a 70/30 split of the 500
  (poisoned) images; 50 epochs, batch 32, lr 0.01; the Hessian on 100 of the held-out 30 %.

Both configurations train in **double precision** (float64 / complex128), unlike the sweeps: the
Hessian is a second derivative at a trained point, and the QNN's spectrum spans five decades.
Label flipping reuses the sweeps' machinery — a :class:`~qmlr.studies.specs.CellSpec` with the
same seeds (:meth:`CurvatureSpec.cell`) and :func:`qmlr.studies.runner.poisoned_training_set` —
so the MLP and QNN of a given (α, run) see the same poison, and the ``si`` models share poison,
initialisation and minibatch order with the resilience sweep's MNIST cells.

Measured per model (:func:`qmlr.core.curvature_metrics.measure`): the exact trace, ``λ_max`` and
``λ_min``, the spectral density by stochastic Lanczos quadrature (and for the QNNs the exact
spectrum), the share of negative curvature, the Gauss–Newton / residual split of the trace
(Terms A and B of SI §I), and whether an MLP is *dead*.

Example:
    >>> from qmlr.studies.experiments import get_profile
    >>> specs = curvature_specs(get_profile("paper"))
    >>> len(specs), sorted({s.config for s in specs})
    (80, ['authors-code', 'si'])
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from qmlr.core.curvature_metrics import is_dead, measure
from qmlr.core.models import get_kind
from qmlr.core.train import TrainConfig, fit
from qmlr.studies.experiments import (
    PAPER_MLP_HIDDEN,
    PAPER_QNN_DEPTH,
    Profile,
    StudyDefinition,
    training_config,
)
from qmlr.studies.runner import build_model, clean_split, model_inputs, poisoned_training_set
from qmlr.studies.specs import (
    CellSpec,
    DataSpec,
    ModelSpec,
    derive_seed,
    json_form,
    model_from_dict,
    spec_key,
)
from qmlr.studies.store import CellResult, environment_provenance

STUDY = "curvature"
CONFIGS = ("si", "authors-code")
#: Display names of the configurations.
CONFIG_NAMES = {"si": "SI", "authors-code": "authors'-code"}
MODEL_KINDS = ("mlp", "qnn")

#: The authors' research code (the authors' public research code).
AUTHORS_TRAINING = TrainConfig(epochs=50, batch_size=32, lr=0.01)
AUTHORS_MLP_HIDDEN = (8, 2)
AUTHORS_QNN_DEPTH = 5
AUTHORS_TRAIN_FRACTION = 0.7

#: Precision of training and Hessian (float64 / complex128).
PRECISION = "double"

N_QUBITS = 10
_DATA = DataSpec("mnist")

# --------------------------------------------------------------------------------------------
# specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurvatureSpec:
    """One trained model of the curvature study and how its Hessian is measured.

    :param study: ``"curvature"``.
    :param config: ``"si"`` or ``"authors-code"`` (see the module docstring).
    :param model: the model (precision ``"double"``).
    :param train: training hyperparameters.
    :param alpha: label-flip ratio.
    :param run: run index.
    :param hessian_samples: samples the Hessian is computed on.
    :param slq_probes: SLQ probes.
    :param slq_steps: Lanczos steps per probe.
    :param base_seed: the study's seed.
    """

    kind: ClassVar[str] = "curvature-run"
    study: str
    config: Literal["si", "authors-code"]
    model: ModelSpec
    train: TrainConfig
    alpha: float
    run: int
    hessian_samples: int = 100
    slq_probes: int = 16
    slq_steps: int = 80
    base_seed: int = 2508_02422

    def __post_init__(self) -> None:
        if self.config not in CONFIGS:
            raise ValueError(f"unknown configuration {self.config!r}; choose from {CONFIGS}")
        if not 0.0 <= float(self.alpha) < 1.0 or self.run < 0 or self.hessian_samples < 1:
            raise ValueError(f"invalid curvature spec: {self}")
        object.__setattr__(self, "alpha", round(float(self.alpha), 10))

    @property
    def ansatz(self) -> str:
        """The QNN circuit (``""`` for an MLP)."""
        if self.model.kind != "qnn":
            return ""
        return "rx-ry-rx+rzz-ring" if self.config == "si" else "rx-ry+cnot-ring"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_form(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CurvatureSpec:
        """Inverse of :meth:`to_dict`."""
        rest = {k: v for k, v in d.items() if k not in ("model", "train")}
        return cls(model=model_from_dict(d["model"]), train=TrainConfig(**d["train"]), **rest)

    def key(self) -> str:
        """16-hex-digit identity in the store."""
        return spec_key(self)

    def cell(self) -> CellSpec:
        """The equivalent sweep cell: its poison seed, model seed and poisoned training set are
        this run's (label flipping on the MNIST training split)."""
        return CellSpec(
            STUDY, _DATA, self.model, self.train, "label_flip", self.alpha, self.run, self.base_seed
        )

    def hessian_seed(self) -> int:
        """Seed of the Hessian sample draw (shared by MLP and QNN of a configuration, α, run)."""
        return derive_seed(self.base_seed, "curvature-hessian", self.config, self.alpha, self.run)

    def split_seed(self) -> int:
        """Seed of the 70/30 split (``authors-code``), shared by MLP and QNN."""
        return derive_seed(self.base_seed, "curvature-split", self.alpha, self.run)

    def probe_seed(self) -> int:
        """Seed of the SLQ / Hutchinson / ARPACK start vectors."""
        return derive_seed(
            self.base_seed, "curvature-probes", self.config, self.model.kind, self.run
        )


def config_model(config: str, kind: str) -> ModelSpec:
    """The model of a configuration, in double precision.

    Example:
        >>> config_model("authors-code", "mlp").label
        'MLP [8, 2]'
    """
    if config not in CONFIGS or kind not in MODEL_KINDS:
        raise ValueError(f"unknown configuration/model {config!r}/{kind!r}")
    if kind == "mlp":
        hidden = PAPER_MLP_HIDDEN["mnist"] if config == "si" else AUTHORS_MLP_HIDDEN
        return ModelSpec("mlp", hidden=hidden, precision=PRECISION)
    depth = PAPER_QNN_DEPTH["mnist"] if config == "si" else AUTHORS_QNN_DEPTH
    return ModelSpec("qnn", depth=depth, precision=PRECISION)


def config_training(config: str, kind: str, profile: Profile) -> TrainConfig:
    """SI Table I (``si``) or the authors' 50 / 32 / 0.01 (``authors-code``), epochs scaled by
    the profile's ``curvature_epoch_scale`` (the grid, the runs and the Hessian estimators'
    sizes are the profile's too: :mod:`qmlr.studies.profiles`)."""
    profile = replace(profile, epoch_scale=profile.curvature_epoch_scale)
    if config == "si":
        return training_config("mnist", kind, profile)
    epochs = max(1, round(AUTHORS_TRAINING.epochs * profile.epoch_scale))
    return TrainConfig(epochs, AUTHORS_TRAINING.batch_size, AUTHORS_TRAINING.lr)


def curvature_specs(profile: Profile) -> list[CurvatureSpec]:
    """Every run of the study at ``profile`` (configuration × model × α × run)."""
    specs = []
    for config in CONFIGS:
        for kind in MODEL_KINDS:
            for alpha in profile.curvature_alphas:
                for run in range(profile.curvature_runs):
                    specs.append(
                        CurvatureSpec(
                            STUDY,
                            config,
                            config_model(config, kind),
                            config_training(config, kind, profile),
                            alpha,
                            run,
                            hessian_samples=profile.hessian_samples,
                            slq_probes=profile.slq_probes,
                            slq_steps=profile.slq_steps,
                        )
                    )
    return specs


# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunData:
    """What one run trains on and where its Hessian is measured (rows of the poisoned set).

    :param x: poisoned training set features ``(500, 1024)`` (the 500 MNIST training images).
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


def run_data(spec: CurvatureSpec) -> RunData:
    """Poison, split and Hessian sample of a run.

    ``si``: train on all 500 poisoned images; Hessian on ``hessian_samples`` of them drawn
    without replacement. ``authors-code``: a seeded random 70/30 split of the 500 poisoned images
    (the flips are drawn before the split, class-balanced over all 500); train on the 70 %;
    Hessian on ``hessian_samples`` of the held-out 30 %, with the labels they carry.
    """
    poisoned = poisoned_training_set(spec.cell())
    x, y = poisoned.data.x, poisoned.data.y
    flipped = np.zeros(len(y), dtype=bool)
    flipped[poisoned.corrupted] = True
    rows = np.arange(len(y))
    if spec.config == "si":
        train_rows, pool = rows, rows
    else:
        order = np.random.default_rng(spec.split_seed()).permutation(len(y))
        n_train = int(round(AUTHORS_TRAIN_FRACTION * len(y)))
        train_rows, pool = np.sort(order[:n_train]), np.sort(order[n_train:])
    if spec.hessian_samples > len(pool):
        raise ValueError(f"{spec.hessian_samples} Hessian samples requested, {len(pool)} available")
    rng = np.random.default_rng(spec.hessian_seed())
    hessian_rows = np.sort(rng.choice(pool, size=spec.hessian_samples, replace=False))
    return RunData(x, y, flipped, train_rows, hessian_rows)


def build(spec: CurvatureSpec, seed: int) -> torch.nn.Module:
    """The single-member double-precision model of ``spec``."""
    if spec.model.kind == "qnn" and spec.config == "authors-code":
        return get_kind("qnn-rxry").build(spec.model, _DATA, 2**N_QUBITS, (seed,))
    return build_model(spec.model, _DATA, 2**N_QUBITS, (seed,))


def _inputs(x: np.ndarray, spec: CurvatureSpec) -> torch.Tensor:
    return model_inputs(x, spec.model)


def compute_run(spec: CurvatureSpec) -> CellResult:
    """Train one model of the study and measure its curvature."""
    start = time.perf_counter()
    data = run_data(spec)
    cell = spec.cell()
    seed = cell.model_seed()
    model = build(spec, seed)
    x_all = _inputs(data.x, spec)
    y_all = torch.as_tensor(data.y)
    rows = torch.as_tensor(data.train_rows)
    val = clean_split(_DATA, "val")
    x_val, y_val = _inputs(val.x, spec), torch.as_tensor(val.y)
    history = fit(model, x_all[rows][None], y_all[rows][None], spec.train, (seed,), x_val, y_val)
    trained = time.perf_counter()
    with torch.no_grad():
        train_logits = model(x_all[rows][None])[0].numpy()
        all_logits = model(x_all[None])[0].numpy()
    held = np.setdiff1d(np.arange(len(data.y)), data.train_rows)
    clean_y = data.y ^ data.flipped.astype(data.y.dtype)
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
    h_rows = torch.as_tensor(data.hessian_rows)
    h_flipped = data.flipped[data.hessian_rows]
    metrics["n_hessian_flipped"] = int(h_flipped.sum())
    metrics.update(
        measure(
            model,
            x_all[h_rows],
            y_all[h_rows],
            h_flipped,
            spec.model.kind,
            spec.slq_probes,
            spec.slq_steps,
            spec.probe_seed(),
        )
    )
    done = time.perf_counter()
    provenance = {
        **environment_provenance(),
        "poison_seed": cell.poison_seed(),
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


def compute_group(specs: list[CurvatureSpec]) -> list[CellResult]:
    """Compute a group of runs one after the other (the study's ``compute``)."""
    return [compute_run(s) for s in specs]


def _cost(spec: CurvatureSpec) -> float:
    """Rough relative cost, for scheduling expensive runs first."""
    if spec.model.kind == "qnn":
        steps = spec.train.epochs * -(-500 // spec.train.batch_size)
        return 3.0 + 0.02 * steps * spec.train.batch_size / 32 + 0.5 * spec.hessian_samples
    return 1.0 + 0.3 * spec.hessian_samples


def plan(specs: list[CurvatureSpec]) -> list[list[CurvatureSpec]]:
    """One run per group, most expensive first."""
    return [[s] for s in sorted(specs, key=_cost, reverse=True)]


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------

#: Columns of the tidy records, in order.
RECORD_COLUMNS = (
    "config",
    "model",
    "model_label",
    "ansatz",
    "alpha",
    "run",
    "n_params",
    "dead",
    "trace",
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
    """The runs as a tidy ``pandas.DataFrame`` (one row per configuration, model, α, run)."""
    import pandas as pd

    rows = [record(r) for r in results if r.spec.kind == CurvatureSpec.kind]
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    return frame.sort_values(["config", "model", "alpha", "run"]).reset_index(drop=True)


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


# --------------------------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------------------------


def n_parameters(spec: CurvatureSpec) -> int:
    """Trainable parameters of the spec's model.

    Example:
        >>> from qmlr.studies.experiments import get_profile
        >>> sorted({n_parameters(s) for s in curvature_specs(get_profile("smoke"))})
        [100, 240, 8221, 16473]
    """
    if spec.model.kind == "mlp":
        return mlp_parameters(spec.model.hidden)
    per_gate = 4 if spec.config == "si" else 2
    return spec.model.depth * N_QUBITS * per_gate


def mlp_parameters(hidden: Sequence[int], in_features: int = 1024) -> int:
    """Parameters of an MLP ``in_features → hidden → 1``."""
    sizes = [in_features, *hidden, 1]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
