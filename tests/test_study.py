"""Tests of qmlr.studies.study: what a chapter may load without training."""

from __future__ import annotations

import shutil
from pathlib import Path

from qmlr.studies.registry import study_cells
from qmlr.studies.store import DEFAULT_RESULTS_DIR
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
