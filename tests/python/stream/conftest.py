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


def _through_the_reader(live, feed, data: bytes, python_line, gather: float = 0.0):
    """The lines of ``data`` (each ending in a newline) as ``oddseq stream`` takes them:
    through the C++ line reader (``live._feed_lines`` with ``feed``), each line it leaves
    through ``python_line(number, raw)`` (the command's Python path: that line's alert
    (line, entity, score, length, reason), or None): (the alerts in order, as the reader
    gives them, entity ids decoded; the numbers of the lines left; the most alerts of one
    call; the lines counted)."""
    alerts, left, at, number, most = [], [], 0, 0, 0
    while at < len(data):
        stop, after, n, got = live._feed_lines(feed, data, at, gather)
        for line, entity, score, length, reason in got:
            alerts.append((number + line, entity.decode(), score, length, reason))
        most = max(most, len(got))
        number += n
        if stop == 2:
            end = data.index(b"\n", after)
            number += 1
            left.append(number)
            alert = python_line(number, data[after:end])
            if alert is not None:
                alerts.append(alert)
            after = end + 1
        at = after
    return alerts, left, most, number


@pytest.fixture(scope="session")
def through_the_reader():
    """:func:`_through_the_reader`: the C++ line reader's loop of the tests that compare
    it with the Python path (tests import no sibling module)."""
    return _through_the_reader
