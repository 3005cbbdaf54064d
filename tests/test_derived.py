"""Tests of qmlr.engine.derived (sealed derived files) and qmlr.report.stored (the book's)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qmlr.engine import derived as D
from qmlr.engine.store import CorruptResultError, seal
from qmlr.report.analysis import Verdict
from qmlr.report.uncertainty import Interval, ThresholdTest


def _cells(root: Path, study: str, n: int = 2) -> None:
    folder = root / study / "cells"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"cell{i}.json").write_text(json.dumps({"i": i}))


def _mean(profile: str, results_dir) -> dict:
    """A value derived from the demo study's cells: how many there are and their mean index."""
    cells = sorted((Path(results_dir) / "demo" / "cells").glob("*.json"))
    indices = [json.loads(p.read_text())["i"] for p in cells]
    return {"n": len(indices), "mean": float(np.mean(indices))}


DEMO = D.Derivation("demo-mean", ("demo",), _mean)


def _reseal(path: Path, edit) -> None:
    document = json.loads(path.read_text())
    document.pop("sha256")
    edit(document)
    document["sha256"] = seal(document)
    path.write_text(json.dumps(document))


def test_the_codec_round_trips_verdicts_frames_arrays_and_containers() -> None:
    test = ThresholdTest("slope", Interval(-0.5, -0.6, -0.4), (-0.2,), True, runs=5)
    verdict = Verdict("c", "e", True, inconclusive=False, check="x/y", claim_no=2, tests=(test,))
    frame = pd.DataFrame({"b": [0.5, np.nan], "a": [1, 2], "c": ["x", "y"]})  # columns unsorted
    value = {
        "verdicts": [verdict],
        "frame": frame,
        ("tuple", 1): np.arange(3.0),
        "scalar": np.float64(0.25),
    }
    back = D.decode(json.loads(json.dumps(D.encode(value), sort_keys=True)))  # as files are
    assert back["verdicts"] == [verdict] and back["verdicts"][0].tests == (test,)
    pd.testing.assert_frame_equal(back["frame"], frame)
    assert np.array_equal(back[("tuple", 1)], np.arange(3.0)) and back["scalar"] == 0.25
    with pytest.raises(TypeError, match="cannot hold a set"):
        D.encode({1, 2})


def test_a_derived_file_is_sealed_and_refused_when_a_cell_changes(tmp_path: Path) -> None:
    _cells(tmp_path, "demo")
    path = D.write_derived(DEMO, "smoke", tmp_path)
    assert path == tmp_path / "derived" / "smoke" / "demo-mean.json"
    assert D.read_derived(DEMO, "smoke", tmp_path) == {"n": 2, "mean": 0.5}
    stored = json.loads(path.read_text())
    assert set(stored["inputs"]) == {"demo"} and "qmlr/engine/derived.py" in stored["code"]
    _cells(tmp_path, "demo", n=3)  # a new cell: the stored value is outdated
    with pytest.raises(D.StaleDerivedError, match="the cells of 'demo' changed"):
        D.read_derived(DEMO, "smoke", tmp_path)
    # at a live profile the value is computed again and stored for the next reader
    assert D.derived_value(DEMO, "smoke", tmp_path) == {"n": 3, "mean": 1.0}
    assert D.read_derived(DEMO, "smoke", tmp_path) == {"n": 3, "mean": 1.0}


