"""The unlearning study (main Fig. 3, SI Figs. S2 and S3): specs, computation, records, summaries.

One :class:`UnlearningSpec` is one *run* of one *series* — a (dataset, model, setting, XXZ phase)
combination. Computing it draws the run's label-flip poison at α = 0.3 (the same draw as the
resilience sweep's cell at α = 0.3 and the same run, because the equivalent
:class:`~qmlr.engine.specs.CellSpec` supplies the seeds), trains the poisoned base model with the
SI Table I hyperparameters (:func:`qmlr.core.train.fit`), and runs **every** unlearning method of
:mod:`qmlr.core.unlearn` from that same base model. Its result holds all methods' curves (lists of
``steps + 1`` values per metric) — one result file per run. Specs that share a base model (the
QNN's two settings) are computed together so the base model is trained once; the result does
not depend on the grouping.

The settings (the one source of truth, :data:`SETTINGS`):

- ``"si"`` — SI IV.C literally: one update per step (batch = |D_r|), Adam lr 0.001 on MNIST and
  0.01 on XXZ. The MLPs' main setting; the QNNs' sensitivity row.
- ``"paper-figure"`` — what produced the paper's Fig. 3 for the QNNs according to the authors'
  code (the authors' public research code): lr 0.005 on both datasets, MNIST batch 256 (two
  updates per step), XXZ batch = |D_r|. The QNNs' main setting.

The series (:data:`SERIES`): the paper's (:data:`PAPER_SERIES`: four main-figure series — MLP
"si", QNN "paper-figure", XXZ with the ``random`` global phase of the resilience figure — and
three sensitivity series: both QNNs at "si", the XXZ MLP with ``canonical`` phases), and the
extensions of :data:`COMPUTED_EXTENSIONS` that separate amenability to unlearning from
resilience: a QNN made to memorize its poison (:data:`MEMORIZING_SERIES`,
:mod:`qmlr.studies.memorizing`)
and the classical controls that train by gradient (:data:`CONTROL_SERIES`); and the authors' XXZ
unlearning QNN on [Re ψ, Im ψ] as 13 qubits (:data:`ENCODING_SERIES`; records' ``encoding``
``reim-13q``, the 12-qubit QNN's ``complex-12q``).

Example:
    >>> from qmlr.studies.experiments import get_profile
    >>> specs = unlearning_specs(get_profile("paper"))
    >>> len(specs) == 5 * len(SERIES), len(PAPER_SERIES) * 5, specs[0].unlearn.steps
    (True, 35, 50)
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from qmlr.core.kinds import describe
from qmlr.core.train_config import TrainConfig
from qmlr.core.unlearn_catalog import METHODS, METRICS, check_method
from qmlr.engine.definition import StudyDefinition
from qmlr.engine.runner import (
    build_model,
    clean_split,
    forward_cost,
    model_inputs,
    poisoned_training_set,
    training_cost,
)
from qmlr.engine.specs import (
    CellSpec,
    DataSpec,
    ModelSpec,
    derive_seed,
    json_form,
    label_flip_cell,
    model_from_dict,
    spec_key,
    spec_type,
)
from qmlr.engine.store import CellResult, environment_provenance
from qmlr.studies.controls_study import control_model, control_training
from qmlr.studies.encoding_study import KIND as REIM_KIND
from qmlr.studies.encoding_study import reim_model
from qmlr.studies.experiments import Profile, paper_model, training_config
from qmlr.studies.memorizing import FORGET_WEIGHT, forget_weights
from qmlr.studies.readings import encoding_of

if TYPE_CHECKING:
    import torch

STUDY = "unlearning"
#: Label-flip ratio of the unlearning experiments (MNIST |D_f| = 150, XXZ 24).
ALPHA = 0.3
#: Unlearning steps of the paper (SI IV.C); a profile's ``unlearning_steps`` says how many run.
PAPER_STEPS = 50
#: The approximate methods of the paper (claim 5), and the published SCRUB beyond the paper.
APPROXIMATE = ("finetune", "scrub", "grad_asc")


@dataclass(frozen=True)
class UnlearnConfig:
    """Hyperparameters of the unlearning loop.

    :param steps: unlearning steps (full epochs over the retain set).
    :param lr: Adam learning rate.
    :param batch_size: retain minibatch size; ``None`` = the whole retain set (one update per
        step, SI IV.C).
    """

    steps: int
    lr: float
    batch_size: int | None = None

    def __post_init__(self) -> None:
        bad_batch = self.batch_size is not None and self.batch_size < 1
        if self.steps < 0 or not self.lr > 0 or bad_batch:
            raise ValueError(f"invalid unlearning config {self}")

    @property
    def batch_label(self) -> str:
        """``"full"`` or the minibatch size as text."""
        return "full" if self.batch_size is None else str(self.batch_size)


#: setting -> (dataset, model kind) -> unlearning hyperparameters at 50 steps.
SETTINGS: dict[str, dict[tuple[str, str], UnlearnConfig]] = {
    "si": {
        ("mnist", "mlp"): UnlearnConfig(PAPER_STEPS, 0.001),
        ("xxz", "mlp"): UnlearnConfig(PAPER_STEPS, 0.01),
        ("mnist", "qnn"): UnlearnConfig(PAPER_STEPS, 0.001),
        ("xxz", "qnn"): UnlearnConfig(PAPER_STEPS, 0.01),
    },
    "paper-figure": {
        ("mnist", "qnn"): UnlearnConfig(PAPER_STEPS, 0.005, 256),
        ("xxz", "qnn"): UnlearnConfig(PAPER_STEPS, 0.005),
    },
}

#: The controls trained by gradient that the study unlearns (see :data:`CONTROL_SERIES`).
UNLEARNED_CONTROLS: tuple[str, ...] = (
    "logistic",
    "mlp-tanh",
    "mlp-weight-decay",
    "mlp-small",
    "mlp-early-stop",
)
# A control is unlearned with the "si" setting of the paper model whose base training it uses
# (its kind's ``training``: the MLP's for the MLP variants, the QNN's for logistic regression);
# on both datasets the two "si" settings are the same (lr 0.001 MNIST / 0.01 XXZ, full batch).
for _dataset in ("mnist", "xxz"):
    for _kind in UNLEARNED_CONTROLS:
        SETTINGS["si"][(_dataset, _kind)] = SETTINGS["si"][(_dataset, describe(_kind).training)]
# The 13-qubit [Re ψ, Im ψ] XXZ QNN (the authors' unlearning model,
# :mod:`qmlr.studies.encoding_study`) is unlearned with the 12-qubit XXZ QNN's settings.
for _setting in ("si", "paper-figure"):
    SETTINGS[_setting][("xxz", REIM_KIND)] = SETTINGS[_setting][("xxz", "qnn")]

SETTING_LABELS = {"si": "SI literal", "paper-figure": "paper-figure (authors' code)"}


@dataclass(frozen=True)
class Series:
    """One curve family: a dataset, a model kind, a setting and an XXZ phase convention.

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param kind: ``"mlp"`` or ``"qnn"``.
    :param setting: a key of :data:`SETTINGS`.
    :param phase: XXZ global-phase convention (``"random"`` for MNIST too, where it is unused).
    :param role: ``"main"`` (Fig. 3), ``"sensitivity"``, ``"memorizing"`` (a QNN trained to
        memorize its poison, :mod:`qmlr.studies.memorizing`) or ``"control"`` (a classical control).
    :param forget_weight: loss weight of the flipped samples in the base training (1 = plain).
    """

    dataset: str
    kind: str
    setting: str
    phase: str = "random"
    role: str = "main"
    forget_weight: float = 1.0

    @property
    def model_name(self) -> str:
        """The records' ``model``: the kind, ``"<kind>-memorizing"`` with a forget weight."""
        return model_name(self.kind, self.forget_weight)

    @property
    def coords(self) -> dict[str, str]:
        """The series' columns in the records (``phase`` is ``""`` for MNIST)."""
        return {
            "dataset": self.dataset,
            "phase": self.phase if self.dataset == "xxz" else "",
            "model": self.model_name,
            "setting": self.setting,
        }

    @property
    def label(self) -> str:
        """E.g. ``"XXZ QNN, paper-figure"``."""
        phase = f", {self.phase} phase" if self.dataset == "xxz" and self.phase != "random" else ""
        weight = f" (flipped ×{self.forget_weight:g})" if self.forget_weight != 1.0 else ""
        return f"{self.dataset.upper()} {self.model_name.upper()}{weight}, {self.setting}{phase}"


