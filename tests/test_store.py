"""Result store: atomic sealed files, refusal of tampered ones, CSV export."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qmlr.core.train import TrainConfig
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.engine.store import (
    CellResult,
    CorruptResultError,
    ResultStore,
    environment_provenance,
    export_records,
)


def make_result(run: int = 0, acc: float = 0.75) -> CellResult:
    spec = CellSpec(
        "demo",
        DataSpec("mnist"),
        ModelSpec("mlp", hidden=(16, 4)),
        TrainConfig(1, 8, 0.01),
        "label_flip",
        0.3,
        run,
    )
    return CellResult(spec, {"val_accuracy": acc, "train_accuracy": 1.0}, {"wall_time_s": 1.5})


def test_save_load_round_trip(tmp_path):
    store = ResultStore(tmp_path)
    result = make_result()
    path = store.save(result)
    assert path.name == f"{result.spec.key()}.json"
    assert store.has(result.spec)
    loaded = store.load(result.spec)
    assert loaded == result
    assert store.keys("demo") == [result.spec.key()]
    assert not list(path.parent.glob(".tmp-*"))


def test_missing_result_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no result for cell"):
        ResultStore(tmp_path).load(make_result().spec)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["metrics"].update(val_accuracy=0.99),
        lambda d: d["spec"].update(alpha=0.4),
        lambda d: d.update(schema=99),
        lambda d: d.pop("sha256"),
    ],
)
def test_tampered_file_is_refused(tmp_path, tamper):
    store = ResultStore(tmp_path)
    path = store.save(make_result())
    document = json.loads(path.read_text())
    tamper(document)
    path.write_text(json.dumps(document))
    with pytest.raises(CorruptResultError):
        store.load(make_result().spec)


def test_truncated_file_is_refused(tmp_path):
    store = ResultStore(tmp_path)
    path = store.save(make_result())
    path.write_text(path.read_text()[:50])
    with pytest.raises(CorruptResultError, match="not a readable result file"):
        store.load_file(path)


def test_renamed_file_is_refused(tmp_path):
    store = ResultStore(tmp_path)
    path = store.save(make_result())
    other = path.with_name("0123456789abcdef.json")
    path.rename(other)
    with pytest.raises(CorruptResultError, match="file name"):
        store.load_file(other)


def test_export_records(tmp_path):
    results = [make_result(run=1, acc=0.5), make_result(run=0, acc=0.75)]
    path = export_records(results, tmp_path / "records.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["run"] for r in rows] == ["0", "1"]
    assert rows[0]["val_accuracy"] == "0.75"
    assert rows[0]["dataset"] == "mnist" and rows[0]["model_label"] == "MLP [16, 4]"


def test_provenance_dirty_flag_ignores_results(tmp_path, monkeypatch):
    """Regenerating results/ leaves the code clean; editing code makes it dirty."""
    import subprocess

    from qmlr.engine import store as store_module

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "a.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    monkeypatch.setattr(store_module, "REPO_ROOT", tmp_path)

    def dirty() -> bool:
        store_module.environment_provenance.cache_clear()
        return store_module.environment_provenance()["git_dirty"]

    try:
        (tmp_path / "results" / "a.json").unlink()
        assert dirty() is False
        (tmp_path / "code.py").write_text("x = 2\n")
        assert dirty() is True
    finally:
        store_module.environment_provenance.cache_clear()


def test_the_store_reads_specs_without_the_registry() -> None:
    """The store decodes a cell through the engine's table, never the registry: in a fresh
    process a sweep cell loads with no study imported; a study's own spec kind is refused with
    a message naming the fix until that study's module is imported."""
    code = """
import sys
from pathlib import Path
from qmlr.engine.store import DEFAULT_RESULTS_DIR, CorruptResultError, ResultStore
store = ResultStore(DEFAULT_RESULTS_DIR)
sweep = next((DEFAULT_RESULTS_DIR / "resilience" / "cells").glob("*.json"))
assert store.load_file(sweep).spec.key() == sweep.stem
assert not any(m.startswith("qmlr.studies") for m in sys.modules), "a study was imported"
run = next((DEFAULT_RESULTS_DIR / "unlearning" / "cells").glob("*.json"))
try:
    store.load_file(run)
except CorruptResultError as err:
    assert "unknown spec kind 'unlearning-run'" in str(err) and "registry" in str(err)
else:
    raise AssertionError("an unlearning run decoded without its study")
import qmlr.studies.unlearning_study
assert store.load_file(run).spec.key() == run.stem
"""
    root = Path(__file__).resolve().parents[1]  # `python -c` imports this checkout's qmlr
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr


def test_provenance_names_the_installed_simulators_version() -> None:
    import tensorcircuit  # the version comes from the installed distribution's metadata

    assert environment_provenance()["tensorcircuit_ng"] == tensorcircuit.__version__