def test_a_derived_file_is_refused_when_its_code_changed_or_it_was_edited(tmp_path) -> None:
    _cells(tmp_path, "demo")
    path = D.write_derived(DEMO, "smoke", tmp_path)
    _reseal(path, lambda doc: doc["code"].update({"qmlr/engine/derived.py": "0" * 64}))
    with pytest.raises(D.StaleDerivedError, match=r"qmlr/engine/derived.py changed"):
        D.read_derived(DEMO, "smoke", tmp_path)
    _reseal(path, lambda doc: doc["code"].update({"qmlr/gone.py": "0" * 64}))
    with pytest.raises(D.StaleDerivedError, match=r"qmlr/gone.py is gone"):
        D.read_derived(DEMO, "smoke", tmp_path)
    D.write_derived(DEMO, "smoke", tmp_path)
    path.write_text(path.read_text().replace('"n"', '"m"'))  # edited without a new seal
    with pytest.raises(CorruptResultError, match="seal"):
        D.read_derived(DEMO, "smoke", tmp_path)
    other = D.Derivation("demo-mean", ("demo", "more"), _mean)  # a new input study
    D.write_derived(DEMO, "smoke", tmp_path)
    with pytest.raises(D.StaleDerivedError, match="lacks the input studies"):
        D.read_derived(other, "smoke", tmp_path)


def test_a_stale_file_of_the_stored_profile_is_computed_live_and_left_alone(
    tmp_path, monkeypatch, capsys
) -> None:
    _cells(tmp_path, "demo")
    monkeypatch.setattr(D, "_results_root", lambda profile, results_dir: tmp_path)
    demo = D.Derivation("demo-mean", ("demo",), lambda profile, _: _mean(profile, tmp_path))
    with pytest.raises(FileNotFoundError):
        D.read_derived(demo, "paper")
    assert D.derived_value(demo, "paper") == {"n": 2, "mean": 0.5}
    assert D.DERIVE_COMMAND in capsys.readouterr().err
    assert not (tmp_path / "derived").exists()  # only `python -m qmlr derive` writes there


def test_the_cli_derive_command_writes_every_derivation(tmp_path, monkeypatch) -> None:
    from qmlr.report import stored
    from qmlr.tools.cli import main

    _cells(tmp_path, "demo")
    monkeypatch.setattr(stored, "DERIVATIONS", (DEMO,))
    assert main(["derive", "--profile", "smoke", "--results", str(tmp_path)]) == 0
    assert D.read_derived(DEMO, "smoke", tmp_path) == {"n": 2, "mean": 0.5}


def test_the_committed_checks_are_fresh_and_equal_a_recomputed_subset() -> None:
    """The paper profile's stored checks match the committed cells and code (else: run
    ``python -m qmlr derive``), and the resilience chapter's verdicts recomputed from the cells
    equal the stored ones (the full comparison is test_scorecard's
    ``test_verdicts_equal_the_chapters``)."""
    from qmlr.report import scorecard as S
    from qmlr.report.stored import CHECKS
    from qmlr.studies.study import load_records

    try:
        stored = D.read_derived(CHECKS, "paper")
    except (FileNotFoundError, D.StaleDerivedError) as err:
        pytest.fail(f"{err}; regenerate with `{D.DERIVE_COMMAND}`")
    live = S.resilience_checks(load_records("resilience", "paper"), "paper")
    by_id = {c.check: c for c in stored}
    assert live and all(by_id[c.check] == c for c in live)


def test_the_committed_phase_demo_is_fresh_and_shows_the_qnn_blind_to_the_phase() -> None:
    """The paper profile's phase demo matches the code (its training is recomputed at the smoke
    profile by the test below and by the resilience chapter under nbval)."""
    from qmlr.engine.profiles import get_profile
    from qmlr.report.stored import PHASE_DEMO
    from qmlr.studies import phase as PH

    try:
        demo = D.read_derived(PHASE_DEMO, "paper")
    except (FileNotFoundError, D.StaleDerivedError) as err:
        pytest.fail(f"{err}; regenerate with `{D.DERIVE_COMMAND}`")
    qnn = demo["qnn"]
    assert qnn["random"].train_loss.shape == (1, get_profile("paper").demo_epochs)
    assert np.abs(qnn["random"].train_loss - qnn["canonical"].train_loss).max() < (
        PH.PHASE_INVARIANCE_TOLERANCE
    )


