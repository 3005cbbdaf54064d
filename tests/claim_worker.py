"""A real ``reproduce`` process for tests/test_claims.py, with a cheap stand-in for training.

``python tests/claim_worker.py RESULTS LOG [--jobs N] [--sleep S] [--stall-at K] [--barrier N]``
runs :func:`qmlr.studies.study.reproduce` of the smoke resilience study into ``RESULTS`` with
:func:`qmlr.engine.runner.train_group` replaced by :func:`fake_train_group`, which appends one JSON
line per trained group to ``LOG`` (the owning process and the group's keys), sleeps ``S``
seconds and returns results that depend on every member of the group (as an ensemble's do).
``--stall-at K`` blocks in the K-th group (to be killed there); ``--barrier N`` waits until
``N`` workers are ready (files in ``--ready``), so concurrent workers start training together.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

from qmlr.engine import runner
from qmlr.engine.store import CellResult

OWNER = os.getpid()
LOG = Path(os.devnull)
SLEEP_S = 0.0
STALL_AT = 0


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def fake_metrics(keys: list[str], key: str) -> dict:
    """What the stand-in computes for ``key`` trained in a group of ``keys``."""
    return {
        "value": int(fingerprint(key), 16) % 1000 / 1000,
        "ensemble": fingerprint(",".join(keys)),
    }


def fake_train_group(cells: list) -> list[CellResult]:
    keys = [c.key() for c in cells]
    with open(LOG, "a") as fh:
        fh.write(json.dumps({"owner": OWNER, "keys": keys}) + "\n")
    n_trained = sum(1 for line in open(LOG) if json.loads(line)["owner"] == OWNER)
    time.sleep(3600 if n_trained == STALL_AT else SLEEP_S)
    return [CellResult(c, fake_metrics(keys, c.key()), {"owner": OWNER}) for c in cells]


def main() -> None:
    global LOG, SLEEP_S, STALL_AT
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("log")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--sleep", type=float, default=0.2)
    parser.add_argument("--stall-at", type=int, default=0)
    parser.add_argument("--barrier", type=int, default=1)
    parser.add_argument("--ready", default=None, help="folder of the barrier's ready files")
    args = parser.parse_args()
    LOG, SLEEP_S, STALL_AT = Path(args.log), args.sleep, args.stall_at
    ready = Path(args.ready or Path(args.results).parent / "ready")
    ready.mkdir(exist_ok=True)
    (ready / str(OWNER)).touch()
    while len(list(ready.iterdir())) < args.barrier:
        time.sleep(0.02)
    runner.train_group = fake_train_group

    from qmlr.studies.study import reproduce

    summary = reproduce(
        "resilience", "smoke", n_jobs=args.jobs, results_dir=args.results, progress=False
    )
    print(json.dumps({"owner": OWNER, **summary}))


if __name__ == "__main__":
    main()
