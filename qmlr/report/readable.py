"""Tables formatted for a reader: named columns, rounded numbers, no empty columns, no index
reprs — and evidence folded into a dropdown until the reader opens it.

:func:`readable_frame` turns any result frame (a MultiIndex, ``0.300000``-style α values, columns
of NaN) into plain strings; :func:`readable_markdown` makes it a numbered MyST table;
:func:`folded` puts generated Markdown into a sphinx-design dropdown.

Example:
    >>> import numpy as np
    >>> idx = pd.MultiIndex.from_tuples([("mlp", 0.3)], names=["model", "alpha"])
    >>> frame = pd.DataFrame({"trace": [12.3456], "empty": [np.nan]}, index=idx)
    >>> readable_frame(frame).to_dict("records")
    [{'model': 'mlp', 'α': '0.3', 'trace': '12.3'}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qmlr.report.markdown import frame_markdown

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
