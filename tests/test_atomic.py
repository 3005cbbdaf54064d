"""Storage faults: a read-only or full results folder fails clearly, naming the folder, before
any training where it can tell, and never leaves a half-written or unsealed file."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from qmlr.engine import atomic, runner
from qmlr.engine.atomic import StorageError, check_writable, write_atomic
from qmlr.engine.store import CellResult, ResultStore
from qmlr.studies.registry import study_cells

IS_ROOT = os.geteuid() == 0  # root writes through permissions: read-only is then simulated


def cells() -> list:
    return study_cells("resilience", "smoke")[:4]


TRAINED: list[str] = []


def cheap_compute(group: list) -> list[CellResult]:
    TRAINED.extend(c.key() for c in group)
    return [CellResult(c, {"val_accuracy": 0.5}, {}) for c in group]


@pytest.fixture
def trained():
    TRAINED.clear()
    return TRAINED


def leftovers(root: Path) -> list[Path]:
    """Temporary files, claims and probes a failed run must not leave behind."""
    return [p for p in root.rglob("*") if p.name.startswith(".tmp-") or p.suffix == ".claim"]


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A results folder that cannot be written (chmod; simulated for root)."""
    root = tmp_path / "results"
    root.mkdir()
    if IS_ROOT:

        def refuse(*args, dir=None, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
        monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: None)
        yield root
    else:
        root.chmod(0o555)
        yield root
        root.chmod(0o755)


def fail_writes_with_enospc(monkeypatch, after: int = 0) -> None:
    """Let ``after`` atomic writes succeed, then make each write half its data and hit a full
    disk."""
    real_fdopen = os.fdopen
    count = {"n": 0}

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, *args, **kwargs):
        fh = real_fdopen(fd, *args, **kwargs)
        count["n"] += 1
        return fh if count["n"] <= after else HalfWriter(fh)

    monkeypatch.setattr(atomic.os, "fdopen", fdopen)


def test_write_atomic_on_a_full_disk_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = write_atomic(tmp_path / "log.json", b"old")
    fail_writes_with_enospc(monkeypatch)
    with pytest.raises(StorageError, match=str(tmp_path)) as err:
        write_atomic(path, b"new content")
    assert err.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_failed_fsync_removes_the_written_temporary(tmp_path, monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(StorageError, match="No space left"):
        write_atomic(tmp_path / "cells" / "a.json", b"{}")
    assert list((tmp_path / "cells").iterdir()) == []


def test_a_read_only_folder_fails_before_any_training(read_only, trained):
    with pytest.raises(StorageError, match=str(read_only)) as err:
        runner.run_specs(cells(), ResultStore(read_only), cheap_compute, n_jobs=1, progress=False)
    assert err.value.errno == errno.EACCES
    assert trained == []
    if not IS_ROOT:
        assert list(read_only.iterdir()) == []


def test_a_read_only_folder_with_every_result_is_still_read(tmp_path, trained, monkeypatch):
    store = ResultStore(tmp_path)
    runner.run_specs(cells(), store, cheap_compute, n_jobs=1, progress=False)
    trained.clear()

    def refuse(*args, **kwargs):
        raise AssertionError("nothing is written when every result exists")

    monkeypatch.setattr(atomic, "write_atomic", refuse)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    results = runner.run_specs(cells(), store, cheap_compute, n_jobs=1, progress=False)
    assert len(results) == 4 and trained == []


def test_a_full_disk_is_found_before_any_training(tmp_path, trained, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda _: usage._replace(free=4096))
    with pytest.raises(StorageError, match=str(tmp_path)) as err:
        runner.run_specs(cells(), ResultStore(tmp_path), cheap_compute, n_jobs=1, progress=False)
    assert err.value.errno == errno.ENOSPC and trained == []


def test_a_disk_that_fills_mid_run_leaves_only_whole_sealed_results(tmp_path, trained, monkeypatch):
    store = ResultStore(tmp_path)
    fail_writes_with_enospc(monkeypatch, after=3)  # the probe and two results
    with pytest.raises(StorageError, match=str(tmp_path / "resilience" / "cells")) as err:
        runner.run_specs(cells(), store, cheap_compute, n_jobs=1, progress=False)
    assert err.value.errno == errno.ENOSPC
    assert len(trained) == 3  # the third result could not be stored
    assert len(list(store.iter_study("resilience"))) == 2  # each loads: whole and sealed
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    results = runner.run_specs(cells(), store, cheap_compute, n_jobs=1, progress=False)
    assert [r.spec for r in results] == cells() and len(trained) == 5


def test_check_writable_names_the_folder(read_only):
    with pytest.raises(StorageError, match=f"cannot write to the results folder {read_only}"):
        check_writable(read_only / "study")
