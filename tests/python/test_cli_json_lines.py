"""The batch commands (detect, fit, score) read JSON lines as oddseq stream does:
``.jsonl``/``.ndjson`` (compressed too), ``--format jsonl``, or a file whose first line
is a JSON object (``--format auto``, the stream's rule); ids as labels, as from CSV."""

import json

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
COLUMNS = ["user_id", "behavior", "timestamp", "item_id"]


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=150, random_state=3).events[COLUMNS]


def _write_jsonl(frame, path):
    with open(path, "w") as f:
        for record in frame.to_dict("records"):
            f.write(
                json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()})
                + "\n"
            )
    return path


def _detect(path, tmp_path, *more, name="out.csv"):
    out = tmp_path / name
    code = main(
        ["detect", str(path), *ROLES, "--item", "item_id", "--no-groups", *more, "-o", str(out)]
    )
    return code, out


@pytest.mark.parametrize("name", ["log.jsonl", "log.ndjson", "log.jsonl.gz"])
def test_detect_reads_json_lines_as_the_same_log_in_csv(shop, tmp_path, name):
    csv_path = tmp_path / "log.csv"
    shop.to_csv(csv_path, index=False)
    json_path = tmp_path / name
    if name.endswith(".gz"):
        shop.to_json(json_path, orient="records", lines=True, compression="gzip")
    else:
        _write_jsonl(shop, json_path)
    code, from_csv = _detect(csv_path, tmp_path, name="a.csv")
    assert code == 0
    code, from_json = _detect(json_path, tmp_path, name="b.csv")
    assert code == 0
    pd.testing.assert_frame_equal(pd.read_csv(from_csv), pd.read_csv(from_json))


@pytest.mark.parametrize("how", ["format", "sniffed"])
def test_json_lines_under_another_name_by_format_or_first_line(shop, tmp_path, how):
    path = _write_jsonl(shop, tmp_path / "log.txt")
    more = ["--format", "jsonl"] if how == "format" else []
    code, out = _detect(path, tmp_path, *more)
    assert code == 0
    assert len(pd.read_csv(out)) == shop["user_id"].nunique()


def test_json_ids_are_labels_as_in_csv(shop, tmp_path, capsys):
    log = shop.copy()
    log["user_id"] = log["user_id"].astype(str)
    users = sorted(log["user_id"].unique())
    twins = {u: "0" + u for u in users[:20]}  # "0583" beside "583": two customers
    second = log[log["user_id"].isin(twins)].copy()
    second["user_id"] = second["user_id"].map(twins)
    log = pd.concat([log, second]).sort_values("timestamp", kind="stable")
    path = _write_jsonl(log, tmp_path / "twins.jsonl")
    code, out = _detect(path, tmp_path)
    assert code == 0
    assert f"{len(users) + 20:,} scored" in capsys.readouterr().out
    ids = pd.read_csv(out, dtype={"user_id": str})["user_id"]
    assert sorted(ids) == sorted(log["user_id"].unique())
    # ids as JSON numbers with a null among the items: numbers still, not 10372.0
    numbers = shop.copy().astype({"item_id": "float64"})
    numbers.loc[numbers.index[:3], "item_id"] = float("nan")
    path = _write_jsonl(numbers, tmp_path / "numbers.jsonl")
    text = path.read_text()
    assert '"item_id": NaN' in text
    path.write_text(text.replace("NaN", "null"))
    from oddseq.cli import _parser, read_log

    args = _parser().parse_args(["detect", str(path), *ROLES, "--item", "item_id", "-o", "x"])
    items = read_log(str(path), args, ["user_id", "item_id"])["item_id"]
    assert items.isna().sum() == 3
    expected = shop["item_id"].iloc[3:].astype(str).tolist()
    assert items.iloc[3:].tolist() == expected  # "10372", as CSV keeps it beside blanks


def test_fit_and_score_read_json_lines(shop, tmp_path):
    path = _write_jsonl(shop, tmp_path / "log.ndjson")
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(path), *ROLES, "--save", str(model)]) == 0
    out = tmp_path / "s.csv"
    assert main(["score", str(path), "--model", str(model), *ROLES, "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) == shop["user_id"].nunique()


def test_bad_json_lines_are_named_with_the_fix(shop, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"user_id": 1, "behavior": "pv", "timestamp": 1}\n{"user_id": 2,\n')
    code, _ = _detect(path, tmp_path)
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "JSON" in err and "one JSON object per line" in err
    good = _write_jsonl(shop, tmp_path / "log.jsonl")
    code, _ = _detect(good, tmp_path, "--names", "user_id,behavior,timestamp,item_id")
    assert code == 2
    assert "--names" in capsys.readouterr().err
    # a column it lacks: named, with the columns it has
    code = main(["detect", str(good), "--entity", "customer", "-o", str(tmp_path / "x.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "customer" in err and "user_id" in err
    # --format csv reads it as CSV (its own choice)
    code, _ = _detect(good, tmp_path, "--format", "csv")
    assert code == 2


def test_stream_calibrate_reads_a_json_lines_file(shop, tmp_path, oddseq_here):
    log = shop[["user_id", "behavior", "timestamp"]].sort_values("timestamp", kind="stable")
    csv_path, json_path = tmp_path / "c.csv", _write_jsonl(log, tmp_path / "c.jsonl")
    log.to_csv(csv_path, index=False)
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(csv_path), *ROLES, "--save", str(model)]) == 0
    said = []
    for path in (csv_path, json_path):
        done = oddseq_here(
            ["stream", "--model", str(model), *ROLES]
            + ["--names", "user_id,behavior,timestamp", "--calibrate", str(path)],
            log.head(20).to_csv(index=False, header=False),
        )
        assert done.returncode == 0, done.stderr
        said.append(next(x for x in done.stderr.splitlines() if "calibrated" in x))
    assert said[0].split(":")[-1] == said[1].split(":")[-1]
