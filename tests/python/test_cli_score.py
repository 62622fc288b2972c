"""oddseq score: a later file ranked with a saved model (oddseq fit), from the shell."""

import re

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """(folder, the model file, the earlier log, the later log): a shop log split in time,
    a model fitted on its earlier part with items."""
    folder = tmp_path_factory.mktemp("score")
    log = make_ecommerce(n_users=300, random_state=5).events
    cut = log["timestamp"].quantile(0.6)
    early, later = log[log["timestamp"] <= cut], log[log["timestamp"] > cut]
    early.to_csv(folder / "early.csv", index=False)
    model = folder / "m.oddseq"
    assert (
        main(["fit", str(folder / "early.csv"), *ROLES, "--item", "item_id", "--save", str(model)])
        == 0
    )
    return folder, model, early, later


def test_score_ranks_a_later_file_as_the_model_scores_it(logs, capsys):
    from oddseq import load
    from oddseq.sequences import Sequences

    folder, model, _, later = logs
    bare = folder / "later.txt"  # headerless, pipes: the reading options of detect and fit
    later.to_csv(bare, index=False, header=False, sep="|")
    out = folder / "scored.csv"
    names = ["--names", ",".join(later.columns), "--sep", "|"]
    args = ["score", str(bare), "--model", str(model), *ROLES, "--item", "item_id", *names]
    capsys.readouterr()
    assert main([*args, "-o", str(out)]) == 0
    said = capsys.readouterr().out
    table = pd.read_csv(out, index_col=0)
    assert list(table.columns) == ["score", "rank", "is_anomaly", "p_normal", "cluster", "reason"]
    seqs = Sequences.from_events(
        later, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    expected = load(model).score(seqs)
    assert table.index.tolist() == expected.index.tolist()
    assert (table["score"] - expected["score"]).abs().max() < 1e-9
    assert table["is_anomaly"].tolist() == expected["is_anomaly"].tolist()
    assert table["reason"].notna().all()
    flagged = int(expected["is_anomaly"].sum())
    assert f"{len(expected):,} scored, {flagged:,} flagged" in said
    # --top and no overwrite without --force, as in detect
    assert main([*args, "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*args, "-o", str(out), "--force", "--top", "5"]) == 0
    assert len(pd.read_csv(out)) == 5


def test_score_refuses_a_file_or_roles_the_model_does_not_fit(logs, capsys):
    folder, model, _, later = logs
    out = str(folder / "x.csv")
    lacking = folder / "no_time.csv"
    later.drop(columns="timestamp").to_csv(lacking, index=False)
    args = ["score", "--model", str(model), "-o", out]
    assert main([*args, str(lacking), *ROLES, "--item", "item_id"]) == 2
    err = capsys.readouterr().err
    assert "oddseq score:" in err and "['timestamp'] not in" in err
    whole = folder / "later.csv"
    later.to_csv(whole, index=False)
    # the model was fitted with times and items: leaving either out is refused, naming it
    no_time = ["--entity", "user_id", "--event", "behavior", "--item", "item_id"]
    assert main([*args, str(whole), *no_time]) == 2
    assert "fitted with times; pass --time" in capsys.readouterr().err
    assert main([*args, str(whole), *ROLES]) == 2
    assert "fitted with items; pass --item" in capsys.readouterr().err
    assert main([*args, str(whole), *ROLES, "--item", "item_id", "--value", "price"]) == 2
    assert "fitted without values; leave out --value" in capsys.readouterr().err
    no_event = ["--entity", "user_id", "--time", "timestamp", "--item", "item_id"]
    assert main([*args, str(whole), *no_event]) == 2
    assert "fitted with event types; pass --event" in capsys.readouterr().err
    assert main([*args, str(whole), *ROLES, "--item", "item_id", "--model", str(folder)]) == 2
    assert "oddseq score:" in capsys.readouterr().err


def test_score_is_in_the_help_beside_fit(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "score" in text
    # in the order of a user's day, as the README teaches them: try, rank a log, fit a
    # model, rank a later log with it, stream
    listed = text.split("{", 1)[1].split("}", 1)[0].split(",")
    assert listed == ["demo", "detect", "fit", "score", "stream"]
    described = [line.split()[0] for line in text.splitlines() if re.match(r" {4}\S", line)]
    assert described[: len(listed)] == listed
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    text = capsys.readouterr().out
    for flag in ("--model", "--names", "--sep", "--dropna", "--encoding", "--time-unit", "-o"):
        assert flag in text, flag


def test_score_takes_the_event_column_of_a_model_fitted_on_one_event_type(tmp_path, capsys):
    # One event type in the fitted log makes a model "without event types"; the same
    # --event to score that log again is no mistake (review).
    log = make_ecommerce(n_users=150, random_state=2).events.assign(behavior="pv")
    log.to_csv(tmp_path / "one.csv", index=False)
    model = tmp_path / "one.oddseq"
    assert main(["fit", str(tmp_path / "one.csv"), *ROLES, "--save", str(model)]) == 0
    out = tmp_path / "s.csv"
    args = ["score", str(tmp_path / "one.csv"), "--model", str(model), *ROLES, "-o", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) == log["user_id"].nunique()
