"""A release night's first listeners are no group in a whole fit: the audience rule is
read where ``graph._crowd.crowd`` judges a lockstep block (review RV s67 M2).

test_graph_release_audience_s67 reads ``paced_as_audience`` on a block built by hand;
this fits ``GroupDetector`` on a log where listeners shuffle and skip every evening and a
new album's first fans play it through on its release night, as do its later listeners
on the days after. The fans pace far more regularly on the album than on their own
evenings, so the members' own pace alone (``paced_as_people``) reads them as owners'
accounts run by a script; the album's later audience paces there as they do, which
makes them a crowd, and the fit reports no group. Without the audience's reading the
same fans are a group.
"""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector, _crowd

DAY = 86_400.0


def _release_log(seed, n_users=900, n_fans=150, n_later=300):
    # every listener on 60% of 10 days: 8-25 tracks of a Zipf catalogue, shuffled and
    # skipped (gaps exponential, 90 s mean); a 12-track album out on day 5 at 18:00,
    # played through by n_fans within the hour, and by n_later others on days 6-9
    rng = np.random.default_rng(seed)
    catalogue = np.array([f"t{k}" for k in range(3000)])
    popularity = 1 / np.arange(1, 3001) ** 0.9
    popularity /= popularity.sum()
    album = [f"R{k}" for k in range(12)]
    lengths = rng.uniform(150, 330, 12)
    order = rng.permutation(n_users)
    fans, later = set(order[:n_fans]), set(order[n_fans : n_fans + n_later])
    rows = []
    for i in range(n_users):
        user = f"u{i}"
        for day in range(10):
            if rng.random() < 0.6:
                n = int(rng.integers(8, 26))
                t = day * DAY + rng.uniform(8, 22) * 3600 + np.cumsum(rng.exponential(90, n) + 5)
                rows += [(user, s, k) for s, k in zip(t, rng.choice(catalogue, n, p=popularity))]
        if i in fans or i in later:
            day = 5 if i in fans else int(rng.integers(6, 10))
            start = day * DAY + (18 * 3600 + rng.uniform(0, 2400) if i in fans else 0)
            if i in later:
                start += rng.uniform(8, 22) * 3600
            t = start + np.r_[0.0, np.cumsum(lengths[:-1] + rng.uniform(0, 3, 11))]
            rows += [(user, s, k) for s, k in zip(t, album)]
    log = pd.DataFrame(rows, columns=["user", "ts", "track"])
    log["ts"] = pd.to_datetime(1_700_000_000 + log["ts"], unit="s")
    return log.sort_values("ts", kind="stable", ignore_index=True)


@pytest.mark.parametrize("seed", [0, 3])
def test_a_release_nights_fans_are_a_crowd_by_the_albums_later_audience(seed, monkeypatch):
    log = _release_log(seed)
    read = []  # (block size, the audience's verdict) of each block read
    real = _crowd.paced_as_audience

    def reading(det, rows, *rest):
        read.append((len(rows), real(det, rows, *rest)))
        return read[-1][1]

    monkeypatch.setattr(_crowd, "paced_as_audience", reading)
    det = GroupDetector(max_share=None).fit(log, entity="user", object="track", time="ts")
    # the release night's block of fans reached the audience's reading and was a crowd
    crowds = [size for size, verdict in read if verdict]
    assert crowds and max(crowds) >= 40, read
    assert len(det.groups_) == 0
    # read by the members' own pace alone, the same fans are a group
    monkeypatch.setattr(_crowd, "paced_as_audience", lambda *args: False)
    det = GroupDetector(max_share=None).fit(log, entity="user", object="track", time="ts")
    assert len(det.groups_) >= 1
    fans = det.group_labels_ >= 0
    assert fans.sum() >= 40
