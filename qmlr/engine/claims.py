"""One writer per cell: claim files that let concurrent runs on one results folder share work.

Before a process trains a group of cells it claims every cell of the group, all or none: a
file ``<study>/.claims/<cell key>.claim`` naming its owner (host, pid, the process's start
time, a per-run token). A claim held by a live process makes others leave the cell alone and
collect its result once it lands; a claim whose owner died (same host, and the pid is gone, a
zombie, or now belongs to a process started at another time) is taken over. Claims are removed
once their cells are saved and when the run ends; a ``kill -9`` leaves them to be taken over.
Claims and the ``study.json`` log are changed only under an exclusive ``flock`` on
``<study>/.claims/lock``. A claim from another host cannot be checked and is honoured: if that
process is gone, delete its claim file (the waiting process names it).

Example:
    >>> import tempfile
    >>> from qmlr.engine.claims import CellClaims
    >>> from qmlr.engine.store import ResultStore
    >>> from qmlr.core.train import TrainConfig
    >>> from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
    >>> cell = CellSpec("demo", DataSpec("xxz"), ModelSpec("mlp", hidden=(4,)),
    ...                 TrainConfig(1, 32, 0.01), "label_flip", 0.2, run=0)
    >>> with CellClaims(ResultStore(tempfile.mkdtemp())) as mine:
    ...     with CellClaims(mine.store) as theirs:
    ...         (mine.try_claim([cell]), theirs.try_claim([cell]), theirs.owner(cell) is not None)
    (True, False, True)
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qmlr.engine.atomic import storage_error
from qmlr.engine.store import ResultStore

#: Folder of a study's claim files and lock.
CLAIMS_DIR = ".claims"
#: Seconds between two looks at cells that other processes are computing.
POLL_S = 0.5


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (boot id and clock ticks since boot); ``None`` if unknown.

    :param pid: a process id on this host.
    :return: an identity that differs between two processes that held the same pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{_boot_id()}:{stat.rsplit(')', 1)[1].split()[19]}"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@dataclass(frozen=True)
class Owner:
    """Who holds a claim.

    :param host: host name of the owning process.
    :param pid: its process id.
    :param started: its :func:`process_start` (``None`` where unknown).
    :param token: unique per :class:`CellClaims` (one run of one process).
    """

    host: str
    pid: int
    started: str | None
    token: str

    @classmethod
    def current(cls) -> Owner:
        """This process, with a fresh token."""
        pid = os.getpid()
        return cls(socket.gethostname(), pid, process_start(pid), uuid.uuid4().hex)

    def alive(self) -> bool:
        """Whether the owner may still be running (a process on another host counts as alive)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        if _is_zombie(self.pid):
            return False
        now = process_start(self.pid)
        return self.started is None or now is None or now == self.started


