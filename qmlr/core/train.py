"""One training loop for every model: an ensemble of independent members trained with Adam.

Every model in :mod:`qmlr.core.mlp` and :mod:`qmlr.core.qnn` carries a leading ensemble dimension
``E``. The loss is the sum over members of each member's mean binary cross-entropy, so member ``e``
receives exactly the gradient of its own loss; Adam acts element-wise, so training ``E`` members
together is the same computation as training each alone, only batched. Each member draws its
minibatch order from its own seed.

Example:
    >>> import torch
    >>> from qmlr.core.mlp import MLP
    >>> from qmlr.core.train import TrainConfig, fit
    >>> x = torch.randn(1, 8, 3); y = (x[..., 0] > 0).long()
    >>> config = TrainConfig(epochs=2, batch_size=4, lr=0.01)
    >>> hist = fit(MLP(3, (4,), seeds=(0,)), x, y, config, seeds=(0,))
    >>> hist.train_accuracy.shape
    (1,)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch

# TrainConfig and History live in a torch-free module (specs and stored results hold them)
from qmlr.core.train_config import History, TrainConfig  # noqa: F401 (re-exported)


def adam(
    params: Iterable[torch.nn.Parameter],
    lr: float,
    weight_decay: float = 0.0,
    fused: bool = True,
) -> torch.optim.Adam:
    """torch's Adam with its default betas and eps, as the single fused CPU kernel.

    The fused kernel updates all parameters in one pass; it trains the 8192-input XXZ MLPs about
    1.5× faster than the default per-tensor loop (``benchmarks/bench_training.py``), with the
    same update rule (results differ from the loop's only in float rounding).

    :param params: the parameters to optimize.
    :param lr: learning rate.
    :param weight_decay: L2 penalty coefficient, added to the gradient as ``weight_decay * w``
        (torch's Adam ``weight_decay``; 0, the default, is plain Adam).
    :param fused: ``False`` keeps torch's default per-tensor loop (the unlearning methods use it:
        their committed curves were computed with it).
    :return: the optimizer.

    Example:
        >>> opt = adam([torch.nn.Parameter(torch.zeros(3))], lr=0.01)
        >>> opt.defaults["fused"], opt.defaults["betas"]
        (True, (0.9, 0.999))
    """
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True if fused else None)


def per_member_bce(
    logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean binary cross-entropy of each ensemble member.

    :param logits: shape (E, B).
    :param labels: shape (E, B), values in {0, 1}.
    :param weights: optional per-sample weights, shape (E, B): the mean of ``weight · BCE``.
    :return: shape (E,).
    """
    losses = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, labels.to(logits.dtype), reduction="none"
    )
    if weights is not None:
        losses = losses * weights.to(losses.dtype)
    return losses.mean(dim=-1)


@torch.no_grad()
def accuracy(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 512
) -> np.ndarray:
    """Fraction of correct predictions (class 1 iff logit > 0) of each member, float64.

    :param model: an ensemble model.
    :param x: inputs, shape (E, N, D) or (N, D) shared by all members.
    :param y: labels, shape (E, N) or (N,).
    :param chunk: evaluate at most this many samples at once.
    :return: shape (E,).
    """
    n = x.shape[-2]
    correct = None
    for start in range(0, n, chunk):
        logits = model(x[..., start : start + chunk, :])
        labels = y[..., start : start + chunk]
        hits = ((logits > 0).long() == labels).to(torch.float64).sum(dim=-1)
        correct = hits if correct is None else correct + hits
    return (correct / n).cpu().numpy()


def minibatch_orders(n: int, epochs: int, seeds: Sequence[int]) -> torch.Tensor:
    """Each member's shuffled sample order for every epoch, from its own seed.

    :param n: training-set size.
    :param epochs: number of epochs.
    :param seeds: one seed per member.
    :return: int64 tensor of shape (epochs, E, n).
    """
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    orders = [torch.stack([torch.randperm(n, generator=g) for g in gens]) for _ in range(epochs)]
    return torch.stack(orders) if orders else torch.empty(0, len(seeds), n, dtype=torch.long)


