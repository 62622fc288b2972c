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


def test_few_values_are_written_as_many_are():
    """feature_texts formats a few values one by one in plain Python (a stream alert's
    two): the same text as the vectorised formatting of many, for durations, counts and
    ratios, at unit boundaries, negative, tiny, huge, NaN and infinite values."""
    from oddseq._reasons import _FEW_TEXTS, feature_texts

    rng = np.random.default_rng(0)
    names = np.array(["duration_s", "count[pv]", "cart_per_view", "gap_mean_s", "value_sum"])
    edges = [0.0, -0.0, 1.0, 59.999, 60.0, 3600.0, 86_400.0, 0.5, 2.0, -3.0, -90.0, 1e300]
    edges += [np.nan, np.inf, -np.inf, 123_456.789, 1e-9, 0.0125, 99_950.0, 2.5, -2.5]
    values = np.r_[edges, rng.standard_normal(400) * 10.0 ** rng.integers(-3, 8, 400)]
    # -0.0 made 0.0: np.unique takes them for one value and the vectorised path writes
    # whichever sorts first ("-0 s" or "0 s") for both.
    values = np.r_[values, np.round(values)] + 0.0
    cols = rng.integers(0, len(names), values.size)
    many = feature_texts(names, cols, values)  # vectorised: more than _FEW_TEXTS
    assert values.size >= _FEW_TEXTS
    few = np.concatenate(
        [
            feature_texts(names, cols[at : at + 2], values[at : at + 2])
            for at in range(0, values.size, 2)
        ]
    )
    np.testing.assert_array_equal(few, many)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distinct_rows_are_written_as_one_call_per_row(dtype):
    """distinct_texts writes each distinct row once (by its values' bits) and hands it
    the values as the columns hold them: the texts of one call per row, for a funnel's
    counts and their ratio in float32 (the ratio of two float32 counts is float32), with
    -0.0 apart from 0.0, NaN, infinities and repeats, a few rows or many."""
    from oddseq._reasons import _FEW_TEXTS, _format_one, distinct_texts

    def text(a, b):
        return f"{a:,.0f} of {b:,.0f}" + (f", {_format_one('', a / b)}" if a else "")

    rng = np.random.default_rng(0)
    edges = np.array([0.0, -0.0, 1.0, 3.0, np.nan, np.inf, 7.0, 1e9, 2.5], dtype=dtype)
    a = np.r_[edges, rng.integers(0, 40, 3000)].astype(dtype)
    b = np.r_[edges[::-1], rng.integers(1, 40, 3000)].astype(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        one_by_one = np.array([text(x, y) for x, y in zip(a, b)], dtype=object)
        for n in (0, 1, _FEW_TEXTS - 1, _FEW_TEXTS, a.size):
            said = distinct_texts(text, a[:n], b[:n])
            assert said.dtype == object and said.shape == (n,)
            np.testing.assert_array_equal(said, one_by_one[:n])
    assert "-0 of" in one_by_one[1] and one_by_one[0].startswith("0 of")  # (kept apart)
    # one column, integers too
    ints = rng.integers(0, 5, 500)
    np.testing.assert_array_equal(
        distinct_texts(lambda v: f"<{v}>", ints), np.array([f"<{v}>" for v in ints], object)
    )
