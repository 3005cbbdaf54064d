"""The curvature study's specs: which model is trained on what, and where its Hessian is taken.

One :class:`CurvatureSpec` is one trained model whose loss curvature is measured: a
*configuration*, a model, a label-noise ratio α, a run index, and — for the series added after
the first computation — how the labels were flipped and which labels the Hessian samples carry.

* ``"si"`` — the Supplementary Information's setup: MNIST 1 vs 9 (250 + 250 training images),
  the SI IV models (MLP [16, 4]; QNN with 10 qubits, depth 6, RX-RY-RX + RZZ ring) trained with
  SI Table I; the Hessian of the BCE loss on 100 random (poisoned) training samples. The
  gradient-trained classical controls (:data:`CONTROL_KINDS`) are measured here too.
* ``"authors-code"`` — the setup of the authors' research code, from which the paper's figure
  came: a QNN of RX and RY layers with a CNOT ring, depth 5 (model kind ``qnn-rxry``,
  :class:`~qmlr.core.models.rxry.RxRyCnotQNN`); an MLP [8, 2]; a 70/30 split of the 500
  images; 50 epochs, batch 32, lr 0.01; the Hessian on 100 of the held-out 30 %.

*Flips* (:data:`FLIPS`): ``class-balanced`` — the sweeps' flips, drawn class-balanced over all
500 images before any split (the first reading); ``train-unbalanced`` — uniformly random flips of
``⌊α n_train⌋`` rows of the 70 % training part only (the authors' pipeline). *Hessian labels*
(:data:`HESSIAN_LABELS`): ``poisoned`` — the labels the Hessian samples carry after flipping (the
first reading); ``clean`` — their true labels (the authors' pipeline). Both fields are left out
of a spec's JSON form at their first-reading defaults, so the first specs keep their keys.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> specs = curvature_specs(get_profile("paper"))
    >>> len(specs), len(paper_specs(get_profile("paper")))
    (260, 80)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from qmlr.core.kinds import PCA_COMPONENTS
from qmlr.core.train_config import TrainConfig
from qmlr.engine.profiles import Profile
from qmlr.engine.specs import (
    OMIT_DEFAULT,
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
from qmlr.studies.controls_study import control_model, control_training
from qmlr.studies.experiments import PAPER_MLP_HIDDEN, PAPER_QNN_DEPTH, training_config

STUDY = "curvature"
CONFIGS = ("si", "authors-code")
#: The paper's models (in ``authors-code`` the ``qnn`` is the RX-RY + CNOT-ring circuit).
MODEL_KINDS = ("mlp", "qnn")
#: The classical controls trained by gradient, measured in the ``si`` configuration.
CONTROL_KINDS = ("logistic", "mlp-tanh", "mlp-early-stop", "mlp-weight-decay", "mlp-small")
#: How labels are flipped; the first is the default (the first reading).
FLIPS = ("class-balanced", "train-unbalanced")
#: Which labels the Hessian samples carry; the first is the default (the first reading).
HESSIAN_LABELS = ("poisoned", "clean")
#: The (flips, Hessian labels) series of the ``authors-code`` configuration added after the first
#: reading: the authors' pipeline, and the first reading's flips with clean Hessian labels.
AUTHORS_SERIES = (("train-unbalanced", "clean"), ("class-balanced", "clean"))

#: The authors' research code.
AUTHORS_TRAINING = TrainConfig(epochs=50, batch_size=32, lr=0.01)
AUTHORS_MLP_HIDDEN = (8, 2)
AUTHORS_QNN_DEPTH = 5
AUTHORS_TRAIN_FRACTION = 0.7

#: Precision of training and Hessian (float64 / complex128).
PRECISION = "double"

N_QUBITS = 10
DATA = DataSpec("mnist")
#: Fields left out of the JSON form (and so of the key) at these values.
_KEYLESS_DEFAULTS = {"flips": FLIPS[0], "hessian_labels": HESSIAN_LABELS[0]}


@spec_type
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
    :param flips: one of :data:`FLIPS` (``train-unbalanced`` needs ``authors-code``).
    :param hessian_labels: one of :data:`HESSIAN_LABELS`.
    :param data: the MNIST data (:data:`DATA`; another source, e.g. full MNIST, through a
        profile); left out of the key at its default.
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
    flips: Literal["class-balanced", "train-unbalanced"] = "class-balanced"
    hessian_labels: Literal["poisoned", "clean"] = "poisoned"
    data: DataSpec = field(default=DATA, metadata=OMIT_DEFAULT)

    def __post_init__(self) -> None:
        if self.config not in CONFIGS:
            raise ValueError(f"unknown configuration {self.config!r}; choose from {CONFIGS}")
        if not 0.0 <= float(self.alpha) < 1.0 or self.run < 0 or self.hessian_samples < 1:
            raise ValueError(f"invalid curvature spec: {self}")
        if self.flips not in FLIPS or self.hessian_labels not in HESSIAN_LABELS:
            raise ValueError(
                f"flips must be one of {FLIPS} and hessian_labels one of {HESSIAN_LABELS}; got "
                f"{self.flips!r}, {self.hessian_labels!r}"
            )
        if self.train.augment != "none":
            raise ValueError("this study trains without input augmentation")
        if self.flips == "train-unbalanced" and self.config != "authors-code":
            raise ValueError("train-unbalanced flips need the authors-code configuration")
        object.__setattr__(self, "alpha", round(float(self.alpha), 10))

    @property
    def ansatz(self) -> str:
        """The QNN circuit (``""`` for a classical model)."""
        if self.model.kind != "qnn":
            return ""
        return "rx-ry-rx+rzz-ring" if self.config == "si" else "rx-ry+cnot-ring"

    @property
    def complexified(self) -> bool:
        """Whether the trace over complexified angles is measured (the ``authors-code`` QNN of
        the series added after the first reading)."""
        first = (self.flips, self.hessian_labels) == (FLIPS[0], HESSIAN_LABELS[0])
        return self.config == "authors-code" and self.model.kind == "qnn" and not first

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``flips`` and ``hessian_labels`` only where not the default)."""
        d = json_form(self)
        for name, default in _KEYLESS_DEFAULTS.items():
            if d[name] == default:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CurvatureSpec:
        """Inverse of :meth:`to_dict`."""
        rest = {k: v for k, v in d.items() if k not in ("model", "train", "data")}
        data = DataSpec(**d["data"]) if "data" in d else DATA
        model, train = model_from_dict(d["model"]), TrainConfig(**d["train"])
        return cls(model=model, train=train, data=data, **rest)

    def key(self) -> str:
        """16-hex-digit identity in the store."""
        return spec_key(self)

    def cell(self) -> CellSpec:
        """The equivalent sweep cell: its poison seed, model seed and (class-balanced) poisoned
        training set are this run's (label flipping on the MNIST training split)."""
        return label_flip_cell(self)

    def hessian_seed(self) -> int:
        """Seed of the Hessian sample draw (shared by every model of a configuration, α, run)."""
        return derive_seed(self.base_seed, "curvature-hessian", self.config, self.alpha, self.run)

    def split_seed(self) -> int:
        """Seed of the 70/30 split (``authors-code``), shared by MLP and QNN."""
        return derive_seed(self.base_seed, "curvature-split", self.alpha, self.run)

    def unbalanced_flip_seed(self) -> int:
        """Seed of the ``train-unbalanced`` flips, shared by MLP and QNN."""
        return derive_seed(self.base_seed, "curvature-unbalanced-flips", self.alpha, self.run)

    def poison_seed(self) -> int:
        """Seed of this run's flips: the sweep cell's (``class-balanced``) or
        :meth:`unbalanced_flip_seed`."""
        if self.flips == "train-unbalanced":
            return self.unbalanced_flip_seed()
        return self.cell().poison_seed()

    def probe_seed(self) -> int:
        """Seed of the SLQ / Hutchinson / ARPACK start vectors."""
        return derive_seed(
            self.base_seed, "curvature-probes", self.config, self.model.kind, self.run
        )


