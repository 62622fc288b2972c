"""AutomationEncoder(off_hours=True): the share of an entity's events at hours when the
population is least active and the entity itself seldom is (an office worker exporting
at night; a night-shift worker at night is at its own hours)."""

import numpy as np
import pytest

from oddseq.encode import AutomationEncoder
from oddseq.sequences import Sequences

DAY, HOUR = 86_400, 3_600


def _log(entities):
    offsets, events, times = [0], [], []
    for rows in entities:
        times += rows
        events += ["view"] * len(rows)
        offsets.append(len(times))
    return Sequences.from_arrays(offsets, events, times=times)


def _days(hour, n_days=10, per_day=3):
    return [d * DAY + hour * HOUR + 60 * k for d in range(n_days) for k in range(per_day)]


def test_night_events_of_a_day_entity_count_its_own_night_hours_do_not():
    day_people = [_days(11), _days(12), _days(13), _days(14)] * 25
    insider = sorted(_days(11) + [12 * DAY + 3 * HOUR + 20 * k for k in range(30)])
    night_shift = _days(3)
    seqs = _log(day_people + [insider, night_shift])
    enc = AutomationEncoder(off_hours=True).set_output(transform="pandas").fit(seqs)
    out = enc.transform(seqs)
    assert out.columns[-1] == "share_off_hours"
    col = out["share_off_hours"].to_numpy()
    assert col[-2] == pytest.approx(30 / 60)  # its 30 night events of 60
    assert col[-1] == 0.0  # at 03:00 on every one of its days: its own hours
    assert np.all(col[:-2] == 0.0)  # daytime: the population's busy hours
    plain = AutomationEncoder().set_output(transform="pandas").fit(seqs).transform(seqs)
    np.testing.assert_array_equal(out[plain.columns].to_numpy(), plain.to_numpy())


def test_a_short_history_never_counts_and_fit_profile_is_kept():
    day_people = [_days(12)] * 50
    # active on 3 days only: any hour it uses is one of at least a third of its days
    few = [0 * DAY + 3 * HOUR, 1 * DAY + 12 * HOUR, 2 * DAY + 12 * HOUR]
    seqs = _log(day_people + [few])
    enc = AutomationEncoder(off_hours=True).fit(seqs)
    assert enc.transform(seqs)[-1, -1] == 0.0
    # scored alone, the fitted population still says which hours are quiet
    late = _log([_days(12) + [20 * DAY + 2 * HOUR + k for k in range(10)]])
    assert enc.transform(late)[0, -1] == pytest.approx(10 / 40)


def test_off_by_default_and_checked():
    seqs = _log([_days(12)])
    assert "share_off_hours" not in AutomationEncoder().fit(seqs).get_feature_names_out()
    with pytest.raises(TypeError, match="off_hours"):
        AutomationEncoder(off_hours=1).fit(seqs)
