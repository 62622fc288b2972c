"""AnomalyPipeline.explain by entity id alone: the features of the last fit and score
are kept in memory (never saved), so the sequences need not be passed again."""

import pickle

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences, load
from oddseq.datasets import make_ecommerce


@pytest.fixture(scope="module")
def seqs():
    log = make_ecommerce(n_users=300, random_state=0).events
    return Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def pipe(seqs):
    return AnomalyPipeline().fit(seqs[:200])


def test_explain_by_id_equals_explain_with_the_sequences(pipe, seqs):
    odd = list(pipe.table_.index[:3])
    expected = pipe.explain(seqs[:200], odd)
    pd.testing.assert_frame_equal(pipe.explain(odd), expected)
    pd.testing.assert_frame_equal(pipe.explain(entity_ids=odd), expected)
    pd.testing.assert_frame_equal(pipe.explain(odd[0]), pipe.explain(seqs[:200], odd[0]))
    # The order asked for is the order given.
    assert pipe.explain(odd[::-1], top=1).index.get_level_values(0).tolist() == odd[::-1]


def test_explain_by_id_reaches_scored_entities_too(seqs):
    pipe = AnomalyPipeline().fit(seqs[:200])
    new = pipe.score(seqs[200:])
    mixed = [new.index[0], pipe.table_.index[0]]  # one scored, one fitted
    expected = pd.concat([pipe.explain(seqs[200:], mixed[:1]), pipe.explain(seqs[:200], mixed[1:])])
    pd.testing.assert_frame_equal(pipe.explain(mixed), expected)


def test_explain_by_id_says_how_to_go_on(pipe, seqs, tmp_path):
    with pytest.raises(ValueError, match=r"not among the entities of the last fit or score.*"
                       r"explain\(seqs, entity_ids\)"):  # fmt: skip
        pipe.explain(["nobody"])
    with pytest.raises(ValueError, match=r"pass entity_ids"):
        pipe.explain()
    with pytest.raises(TypeError, match="seqs must be the Sequences"):
        pipe.explain(pd.DataFrame({"a": [1]}))
    # Not saved nor pickled: a loaded model asks for the sequences.
    again = load(pipe.save(tmp_path / "model.oddseq"))
    for other in (again, pickle.loads(pickle.dumps(pipe))):
        with pytest.raises(ValueError, match=r"keeps no features.*explain\(seqs, entity_ids\)"):
            other.explain([pipe.table_.index[0]])
        pd.testing.assert_frame_equal(
            other.explain(seqs[:200], [pipe.table_.index[0]]),
            pipe.explain([pipe.table_.index[0]]),
        )
    assert "_explain_rows" not in pipe._state()
    markov = AnomalyPipeline(method="markov").fit(seqs[:100])
    with pytest.raises(ValueError, match=r"keeps no features.*explain\(seqs, entity_ids\)"):
        markov.explain([markov.table_.index[0]])


def test_kept_features_cost_one_raw_matrix(pipe):
    ids, raw, lengths = pipe._explain_rows["fit"]
    assert raw.shape == (len(ids), len(pipe.feature_names_)) and len(lengths) == len(ids)
    assert raw.dtype == np.float32  # the encoders' own output, not a float64 copy


def test_sequence_models_explain_their_sequences(seqs):
    pytest.importorskip("torch")
    pipe = AnomalyPipeline(method="lstm").fit(seqs[:120])
    odd = pipe.table_.index[0]
    why = pipe.explain(seqs[:120], [odd], top=2)
    assert why.index.get_level_values(0).tolist() == [odd, odd]
    assert {"feature", "typical"} <= set(why.columns)


def test_plot_explanation_takes_the_pipeline_and_an_id(pipe):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from oddseq.plot import plot_explanation

    odd = pipe.table_.index[1]
    ax = plot_explanation(pipe, odd)
    assert ax.get_title() == f"why {odd} stands out"
    from oddseq import plot

    assert plot.explanation(pipe, odd).get_title() == ax.get_title()
    top = plot_explanation(pipe)  # the top of the ranked table
    assert top.get_title() == f"why {pipe.table_.index[0]} stands out"
    matplotlib.pyplot.close("all")
