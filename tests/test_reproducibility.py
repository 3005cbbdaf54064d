"""Tests of qmlr.report.reproducibility: divergences from the code, provenance, seed audit,
recompute."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qmlr.engine.store import DEFAULT_RESULTS_DIR, CellResult, ResultStore
from qmlr.report import reproducibility as R
from qmlr.studies.mechanism_study import STUDY_NAMES as MECHANISM_STUDIES


def test_divergence_table_states_the_books_values() -> None:
    from qmlr.studies import curvature_study as CS
    from qmlr.studies import unlearning_study as U
    from qmlr.studies.experiments import PAPER_MLP_HIDDEN

    table = R.divergence_table().set_index("topic")
    assert len(table) >= 9 and not table.isna().any().any()
    assert (
        str(list(PAPER_MLP_HIDDEN["mnist"]))
        in table.loc["MNIST MLP of the α sweep (Fig. 2c)"]["this book"]
    )
    fig = U.SETTINGS["paper-figure"][("mnist", "qnn")]
    assert f"lr {fig.lr}" in table.loc["Unlearning optimizer of the QNNs"]["this book"]
    hessian = table.loc["Hessian models, split and samples"]["this book"]
    assert f"depth {CS.AUTHORS_QNN_DEPTH}" in hessian
    assert str(list(CS.AUTHORS_MLP_HIDDEN)) in hessian


def test_divergences_markdown_is_one_definition_per_topic() -> None:
    table = R.divergence_table()
    text = R.divergences_markdown(table)
    assert text.count("\n: **SI:**") == len(table)


def _log(study: str, machine: str = "box", dirty: bool = False) -> dict:
    session = {
        "profile": "paper",
        "cells_computed": 3,
        "wall_time_s": 3725.0,
        "n_jobs": 2,
        "finished_at": "2026-01-02T03:04:05+0000",
        "qmlr": "0.1.0",
        "python": "3.11.7",
        "numpy": "2.4.6",
        "torch": "2.13.0+cpu",
        "tensorcircuit_ng": "1.10.0",
        "git_commit": "0123456789abcdef0123",
        "git_dirty": dirty,
        "machine": machine,
    }
    return {"study": study, "profile": "paper", "cells": 3, "total_wall_time_s": 3725.0,
            "sessions": [session]}  # fmt: skip


def _write_log(root: Path, log: dict) -> None:
    (root / log["study"]).mkdir(parents=True)
    (root / log["study"] / "study.json").write_text(json.dumps(log))


def test_provenance_table_reads_the_logs(tmp_path: Path) -> None:
    _write_log(tmp_path, _log("a", dirty=True))
    table = R.provenance_table(["a", "missing"], tmp_path)
    row = table.iloc[0]
    assert (row["cells"], row["wall time"], row["commit"]) == (
        "3 of 3",
        "1 h 02 min",
        "0123456789ab+dirty",
    )
    assert row["finished"] == "2026-01-02 03:04 +0000"
    assert table.iloc[1]["profile"] == "not computed"
    assert R.total_wall_time(["a", "missing"], tmp_path) == 3725.0
    assert R.environment_summary(table).startswith("Every study ran on the same machine")


def test_environment_summary_lists_differing_sessions(tmp_path: Path) -> None:
    _write_log(tmp_path, _log("a"))
    _write_log(tmp_path, _log("b", machine="other"))
    text = R.environment_summary(R.provenance_table(["a", "b"], tmp_path))
    assert text.startswith("The studies ran on different") and "b: other" in text


def test_committed_seeds_derive_from_their_specs() -> None:
    audit = R.seed_audit(limit=3)
    assert audit["mismatches"].sum() == 0
    # every result file records seeds; only the mechanism studies, still being computed, may
    # have no committed file yet
    assert (audit["seeds checked"] >= audit["result files"]).all()
    finished = audit[~audit["study"].isin(MECHANISM_STUDIES)]
    assert (finished["result files"] > 0).all()


def test_seed_audit_catches_a_doctored_seed(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_RESULTS_DIR / "resilience", tmp_path / "resilience")
    store = ResultStore(tmp_path)
    result = next(store.iter_study("resilience"))
    provenance = {**result.provenance, "poison_seed": result.provenance["poison_seed"] + 1}
    store.save(CellResult(result.spec, result.metrics, provenance))
    audit = R.seed_audit(["resilience"], tmp_path)
    assert audit.iloc[0]["mismatches"] == 1


def test_recompute_check_reproduces_a_stored_cell(tmp_path: Path) -> None:
    from qmlr.engine.runner import compute_cell
    from qmlr.studies.registry import study_cells

    spec = study_cells("resilience", "smoke")[0]
    store = ResultStore(tmp_path)
    store.save(compute_cell(spec))
    stored, fresh = R.recompute_check("resilience", tmp_path)
    assert stored.spec == spec and R.metrics_equal(stored.metrics, fresh.metrics)
    assert not R.metrics_equal(stored.metrics, {**fresh.metrics, "val_accuracy": -1.0})
    assert "identical, bit for bit" in R.recompute_markdown(stored, fresh)
    moved = CellResult(spec, {**fresh.metrics, "final_train_loss": 1.0}, fresh.provenance)
    assert R.metric_differences(stored.metrics, moved.metrics).keys() == {"final_train_loss"}
    text = R.recompute_markdown(stored, moved)
    assert text.startswith(":::{warning}") and "`final_train_loss`" in text


def test_recompute_check_needs_results(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        R.recompute_check("resilience", tmp_path)


def test_every_registered_study_is_in_the_provenance_and_seed_audit() -> None:
    """The reproducibility chapter's tables cover every study the registry lists."""
    from qmlr.report.reproducibility import STUDIES as AUDITED
    from qmlr.studies.registry import STUDIES as REGISTERED

    assert sorted(AUDITED) == sorted(REGISTERED)
