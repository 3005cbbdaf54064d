"""Predictions before results: which planned model memorizes flipped labels, from its class and
the data alone.

For every model of the mechanism studies (:mod:`qmlr.studies.mechanism_study`) two ceilings on
the fraction of flipped training labels it can reproduce are computed before any training
(:mod:`qmlr.core.separation`):

* the **Lipschitz ceiling** ``q``: the fraction of training samples that a logit of the model's
  Lipschitz constant ``L`` can separate at margin :data:`MARGIN` from their nearest neighbour of
  the same true class (``L d ≥ 2m``), in the distance ``L`` refers to — the phase-invariant
  distance of the amplitudes for the QNNs and the quadratic form (``L = 2s``), the Euclidean
  distance of the real features for the spectrally normalized MLP (``L = 2s``), no bound
  (``q = 1``) for an unconstrained model;
* the **capacity ceiling** ``c = rank J / n``: the rank of the Jacobian of the ``n`` training
  logits with respect to the parameters, at a random parameter point (:data:`RANK_RTOL`).

The predicted ceiling is ``min(q, c)``; a model is predicted to **memorize** the flipped labels
when it is at least :data:`DECISION_LEVEL`. The randomization test is predicted the same way
with the nearest neighbour of *any* class: the model is predicted to **fit random labels**
(training accuracy at least :data:`RANDOM_FIT_LEVEL`) when ``min(q_any, c) ≥ DECISION_LEVEL``.
**How a prediction is judged** (fixed here, with the predictions, before any result): the
measured memorization of a model is the mean over runs of the fraction of flipped training labels
it reproduces at 0 < α ≤ 0.4 (:func:`qmlr.report.phenotype.memorization`), with its 95%
percentile bootstrap interval over runs (:mod:`qmlr.report.uncertainty`); "memorizes" holds if
the whole interval lies at or above :data:`DECISION_LEVEL`, "does not memorize" if it lies below;
an interval containing the level leaves the prediction open. A model that does not learn the
clean task (validation accuracy at α = 0 below the phenotype checks' ``LEARNS_LEVEL``, 0.8)
reproduces about half of any labels by chance: its memorization prediction is not judged. The
random-label prediction is judged the same way on the training accuracy at α = 0.5 against
:data:`RANDOM_FIT_LEVEL`.

The constants and the rule were fixed before any mechanism cell was trained; the paper profile's
predictions are stored, with the commit they were computed at, in
``results/mechanism-predictions/predictions.json`` (``python -m
qmlr.studies.mechanism_predictions``).

Example:
    >>> from qmlr.engine.specs import ModelSpec
    >>> lipschitz_of(ModelSpec("qnn", depth=4)), lipschitz_of(ModelSpec("mlp", hidden=(4,)))
    (10.0, inf)
"""

from __future__ import annotations

import json
import math
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qmlr.core.data import mlp_features
from qmlr.core.kinds import describe, logit_scale
from qmlr.core.separation import (
    euclidean_distances,
    hilbert_schmidt_rank,
    jacobian_rank,
    nearest_distances,
    phase_invariant_distances,
    separable_fraction,
)
from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import clean_split
from qmlr.engine.specs import DataSpec, ModelSpec
from qmlr.engine.store import DEFAULT_RESULTS_DIR, environment_provenance
from qmlr.studies.registry import study_cells

if TYPE_CHECKING:
    import torch

#: The logit margin a separation must reach on both sides (logit units; sigmoid(1) ≈ 0.73).
MARGIN = 1.0
#: A ceiling at least this large predicts "memorizes" (or "fits random labels"); measured
#: memorization is judged against the same level.
DECISION_LEVEL = 0.5
#: Training accuracy on random labels (α = 0.5) at least this is "fits random labels":
#: half of the labels beyond chance.
RANDOM_FIT_LEVEL = 0.75
#: Relative singular-value cut of the Jacobian rank.
RANK_RTOL = 1e-6
#: Seed of the random parameter point the Jacobian is taken at.
RANK_SEED = 0
#: Kinds whose logit is ``s ψ†Mψ`` with ``‖M‖ ≤ 1`` (Lipschitz ``2s``, phase-invariant distance).
AMPLITUDE_KINDS = ("qnn", "qnn-separable", "quadratic-form")
#: Kinds with Lipschitz ``2s`` in the Euclidean distance of their real features.
FEATURE_BOUNDED_KINDS = ("mlp-spectral",)
#: The mechanism studies the predictions cover.
STUDIES = ("qnn-depth", "readout-scale", "lipschitz-controls", "separable-qnn")
#: Where the paper profile's predictions are stored.
PREDICTIONS_PATH = DEFAULT_RESULTS_DIR / "mechanism-predictions" / "predictions.json"


def lipschitz_of(model: ModelSpec) -> float:
    """The Lipschitz constant of the model's logit in its distance (:func:`metric_of`):
    ``2s`` for a bounded kind, ``inf`` otherwise."""
    if model.kind in AMPLITUDE_KINDS + FEATURE_BOUNDED_KINDS:
        return 2.0 * logit_scale(model)
    return math.inf


def metric_of(model: ModelSpec) -> str:
    """``"phase"`` (amplitudes, phase-invariant) or ``"euclidean"`` (real features).

    Example:
        >>> spectral = ModelSpec("mlp-spectral", hidden=(4,))
        >>> metric_of(ModelSpec("quadratic-form")), metric_of(spectral)
        ('phase', 'euclidean')
    """
    return "phase" if model.kind in AMPLITUDE_KINDS else "euclidean"


