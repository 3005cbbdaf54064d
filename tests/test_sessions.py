"""study.json sessions: one entry per computing process, updated in place, none lost."""

from __future__ import annotations

import json
import threading

from qmlr.engine.sessions import SessionLog


def read_log(folder) -> dict:
    return json.loads((folder / "study.json").read_text())


def test_interleaved_sessions_are_each_logged_once(tmp_path):
    first = SessionLog(tmp_path, "demo", "smoke", n_cells=7, n_jobs=2, backend="loky")
    second = SessionLog(tmp_path, "demo", "smoke", n_cells=7, n_jobs=1, backend="loky")
    idle = SessionLog(tmp_path, "demo", "smoke", n_cells=7, n_jobs=1, backend="loky")
    for log in (first, second, first, second, first):
        log.cell_saved()
    first.close(2.0)
    idle.close(0.5)  # computed nothing: no session
    second.cell_saved()
    second.close(3.0)
    log = read_log(tmp_path)
    assert [(s["cells_computed"], s["wall_time_s"]) for s in log["sessions"]] == [
        (3, 2.0),
        (3, 3.0),
    ]
    assert log["cells"] == 7 and log["total_wall_time_s"] == 5.0


def test_sessions_saved_from_many_threads_are_all_counted(tmp_path):
    logs = [
        SessionLog(tmp_path, "demo", "smoke", n_cells=80, n_jobs=1, backend="loky")
        for _ in range(4)
    ]

    def save_twenty(log):
        for _ in range(20):
            log.cell_saved()

    threads = [threading.Thread(target=save_twenty, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s["cells_computed"] for s in read_log(tmp_path)["sessions"]] == [20] * 4
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_session_keeps_the_cells_of_a_process_killed_before_it_closed(tmp_path):
    killed = SessionLog(tmp_path, "demo", "smoke", n_cells=5, n_jobs=1, backend="loky")
    for _ in range(2):
        killed.cell_saved()  # never closed, as after a kill -9
    (session,) = read_log(tmp_path)["sessions"]
    assert session["cells_computed"] == 2 and session["session_id"] == killed.entry["session_id"]
