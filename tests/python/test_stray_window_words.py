"""The stray-event warning gives the same dates as quality_report (the span of the
other events, not the window's padded bounds), names the entity, and in the shell
names what a shell user can do instead of a Python function (H2's fifteenth-session
finding 7)."""

import re
import warnings

import pytest

import oddseq
from oddseq.cli import main
from oddseq.exceptions import DataWarning
from oddseq.preprocessing import quality_report

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def log():
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=200, random_state=0).events
    first = log.drop_duplicates("user_id").index[0]
    log.loc[first, "timestamp"] -= 75 * 86_400
    return log, int(log.loc[first, "user_id"])


def _window_warning(log):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **ROLES)
    (text,) = [str(w.message) for w in caught if "main time window" in str(w.message)]
    return text


def test_the_warning_says_the_reports_dates_and_the_entity(log):
    log, stray_user = log
    text = _window_warning(log)
    report = quality_report(log, **ROLES, show=False).set_index("check")
    value = report.loc["events outside the main time window", "value"]
    low, high = re.search(r"the rest from (\S+) to (\S+)", value).groups()
    assert f"main time window ({low} to {high})" in text, (text, value)
    assert f"entity {stray_user}" in text, text
    assert "quality_report" in text


def test_the_shell_names_no_python_function(log, tmp_path, capsys):
    log, stray_user = log
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["detect", str(path), *roles, "-o", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if "main time window" in x]
    assert "quality_report" not in line, line
    assert f"entity {stray_user}" in line and "from the file" in line, line


def test_python_still_warns_as_a_data_warning(log):
    log, _ = log
    with pytest.warns(DataWarning, match="main time window"):
        oddseq.detect_anomalies(log, **ROLES)
