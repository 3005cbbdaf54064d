"""Training-time input augmentation: a fresh random global phase per sample and epoch.

A quantum state's global phase carries no physical information, but an MLP reading a state's
``[Re ψ, Im ψ]`` sees it. :class:`PhaseAugmentation` multiplies every training state by
:math:`e^{i\\varphi}` with a new :math:`\\varphi \\sim U[0, 2\\pi)` for every sample, member and
epoch, before the features reach the model; on the real features ``[Re ψ, Im ψ]`` this is the
rotation ``[cos φ Re − sin φ Im, sin φ Re + cos φ Im]`` of each amplitude, which keeps every
amplitude's modulus. The angles of an epoch are a pure function of the member's seed and the
epoch index, so a run is reproducible and independent of how often the hook is called.
:func:`qmlr.core.train.fit` applies it through its ``augment`` hook; validation inputs are
never augmented.

Example:
    >>> import torch
    >>> aug = PhaseAugmentation(seeds=(3,))
    >>> x = torch.tensor([[[1.0, 0.0]]])  # one member, one sample, the state (1,): [Re, Im]
    >>> z = aug(0, x)
    >>> round(float(z.square().sum()), 6)
    1.0
    >>> torch.equal(aug(0, x), z), torch.equal(aug(1, x), z)
    (True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

# the augmentations' names live with TrainConfig (torch-free); importable from here as before
from qmlr.core.train_config import AUGMENTATIONS


def phase_angles(seeds: Sequence[int], epoch: int, n: int) -> np.ndarray:
    """The random global phases of one epoch: ``n`` angles per member, uniform on [0, 2π).

    Member ``e``'s angles come from ``np.random.default_rng([seeds[e], epoch])``: a pure
    function of its seed and the epoch.

    :param seeds: one non-negative seed per member.
    :param epoch: the epoch index (≥ 0).
    :param n: samples per member.
    :return: float64 array ``(E, n)``.
    :raises ValueError: for a negative epoch or sample count.

    Example:
        >>> a = phase_angles((0, 1), 0, 4)
        >>> a.shape, bool(((a >= 0) & (a < 2 * np.pi)).all())
        ((2, 4), True)
    """
    if epoch < 0 or n < 0:
        raise ValueError(f"epoch and n must be non-negative, got {epoch} and {n}")
    return np.stack(
        [np.random.default_rng([int(s), int(epoch)]).uniform(0.0, 2.0 * np.pi, n) for s in seeds]
    ).reshape(len(seeds), n)


def rotate_phase(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Multiply each state by :math:`e^{i\\varphi}`, on complex amplitudes or on real
    ``[Re ψ, Im ψ]`` features (:func:`qmlr.core.data.mlp_features`).

    :param x: complex states ``(..., D)`` or real features ``(..., 2D)``.
    :param angles: one angle per state, shape ``x.shape[:-1]``.
    :return: the rotated states, of ``x``'s shape and dtype.
    :raises ValueError: for mismatched shapes or real features of odd width.

    Example:
        >>> x = torch.tensor([[3.0, 1.0, 0.0, 4.0]])  # the state (3, 1 + 4i) as [Re, Im]
        >>> z = rotate_phase(x, torch.tensor([np.pi / 2]))  # times i: (3i, −4 + i)
        >>> torch.allclose(z, torch.tensor([[0.0, -4.0, 3.0, 1.0]]), atol=1e-6)
        True
    """
    if angles.shape != x.shape[:-1]:
        raise ValueError(f"angles {tuple(angles.shape)} do not match states {tuple(x.shape)}")
    angles = angles.to(torch.float64)
    if x.is_complex():
        return x * torch.polar(torch.ones_like(angles), angles).to(x.dtype)[..., None]
    if x.shape[-1] % 2:
        raise ValueError(f"[Re, Im] features need an even width, got {x.shape[-1]}")
    re, im = x.chunk(2, dim=-1)
    cos, sin = (f(angles).to(x.dtype)[..., None] for f in (torch.cos, torch.sin))
    return torch.cat([cos * re - sin * im, sin * re + cos * im], dim=-1)


@dataclass(frozen=True)
class PhaseAugmentation:
    """The ``augment`` hook of :func:`qmlr.core.train.fit` that draws a new global phase for
    every training sample of every member at every epoch (:func:`phase_angles`).

    :param seeds: one seed per ensemble member (its own phase stream).
    """

    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        if any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be non-negative, got {self.seeds}")

    def __call__(self, epoch: int, x: torch.Tensor) -> torch.Tensor:
        """The training inputs ``x`` ``(E, N, ·)`` of epoch ``epoch``, each state rotated.

        :raises ValueError: when ``x`` has another number of members than :attr:`seeds`.
        """
        if x.dim() != 3 or x.shape[0] != len(self.seeds):
            raise ValueError(f"expected ({len(self.seeds)}, N, D) inputs, got {tuple(x.shape)}")
        angles = torch.as_tensor(phase_angles(self.seeds, epoch, x.shape[1]))
        return rotate_phase(x, angles)


def input_augmentation(name: str, seeds: Sequence[int]) -> PhaseAugmentation | None:
    """The ``augment`` hook of :func:`qmlr.core.train.fit` for an augmentation name.

    :param name: a value of :data:`AUGMENTATIONS`.
    :param seeds: one seed per member.
    :return: ``None`` for ``"none"``, else the hook.
    :raises ValueError: for an unknown name.

    Example:
        >>> input_augmentation("none", (0,)) is None, input_augmentation("phase", (0,)).seeds
        (True, (0,))
    """
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose from {AUGMENTATIONS}")
    return None if name == "none" else PhaseAugmentation(tuple(seeds))
