"""Ids written as floats ("450.0": pandas writes a column of integer ids with a blank
so) in the shell and the stream (session 34, IA item 3). The Python API reads such a
file's whole float ids as the integers (0d3074f); the shell read "450.0" as a label of
its own, and oddseq stream keyed it apart from "450": a model fitted on one file met
none of another's items, and one user's events written both ways were two entities.
Now every reader of text ids takes a whole number written as a float as its plain text
(oddseq detect/fit/score, oddseq stream's Python and C++ line readers), and other text
stays as written ("0123.0", "-0.0", "4.50")."""

import argparse
import io
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import as_labels, main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=90, n_days=3, random_state=765).events


def _gappy(shop):
    """Users and items as float columns with blanks, as pandas writes them."""
    log = shop.astype({"user_id": float, "item_id": float})
    log.loc[log.index[::40], "user_id"] = np.nan
    log.loc[log.index[::55], "item_id"] = np.nan
    return log


@pytest.mark.parametrize(
    "written, read",
    [
        (["450.0", "12.00", "7"], [450, 12, 7]),
        (["450.0", None, "-3.0"], ["450", None, "-3"]),
        # as written: a leading zero, minus zero, a fraction, no zero after the point
        (["0123.0", "450.0"], ["0123.0", "450"]),
        (["-0.0", "0.0"], ["-0.0", "0"]),
        (["4.50", "1.0.0", "x.0", "450."], ["4.50", "1.0.0", "x.0", "450."]),
        (["1234567890123456789.0"], [1234567890123456789]),
        (["12345678901234567890.0"], ["12345678901234567890.0"]),  # beyond int64
    ],
)
@pytest.mark.parametrize("dtype", [object, "str"])
def test_as_labels_reads_whole_floats_as_their_number(written, read, dtype):
    got = as_labels(pd.Series(written, dtype=dtype)).tolist()
    assert [None if v is None or v != v else v for v in got] == read


def test_detect_gives_the_python_apis_ids(shop, tmp_path):
    log = _gappy(shop)
    path = tmp_path / "gappy.csv"
    log.to_csv(path, index=False)
    assert "450.0" in path.read_text() or re.search(r"\n\d+\.0,", path.read_text())
    out = tmp_path / "odd.csv"
    args = ["detect", str(path), *ROLES, "--item", "item_id", "--dropna", "--no-groups"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "-o", str(out)]) == 0
        python = oddseq.detect_anomalies(
            pd.read_csv(path),
            entity="user_id",
            event="behavior",
            time="timestamp",
            item="item_id",
            dropna=True,
            groups=False,
        )
    shell = pd.read_csv(out, dtype={"user_id": str})
    assert not shell["user_id"].str.contains(".", regex=False).any()
    assert shell["user_id"].tolist() == [str(i) for i in python.index]
    assert np.allclose(shell["score"], python["score"])


def test_a_model_meets_the_items_of_a_file_written_with_float_ids(shop, tmp_path, capsys):
    """Fitted with categories on one file and scored on the same events written the
    other way (items 450 and 450.0): the same table either way (the items meet the
    fitted categories; a model fitted on the float file knew "450.0", which a file of
    plain ids never met)."""
    clean, floats = tmp_path / "clean.csv", tmp_path / "floats.csv"
    shop.to_csv(clean, index=False)
    shop.astype({"item_id": float}).to_csv(floats, index=False)
    assert re.search(r",\d+\.0,", floats.read_text())
    roles = [*ROLES, "--item", "item_id"]
    tables = []
    for fitted, scored in [(clean, clean), (clean, floats), (floats, clean)]:
        model = tmp_path / f"m-{fitted.stem}.oddseq"
        if not model.exists():
            fit = ["fit", str(fitted), *roles, "--category", "category_id", "--save", str(model)]
            assert main(fit) == 0
        out = tmp_path / f"scored-{fitted.stem}-{scored.stem}.csv"
        assert main(["score", str(scored), "--model", str(model), *roles, "-o", str(out)]) == 0
        assert "new" not in capsys.readouterr().err  # no items unknown to the model
        tables.append(pd.read_csv(out))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])


