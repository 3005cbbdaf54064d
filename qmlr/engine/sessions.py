"""The computing sessions of a study, logged in ``<results>/<study>/study.json``.

Each ``reproduce`` process that computes cells has one session entry: the cells it computed,
its wall time and worker processes, and its environment. The entry is written as each cell
lands (so a killed process keeps the cells it saved on record) and rewritten in place, under
the study folder's lock and atomically, so concurrent processes neither lose nor double-count a
session: the sessions' ``cells_computed`` add up to the cells computed into the folder.

Example:
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from qmlr.engine.sessions import SessionLog
    >>> folder = Path(tempfile.mkdtemp()) / "demo"
    >>> log = SessionLog(folder, "demo", "smoke", n_cells=3, n_jobs=1, backend="loky")
    >>> log.cell_saved(); log.cell_saved(); log.close(wall_time_s=1.5)
    >>> [s["cells_computed"] for s in json.loads((folder / "study.json").read_text())["sessions"]]
    [2]
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from qmlr.engine.atomic import write_atomic
from qmlr.engine.claims import folder_lock
from qmlr.engine.store import CellResult, ResultStore, environment_provenance


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class SessionLog:
    """This process's session in a study's ``study.json``.

    :param folder: the study folder, ``<results>/<study>``.
    :param study: the study's name.
    :param profile: the profile computed.
    :param n_cells: cells in the study at this profile.
    :param fields: more fields of the entry (``n_jobs``, ``backend``).
    """

    def __init__(
        self, folder: str | os.PathLike[str], study: str, profile: str, n_cells: int, **fields: Any
    ) -> None:
        self.path = Path(folder) / "study.json"
        self.study, self.profile, self.n_cells = study, profile, n_cells
        self._start = time.perf_counter()
        self.entry: dict[str, Any] = {
            "profile": profile,
            "cells_computed": 0,
            "wall_time_s": 0.0,
            **fields,
            "started_at": _now(),
            "finished_at": _now(),
            "session_id": uuid.uuid4().hex,
            **environment_provenance(),
        }

    @property
    def cells_computed(self) -> int:
        """Cells this process has saved so far."""
        return int(self.entry["cells_computed"])

    def cell_saved(self) -> None:
        """Count one more saved cell and log the session as it stands."""
        self.entry["cells_computed"] += 1
        self._write(round(time.perf_counter() - self._start, 2))

    def close(self, wall_time_s: float) -> None:
        """Log the finished session (and the study's totals, even if it computed nothing).

        :param wall_time_s: the session's wall time.
        """
        self._write(round(wall_time_s, 2))

    def _write(self, wall_time_s: float) -> None:
        self.entry["wall_time_s"] = wall_time_s
        self.entry["finished_at"] = _now()
        with folder_lock(self.path.parent):  # one read-modify-write at a time
            log = (
                json.loads(self.path.read_text())
                if self.path.exists()
                else {"study": self.study, "sessions": []}
            )
            sessions = log["sessions"]
            ids = [s.get("session_id") for s in sessions]
            if self.entry["session_id"] in ids:
                sessions[ids.index(self.entry["session_id"])] = dict(self.entry)
            elif self.cells_computed:
                sessions.append(dict(self.entry))
            log["profile"] = self.profile
            log["cells"] = self.n_cells
            log["total_wall_time_s"] = round(sum(s["wall_time_s"] for s in sessions), 2)
            write_atomic(self.path, json.dumps(log, indent=1).encode())

    def store(self, root: str | os.PathLike[str]) -> ResultStore:
        """A store at ``root`` that logs this session each time it saves a cell."""
        return _LoggingStore(root, self)


class _LoggingStore(ResultStore):
    def __init__(self, root: str | os.PathLike[str], session: SessionLog) -> None:
        super().__init__(root)
        self.session = session

    def save(self, result: CellResult) -> Path:
        path = super().save(result)
        self.session.cell_saved()
        return path
