"""Tests of qmlr.studies.study: what a chapter may load without training."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qmlr.engine.store import DEFAULT_RESULTS_DIR
from qmlr.studies.registry import study_cells
from qmlr.studies.study import load_available


def test_a_partly_computed_study_loads_what_is_on_disk_and_trains_nothing(tmp_path: Path) -> None:
    cells = study_cells("resilience", "paper")
    kept = cells[:7]
    folder = tmp_path / "resilience" / "cells"
    folder.mkdir(parents=True)
    for spec in kept:
        shutil.copy(DEFAULT_RESULTS_DIR / "resilience" / "cells" / f"{spec.key()}.json", folder)
    results, total = load_available("resilience", "paper", tmp_path)
    assert total == len(cells) > len(kept)
    assert [r.spec for r in results] == kept
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s.key()}.json" for s in kept)


def test_the_machines_of_a_study_are_read_from_its_sessions(tmp_path: Path) -> None:
    import json

    from qmlr.studies.study import study_machines

    folder = tmp_path / "demo"
    folder.mkdir()
    assert study_machines("demo", tmp_path) == "an unrecorded machine"
    sessions = [{"machine": "A, 2 cores"}, {"machine": "B, 8 cores"}, {"machine": "A, 2 cores"}, {}]
    (folder / "study.json").write_text(json.dumps({"sessions": sessions}))
    assert study_machines("demo", tmp_path) == "A, 2 cores; B, 8 cores"


def test_a_profile_reading_missing_full_mnist_fails_before_any_training(tmp_path, monkeypatch):
    """``reproduce`` at the full-MNIST profile checks the files first: a missing folder raises
    FileNotFoundError naming it, and no cell, session or claim is written."""
    from qmlr.studies.study import reproduce

    monkeypatch.setenv("QMLR_MNIST", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="absent"):
        reproduce("resilience", "full-mnist", n_jobs=1, results_dir=tmp_path / "results")
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*"))
