"""Every option an error or warning message advises exists, and following the advice
works: in Python and in the shell (issue 16, "errors that point to options that do not
exist").

Two parts: a scan of every message the package raises or warns for the options it
names (``pass dropna=True``, ``--time-unit ms``), each checked to exist; and a walk
through the messages a user of ``detect_anomalies`` / ``oddseq detect`` meets, doing
what each says and checking that the call then succeeds.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import detect_anomalies
from oddseq.cli import main
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

PACKAGE = Path(oddseq.__file__).parent
PYTHON_ADVICE = re.compile(r"\b(?:pass|use|set|try) ([a-z_]+)=")
SHELL_ADVICE = re.compile(r"(?<![\w-])--([a-z][a-z-]+)")
# Messages of the time parser advise the options of the calls that use it.
PARSER_USERS = {
    "oddseq.utils._time": [detect_anomalies, Sequences.from_events],
    "oddseq.sequences._sequences": [detect_anomalies, Sequences.from_events],
}


def _message_texts(tree):
    """The string parts of every raise and warnings.warn in a module's syntax tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc
        elif isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "warn")
            or (isinstance(node.func, ast.Name) and node.func.id.endswith(("Error", "Warning")))
        ):
            target = node  # warnings.warn(...), or an exception built to be raised later
        else:
            continue
        parts = [
            n.value
            for n in ast.walk(target)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        yield node.lineno, " ".join(parts)


def advised_options():
    """(module, line, kind, name) for every option a message names."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = "oddseq." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        for line, text in _message_texts(tree):
            found += [(module, line, "python", n) for n in PYTHON_ADVICE.findall(text)]
            found += [(module, line, "shell", n) for n in SHELL_ADVICE.findall(text)]
    return found


def _shell_options():
    import argparse

    from oddseq import cli

    options = set()
    original = argparse.ArgumentParser.parse_args

    def capture(parser, args=None, namespace=None):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    for a in sub._actions:
                        options.update(o.lstrip("-") for o in a.option_strings)
        raise SystemExit(0)

    argparse.ArgumentParser.parse_args = capture
    try:
        with pytest.raises(SystemExit):
            cli.main([])
    finally:
        argparse.ArgumentParser.parse_args = original
    return options


def _parameters_in(module_name):
    module = importlib.import_module(module_name)
    callables = list(PARSER_USERS.get(module_name, []))
    for _, obj in inspect.getmembers(module):
        if getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isclass(obj):
            callables.append(obj)
            callables += [f for _, f in inspect.getmembers(obj, inspect.isfunction)]
        elif inspect.isfunction(obj):
            callables.append(obj)
    names = set()
    for f in callables:
        try:
            names.update(inspect.signature(f).parameters)
        except (TypeError, ValueError):
            pass
    return names


def test_the_scan_finds_the_messages_of_issue_16():
    names = {(kind, name) for _, _, kind, name in advised_options()}
    for expected in [
        ("python", "dropna"),
        ("python", "time_unit"),
        ("shell", "dropna"),
        ("shell", "time-unit"),
        ("shell", "dayfirst"),
        ("shell", "time-format"),
        ("shell", "force"),
        ("shell", "encoding"),
    ]:
        assert expected in names


def test_every_advised_option_exists():
    shell = _shell_options()
    missing = []
    for module, line, kind, name in advised_options():
        if kind == "shell" and name not in shell:
            missing.append(f"{module}:{line} advises --{name}, which oddseq's CLI lacks")
        if kind == "python" and name not in _parameters_in(module):
            missing.append(f"{module}:{line} advises {name}=, which no call there takes")
    assert not missing, "\n".join(missing)


# ---------------------------------------------------------------- the walk-through
def _log(n_users=60, seed=0):
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=n_users, random_state=seed).events
    log["behavior"] = log["behavior"].astype(str)
    return log


def _text_dates(log, fmt):
    # The log moved to start on 1 December 2017: its nine days are all at most 12, so
    # day and month could be either way round.
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    stamps = pd.Timestamp("2017-12-01") + (stamps - stamps.min())
    assert stamps.max() < pd.Timestamp("2017-12-13")
    return log.assign(timestamp=stamps.dt.strftime(fmt))


def _missing_ids(log):
    log = log.copy()
    log["user_id"] = log["user_id"].astype("float64")
    log.loc[log.index[:5], "user_id"] = np.nan
    return log


def _milliseconds(log):
    return log.assign(timestamp=log["timestamp"] * 1000)


def _ambiguous(log):
    return _text_dates(log, "%d/%m/%Y %H:%M:%S")


# (case, log maker, extra detect_anomalies arguments, message pattern, the advice in
# Python, the advice in the shell)
WALK = [
    (
        "missing ids",
        _missing_ids,
        {},
        r"pass dropna=True .*--dropna",
        {"dropna": True},
        ["--dropna"],
    ),  # noqa: E501
    (
        "epoch milliseconds",
        _milliseconds,
        {},
        r"pass time_unit='ms' \(--time-unit ms",
        {"time_unit": "ms"},
        ["--time-unit", "ms"],
    ),
    (
        "ambiguous day/month, day first",
        _ambiguous,
        {},
        r"\d+ December 2017 with dayfirst=True, or 12 \w+ 2017 with dayfirst=False.*--dayfirst",
        {"dayfirst": True},
        ["--dayfirst"],
    ),
    (
        "ambiguous day/month, month first",
        _ambiguous,
        {},
        r"dayfirst=False.*--no-dayfirst",
        {"dayfirst": False},
        ["--no-dayfirst"],
    ),
    (
        "ambiguous day/month, a format",
        _ambiguous,
        {},
        r"time_format \(e\.g\. '%d/%m/%Y'.*--time-format",
        {"time_format": "%d/%m/%Y %H:%M:%S"},
        ["--time-format", "%d/%m/%Y %H:%M:%S"],
    ),
    (
        "markov without an event column",
        lambda log: log,
        {"event": None, "method": "markov"},
        r"pass event=\.\.\. \(--event",
        {"event": "behavior"},
        ["--event", "behavior"],
    ),
]


@pytest.mark.parametrize(
    ("make", "extra", "pattern", "python_fix"),
    [case[1:5] for case in WALK],
    ids=[case[0] for case in WALK],
)
def test_following_the_advice_works_in_python(make, extra, pattern, python_fix):
    log = make(_log())
    args = {"entity": "user_id", "event": "behavior", "time": "timestamp", **extra}
    with pytest.raises(ValueError, match=pattern):
        detect_anomalies(log, **args)
    args.update(python_fix)
    if python_fix.get("dropna"):
        with pytest.warns(DataWarning, match="dropped 5 of"):
            table = detect_anomalies(log, **args)
    else:
        table = detect_anomalies(log, **args)
    assert len(table) > 10 and table["rank"].iloc[0] == 1


@pytest.mark.parametrize(
    ("make", "extra", "pattern", "shell_fix"),
    [case[1:4] + (case[5],) for case in WALK],
    ids=[case[0] for case in WALK],
)
def test_following_the_advice_works_in_the_shell(tmp_path, capsys, make, extra, pattern, shell_fix):
    log = make(_log())
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user_id", "--time", "timestamp", "--no-progress"]
    if "event" not in extra:
        args += ["--event", "behavior"]
    if "method" in extra:
        args += ["--method", extra["method"]]
    out = tmp_path / "odd.csv"
    assert main(args + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err), err
    assert err.count("\n") == 1  # one line
    assert main(args + shell_fix + ["-o", str(out)]) == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) > 10


def test_cli_only_advice_output_exists_and_encoding(tmp_path, capsys):
    log = _log()
    path = tmp_path / "log.csv"
    log.assign(behavior=log["behavior"] + "é").to_csv(path, index=False, encoding="latin-1")
    out = tmp_path / "odd.csv"
    out.write_text("keep me")
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "-o", str(out), "--no-progress"]
    assert main(args) == 2
    assert "pass --force" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main(args + ["--force"]) == 2
    err = capsys.readouterr().err
    assert "--encoding latin-1" in err
    assert main(args + ["--force", "--encoding", "latin-1"]) == 0
    assert "pvé" in out.read_text(encoding="utf-8") or len(pd.read_csv(out)) > 10