def _stream(model, lines: str, *extra):
    done = subprocess.run(
        [sys.executable, "-m", "oddseq.cli", "stream", "--model", str(model), *ROLES, *extra],
        input=lines,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def _tracked(err):
    return int(re.search(r"([\d,]+) entities tracked", err).group(1).replace(",", ""))


@pytest.fixture(scope="module")
def model(shop, tmp_path_factory):
    path = tmp_path_factory.mktemp("float-ids") / "m.oddseq"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = oddseq.sequences.Sequences.from_events(
            shop, entity="user_id", event="behavior", time="timestamp"
        )
        oddseq.AnomalyPipeline().fit(seqs).save(path)
    return path


def _lines(log):
    return log[["user_id", "behavior", "timestamp"]].sort_values("timestamp", kind="stable")


def test_the_stream_keys_an_id_written_both_ways_as_one(shop, model):
    """Half of each user's lines say 325, half 325.0: one entity each, as the batch
    reads the file; the alerts name the ids as the clean file's stream does."""
    log = _lines(shop).astype({"user_id": object})
    clean = log.to_csv(index=False)
    mixed = log.copy()
    mixed.iloc[::2, 0] = [f"{u}.0" for u in mixed["user_id"].iloc[::2]]
    both = mixed.to_csv(index=False)
    assert ".0," in both
    out_clean, err_clean = _stream(model, clean)
    out_both, err_both = _stream(model, both)
    assert _tracked(err_both) == _tracked(err_clean) == shop["user_id"].nunique()
    alerts = [(a["entity"], a["score"]) for a in map(eval_json, out_both.splitlines())]
    expected = [(a["entity"], a["score"]) for a in map(eval_json, out_clean.splitlines())]
    assert alerts == expected


def eval_json(line):
    import json

    return json.loads(line)


def test_the_stream_keeps_other_text_as_written(shop, model):
    """0325.0 is no 325 (a leading zero: text as written), so two entities."""
    log = _lines(shop).astype({"user_id": object})
    first = log["user_id"].iloc[0]
    log.loc[log["user_id"] == first, "user_id"] = [
        f"0{first}.0" if i % 2 else first for i in range((log["user_id"] == first).sum())
    ]
    _, err = _stream(model, log.to_csv(index=False))
    assert _tracked(err) == shop["user_id"].nunique() + 1


def test_the_streams_python_reader_reads_ids_as_the_batch(tmp_path):
    """The lines the C++ reader leaves to Python (its _Reader): CSV fields and JSON
    strings alike."""
    from oddseq.stream._cli import _Reader

    args = argparse.Namespace(entity="user_id", item="item_id", format="csv", names=None, sep=",")
    columns = ["user_id", "behavior", "timestamp", "item_id"]
    reader = _Reader(args, columns, columns[:3])
    reader._set_header(None, columns)
    assert reader.values("325.0,pv,5,0450.0") == ["325", "pv", "5", "0450.0"]
    assert reader.values("-0.0,pv,5,7.00") == ["-0.0", "pv", "5", "7"]
    args.format = "jsonl"
    reader = _Reader(args, columns, columns[:3])
    line = '{"user_id": "325.0", "behavior": "pv", "timestamp": 5, "item_id": 450.0}'
    assert reader.values(line) == ["325", "pv", "5", "450"]


def test_items_of_the_python_api_are_whole_too(shop):
    """A float item column (blanks dropped in pandas) names its items as integers, as
    the entities are: the same groups' objects as the integer column's."""
    log = shop.astype({"item_id": float})
    seqs = oddseq.sequences.Sequences.from_events(
        log, entity="user_id", event="behavior", item="item_id"
    )
    assert seqs.item_labels.dtype == np.int64
    assert "450.0" not in io.StringIO(str(list(seqs.item_labels[:5]))).getvalue()
