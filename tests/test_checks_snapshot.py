"""Every check of the scorecard is unchanged: recomputed and compared with a committed snapshot.

``tests/data/checks_snapshot_paper.json`` was written by ``tests/checks_snapshot.py`` from the
committed paper-profile cells before the checks became rows of :mod:`qmlr.report.checks`. Ids,
names, verdict labels and every text compare exactly; numbers (intervals, thresholds) to a
relative 1e-12.

The full recomputation at the paper profile takes minutes, so it is opt-in:
``QMLR_CHECKS_SNAPSHOT=paper pytest tests/test_checks_snapshot.py``. Always run: one family
(the unlearning and forgetting checks, every number of the snapshot's claim 5) recomputed from
the committed cells and compared with its rows of the snapshot.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from checks_snapshot import _check, snapshot

SNAPSHOT = Path(__file__).parent / "data" / "checks_snapshot_paper.json"


def same(a, b, path: str = "") -> list[str]:
    """Differences between two JSON values: strings and booleans exact, numbers to 1e-12
    relative.

    >>> same({"x": [1.0, "a"]}, {"x": [1.0 + 1e-15, "a"]}), same([1], [2])
    ([], ['[0]: 1 != 2'])
    """
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in same(x, y, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        if not isinstance(b, bool) and math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0):
            return []
    elif a == b:
        return []
    return [f"{path}: {a!r} != {b!r}"]


def test_same_detects_a_changed_label() -> None:
    old = {"checks": [{"id": "a", "label": "reproduced", "tests": [{"value": [0.5, 0.4, 0.6]}]}]}
    new = json.loads(json.dumps(old))
    assert same(old, new) == []
    new["checks"][0]["label"] = "inconclusive at this scale"
    new["checks"][0]["tests"][0]["value"][1] = 0.4000001
    assert len(same(old, new)) == 2


def test_unlearning_checks_match_the_snapshot() -> None:
    from qmlr.report import scorecard as S
    from qmlr.studies import unlearning_study as U
    from qmlr.studies.study import load_results

    expected = [c for c in json.loads(SNAPSHOT.read_text())["checks"] if c["claim_no"] == 5]
    records = U.records_frame(load_results("unlearning", "paper"))
    got = [_check(c) for c in S.unlearning_checks(records)]
    got = json.loads(json.dumps(got))  # the snapshot's number encoding
    by_id = {c["id"]: c for c in expected}
    assert [c["id"] for c in got] == [c["id"] for c in expected if c["id"] in by_id]
    assert same([by_id[c["id"]] for c in got], got) == []


@pytest.mark.skipif(
    os.environ.get("QMLR_CHECKS_SNAPSHOT") != "paper",
    reason="minutes at the paper profile: set QMLR_CHECKS_SNAPSHOT=paper",
)
def test_every_check_matches_the_paper_snapshot() -> None:
    expected = json.loads(SNAPSHOT.read_text())
    got = json.loads(json.dumps(snapshot("paper")))
    assert [c["id"] for c in got["checks"]] == [c["id"] for c in expected["checks"]]
    assert same(expected, got) == []