def model_name(kind: str, forget_weight: float = 1.0) -> str:
    """The records' ``model`` of a kind trained with ``forget_weight``.

    Example:
        >>> model_name("qnn"), model_name("qnn", 8.0)
        ('qnn', 'qnn-memorizing')
    """
    return kind if forget_weight == 1.0 else f"{kind}-memorizing"


#: The paper's series (Fig. 3 and its sensitivity rows), main figure first.
PAPER_SERIES: tuple[Series, ...] = (
    Series("mnist", "mlp", "si"),
    Series("xxz", "mlp", "si"),
    Series("mnist", "qnn", "paper-figure"),
    Series("xxz", "qnn", "paper-figure"),
    Series("mnist", "qnn", "si", role="sensitivity"),
    Series("xxz", "qnn", "si", role="sensitivity"),
    Series("xxz", "mlp", "si", phase="canonical", role="sensitivity"),
)
#: QNNs made to memorize their poison (:data:`qmlr.studies.memorizing.FORGET_WEIGHT`), unlearned
#: with both QNN settings from one base model.
MEMORIZING_SERIES: tuple[Series, ...] = tuple(
    Series(dataset, "qnn", setting, role="memorizing", forget_weight=FORGET_WEIGHT[dataset])
    for dataset in ("xxz", "mnist")
    if dataset in FORGET_WEIGHT
    for setting in ("paper-figure", "si")
)
#: The gradient-trained controls, unlearned at "si" from their poisoned models.
CONTROL_SERIES: tuple[Series, ...] = tuple(
    Series(dataset, kind, "si", role="control")
    for dataset in ("xxz", "mnist")
    for kind in UNLEARNED_CONTROLS
)
#: Datasets whose memorizing QNN is computed and committed at paper scale (a series added here
#: is computed by ``python -m qmlr reproduce --profile paper unlearning``, which computes only
#: what is missing).
MEMORIZING_COMPUTED: tuple[str, ...] = ("xxz", "mnist")
#: The extension series computed and committed at paper scale (part of the study): the
#: memorizing QNNs of the datasets in :data:`MEMORIZING_COMPUTED`, and every control series.
COMPUTED_EXTENSIONS: tuple[Series, ...] = (
    *(s for s in MEMORIZING_SERIES if s.dataset in MEMORIZING_COMPUTED),
    *CONTROL_SERIES,
)
#: The authors' XXZ unlearning QNN ([Re ψ, Im ψ] as 13 qubits) with the authors' unlearning
#: setting: the model the paper's Fig. 3b shows, beside the 12-qubit QNN of its Fig. 2d.
ENCODING_SERIES: tuple[Series, ...] = (Series("xxz", REIM_KIND, "paper-figure", role="encoding"),)
#: Every series of the study, main figure first.
SERIES: tuple[Series, ...] = (*PAPER_SERIES, *COMPUTED_EXTENSIONS, *ENCODING_SERIES)


