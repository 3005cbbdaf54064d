"""Safe writes into a results folder: whole files or none, and errors that name the folder.

Every result, record table and log is written through :func:`write_atomic` (a temporary file
in the same folder, flushed to disk, then ``os.replace``), so a reader sees the old file or the
new one, never a part. A write that fails (read-only folder, full disk) removes its temporary
file and raises :class:`StorageError` naming the folder. :func:`check_writable` finds such a
folder before any work is spent on results that could not be stored.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qmlr.engine.atomic import check_writable, write_atomic
    >>> folder = Path(tempfile.mkdtemp()) / "demo"
    >>> check_writable(folder)
    >>> write_atomic(folder / "hello.txt", b"hi").read_text()
    'hi'
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

#: A folder with less free space than this counts as full: nothing is computed into it.
MIN_FREE_BYTES = 1 << 20
#: Permissions of a written file (``mkstemp`` alone would make it private to its owner).
FILE_MODE = 0o644
#: Prefix of the temporary files of :func:`write_atomic` (never a result's name).
TEMP_PREFIX = ".tmp-"


class StorageError(OSError):
    """A results folder cannot be written (read-only, missing permission, full disk)."""


def storage_error(err: OSError, folder: str | os.PathLike[str]) -> StorageError:
    """``err`` restated as a :class:`StorageError` that names ``folder`` (errno kept).

    :param err: the error the file system raised.
    :param folder: the folder that could not be written.
    :return: the error to raise (``raise storage_error(err, folder) from err``).
    """
    if isinstance(err, StorageError):
        return err
    reason = err.strerror or str(err)
    return StorageError(err.errno, f"cannot write to the results folder {folder}: {reason}")


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` as a whole: temporary file, flush + fsync, ``os.replace``.

    :param path: the file to (re)place; its folder is created if missing.
    :param data: the complete content.
    :return: ``path``.
    :raises StorageError: the folder cannot be written; no temporary file is left behind and
        an existing ``path`` keeps its old content.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=path.suffix)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), FILE_MODE)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise storage_error(err, path.parent) from err
        raise
    return path


def check_writable(folder: str | os.PathLike[str], min_free: int = MIN_FREE_BYTES) -> None:
    """Fail early, naming ``folder``, if results cannot be written there.

    Creates the folder if missing, writes and removes a probe file, and checks that the disk
    has at least ``min_free`` bytes free.

    :param folder: the folder results will be written to.
    :param min_free: fewer free bytes than this count as a full disk.
    :raises StorageError: the folder cannot be created or written, or its disk is full.
    """
    folder = Path(folder)
    try:
        write_atomic(folder / f"{TEMP_PREFIX}probe-{os.getpid()}", b"probe").unlink()
        free = shutil.disk_usage(folder).free
    except OSError as err:
        raise storage_error(err, folder) from err
    if free < min_free:
        full = OSError(errno.ENOSPC, f"only {free} bytes free (at least {min_free} needed)")
        raise storage_error(full, folder)