def config_model(config: str, kind: str) -> ModelSpec:
    """The model of a configuration, in double precision (controls: ``si`` only).

    Example:
        >>> config_model("authors-code", "mlp").label
        'MLP [8, 2]'
    """
    if kind in CONTROL_KINDS and config == "si":
        return replace(control_model("mnist", kind), precision=PRECISION)
    if config not in CONFIGS or kind not in MODEL_KINDS:
        raise ValueError(f"unknown configuration/model {config!r}/{kind!r}")
    if kind == "mlp":
        hidden = PAPER_MLP_HIDDEN["mnist"] if config == "si" else AUTHORS_MLP_HIDDEN
        return ModelSpec("mlp", hidden=hidden, precision=PRECISION)
    depth = PAPER_QNN_DEPTH["mnist"] if config == "si" else AUTHORS_QNN_DEPTH
    return ModelSpec("qnn", depth=depth, precision=PRECISION)


def config_training(config: str, kind: str, profile: Profile) -> TrainConfig:
    """SI Table I (``si``; a control uses the settings of the model it mimics) or the authors'
    50 / 32 / 0.01 (``authors-code``), epochs scaled by the profile's ``curvature_epoch_scale``
    (the grid, the runs and the Hessian estimators' sizes are the profile's too:
    :mod:`qmlr.engine.profiles`)."""
    profile = replace(profile, epoch_scale=profile.curvature_epoch_scale)
    if config == "si":
        if kind in CONTROL_KINDS:
            return control_training("mnist", kind, profile)
        return training_config("mnist", kind, profile)
    epochs = max(1, round(AUTHORS_TRAINING.epochs * profile.epoch_scale))
    return TrainConfig(epochs, AUTHORS_TRAINING.batch_size, AUTHORS_TRAINING.lr)


