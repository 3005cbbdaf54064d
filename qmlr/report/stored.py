"""The book's derived values: what is expensive to derive from the cells, stored sealed.

Each entry of :data:`DERIVATIONS` is a :class:`~qmlr.studies.derived.Derivation` whose value is
computed by the *same* function the chapters call, so a stored value and a live one cannot
differ but for the cells or the code, and a change to either makes the stored file stale
(refused, recomputed; :mod:`qmlr.studies.derived`). ``python -m qmlr derive`` writes them
(``results/derived/paper/`` for the committed results); ``python -m qmlr reproduce`` does too.

- ``checks``: every chapter's verdicts as scorecard checks
  (:func:`qmlr.report.scorecard.collect_checks`), which the book's first page tabulates.

Example:
    >>> [d.name for d in DERIVATIONS]
    ['checks']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qmlr.studies.derived import Derivation, derived_value
from qmlr.studies.registry import STUDIES


def _checks(profile: str, results_dir: str | Path | None) -> Any:
    from qmlr.report.scorecard import collect_checks

    return collect_checks(profile, results_dir)


#: Every check of every chapter (the scorecard's input); it reads every study's cells.
CHECKS = Derivation("checks", tuple(sorted(STUDIES)), _checks)
#: The derivations ``python -m qmlr derive`` writes, in order.
DERIVATIONS: tuple[Derivation, ...] = (CHECKS,)


def stored_checks(profile: str, results_dir: str | Path | None = None) -> list[Any]:
    """:func:`qmlr.report.scorecard.collect_checks`, read from its derived file when fresh.

    :param profile: the profile.
    :param results_dir: results folder override.
    :return: the checks, ordered by claim.
    """
    return derived_value(CHECKS, profile, results_dir)
