"""read_amounts: amounts written as text ("12,50 €", "£1,234.00", "$ 9.99") as numbers.

Two trials' exports (TR s47, TR s47b) wrote prices with a currency sign and a decimal
comma or thousands separators; the refusal's advice then, ``pd.to_numeric(errors=
"coerce")``, made 20% of an auction log's amounts and 90,000 of a ticketing log's
missing, every one a valid price.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

__all__ = ["read_amounts"]

# An amount once its currency (signs, codes, abbreviations such as "Rs."), spaces and
# sign are taken off its ends: digits with "," and "." between them.
_BODY = re.compile(r"^\d[\d.,]*$|^[.,]\d+$")
# Spaces within a number: thin, non-breaking and narrow non-breaking ones too.
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f']")
# What may stand before or after the number: anything but digits, separators, signs,
# percent signs and exponent markers inside.
_ENDS = re.compile(r"^[^\d.,+\-\u2212(%]*|[^\d.,+\-\u2212)%]*$")


def _parts(text: str):
    """(sign, the digits with their separators) of one text amount, or None where it is
    no amount: its currency and spaces taken off its ends, a sign before or after the
    number (a trailing minus, "(7.20)", "−5"), then digits and separators alone."""
    body = _SPACES.sub("", str(text))
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1]
    body = _ENDS.sub("", body)
    for minus in ("-", "\u2212"):
        if body.startswith(minus) or body.endswith(minus):
            negative = not negative
            body = body[1:] if body.startswith(minus) else body[:-1]
            break
    if body.startswith("+"):
        body = body[1:]
    # a currency's abbreviation ends in a point ("Rs. 500", "kr. 100"): not a decimal
    body = _ENDS.sub("", body).lstrip(".,") if not body[:1].isdigit() else body
    if not _BODY.match(body):
        return None
    return negative, body


def _style(body: str) -> str | None:
    """Which separator ``body`` says is its decimal one ("," or "."), None where it
    has none (whole digits, or repeated separators: thousands), "?" where one
    separator before exactly three digits could be either ("1.234", "1,234")."""
    commas, points = body.count(","), body.count(".")
    if commas and points:
        return "," if body.rfind(",") > body.rfind(".") else "."
    if commas + points == 0:
        return None
    sep = "," if commas else "."
    if commas + points > 1:
        return None  # "1.234.567": thousands
    whole, part = body.split(sep)
    if len(part) != 3 or whole in ("", "0"):  # ("0,125": no thousands after a 0)
        return sep
    return "?"


def _number(negative: bool, body: str, decimal: str | None) -> float:
    """The amount of ``body`` read with ``decimal`` as its decimal separator (None, or
    one it does not hold: every separator a thousands one)."""
    if decimal is None or decimal not in body:
        digits = body.replace(",", "").replace(".", "")
    else:
        whole, _, part = body.rpartition(decimal)
        digits = whole.replace(",", "").replace(".", "") + "." + part
    value = float(digits or "nan")
    if not math.isfinite(value):
        return np.nan
    return -value if negative else value


def read_amounts(column) -> pd.Series:
    """A column of amounts as float64: numbers as they are, text read with its currency
    (signs, codes, "Rs."), spaces and thousands separators left out and a decimal comma
    read as a point ("12,50 €" -> 12.5, "£1,234.00" -> 1234.0, "1.234,5" -> 1234.5,
    "(7.20)" and "7.20-" -> -7.2); missing values, and text that is no amount ("free",
    a date "2024-01-05", "5e3", "12%"), NaN. A value with one separator before exactly
    three digits ("1.234", "1,234") is read as the column's other values write their
    decimals (a column of "1.234,50" and "99,00": 1234), thousands where none says.

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
    if series.dtype.kind in "iufb":  # numbers already
        numbers = series.astype(np.float64)
        return numbers.where(np.isfinite(numbers))
    present = series.notna().to_numpy()
    uniques = pd.unique(series[present])
    # every text value is read here, those pandas reads too: "1.234" is 1234 in a column
    # of "1.234,50" and "99,00"
    parts = {u: _parts(u) for u in uniques if isinstance(u, str)}
    styles = {u: _style(p[1]) for u, p in parts.items() if p is not None}
    said = [s for s in styles.values() if s in (",", ".")]
    usual = max((",", "."), key=said.count) if said else None  # the column's decimal
    read = {}
    for u in uniques:
        if not isinstance(u, str):
            number = pd.to_numeric(pd.Series([u]), errors="coerce").iloc[0]
            read[u] = float(number) if np.isfinite(number) else np.nan
        elif parts[u] is None:
            read[u] = np.nan
        else:
            style = styles[u]
            read[u] = _number(*parts[u], (usual or "none") if style == "?" else style)
    numbers = pd.Series(np.nan, index=series.index, dtype=np.float64)
    numbers[present] = series[present].map(read).to_numpy(dtype=np.float64)
    return numbers
