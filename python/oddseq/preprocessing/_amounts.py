"""read_amounts: amounts written as text ("12,50 €", "£1,234.00", "$ 9.99") as numbers.

Two trials' exports (TR s47, TR s47b) wrote prices with a currency sign and a decimal
comma or thousands separators; the refusal's advice then, ``pd.to_numeric(errors=
"coerce")``, made 20% of an auction log's amounts and 90,000 of a ticketing log's
missing, every one a valid price.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["read_amounts"]

# Everything but digits, separators and a minus sign: currency signs and codes, spaces
# (thin and non-breaking too), letters.
_NOT_A_DIGIT = re.compile(r"[^\d,.\-]")


def _one(text: str) -> float:
    """One text amount as a float (NaN where it holds no digit): the later of "," and
    "." is the decimal separator where both are written; a lone "," is a decimal comma
    unless three digits follow it ("1,234": thousands), repeated separators are
    thousands ("1.234.567")."""
    kept = _NOT_A_DIGIT.sub("", text)
    sign = "-" if kept.startswith("-") or text.strip().startswith("(") else ""
    kept = kept.replace("-", "")
    if not any(c.isdigit() for c in kept):
        return np.nan
    commas, points = kept.count(","), kept.count(".")
    if commas and points:
        decimal = "," if kept.rfind(",") > kept.rfind(".") else "."
    elif commas:
        after = len(kept) - kept.rfind(",") - 1
        decimal = "," if commas == 1 and after != 3 else None
    elif points:
        decimal = "." if points == 1 else None
    else:
        decimal = None
    if decimal is None:
        digits = kept.replace(",", "").replace(".", "")
    else:
        whole, _, part = kept.rpartition(decimal)
        digits = whole.replace(",", "").replace(".", "") + "." + part
    try:
        return float(sign + digits)
    except ValueError:
        return np.nan


def read_amounts(column) -> pd.Series:
    """A column of amounts as float64: numbers as they are, text read with its currency
    signs, spaces and thousands separators left out and a decimal comma read as a point
    ("12,50 €" -> 12.5, "£1,234.00" -> 1234.0, "1.234,5" -> 1234.5, "(7.20)" -> -7.2);
    missing values and text without a digit are NaN. Each value is read on its own, so
    a column of both styles is read whole. A lone comma before three digits is read as
    thousands ("1,234" -> 1234.0).

    Parameters
    ----------
    column : Series or array-like

    Returns
    -------
    Series of float64, on the column's index

    Examples
    --------
    >>> import pandas as pd
    >>> read_amounts(pd.Series(["12,50 €", "£1,234.00", "9.99", None, 3])).tolist()
    [12.5, 1234.0, 9.99, nan, 3.0]
    """
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    numbers = pd.to_numeric(series, errors="coerce").astype(np.float64)
    text = series.notna() & numbers.isna()
    if text.any():
        values = series[text].astype(str)
        unique = pd.unique(values)
        read = {v: _one(v) for v in unique}
        numbers[text] = values.map(read).to_numpy(dtype=np.float64)
    return numbers
