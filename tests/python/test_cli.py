import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce


def test_demo_runs_end_to_end(capsys):
    assert main(["demo", "--n-users", "1500", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "Top 5 odd users" in out and "ROC-AUC" in out
    auc = float(out.split("ROC-AUC")[1].split()[0])
    assert auc > 0.85


@pytest.mark.filterwarnings("ignore:only 29 sequences for the automatic cut:UserWarning")
def test_demo_reads_a_taobao_file(tmp_path, capsys):
    rows = [
        f"{u},{u * 10 + i},{i % 3},pv,{1511544070 + 60 * i}"
        for u in range(1, 30)
        for i in range(u % 7 + 1)
    ]
    path = tmp_path / "ub.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["demo", "--data", str(path), "--top", "3"]) == 0
    assert "Top 3 odd users" in capsys.readouterr().out


def test_demo_bad_file_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--data", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_console_script_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "oddseq.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "demo" in out.stdout
    with pytest.raises(SystemExit):
        main(["unknown"])


def write_log(tmp_path, suffix=".csv"):
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=400, random_state=3).events
    path = tmp_path / f"log{suffix}"
    if suffix == ".parquet":
        log.to_parquet(path)
    else:
        log.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("source", "target"), [(".csv", ".csv"), (".csv", ".parquet"), (".parquet", ".csv")]
)
def test_detect_writes_the_ranked_table(tmp_path, capsys, source, target):
    import pandas as pd

    path = write_log(tmp_path, source)
    out = tmp_path / f"out{target}"
    args = [
        "detect",
        str(path),
        "--entity",
        "user_id",
        "--event",
        "behavior",
        "--time",
        "timestamp",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    assert "scored" in capsys.readouterr().out
    table = pd.read_parquet(out) if target == ".parquet" else pd.read_csv(out, index_col=0)
    assert list(table.columns) == ["score", "rank", "is_anomaly", "p_normal", "cluster", "reason"]
    assert table["rank"].tolist()[:3] == [1, 2, 3] and len(table) == 400


def test_detect_methods_and_errors(tmp_path, capsys):
    path = write_log(tmp_path)
    out = tmp_path / "out.csv"
    base = ["detect", str(path), "--entity", "user_id", "--event", "behavior", "-o", str(out)]
    base.append("--force")
    assert (
        main(base + ["--time", "timestamp", "--method", "markov", "--contamination", "0.05"]) == 0
    )
    assert main(base + ["--method", "bogus"]) == 2
    assert "method must be one of" in capsys.readouterr().err
    assert main(base + ["--contamination", "lots"]) == 2
    assert "--contamination" in capsys.readouterr().err
    assert main(base + ["--time", "when"]) == 2
    assert "not in" in capsys.readouterr().err
    assert (
        main(
            ["detect", str(tmp_path / "none.csv"), "--entity", "a", "--event", "b", "-o", str(out)]
        )
        == 2
    )


def test_detect_with_items_and_categories(tmp_path, capsys):
    import pandas as pd

    path = write_log(tmp_path, ".csv")
    out = tmp_path / "out.csv"
    base = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    base += ["--time", "timestamp", "--item", "item_id", "-o", str(out), "--force"]
    assert main(base + ["--category", "category_id"]) == 0
    table = pd.read_csv(out, index_col=0)
    assert len(table) == 400 and table["reason"].notna().all()
    assert main(base + ["--category", "shelf"]) == 2
    assert "shelf" in capsys.readouterr().err


def test_detect_reads_dates_written_as_text(tmp_path, capsys):
    import pandas as pd

    # CSV logs often carry times as text ("2019-10-01 00:00:05 UTC", as REES46 does);
    # from the shell there is no pd.to_datetime to call first.
    log = pd.read_csv(write_log(tmp_path, ".csv"))
    stamps = pd.to_datetime(log["timestamp"], unit="s", utc=True)
    log["timestamp"] = stamps.dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    path = tmp_path / "text_times.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior", "--force"]
    assert main(args + ["--time", "timestamp", "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) == 400
    log.loc[3, "timestamp"] = "yesterday"
    log.to_csv(path, index=False)
    assert main(args + ["--time", "timestamp", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "that is no date (rows counted from 0): 'yesterday'" in err
    assert "Remove those rows from the file" in err


def test_detect_guesses_the_separator_and_takes_names_for_headerless_files(tmp_path, capsys):
    import pandas as pd

    log = pd.read_csv(write_log(tmp_path, ".csv"))
    out = tmp_path / "out.csv"
    semicolons = tmp_path / "semicolons.csv"
    log.to_csv(semicolons, index=False, sep=";")
    args = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp", "-o", str(out)]
    args.append("--force")
    assert main(["detect", str(semicolons), *args]) == 0
    assert len(pd.read_csv(out)) == 400
    # No header line (as the Taobao file): the columns are named on the command line.
    bare = tmp_path / "bare.tsv"
    log.to_csv(bare, index=False, header=False, sep="\t")
    names = ",".join(log.columns)
    assert main(["detect", str(bare), "--names", names, *args]) == 0
    assert len(pd.read_csv(out)) == 400
    assert main(["detect", str(bare), *args]) == 2  # its first row is not a header
    assert "not in" in capsys.readouterr().err


def test_detect_with_a_normal_log(tmp_path):
    bunch = make_ecommerce(n_users=300, random_state=2)
    log = bunch.events
    normal_users = bunch.labels.index[bunch.labels == 0][:200]
    log.to_csv(tmp_path / "log.csv", index=False)
    log[log["user_id"].isin(normal_users)].to_csv(tmp_path / "normal.csv", index=False)
    out = tmp_path / "odd.csv"
    code = main(
        [
            "detect",
            str(tmp_path / "log.csv"),
            "--entity", "user_id", "--event", "behavior", "--time", "timestamp",
            "--normal", str(tmp_path / "normal.csv"),
            "--false-alarm-rate", "0.01",
            "--min-events", "2",
            "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    table = pd.read_csv(out, index_col=0)
    lengths = log.groupby("user_id").size()
    assert set(table.index) == set(lengths.index[lengths >= 2])


def test_detect_with_recent_change(tmp_path):
    log = make_ecommerce(n_users=200, random_state=3).events
    log.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "odd.csv"
    code = main(
        [
            "detect", str(tmp_path / "log.csv"),
            "--entity", "user_id", "--event", "behavior", "--time", "timestamp",
            "--item", "item_id", "--recent-change", "-o", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    table = pd.read_csv(out, index_col=0)
    assert len(table) == log["user_id"].nunique()
    assert table["reason"].str.contains("recent activity against its own past").any()


def test_detect_refuses_a_bad_false_alarm_rate(tmp_path, capsys):
    log = make_ecommerce(n_users=100, random_state=2).events
    log.to_csv(tmp_path / "log.csv", index=False)
    code = main(
        [
            "detect", str(tmp_path / "log.csv"),
            "--entity", "user_id", "--event", "behavior", "--time", "timestamp",
            "--false-alarm-rate", "0.7", "-o", str(tmp_path / "o.csv"),
        ]
    )  # fmt: skip
    assert code == 2
    assert "--false-alarm-rate must be in (0, 0.5)" in capsys.readouterr().err


def detect_args(path, out, *more):
    return ["detect", str(path), "--entity", "user_id", "--event", "behavior",
            "--time", "timestamp", "-o", str(out), "--no-progress", *more]  # fmt: skip


def test_detect_csv_output_is_safe_from_formula_injection(tmp_path):
    log = make_ecommerce(n_users=120, random_state=4).events
    prefixes = np.array(["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "ok"], dtype=object)
    log["user_id"] = prefixes[log["user_id"] % 6] + log["user_id"].astype(str)
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "odd.csv"
    assert main(detect_args(path, out)) == 0
    ids = pd.read_csv(out, dtype=str, keep_default_na=False)["user_id"]
    assert not ids.str.match(r"^[=@\t\r]").any()
    assert ids.str.startswith("'=HYPERLINK(1)").any() and ids.str.startswith("ok").any()
    # a sign before digits alone (a phone number's +) is arithmetic, kept as written
    # (trial s40: 0 of 300 phone numbers joined back to the log)
    signed = ids[ids.str.match(r"^'?[+\-]")]
    assert signed.str.fullmatch(r"[+\-][0-9]+").all() and len(signed)
    assert set(ids) <= set(log["user_id"].astype(str)) | {"'" + v for v in log["user_id"]}
    # Parquet and JSON keep the ids as they are.
    raw = tmp_path / "odd.parquet"
    assert main(detect_args(path, raw)) == 0
    assert pd.read_parquet(raw).index.str.startswith("=HYPERLINK").any()


def test_detect_csv_output_keeps_phone_numbers_and_escapes_signed_formulas(tmp_path):
    log = make_ecommerce(n_users=120, random_state=4).events
    numbers = np.array(["+49 1500 2296", "+1-555-0100-", "-271.5", "+4915002296"], dtype=object)
    formulas = np.array(["-1+cmd|' /C calc'!A0", "+SUM(A1:A2)", "-2-3*HYPERLINK(1)"], dtype=object)
    ids = np.concatenate([numbers, formulas])
    log["user_id"] = ids[log["user_id"] % len(ids)] + log["user_id"].astype(str)
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "odd.csv"
    assert main(detect_args(path, out)) == 0
    written = pd.read_csv(out, dtype=str, keep_default_na=False)["user_id"]
    kept = written[~written.str.startswith("'")]
    escaped = written[written.str.startswith("'")].str[1:]
    assert set(kept) == {v for v in set(log["user_id"]) if v.startswith(tuple(numbers))}
    assert set(escaped) == {v for v in set(log["user_id"]) if v.startswith(tuple(formulas))}


def test_detect_output_by_extension_top_and_no_overwrite(tmp_path, capsys):
    path = write_log(tmp_path)
    for name, read in [
        ("odd.csv", lambda p: pd.read_csv(p, index_col=0)),
        ("odd.tsv", lambda p: pd.read_csv(p, sep="\t", index_col=0)),
        ("odd.csv.gz", lambda p: pd.read_csv(p, index_col=0)),
        ("odd.parquet", pd.read_parquet),
        ("odd.jsonl", lambda p: pd.read_json(p, lines=True)),
        ("odd.ndjson", lambda p: pd.read_json(p, lines=True)),
        ("odd.json", pd.read_json),
    ]:
        out = tmp_path / name
        assert main(detect_args(path, out, "--top", "7")) == 0, name
        table = read(out)
        assert len(table) == 7 and list(table["rank"]) == list(range(1, 8)), name
        assert "the top 7 rows" in capsys.readouterr().out
    # An extension that names no format is refused before any scoring.
    for name in ("odd.json.txt", "odd.xlsx", "odd", "odd.parquet.gz"):
        assert main(detect_args(path, tmp_path / name)) == 2
        err = capsys.readouterr().err
        assert "unknown output extension" in err and err.count("\n") == 1
    assert not (tmp_path / "odd.xlsx").exists()
    # An existing output stays unless --force.
    out = tmp_path / "odd.csv"
    before = out.read_text()
    out.write_text("precious")
    assert main(detect_args(path, out)) == 2
    assert "exists; pass --force" in capsys.readouterr().err and out.read_text() == "precious"
    assert main(detect_args(path, out, "--force", "--top", "7")) == 0
    assert out.read_text() == before
    assert main(detect_args(path, out, "--top", "0", "--force")) == 2
    assert "--top must be at least 1" in capsys.readouterr().err


def test_detect_unwritable_outputs_are_one_line_errors(tmp_path, capsys):
    import os

    path = write_log(tmp_path)
    cases = [
        (tmp_path / "no" / "such" / "odd.csv", "does not exist"),
        (tmp_path, "is a folder"),
    ]
    if os.path.exists("/dev/full"):
        full = tmp_path / "full.csv"
        full.symlink_to("/dev/full")
        cases.append((full, "No space left on device"))
    for out, says in cases:
        more = ("--force",) if out.name == "full.csv" else ()
        assert main(detect_args(path, out, *more)) == 2, out
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_detect_reads_latin1_and_utf16_files(tmp_path, capsys):
    log = make_ecommerce(n_users=100, random_state=5).events
    log["behavior"] = log["behavior"].astype(str).str.replace("pv", "vue_é")
    utf16 = tmp_path / "utf16.csv"
    log.to_csv(utf16, index=False, encoding="utf-16")  # with a byte-order mark
    assert main(detect_args(utf16, tmp_path / "a.csv")) == 0
    latin = tmp_path / "latin.csv"
    log.to_csv(latin, index=False, encoding="latin-1")
    assert main(detect_args(latin, tmp_path / "b.csv")) == 2
    err = capsys.readouterr().err
    assert "not utf-8 text" in err and "--encoding latin-1" in err
    assert main(detect_args(latin, tmp_path / "b.csv", "--encoding", "latin-1")) == 0
    assert main(detect_args(latin, tmp_path / "c.csv", "--encoding", "klingon")) == 2
    assert "not a known encoding" in capsys.readouterr().err


def test_detect_reasons_quote_a_huge_event_name_briefly(tmp_path):
    log = make_ecommerce(n_users=150, random_state=6).events
    huge = "x" * 200_000
    log["behavior"] = log["behavior"].astype(str).replace("buy", huge)
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    for method in ("auto", "markov"):
        out = tmp_path / f"{method}.csv"
        assert main(detect_args(path, out, "--method", method)) == 0
        reasons = pd.read_csv(out)["reason"].fillna("")
        assert reasons.str.len().max() < 1_000
        assert out.stat().st_size < 200_000  # the name is not in any row whole


def test_detect_without_an_event_column_and_with_time_options(tmp_path, capsys):
    # A click log as YOOCHOOSE writes it: session, time, item, no event type.
    log = make_ecommerce(n_users=150, random_state=7).events
    clicks = log[["user_id", "timestamp", "item_id"]].rename(columns={"user_id": "session"})
    clicks = clicks.assign(timestamp=clicks["timestamp"] * 1000)
    path = tmp_path / "clicks.csv"
    clicks.to_csv(path, index=False)
    out = tmp_path / "odd.csv"
    args = ["detect", str(path), "--entity", "session", "--time", "timestamp"]
    args += ["--item", "item_id", "-o", str(out), "--no-progress"]
    assert main(args) == 2
    assert "--time-unit ms" in capsys.readouterr().err
    assert main(args + ["--time-unit", "ms"]) == 0
    table = pd.read_csv(out, index_col=0)
    assert len(table) == 150 and not table["reason"].str.contains(r"count\[event\]").any()


def test_detect_progress_bars_go_to_stderr(tmp_path, capsys):
    path = write_log(tmp_path)
    assert main(detect_args(path, tmp_path / "odd.csv", "--progress")) == 0
    captured = capsys.readouterr()
    assert "reading log.csv" in captured.err and "encoding" in captured.err
    assert "done in" in captured.err and "scored" in captured.out
    assert main(detect_args(path, tmp_path / "quiet.csv")) == 0  # --no-progress
    assert capsys.readouterr().err == ""


def test_demo_on_a_file_of_another_format_says_what_to_run(tmp_path, capsys):
    # HDFS_2k.log_structured.csv: "invalid literal for int()" before.
    path = tmp_path / "HDFS_2k.log_structured.csv"
    path.write_text("LineId,Date,Time,Pid,Level,Component,Content,EventId\n1,081109,203615,148,"
                    "INFO,dfs.DataNode,Receiving block,E5\n")  # fmt: skip
    assert main(["demo", "--data", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "not a Taobao UserBehavior file" in err and "oddseq detect" in err


def test_detect_group_by_from_the_shell(tmp_path):
    bunch = make_ecommerce(n_users=600, anomaly_rate=0.0, rings=2, random_state=1)
    log = bunch.events.assign(device=lambda d: d["user_id"] % 97)
    log.to_csv(tmp_path / "log.csv", index=False)
    args = ["detect", str(tmp_path / "log.csv"), "--entity", "user_id", "--event", "behavior",
            "--time", "timestamp"]  # fmt: skip
    assert main([*args, "--group-by", "item_id", "-o", str(tmp_path / "g.csv")]) == 0
    table = pd.read_csv(tmp_path / "g.csv", index_col=0)
    assert "group" in table.columns and (table["group"] >= 0).any()
    assert main([*args, "--item", "item_id", "--no-groups", "-o", str(tmp_path / "n.csv")]) == 0
    assert "group" not in pd.read_csv(tmp_path / "n.csv", index_col=0).columns
    assert main([*args, "--group-by", "nope", "-o", str(tmp_path / "x.csv")]) == 2


def test_detect_progress_without_tqdm_names_each_stage(tmp_path, capsys, monkeypatch):
    # A fresh venv may have no tqdm: the plain lines still say which stage is running.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    path = write_log(tmp_path)
    assert main(detect_args(path, tmp_path / "odd.csv", "--progress")) == 0
    err = capsys.readouterr().err
    for stage in ("encoding", "threshold", "reasons"):
        assert f"sequences: {stage}" in err
    assert err.count("sequences: encoding") == 1


def test_detect_fit_and_stream_share_one_definition_of_the_reading_options(capsys):
    import argparse

    from oddseq import cli

    def options(command):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        return capsys.readouterr().out

    for command in ("detect", "fit", "stream"):
        text = options(command)
        for flag in ("--time-unit", "--time-format", "--dayfirst", "--no-dayfirst", "--sep"):
            assert flag in text, (command, flag)
    for command in ("detect", "fit"):
        text = options(command)
        for flag in ("--dropna", "--encoding", "--names", "--category"):
            assert flag in text, (command, flag)
    # One helper adds them, one turns them into the reader's keyword arguments.
    parser = argparse.ArgumentParser()
    cli.add_reading_options(parser)
    args = parser.parse_args(["--no-dayfirst", "--time-format", "%d/%m/%Y", "--dropna"])
    assert cli.reading_kwargs(args) == dict(
        time_unit="s", time_format="%d/%m/%Y", dayfirst=False, dropna=True
    )
    parser = argparse.ArgumentParser()
    cli.add_reading_options(parser, file=False)
    args = parser.parse_args(["--dayfirst", "--time-unit", "ms"])
    assert cli.reading_kwargs(args) == dict(time_unit="ms", time_format=None, dayfirst=True)
    assert args.sep == ","


def test_fit_reads_headerless_files_and_fits_categories_and_normal_only(tmp_path, capsys):
    from oddseq import load

    log = pd.read_csv(write_log(tmp_path, ".csv"))
    bare = tmp_path / "bare.txt"
    log.to_csv(bare, index=False, header=False, sep="|")
    model = tmp_path / "m.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    names = ["--names", ",".join(log.columns)]
    assert main(["fit", str(bare), *roles, "--save", str(model)]) == 2
    assert "not in" in capsys.readouterr().err
    assert main(["fit", str(bare), *roles, *names, "--sep", "|", "--save", str(model)]) == 0
    plain = load(model)
    assert len(plain.table_) == 400 and plain.item_categories is None and not plain.normal_
    cats = tmp_path / "cats.oddseq"
    more = ["--item", "item_id", "--category", "category_id", "--save", str(cats)]
    assert main(["fit", str(bare), *roles, *names, *more]) == 0
    with_categories = load(cats)
    assert with_categories.item_categories is not None
    assert "new_category_share_last_session" in list(with_categories.feature_names_)
    alone = ["--category", "category_id", "--save", str(tmp_path / "x.oddseq")]
    assert main(["fit", str(bare), *roles, *names, *alone]) == 2
    assert "--category needs --item" in capsys.readouterr().err
    normal = tmp_path / "normal.oddseq"
    assert main(["fit", str(bare), *roles, *names, "--normal", "--save", str(normal)]) == 0
    assert load(normal).normal_ and load(normal).threshold_ != plain.threshold_


def test_stream_help_says_when_an_alert_fires_and_detect_help_names_every_column(capsys):
    with pytest.raises(SystemExit):
        main(["stream", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "first crosses" not in text
    assert "crosses the model's threshold from below (again each time it crosses after " in text
    with pytest.raises(SystemExit):
        main(["detect", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for column in ("score", "rank", "is_anomaly", "p_normal", "cluster", "group", "reason"):
        assert column in text.split("table:")[1].split(".")[0], column


def test_stream_of_a_model_with_categories_names_the_shell_option(tmp_path, oddseq_here):
    log = pd.read_csv(write_log(tmp_path, ".csv"))
    model = tmp_path / "c.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    more = ["--item", "item_id", "--category", "category_id", "--save", str(model)]
    assert main(["fit", str(tmp_path / "log.csv"), *roles, *more]) == 0
    done = oddseq_here(
        ["stream", "--model", str(model), *roles, "--item", "item_id"],
        log.head(50).to_csv(index=False),
    )
    assert done.returncode == 2
    assert "item_categories" in done.stderr and "without --category" in done.stderr