def fit(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig,
    seeds: Sequence[int],
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    progress: bool = False,
    weight_decay: float = 0.0,
    on_epoch: Callable[[int], bool | None] | None = None,
    sample_weight: torch.Tensor | None = None,
    augment: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
) -> History:
    """Train every member of ``model`` on its own data with Adam and minibatch BCE.

    :param model: an ensemble model with ``E`` members, trained in place.
    :param x: training inputs, shape (E, N, D).
    :param y: training labels (possibly corrupted), shape (E, N).
    :param config: epochs, batch size, learning rate.
    :param seeds: one minibatch-order seed per member.
    :param x_val: clean validation inputs, (V, D) or (E, V, D).
    :param y_val: validation labels, (V,) or (E, V).
    :param progress: show a tqdm bar over epochs.
    :param weight_decay: Adam's L2 penalty (see :func:`adam`).
    :param on_epoch: called with the epoch index after each epoch; training stops after this
        epoch when it returns true (early stopping), and ``train_loss`` then ends there.
    :param sample_weight: optional per-sample loss weights, shape (E, N) (default: all 1): the
        minibatch loss is the mean of ``weight · BCE``.
    :param augment: optional hook ``(epoch, x) -> x`` giving each epoch's training inputs (of
        ``x``'s shape), e.g. :class:`qmlr.core.augment.PhaseAugmentation`; the minibatches of the
        epoch are drawn from its output. The final train accuracy is measured on ``x`` itself
        (the training set as given), the validation inputs are never augmented. ``None`` (the
        default) trains on ``x`` at every epoch. The hook is not read from ``config.augment``:
        the caller builds it with the seeds it chooses
        (:func:`qmlr.core.augment.input_augmentation`).
    :return: the :class:`History` of the run.
    """
    if x.dim() != 3 or y.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (E, N, D) and y (E, N); got {tuple(x.shape)}, {tuple(y.shape)}"
        )
    n_members, n = y.shape
    if len(seeds) != n_members:
        raise ValueError(f"{len(seeds)} seeds for {n_members} ensemble members")
    if sample_weight is not None and sample_weight.shape != y.shape:
        raise ValueError(f"sample_weight {tuple(sample_weight.shape)} != y {tuple(y.shape)}")
    optimizer = adam(model.parameters(), lr=config.lr, weight_decay=weight_decay)
    orders = minibatch_orders(n, config.epochs, seeds)
    members = torch.arange(n_members)[:, None]
    losses = np.zeros((n_members, config.epochs))
    epochs = range(config.epochs)
    if progress:
        from tqdm import tqdm

        epochs = tqdm(epochs, desc="epochs", leave=False)
    for epoch in epochs:
        batch_losses = []
        x_epoch = x if augment is None else augment(epoch, x)
        if x_epoch.shape != x.shape:
            raise ValueError(f"augment changed the inputs' shape to {tuple(x_epoch.shape)}")
        for start in range(0, n, config.batch_size):
            idx = orders[epoch, :, start : start + config.batch_size]
            weights = None if sample_weight is None else sample_weight[members, idx]
            loss = per_member_bce(model(x_epoch[members, idx]), y[members, idx], weights)
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            optimizer.step()
            batch_losses.append(loss.detach().to(torch.float64))
        losses[:, epoch] = torch.stack(batch_losses).mean(dim=0).numpy()
        if on_epoch is not None and on_epoch(epoch):
            losses = losses[:, : epoch + 1]
            break
    train_acc = accuracy(model, x, y)
    val_acc = (
        accuracy(model, x_val, y_val)
        if x_val is not None and y_val is not None
        else np.full(n_members, np.nan)
    )
    return History(train_accuracy=train_acc, val_accuracy=val_acc, train_loss=losses)
