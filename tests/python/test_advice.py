"""Every option an error or warning message advises exists, and following the advice
works: in Python and in the shell (issue 16, "errors that point to options that do not
exist").

Two parts: a scan of every message the package raises or warns for the options it
names (``pass dropna=True``, ``--time-unit ms``), each checked to exist; and a walk
through the messages a user of ``detect_anomalies`` / ``oddseq detect`` meets, doing
what each says and checking that the call then succeeds.
"""

import ast
import functools
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

# The walk runs on logs of tens of entities: the pipeline's note that they are too few
# for the automatic cut's rate is not the advice under test (test_small_population.py).
pytestmark = pytest.mark.filterwarnings(
    "ignore:only .* sequences for the automatic cut:UserWarning"
)

PACKAGE = Path(oddseq.__file__).parent
PYTHON_ADVICE = re.compile(r"\b(?:pass|use|set|try) ([a-z_]+)=")
SHELL_ADVICE = re.compile(r"(?<![\w-])--([a-z][a-z-]+)")
# Messages of the time parser advise the options of the calls that use it.
PARSER_USERS = {
    "oddseq.utils._time": [detect_anomalies, Sequences.from_events],
    "oddseq.sequences._sequences": [detect_anomalies, Sequences.from_events],
    # the checks of a log the one call runs (warn_about_the_log: a placeholder entity's
    # fix is the caller's dropna=)
    "oddseq.preprocessing._quality": [detect_anomalies, Sequences.from_events],
}


@functools.cache
def _tree(path):
    """A package module's syntax tree, parsed once for every test that reads it (the
    scan reads each module's tree hundreds of times; nothing changes the files)."""
    return ast.parse(path.read_text())


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


# "oddseq fit ... --category": an option advised for the sub-command the clause names
# (a clause ends at ; or :), not for the one that meets the message.
NAMED_COMMAND = re.compile(r"oddseq ([a-z]+)\b[^;:]*$")


def advised_options(with_commands=False):
    """(module, line, kind, name) for every option a message names; with_commands, a
    fifth field: the sub-command the clause names for a shell option, or None."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = "oddseq." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = _tree(path)
        for line, text in _message_texts(tree):
            found += [(module, line, "python", n, None) for n in PYTHON_ADVICE.findall(text)]
            for match in SHELL_ADVICE.finditer(text):
                named = NAMED_COMMAND.search(text[: match.start()])
                found.append((module, line, "shell", match[1], named and named[1]))
    return found if with_commands else [f[:4] for f in found]


def _shell_options_by_command():
    """{sub-command: the options it takes (without the leading dashes)}, read from the
    parser oddseq's main builds (cli._parser)."""
    import argparse

    from oddseq import cli

    options = {}
    for action in cli._parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options[name] = {o.lstrip("-") for a in sub._actions for o in a.option_strings}
    assert options, "cli._parser() has no sub-commands"
    return options


# The sub-commands whose run can meet the messages of a module, or of one of its top-level
# functions or classes (module.name): each option those messages advise must exist on
# every one of them, not merely on some sub-command. Others are checked against all the
# sub-commands together.
MESSAGE_REACH = {
    "oddseq.utils._time": ["detect", "fit"],  # stream: below, by running it
    "oddseq.sequences._sequences": ["detect", "fit"],
    "oddseq.cli.read_log": ["detect", "fit"],
    "oddseq.cli._detect": ["detect"],
    "oddseq.cli._check_output": ["detect"],
    "oddseq.stream._cli._fit": ["fit"],
    "oddseq.stream._cli._stream": ["stream"],
    "oddseq.stream._cli._Reader": ["stream"],
    "oddseq.stream._scorer": ["stream"],
}


def _reach(module, line):
    """The sub-commands MESSAGE_REACH gives the message at this line of the module."""
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    tree = _tree(path)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.lineno <= line <= node.end_lineno:
                return MESSAGE_REACH.get(f"{module}.{node.name}", MESSAGE_REACH.get(module, []))
    return MESSAGE_REACH.get(module, [])


def test_message_reach_names_real_places():
    commands = _shell_options_by_command()
    for key, reached in MESSAGE_REACH.items():
        module, _, name = key.rpartition(".")
        try:
            importlib.import_module(key)
        except ImportError:
            assert hasattr(importlib.import_module(module), name), key
        assert set(reached) <= set(commands), key


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


def test_an_option_advised_for_a_named_command_is_checked_on_that_command():
    named = {
        (module, name): command
        for module, _, kind, name, command in advised_options(with_commands=True)
        if kind == "shell"
    }
    # stream's refusal of a model with categories advises refitting without fit's option
    assert named[("oddseq.stream._cli", "category")] == "fit"
    assert "category" in _shell_options_by_command()["fit"]
    assert "category" not in _shell_options_by_command()["stream"]


