"""The XXZ global-phase question: the same training on random-phase and canonical-phase states.

A ground state is defined only up to a global phase. The QNN's readout ⟨Z⟩ cannot see it; the
MLP's [Re ψ, Im ψ] features can. :func:`train_both_phases` trains one model with identical seeds
on both conventions so the difference (or its absence) is visible directly.

Example:
    >>> from qmlr.engine.specs import ModelSpec
    >>> from qmlr.core.train import TrainConfig
    >>> out = train_both_phases(ModelSpec("qnn", depth=1), TrainConfig(1, 82, 0.03))
    >>> sorted(out)
    ['canonical', 'random']
"""

from __future__ import annotations

import numpy as np

from qmlr.core.corrupt import flip_labels
from qmlr.core.train_config import History, TrainConfig
from qmlr.engine.derived import Derivation
from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import build_model, clean_split, model_inputs
from qmlr.engine.specs import DataSpec, ModelSpec
from qmlr.studies.experiments import PAPER_MLP_HIDDEN, PAPER_QNN_DEPTH, PAPER_TRAINING

#: The resilience chapter's illustration: label-flip ratio, seed and batch size of the
#: training that :func:`train_both_phases` runs on both phase conventions.
DEMO_ALPHA = 0.2
DEMO_SEED = 1
DEMO_BATCH = 32
#: Largest training-loss difference between the two conventions that counts as "the QNN cannot
#: see the phase" (float64 rounding; the QNN's readout is exactly phase-invariant).
PHASE_INVARIANCE_TOLERANCE = 1e-8


def train_both_phases(
    model: ModelSpec, config: TrainConfig, seed: int = 0, label_flip_alpha: float = 0.0
) -> dict[str, History]:
    """Train ``model`` on the clean (or label-flipped) XXZ training set under both phase
    conventions, with the same initialization and minibatch seeds.

    :param model: the model to train.
    :param config: training hyperparameters.
    :param seed: initialization and minibatch-order seed.
    :param label_flip_alpha: optional label-flipping ratio (same flipped rows for both).
    :return: ``{"random": History, "canonical": History}``.
    """
    import torch

    from qmlr.core.train import fit

    out = {}
    for phase in ("random", "canonical"):
        data = DataSpec("xxz", phase=phase)
        train = clean_split(data, "train")
        if label_flip_alpha:
            train = flip_labels(train, label_flip_alpha, np.random.default_rng(seed)).data
        val = clean_split(data, "val")
        x = model_inputs(train.x, model)[None]
        y = torch.as_tensor(train.y)[None]
        net = build_model(model, data, x.shape[-1], (seed,))
        out[phase] = fit(
            net, x, y, config, (seed,), model_inputs(val.x, model), torch.as_tensor(val.y)
        )
    return out


def phase_demo(profile: str, results_dir: str | None = None) -> dict[str, dict[str, History]]:
    """The paper's XXZ QNN and MLP, each trained under both phase conventions from one
    initialization (:func:`train_both_phases`) for the profile's ``demo_epochs``, on the
    label-flipped training set of :data:`DEMO_ALPHA`.

    :param profile: the profile (its ``demo_epochs``).
    :param results_dir: unused (the demo reads no cell).
    :return: ``{"qnn": {phase: History}, "mlp": {phase: History}}``.
    """
    models = {
        "qnn": ModelSpec("qnn", depth=PAPER_QNN_DEPTH["xxz"], precision="double"),
        "mlp": ModelSpec("mlp", hidden=PAPER_MLP_HIDDEN["xxz"], precision="double"),
    }
    epochs = get_profile(profile).demo_epochs
    return {
        name: train_both_phases(
            model,
            TrainConfig(epochs, DEMO_BATCH, PAPER_TRAINING[("xxz", name)].lr),
            seed=DEMO_SEED,
            label_flip_alpha=DEMO_ALPHA,
        )
        for name, model in models.items()
    }


#: The resilience chapter's phase demonstration as a sealed derived file (training, no cell
#: read; :mod:`qmlr.report.stored` lists it). Its code digest covers this module's imports only,
#: so a change to the report leaves it fresh.
PHASE_DEMO = Derivation("phase-demo", (), phase_demo)
