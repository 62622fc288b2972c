"""The ``funnel`` option of detect_anomalies, AnomalyPipeline and ``oddseq detect
--funnel``: the event of each purchase-funnel role, where the names do not say it (a
ticket shop's view / add / checkout / pay_ok / pay_fail), saved with the model."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences, detect_anomalies, load
from oddseq.cli import main
from oddseq.encode import DiversityEncoder


def _shop(n_users=120, seed=0, buy="pay_ok"):
    """A ticket shop's log: view, add, checkout, then a paid or declined payment."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        t = 0.0
        for _ in range(int(rng.integers(2, 5))):
            for event in ["view"] * int(rng.integers(1, 6)) + ["add", "checkout"]:
                t += float(rng.uniform(5, 60))
                rows.append((u, event, t))
            t += 5.0
            rows.append((u, buy if rng.random() < 0.9 else "pay_fail", t))
    return pd.DataFrame(rows, columns=["user", "event", "t"])


ROLES = dict(entity="user", event="event", time="t")


def test_a_checkout_without_a_purchase_name_warns_in_the_one_call():
    log = _shop()
    with pytest.warns(UserWarning, match=r"'checkout' \(not read as buy\).*funnel=\{'buy'"):
        table, pipe = detect_anomalies(log, **ROLES, return_pipeline=True)
    assert pipe.funnel_ == {"view": "view", "cart": "add"}
    assert "buy_per_view" not in " ".join(table["reason"])
    # named, nothing warns, and the features read them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, named = detect_anomalies(
            log,
            **ROLES,
            funnel={"view": "view", "cart": "add", "buy": "pay_ok"},
            return_pipeline=True,
        )
    assert named.funnel_ == {"view": "view", "cart": "add", "buy": "pay_ok"}
    seqs = Sequences.from_events(log, **ROLES)
    names = list(named.feature_names_)
    raw = named.encoder_.transform(seqs)
    raw = raw.to_numpy() if isinstance(raw, pd.DataFrame) else raw
    per_cart = raw[:, names.index("buy_per_cart")]
    assert 0 < per_cart.max() <= 1.0  # a paid checkout per add at most
    # a log with a purchase name and a checkout: no warning (the marketplace)
    bought = _shop(buy="purchase")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert DiversityEncoder().fit(Sequences.from_events(bought, **ROLES)).funnel_ == {
            "view": "view",
            "cart": "add",
            "buy": "purchase",
        }


def test_funnel_option_is_checked_and_saved(tmp_path):
    log = _shop(buy="purchase")
    seqs = Sequences.from_events(log, **ROLES)
    with pytest.raises(ValueError, match="funnel must be a dict with keys among"):
        AnomalyPipeline(funnel={"paid": "purchase"}).fit(seqs)
    with pytest.raises(ValueError, match="funnel must be a dict"):
        AnomalyPipeline(funnel=["view"]).fit(seqs)
    with pytest.raises(ValueError, match="more than one role"):
        AnomalyPipeline(funnel={"view": "view", "cart": "view"}).fit(seqs)
    with pytest.raises(
        ValueError,
        match=r"funnel names events \['pay_ok'\].*give funnel \(--funnel from the shell\) one",
    ):
        AnomalyPipeline(funnel={"buy": "pay_ok"}).fit(seqs)
    pipe = AnomalyPipeline(funnel={"view": "view", "buy": "checkout"}).fit(seqs)
    assert pipe.funnel_ == {"view": "view", "buy": "checkout"}
    pipe.save(tmp_path / "m.oddseq")
    again = load(tmp_path / "m.oddseq")
    assert again.funnel == {"view": "view", "buy": "checkout"}
    assert again.funnel_ == pipe.funnel_
    pd.testing.assert_frame_equal(again.score(seqs), pipe.score(seqs))
    none = AnomalyPipeline(funnel={}).fit(seqs)
    assert none.funnel_ == {}


def test_shell_funnel_option(tmp_path, capsys):
    path = tmp_path / "log.csv"
    _shop().to_csv(path, index=False)
    out = tmp_path / "out.csv"
    base = ["detect", str(path), "--entity", "user", "--event", "event", "--time", "t"]
    base += ["-o", str(out), "--force"]
    assert main(base + ["--funnel", "view=view,cart=add,buy=pay_ok"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(base + ["--funnel", "none"]) == 0
    assert main(base + ["--funnel", "paid=pay_ok"]) == 2
    assert "role=event" in capsys.readouterr().err
    assert main(base + ["--funnel", "buy=paid"]) == 2
    assert "funnel names events ['paid']" in capsys.readouterr().err
    assert main(base) == 0
    assert "--funnel buy=<event>" in capsys.readouterr().err


def test_dask_takes_the_funnel_too():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies as dask_detect

    log = _shop(buy="pay_ok")
    funnel = {"view": "view", "cart": "add", "buy": "pay_ok"}
    single, pipe = detect_anomalies(log, **ROLES, funnel=funnel, return_pipeline=True)
    with dask.config.set(scheduler="synchronous"):
        table, spread = dask_detect(
            dd.from_pandas(log, npartitions=2), **ROLES, funnel=funnel, return_pipeline=True
        )
        table = table.compute().sort_values("rank")
    assert spread.funnel_ == pipe.funnel_ == funnel
    np.testing.assert_array_equal(table["score"], single.loc[table.index, "score"])
    assert (table["reason"] == single.loc[table.index, "reason"]).all()


def test_fit_takes_funnel_and_saves_it(tmp_path, capsys):
    path = tmp_path / "log.csv"
    _shop().to_csv(path, index=False)
    model = tmp_path / "m.oddseq"
    base = ["fit", str(path), "--entity", "user", "--event", "event", "--time", "t"]
    assert main(base + ["--funnel", "view=view,cart=add,buy=pay_ok", "--save", str(model)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert load(model).funnel_ == {"view": "view", "cart": "add", "buy": "pay_ok"}
    assert main(base + ["--funnel", "buy", "--save", str(model)]) == 2
    assert "role=event" in capsys.readouterr().err
