"""A new analyst's first session (H6 s17, findings F8-F19): errors that name the fix,
plots that agree with the model, explanations that say what the table says."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import oddseq  # noqa: E402
from oddseq import AnomalyPipeline, plot  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402
from oddseq.sequences import Sequences  # noqa: E402

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def ringed():
    data = make_ecommerce(n_users=1500, rings=2, random_state=5)
    table, pipe = oddseq.detect_anomalies(
        data.events, item="item_id", return_pipeline=True, **ROLES
    )
    assert (table["group"] >= 0).sum() >= 2
    return data, table, pipe


def test_plot_group_takes_the_pipeline_or_names_groups_(ringed):
    _, table, pipe = ringed
    ax = plot.plot_group(pipe, 0)  # F8: was "object of type 'GroupDetector' has no len()"
    assert ax.get_title().startswith("group 0:")
    assert ax.get_title() == plot.plot_group(pipe.groups_, 0).get_title()
    with pytest.raises(TypeError, match=r"pipeline\.groups_"):
        plot.plot_group(object(), 0)
    bare = AnomalyPipeline().fit(Sequences.from_events(ringed[0].events.head(3000), **ROLES))
    with pytest.raises(TypeError, match="groups=True"):
        plot.plot_group(bare, 0)


def test_a_dataframe_where_sequences_go_names_from_events(ringed):
    data, _, pipe = ringed
    df = data.events.head(2000)
    for call in (AnomalyPipeline().fit, pipe.score):  # F9
        with pytest.raises(TypeError, match=r"Sequences\.from_events\(df, entity="):
            call(df)
    with pytest.raises(TypeError, match=r"Sequences\.from_events\(df, entity="):
        pipe.explain(df, [1])


def test_a_time_in_the_index_names_reset_index():
    df = make_ecommerce(n_users=50, random_state=1).events
    for frame in (df.set_index("timestamp"), df.set_index(["user_id", "timestamp"])):
        with pytest.raises(ValueError, match=r"is the index of df: .*df\.reset_index\(\)"):
            Sequences.from_events(frame, **ROLES)  # F11
        with pytest.raises(ValueError, match=r"reset_index\(\)"):
            oddseq.detect_anomalies(frame, **ROLES)
    with pytest.raises(ValueError, match="available columns") as error:
        Sequences.from_events(df, entity="user_id", event="behavior", time="ts")
    assert "reset_index" not in str(error.value)  # only where the index holds it


def test_entity_features_with_ids_of_another_dtype_say_so():
    df = make_ecommerce(n_users=200, random_state=1).events
    seqs = Sequences.from_events(df, **ROLES)
    side = pd.DataFrame({"age": np.arange(len(seqs.ids), dtype=float)}, index=seqs.ids)
    for other, kind in ((side.set_axis(side.index.astype(str)), "str"),):
        with pytest.raises(ValueError, match=r"as str where the log's are int64.*astype") as error:
            AnomalyPipeline(entity_features=other).fit(seqs)  # F10
        assert kind in str(error.value) and "int64" in str(error.value)
    ids = df.assign(user_id=df.user_id.astype(str))
    with pytest.raises(ValueError, match=r"as int64 where the log's are str.*astype\(str\)"):
        AnomalyPipeline(entity_features=side).fit(Sequences.from_events(ids, **ROLES))


def test_entity_features_keyed_by_a_column_of_text_ids_say_how_to_convert_it():
    # Trial s40 F7: the key is the user_id column (as the docstring allows), so the
    # advice converts it, not the index (which set the same error again).
    df = make_ecommerce(n_users=200, random_state=1).events
    seqs = Sequences.from_events(df, **ROLES)
    side = pd.DataFrame({"user_id": seqs.ids.astype(str), "age": np.arange(len(seqs.ids))})
    fix = "side['user_id'] = side['user_id'].astype('int64')"
    with pytest.raises(ValueError, match="its column 'user_id' holds the ids as str") as error:
        AnomalyPipeline(entity_features=side).fit(seqs)
    assert fix in str(error.value)
    exec(fix)  # the advice, as written
    AnomalyPipeline(entity_features=side).fit(seqs)


def test_plot_scores_draws_the_models_cut(ringed):
    _, table, pipe = ringed

    def line(ax):
        (drawn,) = [x for x in ax.get_lines() if x.get_linestyle() == "--"]
        return float(drawn.get_xdata()[0]), drawn.get_label()

    at, label = line(plot.plot_scores(pipe))  # F13
    assert at == pipe.threshold_ and label == f"threshold {pipe.threshold_:.3g}"
    at, label = line(plot.plot_scores(table, threshold=pipe.threshold_))
    assert at == pipe.threshold_
    lowest = table.loc[table.is_anomaly, "score"].min()
    at, label = line(plot.plot_scores(table))  # the table alone does not know the cut
    assert at == lowest and "threshold" not in label and "lowest flagged" in label


def test_group_reasons_say_the_zone(ringed):
    data, table, _ = ringed
    member = table.index[table["group"] >= 0][0]
    assert "(UTC)" in table.loc[member, "reason"]  # F12: epoch seconds are UTC
    local = data.events.assign(
        timestamp=pd.to_datetime(data.events.timestamp, unit="s", utc=True).dt.tz_convert(
            "Asia/Shanghai"
        )
    )
    zoned = oddseq.detect_anomalies(local, item="item_id", **ROLES)
    assert "(Asia/Shanghai)" in zoned.loc[member, "reason"]
    assert "(UTC)" not in zoned.loc[member, "reason"]


def test_explain_names_the_group_of_a_member(ringed):
    _, table, pipe = ringed
    member = table.index[table["group"] >= 0][0]
    other = table.index[table["group"] < 0][0]
    why = pipe.explain([member, other])  # F15
    said = why.xs(member, level=0)["group_reason"]
    assert said.str.len().min() > 0 and (said == said.iloc[0]).all()
    assert table.loc[member, "reason"].startswith(said.iloc[0])
    assert said.iloc[0] == pipe.groups_.explain([member]).iloc[0]
    assert (why.xs(other, level=0)["group_reason"] == "").all()
    assert (
        "group_reason"
        not in AnomalyPipeline()
        .fit(Sequences.from_events(ringed[0].events.head(3000), **ROLES))
        .explain(Sequences.from_events(ringed[0].events.head(3000), **ROLES))
        .columns
    )


def test_explain_gives_one_typical_as_the_reason_says_it(ringed):
    """F19: a duration's typical said by length in the reason, its log-scale average in
    the bar plot; now the row carries what the reason says, and the plot draws that."""
    data, table, pipe = ringed
    why = pipe.explain(table.index[:60])
    assert "typical_said" in why
    for (entity, _), row in why.iterrows():
        reason = table.loc[entity, "reason"]
        quoted = f"{row['value_text']} ({row['typical_said']})"
        from oddseq._reasons import reason_name

        if f"{reason_name(row['feature'])} {row['value_text']} (" in reason:
            assert quoted in reason, (quoted, reason)
    top = table.index[0]
    ax = plot.plot_explanation(why, top)
    # (each value under its feature's name, the tick label's second line, since s42)
    texts = [t.get_text().split("\n", 1)[-1] for t in ax.get_yticklabels()]
    part = why.xs(top, level=0)
    assert all(f"{v} ({s})" in texts for v, s in part[["value_text", "typical_said"]].values)


def test_explanation_labels_stay_off_the_tick_labels(ringed, tmp_path):
    """F18: a bar pointing left had its value label drawn over its tick label. Since s42
    the values are the tick labels' second lines: no text lies over the bars' area."""
    _, table, pipe = ringed
    why = pipe.explain(table.index[:40])
    entity = next(e for e in table.index[:40] if (why.xs(e, level=0)["deviation"] < 0).any())
    ax = plot.plot_explanation(why, entity)
    fig = ax.figure
    fig.savefig(tmp_path / "why.png")
    renderer = fig.canvas.get_renderer()
    ticks = [t for t in ax.get_yticklabels() if t.get_text()]
    assert not ax.texts and all("\n" in t.get_text() for t in ticks)
    axes_box = ax.get_window_extent(renderer)
    for tick in ticks:
        box = tick.get_window_extent(renderer)
        assert box.x1 <= axes_box.x0 + 1 and box.x0 >= fig.bbox.x0 - 1, tick.get_text()


def test_p_normal_is_the_share_of_fitted_entities_as_high(ringed):
    """F14: what README and p_normal's docstring say it is. Unsupervised, the share of
    the fitted entities (anomalies included) that score at least as high, so flagged
    rows near the cut can read above false_alarm_rate: the cut is a tail model's, which
    reads the excess at the top as anomalies."""
    _, _, pipe = ringed
    fitted = pipe.table_["score"].to_numpy()
    inside = np.sort(fitted)[len(fitted) // 2 :: 25]
    share = (fitted[None, :] >= inside[:, None]).mean(axis=1)
    np.testing.assert_allclose(pipe.p_normal(inside), share)
    over = (fitted > pipe.threshold_).mean()
    assert pipe.p_normal([pipe.threshold_])[0] == pytest.approx(over, abs=1 / len(fitted))
    if over > pipe.threshold_info_["false_alarm_rate"]:  # more over the cut than its rate
        lowest = fitted[fitted > pipe.threshold_].min()
        assert pipe.p_normal([lowest])[0] > pipe.threshold_info_["false_alarm_rate"]


def test_a_loaded_model_explains_by_id_after_scoring(tmp_path):
    """F17: README's explain(entity_ids) on a loaded model: it keeps no features until
    it scores; the refusal says both ways on."""
    seqs = Sequences.from_events(make_ecommerce(n_users=300, random_state=3).events, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    pipe.save(tmp_path / "m.oddseq")
    again = oddseq.load(tmp_path / "m.oddseq")
    odd = pipe.table_.index[0]
    with pytest.raises(ValueError, match=r"explain\(seqs, entity_ids\).*score them first"):
        again.explain([odd])
    table = again.score(seqs)
    assert again.explain([table.index[0]]).equals(pipe.explain(seqs, [table.index[0]]))
