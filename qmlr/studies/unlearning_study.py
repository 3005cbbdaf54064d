"""The unlearning study (main Fig. 3, SI Figs. S2 and S3): specs, computation, records, summaries.

One :class:`UnlearningSpec` is one *run* of one *series* — a (dataset, model, setting, XXZ phase)
combination. Computing it draws the run's label-flip poison at α = 0.3 (the same draw as the
resilience sweep's cell at α = 0.3 and the same run, because the equivalent
:class:`~qmlr.studies.specs.CellSpec` supplies the seeds), trains the poisoned base model with the SI
Table I hyperparameters (:func:`qmlr.core.train.fit`), and runs **every** unlearning method of
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
resilience: a QNN made to memorize its poison (:data:`MEMORIZING_SERIES`, :mod:`qmlr.studies.memorizing`)
and the classical controls that train by gradient (:data:`CONTROL_SERIES`).

Example:
    >>> from qmlr.studies.experiments import get_profile
    >>> specs = unlearning_specs(get_profile("paper"))
    >>> len(specs) == 5 * len(SERIES), len(PAPER_SERIES) * 5, specs[0].unlearn.steps
    (True, 35, 50)
"""

from __future__ import annotations

import csv
import dataclasses
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from qmlr.core.models import get_kind
from qmlr.core.models.base import ModelKind
from qmlr.core.train import TrainConfig, accuracy, fit
from qmlr.core.unlearn import METHOD_LABELS, METHODS, METRICS, get_method, unlearn
from qmlr.report.analysis import Verdict
from qmlr.studies.experiments import (
    Profile,
    StudyDefinition,
    get_profile,
    paper_model,
    register_study,
    training_config,
)
from qmlr.studies.memorizing import FORGET_WEIGHT, forget_weights
from qmlr.studies.runner import build_model, clean_split, model_inputs, poisoned_training_set
from qmlr.studies.specs import (
    N_QUBITS,
    CellSpec,
    DataSpec,
    ModelSpec,
    derive_seed,
    json_form,
    model_from_dict,
    register_spec,
)
from qmlr.studies.store import CellResult, ResultStore, environment_provenance

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
        SETTINGS["si"][(_dataset, _kind)] = SETTINGS["si"][(_dataset, get_kind(_kind).training)]

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
#: QNNs made to memorize their poison (:data:`qmlr.studies.memorizing.FORGET_WEIGHT`), unlearned with
#: both QNN settings from one base model.
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
#: Every series of the study, main figure first.
SERIES: tuple[Series, ...] = (*PAPER_SERIES, *COMPUTED_EXTENSIONS)