@spec_type
@dataclass(frozen=True)
class UnlearningSpec:
    """One run of one series: poison, base training and every unlearning method.

    :param study: the study's name.
    :param data: dataset (and XXZ phase).
    :param model: the SI model.
    :param train: base (poisoned) training hyperparameters (SI Table I, profile-scaled).
    :param unlearn: unlearning hyperparameters.
    :param setting: name of the unlearning setting (a key of :data:`SETTINGS`, or a custom name).
    :param alpha: label-flip ratio.
    :param run: repetition index.
    :param base_seed: the study's seed; every draw derives from it.
    :param methods: the unlearning methods run from the base model (default weights).
    :param forget_weight: loss weight of the flipped samples in the base training (1 = plain
        training; left out of :meth:`to_dict` at 1, so the paper series' keys are unchanged).
    """

    kind: ClassVar[str] = "unlearning-run"
    study: str
    data: DataSpec
    model: ModelSpec
    train: TrainConfig
    unlearn: UnlearnConfig
    setting: str
    alpha: float = ALPHA
    run: int = 0
    base_seed: int = 2508_02422
    methods: tuple[str, ...] = METHODS
    forget_weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "forget_weight", float(self.forget_weight))
        if not self.forget_weight > 0:
            raise ValueError(f"forget_weight must be positive, got {self.forget_weight!r}")
        alpha = float(self.alpha)
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1) (a forget set is needed), got {alpha!r}")
        object.__setattr__(self, "alpha", round(alpha, 10))
        if self.train.augment != "none":
            raise ValueError("this study trains without input augmentation")
        if self.run < 0:
            raise ValueError("run must be >= 0")
        methods = tuple(self.methods)
        for name in methods:
            check_method(name)
        if not methods or len(set(methods)) != len(methods):
            raise ValueError(f"methods must be distinct and non-empty, got {methods}")
        object.__setattr__(self, "methods", methods)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``forget_weight`` only where it is not 1)."""
        d = json_form(self)
        if self.forget_weight == 1.0:
            del d["forget_weight"]
        return d

    @property
    def model_name(self) -> str:
        """The records' ``model`` (see :func:`model_name`)."""
        return model_name(self.model.kind, self.forget_weight)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnlearningSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            study=d["study"],
            data=DataSpec(**d["data"]),
            model=model_from_dict(d["model"]),
            train=TrainConfig(**d["train"]),
            unlearn=UnlearnConfig(**d["unlearn"]),
            setting=d["setting"],
            alpha=d["alpha"],
            run=d["run"],
            base_seed=d["base_seed"],
            methods=tuple(d["methods"]),
            forget_weight=d.get("forget_weight", 1.0),
        )

    def key(self) -> str:
        """16-hex-digit identity of the spec."""
        return spec_key(self)

    def cell(self) -> CellSpec:
        """The equivalent sweep cell: its poison and model seeds are this run's."""
        return label_flip_cell(self)

    def base_key(self) -> tuple[Any, ...]:
        """Specs with equal base keys share one poisoned base model."""
        return (
            self.data, self.model, self.train, self.alpha, self.run, self.base_seed,
            self.forget_weight,
        )  # fmt: skip

    def _seed(self, what: str) -> int:
        m = self.model
        return derive_seed(
            self.base_seed, what, self.data.name, self.data.phase, m.kind, m.hidden, m.depth,
            self.alpha, self.run,
        )  # fmt: skip

    def order_seed(self) -> int:
        """Seed of the retain-set minibatch orders (shared by every method of the run)."""
        return self._seed("unlearn-order")

    def retrain_seed(self) -> int:
        """Seed of Retrain's fresh initialization (differs from the base model's)."""
        return self._seed("retrain-init")


