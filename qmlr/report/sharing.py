"""Which models share a behaviour, under the uncertainty rule of :mod:`qmlr.report.uncertainty`.

The book's interpretation names the models (the MLP, the classical controls, the memorizing QNN)
that share a behaviour of the QNN. Each such yes/no compares a measured number with a threshold;
where the threshold lies inside the number's run-to-run bootstrap interval the answer is
*inconclusive at this scale*, and the model is listed with the scorecard's mark
:data:`SHARING_MARK` instead of as sharing (a conclusive "no" leaves it out).

Example:
    >>> listed([("logistic", True), ("centroid", None), ("mlp", False)])
    'logistic, centroid ?'
    >>> yes_no(None), yes_no(True), yes_no(False)
    ('?', 'yes', 'no')
"""

from __future__ import annotations

from collections.abc import Iterable

from qmlr.report.uncertainty import INCONCLUSIVE_LABEL

#: The mark of an inconclusive sharing (the scorecard's mark of an inconclusive verdict).
SHARING_MARK = "?"


def marked(name: str, outcome: bool | None) -> str:
    """``name``, followed by :data:`SHARING_MARK` where ``outcome`` is inconclusive (``None``).

    Example:
        >>> marked("logistic", None), marked("logistic", True)
        ('logistic ?', 'logistic')
    """
    return name if outcome is not None else f"{name} {SHARING_MARK}"


def listed(
    outcomes: Iterable[tuple[str, bool | None]], empty: str = "none", sep: str = ", "
) -> str:
    """The names whose outcome is ``True`` or inconclusive (marked), joined by ``sep``.

    :param outcomes: ``(name, outcome)`` pairs; ``False`` leaves a name out.
    :param empty: the text where no name is left.
    :param sep: the separator.
    :return: e.g. ``"logistic, centroid ?"``.
    """
    names = [marked(n, o) for n, o in outcomes if o is not False]
    return sep.join(names) or empty


def yes_no(outcome: bool | None) -> str:
    """A table cell: ``"yes"``, ``"no"`` or :data:`SHARING_MARK` (inconclusive)."""
    return SHARING_MARK if outcome is None else ("yes" if outcome else "no")


def mark_note(texts: Iterable[str]) -> str:
    """A sentence explaining :data:`SHARING_MARK`, or ``""`` where no text carries it.

    Example:
        >>> mark_note(["a, b"]), mark_note(["a ?"])[:25]
        ('', 'Whether a model marked ? ')
    """
    if not any(f" {SHARING_MARK}" in t for t in texts):
        return ""
    return (
        f"Whether a model marked {SHARING_MARK} shares the behaviour is {INCONCLUSIVE_LABEL}: "
        "the threshold lies inside the run-to-run bootstrap interval of the number it judges."
    )


def open_note(reason: str, parts: Iterable[str], none: str = "") -> str:
    """The sentence listing what is marked :data:`SHARING_MARK` and why (``none`` where
    nothing is).

    Example:
        >>> open_note("a threshold inside its interval", ["a (x)", "b (y)"])
        'Inconclusive at this scale (marked ?: a threshold inside its interval): a (x); b (y).'
    """
    parts = list(parts)
    if not parts:
        return none
    head = f"{INCONCLUSIVE_LABEL.capitalize()} (marked {SHARING_MARK}: {reason}): "
    return head + "; ".join(parts) + "."
