"""A chapter's key result: a short generated text shown in a box at the top of the chapter.

The chapter computes its verdicts near its end; :func:`glue_key_result` glues the key result
there under ``key-<chapter>``, and the box at the top displays it with myst-nb's
``{glue:md}`` directive (a glue is resolved after the whole notebook ran)::

    :::{admonition} Key result
    :class: tip
    ```{glue:md} key-controls
    :format: myst
    ```
    :::

Example:
    >>> key_result_text(["The QNN keeps a plateau.", "", "The MLP does not."])
    'The QNN keeps a plateau. The MLP does not.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: The most words a key result may have.
KEY_RESULT_WORDS = 80
_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")


def word_count(text: str) -> int:
    """Words of a Markdown text as a reader counts them (markup and role names left out).

    Example:
        >>> word_count("**3 of 7** claims, see {ref}`controls`")
        6
    """
    return len(_WORD.findall(re.sub(r"\{[a-z:]+\}", " ", text)))


def key_result_text(sentences: Sequence[str], limit: int = KEY_RESULT_WORDS) -> str:
    """Join a key result's sentences; refuse one longer than ``limit`` words.

    :param sentences: Markdown sentences (empty ones are dropped).
    :param limit: the most words allowed.
    :return: the text.
    :raises ValueError: when it is longer than ``limit`` words.
    """
    text = " ".join(s.strip() for s in sentences if s.strip())
    if word_count(text) > limit:
        raise ValueError(f"a key result has at most {limit} words, not {word_count(text)}")
    return text


def glue_key_result(chapter: str, sentences: Sequence[str]) -> str:
    """Glue a chapter's key result (``key-<chapter>``, Markdown) for the box at its top.

    :param chapter: the chapter's label.
    :param sentences: see :func:`key_result_text`.
    :return: the text glued.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    text = key_result_text(sentences)
    glue(f"key-{chapter}", Markdown(text), display=False)
    return text