def unlearning_steps(profile: Profile) -> int:
    """The profile's unlearning steps (50 at paper scale)."""
    return profile.unlearning_steps


def unlearning_runs(profile: Profile) -> int:
    """The profile's unlearning runs per series, at most its sweep runs (5 at paper scale)."""
    return min(profile.runs, profile.unlearning_runs)


def make_spec(
    series: Series, profile: Profile, run: int, steps: int | None = None
) -> UnlearningSpec:
    """The spec of one run of ``series`` at ``profile`` (``steps`` overrides the profile's)."""
    config = SETTINGS[series.setting][(series.dataset, series.kind)]
    steps = unlearning_steps(profile) if steps is None else steps
    if series.kind == REIM_KIND:  # the 13-qubit QNN trains with the QNN's settings
        model, train = reim_model(), training_config(series.dataset, "qnn", profile)
    else:
        paper = series.kind in ("mlp", "qnn")
        model = (paper_model if paper else control_model)(series.dataset, series.kind)
        train = (training_config if paper else control_training)(
            series.dataset, series.kind, profile
        )
    return UnlearningSpec(
        study=STUDY,
        data=DataSpec(series.dataset, phase=series.phase),
        model=model,
        train=train,
        unlearn=UnlearnConfig(steps, config.lr, config.batch_size),
        setting=series.setting,
        run=run,
        forget_weight=series.forget_weight,
    )


def unlearning_specs(profile: Profile) -> list[UnlearningSpec]:
    """Every spec of the study: each series of :data:`SERIES` × :func:`unlearning_runs` runs."""
    runs = unlearning_runs(profile)
    return [make_spec(s, profile, run) for s in SERIES for run in range(runs)]


# --------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseModel:
    """A trained poisoned model and the sets of its unlearning runs (ensemble size 1).

    :param model: the poisoned model (teacher and starting point).
    :param retain: (x, y) of D_r with clean labels, shapes (1, R, D), (1, R).
    :param forget: (x, y) of D_f with poisoned labels, shapes (1, F, D), (1, F).
    :param val: clean validation (x, y), shapes (V, D), (V,).
    :param train_accuracy: accuracy on the poisoned training labels.
    :param sample_weight: the base training's per-sample loss weights, shape (N,) (all 1
        unless the spec has a ``forget_weight``).
    :param wall_time_s: seconds spent drawing the poison and training.
    """

    model: torch.nn.Module
    retain: tuple[torch.Tensor, torch.Tensor]
    forget: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    train_accuracy: float
    wall_time_s: float
    sample_weight: np.ndarray | None = None


