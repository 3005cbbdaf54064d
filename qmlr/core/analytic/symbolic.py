"""The minimal models of SI §I, symbolically: losses, derivatives and the SI's printed formulas.

:func:`loss` builds the loss from its definition; :func:`derived_gradient` and
:func:`derived_hessian` differentiate it with :func:`sympy.diff`. Independently,
:func:`printed_gradient`, :func:`printed_hessian`, :func:`printed_term_a` and
:func:`printed_term_b` type in the results as the SI prints them, (S6), (S10), (S15), in terms of
a free symbol ``p``; :func:`identity_checks` / :func:`verify_si_identities` prove
``derived - printed(p = sigmoid(z)) == 0`` for symbolic ``y`` and for ``y = 0`` and ``y = 1``.

Example:
    >>> verify_si_identities(("mlp",))
    True
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp
from scipy import special

Model = Literal["mlp", "qnn"]
MODELS: tuple[Model, ...] = ("mlp", "qnn")

#: The scalar feature, the trainable parameter and the label of the minimal models.
x, theta, y = sp.symbols("x theta y", real=True)
#: The predicted probability as a free symbol: the SI's printed formulas are written in it.
p = sp.Symbol("p", real=True)

# Undefined functions used only by the numeric (lambdified) forms; they are mapped to
# overflow-safe numpy/scipy implementations and replaced by their definitions in proofs.
_sigmoid_fn = sp.Function("sigmoid")
_softplus_fn = sp.Function("softplus")
_LAMBDIFY_MODULES: list[object] = [
    {"sigmoid": special.expit, "softplus": lambda t: np.logaddexp(0.0, t)},
    "numpy",
]


def _check_model(model: str) -> Model:
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return model  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Symbolic layer
# --------------------------------------------------------------------------------------------


def sigmoid(z: sp.Expr) -> sp.Expr:
    """The logistic function as an explicit sympy expression, ``1 / (1 + exp(-z))``.

    :param z: a sympy expression (the logit).
    :return: ``1 / (1 + exp(-z))``.

    Example:
        >>> sigmoid(sp.Integer(0))
        1/2
    """
    return 1 / (1 + sp.exp(-z))


def logit(model: Model) -> sp.Expr:
    """The pre-activation ``z`` of a minimal model.

    :param model: ``"mlp"`` (``z = theta x``) or ``"qnn"`` (``z = cos(pi x + theta)``, S4).
    :return: the logit as a sympy expression in :data:`x` and :data:`theta`.
    :raises ValueError: for an unknown model name.

    Example:
        >>> logit("mlp")
        theta*x
        >>> logit("qnn")
        cos(theta + pi*x)
    """
    if _check_model(model) == "mlp":
        return theta * x
    return sp.cos(sp.pi * x + theta)


def loss_in_p() -> sp.Expr:
    """Binary cross-entropy in the probability symbol :data:`p`, (S1)/(S5).

    :return: ``-(y log p + (1 - y) log(1 - p))``.

    Example:
        >>> sp.simplify(sp.diff(loss_in_p(), p) - (p - y) / (p * (1 - p)))
        0
    """
    return -(y * sp.log(p) + (1 - y) * sp.log(1 - p))


@functools.cache
def loss(model: Model) -> sp.Expr:
    """The loss of a minimal model as a function of ``x``, ``theta`` and ``y`` (S1), (S5).

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: :func:`loss_in_p` with ``p = sigmoid(logit(model))``.

    Example:
        >>> sp.simplify(loss("mlp").subs({theta: 0}) - sp.log(2))
        0
    """
    return loss_in_p().subs(p, sigmoid(logit(model)))


@functools.cache
def derived_gradient(model: Model) -> sp.Expr:
    """``dL/dtheta`` obtained by :func:`sympy.diff` of the loss definition (not of (S6)).

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the unsimplified derivative.

    Example:
        >>> float(derived_gradient("mlp").subs({x: 2, theta: 0, y: 1}))
        -1.0
    """
    return sp.diff(loss(model), theta)


@functools.cache
def derived_hessian(model: Model) -> sp.Expr:
    """``d^2L/dtheta^2`` obtained by :func:`sympy.diff` of the loss definition.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the unsimplified second derivative.

    Example:
        >>> float(derived_hessian("mlp").subs({x: 2, theta: 0, y: 0}))
        1.0
    """
    return sp.diff(loss(model), theta, 2)


@functools.cache
def derived_term_a(model: Model) -> sp.Expr:
    """Term A from the product rule (S12): ``(dp/dtheta) * (dz/dtheta)``, both by ``diff``.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the unsimplified Term A.

    Example:
        >>> float(derived_term_a("qnn").subs({x: 0, theta: 0, y: 0}))
        0.0
    """
    z = logit(model)
    return sp.diff(sigmoid(z), theta) * sp.diff(z, theta)


@functools.cache
def derived_term_b(model: Model) -> sp.Expr:
    """Term B from the product rule (S12): ``-(p - y) * d^2z/dtheta^2``, so ``H = A - B``.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the unsimplified Term B (identically zero for the MLP).

    Example:
        >>> derived_term_b("mlp")
        0
    """
    z = logit(model)
    return -(sigmoid(z) - y) * sp.diff(z, theta, 2)


def printed_gradient(model: Model) -> sp.Expr:
    """The gradient as printed in the SI, (S6) with the SI's ``dz/dtheta``, in symbol ``p``.

    :param model: ``"mlp"`` (``(p - y) x``) or ``"qnn"`` (``-(p - y) sin(pi x + theta)``).
    :return: the printed form.

    Example:
        >>> printed_gradient("mlp")
        x*(p - y)
    """
    if _check_model(model) == "mlp":
        return (p - y) * x
    return (p - y) * (-sp.sin(sp.pi * x + theta))


def printed_term_a(model: Model) -> sp.Expr:
    """Term A as printed: ``x^2 p (1 - p)`` (S10, MLP) or ``p (1 - p) sin^2(pi x + theta)`` (S15).

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the printed form in symbol ``p``.

    Example:
        >>> printed_term_a("qnn")
        p*(1 - p)*sin(theta + pi*x)**2
    """
    if _check_model(model) == "mlp":
        return x**2 * p * (1 - p)
    return p * (1 - p) * sp.sin(sp.pi * x + theta) ** 2


def printed_term_b(model: Model) -> sp.Expr:
    """Term B as printed: ``(p - y) cos(pi x + theta)`` (S15, QNN); ``0`` for the MLP.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the printed form in symbol ``p``.

    Example:
        >>> printed_term_b("qnn")
        (p - y)*cos(theta + pi*x)
    """
    if _check_model(model) == "mlp":
        return sp.Integer(0)
    return (p - y) * sp.cos(sp.pi * x + theta)


def printed_hessian(model: Model) -> sp.Expr:
    """The Hessian as printed: (S10) for the MLP, Term A - Term B (S15) for the QNN.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the printed form in symbol ``p``.

    Example:
        >>> printed_hessian("mlp")
        p*x**2*(1 - p)
    """
    if _check_model(model) == "mlp":
        return x**2 * p * (1 - p)
    return printed_term_a(model) - printed_term_b(model)


def express_in_p(expr: sp.Expr, model: Model) -> sp.Expr:
    """Re-express a derived expression in the probability symbol :data:`p` (for display).

    Substitutes ``exp(-z) = (1 - p) / p`` (valid because ``p = 1 / (1 + exp(-z))``), cancels,
    and groups the result by ``sin^2`` and ``cos`` of the QNN phase.

    :param expr: an expression whose ``theta``-dependence through the sigmoid is ``exp(-z)``,
        such as :func:`derived_hessian` (not the loss, which contains logarithms).
    :param model: ``"mlp"`` or ``"qnn"``.
    :return: the expression in ``p``, ``x``, ``theta``, ``y``.

    Example:
        >>> sp.expand(express_in_p(derived_hessian("mlp"), "mlp") - x**2 * p * (1 - p))
        0
    """
    z = logit(model)
    q = sp.cancel(sp.together(expr.subs(sp.exp(-z), (1 - p) / p)))
    if model == "mlp":
        return sp.factor(q)
    phi = sp.pi * x + theta
    return sp.collect(sp.expand(q), [sp.sin(phi) ** 2, sp.cos(phi), sp.sin(phi)], sp.factor)


class IdentityError(AssertionError):
    """A derived expression differs from the form printed in the SI."""


@dataclass(frozen=True)
class IdentityCheck:
    """One symbolic identity ``lhs - rhs == 0`` checked for one label case.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param quantity: what is compared, e.g. ``"hessian"`` or ``"term_b"``.
    :param equation: the SI equation (or ``"numeric form"``) it checks.
    :param label: ``"y"`` (symbolic), ``"0"`` or ``"1"``.
    :param residual: the simplified difference (``0`` when the identity holds).
    """

    model: Model
    quantity: str
    equation: str
    label: str
    residual: sp.Expr

    @property
    def holds(self) -> bool:
        """Whether the residual simplified to exactly zero."""
        return self.residual == 0


def _definitions(expr: sp.Expr) -> sp.Expr:
    """Replace the placeholder ``sigmoid`` / ``softplus`` functions by their definitions."""
    return expr.replace(_sigmoid_fn, lambda t: sigmoid(t)).replace(
        _softplus_fn, lambda t: sp.log(1 + sp.exp(t))
    )


def _simplify_residual(expr: sp.Expr, model: Model) -> sp.Expr:
    """Simplify ``expr`` (a function of x, theta, y) as far as needed to decide ``== 0``.

    Fast path: every theta-dependence through the sigmoid is ``exp(+-z)``; with ``u = exp(-z)``
    the residual is a rational function of ``u`` whose coefficients are polynomials in
    ``x, y, sin, cos``, and :func:`sympy.cancel` decides it exactly.  Logarithms (loss-form
    checks) are expanded first.  If that is not zero, :func:`sympy.simplify` gets a second
    try (trigonometric identities); a non-zero result is returned in terms of ``exp(-z)``.
    """
    u = sp.Dummy("u", positive=True)
    z = logit(model)
    e = sp.expand_log(expr, force=True)
    e = e.subs(sp.exp(-z), u).subs(sp.exp(z), 1 / u)
    e = sp.expand_log(e, force=True)
    r = sp.cancel(sp.together(e))
    if r == 0 or sp.simplify(r) == 0:
        return sp.Integer(0)
    return r.subs(u, sp.exp(-z))


def _numeric_forms(model: Model) -> dict[str, sp.Expr]:
    """Overflow-safe forms for lambdify, in the placeholder functions sigmoid / softplus.

    ``1 - p`` is written ``sigmoid(-z)`` and the loss as softplus terms, so nothing
    overflows or cancels for large ``|z|``.
    """
    z = logit(model)
    dz = sp.diff(z, theta)
    d2z = sp.diff(z, theta, 2)
    s, sm = _sigmoid_fn(z), _sigmoid_fn(-z)
    term_a = s * sm * dz**2
    term_b = -(s - y) * d2z
    return {
        "loss": y * _softplus_fn(-z) + (1 - y) * _softplus_fn(z),
        "gradient": (s - y) * dz,
        "hessian": term_a - term_b,
        "term_a": term_a,
        "term_b": term_b,
    }


def _pairs(model: Model) -> list[tuple[str, str, sp.Expr, sp.Expr]]:
    """(quantity, equation, lhs, rhs) pairs whose difference must vanish."""
    z = logit(model)
    at_p = {p: sigmoid(z)}
    s10_15 = "S10" if model == "mlp" else "S15"
    pairs = [
        ("gradient", "S6", derived_gradient(model), printed_gradient(model).subs(at_p)),
        ("hessian", s10_15, derived_hessian(model), printed_hessian(model).subs(at_p)),
        ("term_a", s10_15, derived_term_a(model), printed_term_a(model).subs(at_p)),
        (
            "term_b",
            "S15" if model == "qnn" else "S8 (no Term B)",
            derived_term_b(model),
            printed_term_b(model).subs(at_p),
        ),
        (
            "hessian = A - B",
            "S12",
            derived_hessian(model),
            derived_term_a(model) - derived_term_b(model),
        ),
    ]
    for name, form in _numeric_forms(model).items():
        reference = loss(model) if name == "loss" else _derived_by_name(model, name)
        pairs.append((name, "numeric form", reference, _definitions(form)))
    return pairs


def _derived_by_name(model: Model, name: str) -> sp.Expr:
    return {
        "gradient": derived_gradient,
        "hessian": derived_hessian,
        "term_a": derived_term_a,
        "term_b": derived_term_b,
    }[name](model)


@functools.cache
def identity_checks(model: Model) -> tuple[IdentityCheck, ...]:
    """Check every SI identity of a model, for symbolic ``y`` and for ``y = 0`` and ``y = 1``.

    Compared (left: ``sympy.diff`` of the loss definition; right: printed with
    ``p = sigmoid(z)``): gradient (S6), Hessian (S10)/(S15), Term A and Term B of the product
    rule against the printed split, ``H = A - B`` (S12), and the overflow-safe forms that
    :func:`numeric_model` lambdifies (loss included).

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: one :class:`IdentityCheck` per (quantity, label case).

    Example:
        >>> all(c.holds for c in identity_checks("mlp"))
        True
    """
    model = _check_model(model)
    checks = []
    for quantity, equation, lhs, rhs in _pairs(model):
        for label, value in (("y", y), ("0", 0), ("1", 1)):
            diff = (lhs - rhs).subs(y, value)
            checks.append(
                IdentityCheck(model, quantity, equation, label, _simplify_residual(diff, model))
            )
    return tuple(checks)


def verify_si_identities(models: Sequence[Model] = MODELS) -> bool:
    """Prove that the SI's printed gradient and Hessians equal the ``sympy.diff`` results.

    :param models: the models to check (default both).
    :return: ``True`` when every identity of :func:`identity_checks` holds.
    :raises IdentityError: naming the first identity whose residual is not zero.

    Example:
        >>> verify_si_identities()
        True
    """
    for model in models:
        for check in identity_checks(model):
            if not check.holds:
                raise IdentityError(
                    f"{check.model} {check.quantity} ({check.equation}), y={check.label}: "
                    f"derived - printed = {check.residual} != 0"
                )
    return True
