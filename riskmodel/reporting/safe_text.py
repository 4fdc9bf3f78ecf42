"""User text (scenario names, labels) made safe for the pages and files we generate.

- ``markdown_text``: for Markdown that nbconvert renders to HTML. HTML is escaped, then
  every ASCII punctuation mark is backslash-escaped, so a name is shown as written and
  never becomes a link (``[x](javascript:...)``), an image (``![i](http://...)``), an
  autolink, emphasis or math: a page we generate loads nothing and runs nothing.
- ``one_line``: whitespace (newlines, tabs) folded to single spaces.
"""
from __future__ import annotations

import html
import string

__all__ = ["markdown_text", "one_line"]

_PUNCT: dict[str, str | int | None] = {c: "\\" + c for c in string.punctuation
                                       if c not in "&;"}


def one_line(text: object) -> str:
    """``text`` on one line: runs of whitespace become one space.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str

    Examples
    --------
    >>> one_line("Audit two weeks\\n  later\\t(EUR)")
    'Audit two weeks later (EUR)'
    """
    return " ".join(str(text).split())


def markdown_text(text: object) -> str:
    """``text`` as literal Markdown inline text (HTML-escaped, punctuation escaped).

    Parameters
    ----------
    text : object
        Converted with ``str`` and put on one line (``one_line``).

    Returns
    -------
    str
    """
    escaped = html.escape(one_line(text), quote=False)  # only &amp; &lt; &gt; entities
    return escaped.translate(str.maketrans(_PUNCT))
