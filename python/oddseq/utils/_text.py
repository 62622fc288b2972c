"""Short forms of user-supplied text quoted in messages and reasons."""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["MAX_QUOTED", "shorten", "text_array"]

#: Characters of a label (an event type, an item id) a reason or message quotes whole.
MAX_QUOTED = 80


def shorten(text, limit: int = MAX_QUOTED) -> str:
    """``text`` as a string of at most about ``limit`` characters: longer ones keep their
    head and tail around the count of characters left out and a checksum, so that two
    long labels with the same head still read differently.

    A reason names event types and items that come from the data: a 50 MB event name
    quoted whole in every row of a table of a million entities is 50 TB.

    Examples
    --------
    >>> shorten("count[buy]")
    'count[buy]'
    >>> shorten("count[" + "x" * 1000 + "]", limit=40)
    'count[xxxxxxxxx…(988 more, #05a17b56)…xxx]'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    head = max(1, limit * 3 // 8)
    tail = max(1, limit // 10)
    digest = zlib.crc32(text.encode("utf-8", "surrogatepass")) & 0xFFFFFFFF
    left_out = len(text) - head - tail
    return f"{text[:head]}…({left_out} more, #{digest:08x})…{text[-tail:]}"


def text_array(shape, text) -> np.ndarray:
    """An object array of ``shape`` holding the one ``text`` object in every place.

    ``np.full(shape, text, dtype=object)`` goes through a numpy unicode array and makes a
    new Python string per place: 0.43 s for the four million named features of a
    million entities' reasons, against 0.02 s to fill the references.

    Examples
    --------
    >>> words = text_array(3, "typical")
    >>> words.tolist(), words[0] is words[2]
    (['typical', 'typical', 'typical'], True)
    """
    out = np.empty(shape, dtype=object)
    out.fill(text)
    return out