def test_every_advised_option_exists():
    by_command = _shell_options_by_command()
    shell = set().union(*by_command.values())
    missing = []
    for module, line, kind, name, named in advised_options(with_commands=True):
        if kind == "shell" and name not in shell:
            missing.append(f"{module}:{line} advises --{name}, which oddseq's CLI lacks")
        reached = [named] if named in by_command else _reach(module, line)
        for command in reached if kind == "shell" else []:
            if name not in by_command[command]:
                missing.append(f"{module}:{line} advises --{name}, which oddseq {command} lacks")
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
        r"time_format \(e\.g\. '%d/%m/%Y %H:%M:%S'.*--time-format",
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


# The shell's words name only its option where Python's name both (trial s43 L1).
SHELL_PATTERNS = {
    r"pass dropna=True .*--dropna": r"pass --dropna to drop those rows",
    r"pass time_unit='ms' \(--time-unit ms": r"pass --time-unit ms",
    r"pass event=\.\.\. \(--event": r"pass --event or",
}


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
    assert re.search(SHELL_PATTERNS.get(pattern, pattern), err), err
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


# ------------------------------------------ the same advice from oddseq fit and stream
def _flags_on(command, err):
    """The options a one-line message on stderr advises, each checked to exist on the
    sub-command that printed it."""
    flags = set(SHELL_ADVICE.findall(err))
    assert flags, err
    lacking = flags - _shell_options_by_command()[command]
    assert not lacking, f"oddseq {command} advises {sorted(lacking)}, which it lacks: {err}"
    return flags


READING_WALK = [case for case in WALK if case[0] != "markov without an event column"]


@pytest.mark.parametrize(
    ("make", "pattern", "shell_fix"),
    [(case[1], case[3], case[5]) for case in READING_WALK],
    ids=[case[0] for case in READING_WALK],
)
def test_fit_takes_the_advice_it_gives(tmp_path, capsys, make, pattern, shell_fix):
    path = tmp_path / "log.csv"
    make(_log()).to_csv(path, index=False)
    args = ["fit", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "--save", str(tmp_path / "m.oddseq")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert re.search(SHELL_PATTERNS.get(pattern, pattern), err) and err.count("\n") == 1, err
    assert {f.lstrip("-") for f in shell_fix if f.startswith("--")} <= _flags_on("fit", err)
    assert main(args + shell_fix) == 0, capsys.readouterr().err
    assert len(oddseq.load(tmp_path / "m.oddseq").table_) > 10


def _bad_bytes(log, path):
    log.assign(behavior=log["behavior"] + "ö").to_csv(path, index=False, encoding="latin-1")


def _a_word_among_numbers(log, path):
    log = log.astype({"timestamp": object})
    log.loc[log.index[5], "timestamp"] = "oops"
    log.to_csv(path, index=False)


@pytest.mark.parametrize("command", ["detect", "fit"])
@pytest.mark.parametrize(
    ("write", "says"),
    [
        (
            _bad_bytes,
            r"is not utf-8 text \(byte 0xf6, invalid .* in '.*pv\ufffd.*'\); pass --encoding",
        ),
        (_a_word_among_numbers, r"column 'timestamp' holds numbers .* 1 value is not a number: "),
    ],
    ids=["latin-1", "a word among numbers"],
)
def test_reading_errors_are_the_same_in_detect_and_fit(tmp_path, capsys, command, write, says):
    path = tmp_path / "log.csv"
    write(_log(), path)
    args = [command, str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp"]
    args += ["-o", str(tmp_path / "o.csv")] if command == "detect" else []
    args += ["--save", str(tmp_path / "m.oddseq")] if command == "fit" else []
    assert main(args) == 2
    err = capsys.readouterr().err
    assert re.search(says, err) and err.count("\n") == 1, err
    _flags_on(command, err)


@pytest.fixture(scope="module")
def _stream(oddseq_here):
    """``oddseq stream ARGS`` with TEXT on stdin, in this process."""

    def run(args, text):
        return oddseq_here(["stream", *args], text)

    return run


@pytest.fixture(scope="module")
def stream_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    log = _log(n_users=80)
    path = folder / "log.csv"
    log.to_csv(path, index=False)
    model = folder / "m.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", str(path), *roles, "--save", str(model)]) == 0
    with_items = folder / "items.oddseq"
    assert main(["fit", str(path), *roles, "--item", "item_id", "--save", str(with_items)]) == 0
    return str(model), str(with_items), roles


