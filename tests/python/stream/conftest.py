import pytest


@pytest.fixture(scope="session")
def three_day_shop(tmp_path_factory):
    """(log, model file): a shop log of 200 users over 3 days (make_ecommerce, seed 4) and
    the model ``oddseq fit`` saved of it (whole users), for the tests of the shell's
    stream (test_stream_live, test_stream_time_unit). Modules take a copy of the log."""
    from oddseq.cli import main
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    folder = tmp_path_factory.mktemp("three_days")
    log.to_csv(folder / "log.csv", index=False)
    path = folder / "m.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    assert main(["fit", str(folder / "log.csv"), *roles, "--save", str(path)]) == 0
    return log, path
