"""What every model kind provides: inputs from a dataset, a fitted ensemble, its logits, its size.

A *model kind* is one class with one instance in the registry (:mod:`qmlr.core.models`). Given a
:class:`~qmlr.engine.specs.ModelSpec` it says which features it reads from a dataset's ``x``
(:meth:`ModelKind.inputs`), builds and fits an ensemble with one member per seed
(:meth:`ModelKind.fit`: its arguments are checked once, as a :class:`FitRequest`, and the kind
fits them in :meth:`ModelKind.fit_ensemble`), and counts each member's trained parameters
(:meth:`ModelKind.n_params`). A fitted ensemble is any callable from inputs ``(E, B, D)`` or
``(B, D)`` to logits ``(E, B)``; class 1 is predicted where the logit is positive.

Example:
    >>> from qmlr.core.models import get_kind
    >>> get_kind("mlp").training
    'mlp'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from qmlr.core.data import mlp_features
from qmlr.core.kinds import (
    KindDescription,
    logit_scale,  # noqa: F401  (re-exported: its home is torch-free)
)
from qmlr.core.train import History, TrainConfig, accuracy, fit

#: A fitted ensemble: inputs ``(E, B, D)`` or ``(B, D)`` -> logits ``(E, B)``.
Ensemble = Callable[[torch.Tensor], torch.Tensor]


def real_dtype(model: Any) -> torch.dtype:
    """float32 for ``precision="single"``, float64 for ``"double"``."""
    return torch.float64 if model.precision == "double" else torch.float32


def complex_dtype(model: Any) -> torch.dtype:
    """complex64 for ``precision="single"``, complex128 for ``"double"``."""
    return torch.complex128 if model.precision == "double" else torch.complex64


def real_inputs(x: np.ndarray, model: Any) -> torch.Tensor:
    """The classical models' features: :func:`qmlr.core.data.mlp_features` in the model's dtype."""
    return torch.as_tensor(mlp_features(x)).to(real_dtype(model))


def members_history(
    ensemble: Ensemble,
    x: torch.Tensor,
    y: torch.Tensor,
    x_val: torch.Tensor | None,
    y_val: torch.Tensor | None,
    train_loss: np.ndarray | None = None,
) -> History:
    """A :class:`~qmlr.core.train.History` measured on a fitted ensemble (for kinds not fitted by
    :func:`qmlr.core.train.fit`): accuracies on the full training set and on the validation set.

    :param ensemble: the fitted ensemble.
    :param x: training inputs ``(E, N, D)``; ``y``: their labels ``(E, N)``.
    :param x_val: validation inputs or ``None``; ``y_val``: their labels.
    :param train_loss: per-epoch losses ``(E, epochs)`` (default: no epochs).
    :return: the history.
    """
    n_members = x.shape[0]
    val = (
        accuracy(ensemble, x_val, y_val)
        if x_val is not None and y_val is not None
        else np.full(n_members, np.nan)
    )
    losses = np.zeros((n_members, 0)) if train_loss is None else train_loss
    return History(accuracy(ensemble, x, y), val, losses)


@dataclass(frozen=True)
class FitRequest:
    """What :meth:`ModelKind.fit` is asked, checked: fit an ensemble whose member ``e`` learns
    ``(x[e], y[e])`` from ``seeds[e]``.

    :param model: the ModelSpec; ``data``: the DataSpec; ``train``: training settings.
    :param x: training inputs ``(E, N, D)`` (from :meth:`ModelKind.inputs`); ``y``: labels
        ``(E, N)``.
    :param seeds: one seed per member.
    :param x_val: validation inputs ``(V, D)`` or ``(E, V, D)``; ``y_val``: their labels (both or
        neither).
    :param progress: show an epoch progress bar.
    :param augment: a training-input hook ``(epoch, x) -> x`` (:func:`qmlr.core.train.fit`), or
        ``None``.
    :raises ValueError: if the shapes, the seeds or the validation pair do not match.

    Example:
        >>> r = FitRequest(None, None, None, torch.zeros(2, 5, 3), torch.zeros(2, 5), [0, 1])
        >>> r.n_members
        2
        >>> FitRequest(None, None, None, torch.zeros(2, 5, 3), torch.zeros(2, 5), [0])
        Traceback (most recent call last):
        ...
        ValueError: 1 seeds for 2 ensemble members
    """

    model: Any
    data: Any
    train: Any
    x: torch.Tensor
    y: torch.Tensor
    seeds: Sequence[int]
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    progress: bool = False
    augment: Callable[[int, torch.Tensor], torch.Tensor] | None = None

    def __post_init__(self) -> None:
        if self.x.dim() != 3 or tuple(self.y.shape) != tuple(self.x.shape[:2]):
            raise ValueError(
                f"expected x (E, N, D) and y (E, N); got {tuple(self.x.shape)}, "
                f"{tuple(self.y.shape)}"
            )
        if len(self.seeds) != self.n_members:
            raise ValueError(f"{len(self.seeds)} seeds for {self.n_members} ensemble members")
        if (self.x_val is None) != (self.y_val is None):
            raise ValueError("x_val and y_val are given together or not at all")

    @property
    def n_members(self) -> int:
        """Members of the ensemble (``E``)."""
        return int(self.x.shape[0])

    def history(self, ensemble: Ensemble, train_loss: np.ndarray | None = None) -> History:
        """:func:`members_history` of a fitted ``ensemble`` on this request's data."""
        return members_history(ensemble, self.x, self.y, self.x_val, self.y_val, train_loss)


