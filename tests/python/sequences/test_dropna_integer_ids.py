"""Entity ids stay integers when dropna drops the rows whose id was missing (#14): the
column was read as float (NaN forced it), so ids came back as 450.0."""

import warnings

import numpy as np
import pandas as pd

from oddseq.cli import main
from oddseq.sequences import Sequences


def gappy_log():
    return pd.DataFrame(
        {
            "user_id": [450, 450, np.nan, 7, 7, 12, np.nan],
            "behavior": ["pv", "buy", "pv", "pv", "pv", "cart", "pv"],
            "timestamp": [1, 2, 3, 4, 5, 6, 7],
        }
    )


def build(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the dropna warning
        return Sequences.from_events(
            frame, entity="user_id", event="behavior", time="timestamp", dropna=True
        )


def test_integral_ids_come_back_as_integers_after_dropna():
    log = gappy_log()
    assert log["user_id"].dtype == np.float64
    seqs = build(log)
    assert seqs.ids.dtype == np.int64
    assert sorted(seqs.ids.tolist()) == [7, 12, 450]
    # ids that are not all whole numbers stay as they are
    log.loc[0, "user_id"] = 450.5
    assert build(log).ids.dtype == np.float64
    # cleaned in pandas first (df.dropna(), MissingValuesError's other fix): the same
    # integer ids (HC s33 finding 7)
    whole = gappy_log().dropna()
    assert build(whole).ids.tolist() == [7, 12, 450]
    assert build(whole).ids.dtype == np.int64


def test_detect_with_dropna_writes_integer_ids(tmp_path, capsys):
    rng = np.random.default_rng(0)
    users = rng.integers(100, 140, 600).astype(object)  # written 450, not 450.0
    users[::25] = None
    log = pd.DataFrame(
        {
            "user_id": users,
            "behavior": rng.choice(["pv", "cart", "buy"], 600),
            "timestamp": np.sort(rng.integers(1_500_000_000, 1_500_100_000, 600)),
        }
    )
    path = tmp_path / "gaps.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["detect", str(path), *roles, "--dropna", "-o", str(out)]) == 0
    first = out.read_text().splitlines()[1].split(",")[0]
    assert first.isdigit(), first
    # ids the file writes 450.0 (a float column) are read as 450, as the Python API and
    # oddseq stream read them (629d599): the table's ids are the same as above
    log["user_id"] = users.astype(float)
    log.to_csv(path, index=False)
    assert ".0," in path.read_text()  # written as floats
    assert main(["detect", str(path), *roles, "--dropna", "-o", str(out), "--force"]) == 0
    again = out.read_text().splitlines()[1].split(",")[0]
    assert again == first, (again, first)
