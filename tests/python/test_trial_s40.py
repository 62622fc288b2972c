"""A new analyst's trial on the real logs (s40): messages that name what is at fault."""

import pytest

import oddseq
from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def test_normal_data_of_one_entity_is_named_as_the_fault():
    # F8: "scoring needs at least 2 sequences ... score them with pipeline.score" where the
    # log ranked held 300 users and the one said normal held 1.
    log = make_ecommerce(n_users=300, random_state=2).events
    one = log[log.user_id == log.user_id.iloc[0]]
    with pytest.raises(ValueError, match="normal holds 1") as error:
        oddseq.detect_anomalies(log, **ROLES, normal=one)
    assert "give normal a log of many normal ones" in str(error.value)
    assert "score" not in str(error.value)


def test_the_shell_names_the_normal_file(tmp_path, capsys):
    log = make_ecommerce(n_users=300, random_state=2).events
    log.to_csv(tmp_path / "log.csv", index=False)
    log[log.user_id == log.user_id.iloc[0]].to_csv(tmp_path / "one.csv", index=False)
    args = ["detect", str(tmp_path / "log.csv"), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--normal", str(tmp_path / "one.csv"), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the --normal file holds 1" in err and "give --normal a file of many" in err
    assert "oddseq score" not in err
