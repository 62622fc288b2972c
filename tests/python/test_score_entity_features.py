"""A model fitted with ``entity_features=`` scores later days with that day's side table
(``score(seqs, entity_features=...)``); without it, it warns once, naming the argument
(H6's F5: later days were scored on the fit-time table, silently)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def _log_and_side():
    log = make_ecommerce(n_users=300, random_state=5).events
    users = np.sort(log.user_id.unique())
    rng = np.random.default_rng(0)
    side = pd.DataFrame(
        {"account_age_days": rng.integers(1, 2000, users.size).astype(float)},
        index=pd.Index(users, name="user_id"),
    )
    return log, side


def _fitted():
    log, side = _log_and_side()
    seqs = Sequences.from_events(log, **ROLES)
    return AnomalyPipeline(entity_features=side).fit(seqs), seqs, side


def test_score_uses_the_side_table_given():
    pipe, seqs, side = _fitted()
    today = side.assign(account_age_days=side.account_age_days + 1000.0)
    moved = pipe.score(seqs, entity_features=today)
    same = pipe.score(seqs, entity_features=side)
    # The fit-time table gives the fit-time scores; today's table gives other ones.
    pd.testing.assert_series_equal(same["score"], pipe.table_["score"].loc[same.index])
    assert not np.allclose(moved["score"].to_numpy(), same["score"].to_numpy())
    # A table given for one call is not kept: the next call without one warns and
    # scores with the fitted table again.
    with pytest.warns(UserWarning, match=r"score\(seqs, entity_features="):
        again = pipe.score(seqs)
    pd.testing.assert_frame_equal(again, same)


def test_score_equals_a_fit_on_the_same_table_columns_in_any_order():
    pipe, seqs, side = _fitted()
    two = side.assign(vip=(side.account_age_days > 1000).astype(float))
    pipe2 = AnomalyPipeline(entity_features=two).fit(seqs)
    a = pipe2.score(seqs, entity_features=two[["vip", "account_age_days"]])
    b = pipe2.score(seqs, entity_features=two.reset_index())  # the key as a column
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(a["score"], pipe2.table_["score"].loc[a.index])


def test_score_without_the_side_table_warns_once():
    pipe, seqs, _ = _fitted()
    with pytest.warns(UserWarning, match="entity_features") as said:
        pipe.score(seqs[:200])
    assert sum("entity_features=" in str(w.message) for w in said) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe.score(seqs[:200])  # said once per model


def test_a_loaded_model_scores_with_todays_side_table(tmp_path):
    pipe, seqs, side = _fitted()
    pipe.save(tmp_path / "m.oddseq")
    loaded = oddseq.load(tmp_path / "m.oddseq")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = loaded.score(seqs, entity_features=side)
    pd.testing.assert_frame_equal(table, pipe.score(seqs, entity_features=side))


def test_score_refuses_a_side_table_the_model_cannot_read():
    pipe, seqs, side = _fitted()
    with pytest.raises(ValueError, match=r"lacks the columns \['account_age_days'\]"):
        pipe.score(seqs, entity_features=side.rename(columns={"account_age_days": "age"}))
    with pytest.raises(ValueError, match=r"drop\(columns=\['extra'\]\)"):
        pipe.score(seqs, entity_features=side.assign(extra=1.0))
    with pytest.raises(TypeError, match="entity_features must be a DataFrame"):
        pipe.score(seqs, entity_features=side.to_numpy())
    plain = AnomalyPipeline().fit(seqs)
    refit = r"fitted without entity_features.*AnomalyPipeline\(entity_features="
    with pytest.raises(ValueError, match=refit):
        plain.score(seqs, entity_features=side)


def test_detect_anomalies_with_normal_scores_on_the_side_table_silently():
    log, _ = _log_and_side()
    normal = make_ecommerce(n_users=300, random_state=6, anomaly_rate=0.0).events
    users = pd.Index(np.union1d(log.user_id.unique(), normal.user_id.unique()), name="user_id")
    side = pd.DataFrame({"account_age_days": np.arange(users.size, dtype=float)}, index=users)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = oddseq.detect_anomalies(
            log, normal=normal, entity_features=side, groups=False, **ROLES
        )
    assert len(table) == log.user_id.nunique()


def test_threads_scoring_one_model_with_their_own_tables_do_not_mix_them():
    """The table given to one score() call is that call's alone, also while another
    thread scores the same model with another table (it was kept on the instance)."""
    from concurrent.futures import ThreadPoolExecutor

    pipe, seqs, side = _fitted()
    tables = [side.assign(account_age_days=side.account_age_days + 500.0 * k) for k in range(4)]
    alone = [pipe.score(seqs, entity_features=t)["score"] for t in tables]

    def score(k):
        return pipe.score(seqs, entity_features=tables[k % 4])["score"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(score, range(24)))
    for k, scores in enumerate(together):
        pd.testing.assert_series_equal(scores, alone[k % 4])
