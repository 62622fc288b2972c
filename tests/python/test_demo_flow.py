"""`oddseq demo` runs the flow of README's ten lines (detect_anomalies, group stage
included) on a generated log and on a Taobao file, and says its warnings in the shell's
form (H2's fifteenth-session finding 10)."""

import io

import pandas as pd
import pytest

import oddseq
from oddseq._demo import run_demo
from oddseq.cli import main
from oddseq.datasets import make_ecommerce, read_taobao


def _taobao_file(tmp_path):
    log = make_ecommerce(n_users=300, random_state=1).events
    first = log.index[0]
    log.loc[first, "timestamp"] -= 75 * 86_400  # a stray event: a warning
    path = tmp_path / "ub.csv"
    log[["user_id", "item_id", "category_id", "behavior", "timestamp"]].to_csv(
        path, index=False, header=False
    )
    return path


@pytest.mark.filterwarnings("ignore::oddseq.exceptions.DataWarning")
def test_the_demo_on_a_file_is_the_ten_lines(tmp_path):
    path = _taobao_file(tmp_path)
    table = run_demo(data=str(path), progress=False, out=io.StringIO())
    events = read_taobao(path)
    expected = oddseq.detect_anomalies(
        events,
        entity="user_id",
        event="behavior",
        time="timestamp",
        item="item_id",
        category="category_id",
    )
    assert "group" in table.columns
    pd.testing.assert_frame_equal(table, expected)


def test_the_generated_demo_is_the_ten_lines():
    table = run_demo(n_users=800, seed=3, progress=False, out=io.StringIO())
    log = make_ecommerce(n_users=800, random_state=3).events
    expected = oddseq.detect_anomalies(
        log,
        entity="user_id",
        event="behavior",
        time="timestamp",
        item="item_id",
        value="price",
        category="category_id",
        random_state=3,
    )
    pd.testing.assert_frame_equal(table.drop(columns="kind"), expected)


def test_the_demo_warns_in_the_shells_form(tmp_path, capsys):
    path = _taobao_file(tmp_path)
    assert main(["demo", "--data", str(path), "--top", "3", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "oddseq demo: warning:" in err and "DataWarning" not in err, err
    assert "quality_report" not in err, err


def test_the_demos_data_says_it_reads_ids_as_numbers(capsys):
    """--data reads Taobao's ids as numbers (read_taobao keeps them int32: 100 million
    rows); its help says so and names the command that reads ids as labels."""
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "ids are read as numbers" in said and "0123 and 123 as one" in said
    assert "oddseq detect" in said