@register_spec
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
        if self.run < 0:
            raise ValueError("run must be >= 0")
        methods = tuple(self.methods)
        for name in methods:
            get_method(name)  # raises ValueError for an unknown method
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
        from qmlr.studies.specs import spec_key

        return spec_key(self)

    def cell(self) -> CellSpec:
        """The equivalent sweep cell: its poison and model seeds are this run's."""
        return CellSpec(
            self.study,
            self.data,
            self.model,
            self.train,
            "label_flip",
            self.alpha,
            self.run,
            self.base_seed,
        )

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
    # imported here: the controls study registers itself through qmlr.studies.experiments, which
    # imports this module, so a top-level import would be circular
    from qmlr.studies.controls_study import control_model, control_training

    config = SETTINGS[series.setting][(series.dataset, series.kind)]
    steps = unlearning_steps(profile) if steps is None else steps
    paper = series.kind in ("mlp", "qnn")
    return UnlearningSpec(
        study=STUDY,
        data=DataSpec(series.dataset, phase=series.phase),
        model=(paper_model if paper else control_model)(series.dataset, series.kind),
        train=(training_config if paper else control_training)(
            series.dataset, series.kind, profile
        ),
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
    if spec.forget_weight == 1.0 and type(kind).fit is not ModelKind.fit:
        # a control with its own fitting (weight decay, early stopping, a fitted projection)
        model, history = kind.fit(spec.model, spec.data, spec.train, x[None], y[None], [seed])
    else:
        if spec.forget_weight != 1.0 and type(kind).fit is not ModelKind.fit:
            raise ValueError(f"a forget weight needs a plainly fitted kind, not {kind.name!r}")
        model = build_model(spec.model, spec.data, x.shape[-1], [seed])
        sample_weight = None if spec.forget_weight == 1.0 else torch.as_tensor(weights)[None]
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
    """Rough relative cost of a spec, for scheduling: model width × samples passed (a
    backward pass counted as two forward passes)."""
    width = (
        2 ** N_QUBITS[spec.data.name] * spec.model.depth
        if spec.model.kind == "qnn"
        else (sum(spec.model.hidden) + 1) * 8
    )
    n_train, n_val = {"mnist": (500, 500), "xxz": (82, 84)}[spec.data.name]
    per_step = 3 * n_train + n_train + n_val  # update passes + the metrics of every step
    return width * (
        3 * n_train * spec.train.epochs + len(spec.methods) * spec.unlearn.steps * per_step
    )


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
    tuple(s.coords.values()): s.role for s in (*PAPER_SERIES, *MEMORIZING_SERIES, *CONTROL_SERIES)
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


def sweep_cross_check(results: Iterable[CellResult], store: ResultStore) -> pd.DataFrame:
    """Compare each run's poisoned base model with the resilience sweep's cell at α = 0.3.

    The run's poison and model seeds are those of the sweep cell of the same data, model, α and
    run, and its base training is the same, so both must reach the same accuracies (the sweep
    trains ensembles, equal to training alone up to rounding). Runs whose sweep cell is not in
    ``store`` are skipped.

    :param results: unlearning results.
    :param store: the store holding the resilience study.
    :return: one row per compared run (empty if none is available).
    """
    rows = []
    for r in results:
        s: UnlearningSpec = r.spec  # type: ignore[assignment]
        cell = dataclasses.replace(s.cell(), study="resilience")
        if not store.has(cell):
            continue
        sweep = store.load(cell).metrics
        rows.append(
            {
                "dataset": s.data.name,
                "model": s.model.kind,
                "setting": s.setting,
                "run": s.run,
                "base val. acc.": r.metrics["base_val_accuracy"],
                "sweep val. acc.": sweep["val_accuracy"],
                "base train acc.": r.metrics["base_train_accuracy"],
                "sweep train acc.": sweep["train_accuracy"],
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Summaries and verdicts
# --------------------------------------------------------------------------------------------

#: "Retrain level": within this of Retrain's final (step-50) mean validation accuracy.
RETRAIN_TOLERANCE = 0.02
#: "Quickly": within the first fifth of the 50 steps.
QUICK_STEPS = 10
#: "Stubborn memories" (SI §III: "a large gap between the approximate methods and the
#: baseline"): an approximate method's final forgetting accuracy exceeds Retrain's by at least
#: this (0.1 = 15 of the 150 MNIST or 2.4 of the 24 XXZ forget samples).
STUBBORN_GAP = 0.1
#: Forgetting accuracy at or below this = "near zero".
FORGOTTEN_LEVEL = 0.1
#: Fewer runs or steps than these: verdicts are "not evaluated at this scale".
MIN_RUNS = 3


def curve_stats(records: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over runs of every metric, per series, method and step.

    :param records: :func:`records_frame` output.
    :return: indexed by ``(*SERIES_COLUMNS, method, step)``; columns ``<metric>_mean``,
        ``<metric>_std`` (population std over runs) and ``runs``.
    """
    grouped = records.groupby([*SERIES_COLUMNS, "method", "step"], sort=True)
    out = pd.DataFrame({"runs": grouped.size()})
    for m in METRICS:
        out[f"{m}_mean"] = grouped[m].mean()
        out[f"{m}_std"] = grouped[m].std(ddof=0)
    return out


def steps_to_reach(curve: Sequence[float], target: float, tolerance: float) -> int | None:
    """First step at which ``curve >= target - tolerance`` (``None``: never).

    Example:
        >>> steps_to_reach([0.5, 0.9, 0.97], 0.98, 0.02)
        2
    """
    hits = np.flatnonzero(np.asarray(curve, float) >= target - tolerance)
    return int(hits[0]) if hits.size else None


def forgetting_area(curve: Sequence[float]) -> float:
    """Area under the forgetting-accuracy curve over steps 0 … S, divided by S (in [0, 1]).

    The trapezoidal area normalized to the run length, so it reads as the average forgetting
    accuracy over the run: 1 = the poison was reproduced throughout, 0 = never.

    Example:
        >>> forgetting_area([1.0, 0.0, 0.0])
        0.25
    """
    curve = np.asarray(curve, float)
    if curve.size < 2:
        return float(curve[0]) if curve.size else float("nan")
    return float(np.trapezoid(curve) / (curve.size - 1))


def summary_table(records: pd.DataFrame, tolerance: float = RETRAIN_TOLERANCE) -> pd.DataFrame:
    """Per series and method: final accuracies, steps to Retrain level, forgetting measures.

    Columns: the series columns, ``role``, ``method``, ``runs``, ``steps``; ``val_start``,
    ``val_final_mean`` / ``_std`` (validation accuracy at step 0 and at the last step);
    ``retrain_val_final`` (Retrain's final mean); ``steps_to_retrain`` (first step at which the
    run-mean validation curve is at least ``retrain_val_final - tolerance``, ``None`` = never);
    ``forget_start`` / ``forget_final_mean`` / ``_std`` (forgetting accuracy at step 0 and the
    last step); ``forget_area_mean`` / ``_std`` (per-run :func:`forgetting_area`); and
    ``steps_to_forgotten`` (first step with run-mean forgetting accuracy ≤
    :data:`FORGOTTEN_LEVEL`).
    """
    rows = []
    for coords, group in records.groupby(SERIES_COLUMNS, sort=False):
        means = group.groupby(["method", "step"])[["val_accuracy", "forget_accuracy"]].mean()
        retrain_final = (
            float(means.loc["retrain"]["val_accuracy"].iloc[-1])
            if "retrain" in means.index.get_level_values(0)
            else float("nan")
        )
        for method in [m for m in METHODS if m in set(group["method"])]:
            g = group[group["method"] == method]
            last = int(g["step"].max())
            final = g[g["step"] == last]
            val_curve = means.loc[method]["val_accuracy"].to_numpy()
            forget_curve = means.loc[method]["forget_accuracy"].to_numpy()
            areas = g.groupby("run")["forget_accuracy"].apply(forgetting_area)
            low = np.flatnonzero(forget_curve <= FORGOTTEN_LEVEL)
            rows.append(
                {
                    **dict(zip(SERIES_COLUMNS, coords, strict=True)),
                    "role": g["role"].iloc[0],
                    "method": method,
                    "runs": int(g["run"].nunique()),
                    "steps": last,
                    "val_start": float(val_curve[0]),
                    "val_final_mean": float(final["val_accuracy"].mean()),
                    "val_final_std": float(final["val_accuracy"].std(ddof=0)),
                    "retrain_val_final": retrain_final,
                    "steps_to_retrain": steps_to_reach(val_curve, retrain_final, tolerance),
                    "forget_start": float(forget_curve[0]),
                    "forget_final_mean": float(final["forget_accuracy"].mean()),
                    "forget_final_std": float(final["forget_accuracy"].std(ddof=0)),
                    "forget_area_mean": float(areas.mean()),
                    "forget_area_std": float(areas.std(ddof=0)),
                    "steps_to_forgotten": int(low[0]) if low.size else None,
                }
            )
    return pd.DataFrame(rows)


def _steps_text(steps: int | None, total: int) -> str:
    return f"never in {total}" if steps is None or pd.isna(steps) else str(int(steps))


def display_summary(summary: pd.DataFrame, dataset: str, role: str | None = None) -> pd.DataFrame:
    """A readable table of one dataset's summary rows (mean ± std over runs).

    :param summary: :func:`summary_table` output.
    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param role: keep only ``"main"`` or ``"sensitivity"`` series (default: all).
    """
    rows = summary[summary["dataset"] == dataset]
    if role is not None:
        rows = rows[rows["role"] == role]
    out = []
    for _, r in rows.iterrows():
        phase = f", {r['phase']} phase" if r["phase"] not in ("", "random") else ""
        out.append(
            {
                "model": f"{r['model'].upper()} ({r['setting']}{phase})",
                "method": METHOD_LABELS[r["method"]],
                "val. acc. step 0": f"{r['val_start']:.3f}",
                f"val. acc. step {r['steps']}": f"{r['val_final_mean']:.3f} ± "
                f"{r['val_final_std']:.3f}",
                f"steps to Retrain − {RETRAIN_TOLERANCE}": (
                    STARTS_AT_RETRAIN
                    if starts_at_retrain(r["steps_to_retrain"]) and r["method"] != "retrain"
                    else _steps_text(r["steps_to_retrain"], r["steps"])
                ),
                "forget acc. step 0": f"{r['forget_start']:.3f}",
                f"forget acc. step {r['steps']}": f"{r['forget_final_mean']:.3f} ± "
                f"{r['forget_final_std']:.3f}",
                "forget area": f"{r['forget_area_mean']:.3f} ± {r['forget_area_std']:.3f}",
                f"steps to forget ≤ {FORGOTTEN_LEVEL}": _steps_text(
                    r["steps_to_forgotten"], r["steps"]
                ),
                "runs": int(r["runs"]),
            }
        )
    return pd.DataFrame(out)


def series_n_params(series: Series) -> int:
    """Trained parameters of a series' model (``mlp-small``: its MLP after the fixed PCA map).

    Example:
        >>> series_n_params(Series("xxz", "qnn", "si"))
        192
    """
    from qmlr.core.models.small import PCA_COMPONENTS

    spec = make_spec(series, get_profile("paper"), 0, steps=0)
    model = spec.model
    if model.kind == "mlp-small":
        model, in_features = ModelSpec("mlp", hidden=model.hidden), PCA_COMPONENTS
    else:
        in_features = model_inputs(clean_split(spec.data, "train").x[:1], model).shape[-1]
    net = build_model(model, spec.data, in_features, [0])
    return int(get_kind(model.kind).n_params(net)[0])


def steps_from_below(row: pd.Series, tolerance: float = RETRAIN_TOLERANCE) -> int | str | None:
    """Steps until a method's run-mean validation accuracy reaches Retrain's level, counted only
    from a start below it.

    :param row: a :func:`summary_table` row.
    :param tolerance: "Retrain's level" is its final mean minus this.
    :return: :data:`STARTS_AT_RETRAIN` if the poisoned model already starts at that level, else
        the step (``None`` = never).

    Example:
        >>> row = pd.Series({"val_start": 0.5, "retrain_val_final": 0.9, "steps_to_retrain": 7})
        >>> steps_from_below(row), steps_from_below(row.replace(0.5, 0.95))
        (7, "starts at Retrain's level")
    """
    if row["val_start"] >= row["retrain_val_final"] - tolerance:
        return STARTS_AT_RETRAIN
    steps = row["steps_to_retrain"]
    return None if steps is None or pd.isna(steps) else int(steps)


def amenability_table(summary: pd.DataFrame, series: Sequence[Series]) -> pd.DataFrame:
    """Per series: where its poisoned model starts, Retrain's level, and the steps each
    approximate method needs to reach that level from below (:func:`steps_from_below`).

    :param summary: :func:`summary_table` output.
    :param series: the series to show (those without results are skipped).
    :return: one row per series.
    """
    rows = []
    for s in series:
        start = _row(summary, s, "finetune")
        if start is None:
            continue
        row = {
            "series": s.label,
            "parameters": series_n_params(s),
            "poison reproduced, step 0": f"{start['forget_start']:.3f}",
            "val. acc. step 0": f"{start['val_start']:.3f}",
            f"Retrain level (step {int(start['steps'])})": f"{start['retrain_val_final']:.3f}",
        }
        for method in (*APPROXIMATE, "scrub_kurmanji"):
            r = _row(summary, s, method)
            if r is not None:
                reach = steps_from_below(r)
                row[METHOD_LABELS[method]] = (
                    reach if isinstance(reach, str) else _steps_text(reach, int(r["steps"]))
                )
        rows.append(row)
    return pd.DataFrame(rows)


def amenability_sharing(summary: pd.DataFrame) -> str:
    """Claim 5 beyond the QNN, for the scorecard: which memorizing-QNN and control series start
    at Retrain's level with every approximate method (as the paper's QNNs do), and which reach
    it from below within :data:`QUICK_STEPS` steps with every approximate method.

    :param summary: :func:`summary_table` output (series without results are skipped).
    :return: one line of text.
    """
    starts, quick = [], []
    for s in (*MEMORIZING_SERIES, *CONTROL_SERIES):
        rows = [_row(summary, s, m) for m in APPROXIMATE]
        if any(r is None for r in rows):
            continue
        reach = [steps_from_below(r) for r in rows]
        memorizing = " memorizing" if s.role == "memorizing" else ""
        name = f"{s.dataset.upper()} {s.kind}{memorizing} ({s.setting})"
        if all(x == STARTS_AT_RETRAIN for x in reach):
            starts.append(name)
        elif all(isinstance(x, int) and x <= QUICK_STEPS for x in reach):
            quick.append(name)
    if not starts and not quick and summary.empty:
        return "not measured"
    return (
        f"starts at Retrain's level as the QNNs do: {', '.join(starts) or 'none'}; of the "
        f"memorizing QNN and the controls starting below it, reaches it within {QUICK_STEPS} "
        f"steps with every approximate method: {', '.join(quick) or 'none'}"
    )


def describe_amenability(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on whether a series' approximate methods reach Retrain's level from below
    within :data:`QUICK_STEPS` steps.

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :return: Markdown text (``""`` without results).
    """
    start = _row(summary, series, "finetune")
    if start is None:
        return ""
    level = start["retrain_val_final"] - RETRAIN_TOLERANCE
    head = (
        f"**{series.label}**: poisoned model at validation accuracy {start['val_start']:.3f} "
        f"(reproducing {start['forget_start']:.0%} of the flipped labels), Retrain's level "
        f"{start['retrain_val_final']:.3f}"
    )
    if start["val_start"] >= level:
        return head + " — it starts at that level, so the speed of unlearning is not tested."
    steps = int(start["steps"])
    reach = {m: steps_from_below(_row(summary, series, m)) for m in APPROXIMATE}
    quick = [m for m, n in reach.items() if n is not None and n <= QUICK_STEPS]
    slow = [m for m, n in reach.items() if n is None or n > QUICK_STEPS]

    def listed(methods: list[str]) -> str:
        return ", ".join(f"{METHOD_LABELS[m]} {_steps_text(reach[m], steps)}" for m in methods)

    parts = []
    if quick:
        parts.append(f"within {QUICK_STEPS} steps: {listed(quick)}")
    if slow:
        parts.append(f"later or never: {listed(slow)}")
    return head + "; steps to reach it from below — " + "; ".join(parts) + "."


def settings_table(profile: Profile) -> pd.DataFrame:
    """Every series' base-training and unlearning hyperparameters at ``profile``."""
    rows = []
    for s in SERIES:
        spec = make_spec(s, profile, 0)
        n_retain = {"mnist": 350, "xxz": 58}[s.dataset]
        batch = spec.unlearn.batch_size or n_retain
        rows.append(
            {
                "series": s.label,
                "role": s.role,
                "model": spec.model.label,
                "base training (epochs / batch / lr)": f"{spec.train.epochs} / "
                f"{spec.train.batch_size} / {spec.train.lr}",
                "unlearning lr": spec.unlearn.lr,
                "unlearning batch": f"{spec.unlearn.batch_label} (|D_r| = {n_retain})",
                "updates per step": -(-n_retain // batch),
                "steps": spec.unlearn.steps,
                "runs": unlearning_runs(profile),
            }
        )
    return pd.DataFrame(rows)


def method_table() -> pd.DataFrame:
    """Each method's hyperparameters (its dataclass defaults)."""
    rows = []
    for name in METHODS:
        params = get_method(name).params()
        params.pop("method")
        rows.append(
            {
                "method": METHOD_LABELS[name],
                "start": "fresh init" if get_method(name).fresh_init else "poisoned model",
                "weights": ", ".join(f"{k} = {v}" for k, v in params.items()),
            }
        )
    return pd.DataFrame(rows)


def evaluable(summary: pd.DataFrame) -> bool:
    """Whether the study is at a scale where verdicts mean something (≥ 3 runs, 50 steps)."""
    return bool(
        len(summary) and summary["runs"].min() >= MIN_RUNS and summary["steps"].min() >= PAPER_STEPS
    )


def runs_text(n: int) -> str:
    """``"1 run"``, ``"5 runs"``."""
    return f"{n} run" if n == 1 else f"{n} runs"


def _scale_note(summary: pd.DataFrame) -> str:
    return (
        f" — not evaluated at this scale ({runs_text(int(summary['runs'].min()))}, "
        f"{int(summary['steps'].min())} steps; needs ≥ {MIN_RUNS} runs and {PAPER_STEPS} steps)"
    )


def _rows(summary: pd.DataFrame, model: str, setting: str, phase: str = "random") -> pd.DataFrame:
    sel = (summary["model"] == model) & (summary["setting"] == setting)
    # MNIST has no phase (""); a non-default phase selects the XXZ series only.
    sel &= summary["phase"].isin(["", "random"]) if phase == "random" else summary["phase"] == phase
    return summary[sel]


def _verdict(claim: str, parts: list[str], ok: list[bool], summary: pd.DataFrame) -> Verdict:
    evidence = "; ".join(parts)
    if not ok:
        return Verdict(claim, "no results", None)
    if not evaluable(summary):
        return Verdict(claim, evidence + _scale_note(summary), None)
    return Verdict(claim, evidence, all(ok))


def lag_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random") -> Verdict:
    """Claim 5, MLP half: approximate methods stay below Retrain-level validation accuracy."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting, phase).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            lags = r["steps_to_retrain"] is None or pd.isna(r["steps_to_retrain"])
            ok.append(bool(lags))
            texts.append(f"{METHOD_LABELS[r['method']]} {r['val_final_mean']:.3f}")
        parts.append(
            f"{dataset.upper()}: Retrain {rows['retrain_val_final'].iloc[0]:.3f} vs "
            + ", ".join(texts)
        )
    claim = (
        f"5: {model.upper()} approximate methods (Finetune, Scrub, Grad-Asc) lag Retrain: "
        f"never within {RETRAIN_TOLERANCE} of its final validation accuracy"
    )
    setting_note = f" [{setting}{', ' + phase + ' phase' if phase != 'random' else ''}]"
    return _verdict(claim + setting_note, parts, ok, summary)


#: How :func:`quick_verdict` reports a method already at Retrain's level at step 0.
STARTS_AT_RETRAIN = "starts at Retrain's level"


def starts_at_retrain(steps: int | None) -> bool:
    """Whether a method's validation curve is at Retrain's level already at step 0.

    ``steps`` is its ``steps_to_retrain`` (:func:`summary_table`); 0 means the poisoned model
    starts at the level, so it has nothing to reach.

    Example:
        >>> starts_at_retrain(0), starts_at_retrain(3), starts_at_retrain(None)
        (True, False, False)
    """
    return steps is not None and not pd.isna(steps) and int(steps) == 0


def reaches_retrain_quickly(steps: int | None) -> bool:
    """Whether a method reaches Retrain's level within :data:`QUICK_STEPS` steps *from a start
    below it* (a start at the level, :func:`starts_at_retrain`, does not count).

    Example:
        >>> [reaches_retrain_quickly(s) for s in (0, 3, QUICK_STEPS + 1, None)]
        [False, True, False, False]
    """
    if steps is None or pd.isna(steps) or starts_at_retrain(steps):
        return False
    return int(steps) <= QUICK_STEPS


def quick_verdict(
    summary: pd.DataFrame, model: str, setting: str, phase: str = "random"
) -> Verdict:
    """Claim 5, QNN half: approximate methods reach Retrain level within QUICK_STEPS steps,
    from a start below it (:func:`reaches_retrain_quickly`); a method at Retrain's level at
    step 0 is reported as :data:`STARTS_AT_RETRAIN` and does not count."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting, phase).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            steps = r["steps_to_retrain"]
            ok.append(reaches_retrain_quickly(steps))
            when = STARTS_AT_RETRAIN if starts_at_retrain(steps) else _steps_text(steps, r["steps"])
            texts.append(f"{METHOD_LABELS[r['method']]} {when}")
        parts.append(
            f"{dataset.upper()}: steps to Retrain ({rows['retrain_val_final'].iloc[0]:.3f}) − "
            f"{RETRAIN_TOLERANCE}: " + ", ".join(texts)
        )
    claim = (
        f"5: {model.upper()} approximate methods reach Retrain-level validation accuracy "
        f"quickly (≤ {QUICK_STEPS} steps) from a start below it [{setting}]"
    )
    return _verdict(claim, parts, ok, summary)


def stubborn_verdict(summary: pd.DataFrame, model: str, setting: str, phase: str = "random"):
    """SI §III, MLP: at the last step Retrain's forgetting accuracy is near zero
    (≤ :data:`FORGOTTEN_LEVEL`) and every approximate method's exceeds it by at least
    :data:`STUBBORN_GAP`."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting, phase).groupby("dataset", sort=True):
        retrain = rows[rows["method"] == "retrain"]
        texts = []
        final = float(retrain["forget_final_mean"].iloc[0]) if len(retrain) else float("nan")
        ok.append(final <= FORGOTTEN_LEVEL)
        texts.append(f"Retrain {final:.3f}")
        for _, r in rows[rows["method"].isin(APPROXIMATE)].iterrows():
            ok.append(bool(r["forget_final_mean"] - final >= STUBBORN_GAP))
            texts.append(f"{METHOD_LABELS[r['method']]} {r['forget_final_mean']:.3f}")
        start = rows["forget_start"][rows["method"] != "retrain"]
        start_text = f"{start.iloc[0]:.3f}" if len(start) else "n/a"
        parts.append(
            f"{dataset.upper()}: forgetting acc. at step 0 {start_text}, at the end "
            + ", ".join(texts)
        )
    claim = (
        f"5 / SI §III: {model.upper()} Retrain forgets (≤ {FORGOTTEN_LEVEL}) while the "
        f"approximate methods' forgetting accuracy stays ≥ {STUBBORN_GAP} above it "
        "('stubborn memories')"
        f" [{setting}{', ' + phase + ' phase' if phase != 'random' else ''}]"
    )
    return _verdict(claim, parts, ok, summary)


def fast_forgetting_verdict(summary: pd.DataFrame, model: str, setting: str):
    """SI §III, QNN: the forgetting accuracy of Retrain and of every approximate method of the
    paper is ≤ :data:`FORGOTTEN_LEVEL` within :data:`QUICK_STEPS` steps."""
    parts, ok = [], []
    for dataset, rows in _rows(summary, model, setting).groupby("dataset", sort=True):
        texts = []
        for _, r in rows[rows["method"].isin(("retrain", *APPROXIMATE))].iterrows():
            steps = r["steps_to_forgotten"]
            fast = steps is not None and not pd.isna(steps) and steps <= QUICK_STEPS
            ok.append(bool(fast))
            texts.append(f"{METHOD_LABELS[r['method']]} {_steps_text(steps, r['steps'])}")
        start = rows["forget_start"][rows["method"] != "retrain"]
        start_text = f"{start.iloc[0]:.3f}" if len(start) else "n/a"
        parts.append(
            f"{dataset.upper()}: step 0 {start_text}; steps to ≤ {FORGOTTEN_LEVEL}: "
            + ", ".join(texts)
        )
    claim = (
        f"5 / SI §III: {model.upper()} forgetting accuracy falls below {FORGOTTEN_LEVEL} within "
        f"{QUICK_STEPS} steps for every method of the paper [{setting}]"
    )
    return _verdict(claim, parts, ok, summary)


def easier_for_qnn_verdict(summary: pd.DataFrame) -> Verdict:
    """Claim 5's comparison: the QNN's forgetting area is below the MLP's for every approximate
    method on each dataset (main-figure settings)."""
    main = summary[summary["role"] == "main"]
    parts, ok = [], []
    for dataset, rows in main.groupby("dataset", sort=True):
        texts = []
        for method in APPROXIMATE:
            area = {
                k: rows[(rows["model"] == k) & (rows["method"] == method)]["forget_area_mean"]
                for k in ("mlp", "qnn")
            }
            if not (len(area["mlp"]) and len(area["qnn"])):
                continue
            a_mlp, a_qnn = float(area["mlp"].iloc[0]), float(area["qnn"].iloc[0])
            ok.append(a_qnn < a_mlp)
            texts.append(f"{METHOD_LABELS[method]} {a_mlp:.3f} vs {a_qnn:.3f}")
        parts.append(f"{dataset.upper()} (MLP vs QNN): " + ", ".join(texts))
    claim = (
        "5: unlearning is easier for the QNN — smaller area under the forgetting curve than "
        "the MLP for every approximate method"
    )
    return _verdict(claim, parts, ok, summary)


def unlearning_verdicts(summary: pd.DataFrame) -> list[Verdict]:
    """Claim 5's validation-accuracy half, on the main series and the sensitivity series."""
    return [
        lag_verdict(summary, "mlp", "si"),
        quick_verdict(summary, "qnn", "paper-figure"),
        quick_verdict(summary, "qnn", "si"),
        lag_verdict(summary, "mlp", "si", phase="canonical"),
    ]


def forgetting_verdicts(summary: pd.DataFrame) -> list[Verdict]:
    """Claim 5's forgetting half (SI §III, Figs. S2 and S3)."""
    return [
        stubborn_verdict(summary, "mlp", "si"),
        fast_forgetting_verdict(summary, "qnn", "paper-figure"),
        easier_for_qnn_verdict(summary),
        fast_forgetting_verdict(summary, "qnn", "si"),
        stubborn_verdict(summary, "mlp", "si", phase="canonical"),
    ]


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------

METHOD_COLORS = {
    "retrain": "black",
    "finetune": "tab:blue",
    "scrub": "tab:orange",
    "grad_asc": "tab:green",
    "scrub_kurmanji": "tab:purple",
}
METRIC_LABELS = {
    "val_accuracy": "validation accuracy",
    "forget_accuracy": "forgetting accuracy",
    "retain_accuracy": "retain accuracy",
    "train_accuracy": "train accuracy",
    "forget_loss": "forget-set BCE",
}


def plot_methods(
    ax,
    stats: pd.DataFrame,
    series: Series,
    metric: str = "val_accuracy",
    methods: Sequence[str] = METHODS,
    title: str | None = None,
) -> None:
    """One panel: ``metric`` vs unlearning step of every method of one series, mean ± std.

    :param ax: matplotlib axes.
    :param stats: :func:`curve_stats` output.
    :param series: which series to draw.
    :param metric: a metric of :data:`qmlr.core.unlearn.METRICS`.
    :param methods: methods to draw (missing ones are skipped).
    :param title: panel title (default: the series label).
    """
    from qmlr.report.plots import band

    key = tuple(series.coords.values())
    for method in methods:
        try:
            curve = stats.loc[(*key, method)]
        except KeyError:
            continue
        band(
            ax,
            curve.index.to_numpy(),
            curve[f"{metric}_mean"],
            curve[f"{metric}_std"],
            label=METHOD_LABELS[method],
            color=METHOD_COLORS[method],
            linestyle="--" if method == "scrub_kurmanji" else "-",
            linewidth=1.5,
        )
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title if title is not None else series.label, fontsize=10)
    ax.set_xlabel("unlearning step")
    ax.set_ylabel(METRIC_LABELS[metric])
    if metric.endswith("accuracy"):
        ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)


# --------------------------------------------------------------------------------------------
# Computed prose
# --------------------------------------------------------------------------------------------


def _row(summary: pd.DataFrame, series: Series, method: str) -> pd.Series | None:
    sel = summary["method"] == method
    for column, value in series.coords.items():
        sel &= summary[column] == value
    rows = summary[sel]
    return rows.iloc[0] if len(rows) else None


def describe_validation(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on a series' validation curves: where Retrain ends, where the approximate
    methods end and when (if ever) they reach Retrain level.

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :return: Markdown text (``""`` if the series has no results).
    """
    retrain = _row(summary, series, "retrain")
    if retrain is None:
        return ""
    steps = int(retrain["steps"])
    parts = []
    for method in (*APPROXIMATE, "scrub_kurmanji"):
        r = _row(summary, series, method)
        if r is None:
            continue
        reach = r["steps_to_retrain"]
        if reach is None or pd.isna(reach):
            when = f"never within {RETRAIN_TOLERANCE} of it"
        elif starts_at_retrain(reach):
            when = STARTS_AT_RETRAIN
        else:
            when = f"Retrain level at step {int(reach)}"
        parts.append(
            f"{METHOD_LABELS[method]} {r['val_final_mean']:.3f} ± {r['val_final_std']:.3f} ({when})"
        )
    return (
        f"**{series.label}.** The poisoned model starts at validation accuracy "
        f"{_row(summary, series, 'finetune')['val_start']:.3f}; after {steps} steps Retrain "
        f"reaches {retrain['val_final_mean']:.3f} ± {retrain['val_final_std']:.3f}, and "
        + "; ".join(parts)
        + "."
    )


def describe_forgetting(summary: pd.DataFrame, series: Series) -> str:
    """One sentence on a series' forgetting curves: the poisoned model's forgetting accuracy,
    Retrain's and the approximate methods' at the last step, and their areas.

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :return: Markdown text (``""`` if the series has no results).
    """
    retrain, start = _row(summary, series, "retrain"), _row(summary, series, "finetune")
    if retrain is None or start is None:
        return ""
    steps = int(retrain["steps"])
    parts = []
    for method in (*APPROXIMATE, "scrub_kurmanji"):
        r = _row(summary, series, method)
        if r is not None:
            parts.append(
                f"{METHOD_LABELS[method]} {r['forget_final_mean']:.3f} "
                f"(area {r['forget_area_mean']:.3f})"
            )
    return (
        f"**{series.label}.** The poisoned model reproduces "
        f"{start['forget_start']:.0%} of the flipped labels (forgetting accuracy at step 0); "
        f"after {steps} steps Retrain's forgetting accuracy is "
        f"{retrain['forget_final_mean']:.3f} (area {retrain['forget_area_mean']:.3f}), and "
        + ", ".join(parts)
        + "."
    )


register_study(StudyDefinition(STUDY, unlearning_specs, compute_group, plan_groups, export=export))
