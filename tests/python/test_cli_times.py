"""The shell's time reading (#14, loghub system logs): --time-format reads the time
column as text (000037 stays 000037); times of day only and two-digit years that read
several ways stop the command with the fix, whose options exist."""

import pandas as pd
import pytest

from oddseq.cli import _parser, main, read_log, reading_kwargs
from oddseq.sequences import Sequences


def events(times):
    n = len(times)
    return pd.DataFrame(
        {"pid": [f"p{i % 3}" for i in range(n)], "ev": [f"E{i % 4}" for i in range(n)], "t": times}
    )


def detect(path, tmp_path, *more):
    out = tmp_path / "odd.csv"
    argv = ["detect", str(path), "--entity", "pid", "--event", "ev", "--time", "t"]
    return main([*argv, *more, "-o", str(out), "--force"])


@pytest.fixture
def hdfs_like(tmp_path):
    # HDFS 2k writes Date 081109 and Time 000037: digits with leading zeros.
    stamps = [
        f"0811{9 + i // 12:02d}{(i * 37) % 24:02d}{i % 60:02d}{(i * 7) % 60:02d}" for i in range(24)
    ]
    path = tmp_path / "hdfs.csv"
    events(stamps).to_csv(path, index=False)
    assert path.read_text().splitlines()[1].split(",")[2].startswith("0811")
    return path


def test_time_format_reads_the_column_as_text(hdfs_like, tmp_path, capsys):
    assert detect(hdfs_like, tmp_path, "--time-format", "%y%m%d%H%M%S") == 0
    err = capsys.readouterr().err
    assert "doesn't match" not in err and "digits" not in err
    # As the command reads it: 081109000000 is 2008-11-09, not 81109000000 read as
    # 1981-10-09 by a format that takes one digit where it finds one.
    argv = ["detect", str(hdfs_like), "--entity", "pid", "--event", "ev", "--time", "t"]
    args = _parser().parse_args([*argv, "--time-format", "%y%m%d%H%M%S", "-o", "x.csv"])
    log = read_log(str(hdfs_like), args, ["pid", "ev", "t"])
    assert log["t"].iloc[0] == "081109000000"
    seqs = Sequences.from_events(log, entity="pid", event="ev", time="t", **reading_kwargs(args))
    assert str(pd.Timestamp(int(seqs.times.min()))) == "2008-11-09 00:00:00"


def test_two_digit_years_read_several_ways_stop_with_each_format(tmp_path, capsys):
    stamps = [f"17/06/{9 + i // 12:02d} 20:{i:02d}:40" for i in range(24)]
    path = tmp_path / "spark.csv"
    events(stamps).to_csv(path, index=False)
    assert detect(path, tmp_path) == 2
    err = capsys.readouterr().err
    assert "2017-06-09 20:00:40 with time_format='%y/%m/%d %H:%M:%S'" in err
    assert "2009-06-17 20:00:40 with time_format='%d/%m/%y %H:%M:%S'" in err
    assert "--time-format" in err
    assert detect(path, tmp_path, "--time-format", "%y/%m/%d %H:%M:%S") == 0


def test_times_of_day_only_stop_the_command(tmp_path, capsys):
    path = tmp_path / "linux.csv"
    events([f"15:16:{s:02d}" for s in range(24)]).to_csv(path, index=False)
    assert detect(path, tmp_path) == 2
    err = capsys.readouterr().err
    assert "no date" in err and "df['t'] = df['Date'] + ' ' + df['t']" in err
    hhmmss = tmp_path / "hhmmss.csv"
    events([f"2036{s:02d}" for s in range(24)]).to_csv(hhmmss, index=False)
    assert detect(hhmmss, tmp_path, "--time-format", "%H%M%S") == 2
    err = capsys.readouterr().err
    assert "time_format='%H%M%S' has no date" in err and "doesn't match" not in err


def test_dates_without_a_year_stop_the_command_naming_the_fix(tmp_path, capsys):
    path = tmp_path / "syslog.csv"
    events([f"Jun 14 15:16:{s:02d}" for s in range(24)]).to_csv(path, index=False)
    assert detect(path, tmp_path) == 2
    err = capsys.readouterr().err
    assert "no year" in err and "1677" not in err
    assert "--time-format '%Y %b %d %H:%M:%S'" in err or "time_format='%Y %b %d %H:%M:%S'" in err
