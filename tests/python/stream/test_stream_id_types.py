"""The type of a fitted model's entity ids is not the stream's: a model keeps no
entity's state, so a scorer streams ids of either type whatever the model was fitted on,
as the batch score ranks them (the same scores) and as oddseq stream reads a CSV's ids
(as text, from a model fitted on the integers pandas read). Only the scorer's own first
ids set the type (session 18: int 7 and str "7" would be two entities)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.mark.parametrize("fitted_as", ["int", "str"])
def test_a_model_streams_ids_of_the_other_type_as_the_batch_scores_them(fitted_as):
    log = make_ecommerce(n_users=60, n_days=2, random_state=6).events
    log = log.sort_values("timestamp", kind="stable")[list(ROLES.values())]
    as_int, as_text = log, log.assign(user_id=log.user_id.astype(str))
    fitted, other = (as_int, as_text) if fitted_as == "int" else (as_text, as_int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say of the ids' type
        pipe = AnomalyPipeline(method="pca", contamination=0.1)
        pipe.fit(Sequences.from_events(fitted, **ROLES))
        batch = pipe.score(Sequences.from_events(other, **ROLES))
        same = StreamScorer(pipe, **ROLES)
        same.update(fitted)
        live = StreamScorer(pipe, **ROLES)
        live.update(other)
    # The batch: the same scores under the other ids.
    back = batch["score"].rename(index=type(fitted.user_id.iloc[0]))
    pd.testing.assert_series_equal(back, pipe.table_["score"].loc[back.index])
    # The stream: the same features under the other ids.
    ids = other.user_id.unique()
    got = live.features(ids)
    want = same.features(fitted.user_id.unique())
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    # The scorer's own first ids still set its type: the fitted type is now refused.
    convert = "astype('int64')" if fitted_as == "str" else "astype(str)"
    with pytest.raises(ValueError, match=rf"convert them to .*{re.escape(convert)}"):
        live.update(fitted.head(3))


def test_features_of_ids_of_the_other_type_says_to_convert_the_ids_asked_for():
    # features([153]) of a scorer that streamed "153" said "entity ids 153 arrive as int
    # ... convert them to str: events['user_id'] = events['user_id'].astype(str)": a
    # frame of events the call was not given.
    log = make_ecommerce(n_users=30, n_days=2, random_state=195).events
    log = log.sort_values("timestamp", kind="stable")[list(ROLES.values())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a small log's cut)
        pipe = AnomalyPipeline(method="pca", contamination=0.1)
        pipe.fit(Sequences.from_events(log, **ROLES))
    live = StreamScorer(pipe, **ROLES)
    live.update(log.assign(user_id=log.user_id.astype(str)))
    one = int(log.user_id.iloc[0])
    with pytest.raises(ValueError) as refused:
        live.features([one])
    message = str(refused.value)
    assert "events[" not in message and "arrive" not in message, message
    fix = re.search(r"convert them to str: (.*)$", message)
    assert fix and fix.group(1) == "features(pd.Index(entity_ids).astype(str))", message
    entity_ids = [one]
    got = eval("live." + fix.group(1), {"live": live, "pd": pd, "entity_ids": entity_ids})
    assert list(got.index) == [str(one)]
