"""MyST Markdown for the chapters' generated tables: escaped cells, numbered captioned tables,
result frames formatted for a reader, evidence folded into a dropdown.

:func:`frame_markdown` makes a frame a numbered MyST table; :func:`readable_frame` first turns any
result frame (a MultiIndex, ``0.300000``-style α values, columns of NaN) into plain strings
(:func:`readable_markdown` does both); :func:`folded` puts generated Markdown into a
sphinx-design dropdown until the reader opens it.

Example:
    >>> print(frame_markdown(pd.DataFrame({"a": [1]}), "One.", "tab-one").splitlines()[0])
    :::{table} One.
    >>> idx = pd.MultiIndex.from_tuples([("mlp", 0.3)], names=["model", "alpha"])
    >>> frame = pd.DataFrame({"trace": [12.3456], "empty": [np.nan]}, index=idx)
    >>> readable_frame(frame).to_dict("records")
    [{'model': 'mlp', 'α': '0.3', 'trace': '12.3'}]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|$#])")


def escape_markdown(text: str) -> str:
    """Escape the characters Markdown (MyST) would read as markup, for a table cell.

    Example:
        >>> escape_markdown("max |Δ| of θ* in $x$")
        'max \\\\|Δ\\\\| of θ\\\\* in \\\\$x\\\\$'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _myst_table(
    caption: str, name: str, header: Sequence[str], rows: Sequence[Sequence[str]]
) -> str:
    """A numbered, captioned, left-aligned MyST table of already escaped cells."""
    table = _markdown_table(header, rows)
    return f":::{{table}} {caption}\n:name: {name}\n:align: left\n\n{table}\n:::\n"


def frame_markdown(frame: pd.DataFrame, caption: str, name: str) -> str:
    """A data frame as a numbered, captioned MyST table (cells escaped, index dropped).

    :param frame: the table.
    :param caption: its caption (MyST markup allowed).
    :param name: its label, for ``{numref}``.
    :return: MyST markdown, to be displayed with ``IPython.display.Markdown``.

    Example:
        >>> print(frame_markdown(pd.DataFrame({"a": ["x|y"]}), "A table.", "tab-a"))
        :::{table} A table.
        :name: tab-a
        :align: left
        <BLANKLINE>
        | a |
        |---|
        | x\\|y |
        :::
        <BLANKLINE>
    """
    rows = [[escape_markdown(str(v)) for v in row] for row in frame.itertuples(index=False)]
    return _myst_table(caption, name, [escape_markdown(str(c)) for c in frame.columns], rows)


#: Column names a reader reads in place of the code's.
COLUMN_NAMES = {"alpha": "α", "model": "model", "dataset": "dataset", "corruption": "corruption"}


def _number(value: object, digits: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "–"
        return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"
    return str(value)


def readable_frame(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A result frame as strings for reading: the index as columns, MultiIndex columns joined,
    columns renamed (:data:`COLUMN_NAMES`), all-NaN columns dropped, numbers to ``digits``
    significant digits (NaN shown as –).

    :param frame: any frame.
    :param digits: significant digits of floats.
    :return: a frame of strings with a plain range index.
    """
    out = frame.copy()
    if not isinstance(out.index, pd.RangeIndex):
        out = out.reset_index()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" ".join(str(p) for p in c if str(p)).strip() for c in out.columns]
    out = out.loc[:, ~out.isna().all(axis=0)]
    out = out.rename(columns=lambda c: COLUMN_NAMES.get(str(c), str(c).replace("_", " ")))
    return out.apply(lambda col: col.map(lambda v: _number(v, digits))).reset_index(drop=True)


def readable_markdown(frame: pd.DataFrame, caption: str, name: str, digits: int = 3) -> str:
    """:func:`readable_frame` as a numbered MyST table (``{numref}`` by ``name``).

    Example:
        >>> readable_markdown(pd.DataFrame({"alpha": [0.2]}), "A.", "tab-a").splitlines()[4]
        '| α |'
    """
    return frame_markdown(readable_frame(frame, digits), caption, name)


def folded(title: str, body: str) -> str:
    """Generated Markdown inside a dropdown, closed until the reader opens it.

    Example:
        >>> folded("Evidence", "text").splitlines()[0]
        '::::{dropdown} Evidence'
    """
    return f"::::{{dropdown}} {title}\n\n{body}\n::::\n"
