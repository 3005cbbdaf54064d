"""Numeric forms of the minimal models (float64 numpy, from sympy) and two independent references.

:func:`numeric_model` returns vectorised loss, gradient, Hessian and Term A / Term B functions
lambdified from overflow-safe forms that :mod:`qmlr.core.analytic.symbolic` proves equal to the
derived expressions; :func:`autograd_hessian` (torch, double precision) and
:func:`finite_difference_hessian` are the references they are checked against.

Example:
    >>> import numpy as np
    >>> h = numeric_model("mlp").hessian(np.array([1.0]), np.array([0.0]), np.array([1.0]))
    >>> float(h[0])
    0.25
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from qmlr.core.analytic.symbolic import (
    _LAMBDIFY_MODULES,
    Model,
    _check_model,
    _numeric_forms,
    theta,
    x,
    y,
)


def _as_inputs(xv: ArrayLike, tv: ArrayLike, yv: ArrayLike) -> tuple[np.ndarray, ...]:
    xa, ta, ya = np.broadcast_arrays(
        np.asarray(xv, dtype=np.float64),
        np.asarray(tv, dtype=np.float64),
        np.asarray(yv, dtype=np.float64),
    )
    if not np.all((ya == 0.0) | (ya == 1.0)):
        raise ValueError("labels y must be 0 or 1")
    return xa, ta, ya


def _vectorised(fn: Callable[..., object], name: str) -> Callable[..., np.ndarray]:
    def wrapped(xv: ArrayLike, tv: ArrayLike, yv: ArrayLike) -> np.ndarray:
        xa, ta, ya = _as_inputs(xv, tv, yv)
        out = np.asarray(fn(xa, ta, ya), dtype=np.float64)
        return np.broadcast_to(out, xa.shape).copy()

    wrapped.__name__ = name
    wrapped.__doc__ = f"{name}(x, theta, y): float64, broadcast over the three arguments."
    return wrapped


@dataclass(frozen=True)
class NumericModel:
    """Vectorised float64 numpy functions ``f(x, theta, y)`` of one minimal model.

    All five broadcast their arguments, require ``y`` in {0, 1} and return arrays of the
    broadcast shape.  ``hessian == term_a - term_b``.
    """

    name: Model
    loss: Callable[..., np.ndarray] = field(repr=False)
    gradient: Callable[..., np.ndarray] = field(repr=False)
    hessian: Callable[..., np.ndarray] = field(repr=False)
    term_a: Callable[..., np.ndarray] = field(repr=False)
    term_b: Callable[..., np.ndarray] = field(repr=False)


@functools.cache
def numeric_model(model: Model) -> NumericModel:
    """Lambdify the (proven) loss, gradient, Hessian and Terms A/B of a model.

    The expressions are the overflow-safe forms checked against the ``sympy.diff`` results by
    :func:`identity_checks` (``"numeric form"`` rows): ``1 - p`` is evaluated as
    ``sigmoid(-z)`` with :func:`scipy.special.expit`, the loss as softplus terms with
    :func:`numpy.logaddexp`, so no value overflows for any finite ``theta * x``.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: a :class:`NumericModel`.

    Example:
        >>> m = numeric_model("mlp")
        >>> float(m.hessian(2.0, 0.0, 1))
        1.0
        >>> m.loss([0.5, -0.5], 1.0, 0).shape
        (2,)
    """
    model = _check_model(model)
    forms = _numeric_forms(model)
    fns = {
        name: _vectorised(sp.lambdify((x, theta, y), expr, modules=_LAMBDIFY_MODULES), name)
        for name, expr in forms.items()
    }
    return NumericModel(name=model, **fns)


def _torch_logit(model: Model, xt: object, tt: object) -> object:
    import torch

    if model == "mlp":
        return tt * xt
    return torch.cos(torch.pi * xt + tt)


def autograd_hessian(model: Model, xv: ArrayLike, tv: ArrayLike, yv: ArrayLike) -> np.ndarray:
    """``d^2L/dtheta^2`` by torch autograd (float64, two ``torch.autograd.grad`` calls).

    The loss is :func:`torch.nn.functional.binary_cross_entropy_with_logits`; every point
    carries its own ``theta``, so the gradient of the summed loss is the per-point gradient
    and differentiating its sum again gives the per-point second derivative.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param xv: features; broadcast with ``tv`` and ``yv``.
    :param tv: parameter values.
    :param yv: labels in {0, 1}.
    :return: float64 array of the broadcast shape.

    Example:
        >>> float(autograd_hessian("mlp", 2.0, 0.0, 1))
        1.0
    """
    import torch

    model = _check_model(model)
    xa, ta, ya = _as_inputs(xv, tv, yv)
    xt = torch.as_tensor(xa, dtype=torch.float64)
    yt = torch.as_tensor(ya, dtype=torch.float64)
    tt = torch.tensor(ta, dtype=torch.float64, requires_grad=True)
    z = _torch_logit(model, xt, tt)
    total = torch.nn.functional.binary_cross_entropy_with_logits(z, yt, reduction="sum")
    (g,) = torch.autograd.grad(total, tt, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), tt)
    return h.detach().numpy().astype(np.float64)


def misclassified(model: Model, xv: ArrayLike, tv: ArrayLike, yv: ArrayLike) -> np.ndarray:
    """Whether the model's prediction (``1`` iff ``z > 0``) disagrees with the label.

    A training point whose label was flipped is, at a good parameter, exactly such a point:
    the model "identifies it as an outlier" in the SI's words.  Points with ``z == 0`` count
    as correctly classified.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param xv: features.
    :param tv: parameter values.
    :param yv: labels in {0, 1}.
    :return: boolean array of the broadcast shape.

    Example:
        >>> misclassified("qnn", 0.0, 0.0, [0, 1]).tolist()   # z = cos 0 = 1: predicts 1
        [True, False]
    """
    xa, ta, ya = _as_inputs(xv, tv, yv)
    z = ta * xa if _check_model(model) == "mlp" else np.cos(np.pi * xa + ta)
    return np.where(ya == 1.0, z < 0.0, z > 0.0)


#: Step of the 5-point finite-difference stencil (:func:`finite_difference_hessian`).
FD_STEP = 5e-3


def finite_difference_hessian(
    model: Model, xv: ArrayLike, tv: ArrayLike, yv: ArrayLike, h: float = FD_STEP
) -> np.ndarray:
    """``d^2L/dtheta^2`` by the 5-point central stencil on the lambdified loss.

    ``(-L(t+2h) + 16 L(t+h) - 30 L(t) + 16 L(t-h) - L(t-2h)) / (12 h^2)``: truncation error
    ``h^4 |L^(6)| / 90``, rounding error about ``5 eps |L| / h^2``; the default :data:`FD_STEP`
    balances the two at about ``1e-10`` for the minimal models' O(1) losses.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param xv: features.
    :param tv: parameter values.
    :param yv: labels in {0, 1}.
    :param h: step, must be positive.
    :return: float64 array of the broadcast shape.
    :raises ValueError: if ``h <= 0``.

    Example:
        >>> round(float(finite_difference_hessian("mlp", 2.0, 0.0, 1)), 8)
        1.0
    """
    if not h > 0:
        raise ValueError(f"step h must be positive, got {h}")
    f = numeric_model(model).loss
    xa, ta, ya = _as_inputs(xv, tv, yv)
    stencil = {-2: -1.0, -1: 16.0, 0: -30.0, 1: 16.0, 2: -1.0}
    acc = sum(c * f(xa, ta + k * h, ya) for k, c in stencil.items())
    return acc / (12.0 * h * h)
