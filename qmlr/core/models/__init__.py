"""The model registry: one entry per model kind, one class (one file) per kind.

Every study reaches a model through :func:`get_kind`: inputs from a dataset's ``x``, a fitted
ensemble from a spec and seeds, its logits, its trained-parameter count (see
:class:`~qmlr.core.models.base.ModelKind`). The paper's models are ``mlp`` and ``qnn`` (and
``qnn-rxry``, the QNN of the authors' Hessian code, and ``qnn-reim``, the XXZ QNN of the
authors' unlearning code on ``[Re ψ, Im ψ]`` as 13 qubits); the others are the classical
controls of the ``controls`` study and the models of the mechanism studies. Each kind's class
inherits its torch-free description (:mod:`qmlr.core.kinds`: what specs read of it).

Example:
    >>> from qmlr.core.models import KINDS
    >>> list(KINDS)[:2]
    ['mlp', 'qnn']
"""

from __future__ import annotations

# The kinds' name tuples live with their torch-free descriptions; importable from here as before.
from qmlr.core.kinds import CONTROL_KINDS, MECHANISM_KINDS, PAPER_KINDS  # noqa: F401
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

#: Every model kind, by name (the paper's models first, then the controls), in the order of
#: their descriptions (:data:`qmlr.core.kinds.DESCRIPTIONS`).
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


def get_kind(name: str) -> ModelKind:
    """The registered kind ``name``; an unknown name raises ``ValueError`` listing the kinds."""
    if name not in KINDS:
        raise ValueError(f"unknown model kind {name!r}; choose from {tuple(KINDS)}")
    return KINDS[name]
