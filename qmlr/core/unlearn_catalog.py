"""The unlearning methods by name, with their weights, and what the loop records (torch-free).

Each method of :mod:`qmlr.core.unlearn` is its weights class here (the fields, their SI
defaults, the flags of the shared loop) plus its loss; the studies and the book read names,
weights and flags from here, so reading stored unlearning results needs no torch.

Example:
    >>> METHODS[0], METHOD_LABELS["grad_asc"], method_weights("scrub")
    ('retrain', 'Grad-Asc', ScrubWeights(ce=1.0, kl=0.0, fo=0.2))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

#: Names of the methods, in the order the book draws them.
METHODS = ("retrain", "finetune", "scrub", "grad_asc", "scrub_kurmanji")

#: Display names (the paper's spelling; the published SCRUB named so nobody confuses the two).
METHOD_LABELS = {
    "retrain": "Retrain",
    "finetune": "Finetune",
    "scrub": "Scrub (paper)",
    "grad_asc": "Grad-Asc",
    "scrub_kurmanji": "SCRUB (Kurmanji et al.)",
}

#: What :func:`qmlr.core.unlearn.unlearn` records at every step, each of shape (E, steps + 1):
#:
#: - ``val_accuracy``: accuracy on the clean validation set;
#: - ``retain_accuracy``: accuracy on D_r against its clean labels;
#: - ``forget_accuracy``: accuracy on D_f against its *poisoned* labels (SI §III; 1 = the poison
#:   is still reproduced, 0 = those samples are classified by their true features);
#: - ``train_accuracy``: accuracy on the whole poisoned training set D_r ∪ D_f with the labels the
#:   model was trained on (clean on D_r, poisoned on D_f) — the "train accuracy" of the resilience
#:   sweeps, i.e. ``(|D_r| · retain_accuracy + |D_f| · forget_accuracy) / (|D_r| + |D_f|)``;
#: - ``forget_loss``: mean binary cross-entropy on D_f against its poisoned labels.
METRICS = ("val_accuracy", "retain_accuracy", "forget_accuracy", "train_accuracy", "forget_loss")


def check_method(name: str) -> str:
    """``name`` if it names an unlearning method; ``ValueError`` listing the methods otherwise.

    :param name: a method's name.
    :return: the name.

    Example:
        >>> check_method("forget")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown unlearning method 'forget'; choose from ('retrain', ...)
    """
    if name not in METHODS:
        raise ValueError(f"unknown unlearning method {name!r}; choose from {METHODS}")
    return name


class MethodWeights:
    """Defaults shared by the methods: no forget set, no max-steps.

    ``fresh_init``: start from a fresh initialization instead of the teacher.
    ``uses_forget``: the (min-step) loss reads the student's logits on the forget set.
    ``max_steps``: the first ``max_steps`` steps each begin with one max-step on the forget set
    (only SCRUB as published; 0 elsewhere).
    """

    name: ClassVar[str] = ""
    fresh_init: ClassVar[bool] = False
    max_steps: int = 0

    @property
    def uses_forget(self) -> bool:
        """Whether the min-step loss reads the forget set."""
        return False

    def params(self) -> dict[str, Any]:
        """The method's name and weights (for provenance)."""
        return {"method": self.name, **asdict(self)}  # type: ignore[call-overload]


@dataclass(frozen=True)
class RetrainWeights(MethodWeights):
    """Train a freshly initialized model on the retain set: ``ce · CE(D_r)``.

    :param ce: weight of the retain cross-entropy (SI: 1).

    Example:
        >>> RetrainWeights().fresh_init
        True
    """

    name: ClassVar[str] = "retrain"
    fresh_init: ClassVar[bool] = True
    ce: float = 1.0


@dataclass(frozen=True)
class FinetuneWeights(MethodWeights):
    """Keep training the poisoned model on the retain set: ``ce · CE(D_r)``.

    :param ce: weight of the retain cross-entropy (SI: 1).
    """

    name: ClassVar[str] = "finetune"
    ce: float = 1.0


