"""Training settings as specs hold them, without torch: :class:`TrainConfig`, the names of the
input augmentations, and the :class:`History` a training run returns.

The training loop (:func:`qmlr.core.train.fit`) and the augmentations
(:mod:`qmlr.core.augment`) need torch; a spec that only names its settings, and a loader that
rebuilds one from a stored result, need only this module (both torch modules re-export its names).

Example:
    >>> TrainConfig(200, 32, 0.03)
    TrainConfig(epochs=200, batch_size=32, lr=0.03, augment='none')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Values of :attr:`TrainConfig.augment`: ``"none"`` (the default: inputs as given) and
#: ``"phase"`` (:class:`qmlr.core.augment.PhaseAugmentation`).
AUGMENTATIONS = ("none", "phase")


@dataclass(frozen=True)
class TrainConfig:
    """Adam training hyperparameters (SI Table I).

    :param epochs: passes over the training set.
    :param batch_size: minibatch size; the last batch of an epoch may be smaller.
    :param lr: Adam learning rate.
    :param augment: training-input augmentation (:data:`AUGMENTATIONS`): ``"none"`` (the
        default) or ``"phase"`` (a fresh random global phase per sample and epoch,
        :class:`qmlr.core.augment.PhaseAugmentation`). Left out of a spec's JSON form at its
        default (the ``omit_default`` metadata of :data:`qmlr.engine.specs.OMIT_DEFAULT`), so
        every existing spec keeps its key.
    :raises ValueError: for a negative epoch count, a batch size below 1, a learning rate that
        is not positive, or an unknown augmentation.

    Example:
        >>> TrainConfig(10, 32, 0.01, augment="phase").augment
        'phase'
    """

    epochs: int
    batch_size: int
    lr: float
    augment: str = field(default="none", metadata={"omit_default": True})

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 1 or not self.lr > 0:
            raise ValueError(f"invalid training config {self}")
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {self.augment!r}; choose from {AUGMENTATIONS}")


@dataclass(frozen=True)
class History:
    """What a training run measured, one entry per ensemble member (float64).

    :param train_accuracy: accuracy on the (possibly corrupted) training labels, shape (E,).
    :param val_accuracy: accuracy on the clean validation set, shape (E,), NaN without one.
    :param train_loss: mean minibatch loss of every epoch, shape (E, epochs).
    """

    train_accuracy: np.ndarray
    val_accuracy: np.ndarray
    train_loss: np.ndarray
