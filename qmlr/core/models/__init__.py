"""The model registry: one entry per model kind, one class (one file) per kind.

Every study reaches a model through :func:`get_kind`: inputs from a dataset's ``x``, a fitted
ensemble from a spec and seeds, its logits, its trained-parameter count (see
:class:`~qmlr.core.models.base.ModelKind`). The paper's two models are
``mlp`` and ``qnn``, ``qnn-reim`` is the authors'-code variant of the XXZ QNN
(:data:`PAPER_KINDS`); the others are the classical controls of the ``controls`` study.

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
from qmlr.core.models.qnn import QNNKind
from qmlr.core.models.qnn_reim import ReImQNNKind
from qmlr.core.models.sklearn_adapter import KNNKind, SVCKind
from qmlr.core.models.small import SmallMLPKind

#: Every model kind, by name (the paper's models first, then the controls).
KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        MLPKind(),
        QNNKind(),
        CentroidKind(),
        LogisticKind(),
        LogisticQuadraticKind(),
        TanhMLPKind(),
        EarlyStopMLPKind(),
        WeightDecayMLPKind(),
        SmallMLPKind(),
        SVCKind(),
        KNNKind(),
        ReImQNNKind(),
    )
}
#: The paper's models and the authors'-code variant of its QNN (``qnn-reim``: the XXZ QNN on
#: ``[Re ψ, Im ψ]`` as 13 qubits); every other kind is a classical control.
PAPER_KINDS: tuple[str, ...] = ("mlp", "qnn", "qnn-reim")
#: The classical controls, in the order chapters show them.
CONTROL_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k not in PAPER_KINDS)


def get_kind(name: str) -> ModelKind:
    """The registered kind ``name``; an unknown name raises ``ValueError`` listing the kinds."""
    if name not in KINDS:
        raise ValueError(f"unknown model kind {name!r}; choose from {tuple(KINDS)}")
    return KINDS[name]
