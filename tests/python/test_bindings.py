"""The C++ boundary: dtypes, memory layouts, read-only and empty arrays, Ctrl-C."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq import _core
from oddseq.cluster import KMeans
from oddseq.detect import KMeansDetector


def test_bindings_reject_wrong_dtypes_instead_of_copying():
    with pytest.raises(TypeError):
        _core.group_rows(np.zeros(3, dtype=np.int32), None, 1, None, 1)
    with pytest.raises(TypeError):
        _core.gather(np.zeros(3, dtype=np.int16), np.zeros(2, dtype=np.int64), 1)


def test_core_errors_map_to_python_exceptions():
    with pytest.raises(IndexError, match="outside"):
        _core.group_rows(np.array([0, 5], dtype=np.int64), None, 2, None, 1)
    with pytest.raises(IndexError, match="gather index"):
        _core.gather(np.arange(3, dtype=np.int64), np.array([7], dtype=np.int64), 1)
    with pytest.raises(ValueError, match="k-means"):
        _core.kmeans_fit(np.ones((2, 2)), None, np.ones((3, 2)), 5, 0.0, "lloyd", 1)


@pytest.mark.parametrize("layout", ["fortran", "strided", "readonly", "int", "float16"])
def test_estimators_accept_any_layout_without_touching_it(layout):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(300, 4))
    X = {
        "fortran": np.asfortranarray(base),
        "strided": np.repeat(base, 2, axis=1)[:, ::2],
        "readonly": base.copy(),
        "int": (base * 10).astype(np.int64),
        "float16": base.astype(np.float16),
    }[layout]
    if layout == "readonly":
        X.setflags(write=False)
    before = X.copy()
    km = KMeans(3, random_state=0).fit(X)
    det = KMeansDetector(n_clusters=3, random_state=0).fit(X)
    assert km.labels_.shape == (300,) and det.decision_scores_.shape == (300,)
    assert np.array_equal(X, before)
    expected = (
        np.float64 if layout in ("int", "float16", "fortran", "strided", "readonly") else None
    )
    assert km.cluster_centers_.dtype == expected


def test_empty_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="0 sample"):
        KMeans(1).fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="0 feature"):
        KMeansDetector().fit(np.empty((5, 0)))


LONG_FITS = {
    "kmeans": (
        "from oddseq.cluster import KMeans\n"
        "X = np.random.default_rng(0).normal(size=(400_000, 64)).astype(np.float32)\n"
        "fit = lambda: KMeans(256, init='random', n_init=1, max_iter=100_000, tol=0).fit(X)"
    ),
    # No point can reach min_samples, and eps is wide enough in 40 dimensions that
    # every count runs through most of the data: minutes of work.
    "dbscan": (
        "from oddseq.cluster import DBSCAN\n"
        "X = np.random.default_rng(0).normal(size=(200_000, 40))\n"
        "fit = lambda: DBSCAN(eps=6.0, min_samples=100_000).fit(X)"
    ),
}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name", sorted(LONG_FITS))
def test_ctrl_c_interrupts_a_long_fit(name):
    # The child installs Python's Ctrl-C handler itself: a process started from a
    # background job inherits SIGINT ignored, and Python then keeps ignoring it.
    script = (
        "import signal, sys, time\nimport numpy as np\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        + LONG_FITS[name]
        + textwrap.dedent("""
        print("ready", flush=True)
        start = time.perf_counter()
        try:
            fit()
        except KeyboardInterrupt:
            print(f"interrupted {time.perf_counter() - start:.2f}", flush=True)
            sys.exit(0)
        sys.exit(3)
    """)
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "interrupted" in out
    assert time.perf_counter() - sent < 30


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 60),
    d=st.integers(1, 6),
    levels=st.integers(1, 6),
    special=st.sampled_from([None, np.nan, np.inf, -np.inf]),
)
def test_property_column_median_mad_equal_numpy(seed, n, d, levels, special):
    # The robust scales' medians: numpy's bits (the mean of the two middle entries of an
    # even count), NaN where a column holds one; few levels make ties common.
    rng = np.random.default_rng(seed)
    x = rng.integers(-levels, levels + 1, size=(n, d)) * 0.37 + rng.random((n, d)) * (seed % 2)
    if special is not None:
        x[rng.random(x.shape) < 0.15] = special
    with np.errstate(invalid="ignore"):
        median = np.median(x, axis=0)
        mad = np.median(np.abs(x - median), axis=0)
    got_median, got_mad = _core.column_median_mad(x, 2)
    np.testing.assert_array_equal(got_median, median)
    np.testing.assert_array_equal(got_mad, mad)
    # and the helper every robust scale goes through, whatever the layout
    from oddseq.utils._stats import median_and_mad

    for layout in (x, np.asfortranarray(x), x[:, ::-1][:, ::-1]):
        with np.errstate(invalid="ignore"):
            got = median_and_mad(layout)
        np.testing.assert_array_equal(got[0], median)
        np.testing.assert_array_equal(got[1], mad)


def test_column_median_mad_refuses_a_vector():
    with pytest.raises(ValueError, match="2-D matrix"):
        _core.column_median_mad(np.zeros(3), 1)
    median, mad = _core.column_median_mad(np.zeros((0, 2)), 1)
    assert np.isnan(median).all() and np.isnan(mad).all()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 50),
    d=st.integers(1, 12),
    top=st.integers(1, 12),
    levels=st.integers(1, 5),
    nan=st.booleans(),
)
def test_property_top_columns_equal_a_stable_argsort(seed, n, d, top, levels, nan):
    # The explanations' feature ranking: largest first, ties to the smaller column, NaN
    # last; few distinct values make ties common.
    rng = np.random.default_rng(seed)
    top = min(top, d)
    x = rng.integers(0, levels, size=(n, d)).astype(np.float64)
    x[x == 0] = -0.0 if seed % 2 else 0.0
    if nan:
        x[rng.random(x.shape) < 0.2] = np.nan
    got = _core.top_columns(x, top, 2)
    np.testing.assert_array_equal(got, np.argsort(-x, axis=1, kind="stable")[:, :top])
    with pytest.raises(ValueError, match="top must be"):
        _core.top_columns(x, d + 1, 1)
