"""read_loghub: one event per (line, entity), the time of each loghub system's structured
CSV, and advice where no time or no entity can be read. Small inline texts shaped like
loghub's ``<System>_2k.log_structured.csv`` files; no shared data needed."""

import warnings

import pandas as pd
import pytest

from oddseq.datasets import read_loghub
from oddseq.exceptions import DataWarning

HDFS_HEADER = "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n"


def _write(tmp_path, text, name="X_2k.log_structured.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_line_naming_one_entity_twice_counts_once(tmp_path):
    # HDFS's "Deleting block blk_X file /data/.../blk_X": one line, one block, one event.
    log = _write(
        tmp_path,
        HDFS_HEADER + "1,081109,203615,1,INFO,x,Receiving block blk_1 src,E5,t\n"
        "2,081109,203616,1,INFO,x,Deleting block blk_1 file /d/current/blk_1,E9,t\n"
        "3,081109,203617,1,INFO,x,Copied blk_1 to blk_-2 and blk_1 again,E7,t\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no duplicate-event warning either
        bunch = read_loghub(log)
    events = bunch.events
    assert not events.duplicated(["entity", "line"]).any()
    assert events["line"].tolist() == [1, 2, 3, 3]
    assert events["entity"].tolist() == ["blk_1", "blk_1", "blk_1", "blk_-2"]
    by_id = dict(zip(bunch.sequences.ids, bunch.sequences.lengths.tolist()))
    assert by_id == {"blk_1": 3, "blk_-2": 1}


# (system, header, two data lines, time of line 1, time of line 2); entities: id1, id2.
TIMED = [
    (
        "HDFS",
        HDFS_HEADER,
        "1,081109,203615,1,INFO,x,a id1,E1,t\n2,081110,000037,1,INFO,x,b id1,E2,t\n",
        "2008-11-09 20:36:15",
        "2008-11-10 00:00:37",
    ),
    (
        "Apache",
        "LineId,Time,Level,Content,EventId,EventTemplate\n",
        "1,Sun Dec 04 04:47:44 2005,notice,a id1,E2,t\n"
        "2,Mon Dec 05 07:57:02 2005,error,b id1,E3,t\n",
        "2005-12-04 04:47:44",
        "2005-12-05 07:57:02",
    ),
    (
        "BGL",
        "LineId,Label,Timestamp,Date,Node,Time,NodeRepeat,Type,Component,Level,Content,"
        "EventId,EventTemplate\n",
        "1,-,1117838570,2005.06.03,R02,2005-06-03-15.42.50.675872,R02,RAS,KERNEL,INFO,"
        "a id1,E77,t\n"
        "2,-,1117838573,2005.06.03,R02,2005-06-03-15.42.53.276129,R02,RAS,KERNEL,INFO,"
        "b id1,E77,t\n",
        "2005-06-03 15:42:50.675872",
        "2005-06-03 15:42:53.276129",
    ),
    (
        "HPC",
        "LineId,LogId,Node,Component,State,Time,Flag,Content,EventId,EventTemplate\n",
        "1,134681,node-246,unix.hw,s,1077804742,1,a id1,E13,t\n"
        "2,350766,node-109,unix.hw,s,1084680778,1,b id1,E13,t\n",
        "2004-02-26 14:12:22",
        "2004-05-16 04:12:58",
    ),
    (
        "Hadoop",
        "LineId,Date,Time,Level,Process,Component,Content,EventId,EventTemplate\n",
        '1,2015-10-18,"18:01:47,978",INFO,main,c,a id1,E29,t\n'
        '2,2015-10-18,"18:01:48,963",INFO,main,c,b id1,E42,t\n',
        "2015-10-18 18:01:47.978",
        "2015-10-18 18:01:48.963",
    ),
    (
        "Spark",
        "LineId,Date,Time,Level,Component,Content,EventId,EventTemplate\n",
        "1,17/06/09,20:10:40,INFO,c,a id1,E22,t\n2,17/06/10,20:10:41,INFO,c,b id1,E5,t\n",
        "2017-06-09 20:10:40",
        "2017-06-10 20:10:41",
    ),
    (
        "Windows",
        "LineId,Date,Time,Level,Component,Content,EventId,EventTemplate\n",
        "1,2016-09-28,04:30:30,Info,CBS,a id1,E23,t\n2,2016-09-29,04:30:31,Info,CSI,b id1,E13,t\n",
        "2016-09-28 04:30:30",
        "2016-09-29 04:30:31",
    ),
    (
        "Zookeeper",
        "LineId,Date,Time,Level,Node,Component,Id,Content,EventId,EventTemplate\n",
        '1,2015-07-29,"17:41:44,747",INFO,n,c,774,a id1,E31,t\n'
        '2,2015-07-30,"19:04:12,394",INFO,n,c,493,b id1,E40,t\n',
        "2015-07-29 17:41:44.747",
        "2015-07-30 19:04:12.394",
    ),
]


@pytest.mark.parametrize("system,header,lines,first,second", TIMED, ids=[row[0] for row in TIMED])
def test_each_systems_times_are_read(tmp_path, system, header, lines, first, second):
    log = _write(tmp_path, header + lines, f"{system}_2k.log_structured.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bunch = read_loghub(log, entity_pattern=r"(id\d)")
    times = bunch.sequences[0]["time"].tolist()
    assert times == [pd.Timestamp(first), pd.Timestamp(second)]
    assert bunch.events["time"].tolist() == times


# Dates without a year: line order kept, untimed, and a warning that says how to time them.
UNDATED = [
    (
        "Linux",
        "LineId,Month,Date,Time,Level,Component,PID,Content,EventId,EventTemplate\n"
        "1,Jun,14,15:16:01,combo,sshd,19939,a id1,E16,t\n"
        "2,Jun,15,02:04:59,combo,sshd,19937,b id1,E27,t\n",
    ),
    (
        "OpenSSH",
        "LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate\n"
        "1,Dec,10,06:55:46,LabSZ,24200,a id1,E27,t\n"
        "2,Dec,10,06:55:47,LabSZ,24200,b id1,E13,t\n",
    ),
]


@pytest.mark.parametrize("system,text", UNDATED, ids=[row[0] for row in UNDATED])
def test_dates_without_a_year_stay_untimed_with_a_warning(tmp_path, system, text):
    log = _write(tmp_path, text, f"{system}_2k.log_structured.csv")
    with pytest.warns(DataWarning, match=r"no year") as caught:  # (trial s41: a DataWarning)
        bunch = read_loghub(log, entity_pattern=r"(id\d)")
    message = str(caught[0].message)
    assert "events" in message and "line" in message and "from_events" in message
    assert bunch.sequences.times is None and "time" not in bunch.events
    first_events = [line.split(",")[-2] for line in text.splitlines()[1:]]
    assert bunch.sequences[0]["event"].tolist() == first_events  # line order kept


def test_times_that_do_not_parse_leave_the_log_untimed_with_a_warning(tmp_path):
    log = _write(
        tmp_path,
        HDFS_HEADER + "1,081109,203615,1,INFO,x,a blk_1,E1,t\n2,081109,99,1,INFO,x,b blk_1,E2,t\n",
    )
    with pytest.warns(UserWarning, match=r"time.*of 1 line of 2.*untimed"):
        bunch = read_loghub(log)
    assert bunch.sequences.times is None


def test_times_in_another_form_leave_the_log_untimed_with_a_warning(tmp_path):
    # Android's "03-17 16:13:38.811": no year and no form read_loghub knows.
    log = _write(
        tmp_path,
        "LineId,Date,Time,Pid,Tid,Level,Component,Content,EventId,EventTemplate\n"
        "1,03-17,16:13:38.811,1702,2395,D,c,a blk_1,E1,t\n",
    )
    with pytest.warns(UserWarning, match=r"Date, Time .*no form read_loghub reads"):
        bunch = read_loghub(log)
    assert bunch.sequences.times is None


def test_no_time_column_is_untimed_quietly(tmp_path):
    log = _write(tmp_path, "LineId,Content,EventId\n1,a blk_1,E1\n2,b blk_1,E2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bunch = read_loghub(log)
    assert bunch.sequences.times is None


def test_the_default_pattern_on_another_system_says_what_to_pass(tmp_path):
    log = _write(
        tmp_path,
        "LineId,Month,Date,Time,Level,Component,PID,Content,EventId,EventTemplate\n"
        "1,Jun,14,15:16:01,combo,sshd,19939,check pass; user unknown,E27,t\n",
        "Linux_2k.log_structured.csv",
    )
    with pytest.raises(ValueError, match=r"entity_pattern") as caught:
        read_loghub(log)
    message = str(caught.value)
    assert "HDFS block ids" in message and "from_events" in message
