"""Sealed derived files: values computed from sealed result cells, stored with their provenance.

Some numbers the book shows are cheap to read but expensive to derive from the cells (every
bootstrap interval and verdict of every chapter, for the scorecard). A :class:`Derivation` names
such a value: the studies whose cells it reads and the function that computes it. The value is
stored in ``<results>/derived/<profile>/<name>.json`` together with

- ``inputs``: a digest of each input study's cell files (:func:`study_digest`);
- ``code``: the SHA-256 of the source of every ``qmlr`` module the computing function's module
  imports, directly or through others (``qmlr.tools`` aside; :func:`code_digests`), i.e. of all
  the code that can have shaped the value;
- ``versions``: the numerical libraries' versions (provenance only);

all sealed by a SHA-256 of the whole document, like a result cell. :func:`read_derived` refuses
a stale file — a digest of a cell folder or of a module differs — with :class:`StaleDerivedError`,
which names what changed; :func:`derived_value` then computes the value from the cells instead
(and says so on stderr), so a stale file never shows an outdated number. The value is whatever
the function returns, stored by a generic JSON codec (:func:`encode` / :func:`decode`): numbers,
strings, lists, tuples, dicts, numpy arrays, pandas frames, enums and ``qmlr`` dataclasses.

The repository's paper-profile derived files are written only by ``python -m qmlr derive``
(and by ``python -m qmlr reproduce``, after the studies); at a profile computed live (smoke, tiny)
:func:`derived_value` writes the file into that profile's results folder as a cache.

Example:
    >>> import tempfile
    >>> demo = Derivation("demo", (), lambda profile, results_dir: {"answer": (42, 0.5)})
    >>> root = tempfile.mkdtemp()
    >>> _ = write_derived(demo, "smoke", root)
    >>> read_derived(demo, "smoke", root)
    {'answer': (42, 0.5)}
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import enum
import hashlib
import importlib
import importlib.metadata
import json
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qmlr.engine.atomic import write_atomic
from qmlr.engine.loading import store_for
from qmlr.engine.profiles import get_profile
from qmlr.engine.reads import file_sha256
from qmlr.engine.store import REPO_ROOT, CorruptResultError, seal

SCHEMA_VERSION = 1
#: Sub-folder of a results folder that holds the derived files, one folder per profile.
DERIVED_FOLDER = "derived"
#: The command that regenerates the repository's derived files (named in every warning).
DERIVE_COMMAND = "python -m qmlr derive --profile paper"
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class StaleDerivedError(ValueError):
    """A derived file no longer matches the cells or the code it was derived from."""


@dataclass(frozen=True)
class Derivation:
    """A value derived from the cells of some studies.

    :param name: the file's name (``<name>.json``), unique among derivations.
    :param studies: the studies whose cell files the value is computed from.
    :param compute: ``compute(profile, results_dir)`` returns the value.
    """

    name: str
    studies: tuple[str, ...]
    compute: Callable[[str, str | Path | None], Any]


# --------------------------------------------------------------------------------------------
# Digests
# --------------------------------------------------------------------------------------------


def study_digest(root: str | os.PathLike[str], study: str) -> str:
    """SHA-256 over the names and bytes of a study's cell files (``<root>/<study>/cells``).

    :param root: the results folder.
    :param study: the study's name.
    :return: the hex digest (that of no file at all when the study has no cell).
    """
    digest = hashlib.sha256()
    folder = Path(root) / study / "cells"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        digest.update(path.name.encode() + b"\0" + bytes.fromhex(file_sha256(path)))
    return digest.hexdigest()


def source_digest(path: str | os.PathLike[str]) -> str | None:
    """SHA-256 of a source file's bytes (:func:`qmlr.engine.reads.file_sha256`, read once while
    the file stays the same), ``None`` where the file is gone.

    :param path: the file.
    :return: the hex digest or ``None``.
    """
    try:
        return file_sha256(path)
    except OSError:
        return None


def loaded_code() -> dict[str, str]:
    """The ``qmlr`` modules this process has loaded (``qmlr.tools`` aside), as source paths
    relative to the package's parent folder, each with its :func:`source_digest`.

    :return: ``{"qmlr/report/analysis.py": "ab12…", …}``, sorted.
    """
    found: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        if not (name == "qmlr" or name.startswith("qmlr.")) or name.startswith("qmlr.tools"):
            continue
        file = getattr(module, "__file__", None)
        if file is None or not Path(file).resolve().is_relative_to(_PACKAGE_ROOT):
            continue
        relative = Path(file).resolve().relative_to(_PACKAGE_ROOT.parent).as_posix()
        digest = source_digest(file)
        if digest is not None:
            found[relative] = digest
    return dict(sorted(found.items()))


def module_file(module: str) -> Path | None:
    """The source file of a dotted ``qmlr`` module name, ``None`` where there is none.

    :param module: e.g. ``"qmlr.engine.derived"``.
    :return: its ``.py`` file (a package's ``__init__.py``).
    """
    base = _PACKAGE_ROOT.parent.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(module: str) -> set[str]:
    """The ``qmlr`` modules (and their packages) that ``module``'s source imports anywhere."""
    path = module_file(module)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())) if path else ():
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            found |= {".".join(parts[:k]) for k in range(1, len(parts) + 1) if parts[0] == "qmlr"}
    return {m for m in found if module_file(m) is not None}