def train_base(spec: UnlearningSpec) -> BaseModel:
    """Draw the run's poison, split retain / forget, and train the poisoned base model."""
    import torch

    from qmlr.core.models import get_kind
    from qmlr.core.train import fit

    start = time.perf_counter()
    cell = spec.cell()
    poisoned = poisoned_training_set(cell)
    clean = clean_split(spec.data, "train")
    forget_mask = np.zeros(len(poisoned.data.y), dtype=bool)
    forget_mask[poisoned.corrupted] = True
    if not np.array_equal(poisoned.data.y[~forget_mask], clean.y[~forget_mask]):
        raise ValueError("retain labels differ from the clean labels; expected label flipping")
    x = model_inputs(poisoned.data.x, spec.model)
    y = torch.as_tensor(poisoned.data.y)
    val = clean_split(spec.data, "val")
    x_val, y_val = model_inputs(val.x, spec.model), torch.as_tensor(val.y)
    seed = cell.model_seed()
    kind = get_kind(spec.model.kind)
    weights = forget_weights(len(y), poisoned.corrupted, spec.forget_weight)
    if spec.forget_weight == 1.0:
        # the kind's own fit: weight decay, early stopping, a fitted projection where it has one
        model, history = kind.fit(spec.model, spec.data, spec.train, x[None], y[None], [seed])
    else:
        if not kind.fits_plainly:
            raise ValueError(f"a forget weight needs a plainly fitted kind, not {kind.name!r}")
        model = build_model(spec.model, spec.data, x.shape[-1], [seed])
        sample_weight = torch.as_tensor(weights)[None]
        history = fit(model, x[None], y[None], spec.train, [seed], sample_weight=sample_weight)
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model kind {kind.name!r} is not trained by gradient; cannot unlearn")
    keep, drop = torch.as_tensor(~forget_mask), torch.as_tensor(forget_mask)
    return BaseModel(
        model=model,
        retain=(x[keep][None], y[keep][None]),
        forget=(x[drop][None], y[drop][None]),
        val=(x_val, y_val),
        train_accuracy=float(history.train_accuracy[0]),
        wall_time_s=time.perf_counter() - start,
        sample_weight=weights,
    )


def run_methods(spec: UnlearningSpec, base: BaseModel) -> tuple[dict[str, Any], dict[str, float]]:
    """Every method of ``spec`` from ``base``: (curves by method and metric, seconds by method)."""
    from qmlr.core.unlearn import get_method, unlearn

    curves: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    params: dict[str, Any] = {}
    updates = 0
    for name in spec.methods:
        start = time.perf_counter()
        run = unlearn(
            base.model,
            base.model,
            get_method(name),
            base.retain,
            base.forget,
            base.val,
            steps=spec.unlearn.steps,
            lr=spec.unlearn.lr,
            batch_size=spec.unlearn.batch_size,
            seeds=(spec.order_seed(),),
            init_seeds=(spec.retrain_seed(),),
        )
        seconds[name] = time.perf_counter() - start
        curves[name] = {m: run.curves[m][0].tolist() for m in METRICS}
        params[name] = run.method
        updates = run.updates_per_step
    return {"curves": curves, "method_params": params, "updates_per_step": updates}, seconds


