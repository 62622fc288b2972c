"""RecentChangeEncoder(new_types=True): event types an entity never used before its
recent window, weighted by how few entities use them (the shape of a takeover: a new
device, a new e-mail address, a new payee in one session of an old account)."""

import math

import numpy as np
import pytest

from oddseq.encode import RecentChangeEncoder
from oddseq.sequences import Sequences

DAY = 86_400


def _log(entities):
    """entities: list of lists of (seconds, event)."""
    offsets, events, times = [0], [], []
    for rows in entities:
        for t, e in rows:
            times.append(t)
            events.append(e)
        offsets.append(len(events))
    return Sequences.from_arrays(offsets, events, times=times)


def _owner(n_days=10):
    return [
        (d * DAY + 13 * 3600 + 60 * k, e)
        for d in range(n_days)
        for k, e in enumerate(["login", "view", "list", "logout"])
    ]


def _last_day(n_days=10):
    return n_days * DAY + 13 * 3600


def test_new_rare_types_in_the_recent_window_score_their_rarity_in_bits():
    taken = _owner() + [
        (_last_day() + 30 * k, e)
        for k, e in enumerate(["login", "device_add", "email_change", "payee_add"])
    ]
    usual = _owner() + [
        (_last_day() + 30 * k, e) for k, e in enumerate(["login", "view", "list", "logout"])
    ]
    fresh = [(_last_day() + 30 * k, e) for k, e in enumerate(["login", "device_add"])]
    seqs = _log([taken, usual] + [usual] * 6 + [fresh])
    enc = RecentChangeEncoder(new_types=True).set_output(transform="pandas").fit(seqs)
    out = enc.transform(seqs)
    assert out.columns[-1] == "change_new_types_bits"
    col = out["change_new_types_bits"].to_numpy()
    n = 9
    # device_add: 2 of 9 entities; email_change, payee_add: 1 of 9 (smoothed +1 / +2)
    want = -math.log2(3 / (n + 2)) - 2 * math.log2(2 / (n + 2))
    assert col[0] == pytest.approx(want, rel=1e-6)
    assert col[1] == 0.0  # its recent window repeats its own past
    assert col[-1] == 0.0  # nothing before the window to compare with
    # the other columns are the encoder's own, unchanged by the option
    plain = RecentChangeEncoder().set_output(transform="pandas").fit(seqs).transform(seqs)
    np.testing.assert_array_equal(out[plain.columns].to_numpy(), plain.to_numpy())


def test_types_unseen_at_fit_count_as_used_by_none():
    base = _owner()
    seqs = _log([base + [(_last_day(), "login"), (_last_day() + 30, "view")]] * 3)
    enc = RecentChangeEncoder(new_types=True).fit(seqs)
    other = _log([base + [(_last_day(), "login"), (_last_day() + 30, "api_token_create")]])
    col = enc.transform(other)[:, -1]
    assert col[0] == pytest.approx(-math.log2(1 / 5), rel=1e-6)


def test_off_by_default_and_named_in_facts():
    taken = _owner() + [
        (_last_day() + 30 * k, e) for k, e in enumerate(["login", "device_add", "email_change"])
    ]
    seqs = _log([taken] + [_owner(11)] * 4)
    assert "change_new_types_bits" not in RecentChangeEncoder().fit(seqs).get_feature_names_out()
    enc = RecentChangeEncoder(new_types=True).fit(seqs)
    assert enc.get_feature_names_out()[-1] == "change_new_types_bits"
    facts = enc.recent_facts(seqs)
    assert "never used before: device_add, email_change" in facts[0]
    assert "never used before" not in facts[1]


def test_new_types_must_be_a_bool():
    seqs = _log([_owner()])
    with pytest.raises((TypeError, ValueError), match="new_types"):
        RecentChangeEncoder(new_types="yes").fit(seqs)


def test_a_reason_says_the_new_types_column_in_words():
    # A reason names every RecentChangeEncoder column in words, the new one too (it read
    # the raw column name "change_new_types_bits").
    from oddseq._reasons import _CHANGE_WORDS

    taken = _owner() + [(_last_day() + 60 * k, e) for k, e in enumerate(["login", "payee_add"])]
    enc = RecentChangeEncoder(new_types=True).fit(_log([_owner(), _owner(), taken]))
    assert set(enc.get_feature_names_out()) <= set(_CHANGE_WORDS)
