"""Small findings of the trials read in the forty-fifth session."""

from __future__ import annotations

import pytest

from oddseq._pipeline import _percent, _warn_too_few_normal
from oddseq.exceptions import DataWarning


@pytest.mark.parametrize(
    ("share", "said"), [(0.0003, "0.03%"), (0.072, "7.2%"), (0.12, "12%"), (0.5, "50%")]
)
def test_a_share_keeps_two_figures(share, said):
    assert _percent(share) == said


def test_the_few_normal_warning_says_a_small_spread(recwarn):
    # TR s44a L1: 2,000 normal sessions for a rate of 1 in 100,000 read "one time in
    # twenty that share is 0.0% or more"; the spread is 1 - 0.05 ** (1 / 2000).
    with pytest.warns(DataWarning) as caught:
        _warn_too_few_normal(2_000, 1e-5)
    said = " ".join(str(w.message) for w in caught)
    assert "one time in twenty that share is 0.15% or more" in said
    assert "0.0%" not in said


def test_calibrating_on_whole_histories_that_all_peak_at_their_start_says_why():
    # TR s44a M4: `oddseq stream --calibrate` on a workforce log printed "every score is
    # the same: nothing can be told apart", which was false (the scores varied): every
    # employee's highest score was its first event's, the same for all. The warning now
    # says so, and names the warm-up that works.
    import warnings

    import numpy as np
    import pandas as pd

    import oddseq
    from oddseq.stream import StreamScorer

    rng = np.random.default_rng(0)
    rows = []
    for u in range(300):
        for d in range(20):
            day = d * 86400 + 8 * 3600 + rng.uniform(0, 1800)
            rows.append((f"u{u}", "logon", day))
            for k in range(int(rng.integers(3, 8))):
                event = rng.choice(["open", "edit", "mail"])
                rows.append((f"u{u}", event, day + 60 * (k + 1) + rng.uniform(0, 30)))
            rows.append((f"u{u}", "logoff", day + 9 * 3600))
    log = pd.DataFrame(rows, columns=["user", "event", "ts"]).sort_values("ts", kind="stable")
    seqs = oddseq.Sequences.from_events(log, entity="user", event="event", time="ts", time_unit="s")
    pipe = oddseq.AnomalyPipeline().fit(seqs, normal=True)
    scorer = StreamScorer(pipe, entity="user", event="event", time="ts", time_unit="s")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cut = scorer.calibrate(log)
    said = [str(w.message) for w in caught]
    assert not [m for m in said if m.startswith("every score is the same")]
    (note,) = [m for m in said if "reached the same highest score" in m]
    assert note.startswith("every one of the 300 entities of the log replayed")
    assert f"{cut:.4g}" in note and "--checkpoint" in note and "update(history)" in note
