"""The shell reads entity and item ids as labels (s16, H6's first finding): "0123" and
"123" are two customers, "00018444" keeps its zeros, a column with blanks does not
become 10372.0, and a model's fitted items still match at score time whatever the
file's ids look like."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=150, random_state=3).events


def ids_of(path):
    return pd.read_csv(path, dtype={"user_id": str})["user_id"].tolist()


def test_ids_that_differ_only_by_leading_zeros_stay_apart(shop, tmp_path, capsys):
    log = shop.copy()
    log["user_id"] = log["user_id"].astype(str)
    users = sorted(log["user_id"].unique())
    # 20 users' ids written with a leading zero: "0583" beside another user "583"
    # would merge if read as numbers; here each is a new, distinct customer
    twins = {u: "0" + u for u in users[:20]}
    second = log[log["user_id"].isin(twins)].copy()
    second["user_id"] = second["user_id"].map(twins)
    log = pd.concat([log, second]).sort_values("timestamp", kind="stable")
    path = tmp_path / "twins.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    assert main(["detect", str(path), *ROLES, "--no-groups", "-o", str(out)]) == 0
    assert f"{len(users) + 20:,} scored" in capsys.readouterr().out
    assert sorted(ids_of(out)) == sorted(log["user_id"].unique())


def test_zero_padded_ids_come_back_as_written(shop, tmp_path):
    log = shop.copy()
    log["user_id"] = log["user_id"].map(lambda u: f"{u:08d}")
    path = tmp_path / "padded.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    assert main(["detect", str(path), *ROLES, "--no-groups", "-o", str(out)]) == 0
    assert sorted(ids_of(out)) == sorted(log["user_id"].unique())
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(path), *ROLES, "--save", str(model)]) == 0
    scored = tmp_path / "scored.csv"
    assert main(["score", str(path), "--model", str(model), *ROLES, "-o", str(scored)]) == 0
    assert sorted(ids_of(scored)) == sorted(log["user_id"].unique())


def test_ids_beside_blanks_keep_their_spelling(shop, tmp_path):
    log = shop.copy().astype({"user_id": object})
    log.loc[log.index[::40], "user_id"] = None
    path = tmp_path / "gaps.csv"
    log.to_csv(path, index=False)  # 450 and a blank, not 450.0
    out = tmp_path / "out.csv"
    args = [str(path), *ROLES, "--dropna", "-o", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["detect", *args, "--no-groups"]) == 0
    ids = ids_of(out)
    assert all(i.isdigit() for i in ids), ids[:5]
    assert set(ids) <= set(shop["user_id"].astype(str))


def test_whole_number_ids_read_as_before(shop, tmp_path):
    """Ids that are plain whole numbers (no zeros in front) are the numbers they were:
    the same entities, order and scores as the Python call on the frame."""
    from oddseq.cli import read_log

    path = tmp_path / "plain.csv"
    shop.to_csv(path, index=False)

    class Args:
        names = sep = encoding = time_format = time = None

    frame = read_log(str(path), Args(), ["user_id", "item_id"])
    assert frame["user_id"].dtype == np.int64 and frame["item_id"].dtype == np.int64


def test_items_that_differ_by_leading_zeros_are_two_items(shop, tmp_path):
    from oddseq import load

    log = shop.copy()
    log["item_id"] = log["item_id"].astype(str)
    log.loc[log.index[:30], "item_id"] = "007"
    log.loc[log.index[30:60], "item_id"] = "7"
    log.loc[log.index[:30], "category_id"] = 1
    log.loc[log.index[30:60], "category_id"] = 2
    path = tmp_path / "items.csv"
    log.to_csv(path, index=False)
    model = tmp_path / "cat.oddseq"
    cats = ["--item", "item_id", "--category", "category_id"]
    assert main(["fit", str(path), *ROLES, *cats, "--save", str(model)]) == 0
    fitted = load(model).item_categories
    assert fitted["007"] != fitted["7"]


def test_a_model_with_text_items_scores_a_file_whose_items_look_like_numbers(
    shop, tmp_path, capsys
):
    """Fitted on a day with an item "007" (so its items are text), scored on a day whose
    items are all plain numbers: the fitted categories are still found."""
    from oddseq import load

    early, later = shop[shop["timestamp"] <= shop["timestamp"].median()], shop
    early = early.astype({"item_id": str})
    early.loc[early.index[0], "item_id"] = "007"
    first, second = tmp_path / "early.csv", tmp_path / "later.csv"
    early.to_csv(first, index=False)
    later.to_csv(second, index=False)
    model = tmp_path / "cat.oddseq"
    cats = ["--item", "item_id", "--category", "category_id"]
    assert main(["fit", str(first), *ROLES, *cats, "--save", str(model)]) == 0
    out = tmp_path / "out.csv"
    capsys.readouterr()
    args = ["score", str(second), "--model", str(model), *ROLES, *cats, "-o", str(out)]
    assert main(args) == 0
    assert "no known category" not in capsys.readouterr().err
    pipe = load(model)
    assert all(isinstance(k, str) for k in pipe.item_categories.index)


def test_a_model_with_number_items_scores_a_file_with_padded_items(shop, tmp_path, capsys):
    """A model fitted (in Python, or before this release) on items that are numbers
    finds them in a file that writes them with zeros in front, as it did."""
    from oddseq import AnomalyPipeline
    from oddseq._pipeline import item_category_map
    from oddseq.sequences import Sequences

    seqs = Sequences.from_events(
        shop, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    pipe = AnomalyPipeline(item_categories=item_category_map(shop, "item_id", "category_id"))
    pipe.fit(seqs)
    model = tmp_path / "py.oddseq"
    pipe.save(model)
    padded = shop.copy()
    padded["item_id"] = padded["item_id"].map(lambda i: f"{i:07d}")
    path = tmp_path / "padded.csv"
    padded.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    capsys.readouterr()
    args = ["score", str(path), "--model", str(model), *ROLES, "--item", "item_id"]
    assert main([*args, "-o", str(out)]) == 0
    assert "no known category" not in capsys.readouterr().err


def test_detect_normal_and_file_ids_agree(shop, tmp_path):
    """FILE of plain numbers and --normal with one padded id: both read as text, so the
    ids compare (the scored-as-fitted check) and print as written."""
    from oddseq.cli import matched_labels

    a = pd.DataFrame({"user_id": np.array([1, 2, 3]), "item_id": ["x", "y", "z"]})
    b = pd.DataFrame({"user_id": ["01", "2", "3"], "item_id": ["x", "y", "z"]})
    a2, b2 = matched_labels(a, b, ["user_id", "item_id"])
    assert a2["user_id"].tolist() == ["1", "2", "3"]
    assert b2["user_id"].tolist() == ["01", "2", "3"]


def test_parquet_integer_ids_with_gaps_print_without_a_point(shop, tmp_path):
    log = shop.copy()
    log["user_id"] = pd.array(log["user_id"], dtype="Int64")
    log.loc[log.index[::40], "user_id"] = pd.NA
    path = tmp_path / "gaps.parquet"
    log.to_parquet(path)
    out = tmp_path / "out.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = [str(path), *ROLES, "--dropna", "--no-groups", "-o", str(out)]
        assert main(["detect", *args]) == 0
    ids = ids_of(out)
    assert all(i.isdigit() for i in ids), ids[:5]


# ---- duplicated rows: --drop-duplicates (H6's fourth finding)


def doubled(shop, tmp_path):
    """The shop log with a third of its users' rows written twice, in time order."""
    users = shop["user_id"].unique()[::3]
    twice = pd.concat([shop, shop[shop["user_id"].isin(users)]])
    twice = twice.sort_values("timestamp", kind="stable")
    path = tmp_path / "doubled.csv"
    twice.to_csv(path, index=False)
    return path, len(twice) - len(shop)


