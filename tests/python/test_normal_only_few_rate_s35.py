"""The few-normal warning's advised rate is a number the caller can pass as written
(RV s34 L11: it advised "false_alarm_rate= at least 1/30", and the shell's
``--false-alarm-rate 1/30`` is no float): the rate 1/n rounded up, in Python's spelling
from Python and in the shell's from the shell; fitting with it is quiet."""

import re
import warnings

import numpy as np
import pytest

from oddseq import AnomalyPipeline
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def shop():
    data = make_ecommerce(n_users=400, random_state=784)
    normal = data.labels.index[data.labels == 0]
    return data.events, np.asarray(normal)


def _few_said(events, users, **kw):
    seqs = Sequences.from_events(events[events["user_id"].isin(users)], **ROLES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AnomalyPipeline(**kw).fit(seqs, normal=True)
    return [str(w.message) for w in caught if "normal sequences for the cut" in str(w.message)]


@pytest.mark.parametrize("n, advised", [(30, "0.034"), (80, "0.013"), (150, "0.0067")])
def test_the_advised_rate_is_a_number_that_quiets_the_warning(shop, n, advised):
    events, normal = shop
    (text,) = _few_said(events, normal[:n])
    found = re.search(r"pass false_alarm_rate=([0-9.]+) or more", text)
    assert found is not None, text
    assert found.group(1) == advised  # 1/n rounded up to two figures
    assert f"--false-alarm-rate {advised}" in text  # the shell's spelling as a route
    assert "at least 1/" not in text  # (the old words: no number to pass)
    rate = float(found.group(1))
    assert n * rate >= 1
    assert _few_said(events, normal[:n], false_alarm_rate=rate) == []


@pytest.mark.parametrize("command", ["detect", "fit"])
def test_the_shell_advises_its_own_option_with_a_number(shop, tmp_path, capsys, command):
    events, normal = shop
    normal_file, scored = tmp_path / "normal.csv", tmp_path / "day.csv"
    events[events["user_id"].isin(normal[:30])].to_csv(normal_file, index=False)
    events[~events["user_id"].isin(normal[:30])].to_csv(scored, index=False)
    roles = [f"--{k}={v}" for k, v in ROLES.items()]
    if command == "detect":
        run = ["detect", str(scored), *roles, "--normal", str(normal_file)]
        run += ["-o", str(tmp_path / "t.csv")]
    else:
        run = ["fit", str(normal_file), *roles, "--normal", "--save", str(tmp_path / "m.oddseq")]
    assert main(run) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "normal sequences for the cut" in x)
    assert "pass --false-alarm-rate 0.034 or more" in line, line
    assert "false_alarm_rate=0.034" not in line and "oddseq fit --false" not in line
    # the advice followed as written: quiet
    advised = line.split("pass ")[1].split(" or more")[0].split()
    assert main([*run, *advised, "--force"]) == 0
    assert "normal sequences for the cut" not in capsys.readouterr().err


def test_fit_says_what_few_sequences_records_in_both_ways_of_fitting():
    doc = AnomalyPipeline.fit.__doc__
    assert doc.count('threshold_info_["few_sequences"]') >= 2
    assert "200 at the default" in doc and "100 at the default" in doc
