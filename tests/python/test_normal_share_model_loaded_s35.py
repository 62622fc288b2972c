"""A model fitted normal-only with a float contamination before that pair was refused
(ba27469) still loads and scores with its saved cut, says so once when read from a file,
and a StreamScorer's refit of it is refused with the fix that works on it: set_params on
live.pipeline (review RV s35 M2: the refusal advised false_alarm_rate=, which refit, copying
the model's parameters, gave no place to pass)."""

import pickle
import warnings

import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def old_model():
    data = make_ecommerce(n_users=300, random_state=824)
    normal_users = data.labels.index[data.labels == 0]
    log = data.events
    normal = log[log.user_id.isin(normal_users)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (few normal sequences for the rate)
        pipe = AnomalyPipeline(false_alarm_rate=0.1).fit(
            Sequences.from_events(normal, **ROLES), normal=True
        )
    # What a model saved before ba27469 held: normal_ and the share it was fitted with.
    pipe.contamination = 0.1
    return pipe, log


# (it scores the normal log it was fitted on, as the warning says)
@pytest.mark.filterwarnings("ignore:.*among those the model was fitted on as normal")
def test_reading_it_from_a_file_says_what_its_cut_is_and_the_fix(old_model, tmp_path):
    pipe, log = old_model
    path = pipe.save(tmp_path / "old.oddseq")
    with pytest.warns(UserWarning) as said:
        again = oddseq.load(path)
    text = " ".join(str(w.message) for w in said)
    assert "contamination=0.1" in text and "in-sample" in text
    assert "set_params(contamination='auto', false_alarm_rate=0.1)" in text
    assert "--false-alarm-rate 0.1" in text
    # It still scores with the cut it was saved with.
    seqs = Sequences.from_events(log, **ROLES)
    assert again.threshold_ == pipe.threshold_
    assert (again.score(seqs)["score"] == pipe.score(seqs)["score"]).all()


def test_a_copy_is_not_warned_about(old_model):
    pipe, _ = old_model
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(pickle.dumps(pipe))  # (oddseq.dask sends models so)


def test_the_streams_refit_names_set_params_and_that_fix_refits(old_model):
    pipe, log = old_model
    live = StreamScorer(pickle.loads(pickle.dumps(pipe)), **ROLES)
    threshold = live.threshold_
    for background in (False, True):
        # As a failed fit: the error is the future's, recorded, the current model kept.
        future = live.refit(log, background=background)
        with pytest.raises(ValueError, match=r"refit: .*live\.pipeline before live\.refit"):
            future.result()
        if background:
            live.update(log.head(5))  # (a refit is taken at the next update)
        assert "live.pipeline before live.refit" in live.threshold_history_[-1]["refused"]
        assert live.threshold_ == threshold
    assert len(live.threshold_history_) == 2
    live.pipeline.set_params(contamination="auto", false_alarm_rate=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        live.refit(log[log.user_id.isin(log.user_id.unique()[:200])], background=False)
    assert live.threshold_history_[-1].get("refused") is None
    assert live.pipeline.normal_ and live.pipeline.contamination == "auto"


def test_a_fit_of_today_is_not_warned_about(old_model, tmp_path):
    pipe, _ = old_model
    fresh = pickle.loads(pickle.dumps(pipe))
    fresh.contamination = "auto"
    path = fresh.save(tmp_path / "new.oddseq")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oddseq.load(path)
