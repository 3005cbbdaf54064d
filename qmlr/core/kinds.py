"""What each model kind *is*, without torch: its name, settings, spec checks and label.

A model kind (:mod:`qmlr.core.models`) has two halves. Its *description* — which SI Table I
settings it trains with, whether it records its parameter count, takes an augmentation, a logit
scale or hidden widths, how a :class:`~qmlr.engine.specs.ModelSpec` of it is checked and named —
lives here, in plain Python. Its *model* — inputs, building, fitting, parameter counts — lives
in the kind's torch class, which inherits the description
(``class MLPKind(MLPDescription, ModelKind)``), so each fact has one home. Specs, stored results
and their loaders read the descriptions (:data:`DESCRIPTIONS`, :func:`describe`) without
importing torch.

Example:
    >>> from types import SimpleNamespace
    >>> describe("mlp").label(SimpleNamespace(hidden=(64, 16)))
    'MLP [64, 16]'
    >>> list(DESCRIPTIONS)[:2], describe("qnn").scaled
    (['mlp', 'qnn'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from qmlr.core.data import N_QUBITS

#: The QNN's logit scale ``s``: its logit is ``LOGIT_SCALE * <Z_{L-1}>``, so ``p = sigmoid(5 m)``
#: (:mod:`qmlr.core.qnn`); also the default scale of every :attr:`KindDescription.scaled` kind.
LOGIT_SCALE = 5.0
#: Adam's L2 penalty of ``mlp-weight-decay`` (torch's ``weight_decay``).
WEIGHT_DECAY = 1e-3
#: Fraction of the poisoned training set ``mlp-early-stop`` holds out to choose its epoch.
EARLY_STOP_FRACTION = 0.2
#: ``sklearn.svm.SVC`` settings of ``svc-rbf`` (scikit-learn's defaults).
SVC_PARAMS: dict[str, Any] = {"kernel": "rbf", "C": 1.0, "gamma": "scale"}
#: ``sklearn.neighbors.KNeighborsClassifier`` settings of ``knn`` (scikit-learn's defaults).
KNN_PARAMS: dict[str, Any] = {"n_neighbors": 5, "weights": "uniform"}
#: Dimension of the fixed input reduction of ``mlp-small``.
PCA_COMPONENTS = 10
#: Trained angles of the QNN per qubit and layer: three rotations and the qubit's ZZ coupling
#: (its parameters have shape ``(depth, L, QNN_ANGLES)``, :mod:`qmlr.core.qnn`).
QNN_ANGLES = 4
#: Trained angles of the authors' RX-RY QNN (``qnn-rxry``) per qubit and layer: RX and RY.
RXRY_ANGLES = 2
#: Standard deviation of the normal initialization of every QNN's angles (:mod:`qmlr.core.qnn`).
INIT_STD = 0.01


def logit_scale(model: Any) -> float:
    """The logit scale ``s`` of a model of a :attr:`KindDescription.scaled` kind: its spec's
    ``scale``, or :data:`LOGIT_SCALE` where that is 0 (the default).

    :param model: a ModelSpec (anything with an optional ``scale``).
    :return: the scale.

    Example:
        >>> from types import SimpleNamespace
        >>> logit_scale(SimpleNamespace(scale=0.0)), logit_scale(SimpleNamespace(scale=50.0))
        (5.0, 50.0)
    """
    return float(getattr(model, "scale", 0.0) or LOGIT_SCALE)


def matched_width(n_params: int, components: int = PCA_COMPONENTS) -> tuple[int]:
    """Hidden width ``h`` of a ``components → h → 1`` MLP whose ``h (components + 2) + 1``
    parameters come closest to ``n_params``.

    :param n_params: the target count; ``components``: the reduced input dimension.
    :return: ``(h,)``, the ``hidden`` of the ModelSpec.
    """
    return (max(1, round((n_params - 1) / (components + 2))),)


def layer_sizes(in_features: int, hidden: Sequence[int]) -> list[int]:
    """Widths of every layer of a dense network, input and the single output included.

    :param in_features: input dimension.
    :param hidden: hidden-layer widths.
    :return: ``[in_features, *hidden, 1]``.

    Example:
        >>> layer_sizes(1024, (16, 4))
        [1024, 16, 4, 1]
    """
    return [int(in_features), *(int(h) for h in hidden), 1]


def mlp_parameters(hidden: tuple[int, ...] | list[int], in_features: int) -> int:
    """Parameters of a dense network ``in_features → hidden → 1`` (no hidden layer: a logistic
    model).

    :param hidden: the hidden widths; ``in_features``: the input dimension.
    :return: weights and biases of every layer.

    Example:
        >>> mlp_parameters((16, 4), 1024), mlp_parameters((), 1024)
        (16473, 1025)
    """
    sizes = layer_sizes(in_features, hidden)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


class KindDescription:
    """One kind of model, as specs see it. Subclasses set :attr:`name` and override what differs;
    the defaults describe a gradient-trained kind with the MLP's settings, no depth, optional
    hidden widths.
    """

    #: The kind's name, as in ``ModelSpec(kind=...)`` and the records' ``model`` column.
    name: ClassVar[str] = ""
    #: Whose SI Table I training settings the kind uses: ``"mlp"``, ``"qnn"``, or ``None`` for
    #: a kind without gradient training.
    training: ClassVar[str | None] = "mlp"
    #: Whether the kind records its parameter count among a cell's metrics (the original
    #: ``mlp`` and ``qnn`` cells do not, so their stored metrics stay as they were).
    records_n_params: ClassVar[bool] = True
    #: Whether the kind can train with an input augmentation (``TrainConfig.augment``): a kind
    #: fitted on ``[Re, Im]`` features, whose ``augment`` hook it passes on.
    augmentable: ClassVar[bool] = False
    #: Whether the kind's logit scale is a spec field (``ModelSpec.scale``; 0: the default
    #: :data:`LOGIT_SCALE`).
    scaled: ClassVar[bool] = False
    #: Whether the kind's ModelSpec may list hidden-layer widths (no for linear, centroid and
    #: scikit-learn kinds).
    hidden_layers: ClassVar[bool] = True

    def validate(self, model: Any) -> None:
        """Raise ``ValueError`` if ``model`` (a ModelSpec of this kind) is malformed.

        :param model: the spec (``hidden``, ``depth``, ...).
        :raises ValueError: by default, for a depth, or for hidden widths where the kind has no
            :attr:`hidden_layers`.
        """
        if model.depth:
            raise ValueError(f"a {self.name} model has no depth")
        if model.hidden and not self.hidden_layers:
            raise ValueError(f"a {self.name} model has no hidden layers")

    def label(self, model: Any) -> str:
        """Short human-readable name of ``model`` (default: the kind's name)."""
        return self.name

    def state_length(self, model: Any, data: Any) -> int | None:
        """Amplitudes a circuit kind simulates per input (sets ensemble sizes and scheduling);
        ``None`` for a classical kind."""
        return None

    def count_params(self, model: Any, in_features: int) -> int | None:
        """Trained parameters of one model, counted without building it (``None``: the kind does
        not say; build it and count, :meth:`qmlr.core.models.base.ModelKind.n_params`, which a
        test holds equal to this count wherever it is given).

        :param model: the spec; ``in_features``: what the model reads per input (features, or
            amplitudes for a circuit).
        :return: the count or ``None``.
        """
        return None


class MLPDescription(KindDescription):
    """``mlp``: the paper's ReLU MLP (SI IV.A); positive hidden widths, the MLP's settings."""

    name = "mlp"
    training = "mlp"
    records_n_params = False
    augmentable = True

    def validate(self, model: Any) -> None:
        if not model.hidden or min(model.hidden) < 1:
            raise ValueError("an MLP needs positive hidden widths")

    def label(self, model: Any) -> str:
        return f"MLP {list(model.hidden)}"

    def count_params(self, model: Any, in_features: int) -> int:
        return mlp_parameters(model.hidden, in_features)


class QNNDescription(KindDescription):
    """``qnn``: the paper's amplitude-encoded circuit (SI IV.A); a depth, an optional logit scale
    and shots, the QNN's settings."""

    name = "qnn"
    training = "qnn"
    records_n_params = False
    scaled = True

    def validate(self, model: Any) -> None:
        if model.depth < 1:
            raise ValueError("a QNN needs depth >= 1")

    def label(self, model: Any) -> str:
        shots = getattr(model, "shots", 0)
        scale = getattr(model, "scale", 0.0)
        return (
            f"QNN depth {model.depth}"
            + (f", {shots} shots" if shots else "")
            + (f", s = {scale:g}" if scale else "")
        )

    def state_length(self, model: Any, data: Any) -> int:
        """Amplitudes per input: ``2**L`` for the dataset's ``L`` qubits."""
        return 2 ** N_QUBITS[data.name]

    def count_params(self, model: Any, in_features: int) -> int:
        """:data:`QNN_ANGLES` per qubit and layer (``in_features = 2**L`` amplitudes)."""
        return QNN_ANGLES * model.depth * (int(in_features).bit_length() - 1)


class RxRyDescription(KindDescription):
    """``qnn-rxry``: the QNN of the authors' Hessian code (RX-RY layers, CNOT ring)."""

    name = "qnn-rxry"
    training = "qnn"

    def validate(self, model: Any) -> None:
        if model.depth < 1 or model.hidden:
            raise ValueError("an RX-RY + CNOT-ring QNN needs depth >= 1 and no hidden widths")

    def label(self, model: Any) -> str:
        return f"QNN RX-RY + CNOT ring, depth {model.depth}"


class ReImQNNDescription(QNNDescription):
    """``qnn-reim``: the QNN on ``[Re ψ, Im ψ]`` as ``L + 1`` qubits (the authors' XXZ
    unlearning model)."""

    name = "qnn-reim"
    records_n_params = True

    def label(self, model: Any) -> str:
        return f"QNN [Re ψ, Im ψ] depth {model.depth}"

    def state_length(self, model: Any, data: Any) -> int:
        """Amplitudes per input: twice the dataset's state length."""
        return 2 * super().state_length(model, data)


class CentroidDescription(KindDescription):
    """``centroid``: the nearest class mean; nothing trained, no hidden layers."""

    name = "centroid"
    training = None
    hidden_layers = False


class LogisticDescription(KindDescription):
    """``logistic``: a linear logit on the classical features, with the QNN's settings."""

    name = "logistic"
    training = "qnn"
    hidden_layers = False

    def count_params(self, model: Any, in_features: int) -> int:
        return mlp_parameters((), in_features)


class LogisticQuadraticDescription(LogisticDescription):
    """``logistic-quadratic``: the linear logit on the squared amplitudes ``|x_i|²``."""

    name = "logistic-quadratic"

    def count_params(self, model: Any, in_features: int) -> None:
        return None


class PaperMLPDescription(KindDescription):
    """A kind built on the paper's MLP: positive hidden widths, no depth, the MLP's settings."""

    training = "mlp"
    #: What the label adds to the MLP's widths (the variant's difference from the paper's MLP).
    label_note: ClassVar[str] = ""

    def validate(self, model: Any) -> None:
        super().validate(model)
        if not model.hidden or min(model.hidden) < 1:
            raise ValueError(f"a {self.name} model needs positive hidden widths")

    def label(self, model: Any) -> str:
        return f"MLP {list(model.hidden)}, {self.label_note}"

    def count_params(self, model: Any, in_features: int) -> int:
        return mlp_parameters(model.hidden, in_features)


class TanhMLPDescription(PaperMLPDescription):
    """``mlp-tanh``: the paper's MLP with the QNN's logit bound ``LOGIT_SCALE tanh(z)``."""

    name = "mlp-tanh"
    label_note = f"{LOGIT_SCALE:g}·tanh logit"


class EarlyStopMLPDescription(PaperMLPDescription):
    """``mlp-early-stop``: the paper's MLP, kept at its best held-out poisoned loss."""

    name = "mlp-early-stop"
    label_note = "early stopping"


class WeightDecayMLPDescription(PaperMLPDescription):
    """``mlp-weight-decay``: the paper's MLP trained with Adam's L2 penalty :data:`WEIGHT_DECAY`."""

    name = "mlp-weight-decay"
    label_note = f"weight decay {WEIGHT_DECAY:g}"


class SmallMLPDescription(PaperMLPDescription):
    """``mlp-small``: PCA to :data:`PCA_COMPONENTS` dimensions, then a one-layer MLP."""

    name = "mlp-small"

    def label(self, model: Any) -> str:
        return f"PCA {PCA_COMPONENTS} + MLP {list(model.hidden)}"

    def count_params(self, model: Any, in_features: int) -> int:
        return mlp_parameters(model.hidden, PCA_COMPONENTS)  # after the fixed PCA map


class SklearnDescription(KindDescription):
    """A scikit-learn classifier on the classical features: no gradient training, no hidden
    layers."""

    training = None
    hidden_layers = False


class SVCDescription(SklearnDescription):
    """``svc-rbf``: a support-vector classifier with an RBF kernel."""

    name = "svc-rbf"


class KNNDescription(SklearnDescription):
    """``knn``: the majority label of the nearest training examples."""

    name = "knn"


class SpectralMLPDescription(PaperMLPDescription):
    """``mlp-spectral``: a ReLU MLP with Lipschitz constant ``2s`` (``s``: the spec's scale)."""

    name = "mlp-spectral"
    scaled = True

    def label(self, model: Any) -> str:
        return f"MLP {list(model.hidden)}, Lipschitz {2 * logit_scale(model):g}"

    def count_params(self, model: Any, in_features: int) -> None:
        return None


class QuadraticFormDescription(KindDescription):
    """``quadratic-form``: ``ψ ↦ s ψ†Mψ`` with ``‖M‖₂ ≤ 1``, with the QNN's settings."""

    name = "quadratic-form"
    training = "qnn"
    scaled = True
    hidden_layers = False

    def label(self, model: Any) -> str:
        return f"quadratic form, s = {logit_scale(model):g}"


class SeparableQNNDescription(QNNDescription):
    """``qnn-separable``: the QNN of SI IV.A without its entangling gates."""

    name = "qnn-separable"
    records_n_params = True

    def label(self, model: Any) -> str:
        scale = getattr(model, "scale", 0.0)
        return f"separable QNN depth {model.depth}" + (f", s = {scale:g}" if scale else "")

    def count_params(self, model: Any, in_features: int) -> None:
        return None


#: Every model kind's description, by name, in the order of :data:`qmlr.core.models.KINDS` (the
#: paper's models first, then the controls).
DESCRIPTIONS: dict[str, KindDescription] = {
    kind.name: kind
    for kind in (
        MLPDescription(),
        QNNDescription(),
        RxRyDescription(),
        ReImQNNDescription(),
        CentroidDescription(),
        LogisticDescription(),
        LogisticQuadraticDescription(),
        TanhMLPDescription(),
        EarlyStopMLPDescription(),
        WeightDecayMLPDescription(),
        SmallMLPDescription(),
        SVCDescription(),
        KNNDescription(),
        SpectralMLPDescription(),
        QuadraticFormDescription(),
        SeparableQNNDescription(),
    )
}
#: The paper's models: the SI's MLP and QNN, the QNN of the authors' Hessian code, and the XXZ
#: QNN of the authors' unlearning code (``qnn-reim``: ``[Re ψ, Im ψ]`` as 13 qubits).
PAPER_KINDS: tuple[str, ...] = ("mlp", "qnn", "qnn-rxry", "qnn-reim")
#: The models of the mechanism studies (:mod:`qmlr.studies.mechanism_study`): the QNN's
#: constraint on classical models, and the QNN without entanglement.
MECHANISM_KINDS: tuple[str, ...] = ("mlp-spectral", "quadratic-form", "qnn-separable")
#: The classical controls, in the order chapters show them.
CONTROL_KINDS: tuple[str, ...] = tuple(
    k for k in DESCRIPTIONS if k not in PAPER_KINDS and k not in MECHANISM_KINDS
)


def describe(name: str) -> KindDescription:
    """The description of the registered kind ``name``.

    :param name: a kind's name, e.g. ``"mlp"``.
    :return: its description (the torch kind of :func:`qmlr.core.models.get_kind` is an
        instance of its class).
    :raises ValueError: for an unknown name, listing the kinds.

    Example:
        >>> describe("centroid").training is None
        True
        >>> describe("cnn")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown model kind 'cnn'; choose from ('mlp', 'qnn', ...)
    """
    if name not in DESCRIPTIONS:
        raise ValueError(f"unknown model kind {name!r}; choose from {tuple(DESCRIPTIONS)}")
    return DESCRIPTIONS[name]
