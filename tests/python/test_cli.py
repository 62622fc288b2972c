import subprocess
import sys

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
    assert "neither numbers nor dates" in capsys.readouterr().err


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
    assert "false_alarm_rate must be in (0, 0.5)" in capsys.readouterr().err