def test_the_shell_warning_on_duplicates_advises_drop_duplicates(shop, tmp_path, capsys):
    path, extra = doubled(shop, tmp_path)
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert main(["detect", str(path), *ROLES, "--no-groups", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "duplicates of an earlier row" in err
    assert "--drop-duplicates" in err
    assert "df.drop_duplicates()" not in err and "quality_report" not in err


def test_drop_duplicates_drops_them_first_and_says_how_many(shop, tmp_path, capsys):
    path, extra = doubled(shop, tmp_path)
    clean = tmp_path / "clean.csv"
    shop.to_csv(clean, index=False)
    model = tmp_path / "m.oddseq"
    capsys.readouterr()
    assert main(["fit", str(path), *ROLES, "--drop-duplicates", "--save", str(model)]) == 0
    said = capsys.readouterr()
    assert f"dropped {extra:,} duplicated rows" in said.err
    assert "repeat the event before them" not in said.err
    tables = []
    for name, log, more in (("a", path, ["--drop-duplicates"]), ("b", clean, [])):
        out = tmp_path / f"{name}.csv"
        args = ["score", str(log), "--model", str(model), *ROLES, *more, "-o", str(out)]
        assert main(args) == 0
        tables.append(pd.read_csv(out, index_col=0))
    assert f"dropped {extra:,} duplicated rows" in capsys.readouterr().err
    pd.testing.assert_frame_equal(tables[0], tables[1])
    out = tmp_path / "d.csv"
    args = ["detect", str(path), *ROLES, "--drop-duplicates", "--no-groups", "-o", str(out)]
    assert main(args) == 0
    assert f"dropped {extra:,} duplicated rows" in capsys.readouterr().err


def test_the_python_warning_keeps_its_python_advice(shop):
    from oddseq.sequences import Sequences

    twice = pd.concat([shop, shop]).sort_values("timestamp", kind="stable")
    seqs = Sequences.from_events(twice, entity="user_id", event="behavior", time="timestamp")
    from oddseq import AnomalyPipeline

    with pytest.warns(UserWarning, match=r"df\.drop_duplicates\(\)"):
        AnomalyPipeline().fit(seqs)


# ---- a model fitted with --category, scored without it (H6's seventh finding)


def test_score_without_category_warns_where_many_items_are_new(shop, tmp_path, capsys):
    cut = shop["timestamp"].quantile(0.5)
    early, later = shop[shop["timestamp"] <= cut], shop[shop["timestamp"] > cut].copy()
    # a quarter of the later events on items the early log never had
    new = later.index[::4]
    later.loc[new, "item_id"] = later.loc[new, "item_id"] + 10_000_000
    first, second = tmp_path / "early.csv", tmp_path / "later.csv"
    early.to_csv(first, index=False)
    later.to_csv(second, index=False)
    model = tmp_path / "cat.oddseq"
    cats = ["--item", "item_id", "--category", "category_id"]
    assert main(["fit", str(first), *ROLES, *cats, "--save", str(model)]) == 0
    base = ["score", str(second), "--model", str(model), *ROLES, "--item", "item_id"]
    capsys.readouterr()
    assert main([*base, "-o", str(tmp_path / "a.csv")]) == 0
    err = capsys.readouterr().err
    # Python's warning (one function, from a tenth on) in the shell's words
    assert "no known category" in err and "oddseq score --category COLUMN" in err, err
    assert "add_item_categories" not in err and "say little" not in err
    # with --category, nothing to say
    assert main([*base, "--category", "category_id", "-o", str(tmp_path / "b.csv")]) == 0
    assert "no known category" not in capsys.readouterr().err
    # the same day's own items: all known, nothing to say
    own = ["score", str(first), "--model", str(model), *ROLES, "--item", "item_id"]
    assert main([*own, "-o", str(tmp_path / "c.csv")]) == 0
    assert "no known category" not in capsys.readouterr().err


# ---- empty inputs (H6's eighth finding)


def test_a_zero_byte_file_is_named_and_said_to_be_empty(tmp_path, capsys):
    empty = tmp_path / "day.csv"
    empty.write_bytes(b"")
    out = str(tmp_path / "o.csv")
    for args in (
        ["detect", str(empty), *ROLES, "-o", out],
        ["fit", str(empty), *ROLES, "--save", str(tmp_path / "m.oddseq")],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f"{empty} is empty" in err and "No columns to parse" not in err, err


def test_a_day_without_events_gives_an_empty_table_and_exit_0(shop, tmp_path, capsys):
    day = tmp_path / "day.csv"
    shop.head(0).to_csv(day, index=False)
    whole = tmp_path / "whole.csv"
    shop.to_csv(whole, index=False)
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(whole), *ROLES, "--save", str(model)]) == 0
    capsys.readouterr()
    out = tmp_path / "scored.csv"
    assert main(["score", str(day), "--model", str(model), *ROLES, "-o", str(out)]) == 0
    said = capsys.readouterr()
    assert "no events" in said.err
    table = pd.read_csv(out)
    assert len(table) == 0
    assert list(table.columns) == [
        "user_id", "score", "rank", "is_anomaly", "p_normal", "cluster", "reason"
    ]  # fmt: skip
    out = tmp_path / "detected.csv"
    assert main(["detect", str(day), *ROLES, "-o", str(out)]) == 0
    assert "no events" in capsys.readouterr().err
    table = pd.read_csv(out)
    assert len(table) == 0
    assert list(table.columns) == [
        "user_id", "score", "rank", "is_anomaly", "p_normal", "cluster", "reason"
    ]  # fmt: skip
    # nothing to fit on is still bad input
    assert main(["fit", str(day), *ROLES, "--save", str(tmp_path / "n.oddseq")]) == 2
    assert "has no rows" in capsys.readouterr().err


# ---- a tab written for bash, passed by /bin/sh (H6's ninth finding)


@pytest.mark.parametrize("command", ["detect", "stream"])
@pytest.mark.parametrize("typed", ["$\\t", "$'\\t'"])
def test_a_tab_escape_sh_did_not_expand_is_told_to_write_tab(command, typed, tmp_path, capsys):
    args = ["--entity", "u", "--sep", typed]
    if command == "detect":
        log = tmp_path / "log.tsv"
        log.write_text("u\te\nA\tx\n")
        args = ["detect", str(log), *args, "-o", str(tmp_path / "o.csv")]
    else:
        args = ["stream", "--model", str(tmp_path / "m.oddseq"), *args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--sep tab" in err and "'||'" not in err, err


def test_the_header_advice_for_tabs_says_sep_tab(tmp_path, capsys):
    log = tmp_path / "log.txt"
    log.write_text("u\te\nA\tx\n")
    out = str(tmp_path / "o.csv")
    assert main(["detect", str(log), "--entity", "user", "--sep", ",", "-o", out]) == 2
    assert "pass --sep tab" in capsys.readouterr().err


# ---- a day without events has a real day's table (s16 review, L2 and L3)


def _schema(path):
    """A Parquet table's columns, index included, and their Arrow types."""
    import pyarrow.parquet as pq

    return [(f.name, str(f.type)) for f in pq.read_schema(path)]


@pytest.mark.parametrize("kind", ["csv", "parquet", "parquet text ids"])
@pytest.mark.parametrize(
    "options", [[], ["--item", "item_id"], ["--session-gap", "30min"], ["--no-groups"]]
)
def test_an_empty_days_parquet_table_has_the_real_days_columns_and_dtypes(
    shop, tmp_path, capsys, kind, options
):
    log = shop.copy()
    if kind == "parquet text ids":
        log["user_id"] = "u" + log["user_id"].astype(str)
    suffix = "csv" if kind == "csv" else "parquet"
    full, empty = tmp_path / f"full.{suffix}", tmp_path / f"empty.{suffix}"
    for frame, path in ((log, full), (log.head(0), empty)):
        if suffix == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    real, quiet = tmp_path / "real.parquet", tmp_path / "quiet.parquet"
    assert main(["detect", str(full), *ROLES, *options, "-o", str(real)]) == 0
    assert main(["detect", str(empty), *ROLES, *options, "-o", str(quiet)]) == 0
    err = capsys.readouterr().err
    assert ("(no rows)" if suffix == "parquet" else "(a header line only)") in err, err
    assert len(pd.read_parquet(quiet)) == 0
    assert _schema(quiet) == _schema(real)
    if kind == "csv" and not options:
        model = tmp_path / "m.oddseq"
        assert main(["fit", str(full), *ROLES, "--save", str(model)]) == 0
        for source, out in ((full, real), (empty, quiet)):
            own = ["score", str(source), "--model", str(model), *ROLES]
            assert main([*own, "-o", str(out), "--force"]) == 0
        assert _schema(quiet) == _schema(real)


def test_with_names_a_zero_byte_file_is_a_day_without_events(shop, tmp_path, capsys):
    names = ",".join(shop.columns)
    full, zero = tmp_path / "full.csv", tmp_path / "zero.csv"
    shop.to_csv(full, index=False, header=False)
    zero.write_bytes(b"")
    real, quiet = tmp_path / "real.parquet", tmp_path / "quiet.parquet"
    assert main(["detect", str(full), "--names", names, *ROLES, "-o", str(real)]) == 0
    assert main(["detect", str(zero), "--names", names, *ROLES, "-o", str(quiet)]) == 0
    err = capsys.readouterr().err
    assert "no events" in err and "with --names" in err and "header line" not in err, err
    assert len(pd.read_parquet(quiet)) == 0 and _schema(quiet) == _schema(real)
    model = tmp_path / "m.oddseq"
    assert main(["fit", str(full), "--names", names, *ROLES, "--save", str(model)]) == 0
    own = ["score", str(zero), "--names", names, "--model", str(model), *ROLES]
    assert main([*own, "-o", str(tmp_path / "s.csv")]) == 0
    # nothing to fit on is still bad input
    assert main(["fit", str(zero), "--names", names, *ROLES, "--save", str(model), "--force"]) == 2
    assert "is empty (0 bytes)" in capsys.readouterr().err


# ---- ids that differ as text stay apart (s16 review, L4)


def test_minus_zero_and_zero_stay_two_ids():
    from oddseq.cli import as_labels

    for written in (["1", "2", "-0", "0"], ["1", "00", "0"], ["+1", "1"], ["-00", "5"]):
        labels = as_labels(pd.Series(written))
        assert labels.tolist() == written and labels.nunique() == len(set(written))
    numbers = as_labels(pd.Series(["0", "-7", "12", "9223372036854775807"]))
    assert numbers.dtype == np.int64 and numbers.astype(str).tolist() == [
        "0", "-7", "12", "9223372036854775807"
    ]  # fmt: skip


# ---- --drop-duplicates on a list column (s16 review, L5)


def test_drop_duplicates_names_a_list_column(shop, tmp_path, capsys):
    log = shop.copy()
    log["tags"] = [np.array([1, 2])] * len(log)
    path = tmp_path / "lists.parquet"
    log.to_parquet(path, index=False)
    out = str(tmp_path / "o.csv")
    assert main(["detect", str(path), *ROLES, "--drop-duplicates", "-o", out]) == 2
    err = capsys.readouterr().err
    assert "column 'tags' holds lists" in err and "leave --drop-duplicates out" in err, err
    assert "unhashable" not in err