@contextmanager
def folder_lock(study_folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the exclusive lock of a study folder (claims and ``study.json`` change under it).

    :param study_folder: ``<results>/<study>``.
    :raises StorageError: the folder cannot be written.
    """
    folder = Path(study_folder) / CLAIMS_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / "lock", "a")  # noqa: SIM115 - closed below, after the unlock
    except OSError as err:
        raise storage_error(err, folder) from err
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class CellClaims:
    """The claims of one run of one process on a result store (a context manager that
    releases every claim it still holds on exit).

    :param store: the store whose cells are claimed.
    """

    def __init__(self, store: ResultStore) -> None:
        self.store = store
        self.me = Owner.current()
        self._held: set[Path] = set()
        self._mutex = threading.Lock()  # joblib may claim from its dispatch thread
        self._announced: set[Owner] = set()

    def __enter__(self) -> CellClaims:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_all()

    def path(self, spec: Any) -> Path:
        """The claim file of ``spec``."""
        cell = self.store.cell_path(spec)
        return cell.parent.parent / CLAIMS_DIR / f"{spec.key()}.claim"

    @staticmethod
    def _read(path: Path) -> Owner | None:
        """The owner named in a claim file; ``None`` if there is none or it is unreadable
        (a writer killed while writing: claims are written under the lock)."""
        try:
            return Owner(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _live_other(self, path: Path) -> Owner | None:
        owner = self._read(path)
        if owner is None or owner == self.me or not owner.alive():
            return None
        return owner

    @contextmanager
    def _locked(self, specs: Iterable[Any]) -> Iterator[list[tuple[Any, Path]]]:
        pairs = [(s, self.path(s)) for s in specs]
        with self._mutex, ExitStack() as stack:
            for folder in sorted({p.parent.parent for _, p in pairs}):
                stack.enter_context(folder_lock(folder))
            yield pairs

    def try_claim(self, specs: Sequence[Any]) -> bool:
        """Claim every spec of a group, or none if a live process holds any of them.

        :param specs: the group about to be computed.
        :return: whether this run now holds all of them.
        """
        with self._locked(specs) as pairs:
            if any(self._live_other(p) is not None for _, p in pairs):
                return False
            content = json.dumps(asdict(self.me)).encode()
            for _, path in pairs:
                if path in self._held:
                    continue
                try:
                    path.unlink(missing_ok=True)  # a dead owner's claim
                    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except OSError as err:
                    raise storage_error(err, path.parent) from err
                self._held.add(path)  # released on exit, even if the write below fails
                try:
                    if os.write(fd, content) != len(content):
                        raise OSError(errno.ENOSPC, "claim file written in part")
                except OSError as err:
                    raise storage_error(err, path.parent) from err
                finally:
                    os.close(fd)
            return True

    def owner(self, spec: Any) -> Owner | None:
        """The live process other than this run that holds ``spec``, if any."""
        with self._locked([spec]) as [(_, path)]:
            return self._live_other(path)

    def release(self, specs: Iterable[Any]) -> None:
        """Drop this run's claims on ``specs`` (after their results are saved)."""
        specs = list(specs)
        with self._locked(specs) as pairs:
            for _, path in pairs:
                if path in self._held:
                    if self._read(path) in (self.me, None):  # ours, or our failed write
                        path.unlink(missing_ok=True)
                    self._held.discard(path)

    def release_all(self) -> None:
        """Drop every claim this run still holds."""
        with self._mutex:
            held = list(self._held)
        for path in held:
            with self._mutex, folder_lock(path.parent.parent):
                if self._read(path) in (self.me, None):  # ours, or our failed write
                    path.unlink(missing_ok=True)
                self._held.discard(path)

    def claimed(
        self, groups: Iterable[Sequence[Any]], landed: Callable[[Any], bool]
    ) -> Iterator[list[Any]]:
        """The groups this run may compute, each claimed just before it is yielded.

        Cells that landed meanwhile are dropped from their group; a group that a live process
        holds in part is skipped (see :meth:`wait`).

        :param groups: planned groups of missing specs.
        :param landed: whether a spec's result exists.
        :return: an iterator over claimed groups (lazy: claim as late as possible).
        """
        for group in groups:
            group = [s for s in group if not landed(s)]
            if group and self.try_claim(group):
                yield group

    def wait(
        self, groups: Iterable[Sequence[Any]], landed: Callable[[Any], bool]
    ) -> list[list[Any]]:
        """Wait until some group can be computed (no live claim on its missing cells) or until
        all have landed.

        :param groups: groups, some of them held by other processes.
        :param landed: whether a spec's result exists.
        :return: the groups' missing cells (empty once every cell landed).
        """
        while True:
            remaining = [g for g in ([s for s in group if not landed(s)] for group in groups) if g]
            owners = [[self.owner(s) for s in g] for g in remaining]
            if not remaining or any(all(o is None for o in os_) for os_ in owners):
                return remaining
            for owner in {o for os_ in owners for o in os_ if o is not None} - self._announced:
                self._announced.add(owner)
                print(
                    f"waiting for cells that process {owner.pid} on {owner.host} is computing "
                    f"(claims in {self.path(remaining[0][0]).parent}; delete that process's "
                    "claim files if it is gone)",
                    file=sys.stderr,
                )
            time.sleep(POLL_S)