class ModelKind(KindDescription):
    """One kind of model. Subclasses inherit their kind's description (its name, settings, spec
    checks and label: :class:`~qmlr.core.kinds.KindDescription`) and override what differs.

    The defaults describe a kind trained by gradient with :func:`qmlr.core.train.fit` on
    :func:`real_inputs`; a subclass then only implements :meth:`build`.
    """

    #: Extra keyword arguments of :func:`qmlr.core.train.fit` for this kind (e.g. a weight
    #: decay); the default trains with plain Adam.
    fit_options: ClassVar[dict[str, Any]] = {}

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        """The features the kind reads from a dataset's ``x`` (default: :func:`real_inputs`)."""
        return real_inputs(x, model)

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        """An untrained ensemble with one member per seed (gradient-trained kinds)."""
        raise NotImplementedError(f"model kind {self.name!r} is not built by gradient")

    def fit(
        self,
        model: Any,
        data: Any,
        train: TrainConfig,
        x: torch.Tensor,
        y: torch.Tensor,
        seeds: Sequence[int],
        x_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None,
        progress: bool = False,
        augment: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
    ) -> tuple[Ensemble, History]:
        """Fit an ensemble, member ``e`` on ``(x[e], y[e])`` from ``seeds[e]`` (the arguments are
        those of :class:`FitRequest`, checked there; the kind's :meth:`fit_ensemble` fits).

        :param augment: the training-input hook of :func:`qmlr.core.train.fit` (only for an
            :attr:`augmentable` kind).
        :return: the fitted ensemble and its history (accuracies on all of ``x`` and on the
            validation set).
        :raises ValueError: if the inputs, labels, seeds or validation pair do not match, or for
            an augmentation on a kind that is not :attr:`augmentable`.
        """
        if augment is not None and not self.augmentable:
            raise ValueError(f"model kind {self.name!r} does not train with an augmentation")
        request = FitRequest(model, data, train, x, y, seeds, x_val, y_val, progress, augment)
        return self.fit_ensemble(request)

    def fit_ensemble(self, r: FitRequest) -> tuple[Ensemble, History]:
        """How the kind fits a checked request (default: :meth:`build`, then
        :func:`qmlr.core.train.fit` with :attr:`fit_options` and the request's augmentation)."""
        options = (
            self.fit_options if r.augment is None else {**self.fit_options, "augment": r.augment}
        )
        ensemble = self.build(r.model, r.data, r.x.shape[-1], r.seeds)
        history = fit(
            ensemble,
            r.x,
            r.y,
            r.train,
            r.seeds,
            r.x_val,
            r.y_val,
            progress=r.progress,
            **options,
        )
        return ensemble, history

    @property
    def fits_plainly(self) -> bool:
        """Whether :meth:`fit` is :meth:`build` then :func:`qmlr.core.train.fit` with nothing
        added (no options, no fitting of its own), so a caller may train it with extra
        arguments such as sample weights."""
        return type(self).fit_ensemble is ModelKind.fit_ensemble and not self.fit_options

    def n_params(self, ensemble: Ensemble) -> list[int]:
        """Trained parameters of each member of a fitted ensemble."""
        module = ensemble
        if not isinstance(module, torch.nn.Module):
            raise NotImplementedError(f"model kind {self.name!r} must count its parameters")
        per_member = sum(p[0].numel() for p in module.parameters() if p.requires_grad)
        return [per_member] * module.n_members

    def extra_metrics(self, ensemble: Ensemble) -> list[dict[str, Any]]:
        """Kind-specific metrics of each member, stored beside the sweep's metrics."""
        counts = self.n_params(ensemble)
        if not self.records_n_params:
            return [{} for _ in counts]
        return [{"n_params": int(n)} for n in counts]
