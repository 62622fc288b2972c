"""A larger patience reaches the ring that pollers of a few URLs hide at the default
(test_search.py's xfail): the knob the one call now takes (groups=GroupDetector(...))."""

import pandas as pd
import pytest
from test_search import in_groups, web_log

from oddseq.graph import GroupDetector


@pytest.mark.parametrize(("seed", "n_ring", "n_items"), [(0, 25, 20), (1, 30, 40), (2, 30, 60)])
def test_a_larger_patience_reaches_the_ring_behind_the_pollers(seed, n_ring, n_items):
    log = web_log(seed, n_ring=n_ring, n_items=n_items)
    roles = dict(entity="client", object="path", time="t")
    default = GroupDetector().fit(log, **roles)
    # The default stops on the pollers' three blocks, and says so.
    assert default.search_ends_ == {"temporal": {"end": "patience", "blocks": 3}}
    assert in_groups(default, 100_000, 200_000) == 0
    det = GroupDetector(patience=10).fit(log, **roles)
    assert det.search_ends_["temporal"]["end"] == "patience"
    assert det.search_ends_["temporal"]["blocks"] > 3
    # the whole ring, and nobody else
    assert in_groups(det, 100_000, 200_000) == n_ring
    assert in_groups(det, 200_000, 300_000) == 0
    assert in_groups(det, 0, 100_000) == 0


def test_the_shell_reaches_it_with_group_patience(tmp_path):
    # oddseq detect --group-patience: the ring's clients are in groups in the shell's
    # table, none at the default (review RV s50 L9: a count of flags could not tell)
    from oddseq.cli import main

    log = web_log(0, n_ring=25, n_items=20).assign(method="GET")
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "client", "--event", "method", "--time", "t"]
    args += ["--time-unit", "s", "--item", "path"]
    tables = {}
    for name, extra in (("default", []), ("patient", ["--group-patience", "10"])):
        out = tmp_path / f"{name}.csv"
        assert main([*args, *extra, "-o", str(out)]) == 0
        tables[name] = pd.read_csv(out, index_col=0)
    ids = tables["patient"].index
    ring = (ids >= 100_000) & (ids < 200_000)  # (web_log: background, ring, pollers)
    assert ring.sum() == 25
    assert (tables["default"]["group"] >= 0).sum() == 0
    assert (tables["patient"]["group"][ring] >= 0).all()
    assert (tables["patient"]["group"][~ring] == -1).all()
