"""Run the mechanism studies together, cheapest ensemble first, across all four studies.

``python -m qmlr reproduce --profile paper qnn-depth`` computes one study in its own order; this
driver interleaves the four (:data:`qmlr.studies.mechanism_study.STUDY_NAMES`) so that a run cut
short holds the most informative cells — the cheap depths and the random-label tests of every
study — before any of the deepest circuits. Each group lands as sealed cell files in
``results/<study>/cells/``, each study's ``study.json`` logs the session, and ``records.csv`` is
rewritten after every group; a killed run resumes where it stopped. One worker (this process,
one torch thread).

Usage: ``python -m qmlr.studies.mechanism_runs [profile] [log file]``.

Example:
    >>> groups = ordered_groups("tiny")
    >>> [g[0] for g in groups][:1] in (["qnn-depth"], ["readout-scale"], ["lipschitz-controls"],
    ...                                ["separable-qnn"])
    True
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import torch

from qmlr.engine.loading import store_for
from qmlr.engine.runner import group_cost
from qmlr.engine.sessions import SessionLog
from qmlr.engine.store import export_records
from qmlr.studies.experiments import PAPER_QNN_DEPTH
from qmlr.studies.mechanism_study import STUDY_NAMES
from qmlr.studies.registry import STUDIES, study_cells
from qmlr.studies.study import run_study_specs


def run_cost(group: list) -> float:
    """The driver's cost of a group: :func:`~qmlr.engine.runner.group_cost`, except for the
    quadratic form, which the runner's cost model counts as a linear model but whose exact
    eigen-decomposition per step costs about as much as the paper's QNN on the same data
    (measured on MNIST: about 180 s of CPU per group of six at paper scale).

    :param group: cells of one ensemble.
    :return: the relative cost.
    """
    first = group[0]
    if first.model.kind == "quadratic-form":
        as_qnn = replace(first.model, kind="qnn", depth=PAPER_QNN_DEPTH[first.data.name], scale=0.0)
        return group_cost([replace(first, model=as_qnn)] * len(group))
    return group_cost(group)


def ordered_groups(profile: str, studies: tuple[str, ...] = STUDY_NAMES) -> list[tuple[str, list]]:
    """Every planned group of the studies at ``profile``, cheapest first (ties: study order).

    :param profile: the profile.
    :param studies: the studies.
    :return: ``(study, group)`` pairs.
    """
    pairs = []
    for rank, study in enumerate(studies):
        for group in STUDIES[study].plan(study_cells(study, profile)):
            pairs.append((run_cost(group), rank, study, group))
    pairs.sort(key=lambda p: (p[0], p[1]))
    return [(study, group) for _, _, study, group in pairs]


def run_all(profile: str = "paper", log: TextIO = sys.stdout) -> dict[str, Any]:
    """Compute every missing cell of the mechanism studies, cheapest group first.

    :param profile: the profile.
    :param log: where one progress line per group goes.
    :return: per study: cells total and computed by this process, wall time.
    """
    root = store_for(profile).root
    sessions = {
        s: SessionLog(root / s, s, profile, len(study_cells(s, profile)), n_jobs=1, backend="loky")
        for s in STUDY_NAMES
    }
    stores = {s: sessions[s].store(root) for s in STUDY_NAMES}
    spent = dict.fromkeys(STUDY_NAMES, 0.0)
    groups = ordered_groups(profile)
    for i, (study, group) in enumerate(groups):
        missing = [c for c in group if not stores[study].has(c)]
        if not missing:
            continue
        start = time.perf_counter()
        # the session's logged wall time is this study's own time, not the driver's
        sessions[study]._start = start - spent[study]
        run_study_specs(study, missing, stores[study], n_jobs=1, progress=False)
        spent[study] += time.perf_counter() - start
        done = [stores[study].load(c) for c in study_cells(study, profile) if stores[study].has(c)]
        export_records(done, root / study / "records.csv")
        print(
            f"{time.strftime('%H:%M:%S')} group {i + 1}/{len(groups)} {study}: "
            f"{group[0].data.name} {group[0].model.label}, {len(missing)} cells in "
            f"{time.perf_counter() - start:.0f} s; {study} {len(done)}/"
            f"{sessions[study].n_cells} cells",
            file=log,
            flush=True,
        )
    for study, session in sessions.items():
        session.close(spent[study])
    return {s: {"computed": sessions[s].cells_computed, "wall_s": spent[s]} for s in STUDY_NAMES}


if __name__ == "__main__":
    torch.set_num_threads(1)
    chosen = sys.argv[1] if len(sys.argv) > 1 else "paper"
    if len(sys.argv) > 2:
        with Path(sys.argv[2]).open("a") as out:
            print(f"{time.strftime('%H:%M:%S')} start {chosen}", file=out, flush=True)
            print(run_all(chosen, out), file=out, flush=True)
    else:
        print(run_all(chosen))
