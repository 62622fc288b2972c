"""A shell command that cannot go on says so in one line that names the fix: never a
traceback or a library's own message ("No columns to parse from file", "[Errno 21] Is
a directory", "Not a gzipped file", a KeyboardInterrupt traceback), for every command
and the files a user gets wrong (H4 s16, #14's leftovers). The stream's own Ctrl-C (its
summary, then exit 130) is tested with the stream (H8)."""

import gzip

import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    make_ecommerce(n_users=150, random_state=5).events.to_csv(d / "log.csv", index=False)
    (d / "empty.csv").write_text("")
    (d / "folder.csv").mkdir()
    (d / "fake.parquet").write_bytes((d / "log.csv").read_bytes())
    (d / "fake.csv.gz").write_bytes((d / "log.csv").read_bytes())
    (d / "real.csv.gz").write_bytes(gzip.compress((d / "log.csv").read_bytes()))
    (d / "quote.csv").write_text('user_id,behavior,timestamp\n1,pv,100\n2,"pv,200\n')
    (d / "one.csv").write_text("1,2,3,pv,1511544070\n1,2,3,pv,1511544080\n")
    assert main(["fit", str(d / "log.csv"), *ROLES, "--save", str(d / "m.oddseq")]) == 0
    return d


def _one_clear_line(capsys, command) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"oddseq {command}: "), err
    for raw in ("Traceback", "Errno", "No columns to parse", "Not a gzipped", "C error"):
        assert raw not in err, err
    assert "magic bytes" not in err and "df " not in err and "pipeline." not in err, err
    return err


def _run(command, name, files, tmp_path):
    path = str(files / name)
    out = str(tmp_path / "out.csv")
    if command == "detect":
        return main(["detect", path, *ROLES, "-o", out])
    if command == "fit":
        return main(["fit", path, *ROLES, "--save", str(tmp_path / "m.oddseq")])
    if command == "score":
        return main(["score", path, *ROLES, "--model", str(files / "m.oddseq"), "-o", out])
    return main(["demo", "--data", path, "--no-progress"])


@pytest.mark.parametrize("command", ["detect", "fit", "score", "demo"])
@pytest.mark.parametrize(
    "name, fix",
    [
        ("missing.csv", "no such file"),
        ("folder.csv", "folder"),
        ("empty.csv", "empty"),
        ("fake.csv.gz", "gzip"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_fix(command, name, fix, files, tmp_path, capsys):
    assert _run(command, name, files, tmp_path) == 2
    assert fix in _one_clear_line(capsys, command)


@pytest.mark.parametrize("command", ["detect", "fit", "score"])
def test_a_file_pandas_cannot_parse_says_where_and_what_to_try(command, files, tmp_path, capsys):
    for name, fix in (("fake.parquet", "Parquet"), ("quote.csv", "quote")):
        assert _run(command, name, files, tmp_path) == 2
        assert fix in _one_clear_line(capsys, command)


def test_demo_on_too_few_users_says_it_in_shell_words(files, capsys):
    assert main(["demo", "--data", str(files / "one.csv"), "--no-progress"]) == 2
    err = _one_clear_line(capsys, "demo")
    assert "oddseq fit" in err  # the shell's route, not pipeline.score(...)


@pytest.mark.parametrize("command", ["score", "stream"])
@pytest.mark.parametrize("model, fix", [("missing.oddseq", "no such file"), ("", "folder")])
def test_a_bad_model_path_names_the_option(command, model, fix, files, tmp_path, capsys):
    path = str(files / model) if model else str(files)
    args = [command, *ROLES, "--model", path]
    if command == "score":
        args[1:1] = [str(files / "log.csv")]
        args += ["-o", str(tmp_path / "out.csv")]
    assert main(args) == 2
    err = _one_clear_line(capsys, command)
    assert "--model" in err and fix in err and "oddseq fit" in err, err


@pytest.mark.parametrize("command", ["detect", "demo"])
def test_ctrl_c_is_one_line_and_status_130(command, files, tmp_path, capsys, monkeypatch):
    import oddseq._pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(oddseq._pipeline.AnomalyPipeline, "fit", interrupted)
    args = ["demo", "--n-users", "300", "--no-progress"]
    if command == "detect":
        args = ["detect", str(files / "log.csv"), *ROLES, "-o", str(tmp_path / "o.csv")]
    assert main(args) == 130
    assert "interrupted" in _one_clear_line(capsys, command)
    assert not (tmp_path / "o.csv").exists()
