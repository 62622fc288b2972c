import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

# Bounded example counts keep the whole suite within minutes on two cores.
settings.register_profile("oddseq", max_examples=40, deadline=None)
settings.load_profile("oddseq")


@pytest.fixture
def small_log():
    """A shuffled little event log with string ids, ties in time and several users."""
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "user": rng.choice(["ann", "bob", "cy", "dee", "eve"], n),
            "event": rng.choice(["pv", "cart", "fav", "buy"], n, p=[0.7, 0.1, 0.1, 0.1]),
            "ts": rng.integers(1_500_000_000, 1_500_000_000 + 5000, n),
            "item": rng.integers(0, 50, n),
            "price": rng.uniform(1, 100, n),
        }
    )
    return df


@pytest.fixture(scope="module")
def client():
    """A Dask client on a LocalCluster of two worker processes (one thread each), for the
    test module that asks for it, closed after it."""
    distributed = pytest.importorskip("dask.distributed")
    # dashboard_address=":0": a free port, not 8787, which another cluster may hold.
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
