"""Ids written as floats ("450.0": pandas writes a column of integer ids with a blank so)
read as their number's text ("450"), one rule for every reader of text ids: the shell
(``cli.as_labels``), the stream's readers, and :meth:`Sequences.from_events` for item
ids (review RV s34 L8: a model fitted in Python on "450.0" met none of the shell's
items)."""

from __future__ import annotations

import math
import numbers
import re

__all__ = [
    "WHOLE_FLOAT_TEXT",
    "label_kind",
    "labels_alike",
    "numbers_as_text",
    "whole_float_id",
    "whole_float_ids",
]


def _is_text(column) -> bool:
    return column.dtype == object or column.dtype.kind in "OUT" or str(column.dtype) == "str"


# A whole number as pandas writes a float (a column of integer ids with a blank is
# float64: 450 is written 450.0), or with more zeros after the point: the number's own
# text is the part before the point (oddseq stream reads such an id so too, in C++ and
# Python: stream._cli.whole_id). Up to 19 digits, int64's longest: past int64's largest,
# 9999999999999999999.0 reads as the text 9999999999999999999 (no number), and 20
# digits or more stay as written (RV s34 L5).
WHOLE_FLOAT_TEXT = re.compile(r"(0|-?[1-9][0-9]{0,18})\.0+")


def whole_float_id(text):
    """One id's text as :func:`whole_float_ids` reads it (``450.0``: ``450``): the
    stream's reader of lines, one at a time."""
    if isinstance(text, str) and "." in text:
        found = WHOLE_FLOAT_TEXT.fullmatch(text)
        if found is not None:
            return found.group(1)
    return text


def whole_float_ids(column):
    """A column of ids read as text with each whole number written as a float (``450.0``)
    as that number's plain text (``450``), as the Python API reads a float column of
    whole ids (and pandas' default reader the file); other text as written (``0123``,
    ``4.50``, ``-0.0``); None where no id is so written."""
    if not len(column) or not _is_text(column):
        return None
    pattern = rf"^{WHOLE_FLOAT_TEXT.pattern}$"
    try:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        # Arrow's regular expressions over the column in C++ (2 million ids: 0.3 s, where
        # pandas' str methods take seconds).
        if column.dtype == object:
            text = pa.array(column.to_numpy(), type=pa.string(), from_pandas=True)
        else:  # pandas' text dtypes (read_csv's dtype=str): Arrow's own, not copied
            text = pa.array(column.array).cast(pa.string())
        if isinstance(text, pa.ChunkedArray):  # (replace_with_mask takes one array)
            text = text.combine_chunks()
        # (the regular expression only on the ids that hold ".0": the others never match)
        dotted = pc.fill_null(pc.match_substring(text, ".0"), False)
        if not pc.any(dotted).as_py():
            return None
        some = pc.filter(text, dotted)
        plain = _plain_whole(some, pc)
        if pc.all(pc.equal(plain, some)).as_py():
            return None
        plain = pc.replace_with_mask(text, dotted, plain)
        return pd.Series(pd.array(plain, dtype="str"), index=column.index, name=column.name)
    except ImportError:
        pass
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None  # not all text (a column of several types): as written
    whole = re.compile(pattern)
    found = {v: m.group(1) for v in column.dropna().unique() if (m := whole.match(str(v)))}
    return column.map(lambda v: found.get(v, v)) if found else None


def _plain_whole(text, pc):
    """Arrow text with each ``WHOLE_FLOAT_TEXT`` as its number's plain text, by Arrow's
    string kernels (its regular expressions take 1.5 us an id: 3 s for 2 million)."""
    stem = pc.utf8_rtrim(text, characters="0")  # 450.00 -> 450.
    ends = pc.ends_with(stem, ".")
    stem = pc.utf8_slice_codeunits(stem, 0, -1)  # -> 450
    minus = pc.starts_with(stem, "-")
    digits = pc.if_else(minus, pc.utf8_slice_codeunits(stem, 1, 10**9), stem)
    n = pc.utf8_length(digits)
    zero_led = pc.and_(pc.starts_with(digits, "0"), pc.or_(pc.greater(n, 1), minus))
    whole = pc.and_(pc.and_(ends, pc.ascii_is_decimal(digits)), pc.less_equal(n, 19))
    return pc.if_else(pc.and_(whole, pc.invert(zero_led)), stem, text)


def label_kind(column) -> str | None:
    """ "numbers" or "text": what a column of labels (ids, names) holds, read from its
    dtype (a categorical's categories) or, for an object column, from all its values
    (pandas' ``infer_dtype``: a CSV reader's column of digits with a lettered id far down
    is a mix); None where it is neither (dates, flags, a mix) or holds no value (dask's
    meta has none: an object column of it is text)."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return label_kind(pd.Series(dtype.categories))
    meta = not len(column)  # (dask's meta: the kind its dtype says)
    if not meta and not column.notna().any():
        return None  # (an empty column: refused or warned where it is read)
    if dtype.kind in "iuf":
        return "numbers"
    if dtype.kind == "b" or not _is_text(column):
        return None
    if meta:
        return "text"
    found = pd.api.types.infer_dtype(column, skipna=True)
    if found in ("string", "empty"):
        return "text"
    if found in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "numbers"
    return None


def number_text(value):
    """One number label as text: a whole number as its integer's digits (``17.0``:
    ``"17"``, as a CSV writes an id), another as Python writes the float; a missing one
    None; a text one as it is."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if value.is_integer() and abs(value) < 2.0**63:
        return str(int(value))
    return repr(value)


def numbers_as_text(column):
    """A column of number labels as text (:func:`number_text`: whole numbers as integer
    text), an object column with None where a value is missing, to equal the same labels
    another log holds as text. Integers, and floats all whole within int64, by pandas'
    own conversion to its string type, which keeps missing values missing on pandas 2 and
    3 alike (10 million ids in about two seconds); others one distinct value at a time."""
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    text = None
    if dtype.kind in "iu":
        text = column.astype("string")
    elif dtype.kind == "f":
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        held = values[~np.isnan(values)]
        if np.all(np.floor(held) == held) and np.all(np.abs(held) < 2.0**63):
            text = column.astype("Int64").astype("string")
    if text is not None:
        out = text.to_numpy(dtype=object, na_value=None)
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        # (the last slot for code -1, a missing value)
        out = np.array([number_text(v) for v in uniques] + [None], dtype=object)[codes]
    return pd.Series(out, index=column.index, name=column.name, dtype=object)


def labels_alike(first, second, column):
    """(``first``, ``second``, which): two logs (pandas or dask frames) with ``column``
    numbers in one and text in the other read as text in both (:func:`numbers_as_text`),
    so that the same label is one label; ``which`` the frame so read (0, 1) or None where
    both were left as they were. A dask frame's kind is its meta's, read partition by
    partition."""
    frames = [first, second]
    kinds = [label_kind(getattr(f, "_meta", f)[column]) for f in frames]
    if sorted(map(str, kinds)) != ["numbers", "text"]:
        return first, second, None
    which = kinds.index("numbers")
    given = frames[which][column]
    if hasattr(given, "map_partitions"):
        read = given.map_partitions(numbers_as_text, meta=(column, object))
    else:
        read = numbers_as_text(given)
    frames[which] = frames[which].assign(**{column: read})
    return frames[0], frames[1], which