@lru_cache(maxsize=8)
def nearest(data: DataSpec, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Each clean training sample's distance to its nearest same-class and any-class neighbour."""
    train = clean_split(data, "train")
    if metric == "phase":
        d = phase_invariant_distances(train.x)
    else:
        d = euclidean_distances(mlp_features(train.x))
    return nearest_distances(d, train.y, True), nearest_distances(d, train.y, False)


def _random_angles(net: torch.nn.Module) -> None:
    import torch

    gen = torch.Generator().manual_seed(RANK_SEED)
    for p in net.parameters():
        p.copy_(
            (2 * torch.pi * torch.rand(p.shape, generator=gen, dtype=torch.float64)).to(p.dtype)
        )


@lru_cache(maxsize=64)
def capacity_rank(data: DataSpec, kind: str, depth: int, hidden: tuple[int, ...]) -> int:
    """Jacobian rank of the training logits (independent of the logit scale): the quadratic
    form's from the projectors' Gram matrix, a circuit's at random angles, an MLP's at its
    initialization (seed :data:`RANK_SEED`), all in double precision
    (:func:`~qmlr.core.separation.jacobian_rank`)."""
    from qmlr.core.models import get_kind

    train = clean_split(data, "train")
    if kind == "quadratic-form":
        return hilbert_schmidt_rank(train.x, RANK_RTOL)
    model = ModelSpec(kind, hidden=hidden, depth=depth, precision="double")
    k = get_kind(kind)
    x = k.inputs(train.x, model)
    net = k.build(model, data, x.shape[-1], [RANK_SEED + i for i in range(len(train.y))])
    prepare = _random_angles if kind in AMPLITUDE_KINDS else None
    return jacobian_rank(net, x, prepare, RANK_RTOL)


def predict(data: DataSpec, model: ModelSpec) -> dict[str, Any]:
    """The prediction for one model on one dataset (see the module docstring).

    :return: ``lipschitz``, ``metric``, ``q_flip`` / ``q_random`` (Lipschitz ceilings),
        ``rank``, ``n_train``, ``capacity``, ``ceiling_flip`` / ``ceiling_random``,
        ``predicts_memorization`` and ``predicts_random_fit``, with the model's coordinates.
    """
    lip, metric = lipschitz_of(model), metric_of(model)
    same, any_class = nearest(data, metric)
    rank = capacity_rank(data, model.kind, model.depth, model.hidden)
    n = len(same)
    q_flip = separable_fraction(same, lip, MARGIN)
    q_random = separable_fraction(any_class, lip, MARGIN)
    capacity = rank / n
    return {
        "dataset": data.name,
        "model": model.kind,
        "model_label": model.label,
        "depth": model.depth,
        "hidden": "x".join(map(str, model.hidden)),
        "scale": logit_scale(model) if describe(model.kind).scaled else math.nan,
        "lipschitz": lip,
        "metric": metric,
        "q_flip": q_flip,
        "q_random": q_random,
        "rank": rank,
        "n_train": n,
        "capacity": capacity,
        "ceiling_flip": min(q_flip, capacity),
        "ceiling_random": min(q_random, capacity),
        "predicts_memorization": bool(min(q_flip, capacity) >= DECISION_LEVEL),
        "predicts_random_fit": bool(min(q_random, capacity) >= DECISION_LEVEL),
    }


def planned_models(profile: str) -> list[tuple[str, DataSpec, ModelSpec]]:
    """Every distinct (study, dataset, model) of the mechanism studies at ``profile``."""
    seen: dict[tuple[str, DataSpec, ModelSpec], None] = {}
    for study in STUDIES:
        for cell in study_cells(study, profile):
            seen[(study, cell.data, cell.model)] = None
    return list(seen)


def predictions(profile: str) -> list[dict[str, Any]]:
    """:func:`predict` for every planned model at ``profile`` (computed now)."""
    return [{"study": s, **predict(d, m)} for s, d, m in planned_models(profile)]


def constants() -> dict[str, float]:
    """The rule's constants, as stored beside the predictions."""
    return {
        "margin": MARGIN,
        "decision_level": DECISION_LEVEL,
        "random_fit_level": RANDOM_FIT_LEVEL,
        "rank_rtol": RANK_RTOL,
        "rank_seed": RANK_SEED,
    }


def write_predictions(profile: str = "paper", path: str | Path = PREDICTIONS_PATH) -> Path:
    """Compute the predictions and store them as JSON with their provenance (git commit, time,
    environment).

    :param profile: the profile whose planned models are predicted.
    :param path: the JSON file.
    :return: the path.
    """
    start = time.perf_counter()
    rows = predictions(profile)
    record = {
        "profile": profile,
        "constants": constants(),
        "predictions": rows,
        "computed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_time_s": round(time.perf_counter() - start, 1),
        "provenance": {k: v for k, v in environment_provenance().items() if k != "cpu"},
    }
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, default=float) + "\n")
    return out


def load_predictions(profile: str, path: str | Path = PREDICTIONS_PATH) -> dict[str, Any]:
    """The stored predictions at a stored profile (paper), computed live otherwise.

    :return: the record of :func:`write_predictions` (``predictions``: one dict per model).
    :raises FileNotFoundError: at a stored profile whose predictions were never written.
    """
    if get_profile(profile).stored:
        return json.loads(Path(path).read_text())
    return {"profile": profile, "constants": constants(), "predictions": predictions(profile)}


if __name__ == "__main__":  # python -m qmlr.studies.mechanism_predictions [profile]
    import sys

    import torch

    torch.set_num_threads(1)
    print(write_predictions(sys.argv[1] if len(sys.argv) > 1 else "paper"))
