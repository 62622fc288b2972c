"""--fold-spellings before --drop-duplicates (TR s49 M3): rows that differ only in the
case of their event type repeat each other once folded; dropped before the fold, they
were left, and the duplicate warning advised --drop-duplicates, which had been passed."""

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    log = make_ecommerce(n_users=300, random_state=12).events
    log = log.assign(behavior=log["behavior"].astype(str))
    copies = log.sample(frac=0.05, random_state=0)
    upper = copies.assign(behavior=copies["behavior"].str.upper())  # the same rows, upper case
    again = log.sample(frac=0.02, random_state=1)  # plain repeats
    frame = pd.concat([log, upper, again]).sort_values("timestamp", kind="stable")
    path = tmp_path_factory.mktemp("fold") / "messy.csv"
    frame.to_csv(path, index=False)
    folded = frame.assign(behavior=frame["behavior"].str.lower())
    return path, int(folded.duplicated().sum()), int(frame.duplicated().sum())


@pytest.mark.parametrize("command", ["detect", "fit"])
def test_both_drop_what_the_fold_makes_repeats(messy, tmp_path, capsys, command):
    path, repeats, unfolded = messy
    assert repeats > 2 * unfolded  # (most repeat another only once folded)
    out = (
        ["-o", str(tmp_path / "t.csv")] if command == "detect" else ["--save", str(tmp_path / "m")]
    )
    assert main([command, str(path), *ROLES, "--drop-duplicates", "--fold-spellings", *out]) == 0
    err = capsys.readouterr().err
    assert f"dropped {repeats:,} duplicated rows" in err, err
    assert "duplicates of an earlier row" not in err, err  # (nothing left to advise)


def test_score_folds_to_the_model_then_drops(messy, tmp_path, capsys):
    path, repeats, _ = messy
    model = tmp_path / "m.oddseq"
    assert (
        main(
            ["fit", str(path), *ROLES, "--drop-duplicates", "--fold-spellings"]
            + ["--save", str(model)]
        )
        == 0
    )
    capsys.readouterr()
    args = ["score", str(path), "--model", str(model), *ROLES, "--drop-duplicates"]
    assert main([*args, "--fold-spellings", "-o", str(tmp_path / "s.csv")]) == 0
    err = capsys.readouterr().err
    assert f"dropped {repeats:,} duplicated rows" in err, err
    assert "duplicates of an earlier row" not in err, err