def test_the_phase_demo_is_stored_once_and_shows_the_qnn_blind_to_the_phase() -> None:
    from qmlr.engine.profiles import get_profile
    from qmlr.report.stored import PHASE_DEMO, stored_phase_demo
    from qmlr.studies import phase as PH

    demo = stored_phase_demo("smoke")  # trained once, stored in the smoke folder
    again = D.read_derived(PHASE_DEMO, "smoke")
    epochs = get_profile("smoke").demo_epochs
    for model in ("qnn", "mlp"):
        for phase in ("random", "canonical"):
            assert demo[model][phase].train_loss.shape == (1, epochs)
            assert np.array_equal(again[model][phase].train_loss, demo[model][phase].train_loss)
    gap = np.abs(demo["qnn"]["random"].train_loss - demo["qnn"]["canonical"].train_loss).max()
    assert gap < PH.PHASE_INVARIANCE_TOLERANCE


def test_every_committed_derived_file_is_fresh() -> None:
    """Each derivation of the book has a paper-profile file that matches the committed cells and
    code (else the book computes it live and says so: run ``python -m qmlr derive``)."""
    from qmlr.report.stored import DERIVATIONS

    for derivation in DERIVATIONS:
        try:
            D.read_derived(derivation, "paper")
        except (FileNotFoundError, D.StaleDerivedError) as err:
            pytest.fail(f"{err}; regenerate with `{D.DERIVE_COMMAND}`")


def test_the_committed_seed_audit_equals_a_recomputation() -> None:
    from qmlr.report.stored import SEED_AUDIT

    stored = D.read_derived(SEED_AUDIT, "paper")
    live = SEED_AUDIT.compute("paper", None)
    pd.testing.assert_frame_equal(stored, live)
    assert int(stored["mismatches"].sum()) == 0 and int(stored["seeds checked"].sum()) > 0


def test_the_committed_analytic_discrepancies_equal_a_recomputation() -> None:
    """Rounding differs between CPUs, so the discrepancies compare to a tolerance far below the
    chapter's thresholds; everything else exactly."""
    from qmlr.report.analytic import AUTOGRAD_TOLERANCE
    from qmlr.report.stored import ANALYTIC_DISCREPANCY

    stored = D.read_derived(ANALYTIC_DISCREPANCY, "paper")
    live = ANALYTIC_DISCREPANCY.compute("paper", None)
    key = [(r.model, r.reference, r.n_points) for r in stored]
    assert key == [(r.model, r.reference, r.n_points) for r in live]
    np.testing.assert_allclose(
        [r.max_abs for r in stored], [r.max_abs for r in live], rtol=1e-3, atol=AUTOGRAD_TOLERANCE
    )


def test_the_committed_identity_proof_equals_a_recomputation() -> None:
    """Sympy's simplification is exact arithmetic: the stored proof equals a fresh one."""
    from qmlr.report.stored import ANALYTIC_IDENTITIES

    stored = D.read_derived(ANALYTIC_IDENTITIES, "paper")
    pd.testing.assert_frame_equal(stored, ANALYTIC_IDENTITIES.compute("paper", None))
    assert bool(stored["holds"].all()) and len(stored) > 0


def test_the_committed_circuit_is_the_one_tensorcircuit_builds() -> None:
    from qmlr.report.stored import CIRCUIT_GATES

    stored = D.read_derived(CIRCUIT_GATES, "paper")
    assert stored == CIRCUIT_GATES.compute("paper", None) and len(stored) > 0


def test_the_committed_battery_demo_is_the_readers_model_beside_the_books() -> None:
    from qmlr.engine.profiles import get_profile
    from qmlr.report.stored import BATTERY_DEMO, DEMO_NAME

    demo = D.read_derived(BATTERY_DEMO, "paper")
    prof = get_profile("paper")
    assert demo.name == DEMO_NAME and demo.profile == "paper"
    assert len(demo.records) == 2 * 2 * len(prof.alphas) * prof.runs
    assert DEMO_NAME in set(demo.table["model"]) and {"mlp", "qnn"} <= set(demo.table["model"])
