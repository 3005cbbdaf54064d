"""Snapshot of every check the scorecard lists, for the test that the checks are unchanged.

The snapshot holds, at one profile, every check (a filed :class:`~qmlr.report.verdict.Verdict`)
of :func:`~qmlr.report.scorecard.collect_checks` (identity, verdict, evidence and every threshold
test with its interval), the sharing outcomes the scorecard shows (claims 1–6) and the
scorecard's tables as the reader sees them. ``tests/test_checks_snapshot.py`` recomputes it and
compares it with the committed file.

Regenerate (only where a change of a verdict is intended)::

    PYTHONPATH=. python tests/checks_snapshot.py paper > tests/data/checks_snapshot_paper.json
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def _number(x: float) -> float | str:
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def _test(t) -> dict[str, Any]:
    return {
        "name": t.name,
        "value": [_number(t.value.estimate), _number(t.value.low), _number(t.value.high)],
        "thresholds": [_number(x) for x in t.thresholds],
        "passes": bool(t.passes),
        "runs": t.runs,
        "sizes": t.sizes,
        "state": t.state,
    }


def _check(v) -> dict[str, Any]:
    return {
        "id": v.check,
        "claim_no": v.claim_no,
        "name": v.name,
        "chapter": v.chapter,
        "core": v.core,
        "claim": v.claim,
        "evidence": v.evidence,
        "label": v.label,
        "reproduced": v.reproduced,
        "partly": v.partly,
        "inconclusive": v.inconclusive,
        "tests": [_test(t) for t in v.tests],
    }


def snapshot(profile: str) -> dict[str, Any]:
    """Everything the scorecard shows at ``profile``, as JSON-ready data.

    :param profile: ``"paper"`` or ``"smoke"``.
    :return: ``{"profile", "checks", "sharing", "markdown"}``.
    """
    import qmlr.studies.curvature_study as CS
    import qmlr.studies.unlearning_study as U
    from qmlr.report import curvature as RC
    from qmlr.report import phenotype as P
    from qmlr.report import scorecard as S
    from qmlr.report import unlearning as UR
    from qmlr.report import unlearning_checks as US
    from qmlr.studies.study import load_results

    checks = S.collect_checks(profile)
    cards = S.scorecard(checks)
    phenotype = S.load_phenotype(profile)
    interpretation = S.interpretation_summary(phenotype, profile)
    unlearning = UR.summary_table(U.records_frame(load_results("unlearning", profile)))
    curvature = RC.curvature_sharing(CS.records_frame(load_results("curvature", profile)))
    amenability = US.amenability_sharing(unlearning)
    shared = P.shared_behaviour(phenotype, amenability, curvature)
    outcomes = P.sharing_outcomes(phenotype)
    return {
        "profile": profile,
        "checks": [_check(c) for c in checks],
        "sharing": {
            "shared_behaviour": {str(k): v for k, v in shared.items()},
            "outcomes": {
                str(claim): {d: [[m, o] for m, o in pairs] for d, pairs in by.items()}
                for claim, by in outcomes.items()
            },
            "amenability": amenability,
            "curvature": curvature,
            "interpretation": interpretation,
        },
        "markdown": {
            "summary_sentence": S.summary_sentence(cards, profile, interpretation),
            "summary": S.summary_markdown(cards, profile, shared),
            "details": S.details_markdown(cards, profile),
            "inconclusive": S.inconclusive_markdown(cards, profile),
        },
    }


if __name__ == "__main__":
    json.dump(
        snapshot(sys.argv[1] if len(sys.argv) > 1 else "paper"),
        sys.stdout,
        indent=1,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")
