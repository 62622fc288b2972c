"""The spellings check's keys at the cost of a pass of plain string methods (review RV s34
L10: pandas' string methods over an object column, one Python call per label and method
inside pandas, took 2.5 s per read of a 200,000-label event column, an item column given
as the event). The keys are the same as pandas' (strip, lower, separators out, a plural
s off, on funnel steps' names only). Seed 799."""

import time

import numpy as np
import pandas as pd

from oddseq.sequences._sequences import _spelling_keys, spelling_groups


def _keys_by_pandas(text: pd.Index) -> list:
    """The keys as 2533df6 computed them, by pandas' string methods (the reference), and
    since session 46 names of letters alone without their separators (TR s46 M9)."""
    from oddseq.encode._behaviour import _STEP_NAMES

    keys = pd.Series(text, dtype=object).str.strip().str.lower()
    raw = keys.str.replace(r"[\s_\-]+", "", regex=True)
    plural = (raw.str.len() > 2) & raw.str.endswith("s") & ~raw.str.endswith("ss")
    squashed = raw.where(~plural, raw.str[:-1])
    step = squashed.isin(_STEP_NAMES)
    words = ("\x1e" + raw).where(raw.str.isalpha().astype(bool), keys)
    return ("\x1f" + squashed).where(step, words).tolist()


LABELS = [
    "view",
    " View ",
    "VIEW\t",
    "add_to_cart",
    "Add To Cart",
    "AddToCart",
    "add-to-cart",
    "add\u00a0to\u2003cart",
    "purchases",
    "Purchase",
    "class",
    "pass",
    "ss",
    "s",
    "",
    "  ",
    "log_in",
    "log in",
    "bus",
    "buys",
    "ΣΊΣΥΦΟΣ",
    "İstanbul",
    "straße",
    "STRASSE",
    "checkout\u3000",
    "\x1cpv",
    "page_view",
    "page views",
    "a_b_c",
    "item_1",
    "item1",
    "_",
    "-",
    "x" * 300,
]


def test_the_keys_are_pandas_keys():
    text = pd.Index(LABELS, dtype=object)
    assert _spelling_keys(text) == _keys_by_pandas(text)


def test_the_groups_are_found_as_before():
    groups = [set(g) for g in spelling_groups(LABELS)]
    assert {"view", " View ", "VIEW\t"} in groups
    assert {
        "add_to_cart",
        "Add To Cart",
        "AddToCart",
        "add-to-cart",
        "add\u00a0to\u2003cart",
    } in groups
    assert {"purchases", "Purchase"} in groups and {"page_view", "page views"} in groups
    assert not any("class" in g for g in groups)  # (no funnel step's name)
    # a name of words in other separators is one (TR s46 M9), an id of digits is not
    assert {"log_in", "log in"} in groups
    assert not any("a_b_c" in g or "item_1" in g for g in groups)


def test_200000_labels_take_a_fraction_of_pandas_time():
    rng = np.random.default_rng(799)
    labels = pd.Index([f"item_{i}" for i in rng.permutation(200_000)], dtype=object)
    spelling_groups(labels[:1000]), _keys_by_pandas(labels[:1000])  # (warm)
    start = time.process_time()
    assert spelling_groups(labels) == []
    now = time.process_time() - start
    start = time.process_time()
    _keys_by_pandas(labels)  # (the keys alone, before any grouping)
    before = time.process_time() - start
    # CPU seconds on this shared machine (load 9): 0.31 against 0.98
    assert now < 0.6 * before, (now, before)
