"""oddseq stream --calibrate FILE: the cut for alerts on arrival set from a replay of a
normal period, as StreamScorer.calibrate does in Python (#14)."""

import json

import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def stream(oddseq_here):
    """``oddseq stream --model MODEL ... MORE`` with TEXT on stdin, in this process."""

    def run(model, text, *more):
        return oddseq_here(["stream", "--model", str(model), *ROLES, *more], text)

    return run


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """(early, later, the early file, a model fitted on it, the cut StreamScorer.calibrate
    sets from it in Python): a shop log split at its median time."""
    from oddseq import load
    from oddseq.stream import StreamScorer

    folder = tmp_path_factory.mktemp("calibrate")
    log = make_ecommerce(n_users=300, random_state=4).events.sort_values("timestamp")
    log = log[["user_id", "behavior", "timestamp"]]
    cut = log["timestamp"].quantile(0.5)
    early, later = log[log["timestamp"] <= cut], log[log["timestamp"] > cut]
    early_path = folder / "early.csv"
    early.to_csv(early_path, index=False)
    model = folder / "m.oddseq"
    assert main(["fit", str(early_path), *ROLES, "--save", str(model)]) == 0
    expected = StreamScorer(
        load(model), entity="user_id", event="behavior", time="timestamp"
    ).calibrate(early)
    return early, later, early_path, model, expected


def test_stream_calibrate_sets_the_cut_as_python_does(split, tmp_path, stream):
    early, later, early_path, model, expected = split
    text = later.to_csv(index=False)
    plain = stream(model, text)
    calibrated = stream(model, text, "--calibrate", str(early_path))
    assert plain.returncode == 0 and calibrated.returncode == 0, calibrated.stderr
    assert "calibrated" in calibrated.stderr and f"{expected:.4g}" in calibrated.stderr
    alerts = [json.loads(line) for line in calibrated.stdout.splitlines()]
    assert all(a["threshold"] == pytest.approx(expected, abs=1e-6) for a in alerts)
    assert len(alerts) <= len(plain.stdout.splitlines())
    # a file lacking a column is refused naming it and the option
    bad = tmp_path / "bad.csv"
    early.drop(columns="timestamp").to_csv(bad, index=False)
    done = stream(model, text, "--calibrate", str(bad))
    assert done.returncode == 2 and "--calibrate" in done.stderr and "timestamp" in done.stderr


def test_stream_calibrate_replays_a_file_out_of_time_order_sorted(split, tmp_path, stream):
    """The help says the file is in time order; one that is not (rows grouped by user,
    as an export often is) is replayed sorted by --time (stable), said on stderr: the
    cut is the one of the file in time order."""
    early, later, early_path, model, expected = split
    by_user = tmp_path / "by_user.csv"
    early.sort_values("user_id", kind="stable").to_csv(by_user, index=False)
    done = stream(model, later.to_csv(index=False), "--calibrate", str(by_user))
    assert done.returncode == 0, done.stderr
    assert "not in time order" in done.stderr and f"-> {expected:.4g}" in done.stderr


def test_stream_calibrate_reads_its_own_header_beside_names(split, stream):
    # --names is for the headerless stream on stdin; the calibration file has a header
    # (review: it was read with --names and refused).
    _, later, early_path, model, _ = split
    bare = later.to_csv(index=False, header=False)
    names = ["--names", "user_id,behavior,timestamp"]
    done = stream(model, bare, *names, "--calibrate", str(early_path))
    assert done.returncode == 0, done.stderr
    assert "calibrated the cut" in done.stderr


def test_stream_names_apply_to_a_calibrate_file_without_a_header(split, tmp_path, stream):
    """--names (the stream on stdin has no header line) reads a --calibrate file written
    the same way; a calibrate file with its header line is read by it, as before."""
    early, later, early_path, model, expected = split
    names = ["--names", "user_id,behavior,timestamp"]
    bare = tmp_path / "early_bare.csv"
    early.to_csv(bare, index=False, header=False)
    text = later.to_csv(index=False, header=False)
    for calibrate in (bare, early_path):
        done = stream(model, text, *names, "--calibrate", str(calibrate))
        assert done.returncode == 0, done.stderr
        assert f"{expected:.4g}" in done.stderr, done.stderr
        alerts = [json.loads(line) for line in done.stdout.splitlines()]
        assert all(a["threshold"] == pytest.approx(expected, abs=1e-6) for a in alerts)
    # without --names, a calibrate file without a header is refused with advice that
    # works: --names
    done = stream(model, later.to_csv(index=False), "--calibrate", str(bare))
    assert done.returncode == 2 and "--names" in done.stderr, done.stderr
    fixed = stream(model, text, *names, "--calibrate", str(bare))
    assert fixed.returncode == 0, fixed.stderr


def test_a_calibrate_file_without_a_header_is_found_under_the_home_folder(
    split, tmp_path, stream, monkeypatch
):
    """'~/early.csv' with --names reads the file under the home folder, as its full path
    (H5's s22 review, LOW 3: the header peek did not expand '~', took the file for one
    with a header and refused it, advising the --names that was given)."""
    early, later, _, model, expected = split
    monkeypatch.setenv("HOME", str(tmp_path))
    early.to_csv(tmp_path / "early_bare.csv", index=False, header=False)
    names = ["--names", "user_id,behavior,timestamp"]
    text = later.to_csv(index=False, header=False)
    done = stream(model, text, *names, "--calibrate", "~/early_bare.csv")
    assert done.returncode == 0, done.stderr
    assert f"{expected:.4g}" in done.stderr, done.stderr


# ---- a calibration log with its rows doubled (each line written twice)


def _doubled(early):
    return early.loc[early.index.repeat(2)]


def test_calibrate_on_doubled_rows_warns_in_python(split):
    import warnings

    from oddseq import load
    from oddseq.exceptions import DataWarning
    from oddseq.stream import StreamScorer

    early, _, _, model, expected = split
    live = StreamScorer(load(model), entity="user_id", event="behavior", time="timestamp")
    with pytest.warns(DataWarning, match="repeat their entity's previous event") as said:
        cut = live.calibrate(_doubled(early))
    text = [str(w.message) for w in said if "repeat" in str(w.message)]
    assert len(text) == 1 and "drop_duplicates()" in text[0] and "--" not in text[0], text
    assert "calibrat" in text[0]
    assert cut != expected  # the doubled rows moved the cut: what the warning is for
    # the log as it is: nothing said
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = StreamScorer(load(model), entity="user_id", event="behavior", time="timestamp")
        assert fresh.calibrate(early) == expected


def test_stream_calibrate_on_doubled_lines_warns_naming_drop_duplicates(split, tmp_path, stream):
    early, later, _, model, expected = split
    twice = tmp_path / "twice.csv"
    _doubled(early).to_csv(twice, index=False)
    text = later.to_csv(index=False)
    done = stream(model, text, "--calibrate", str(twice))
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "repeat their entity's" in line]
    assert len(warned) == 1, done.stderr
    assert "--drop-duplicates" in warned[0] and "drop_duplicates()" not in warned[0]
    # with --drop-duplicates the file loses its doubled rows: the clean file's cut, no word
    dropped = stream(model, text, "--calibrate", str(twice), "--drop-duplicates")
    assert dropped.returncode == 0, dropped.stderr
    assert "repeat their entity's" not in dropped.stderr
    assert f"{expected:.4g}" in dropped.stderr
