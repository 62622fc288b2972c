"""context='s gaps said in context's words (TR s48 L11: "entity_features has 1,161 NaN
values ... fill the table first (side.fillna(...))", on every context= run, from the
shell too, where no table was passed and none can be)."""

import warnings

from test_context_s46 import _log

from oddseq import detect_anomalies
from oddseq.cli import main
from oddseq.exceptions import DataWarning

ROLES = dict(entity="user", event="event", time="ts")


def _gaps():
    log, hijacked = _log(seed=5)
    quiet = [f"u{i}" for i in range(20) if f"u{i}" not in hijacked][:10]
    return log.assign(device=log["device"].where(~log["user"].isin(quiet))), len(quiet)


def test_the_python_words():
    log, n = _gaps()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(log, **ROLES, context=["device", "country"])
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    said = [s for s in said if s.startswith("context=:")]
    assert len(said) == 1, said
    users = log["user"].nunique()
    assert said[0].startswith(
        f"context=: entities without a value in a side column ('device': {n}, of the "
        f"{users:,} fitted)"
    )
    assert "values[device] 1" in said[0]
    assert "leave 'device' out of context (--context from the shell), and give its" in said[0]
    assert "side.fillna" not in said[0]


def test_every_column_named_and_a_table_passed_keeps_its_own_words():
    # review RV s48 L4: gaps in two columns, both named; M3: the table of
    # context_features passed as entity_features (the advice followed) is the caller's
    from oddseq.encode import context_features

    log, n = _gaps()
    users = log["user"].unique()
    log = log.assign(country=log["country"].where(~log["user"].isin(users[-7:])))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(log, **ROLES, context=["device", "country"])
    said = [str(w.message) for w in caught if str(w.message).startswith("context=:")]
    assert f"('device': {n}, 'country': 7, of the" in said[0]
    assert "leave 'device' and 'country' out of context" in said[0]
    side = context_features(log, "user", ["device", "country"], "ts")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(log, **ROLES, entity_features=side)
    said = [str(w.message) for w in caught if "NaN values" in str(w.message)]
    assert said and "side.fillna" in said[0] and "context=" not in said[0]


def test_the_shell_words(tmp_path, capsys):
    log, n = _gaps()
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "ts"]
    assert main([*args, "--context", "device,country", "-o", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "without a value in a side column" in x)
    assert line.startswith("oddseq detect: warning: --context: entities without a value")
    assert "leave 'device' out of --context" in line
    assert "entity_features" not in line and "context_features" not in line