def _grid(
    profile: Profile, config: str, kinds: Sequence[str], **series: str
) -> list[CurvatureSpec]:
    return [
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
            **series,
        )
        for kind in kinds
        for alpha in profile.curvature_alphas
        for run in range(profile.curvature_runs)
    ]


def paper_specs(profile: Profile) -> list[CurvatureSpec]:
    """The first reading: both configurations × MLP and QNN × α × run (class-balanced flips,
    poisoned Hessian labels)."""
    return [s for config in CONFIGS for s in _grid(profile, config, MODEL_KINDS)]


def control_specs(profile: Profile) -> list[CurvatureSpec]:
    """The gradient-trained controls in the ``si`` configuration, at its α grid and runs."""
    return _grid(profile, "si", CONTROL_KINDS)


def authors_specs(profile: Profile) -> list[CurvatureSpec]:
    """The ``authors-code`` MLP and QNN in the series of :data:`AUTHORS_SERIES`."""
    return [
        s
        for flips, labels in AUTHORS_SERIES
        for s in _grid(profile, "authors-code", MODEL_KINDS, flips=flips, hessian_labels=labels)
    ]


def curvature_specs(profile: Profile) -> list[CurvatureSpec]:
    """Every run of the study at ``profile``: the first reading, the controls, the authors'
    series."""
    return paper_specs(profile) + control_specs(profile) + authors_specs(profile)


def n_parameters(spec: CurvatureSpec) -> int:
    """Trainable parameters of the spec's model.

    Example:
        >>> from qmlr.engine.profiles import get_profile
        >>> sorted({n_parameters(s) for s in curvature_specs(get_profile("smoke"))})
        [100, 240, 241, 1025, 8221, 16473]
    """
    kind = spec.model.kind
    if kind == "qnn":
        per_gate = 4 if spec.config == "si" else 2
        return spec.model.depth * N_QUBITS * per_gate
    if kind == "mlp-small":
        return mlp_parameters(spec.model.hidden, in_features=PCA_COMPONENTS)
    return mlp_parameters(spec.model.hidden)


def mlp_parameters(hidden: Sequence[int], in_features: int = 2**N_QUBITS) -> int:
    """Parameters of an MLP ``in_features → hidden → 1`` (no hidden layer: a logistic model).

    Example:
        >>> mlp_parameters((16, 4)), mlp_parameters(())
        (16473, 1025)
    """
    sizes = [in_features, *hidden, 1]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