def compute_group(specs: Sequence[UnlearningSpec]) -> list[CellResult]:
    """Compute specs that share a base model (see :meth:`UnlearningSpec.base_key`).

    :param specs: one or more specs with equal base keys.
    :return: one result per spec, in order.
    """
    import torch

    from qmlr.core.train import accuracy

    specs = list(specs)
    if not specs or len({s.base_key() for s in specs}) != 1:
        raise ValueError("specs of one group must share data, model, training, alpha and run")
    first = specs[0]
    base = train_base(first)
    with torch.no_grad():
        base_metrics = {
            "n_retain": int(base.retain[1].shape[1]),
            "n_forget": int(base.forget[1].shape[1]),
            "base_train_accuracy": base.train_accuracy,
            "base_val_accuracy": float(accuracy(base.model, *base.val)[0]),
            "base_retain_accuracy": float(accuracy(base.model, *base.retain)[0]),
            "base_forget_accuracy": float(accuracy(base.model, *base.forget)[0]),
        }
    results = []
    for spec in specs:
        measured, seconds = run_methods(spec, base)
        provenance = {
            **environment_provenance(),
            "poison_seed": spec.cell().poison_seed(),
            "model_seed": spec.cell().model_seed(),
            "order_seed": spec.order_seed(),
            "retrain_seed": spec.retrain_seed(),
            "base_training_wall_time_s": base.wall_time_s,
            "base_shared_by": len(specs),
            "method_wall_time_s": seconds,
            "wall_time_s": base.wall_time_s / len(specs) + sum(seconds.values()),
            "torch_threads": torch.get_num_threads(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        results.append(CellResult(spec, {**base_metrics, **measured}, provenance))
    return results


def compute_spec(spec: UnlearningSpec) -> CellResult:
    """Compute one spec alone."""
    return compute_group([spec])[0]


def _cost(spec: UnlearningSpec) -> float:
    """Rough relative cost of a spec, for scheduling: the base training
    (:func:`~qmlr.engine.runner.training_cost`) and every method's steps, each an update pass
    over the training set and the metrics on the training and validation sets."""
    n_train, n_val = (len(clean_split(spec.data, split)) for split in ("train", "val"))
    per_step = 3 * n_train + n_train + n_val
    steps = len(spec.methods) * spec.unlearn.steps * per_step
    return training_cost(spec) + steps * forward_cost(spec.model, spec.data)


def plan_groups(specs: Iterable[UnlearningSpec]) -> list[list[UnlearningSpec]]:
    """Group missing specs by base model, most expensive group first."""
    groups: dict[tuple[Any, ...], list[UnlearningSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.base_key(), []).append(spec)
    return sorted(groups.values(), key=lambda g: -sum(_cost(s) for s in g))


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------

#: Columns that identify a series in the records.
SERIES_COLUMNS = ["dataset", "phase", "model", "setting"]
_ROLES = {
    tuple(s.coords.values()): s.role
    for s in (*PAPER_SERIES, *MEMORIZING_SERIES, *CONTROL_SERIES, *ENCODING_SERIES)
}


def record_rows(result: CellResult) -> list[dict[str, Any]]:
    """Tidy rows of one run: one per (method, step)."""
    s: UnlearningSpec = result.spec  # type: ignore[assignment]
    coords = {
        "dataset": s.data.name,
        "phase": s.data.phase if s.data.name == "xxz" else "",
        "model": s.model_name,
        "setting": s.setting,
    }
    head = {
        **coords,
        "role": _ROLES.get(tuple(coords.values()), "extra"),
        "encoding": encoding_of(s.data.name, s.model.kind),
        "model_label": s.model.label,
        "lr": s.unlearn.lr,
        "batch": s.unlearn.batch_label,
        "alpha": s.alpha,
        "run": s.run,
    }
    rows = []
    for method, curves in result.metrics["curves"].items():
        for step in range(len(curves["val_accuracy"])):
            row = {**head, "method": method, "step": step}
            row.update({m: curves[m][step] for m in METRICS})
            row["key"] = s.key()
            rows.append(row)
    return rows


def records_frame(results: Iterable[CellResult]) -> pd.DataFrame:
    """Every run's curves as one tidy table (one row per series, method, run and step)."""
    rows = [row for r in results for row in record_rows(r)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = {m: i for i, m in enumerate(METHODS)}
    frame["_m"] = frame["method"].map(order)
    frame = frame.sort_values([*SERIES_COLUMNS, "_m", "run", "step"], kind="stable")
    return frame.drop(columns="_m").reset_index(drop=True)


def export_unlearning_records(results: Iterable[CellResult], path: str | os.PathLike[str]) -> Path:
    """Write the tidy records of :func:`records_frame` to a CSV file and return its path."""
    frame = records_frame(results)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.8g")
    return path


def export(results: Iterable[CellResult], folder: str | os.PathLike[str]) -> Path:
    """The study's export hook: ``<folder>/records.csv``."""
    return export_unlearning_records(results, Path(folder) / "records.csv")


# --------------------------------------------------------------------------------------------
# Summaries and verdicts
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Computed prose
# --------------------------------------------------------------------------------------------


#: The study (listed in :mod:`qmlr.studies.registry`).
DEFINITION = StudyDefinition(
    STUDY, unlearning_specs, compute_group, plan_groups, export=export, spec_types=(UnlearningSpec,)
)
