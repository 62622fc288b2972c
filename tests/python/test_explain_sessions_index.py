"""explain() of a sessions model is indexed as score's table is: (entity, session, rank),
so an analyst joins the reasons to the table by its index."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import oddseq  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402
from oddseq.plot import plot_explanation  # noqa: E402


@pytest.fixture(scope="module")
def sessions():
    df = make_ecommerce(n_users=150, random_state=228).events
    table, pipe = oddseq.detect_anomalies(
        df,
        "user_id",
        "behavior",
        "timestamp",
        session_gap="30min",
        random_state=0,
        return_pipeline=True,
    )
    return table, pipe


def test_levels_are_the_tables_and_rank(sessions):
    table, pipe = sessions
    why = pipe.explain(table.index[:3].tolist())
    assert why.index.names == ["user_id", "session", "rank"]
    keys = why.index.droplevel("rank").unique()
    assert keys.equals(table.index[:3])
    joined = why.join(table[["score"]], on=["user_id", "session"])
    assert joined["score"].notna().all()


def test_no_entity_keeps_the_levels(sessions):
    _, pipe = sessions
    why = pipe.explain([])
    assert why.empty
    assert why.index.names == ["user_id", "session", "rank"]


def test_plot_of_one_session(sessions):
    table, pipe = sessions
    row = table.index[0]
    why = pipe.explain([row])
    assert plot_explanation(why, row=row) is not None
    assert plot_explanation(pipe, row) is not None
    with pytest.raises(ValueError, match="not in the explanation"):
        plot_explanation(why, row=(row[0], row[1] + 999))


def test_entities_model_keeps_two_levels():
    df = make_ecommerce(n_users=120, random_state=228).events
    table, pipe = oddseq.detect_anomalies(
        df, "user_id", "behavior", "timestamp", random_state=0, return_pipeline=True
    )
    why = pipe.explain(table.index[:2].tolist())
    assert why.index.names == ["user_id", "rank"]
    assert isinstance(why.index.get_level_values("user_id"), pd.Index)
