"""Finite measurement shots: a QNN's ⟨Z⟩ estimated from ``N`` single-shot outcomes.

A measurement of ``Z`` on the readout qubit gives +1 with probability ``p = (1 + ⟨Z⟩) / 2``.
``N`` shots give ``k ~ Binomial(N, p)`` outcomes +1, and the estimate of ⟨Z⟩ is
``m̂ = 2 k / N − 1`` (unbiased, variance ``(1 − ⟨Z⟩²) / N``). The model forms its logit from the
estimate exactly as from the exact expectation: ``5 m̂``.

For training with shots (:class:`ShotNoisyQNN`) the forward pass uses ``m̂`` and the backward
pass the exact derivative of ⟨Z⟩ (a straight-through estimator): the shot noise enters every
loss value and the factor ``σ(5 m̂) − y`` of each sample's gradient, not the circuit's
derivative, which hardware would estimate from further shots (parameter shift).

Example:
    >>> import numpy as np
    >>> est = estimate_expectation(np.array([1.0, -1.0, 0.0]), 100, np.random.default_rng(0))
    >>> est[:2].tolist(), bool(-1.0 <= est[2] <= 1.0)
    ([1.0, -1.0], True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from qmlr.core.qnn import LOGIT_SCALE, QNN


def estimate_expectation(
    expectation: np.ndarray, shots: int, rng: np.random.Generator
) -> np.ndarray:
    """The ``shots``-shot estimate ``2 k / N − 1`` of each ⟨Z⟩, ``k ~ Binomial(N, (1+⟨Z⟩)/2)``.

    :param expectation: exact expectations in [−1, 1] (any shape).
    :param shots: shots per estimate (≥ 1); 0 returns the exact values.
    :param rng: the generator of the outcomes.
    :return: float64 estimates of the same shape.
    :raises ValueError: for negative shots.
    """
    m = np.asarray(expectation, dtype=np.float64)
    if shots < 0:
        raise ValueError(f"shots must be >= 0, got {shots}")
    if shots == 0:
        return m.copy()
    p = np.clip((1.0 + m) / 2.0, 0.0, 1.0)
    return 2.0 * rng.binomial(shots, p) / shots - 1.0


def shot_logits(expectation: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Logits ``5 m̂`` from ``shots``-shot estimates (:func:`estimate_expectation`).

    Example:
        >>> shot_logits(np.array([0.2]), 0, np.random.default_rng(0)).tolist()
        [1.0]
    """
    return LOGIT_SCALE * estimate_expectation(expectation, shots, rng)


class ShotNoisyQNN(QNN):
    """A :class:`~qmlr.core.qnn.QNN` whose training forward pass sees ``shots``-shot estimates.

    Where gradients are enabled (a training step) the forward pass returns ``5 m̂`` with the
    exact derivative of ``5 ⟨Z⟩`` (straight-through); under ``torch.no_grad`` (evaluation) it
    returns the exact logits, as the plain QNN does.

    :param n_qubits: qubits; ``depth``: layers; ``seeds``: one per member; ``dtype``: as
        :class:`~qmlr.core.qnn.QNN`.
    :param shots: shots per sample and forward pass (≥ 1).
    :param noise_seed: seed of the outcomes' generator.

    Example:
        >>> net = ShotNoisyQNN(3, 1, seeds=(0,), shots=10, noise_seed=0)
        >>> out = net(torch.eye(8)[:4])
        >>> bool(torch.all(torch.abs(out) <= 5.0)), out.requires_grad
        (True, True)
    """

    def __init__(
        self,
        n_qubits: int,
        depth: int,
        seeds: Sequence[int] = (0,),
        dtype: torch.dtype = torch.complex64,
        shots: int = 1000,
        noise_seed: int = 0,
    ) -> None:
        super().__init__(n_qubits, depth, seeds, dtype)
        if shots < 1:
            raise ValueError(f"shots must be >= 1, got {shots}")
        self.shots = int(shots)
        self.generator = torch.Generator().manual_seed(int(noise_seed))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.expectation(x)
        if not torch.is_grad_enabled():
            return LOGIT_SCALE * m
        p = ((1.0 + m.detach()) / 2.0).clamp(0.0, 1.0).to(torch.float64)
        count = torch.full_like(p, float(self.shots))
        k = torch.binomial(count, p, generator=self.generator)
        estimate = (2.0 * k / self.shots - 1.0).to(m.dtype)
        return LOGIT_SCALE * (m + (estimate - m).detach())
