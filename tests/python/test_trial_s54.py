"""TR s54, a classifieds site's log (a second-hand marketplace): what the trial found.

- H2: ``view_listing`` was no view, so the default funnel read ``favourite`` alone, every
  ratio per view 0, and the scam messengers (118 messages in 118 views) went 2 of 29
  flagged, 29 of 29 with the roles named; nothing said so. (Reading ``view_listing`` as
  the view, with no end of the funnel, moved the flags' F1 both ways: left to funnel=.)
- H1: ``oddseq fit --normal --context`` on a vetted list counted each device's sharers
  among the vetted alone, and ``oddseq score`` of the whole log flagged 113 of 253 family
  members, 5.7% against 0.5%, silently.
- M1, L1: two warnings of one call advised shares 11x apart, unlabelled; the shell's
  warnings named ``threshold_info_['bagged']``, which the shell has no handle on."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import _in_shell_words, main
from oddseq.encode import DiversityEncoder
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences


def _seqs(events):
    log = pd.DataFrame(
        {"user": np.arange(len(events)) % 3, "event": events, "t": np.arange(len(events))}
    )
    return Sequences.from_events(log, entity="user", event="event", time="t")


def test_a_funnel_read_without_a_view_is_said_with_the_fix():
    seqs = _seqs(["view_listing", "favourite", "message_seller", "view_listing", "login"])
    with pytest.warns(DataWarning, match="no event name reads as a view of an item") as caught:
        enc = DiversityEncoder().fit(seqs)
    assert enc.funnel_ == {"fav": "favourite"}
    said = str(caught[0].message)
    assert "a view of an item ('view_listing'?), so fav_per_view is 0 for every entity" in said
    assert "funnel={'view': '<item view>'" in said and "or funnel={} for no funnel" in said
    # the shell's words: its option, no Python
    shell = _in_shell_words(said)
    assert "--funnel view=<item view>,buy=" in shell and "--funnel none for no funnel" in shell
    assert "funnel={" not in shell
    # the advice to name the roles it has exists and is quiet
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert DiversityEncoder(funnel=enc.funnel_).fit(seqs).funnel_ == {"fav": "favourite"}
    # no step at all (not a shop), a view read, no event named like a view (orders
    # alone), or the roles given: nothing said
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DiversityEncoder().fit(_seqs(["open", "close", "open", "login"]))
        DiversityEncoder().fit(_seqs(["login", "order", "order", "refund"]))
        DiversityEncoder().fit(_seqs(["view", "favourite", "view"]))
        DiversityEncoder(funnel={"fav": "favourite"}).fit(seqs)
        DiversityEncoder(funnel={}).fit(seqs)


def _said(warn, *args, **kwargs):
    with pytest.warns(DataWarning) as caught:
        warn(*args, **kwargs)
    return _in_shell_words(" ".join(str(caught[0].message).split()))


def test_the_shell_says_no_record_it_cannot_reach():
    from oddseq._pipeline import _warn_collapsed_cut, _warn_unsettled_cut

    refit = {"first_n_flagged": 150, "set_aside": 15, "n_flagged": 48}
    # the refit's own count (no bag, no floor), the bag's, the floor's
    plain = _said(_warn_collapsed_cut, 3063, 0.01, refit, flagged=48, plain=48)
    assert "the cut flags 48 (1.57%): the group at the top" in plain
    bagged = _said(_warn_collapsed_cut, 3063, 0.01, refit, flagged=67, plain=48)
    assert "(2.19%; bagged over bootstrap draws; the repaired cut alone flagged 48): " in bagged
    floor = _said(_warn_collapsed_cut, 3063, 0.01, {**refit, "n_flagged": 30}, flagged=9, plain=9)
    assert "the refit flagged 30, and the detector's own floor above it leaves 9): " in floor
    unsettled = _said(_warn_unsettled_cut, 5174, (11, 126), 48)
    assert (
        "(10th-90th percentile; it flags 48 by score, before any group's members), so" in unsettled
    )
    for said in (plain, bagged, floor, unsettled):
        assert "threshold_info_" not in said and ";)" not in said and "(;" not in said
    # no other sentence loses its commas (the large-group warning's "or --no-groups")
    other = "pass group_by without that column, or groups=False, leaves it out"
    assert _in_shell_words(other) == other


def test_fit_normal_with_context_says_how_its_sharers_were_counted(tmp_path, capsys):
    rows = [(f"u{u}", f"d{u // 2}", "view", 60 * k + u) for u in range(60) for k in range(5)]
    log = pd.DataFrame(rows, columns=["user", "device", "event", "t"])
    path = tmp_path / "normal.csv"
    log.to_csv(path, index=False)
    args = ["fit", str(path), "--entity", "user", "--event", "event", "--time", "t"]
    model = ["--save", str(tmp_path / "m.oddseq")]
    assert main([*args, "--normal", "--context", "device", *model]) == 0
    err = capsys.readouterr().err
    assert "--context with --normal counts each value's sharers among this file's" in err
    assert "oddseq detect LOG --normal FILE --context" in err
    # unsupervised, the file is the log: nothing to say
    assert main([*args, "--context", "device", *model, "--force"]) == 0
    assert "--context with --normal" not in capsys.readouterr().err
