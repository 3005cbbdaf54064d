"""Verdicts: a claim, its measured evidence, the threshold tests it rests on, and its identity.

A verdict is *reproduced*, *not reproduced*, *inconclusive at this scale* (a threshold inside the
run-to-run interval of the number it judges, :mod:`qmlr.report.uncertainty`) or *not evaluated*
(a profile too small to judge). :func:`judge_tests` is the one rule every chapter applies.

Example:
    >>> Verdict("a claim", "the evidence", True).label
    'reproduced'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from qmlr.engine.profiles import get_profile
from qmlr.report.uncertainty import (
    INCONCLUSIVE_LABEL,
    INTERVAL_LEVEL,
    ThresholdTest,
    tri_all,
)


@dataclass(frozen=True)
class Verdict:
    """A claim, the measured evidence, whether it reproduced, and where it is filed.

    The identity fields say which check this is, independently of its wording or of its
    position in a list: the scorecard and the chapters look verdicts up by :attr:`check`
    (:func:`by_check`).

    :param claim: what the paper claims, as tested.
    :param evidence: the measured numbers the verdict rests on.
    :param reproduced: ``True``, ``False``, or ``None`` (not evaluated at this scale). For an
        inconclusive verdict, the answer on the point estimates.
    :param partly: with ``reproduced=False``: the claim holds in part of the tested cases.
    :param inconclusive: a threshold the verdict rests on lies inside the run-to-run interval of
        the number it judges, and no test fails conclusively (:mod:`qmlr.report.uncertainty`).

    :param check: a stable id, unique in the book (e.g. ``"qnn-plateau/mnist"``).
    :param claim_no: the paper's claim it is filed under in the scorecard, 1–7.
    :param chapter: label of the chapter that makes it (a key of
        :data:`qmlr.report.scorecard.CHAPTERS`).
    :param core: ``True`` if it tests the claim as the paper states it, in the paper's setting.
    :param name: a short name for the scorecard.
    :param tests: the threshold tests the verdict rests on, for the chapters' tables of the
        numbers behind the verdicts (:func:`~qmlr.report.uncertainty.threshold_table`); not part of
        the verdict's identity or equality.

    Example:
        >>> Verdict("c", "e", False, partly=True).label
        'partly reproduced'
        >>> Verdict("c", "e", True, inconclusive=True).label
        'inconclusive at this scale'
        >>> v = Verdict("c", "e", False, partly=True, check="demo", claim_no=2)
        >>> v.label, by_check([v])["demo"].claim_no
        ('partly reproduced', 2)
    """

    claim: str
    evidence: str
    reproduced: bool | None
    partly: bool = False
    inconclusive: bool = False
    check: str = ""
    claim_no: int | None = None
    chapter: str = ""
    core: bool = False
    name: str = ""
    tests: tuple[ThresholdTest, ...] = field(default=(), compare=False, repr=False)

    @property
    def label(self) -> str:
        """``reproduced``, ``partly reproduced``, ``not reproduced``, ``inconclusive at this
        scale`` or ``not evaluated``."""
        if self.reproduced is None:
            return "not evaluated"
        if self.inconclusive:
            return INCONCLUSIVE_LABEL
        if self.reproduced:
            return "reproduced"
        return "partly reproduced" if self.partly else "not reproduced"

    @property
    def conclusively_reproduced(self) -> bool:
        """Judged, reproduced and not inconclusive."""
        return self.label == "reproduced"

    def filed(self, check: str, claim_no: int, chapter: str, core: bool, name: str) -> Verdict:
        """This verdict with its identity (see the class's parameters)."""
        return replace(self, check=check, claim_no=claim_no, chapter=chapter, core=core, name=name)


def by_check(verdicts: Sequence[Verdict]) -> dict[str, Verdict]:
    """The verdicts keyed by their stable :attr:`Verdict.check` id.

    :param verdicts: verdicts that all carry an id.
    :return: id -> verdict.
    :raises ValueError: for a verdict without an id or an id given twice.
    """
    found: dict[str, Verdict] = {}
    for v in verdicts:
        if not v.check:
            raise ValueError(f"verdict without a check id: {v.claim!r}")
        if v.check in found:
            raise ValueError(f"check id {v.check!r} given twice")
        found[v.check] = v
    return found


def judge_outcome(
    claim: str,
    evidence: str,
    point: bool,
    outcome: bool | None,
    tests: Sequence[ThresholdTest],
    judged: bool,
    partly: bool = False,
    sizes: str = "",
) -> Verdict:
    """A verdict under the rule of :mod:`qmlr.report.uncertainty`, for any three-valued
    combination of threshold tests: the evidence gains the interval level, ``sizes`` and the
    tests whose threshold lies inside the interval; the verdict is inconclusive where
    ``outcome`` is ``None``.

    :param claim: the claim.
    :param evidence: the measured numbers.
    :param point: the verdict's answer on the point estimates.
    :param outcome: the three-valued combination of the tests' outcomes
        (:func:`~qmlr.report.uncertainty.tri_all`, ...).
    :param tests: the tests it rests on (kept on the verdict for the chapters' tables).
    :param judged: whether the scale allows a verdict (else *not evaluated*).
    :param partly: the claim holds in part (for a failed verdict).
    :param sizes: the runs and the sets behind the numbers, e.g. ``"validation n = 84"``.
    :return: the verdict.

    Example:
        >>> from qmlr.report.uncertainty import Interval
        >>> t = ThresholdTest("x", Interval(0.3, 0.2, 0.4), (0.1,), True)
        >>> judge_outcome("c", "e", True, t.outcome, [t], True, sizes="n = 5").evidence
        'e (95% run-bootstrap intervals; n = 5)'
    """
    open_tests = [t for t in tests if not t.conclusive]
    note = f"{INTERVAL_LEVEL:.0%} run-bootstrap intervals" + (f"; {sizes}" if sizes else "")
    evidence += f" ({note})"
    if open_tests:
        evidence += "; threshold inside the interval: " + ", ".join(
            f"{t.name} ({t.threshold_text})" for t in open_tests
        )
    if not judged:
        return Verdict(claim, evidence, None, tests=tuple(tests))
    unsure = outcome is None
    return Verdict(claim, evidence, bool(point), partly, unsure, tests=tuple(tests))


def judge_tests(
    claim: str,
    evidence: str,
    tests: Sequence[ThresholdTest],
    judged: bool,
    partly: bool = False,
    sizes: str = "",
) -> Verdict:
    """:func:`judge_outcome` for a verdict that holds when every test passes (three-valued
    "and" of the tests' outcomes).

    Example:
        >>> from qmlr.report.uncertainty import Interval
        >>> t = ThresholdTest("slope", Interval(-0.3, -0.4, -0.1), (-0.2,), True)
        >>> judge_tests("c", "e", [t], True).label
        'inconclusive at this scale'
    """
    point = all(t.passes for t in tests)
    return judge_outcome(
        claim, evidence, point, tri_all(t.outcome for t in tests), tests, judged, partly, sizes
    )


def verdict_from_tests(
    claim: str,
    evidence: str,
    tests: Sequence[ThresholdTest],
    profile: str,
    partly: bool = False,
    n_val: int | None = None,
) -> Verdict:
    """:func:`judge_tests` at a profile (only a judged profile is judged), with the
    validation-set size in the evidence.

    :param claim: the claim.
    :param evidence: the measured numbers.
    :param tests: the threshold tests, all of which must pass.
    :param profile: the profile.
    :param partly: the claim holds in part (for a failed verdict).
    :param n_val: validation samples behind each accuracy, reported in the evidence.
    :return: the verdict.

    Example:
        >>> from qmlr.report.uncertainty import Interval
        >>> t = ThresholdTest("slope", Interval(-0.3, -0.4, -0.1), (-0.2,), True)
        >>> verdict_from_tests("c", "e", [t], "paper").label
        'inconclusive at this scale'
    """
    sizes = f"validation n = {n_val}" if n_val else ""
    return judge_tests(claim, evidence, tests, get_profile(profile).judged, partly, sizes)


def claims_table(verdicts: Sequence[Verdict]) -> pd.DataFrame:
    """The verdicts as a display table."""
    return pd.DataFrame(
        {
            "claim": [v.claim for v in verdicts],
            "measured evidence": [v.evidence for v in verdicts],
            "verdict": [v.label for v in verdicts],
        }
    )
