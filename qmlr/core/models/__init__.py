"""The model registry: one entry per model kind, one class (one file) per kind.

Every study reaches a model through :func:`get_kind`: inputs from a dataset's ``x``, a fitted
ensemble from a spec and seeds, its logits, its trained-parameter count (see
:class:`~qmlr.core.models.base.ModelKind`). The paper's models are ``mlp`` and ``qnn`` (and
``qnn-rxry``, the QNN of the authors' Hessian code, and ``qnn-reim``, the XXZ QNN of the
authors' unlearning code on ``[Re ψ, Im ψ]`` as 13 qubits); the others are the classical
controls of the ``controls`` study.

Example:
    >>> from qmlr.core.models import KINDS
    >>> list(KINDS)[:2]
    ['mlp', 'qnn']
"""

from __future__ import annotations

from qmlr.core.models.base import ModelKind
from qmlr.core.models.bounded import TanhMLPKind
from qmlr.core.models.centroid import CentroidKind
from qmlr.core.models.defended import EarlyStopMLPKind, WeightDecayMLPKind
from qmlr.core.models.linear import LogisticKind, LogisticQuadraticKind
from qmlr.core.models.mlp import MLPKind
from qmlr.core.models.mlp_spectral import SpectralMLPKind
from qmlr.core.models.qnn import QNNKind
from qmlr.core.models.qnn_reim import ReImQNNKind
from qmlr.core.models.qnn_separable import SeparableQNNKind
from qmlr.core.models.quadratic_form import QuadraticFormKind
from qmlr.core.models.rxry import RxRyKind
from qmlr.core.models.sklearn_adapter import KNNKind, SVCKind
from qmlr.core.models.small import SmallMLPKind

#: Every model kind, by name (the paper's models first, then the controls).
KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        MLPKind(),
        QNNKind(),
        RxRyKind(),
        ReImQNNKind(),
        CentroidKind(),
        LogisticKind(),
        LogisticQuadraticKind(),
        TanhMLPKind(),
        EarlyStopMLPKind(),
        WeightDecayMLPKind(),
        SmallMLPKind(),
        SVCKind(),
        KNNKind(),
        SpectralMLPKind(),
        QuadraticFormKind(),
        SeparableQNNKind(),
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
    k for k in KINDS if k not in PAPER_KINDS and k not in MECHANISM_KINDS
)


def get_kind(name: str) -> ModelKind:
    """The registered kind ``name``; an unknown name raises ``ValueError`` listing the kinds."""
    if name not in KINDS:
        raise ValueError(f"unknown model kind {name!r}; choose from {tuple(KINDS)}")
    return KINDS[name]
