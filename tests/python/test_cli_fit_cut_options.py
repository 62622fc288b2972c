"""oddseq fit takes the cut's options of oddseq detect (--contamination, --false-alarm-rate),
so that the model oddseq score and oddseq stream use can keep the cut a user chose: the
collapsed-cut warning names --contamination for oddseq fit too."""

import pytest

from oddseq import load
from oddseq.cli import main
from oddseq.datasets import make_ecommerce

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("fitcut") / "log.csv"
    make_ecommerce(n_users=200, random_state=8).events[["user_id", "behavior", "timestamp"]].to_csv(
        path, index=False
    )
    return path


def test_fit_takes_contamination_and_the_false_alarm_rate(log_path, tmp_path):
    share = tmp_path / "share.oddseq"
    assert (
        main(["fit", str(log_path), *ROLES, "--contamination", "0.05", "--save", str(share)]) == 0
    )
    model = load(share)
    assert model.contamination == 0.05 and model.table_["is_anomaly"].sum() == 10
    rate = tmp_path / "rate.oddseq"
    assert (
        main(["fit", str(log_path), *ROLES, "--false-alarm-rate", "0.2", "--save", str(rate)]) == 0
    )
    assert load(rate).threshold_info_["false_alarm_rate"] == 0.2


@pytest.mark.parametrize(
    "options, said",
    [
        (["--contamination", "lots"], "--contamination must be a number in (0, 0.5] or auto"),
        (
            ["--contamination", "0.1", "--false-alarm-rate", "0.01"],
            "--false-alarm-rate sets the cut of --contamination auto",
        ),
    ],
)
def test_fit_refuses_cut_options_as_detect_does(log_path, tmp_path, capsys, options, said):
    out = tmp_path / "m.oddseq"
    assert main(["fit", str(log_path), *ROLES, *options, "--save", str(out)]) == 2
    assert said in capsys.readouterr().err and not out.exists()
