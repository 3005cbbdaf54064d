"""MyST Markdown for the chapters' generated tables: escaped cells, numbered captioned tables.

Example:
    >>> print(frame_markdown(pd.DataFrame({"a": [1]}), "One.", "tab-one").splitlines()[0])
    :::{table} One.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
