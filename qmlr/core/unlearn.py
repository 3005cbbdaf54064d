"""Machine unlearning: five methods, each one small loss function over one shared loop.

After label flipping, the *forget set* D_f holds the flipped samples with their poisoned labels
and the *retain set* D_r the rest with their clean labels. The poisoned model is the *teacher*
(a frozen copy) and, except for Retrain, the student's starting point. Every method is a frozen
dataclass whose fields are its loss weights (defaults = the paper's SI IV.C values) and whose
``loss`` maps the logits of one update to one loss per ensemble member:

=================  ===========================================================================
``retrain``        fresh initialization; ``ce · CE(D_r)``
``finetune``       from the teacher; ``ce · CE(D_r)``
``scrub``          the paper's single weighted loss
                   ``λ_ce · CE(D_r) + λ_kl · KL(D_r) − λ_fo · KL(D_f)``, (λ_ce, λ_kl, λ_fo) =
                   (1, 0, 0.2)
``grad_asc``       ``ce · CE(D_r) − β · CE(D_f, poisoned labels)``, β = 0.2
``scrub_kurmanji`` SCRUB as published (Kurmanji et al., NeurIPS 2023): a *max-step* on D_f
                   (maximize the teacher–student divergence) at the start of each of the first
                   ``max_steps`` steps, then min-steps on D_r minimizing
                   ``γ · CE(D_r) + α · T² · KL_T(D_r)``
=================  ===========================================================================

``KL`` is the Bernoulli KL divergence ``KL(teacher ‖ student)`` between the two predicted
probabilities ``σ(logit)``, averaged over the samples; ``KL_T`` uses the temperature-softened
probabilities ``σ(logit / T)`` (for a binary classifier this is exactly the softmax KL of the
reference SCRUB applied to the logit pair ``(0, z)``). CE is the binary cross-entropy.

The shared loop :func:`unlearn` runs ``steps`` unlearning steps with a fresh Adam optimizer;
one step is one full epoch over the retain set in minibatches of ``batch_size`` (each member in
its own seeded order); every forget-set term uses the whole forget set in every update. It
records, at steps 0 … ``steps`` (step 0 = before any update), the metrics of :data:`METRICS`.
Models carry a leading ensemble dimension ``E`` (members independent, the loss is the sum over
members of each member's mean loss, as in :mod:`qmlr.core.train`).

Example:
    >>> import torch
    >>> from qmlr.core.mlp import MLP
    >>> from qmlr.core.unlearn import Finetune, unlearn
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(1, 12, 3, generator=g); y = (x[..., 0] > 0).long()
    >>> poisoned = MLP(3, (4,), seeds=(0,))
    >>> run = unlearn(poisoned, poisoned, Finetune(), (x[:, :8], y[:, :8]),
    ...               (x[:, 8:], 1 - y[:, 8:]), (x[0], y[0]), steps=3, lr=0.01, seeds=(0,))
    >>> run.curves["forget_accuracy"].shape
    (1, 4)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import torch

from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.core.train import adam, minibatch_orders, per_member_bce
from qmlr.core.unlearn_catalog import (  # noqa: F401 (re-exported)
    METHOD_LABELS,
    METHODS,
    METRICS,
    FinetuneWeights,
    GradAscWeights,
    RetrainWeights,
    ScrubKurmanjiWeights,
    ScrubWeights,
    check_method,
)

# --------------------------------------------------------------------------------------------
# Loss terms
# --------------------------------------------------------------------------------------------


def bernoulli_kl(
    teacher_logits: torch.Tensor, student_logits: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Element-wise ``KL(Bern(p) ‖ Bern(q))`` with ``p = σ(t / T)``, ``q = σ(s / T)``.

    ``KL = p log(p / q) + (1 − p) log((1 − p) / (1 − q))``, computed as the difference of two
    binary cross-entropies with logits, ``H(p, q) − H(p, p)``: stable for confident logits, exactly
    0 where the logits are equal, and with the exact gradient ``(q − p) / T`` with respect to the
    student's logit — so at student = teacher the gradient is exactly zero rather than rounding
    noise (which Adam's normalization would otherwise turn into full-size random steps).

    :param teacher_logits: logits of the reference distribution, any shape.
    :param student_logits: logits of the student, same shape.
    :param temperature: softening ``T > 0`` (1 = the plain Bernoulli KL).
    :return: the divergence of every element (no reduction, no ``T²`` factor).

    Example:
        >>> bernoulli_kl(torch.tensor([0.0]), torch.tensor([0.0]))
        tensor([0.])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    if teacher_logits.shape != student_logits.shape:
        raise ValueError(
            f"teacher and student logits differ in shape: {tuple(teacher_logits.shape)} vs "
            f"{tuple(student_logits.shape)}"
        )
    t, s = teacher_logits / temperature, student_logits / temperature
    p = torch.sigmoid(t)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    return bce(s, p, reduction="none") - bce(t, p, reduction="none")


def mean_kl(
    teacher_logits: torch.Tensor, student_logits: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Per-member mean Bernoulli KL over the samples: (E, B) × (E, B) → (E,)."""
    return bernoulli_kl(teacher_logits, student_logits, temperature).mean(dim=-1)