def import_closure(module: str) -> list[str]:
    """``module`` and every ``qmlr`` module it imports, directly or through others (the import
    statements of their sources, wherever they stand), ``qmlr.tools`` aside.

    :param module: a dotted ``qmlr`` module name.
    :return: the sorted module names.

    Example:
        >>> "qmlr.engine.store" in import_closure("qmlr.engine.derived")
        True
        >>> any(m.startswith("qmlr.report") for m in import_closure("qmlr.engine.derived"))
        False
    """
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("qmlr.tools"):
            continue
        seen.add(name)
        todo += sorted(_imports(name) - seen)
    return sorted(seen)


def code_digests(compute: Callable[..., Any]) -> dict[str, str]:
    """The code a derived value depends on, with each file's :func:`source_digest`: every
    module of :func:`import_closure` of the module that defines ``compute`` (so a change to a
    module it cannot reach leaves the value fresh); all the ``qmlr`` modules this process has
    loaded (:func:`loaded_code`) where ``compute`` is defined outside ``qmlr``.

    :param compute: the derivation's function.
    :return: ``{"qmlr/engine/derived.py": "ab12…", …}``, sorted.
    """
    module = getattr(compute, "__module__", "") or ""
    if not (module == "qmlr" or module.startswith("qmlr.")) or module_file(module) is None:
        return loaded_code()
    found = {}
    for name in import_closure(module):
        path = module_file(name)
        digest = source_digest(path)
        if digest is not None:
            found[path.relative_to(_PACKAGE_ROOT.parent).as_posix()] = digest
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------------------------
# A generic JSON codec for derived values
# --------------------------------------------------------------------------------------------


def _qualified(obj_type: type) -> str:
    return f"{obj_type.__module__}:{obj_type.__qualname__}"


