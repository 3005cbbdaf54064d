"""The book's derived values: what is expensive to derive from the cells, stored sealed.

Each entry of :data:`DERIVATIONS` is a :class:`~qmlr.engine.derived.Derivation` whose value is
computed by the *same* function the chapters call, so a stored value and a live one cannot
differ but for the cells or the code, and a change to either makes the stored file stale
(refused, recomputed; :mod:`qmlr.engine.derived`). ``python -m qmlr derive`` writes them
(``results/derived/paper/`` for the committed results); ``python -m qmlr reproduce`` does too.

- ``phase-demo``: the resilience chapter's demonstration that the QNN is blind to the global
  phase of the XXZ states and the MLP is not (:func:`phase_demo`: two models trained twice,
  no study cell read);
- ``checks``: every chapter's verdicts as scorecard checks
  (:func:`qmlr.report.scorecard.collect_checks`), which the book's first page tabulates.

Example:
    >>> [d.name for d in DERIVATIONS]
    ['phase-demo', 'checks']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qmlr.core.train import TrainConfig
from qmlr.engine.derived import Derivation, derived_value
from qmlr.engine.profiles import get_profile
from qmlr.engine.specs import ModelSpec
from qmlr.report import scorecard
from qmlr.studies import phase as PH
from qmlr.studies.experiments import PAPER_MLP_HIDDEN, PAPER_QNN_DEPTH, PAPER_TRAINING
from qmlr.studies.mechanism_study import STUDY_NAMES as MECHANISM_STUDIES
from qmlr.studies.registry import STUDIES


def _checks(profile: str, results_dir: str | Path | None) -> Any:
    return scorecard.collect_checks(profile, results_dir)


def phase_demo(profile: str, results_dir: str | Path | None = None) -> dict[str, Any]:
    """The paper's XXZ QNN and MLP, each trained under both phase conventions from one
    initialization (:func:`qmlr.studies.phase.train_both_phases`) for the profile's
    ``demo_epochs``, on the label-flipped training set of :data:`qmlr.studies.phase.DEMO_ALPHA`.

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
        name: PH.train_both_phases(
            model,
            TrainConfig(epochs, PH.DEMO_BATCH, PAPER_TRAINING[("xxz", name)].lr),
            seed=PH.DEMO_SEED,
            label_flip_alpha=PH.DEMO_ALPHA,
        )
        for name, model in models.items()
    }


#: Every check of every chapter (the scorecard's input); it reads the cells of every study but
#: the mechanism studies, whose predictions are judged in their own chapter and no scorecard check
#: reads (so their cells, still being computed, leave the stored checks fresh).
CHECKS = Derivation("checks", tuple(sorted(set(STUDIES) - set(MECHANISM_STUDIES))), _checks)
#: The resilience chapter's phase demonstration (training, no cell read).
PHASE_DEMO = Derivation("phase-demo", (), phase_demo)
#: The derivations ``python -m qmlr derive`` writes, in order. A file's code digests cover every
#: module loaded when it is written, so the demo, which loads no report module, comes first: a
#: change to the verdicts' code leaves it fresh.
DERIVATIONS: tuple[Derivation, ...] = (PHASE_DEMO, CHECKS)


def stored_checks(profile: str, results_dir: str | Path | None = None) -> list[Any]:
    """:func:`qmlr.report.scorecard.collect_checks`, read from its derived file when fresh.

    :param profile: the profile.
    :param results_dir: results folder override.
    :return: the checks, ordered by claim.
    """
    return derived_value(CHECKS, profile, results_dir)


def stored_phase_demo(profile: str) -> dict[str, Any]:
    """:func:`phase_demo`, read from its derived file when fresh.

    :param profile: the profile.
    :return: ``{"qnn": {phase: History}, "mlp": {phase: History}}``.
    """
    return derived_value(PHASE_DEMO, profile)