@dataclass(frozen=True)
class Logits:
    """What a loss sees in one update; every tensor has a leading ensemble dimension ``E``.

    :param retain: student logits on the retain minibatch, (E, B); ``None`` in a max-step.
    :param retain_labels: clean labels of the minibatch, (E, B).
    :param teacher_retain: teacher logits on the same minibatch, (E, B).
    :param forget: student logits on the whole forget set, (E, F), or ``None`` where the method
        does not use the forget set in this update.
    :param forget_labels: poisoned labels of the forget set, (E, F).
    :param teacher_forget: teacher logits on the forget set, (E, F).
    """

    retain: torch.Tensor | None
    retain_labels: torch.Tensor | None
    teacher_retain: torch.Tensor | None
    forget: torch.Tensor | None
    forget_labels: torch.Tensor | None
    teacher_forget: torch.Tensor | None


# --------------------------------------------------------------------------------------------
# The methods
# --------------------------------------------------------------------------------------------


class Method(Protocol):
    """An unlearning method: flags for the shared loop and one loss function.

    ``fresh_init``: start from a fresh initialization instead of the teacher.
    ``uses_forget``: the (min-step) loss reads the student's logits on the forget set.
    ``max_steps``: the first ``max_steps`` steps each begin with one update minimizing
    ``max_loss`` on the forget set (only SCRUB as published; 0 elsewhere).
    """

    name: ClassVar[str]
    fresh_init: ClassVar[bool]
    max_steps: int

    @property
    def uses_forget(self) -> bool: ...

    def loss(self, out: Logits) -> torch.Tensor: ...

    def max_loss(self, out: Logits) -> torch.Tensor: ...

    def params(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Retrain(RetrainWeights):
    """:class:`~qmlr.core.unlearn_catalog.RetrainWeights` and its loss."""

    def loss(self, out: Logits) -> torch.Tensor:
        return self.ce * per_member_bce(out.retain, out.retain_labels)


@dataclass(frozen=True)
class Finetune(FinetuneWeights):
    """:class:`~qmlr.core.unlearn_catalog.FinetuneWeights` and its loss."""

    def loss(self, out: Logits) -> torch.Tensor:
        return self.ce * per_member_bce(out.retain, out.retain_labels)


@dataclass(frozen=True)
class Scrub(ScrubWeights):
    """:class:`~qmlr.core.unlearn_catalog.ScrubWeights` and its loss."""

    def loss(self, out: Logits) -> torch.Tensor:
        total = self.ce * per_member_bce(out.retain, out.retain_labels)
        if self.kl != 0.0:
            total = total + self.kl * mean_kl(out.teacher_retain, out.retain)
        if self.fo != 0.0:
            total = total - self.fo * mean_kl(out.teacher_forget, out.forget)
        return total


@dataclass(frozen=True)
class GradAsc(GradAscWeights):
    """:class:`~qmlr.core.unlearn_catalog.GradAscWeights` and its loss."""

    def loss(self, out: Logits) -> torch.Tensor:
        total = self.ce * per_member_bce(out.retain, out.retain_labels)
        if self.beta != 0.0:
            total = total - self.beta * per_member_bce(out.forget, out.forget_labels)
        return total


@dataclass(frozen=True)
class ScrubKurmanji(ScrubKurmanjiWeights):
    """:class:`~qmlr.core.unlearn_catalog.ScrubKurmanjiWeights` and its loss."""

    def loss(self, out: Logits) -> torch.Tensor:
        scale = self.temperature**2
        return self.gamma * per_member_bce(
            out.retain, out.retain_labels
        ) + self.alpha * scale * mean_kl(out.teacher_retain, out.retain, self.temperature)

    def max_loss(self, out: Logits) -> torch.Tensor:
        scale = self.temperature**2
        return -scale * mean_kl(out.teacher_forget, out.forget, self.temperature)


_METHOD_TYPES = {cls.name: cls for cls in (Retrain, Finetune, Scrub, GradAsc, ScrubKurmanji)}


def get_method(name: str) -> Method:
    """The method ``name`` with its default (SI) weights; unknown names raise ``ValueError``.

    Example:
        >>> get_method("scrub")
        Scrub(ce=1.0, kl=0.0, fo=0.2)
    """
    return _METHOD_TYPES[check_method(name)]()


# --------------------------------------------------------------------------------------------
# The shared loop
# --------------------------------------------------------------------------------------------


def fresh_like(model: torch.nn.Module, seeds: Sequence[int]) -> torch.nn.Module:
    """A freshly initialized model of the same architecture and dtype, one member per seed.

    :param model: a :class:`~qmlr.core.mlp.MLP` or :class:`~qmlr.core.qnn.QNN` ensemble, or a module
        with a ``reinitialized(seeds)`` method (the classical controls of :mod:`qmlr.core.models`).
    :param seeds: initialization seeds.
    :return: the new model.
    """
    if hasattr(model, "reinitialized"):
        return model.reinitialized(tuple(seeds))

    if isinstance(model, MLP):
        return MLP(model.in_features, model.hidden, seeds=tuple(seeds), dtype=model.dtype)
    if isinstance(model, QNN):
        return QNN(model.n_qubits, model.depth, seeds=tuple(seeds), dtype=model.dtype)
    raise ValueError(f"cannot re-initialize a {type(model).__name__}; expected an MLP or a QNN")


@dataclass(frozen=True)
class UnlearningRun:
    """What one method's run measured, and the unlearned model.

    :param method: the method's parameters (:meth:`Method.params`).
    :param curves: metric name → array of shape (E, steps + 1), float64 (see :data:`METRICS`).
    :param model: the student after the last step.
    :param updates_per_step: optimizer updates per step on the retain set.
    """

    method: dict[str, Any]
    curves: dict[str, np.ndarray]
    model: torch.nn.Module
    updates_per_step: int


@torch.no_grad()
def _evaluate(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Per-member accuracy and mean BCE of ``model`` on (x, y)."""
    n = x.shape[-2]
    hits, bce = None, None
    for start in range(0, n, chunk):
        logits = model(x[..., start : start + chunk, :])
        labels = y[..., start : start + chunk]
        h = ((logits > 0).long() == labels).to(torch.float64).sum(dim=-1)
        b = (
            torch.nn.functional.binary_cross_entropy_with_logits(
                logits, labels.expand_as(logits).to(logits.dtype), reduction="none"
            )
            .to(torch.float64)
            .sum(dim=-1)
        )
        hits, bce = (h, b) if hits is None else (hits + h, bce + b)
    return (hits / n).numpy(), (bce / n).numpy()


def _check_set(name: str, pair: tuple[torch.Tensor, torch.Tensor], members: int | None) -> None:
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise ValueError(f"{name} must be a pair (x, y)")
    x, y = pair
    if x.dim() != 3 or y.dim() != 2 or tuple(y.shape) != tuple(x.shape[:2]):
        raise ValueError(
            f"{name} must be x (E, N, D) and y (E, N); got {tuple(x.shape)}, {tuple(y.shape)}"
        )
    if members is not None and x.shape[0] != members:
        raise ValueError(f"{name} has ensemble size {x.shape[0]}, expected {members}")
    if x.shape[1] == 0:
        raise ValueError(f"{name} is empty")
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError(f"{name} labels must be 0 or 1")


def _check_inputs(
    method: Method,
    retain: tuple[torch.Tensor, torch.Tensor],
    forget: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    seeds: Sequence[int],
    steps: int,
    lr: float,
    batch_size: int | None,
) -> int:
    """Validate :func:`unlearn`'s arguments; return the number of ensemble members."""
    for name in ("fresh_init", "max_steps", "loss", "params"):
        if not hasattr(method, name):
            raise ValueError(f"{method!r} is not an unlearning method (missing {name!r})")
    _check_set("retain", retain, None)
    members = retain[0].shape[0]
    _check_set("forget", forget, members)
    x_v, y_v = val
    if x_v.dim() not in (2, 3) or y_v.shape != x_v.shape[:-1]:
        raise ValueError(
            f"val must be x (V, D) or (E, V, D) with matching y; got {tuple(x_v.shape)}, "
            f"{tuple(y_v.shape)}"
        )
    if retain[0].shape[-1] != forget[0].shape[-1] or x_v.shape[-1] != retain[0].shape[-1]:
        raise ValueError("retain, forget and val must have the same feature dimension")
    if len(seeds) != members:
        raise ValueError(f"{len(seeds)} seeds for {members} ensemble members")
    if steps < 0 or not lr > 0 or (batch_size is not None and batch_size < 1):
        raise ValueError(
            f"need steps >= 0, lr > 0 and batch_size >= 1 or None; got steps={steps}, "
            f"lr={lr}, batch_size={batch_size}"
        )

    return members


def _update(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimizer step on the summed per-member losses."""
    optimizer.zero_grad(set_to_none=True)
    loss.sum().backward()
    optimizer.step()


def _record(
    curves: dict[str, np.ndarray],
    step: int,
    student: torch.nn.Module,
    retain: tuple[torch.Tensor, torch.Tensor],
    forget: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
) -> None:
    """Write every metric of :data:`METRICS` at ``step`` into ``curves``."""
    n_r, n_f = retain[1].shape[1], forget[1].shape[1]
    curves["val_accuracy"][:, step] = _evaluate(student, *val)[0]
    acc_r, _ = _evaluate(student, *retain)
    acc_f, loss_f = _evaluate(student, *forget)
    curves["retain_accuracy"][:, step] = acc_r
    curves["forget_accuracy"][:, step] = acc_f
    curves["forget_loss"][:, step] = loss_f
    curves["train_accuracy"][:, step] = (n_r * acc_r + n_f * acc_f) / (n_r + n_f)


def unlearn(
    model: torch.nn.Module,
    teacher: torch.nn.Module,
    method: Method,
    retain: tuple[torch.Tensor, torch.Tensor],
    forget: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    steps: int = 50,
    lr: float = 0.001,
    batch_size: int | None = None,
    seeds: Sequence[int] = (0,),
    init_seeds: Sequence[int] | None = None,
) -> UnlearningRun:
    """Run one unlearning method and record its metrics at every step.

    Neither ``model`` nor ``teacher`` is modified: the student is a copy of ``model`` (or, for a
    method with ``fresh_init``, a fresh model of the same architecture seeded by
    ``init_seeds``), the teacher a frozen copy of ``teacher`` whose logits on D_r and D_f are
    computed once. A fresh Adam optimizer is created for every call.

    :param model: the starting point (the poisoned model), an ensemble of ``E`` members.
    :param teacher: the frozen reference of the divergence terms (the poisoned model).
    :param method: an unlearning method, e.g. :class:`Scrub` or ``get_method("scrub")``.
    :param retain: (x, y) of D_r with clean labels, shapes (E, R, D) and (E, R).
    :param forget: (x, y) of D_f with its poisoned labels, shapes (E, F, D) and (E, F).
    :param val: clean validation (x, y), shapes (V, D) and (V,) or with a leading E.
    :param steps: unlearning steps (full epochs over D_r).
    :param lr: Adam learning rate.
    :param batch_size: retain minibatch size; ``None`` (or ≥ R) = the whole retain set, one
        update per step.
    :param seeds: one minibatch-order seed per member.
    :param init_seeds: seeds of the fresh initialization (``fresh_init`` methods; default
        ``seeds``).
    :return: the curves and the unlearned model.
    """
    members = _check_inputs(method, retain, forget, val, seeds, steps, lr, batch_size)
    x_r, y_r = retain
    x_f, y_f = forget
    n_r = y_r.shape[1]
    frozen = copy.deepcopy(teacher).requires_grad_(False)
    if method.fresh_init:
        student = fresh_like(model, seeds if init_seeds is None else init_seeds)
    else:
        student = copy.deepcopy(model)
    student.requires_grad_(True)
    with torch.no_grad():
        t_r, t_f = frozen(x_r), frozen(x_f)
    if t_r.shape[0] != members:
        raise ValueError(f"the teacher has {t_r.shape[0]} members, the data {members}")
    optimizer = adam(student.parameters(), lr=lr, fused=False)
    size = n_r if batch_size is None else min(batch_size, n_r)
    orders = minibatch_orders(n_r, steps, seeds)
    rows = torch.arange(members)[:, None]
    curves = {m: np.zeros((members, steps + 1)) for m in METRICS}

    _record(curves, 0, student, retain, forget, val)
    for step in range(1, steps + 1):
        if step <= method.max_steps:
            _update(optimizer, method.max_loss(Logits(None, None, None, student(x_f), y_f, t_f)))
        for start in range(0, n_r, size):
            idx = orders[step - 1, :, start : start + size]
            out = Logits(
                retain=student(x_r[rows, idx]),
                retain_labels=y_r[rows, idx],
                teacher_retain=t_r[rows, idx],
                forget=student(x_f) if method.uses_forget else None,
                forget_labels=y_f,
                teacher_forget=t_f,
            )
            _update(optimizer, method.loss(out))
        _record(curves, step, student, retain, forget, val)
    return UnlearningRun(
        method=method.params(),
        curves=curves,
        model=student,
        updates_per_step=-(-n_r // size),
    )
