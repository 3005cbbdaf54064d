"""The phase-augmentation study: its cells, its seeds, its records and its verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qmlr.core.train import TrainConfig
from qmlr.engine.profiles import get_profile
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.report import robustness as R
from qmlr.report.phenotype import QNN_PHENOTYPE
from qmlr.studies import augmentation_study as A
from qmlr.studies.registry import STUDIES, study_cells


def test_cells_are_the_resilience_mlp_sweep_with_augmentation():
    assert STUDIES[A.STUDY] is A.DEFINITION
    for name in ("paper", "smoke"):
        profile = get_profile(name)
        cells = study_cells(A.STUDY, name)
        assert len(cells) == len(profile.alphas) * profile.runs
        assert len({c.key() for c in cells}) == len(cells)
        assert {c.train.augment for c in cells} == {"phase"}
        assert {c.data.phase_seed for c in cells} == {A.PHASE_SEED}
    resilience = {
        (c.alpha, c.run): c
        for c in study_cells("resilience", "paper")
        if c.data.name == "xxz" and c.model.kind == "mlp" and c.corruption == "label_flip"
    }
    for cell in study_cells(A.STUDY, "paper"):
        twin = resilience[cell.alpha, cell.run]
        assert (cell.data, cell.model) == (twin.data, twin.model)
        assert cell.train.epochs == twin.train.epochs and cell.train.augment != twin.train.augment
        # same poison and same initialization / minibatch order: only the augmentation differs
        assert cell.poison_seed() == twin.poison_seed()
        assert cell.model_seed() == twin.model_seed()
    seeds = {c.augment_seed() for c in study_cells(A.STUDY, "paper")}
    assert len(seeds) == len(study_cells(A.STUDY, "paper"))


def test_augmentation_is_refused_where_it_has_no_meaning():
    train = TrainConfig(2, 8, 0.01, augment="phase")
    with pytest.raises(ValueError):
        CellSpec("x", DataSpec("mnist"), ModelSpec("mlp", hidden=(4,)), train, "label_flip", 0, 0)
    with pytest.raises(ValueError):
        CellSpec("x", DataSpec("xxz"), ModelSpec("qnn", depth=1), train, "label_flip", 0, 0)


@pytest.fixture(scope="module")
def smoke_records():
    return A.available_records("smoke")


def test_smoke_records_carry_seed_augmentation_and_provenance(smoke_records):
    frame, total = smoke_records
    assert len(frame) == total == len(study_cells(A.STUDY, "smoke"))
    assert set(frame["phase_seed"]) == {A.PHASE_SEED} and set(frame["augment"]) == {"phase"}
    from qmlr.studies.study import load_results

    for result in load_results(A.STUDY, "smoke"):
        assert result.provenance["augment_seed"] == result.spec.augment_seed()


def test_augmented_cells_recompute_bit_for_bit():
    from qmlr.engine.runner import train_group
    from qmlr.report.reproducibility import metrics_equal

    cells = study_cells(A.STUDY, "tiny")
    first, again = train_group(cells), train_group(cells)
    for a, b in zip(first, again, strict=True):
        assert metrics_equal(a.metrics, b.metrics)


@pytest.mark.filterwarnings("ignore:Mean of empty slice")  # runs missing at some α
def test_verdicts_are_not_evaluated_until_every_cell_is_there(smoke_records):
    frame, total = smoke_records
    for records, n in ((frame, total), (frame.iloc[: len(frame) // 2], total), (frame.iloc[:0], 5)):
        verdicts = R.augmentation_verdicts(records, n, "paper" if len(records) < n else "smoke")
        assert tuple(verdicts) == R.AUGMENTATION_IDS
        for v in verdicts.values():
            assert v.reproduced is None and v.check in R.AUGMENTATION_IDS
    partial = R.augmentation_verdicts(frame.iloc[:2], total, "paper")
    assert f"2 of {total} cells computed" in partial[R.AUGMENTATION_IDS[1]].evidence


def _curve(val: np.ndarray, train: np.ndarray, memorized: np.ndarray) -> pd.DataFrame:
    """Records of a made-up XXZ MLP curve, five runs with a little run-to-run spread."""
    alphas = np.round(np.arange(10) * 0.1, 1)
    rows = []
    for run in range(5):
        shift = 0.002 * (run - 2)
        for i, a in enumerate(alphas):
            rows.append(
                {
                    "dataset": "xxz",
                    "model": "mlp",
                    "corruption": "label_flip",
                    "alpha": a,
                    "run": run,
                    "train_accuracy": train[i] + shift,
                    "val_accuracy": val[i] + shift,
                    "corrupted_memorized": np.nan if a == 0 else memorized[i] + shift,
                }
            )
    return pd.DataFrame(rows)


def test_a_qnn_like_curve_fails_and_a_memorizing_one_passes_the_phenotype_verdict():
    alphas = np.round(np.arange(10) * 0.1, 1)
    qnn_like = _curve(
        np.where(alphas < 0.45, 0.97, 0.1), 1 - alphas, np.where(alphas < 0.5, 0.05, 0.9)
    )
    verdicts = R.augmentation_verdicts(qnn_like, len(qnn_like), "paper")
    phen = verdicts["phase-augmentation/phenotype"]
    assert phen.reproduced is False and not phen.inconclusive
    assert "phenotype QNN" in phen.evidence
    assert all(c in phen.evidence for c in R.AUGMENTED_QNN_LIKE_CHECKS)
    assert R.AUGMENTED_QNN_LIKE_CHECKS == QNN_PHENOTYPE
    memorizing = _curve(1 - 0.6 * alphas, np.ones(10), np.full(10, 0.97))
    verdicts = R.augmentation_verdicts(memorizing, len(memorizing), "paper")
    assert verdicts["phase-augmentation/phenotype"].reproduced is True
    assert verdicts["phase-augmentation/mlp"].conclusively_reproduced


def test_committed_cells_are_complete_and_their_seeds_derive_from_their_specs():
    from qmlr.report.reproducibility import seed_audit

    frame, total = A.available_records("paper")
    if frame.empty:
        pytest.skip("no committed phase-augmentation results")
    assert len(frame) == total
    audit = seed_audit([A.STUDY], limit=5)
    assert audit.iloc[0]["mismatches"] == 0
    assert "augment_seed" in audit.iloc[0]["seed names"]
