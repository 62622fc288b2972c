"""oddseq fit --save as detect and score treat -o: an existing file refused without
--force, a name that reads as a table refused; the help names score; oddseq score
--category, the route the unknown-category warning names from the shell (#14)."""

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fitsave")
    log = make_ecommerce(n_users=200, random_state=6).events
    cut = log["timestamp"].quantile(0.6)
    early, later = log[log["timestamp"] <= cut], log[log["timestamp"] > cut]
    early.to_csv(folder / "early.csv", index=False)
    later.to_csv(folder / "later.csv", index=False)
    return folder, early, later


def test_fit_refuses_an_existing_model_without_force(logs, tmp_path, capsys):
    folder, _, _ = logs
    model = tmp_path / "m.oddseq"
    fit = ["fit", str(folder / "early.csv"), *ROLES, "--save", str(model)]
    assert main(fit) == 0
    before = model.stat().st_mtime_ns
    model.write_bytes(model.read_bytes())  # the same bytes, a known time
    stamp = model.stat().st_mtime_ns
    capsys.readouterr()
    assert main(fit) == 2
    said = capsys.readouterr().err
    assert "exists" in said and "--force" in said, said
    assert model.stat().st_mtime_ns == stamp  # left alone
    assert main([*fit, "--force"]) == 0 and model.stat().st_mtime_ns != stamp
    assert before  # (written the first time)


@pytest.mark.parametrize("name", ["m.csv", "m.parquet", "m.jsonl", "m.csv.gz", "m.tsv", "m.txt"])
def test_fit_refuses_a_model_named_as_a_table(logs, tmp_path, capsys, name):
    folder, _, _ = logs
    target = tmp_path / name
    fit = ["fit", str(folder / "early.csv"), *ROLES, "--save", str(target)]
    assert main([*fit, "--force"]) == 2
    said = capsys.readouterr().err
    assert ".oddseq" in said and "--save" in said and "-o" in said, said
    assert not target.exists()
    # the name the advice gives is taken
    assert (
        main(["fit", str(folder / "early.csv"), *ROLES, "--save", str(tmp_path / "m.oddseq")]) == 0
    )


def test_help_names_every_command_truly(oddseq_here):
    done = oddseq_here(["--help"])
    text = " ".join(done.stdout.split())
    assert done.returncode == 0
    for command in ("detect", "fit", "score", "stream"):
        assert f" {command} " in text, text
    fit_line = text.split(" fit ", 1)[1].split(" stream ", 1)[0]
    assert "oddseq score" in fit_line and "oddseq stream" in fit_line, fit_line
    fit_help = oddseq_here(["fit", "--help"])
    said = " ".join(fit_help.stdout.split())
    assert "oddseq score" in said and "--force" in said, said


def test_score_category_adds_the_scored_files_categories(logs, tmp_path, capsys):
    """A model fitted with --category warns where today's items have no known category;
    the route it names from the shell, oddseq score --category, runs and reads today's
    item categories: with every item renamed (none known), the table is the one of the
    items as they were."""
    folder, _, later = logs
    model = tmp_path / "c.oddseq"
    more = ["--item", "item_id", "--category", "category_id"]
    assert main(["fit", str(folder / "early.csv"), *ROLES, *more, "--save", str(model)]) == 0
    renamed = later.assign(item_id=later["item_id"] + 10_000_000)
    renamed.to_csv(tmp_path / "renamed.csv", index=False)
    score = ["score", "--model", str(model), *ROLES, "--item", "item_id"]
    capsys.readouterr()
    assert main([*score, str(tmp_path / "renamed.csv"), "-o", str(tmp_path / "a.csv")]) == 0
    said = capsys.readouterr().err
    assert "no known category" in said and "oddseq score --category" in said, said
    cats = ["--category", "category_id"]
    runs = [(tmp_path / "renamed.csv", "b.csv"), (folder / "later.csv", "c.csv")]
    for path, out in runs:
        assert main([*score, str(path), *cats, "-o", str(tmp_path / out)]) == 0
        said = capsys.readouterr().err
        assert "no known category" not in said, said
    with_renamed = pd.read_csv(tmp_path / "b.csv", index_col="user_id").sort_index()
    as_they_were = pd.read_csv(tmp_path / "c.csv", index_col="user_id").sort_index()
    pd.testing.assert_series_equal(with_renamed["score"], as_they_were["score"])
    without = pd.read_csv(tmp_path / "a.csv", index_col="user_id").sort_index()
    assert not without["score"].equals(with_renamed["score"])
    # refused where it cannot apply, naming the fix
    plain = tmp_path / "p.oddseq"
    assert (
        main(["fit", str(folder / "early.csv"), *ROLES, "--item", "item_id", "--save", str(plain)])
        == 0
    )
    capsys.readouterr()
    args = ["score", str(folder / "later.csv"), "--model", str(plain), *ROLES, "--item", "item_id"]
    assert main([*args, *cats, "-o", str(tmp_path / "d.csv")]) == 2
    said = capsys.readouterr().err
    assert "--category" in said and "without item categories" in said, said


def test_fit_with_a_session_gap_makes_a_model_of_sessions_that_score_splits_alike(
    logs, tmp_path, capsys
):
    """oddseq fit --session-gap: a model of sessions from the shell (oddseq score reads
    one and splits the later file at its gap; before, only Python could fit one)."""
    from oddseq import AnomalyPipeline
    from oddseq.sequences import Sequences

    folder, early, later = logs
    model = tmp_path / "s.oddseq"
    fit = ["fit", str(folder / "early.csv"), *ROLES, "--session-gap", "30min"]
    assert main([*fit, "--save", str(model)]) == 0
    assert "sessions" in capsys.readouterr().out
    out = tmp_path / "t.csv"
    score = ["score", str(folder / "later.csv"), *ROLES, "--model", str(model), "-o", str(out)]
    assert main(score) == 0
    shell = pd.read_csv(out)
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    early_seqs = Sequences.from_events(
        pd.read_csv(folder / "early.csv"), **roles, session_gap="30min"
    )
    pipe = AnomalyPipeline().fit(early_seqs)
    python = pipe.score(
        Sequences.from_events(pd.read_csv(folder / "later.csv"), **roles, session_gap="30min")
    )
    assert list(shell.columns[:2]) == ["user_id", "session"]
    shell = shell.set_index(["user_id", "session"]).loc[python.index]
    assert (shell["score"].to_numpy() == python["score"].to_numpy()).all()
    # A gap without a unit is refused in the shell's words, before the reading
    assert main([*fit[:-1], "30", "--save", str(tmp_path / "x.oddseq")]) == 2
    assert "--session-gap" in capsys.readouterr().err
