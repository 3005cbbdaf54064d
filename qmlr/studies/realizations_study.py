"""The ``phase-realizations`` study: the XXZ MLP with a fresh random global phase per run.

The resilience study draws the XXZ states' random global phases once (``phase_seed = 0``) and
every run shares them, so no spread over phase realizations enters its bands, while the MLP's
memorization depends on the phase convention (the resilience chapter's canonical-phase
comparison). Here run ``r`` of the XXZ MLP's label-flipping sweep reads states whose phases are
drawn with ``phase_seed =`` :data:`PHASE_SEED_BASE` ``+ r``; poison and initialization are those
of the resilience study's run ``r`` (neither seed depends on the phase seed), so each run differs
from its resilience twin in the phases alone. Records carry each run's ``phase_seed``.

Example:
    >>> from qmlr.engine.profiles import get_profile
    >>> cells = realizations_cells(get_profile("paper"))
    >>> len(cells), sorted({c.data.phase_seed for c in cells})
    (50, [1, 2, 3, 4, 5])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.loading import records_of
from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import plan_groups, train_group
from qmlr.engine.specs import CellSpec, DataSpec
from qmlr.engine.store import CellResult, export_records
from qmlr.studies.experiments import Profile, paper_model, training_config

STUDY = "phase-realizations"
#: Run ``r`` draws its phases with seed ``PHASE_SEED_BASE + r`` (0 is the resilience study's).
PHASE_SEED_BASE = 1


def realizations_cells(profile: Profile) -> list[CellSpec]:
    """The XXZ MLP's label-flipping sweep, one phase realization per run."""
    model, train = paper_model("xxz", "mlp"), training_config("xxz", "mlp", profile)
    return [
        CellSpec(
            STUDY,
            DataSpec("xxz", phase="random", phase_seed=PHASE_SEED_BASE + run),
            model,
            train,
            "label_flip",
            alpha,
            run,
        )
        for alpha in profile.alphas
        for run in range(profile.runs)
    ]


def plan(cells: list[CellSpec]) -> list[list[CellSpec]]:
    """One ensemble per run (its α grid), as the data differ between runs."""
    return plan_groups(cells)


def compute(cells: list[CellSpec]) -> list[CellResult]:
    """Train one planned group (module-level, so worker processes can run it)."""
    return train_group(cells)


def export(results: list[CellResult], folder: Any) -> Path:
    """Write ``records.csv`` with each run's ``phase_seed``."""
    for r in results:
        r.metrics.setdefault("phase_seed", r.spec.data.phase_seed)
    return export_records(results, Path(folder) / "records.csv")


def records(profile: str = "paper", results_dir: Any = None) -> Any:
    """The study's tidy records with a ``phase_seed`` column."""
    frame = records_of(DEFINITION, profile, results_dir)
    seeds = {c.key(): c.data.phase_seed for c in realizations_cells_for(profile)}
    frame["phase_seed"] = frame["key"].map(seeds)
    return frame


def realizations_cells_for(profile: str) -> list[CellSpec]:
    """:func:`realizations_cells` of a profile name."""
    return realizations_cells(get_profile(profile))


#: The study (listed in :data:`qmlr.studies.registry.STUDIES`).
DEFINITION = StudyDefinition(STUDY, realizations_cells, compute, plan, export)
