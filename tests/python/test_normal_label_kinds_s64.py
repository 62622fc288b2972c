"""Side labels the two logs of ``normal=`` are compared by (the ``context=`` and
``group_by=`` columns; event types and items are read in the fitted model's kind) held as
numbers in one log and as text in the other are read as text in both, with a DataWarning
(``_pipeline.labels_read_alike``; review RV s63 M1): the card "400" of one export never
equalled the card 400 of another, so the normal log's vetted values, sharers and groups
met nothing, silently.
"""

import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning
from oddseq.utils._ids import label_kind, number_text, numbers_as_text

sys.path.insert(0, str(Path(__file__).parent))
from test_normal_shared_values_s63 import ROLES, _groups, _log  # noqa: E402


def _as_numbers():
    """``_log`` (two desks on their office machines and company card, two of each desk's
    staff vetted; a ring) with every device and card a number, in both logs."""
    scored, vetted = _log()
    for column in ("device_id", "card"):
        labels = pd.unique(pd.concat([scored[column], vetted[column]]))
        number = {label: 1000 + k for k, label in enumerate(labels)}
        for frame in (scored, vetted):
            frame[column] = frame[column].map(number).astype(np.int64)
    return scored, vetted


def _detect(scored, vetted):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(scored, **ROLES, normal=vetted)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    return table, said


def test_the_desks_are_no_groups_when_both_logs_hold_numbers():
    table, said = _detect(*_as_numbers())
    assert _groups(table, "desk") == 0, table[table["group"] >= 0]
    assert _groups(table, "ring") == 8
    assert not [m for m in said if "holds numbers" in m]


@pytest.mark.parametrize("as_text", ["str", "object"])
def test_cards_as_text_in_normal_match_the_logs_numbers(as_text):
    scored, vetted = _as_numbers()
    for column in ("device_id", "card"):
        vetted[column] = vetted[column].astype(str).astype(as_text)
    before = (scored.copy(), vetted.copy())
    table, said = _detect(scored, vetted)
    assert _groups(table, "desk") == 0, table[table["group"] >= 0]
    assert _groups(table, "ring") == 8
    kinds = [m for m in said if "holds numbers" in m]
    assert len(kinds) == 2, said
    assert kinds[1].startswith("df['card'] holds numbers and normal['card'] text")
    assert re.search(r"\(such as (\d+) -> '\1'\)", kinds[1]), kinds[1]
    assert "dtype={'card': str}" in kinds[1]
    # the caller's frames as they were
    pd.testing.assert_frame_equal(scored, before[0])
    pd.testing.assert_frame_equal(vetted, before[1])


def test_cards_as_text_in_the_log_match_normals_numbers_with_blanks():
    """Numbers with a blank (float64) in normal, text in the log: 9000.0 is "9000"."""
    scored, vetted = _as_numbers()
    for column in ("device_id", "card"):
        scored[column] = scored[column].astype(str)
        vetted[column] = vetted[column].astype(np.float64)
    vetted.loc[vetted.index[-1], "card"] = np.nan
    table, said = _detect(scored, vetted)
    assert _groups(table, "desk") == 0, table[table["group"] >= 0]
    kinds = [m for m in said if "holds numbers" in m]
    assert kinds and kinds[-1].startswith("normal['card'] holds numbers and df['card'] text")


def test_the_same_table_as_when_both_hold_numbers():
    scored, vetted = _as_numbers()
    numbers, _ = _detect(scored, vetted)
    text, _ = _detect(
        scored,
        vetted.assign(card=vetted["card"].astype(str), device_id=vetted["device_id"].astype(str)),
    )
    np.testing.assert_allclose(text["score"].to_numpy(), numbers["score"].to_numpy())
    assert (text["group"].to_numpy() == numbers["group"].to_numpy()).all()


def test_columns_of_one_kind_in_both_are_left_alone():
    scored, vetted = _log()
    table, said = _detect(scored, vetted)
    assert not [m for m in said if "holds numbers" in m]


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        (pd.Series([1, 2]), "numbers"),
        (pd.Series([1.5, None]), "numbers"),
        (pd.Series([1, None], dtype="Int64"), "numbers"),
        (pd.Series([3, 4], dtype="category"), "numbers"),
        (pd.Series(["a", None]), "text"),
        (pd.Series(["a", "b"], dtype="category"), "text"),
        (pd.Series([1, 2], dtype=object), "numbers"),
        (pd.Series([1, "a"], dtype=object), None),
        (pd.Series([True, False]), None),
        (pd.Series(pd.to_datetime(["2026-01-01"])), None),
    ],
)
def test_label_kind(column, kind):
    assert label_kind(column) == kind


def test_numbers_as_text_writes_whole_numbers_as_integers():
    column = pd.Series([17.0, np.nan, 1.5, 17.0, -3.0], index=[5, 5, 6, 7, 8], name="card")
    got = numbers_as_text(column)
    assert got.index.tolist() == [5, 5, 6, 7, 8] and got.name == "card"
    assert got.tolist()[:1] == ["17"] and pd.isna(got.iloc[1])
    assert got.tolist()[2:] == ["1.5", "17", "-3"]
    assert numbers_as_text(pd.Series([2**62 + 1])).tolist() == [str(2**62 + 1)]
    assert number_text(np.int32(7)) == "7" and number_text(None) is None


