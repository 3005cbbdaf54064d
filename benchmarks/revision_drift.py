"""How far did a study's results move between two committed computations on different CPUs?

``cpu_drift.py`` emulates other CPUs on one machine; this script measures real ones. Given two
git revisions at which ``results/<study>/cells`` holds the same cells computed on two machines
(the CPU fingerprint in each cell's provenance tells which; a cell without one was computed
before fingerprints existed), it compares every cell present at both with
:func:`qmlr.engine.agreement.agree` and reports, per (model kind, dataset), the most samples an
accuracy moved — at any step of a curve and at its last step — and how many cells moved at all.

The table it writes (``--json``) is the measurement behind the per-model cross-CPU tolerances
of :mod:`qmlr.engine.agreement` (``tests/test_agreement.py`` checks that each tolerance covers
twice the drift measured here)::

    python benchmarks/revision_drift.py controls a7e0015 79a4809 \\
        --json results/cross-cpu-drift/controls.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cells_at(revision: str, study: str, into: Path) -> Path:
    """Check out ``results/<study>`` of a git revision into a scratch results folder."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, f"results/{study}"],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "results"


def _machine(result: object) -> str:
    cpu = result.provenance.get("cpu") or {}
    if not cpu:
        return "no fingerprint (computed before fingerprints)"
    return f"{cpu.get('cpu_model')} ({cpu.get('cpu_capability')}, {cpu.get('blas')})"


def drift_table(study: str, before: str, after: str) -> dict:
    """Compare every cell of ``study`` present at both revisions.

    :param study: a registered study.
    :param before: git revision of the first computation.
    :param after: git revision of the second.
    :return: ``{"study", "before", "after", "machines", "cells", "by_model"}`` where ``by_model``
        maps ``"<kind>/<dataset>"`` to the cells compared, the cells whose metrics differ and the
        most samples moved (any step, last step).
    """
    from qmlr.engine.agreement import agree
    from qmlr.engine.store import ResultStore

    with tempfile.TemporaryDirectory() as tmp:
        old_root = _cells_at(before, study, Path(tmp) / "before")
        new_root = _cells_at(after, study, Path(tmp) / "after")
        old_store, new_store = ResultStore(old_root), ResultStore(new_root)
        rows: dict[str, dict] = defaultdict(
            lambda: {"cells": 0, "cells_moved": 0, "any_step": 0, "last_step": 0, "worst": ""}
        )
        machines: set[tuple[str, str]] = set()
        n = 0
        for path in sorted((new_root / study / "cells").glob("*.json")):
            old_path = old_root / study / "cells" / path.name
            if not old_path.exists():
                continue
            old, new = old_store.load_file(old_path), new_store.load_file(path)
            machines.add((_machine(old), _machine(new)))
            agreement = agree(old, new)
            any_step, last = agreement.max_moved()
            row = rows[f"{new.spec.model.kind}/{new.spec.data.name}"]
            row["cells"] += 1
            row["cells_moved"] += int(bool(agreement.differing))
            if any_step > row["any_step"]:
                worst = max(agreement.moved, key=lambda k: agreement.moved[k][0])
                row["worst"] = f"{worst} ({new.spec.key()})"
            row["any_step"] = max(row["any_step"], any_step)
            row["last_step"] = max(row["last_step"], last)
            n += 1
    return {
        "study": study,
        "before": before,
        "after": after,
        "machines": sorted(" -> ".join(m) for m in machines),
        "cells": n,
        "by_model": dict(sorted(rows.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study")
    parser.add_argument("before", help="git revision of the first computation")
    parser.add_argument("after", help="git revision of the second computation")
    parser.add_argument("--json", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    table = drift_table(args.study, args.before, args.after)
    print(f"{table['study']}: {table['cells']} cells, {args.before} -> {args.after}")
    for machines in table["machines"]:
        print(f"  machines: {machines}")
    print(f"  {'model/dataset':28} {'cells':>6} {'moved':>6} {'any step':>9} {'last':>5}")
    for name, row in table["by_model"].items():
        print(
            f"  {name:28} {row['cells']:6d} {row['cells_moved']:6d} "
            f"{row['any_step']:9d} {row['last_step']:5d}  {row['worst']}"
        )
    if args.json:
        from qmlr.engine.atomic import write_atomic
        from qmlr.engine.store import environment_provenance

        document = {
            **table,
            "command": " ".join(
                ["python", "benchmarks/revision_drift.py"]
                + (argv if argv is not None else sys.argv[1:])
            ),
            "provenance": environment_provenance(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.json, (json.dumps(document, indent=1) + "\n").encode())
        print(f"  written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
