"""Any scikit-learn classifier as a model kind, through one adapter: fit each member's estimator
on its own training set, read its logits from ``decision_function`` (or ``predict_proba``).

Registered with :data:`SVC_PARAMS` (``svc-rbf``) and :data:`KNN_PARAMS` (``knn``), both
scikit-learn's defaults, stated here so the records say what ran.

Example:
    >>> import torch
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> x = torch.arange(12.0).reshape(1, 12, 1); y = (x[..., 0] > 5).long()
    >>> net, hist = get_kind("knn").fit(ModelSpec("knn"), DataSpec("mnist"), None, x, y, [0])
    >>> (net(torch.tensor([[0.5], [10.5]])) > 0).tolist()
    [[False, True]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from qmlr.core.kinds import (  # noqa: F401 (KNN_PARAMS, SVC_PARAMS re-exported)
    KNN_PARAMS,
    SVC_PARAMS,
    KNNDescription,
    SklearnDescription,
    SVCDescription,
)
from qmlr.core.models.base import Ensemble, FitRequest, ModelKind
from qmlr.core.train import History

#: Probabilities are clipped to [eps, 1 - eps] before taking log-odds.
PROBA_EPS = 1e-6


def one_blas_thread() -> Any:
    """Context limiting BLAS to one thread (threaded OpenBLAS contends on a shared machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


class SklearnEnsemble:
    """Fitted estimators, one per member, called like a torch ensemble (inputs → logits).

    :param estimators: fitted binary classifiers with classes ``[0, 1]``.
    """

    def __init__(self, estimators: Sequence[Any]) -> None:
        self.estimators = list(estimators)
        self.n_members = len(self.estimators)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)``: ``decision_function``, or the log-odds of ``predict_proba``."""
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        with one_blas_thread():
            return torch.as_tensor(np.stack(self._logits(x)))

    def _logits(self, x: torch.Tensor) -> list[np.ndarray]:
        out = []
        for est, xe in zip(self.estimators, x, strict=True):
            features = xe.detach().double().numpy()
            if hasattr(est, "decision_function"):
                out.append(np.asarray(est.decision_function(features), dtype=np.float64))
            else:
                p = np.clip(est.predict_proba(features)[:, 1], PROBA_EPS, 1 - PROBA_EPS)
                out.append(np.log(p) - np.log1p(-p))
        return out


class SklearnKind(SklearnDescription, ModelKind):
    """A scikit-learn classifier on the classical features; subclasses name the estimator."""

    #: Keyword arguments of the estimator.
    params: ClassVar[dict[str, Any]] = {}

    def estimator(self) -> Any:
        """A fresh, unfitted estimator (each scikit-learn kind defines its own)."""
        raise NotImplementedError(f"model kind {self.name!r} defines no estimator")

    def fit_ensemble(self, r: FitRequest) -> tuple[Ensemble, History]:
        estimators = []
        for xe, ye in zip(r.x, r.y, strict=True):
            est = self.estimator()
            with one_blas_thread():
                est.fit(xe.double().numpy(), ye.numpy())
            if list(est.classes_) != [0, 1]:
                raise ValueError(f"{self.name} needs training labels of both classes 0 and 1")
            estimators.append(est)
        net = SklearnEnsemble(estimators)
        return net, r.history(net)

    def n_params(self, ensemble: Ensemble) -> list[int]:
        """No parameters by default (a lazy learner keeps its training set instead)."""
        return [0] * ensemble.n_members


class SVCKind(SVCDescription, SklearnKind):
    """``svc-rbf``: a support-vector classifier with an RBF kernel; its fitted parameters are
    the dual coefficients of the support vectors and the intercept."""

    params = SVC_PARAMS

    def estimator(self) -> Any:
        from sklearn.svm import SVC

        return SVC(**self.params)

    def n_params(self, ensemble: Ensemble) -> list[int]:
        return [int(est.dual_coef_.size + est.intercept_.size) for est in ensemble.estimators]


class KNNKind(KNNDescription, SklearnKind):
    """``knn``: the majority label of the nearest training examples (nothing fitted)."""

    params = KNN_PARAMS

    def estimator(self) -> Any:
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(**self.params)
