"""Small datasets for the minimal models: a few points, their summed loss, curvature and minimiser.

Example:
    >>> ds = toy_dataset(0.5)
    >>> int(ds.mislabeled.sum())
    1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from qmlr.core.analytic.numeric import numeric_model
from qmlr.core.analytic.symbolic import MODELS, Model, _check_model


@dataclass(frozen=True)
class ToyDataset:
    """A handful of scalar points ``(x_i, y_i)``; ``mislabeled`` marks the flipped ones."""

    x: np.ndarray
    y: np.ndarray
    mislabeled: np.ndarray
    name: str

    def __post_init__(self) -> None:
        if not (self.x.shape == self.y.shape == self.mislabeled.shape and self.x.ndim == 1):
            raise ValueError("x, y and mislabeled must be 1-D arrays of the same length")


def toy_dataset(outlier: float | None = 0.5) -> ToyDataset:
    """Six clean points ``x = +-0.25, +-0.5, +-0.75`` with ``y = [x > 0]``, plus an outlier.

    Both minimal models can represent the clean rule "predict 1 iff x > 0": the MLP with any
    ``theta > 0`` and the QNN with ``theta = -pi/2`` (``z = sin(pi x)``, positive exactly on
    ``0 < x < 1``).  The optional mislabeled point sits at ``x = outlier`` with label
    ``y = 0``, i.e. on the class-1 side.  The default ``0.5`` repeats a clean feature, so the
    dataset contains one conflicting pair, the situation of the SI's MLP argument.

    :param outlier: feature of the mislabeled point in (0, 1), or ``None`` for the clean set.
    :return: a :class:`ToyDataset`.
    :raises ValueError: if ``outlier`` is not in (0, 1).

    Example:
        >>> toy_dataset(None).y.tolist()
        [0, 0, 0, 1, 1, 1]
        >>> int(toy_dataset().mislabeled.sum())
        1
    """
    xs = [-0.75, -0.5, -0.25, 0.25, 0.5, 0.75]
    ys = [0, 0, 0, 1, 1, 1]
    flags = [False] * 6
    name = "clean"
    if outlier is not None:
        if not 0.0 < outlier < 1.0:
            raise ValueError(f"outlier feature must lie in (0, 1), got {outlier}")
        xs.append(float(outlier))
        ys.append(0)
        flags.append(True)
        name = f"clean + mislabeled x={outlier:g}"
    return ToyDataset(np.asarray(xs), np.asarray(ys, dtype=np.int64), np.asarray(flags), name)


def pair_dataset(x0: float = 0.5, conflicting: bool = True) -> ToyDataset:
    """Two points: a conflicting pair ``(x0, 1), (x0, 0)`` or a clean pair ``(x0, 1), (-x0, 0)``.

    In the conflicting pair the ``y = 0`` copy is marked as the mislabeled one.

    :param x0: feature in (0, 1).
    :param conflicting: which pair.
    :return: a :class:`ToyDataset`.
    :raises ValueError: if ``x0`` is not in (0, 1).

    Example:
        >>> pair_dataset(0.5, conflicting=False).x.tolist()
        [0.5, -0.5]
    """
    if not 0.0 < x0 < 1.0:
        raise ValueError(f"x0 must lie in (0, 1), got {x0}")
    if conflicting:
        return ToyDataset(
            np.array([x0, x0]), np.array([1, 0]), np.array([False, True]), "conflicting pair"
        )
    return ToyDataset(np.array([x0, -x0]), np.array([1, 0]), np.array([False, False]), "clean pair")


def point_hessians(model: Model, ds: ToyDataset, theta_value: float) -> np.ndarray:
    """Per-point curvature contributions ``H_i(theta)`` of a dataset.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param ds: the dataset.
    :param theta_value: parameter value.
    :return: shape ``(N,)``.

    Example:
        >>> point_hessians("mlp", toy_dataset(None), 0.0).round(4).tolist()[:2]
        [0.1406, 0.0625]
    """
    return numeric_model(model).hessian(ds.x, float(theta_value), ds.y)


def dataset_loss(model: Model, ds: ToyDataset, theta_values: ArrayLike) -> np.ndarray:
    """Total (summed) loss of a dataset at one or many parameter values.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param ds: the dataset.
    :param theta_values: scalar or 1-D array of ``theta``.
    :return: array of the shape of ``theta_values``.

    Example:
        >>> round(float(dataset_loss("mlp", toy_dataset(None), 0.0)), 4)  # 6 log 2
        4.1589
    """
    t = np.asarray(theta_values, dtype=np.float64)
    per = numeric_model(model).loss(ds.x[:, None], t.reshape(1, -1), ds.y[:, None])
    return per.sum(axis=0).reshape(t.shape)


def dataset_hessian(model: Model, ds: ToyDataset, theta_values: ArrayLike) -> np.ndarray:
    """Total (summed) curvature ``d^2 L / d theta^2`` of a dataset.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param ds: the dataset.
    :param theta_values: scalar or 1-D array of ``theta``.
    :return: array of the shape of ``theta_values``.

    Example:
        >>> round(float(dataset_hessian("mlp", toy_dataset(None), 0.0)), 4)
        0.4375
    """
    t = np.asarray(theta_values, dtype=np.float64)
    per = numeric_model(model).hessian(ds.x[:, None], t.reshape(1, -1), ds.y[:, None])
    return per.sum(axis=0).reshape(t.shape)


@dataclass(frozen=True)
class Minimum:
    """The minimiser of a dataset loss on an interval of ``theta``.

    :param theta: the minimiser.
    :param loss: total loss there.
    :param hessian: total curvature there.
    :param at_boundary: ``True`` if the minimiser is (within 1e-6) an end of the interval,
        i.e. the loss still decreases beyond it and no interior minimum exists.
    :param bounds: the searched interval.
    """

    theta: float
    loss: float
    hessian: float
    at_boundary: bool
    bounds: tuple[float, float]


#: Half-width of the MLP's search interval for a minimiser (:func:`default_bounds`).
MLP_SEARCH_BOUND = 30.0


def default_bounds(model: Model) -> tuple[float, float]:
    """Search interval of :func:`minimize_dataset_loss`.

    QNN: one period ``[-pi, pi]`` (the loss is ``2 pi``-periodic in ``theta``).  MLP:
    ``[-b, b]`` with ``b =`` :data:`MLP_SEARCH_BOUND`; the MLP loss on separable data decreases
    without bound in ``|theta|`` (no finite minimiser), and the interval end then stands in for
    ``theta -> infinity``.

    :param model: ``"mlp"`` or ``"qnn"``.
    :return: ``(low, high)``.

    Example:
        >>> default_bounds("mlp")
        (-30.0, 30.0)
    """
    if _check_model(model) == "mlp":
        return (-MLP_SEARCH_BOUND, MLP_SEARCH_BOUND)
    return (-float(np.pi), float(np.pi))


def minimize_dataset_loss(
    model: Model,
    ds: ToyDataset,
    bounds: tuple[float, float] | None = None,
    n_grid: int = 4001,
) -> Minimum:
    """Global minimiser of the total loss on an interval: grid search, then bounded refine.

    The loss is evaluated on ``n_grid`` equispaced points; :func:`scipy.optimize.minimize_scalar`
    (``method="bounded"``) then refines inside the two grid cells around the best point
    (clipped to ``bounds``; for the periodic QNN the bracket may cross ``+-pi`` and the result
    is wrapped back into the interval).

    :param model: ``"mlp"`` or ``"qnn"``.
    :param ds: the dataset.
    :param bounds: search interval, default :func:`default_bounds`.
    :param n_grid: number of grid points, at least 3.
    :return: a :class:`Minimum`.
    :raises ValueError: for an empty interval or too few grid points.

    Example:
        >>> m = minimize_dataset_loss("qnn", toy_dataset(None))
        >>> round(m.theta, 4), m.at_boundary   # -pi/2
        (-1.5708, False)
    """
    model = _check_model(model)
    lo, hi = default_bounds(model) if bounds is None else (float(bounds[0]), float(bounds[1]))
    if not hi > lo:
        raise ValueError(f"bounds must satisfy low < high, got {(lo, hi)}")
    if n_grid < 3:
        raise ValueError(f"n_grid must be at least 3, got {n_grid}")
    grid = np.linspace(lo, hi, n_grid)
    k = int(np.argmin(dataset_loss(model, ds, grid)))
    step = grid[1] - grid[0]
    a, b = grid[k] - step, grid[k] + step
    if model == "mlp":
        a, b = max(a, lo), min(b, hi)
    res = optimize.minimize_scalar(
        lambda t: float(dataset_loss(model, ds, t)),
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-12},
    )
    t_star = float(res.x)
    if model == "qnn" and (t_star < lo or t_star > hi):
        t_star = lo + (t_star - lo) % (hi - lo)
    at_boundary = min(abs(t_star - lo), abs(t_star - hi)) < 1e-6 and model == "mlp"
    return Minimum(
        theta=t_star,
        loss=float(dataset_loss(model, ds, t_star)),
        hessian=float(dataset_hessian(model, ds, t_star)),
        at_boundary=bool(at_boundary),
        bounds=(lo, hi),
    )


@dataclass(frozen=True)
class SweepRow:
    """Curvature at the minimiser of the clean set plus one mislabeled point at ``outlier``."""

    model: Model
    outlier: float
    theta: float
    hessian: float
    outlier_hessian: float
    clean_hessian: float


def outlier_sweep(outliers: Sequence[float]) -> list[SweepRow]:
    """Move the mislabeled point of :func:`toy_dataset` across (0, 1) and re-minimise.

    :param outliers: features of the mislabeled point, each in (0, 1).
    :return: one :class:`SweepRow` per (model, outlier); ``clean_hessian`` is the total
        curvature at the clean set's own minimiser (for the MLP the interval end of
        :func:`default_bounds`, where it is practically zero).

    Example:
        >>> rows = outlier_sweep([0.5])
        >>> [r.model for r in rows], rows[1].outlier_hessian < 0
        (['mlp', 'qnn'], True)
    """
    clean = toy_dataset(None)
    rows = []
    for model in MODELS:
        h_clean = minimize_dataset_loss(model, clean).hessian
        for o in outliers:
            ds = toy_dataset(float(o))
            m = minimize_dataset_loss(model, ds)
            h_out = float(point_hessians(model, ds, m.theta)[ds.mislabeled][0])
            rows.append(SweepRow(model, float(o), m.theta, m.hessian, h_out, h_clean))
    return rows


#: Feature of the mislabeled point of the seven-point dataset.
TOY_OUTLIER = 0.5


def toy_summary(model: Model, outlier: float = TOY_OUTLIER) -> dict[str, float | bool]:
    """Minimisers and curvatures of the seven-point dataset with and without its outlier.

    :param model: ``"mlp"`` or ``"qnn"``.
    :param outlier: feature of the mislabeled point (see :func:`toy_dataset`).
    :return: ``θ* clean``, ``clean minimum at interval end``, ``H total, clean``,
        ``θ* with outlier``, ``H total, with outlier``, ``H of the outlier``,
        ``p of the outlier`` and ``H clean points at θ* with outlier``.

    Example:
        >>> s = toy_summary("qnn")
        >>> s["H total, with outlier"] < s["H total, clean"]
        True
    """
    model = _check_model(model)
    clean, noisy = toy_dataset(None), toy_dataset(outlier)
    m0, m1 = minimize_dataset_loss(model, clean), minimize_dataset_loss(model, noisy)
    h1 = point_hessians(model, noisy, m1.theta)
    z1 = m1.theta * noisy.x if model == "mlp" else np.cos(np.pi * noisy.x + m1.theta)
    return {
        "θ* clean": m0.theta,
        "clean minimum at interval end": m0.at_boundary,
        "H total, clean": m0.hessian,
        "θ* with outlier": m1.theta,
        "H total, with outlier": m1.hessian,
        "H of the outlier": float(h1[noisy.mislabeled][0]),
        "p of the outlier": float(special.expit(z1[noisy.mislabeled][0])),
        "H clean points at θ* with outlier": float(h1[~noisy.mislabeled].sum()),
    }