def test_dask_reads_the_context_columns_alike():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    scored, vetted = _as_numbers()
    roles = {k: v for k, v in ROLES.items() if k != "group_by"}
    tables = []
    for card in (vetted["card"], vetted["card"].astype(str)):
        with dask.config.set(scheduler="sync"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = detect_anomalies(
                dd.from_pandas(scored, npartitions=2),
                **roles,
                context=["card"],
                normal=vetted.assign(card=card),
                random_state=0,
            )
        got = got.compute() if hasattr(got, "compute") else got
        tables.append((got.sort_index(), [str(w.message) for w in caught]))
    (numbers, said_numbers), (text, said_text) = tables
    np.testing.assert_allclose(text["score"].to_numpy(), numbers["score"].to_numpy())
    assert not [m for m in said_numbers if "holds numbers" in m]
    assert [m for m in said_text if m.startswith("ddf['card'] holds numbers")], said_text


def test_the_shell_matches_a_side_column_read_as_numbers_in_one_file(tmp_path, capsys):
    """FILE's devices and cards all digits (read as numbers), --normal's with one
    lettered card (read as text): the same cards are one label, without a word (the
    reader made them differ, not the files)."""
    from oddseq.cli import main

    scored, vetted = _as_numbers()
    # (a lettered card and device in the normal file: both its columns text)
    extra = vetted.iloc[[0]].assign(account="extra", card="x-1", device_id="d-1")
    vetted = pd.concat([vetted, extra])
    scored.to_csv(tmp_path / "log.csv", index=False)
    vetted.to_csv(tmp_path / "normal.csv", index=False)
    out = tmp_path / "out.csv"
    args = ["detect", str(tmp_path / "log.csv"), "--entity", "account", "--event", "event"]
    args += ["--time", "time", "--group-by", "device_id,card", "--context", "card"]
    args += ["--normal", str(tmp_path / "normal.csv"), "-o", str(out)]
    assert main(args) == 0
    assert "holds numbers" not in capsys.readouterr().err
    table = pd.read_csv(out, index_col=0)
    in_groups = table.index.str.startswith("desk") & (table["group"] >= 0)
    assert int(in_groups.sum()) == 0, table[table["group"] >= 0]
    ring = table.index.str.startswith("ring") & (table["group"] >= 0)
    assert int(ring.sum()) == 8


def test_the_warning_names_the_values_vetted_entities_hold():
    """The warning of groups the normal log's entities hold names each group's vetted
    values, apart from the groups its search holds (review RV s63 L4)."""
    scored, vetted = _log()
    _, said = _detect(scored, vetted)
    dropped = [m for m in said if "are no groups" in m]
    assert len(dropped) == 1, said
    assert dropped[0].startswith("2 group(s) of the log scored (16 members) are no groups: ")
    assert "2 groups where the normal log's entities hold most of the values" in dropped[0]
    assert "8 members on card 'corp0' (held by 2 vetted)" in dropped[0]
    assert "device_id 'office1-1' (held by 2 vetted)" in dropped[0]
    assert "holds groups of the same members" not in dropped[0]


def test_the_warning_names_numbers_as_numbers():
    scored, vetted = _as_numbers()
    _, said = _detect(scored, vetted)
    dropped = [m for m in said if "are no groups" in m]
    assert dropped and re.search(r"on card \d+ \(held by 2 vetted\)", dropped[0]), dropped


def test_a_column_of_numbers_with_text_far_down_is_left_as_it_is():
    """An object column of numbers with a lettered card past the first thousand (pandas'
    CSV reader makes one) is a mix, neither numbers nor text: left as it is, where it
    crashed in reading the numbers (review RV s64 H1)."""
    mixed = pd.Series([1] * 1000 + ["x-1"], dtype=object)
    assert label_kind(mixed) is None
    assert number_text("0017") == "0017"
    scored, vetted = _as_numbers()
    scored["card"] = scored["card"].astype(object)
    scored.loc[scored.index[-1], "card"] = "x-1"
    vetted["card"] = vetted["card"].astype(str)
    table, said = _detect(scored, vetted)
    assert len(table) == scored["account"].nunique()
    assert not [m for m in said if "['card'] holds numbers" in m]


def test_a_context_given_as_an_index_is_read_alike():
    scored, vetted = _as_numbers()
    vetted["card"] = vetted["card"].astype(str)
    roles = {k: v for k, v in ROLES.items() if k != "group_by"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(scored, **roles, context=pd.Index(["card"]), normal=vetted)
    assert [w for w in caught if "['card'] holds numbers" in str(w.message)]


def test_an_empty_side_column_is_not_said_to_hold_numbers():
    scored, vetted = _log()
    roles = {k: v for k, v in ROLES.items() if k != "group_by"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="no value in the normal log"):
            oddseq.detect_anomalies(
                scored, **roles, context=["card"], normal=vetted.assign(card=np.nan)
            )
    assert not [w for w in caught if "holds numbers" in str(w.message)]
