"""The model registry: one entry per model kind, one class (one file) per kind.

Every study reaches a model through :func:`get_kind`: inputs from a dataset's ``x``, a fitted
ensemble from a spec and seeds, its logits, its trained-parameter count (see
:class:`~qmlr.models.base.ModelKind`). The paper's two models are ``mlp`` and ``qnn``; the
others are the classical controls of the ``controls`` study.

Example:
    >>> from qmlr.models import KINDS
    >>> list(KINDS)[:2]
    ['mlp', 'qnn']
"""

from __future__ import annotations

from qmlr.models.base import ModelKind
from qmlr.models.bounded import TanhMLPKind
from qmlr.models.centroid import CentroidKind
from qmlr.models.defended import EarlyStopMLPKind, WeightDecayMLPKind
from qmlr.models.linear import LogisticKind, LogisticQuadraticKind
from qmlr.models.mlp import MLPKind
from qmlr.models.qnn import QNNKind
from qmlr.models.sklearn_adapter import KNNKind, SVCKind
from qmlr.models.small import SmallMLPKind

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
    )
}
#: The classical controls, in the order chapters show them.
CONTROL_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k not in ("mlp", "qnn"))


def get_kind(name: str) -> ModelKind:
    """The registered kind ``name``; an unknown name raises ``ValueError`` listing the kinds."""
    if name not in KINDS:
        raise ValueError(f"unknown model kind {name!r}; choose from {tuple(KINDS)}")
    return KINDS[name]