@pytest.mark.parametrize(
    "shell_fix",
    [["--dayfirst"], ["--no-dayfirst"], ["--time-format", "%d/%m/%Y %H:%M:%S"]],
    ids=["dayfirst", "no-dayfirst", "time-format"],
)
def test_stream_takes_the_advice_it_gives_on_ambiguous_dates(stream_model, shell_fix, _stream):
    model, _, roles = stream_model
    text = _ambiguous(_log()).head(300).to_csv(index=False)
    done = _stream(["--model", model, *roles], text)
    # no line settles the order: the stream stops once, with the batch's advice
    assert done.returncode == 2 and not done.stdout, done.stderr
    (first,) = done.stderr.splitlines()
    assert "either way round" in first and "the input ended with 300 lines held" in first
    assert {f.lstrip("-") for f in shell_fix if f.startswith("--")} <= _flags_on("stream", first)
    done = _stream(["--model", model, *roles, *shell_fix], text)
    assert done.returncode == 0, done.stderr
    assert "300 events applied" in done.stderr and "0 malformed lines" in done.stderr


def test_stream_with_a_time_format_reads_digits_as_dates(stream_model, _stream):
    # 20171201000014 is a date in this format, not 20 trillion seconds.
    model, _, roles = stream_model
    text = _text_dates(_log(), "%Y%m%d%H%M%S").head(200).to_csv(index=False)
    done = _stream(["--model", model, *roles, "--time-format", "%Y%m%d%H%M%S"], text)
    assert done.returncode == 0, done.stderr
    assert "200 events applied" in done.stderr and "0 malformed lines" in done.stderr


def test_stream_advises_its_own_item_option(stream_model, _stream):
    _, with_items, roles = stream_model
    text = _log().head(50).to_csv(index=False)
    done = _stream(["--model", with_items, *roles], text)
    assert done.returncode == 2
    assert "item=..., --item from the shell" in done.stderr
    assert "item" in _flags_on("stream", done.stderr.strip())
    done = _stream(["--model", with_items, *roles, "--item", "item_id"], text)
    assert done.returncode == 0 and "50 events applied" in done.stderr, done.stderr


# ------------------------------------------------------------------ fixed messages
def test_a_word_among_numeric_times_is_named_with_its_column():
    from oddseq.utils._time import parse_times

    times = pd.Series(["1511539206", "1511539209", "oops", "1511539300", "nan?"])
    with pytest.raises(ValueError, match=r"column 'ts' holds numbers") as caught:
        parse_times(times, "ts")
    text = str(caught.value)
    assert "2 values are not a number: 'oops' at index 2, 'nan?' at index 4" in text
    assert "year" not in text and "dropna=True" in text
    log = _log().astype({"timestamp": object})
    log.loc[log.index[3], "timestamp"] = "oops"
    with pytest.raises(ValueError, match=r"1 value is not a number: 'oops' at index 3; "):
        detect_anomalies(log, entity="user_id", event="behavior", time="timestamp")
    # Following the advice: the value made missing, the row dropped.
    log.loc[log.index[3], "timestamp"] = None
    with pytest.warns(DataWarning, match="dropped 1 of"):
        detect_anomalies(log, entity="user_id", event="behavior", time="timestamp", dropna=True)


@pytest.mark.parametrize(
    ("strays", "says"),
    [
        (
            [(0, -75)],
            r"^1 event of 1 entity lies outside the log's main time window "
            r"\(2017-11-\d\d to 2017-12-\d\d\), on 2017-09-1\d: it stretches that entity's "
            r"duration and can make it look odd\. Check it .* drop it if it is a stray$",
        ),
        (
            [(0, -75), (1, 95), (2, 96)],
            r"^3 events of 3 entities lie outside the log's main time "
            r"window \(2017-11-\d\d to 2017-12-\d\d\), from 2017-09-1\d to 2018-0[23]-\d\d: they "
            r"stretch those entities' durations .* drop them if they are strays$",
        ),
    ],
)
def test_the_stray_event_warning_names_the_window_and_the_strays(strays, says):
    log = _log(n_users=200)
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    assert "2017-11-20" <= f"{stamps.min():%Y-%m-%d}" and f"{stamps.max():%Y-%m-%d}" < "2017-12-08"
    firsts = log.drop_duplicates("user_id").index  # the first event of each user
    for user, days in strays:
        log.loc[firsts[user], "timestamp"] += days * 86_400
    with pytest.warns(DataWarning) as caught:
        detect_anomalies(log, entity="user_id", event="behavior", time="timestamp")
    texts = [str(w.message) for w in caught if "main time window" in str(w.message)]
    assert len(texts) == 1 and re.search(says, texts[0]), texts


def test_loading_the_wrong_type_names_it_with_its_article(tmp_path):
    from oddseq import AnomalyPipeline
    from oddseq.cluster import KMeans
    from oddseq.preprocessing import StandardScaler

    path = StandardScaler().fit(np.arange(6.0).reshape(3, 2)).save(tmp_path / "s.oddseq")
    with pytest.raises(ValueError, match=r"holds a StandardScaler, not an AnomalyPipeline"):
        AnomalyPipeline.load(path)
    with pytest.raises(ValueError, match=r"holds a StandardScaler, not a KMeans"):
        KMeans.load(path)
