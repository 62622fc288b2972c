"""The shell says what it does where --event or --time is left out (review s33 HE
LOW-4): oddseq detect and oddseq fit took no column for the role, without a word: every
event one type, each entity's events in the file's row order. One line on stderr says
so and names the file's column whose name reads as the role (with the option that
takes it), or the file's other columns."""

import shlex

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce


@pytest.fixture(scope="module")
def shop_csv(tmp_path_factory):
    log = make_ecommerce(n_users=60, n_days=2, random_state=755).events
    path = tmp_path_factory.mktemp("omitted") / "shop.csv"
    log.to_csv(path, index=False)
    return path


def _detect(path, tmp_path, *roles):
    out = tmp_path / "odd.csv"
    args = ["detect", str(path), "--entity", "user_id", *roles, "--no-groups", "--no-progress"]
    return main([*args, "-o", str(out), "--force"])


def _notes(err):
    return [line for line in err.splitlines() if "no --event" in line or "no --time" in line]


def test_both_left_out_names_the_files_event_and_time_columns(shop_csv, tmp_path, capsys):
    assert _detect(shop_csv, tmp_path) == 0
    notes = _notes(capsys.readouterr().err)
    assert len(notes) == 1, notes
    note = notes[0]
    assert note.startswith("oddseq detect: ")
    assert "every event is one type" in note and "row order" in note
    assert "--event behavior" in note and "--time timestamp" in note


@pytest.mark.parametrize(
    "given, said, not_said",
    [
        (["--event", "behavior"], "--time timestamp", "no --event"),
        (["--time", "timestamp"], "--event behavior", "no --time"),
    ],
)
def test_one_left_out_is_said_alone(shop_csv, tmp_path, capsys, given, said, not_said):
    assert _detect(shop_csv, tmp_path, *given) == 0
    notes = _notes(capsys.readouterr().err)
    assert len(notes) == 1 and said in notes[0] and not_said not in notes[0], notes


def test_both_given_says_nothing_about_roles(shop_csv, tmp_path, capsys):
    assert _detect(shop_csv, tmp_path, "--event", "behavior", "--time", "timestamp") == 0
    assert _notes(capsys.readouterr().err) == []


def test_the_advised_options_run_as_written(shop_csv, tmp_path, capsys):
    """The options the line names are the file's columns: copied, they run."""
    assert _detect(shop_csv, tmp_path) == 0
    note = _notes(capsys.readouterr().err)[0]
    advised = shlex.split(note[note.index("pass ") + 5 : note.index(" if ")])
    assert _detect(shop_csv, tmp_path, *advised) == 0
    assert _notes(capsys.readouterr().err) == []


def test_a_time_column_is_no_event_column(tmp_path, capsys):
    """REES46's names: event_time is the time, event_type the event."""
    log = make_ecommerce(n_users=40, n_days=2, random_state=756).events
    log = log.rename(columns={"timestamp": "event_time", "behavior": "event_type"})
    log = log[["event_time", "event_type", "item_id", "user_id"]]
    path = tmp_path / "rees.csv"
    log.to_csv(path, index=False)
    assert _detect(path, tmp_path, "--item", "item_id") == 0
    note = _notes(capsys.readouterr().err)[0]
    assert "--event event_type" in note and "--time event_time" in note


def test_columns_whose_names_say_nothing_are_listed(tmp_path, capsys):
    log = make_ecommerce(n_users=40, n_days=2, random_state=757).events
    log = log[["user_id", "item_id", "price"]].rename(columns={"price": "amount"})
    path = tmp_path / "plain.csv"
    log.to_csv(path, index=False)
    assert _detect(path, tmp_path, "--item", "item_id") == 0
    note = _notes(capsys.readouterr().err)[0]
    assert "'amount'" in note and "--event COLUMN or --time COLUMN" in note
    assert "'item_id'" not in note  # a column given a role is not offered again


def test_fit_says_it_too(shop_csv, tmp_path, capsys):
    model = tmp_path / "m.oddseq"
    args = ["fit", str(shop_csv), "--entity", "user_id", "--event", "behavior"]
    assert main([*args, "--save", str(model)]) == 0
    notes = _notes(capsys.readouterr().err)
    assert len(notes) == 1 and notes[0].startswith("oddseq fit: ")
    assert "--time timestamp" in notes[0]


def test_the_table_is_the_same_as_before(shop_csv, tmp_path, capsys):
    """The line is a word on stderr only: the ranked table is the Python call's."""
    import warnings

    import oddseq

    assert _detect(shop_csv, tmp_path, "--event", "behavior") == 0
    table = pd.read_csv(tmp_path / "odd.csv", index_col=0)
    log = pd.read_csv(shop_csv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = oddseq.detect_anomalies(log, entity="user_id", event="behavior", groups=False)
    assert table.index.tolist() == direct.index.tolist()


def test_a_date_is_not_offered_as_the_event_type(tmp_path, capsys):
    """Diginetica's columns: with --time timeframe, its eventdate is no event type."""
    log = make_ecommerce(n_users=40, n_days=2, random_state=758).events
    log = log.assign(
        timeframe=log["timestamp"] - log["timestamp"].min(),
        eventdate=pd.to_datetime(log["timestamp"], unit="s").dt.date.astype(str),
    )[["user_id", "item_id", "timeframe", "eventdate"]]
    path = tmp_path / "views.csv"
    log.to_csv(path, index=False)
    assert _detect(path, tmp_path, "--item", "item_id", "--time", "timeframe") == 0
    note = _notes(capsys.readouterr().err)[0]
    assert "eventdate" not in note and "no other column that could be one" in note, note