@dataclass(frozen=True)
class ScrubWeights(MethodWeights):
    """The paper's "Scrub": ``λ_ce · CE(D_r) + λ_kl · KL(D_r) − λ_fo · KL(D_f)``.

    ``KL(D) = mean over D of KL(teacher ‖ student)`` (Bernoulli). With the SI's weights the
    retain KL is off and the forget term pushes the student's predictions on D_f away from the
    poisoned teacher's.

    :param ce: λ_ce (SI: 1).
    :param kl: λ_kl (SI: 0).
    :param fo: λ_fo (SI: 0.2).
    """

    name: ClassVar[str] = "scrub"
    ce: float = 1.0
    kl: float = 0.0
    fo: float = 0.2

    @property
    def uses_forget(self) -> bool:
        return self.fo != 0.0


@dataclass(frozen=True)
class GradAscWeights(MethodWeights):
    """Gradient ascent on the poison: ``ce · CE(D_r) − β · CE(D_f, poisoned labels)``.

    :param ce: weight of the retain cross-entropy (SI: 1).
    :param beta: β, weight of the ascent term (SI: 0.2).
    """

    name: ClassVar[str] = "grad_asc"
    ce: float = 1.0
    beta: float = 0.2

    @property
    def uses_forget(self) -> bool:
        return self.beta != 0.0


@dataclass(frozen=True)
class ScrubKurmanjiWeights(MethodWeights):
    """SCRUB as published by Kurmanji et al. (NeurIPS 2023): alternating max- and min-steps.

    Each of the first ``max_steps`` unlearning steps begins with one *max-step* on the whole
    forget set, minimizing ``−T² · KL_T(D_f)`` (i.e. maximizing the teacher–student divergence
    there); every step then makes its min-steps on the retain set with
    ``γ · CE(D_r) + α · T² · KL_T(D_r)``. ``KL_T`` is the Bernoulli KL of the
    temperature-softened probabilities ``σ(z / T)`` and the ``T²`` factor is the usual
    distillation scaling. The optimizer (one Adam) is shared by both kinds of step, as in the
    reference implementation.

    Hyperparameters. ``γ = 0.99``, ``α = 0.001`` and ``T = 4`` are the reference
    implementation's defaults. The published method stops the max-steps after a few epochs
    (its ``msteps``) because the divergence is unbounded; its values are tuned per benchmark,
    so this project chose ``max_steps = 5`` (the first tenth of the 50 steps). At step 1 the
    student equals the teacher, where the divergence and its gradient vanish exactly (see
    :func:`bernoulli_kl`), so the first max-step is a no-op: the ascent starts to act once the
    min-steps have moved the student.

    :param gamma: γ, weight of the retain cross-entropy.
    :param alpha: α, weight of the retain divergence.
    :param temperature: T.
    :param max_steps: number of initial steps that begin with a max-step.
    """

    name: ClassVar[str] = "scrub_kurmanji"
    gamma: float = 0.99
    alpha: float = 0.001
    temperature: float = 4.0
    max_steps: int = 5

    def __post_init__(self) -> None:
        if not self.temperature > 0 or self.max_steps < 0:
            raise ValueError(f"invalid SCRUB hyperparameters {self}")


#: Every method's weights class, by name.
METHOD_WEIGHTS: dict[str, type[MethodWeights]] = {
    cls.name: cls
    for cls in (RetrainWeights, FinetuneWeights, ScrubWeights, GradAscWeights, ScrubKurmanjiWeights)
}


def method_weights(name: str) -> MethodWeights:
    """The weights of method ``name`` at their SI defaults (its loss is in
    :func:`qmlr.core.unlearn.get_method`'s object).

    :param name: a method's name.
    :return: the weights.
    :raises ValueError: for an unknown method.

    Example:
        >>> method_weights("scrub_kurmanji").max_steps, method_weights("retrain").fresh_init
        (5, True)
    """
    return METHOD_WEIGHTS[check_method(name)]()