def _resolve(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not (module == "qmlr" or module.startswith("qmlr.")):
        raise CorruptResultError(f"derived file names a type outside qmlr: {name!r}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def encode(value: Any) -> Any:
    """``value`` as plain JSON data that :func:`decode` turns back into an equal value.

    :param value: numbers, strings, ``None``, lists, tuples, dicts, numpy arrays (numeric ones
        stored as their exact bytes, compressed) and scalars, pandas frames, enums and
        dataclasses (of ``qmlr`` modules), nested freely.
    :return: JSON-serialisable data.
    :raises TypeError: for any other type.

    Example:
        >>> decode(encode({"a": (1, [2.5, None])}))
        {'a': (1, [2.5, None])}
        >>> decode(encode(np.array([[0.1, 2.0]]))).tolist()  # numeric arrays: exact bytes, packed
        [[0.1, 2.0]]
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return {"__enum__": _qualified(type(value)), "value": encode(value.value)}
    if isinstance(value, int | float):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":  # numbers: exact bytes
        packed = zlib.compress(np.ascontiguousarray(value).tobytes(), 9)
        shape = list(value.shape)
        return {"__ndarray__": base64.b64encode(packed).decode(), "dtype": value.dtype.str,
                "shape": shape}  # fmt: skip
    if isinstance(value, np.ndarray):
        return {"__ndarray__": encode(value.tolist()), "dtype": str(value.dtype)}
    if isinstance(value, pd.DataFrame):
        columns = {str(c): encode(value[c].tolist()) for c in value.columns}
        dtypes = {str(c): str(t) for c, t in value.dtypes.items()}
        index = encode(value.index.tolist())
        order = [str(c) for c in value.columns]  # the JSON is written with sorted keys
        return {"__frame__": columns, "dtypes": dtypes, "index": index, "columns": order}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__dataclass__": _qualified(type(value)), "fields": fields}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"a derived value cannot hold a {type(value).__name__}")


def decode(data: Any) -> Any:
    """The value :func:`encode` encoded.

    :param data: what :func:`encode` returned (after a JSON round trip).
    :return: the value.
    """
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__dict__"]}
    if "__ndarray__" in data and isinstance(data["__ndarray__"], str):
        raw = zlib.decompress(base64.b64decode(data["__ndarray__"]))
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
    if "__ndarray__" in data:
        return np.asarray(decode(data["__ndarray__"]), dtype=data["dtype"])
    if "__enum__" in data:
        return _resolve(data["__enum__"])(decode(data["value"]))
    if "__frame__" in data:
        columns = {c: decode(v) for c, v in data["__frame__"].items()}
        frame = pd.DataFrame(columns, index=decode(data["index"]) or None)
        frame = frame[data.get("columns", list(columns))]
        return frame.astype(data["dtypes"]) if len(frame.columns) else frame
    if "__dataclass__" in data:
        cls = _resolve(data["__dataclass__"])
        fields = {k: decode(v) for k, v in data["fields"].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in fields.items() if k in init})
        for name in set(fields) - init:  # fields computed in __post_init__
            object.__setattr__(obj, name, fields[name])
        return obj
    raise CorruptResultError(f"derived file holds an unknown object: {sorted(data)}")


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


# --------------------------------------------------------------------------------------------
# Writing, reading, refusing when stale
# --------------------------------------------------------------------------------------------


def _results_root(profile: str, results_dir: str | Path | None) -> Path:
    return store_for(profile, results_dir).root


def derived_path(
    derivation: Derivation, profile: str, results_dir: str | Path | None = None
) -> Path:
    """Where the derived file of ``derivation`` at ``profile`` lives.

    :param derivation: the derivation.
    :param profile: the profile.
    :param results_dir: results folder override (default: the profile's store).
    :return: ``<results>/derived/<profile>/<name>.json``.
    """
    root = _results_root(profile, results_dir)
    return root / DERIVED_FOLDER / profile / f"{derivation.name}.json"


def _versions() -> dict[str, str]:
    return {
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": importlib.metadata.version("scipy"),
    }


def write_derived(
    derivation: Derivation,
    profile: str,
    results_dir: str | Path | None = None,
    value: Any = None,
) -> Path:
    """Compute the value from the cells and store it, sealed, with its provenance.

    :param derivation: the derivation.
    :param profile: the profile.
    :param results_dir: results folder override.
    :param value: the value, when the caller has just computed it (``None``: compute it).
    :return: the written file.
    """
    value = derivation.compute(profile, results_dir) if value is None else value
    root = _results_root(profile, results_dir)
    document = {
        "schema": SCHEMA_VERSION,
        "name": derivation.name,
        "profile": profile,
        "inputs": {s: study_digest(root, s) for s in sorted(derivation.studies)},
        "code": code_digests(derivation.compute),
        "versions": _versions(),
        "value": encode(value),
    }
    document["sha256"] = seal(document)
    text = json.dumps(document, indent=1, sort_keys=True, allow_nan=True)
    return write_atomic(derived_path(derivation, profile, results_dir), text.encode())


def stale_reasons(document: dict[str, Any], root: str | os.PathLike[str]) -> list[str]:
    """What changed since a derived document was written: input studies whose cells differ,
    modules whose source differs or is gone.

    :param document: the derived file's content.
    :param root: the results folder its inputs live in.
    :return: one phrase per change; empty when the document is fresh.
    """
    reasons = [
        f"the cells of {study!r} changed"
        for study, digest in document["inputs"].items()
        if study_digest(root, study) != digest
    ]
    for relative, digest in document["code"].items():
        now = source_digest(_PACKAGE_ROOT.parent / relative)
        if now != digest:
            reasons.append(f"{relative} {'is gone' if now is None else 'changed'}")
    return reasons


def read_derived(
    derivation: Derivation, profile: str, results_dir: str | Path | None = None
) -> Any:
    """The stored value, verified: sealed, of this derivation and profile, and fresh.

    :param derivation: the derivation.
    :param profile: the profile.
    :param results_dir: results folder override.
    :return: the value.
    :raises FileNotFoundError: no derived file.
    :raises CorruptResultError: the file fails its seal or names another derivation.
    :raises StaleDerivedError: a cell folder or a module changed since it was written.
    """
    path = derived_path(derivation, profile, results_dir)
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CorruptResultError(f"{path}: not a readable derived file ({err})") from err
    stored = document.pop("sha256", None)
    if stored != seal(document) or document.get("schema") != SCHEMA_VERSION:
        raise CorruptResultError(f"{path}: content does not match its SHA-256 seal")
    if document.get("name") != derivation.name or document.get("profile") != profile:
        raise CorruptResultError(f"{path}: not the derived file of {derivation.name!r}/{profile}")
    missing = set(derivation.studies) - set(document["inputs"])
    reasons = [f"it lacks the input studies {sorted(missing)}"] if missing else []
    reasons += stale_reasons(document, _results_root(profile, results_dir))
    if reasons:
        raise StaleDerivedError(f"{path} is stale: {'; '.join(reasons)}")
    return decode(document["value"])


def derived_value(
    derivation: Derivation, profile: str, results_dir: str | Path | None = None
) -> Any:
    """The value of ``derivation``: read from its derived file when that is fresh, computed from
    the cells otherwise. At a stored profile (paper) a missing or stale file is reported on
    stderr with the command that regenerates it and left as it is; at a live profile (smoke,
    tiny) the computed value is stored in the profile's results folder for the next reader.

    :param derivation: the derivation.
    :param profile: the profile.
    :param results_dir: results folder override.
    :return: the value.
    """
    try:
        return read_derived(derivation, profile, results_dir)
    except (FileNotFoundError, StaleDerivedError) as err:
        reason = err
    if get_profile(profile).stored and results_dir is None:
        print(
            f"qmlr: computing {derivation.name!r} from the cells ({reason}); "
            f"`{DERIVE_COMMAND}` stores it again",
            file=sys.stderr,
        )
        return derivation.compute(profile, results_dir)
    value = derivation.compute(profile, results_dir)
    # stored for the next reader; returned as computed (another process may add cells of an
    # input study to a shared live folder meanwhile, which makes the file stale at once)
    write_derived(derivation, profile, results_dir, value)
    return value


def write_all(
    derivations: Sequence[Derivation], profile: str, results_dir: str | Path | None = None
) -> list[Path]:
    """Write the derived files of ``derivations`` (``python -m qmlr derive``).

    :param derivations: the derivations.
    :param profile: the profile.
    :param results_dir: results folder override.
    :return: the written files.
    """
    return [write_derived(d, profile, results_dir) for d in derivations]


def relative_to_repo(path: Path) -> str:
    """``path`` relative to the repository when inside it (for messages).

    :param path: a path.
    :return: the shorter text.
    """
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)
