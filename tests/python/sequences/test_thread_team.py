"""The kernels that split rows into one chunk per thread asked for give the same result
when OpenMP runs the team with fewer threads (OMP_DYNAMIC, OMP_THREAD_LIMIT): a chunk
per thread id left the missing threads' rows unwritten (s40 review, D2)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from oddseq import _core
from oddseq.sequences._sequences import group_by_entity

_CHECKS = textwrap.dedent(
    """
    import numpy as np
    import pandas as pd
    from oddseq import _core
    from oddseq.sequences import Sequences

    rng = np.random.default_rng(0)
    failed = []

    def check(name, ok):
        if not ok:
            failed.append(name)

    # the grouping: direct (few entities), bucketed (over 65,536), a crawler's long sort
    for n_entities, crawler in ((50, False), (70_000, False), (50, True)):
        n = 300_000
        codes = rng.integers(0, n_entities, n)
        if crawler:
            codes[rng.random(n) < 0.9] = 0
        times = rng.integers(0, 1_000, n)
        values = rng.integers(-(10**12), 10**12, n)
        grouped = _core.group_rows(codes, None, n_entities, times, 4, carried=[values])
        order = np.lexsort((np.arange(n), times, codes))
        check(f"order {n_entities} {crawler}", np.array_equal(grouped.order, order))
        check(f"carried {n_entities} {crawler}", np.array_equal(grouped.carried[0], values[order]))
        check(f"times {n_entities} {crawler}", np.array_equal(grouped.sorted_times, times[order]))
    # factorize: the dense path (ids in a narrow range) and the hashed one
    for values in (rng.integers(10**9, 10**9 + 5_000, 400_000), rng.integers(0, 2**62, 400_000)):
        for sort in (True, False):
            f = _core.factorize_int64(values, 4, sort)
            check(f"factorize {sort}", np.array_equal(np.asarray(f.uniques)[f.codes], values))
    # end to end
    n = 200_000
    df = pd.DataFrame(
        {
            "u": rng.integers(0, 500, n),
            "e": rng.choice(["view", "cart", "buy"], n),
            "t": rng.integers(0, 10**6, n),
        }
    )
    reference = df.sort_values(["u", "t"], kind="stable")
    for n_threads in (None, 4):
        seqs = Sequences.from_events(df, entity="u", event="e", time="t", n_threads=n_threads)
        events = np.asarray(seqs.event_labels)[np.asarray(seqs.events)]
        check(f"from_events {n_threads}", np.array_equal(events, reference["e"].to_numpy()))
    print("failed:", failed)
    """
)


@pytest.mark.parametrize("setting", [{"OMP_THREAD_LIMIT": "1"}, {"OMP_DYNAMIC": "true"}])
def test_fewer_threads_than_asked_give_the_same_result(setting):
    env = {**os.environ, **setting}
    out = subprocess.run(
        [sys.executable, "-c", _CHECKS], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("failed: []"), out.stdout


def _unaligned(values: np.ndarray) -> np.ndarray:
    """The values in a C-contiguous array whose data starts one byte off alignment."""
    raw = np.zeros(values.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(values.dtype)
    out[:] = values
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


def test_an_unaligned_carried_column_is_refused_by_the_binding_and_aligned_by_the_helper():
    codes = np.array([1, 0, 1, 0, 2], dtype=np.int64)
    values = _unaligned(np.array([10, 20, 30, 40, 50], dtype=np.int64))
    with pytest.raises(ValueError, match="aligned"):
        _core.group_rows(codes, None, 3, None, 1, carried=[values])
    offsets, _, (grouped,) = group_by_entity(codes, None, 3, None, 1, [values])
    assert offsets.tolist() == [0, 2, 4, 5]
    assert grouped.tolist() == [20, 40, 10, 30, 50]


def _resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_a_crawlers_scratch_is_not_kept_by_the_threads_after_the_call():
    # The grouping's per-thread scratch for a bucket holding a giant entity goes back when
    # the bucket is done: kept by the OpenMP threads (and their malloc arenas), 4 M rows
    # left 80 MB resident after one call and 220 MB after two (review s40); now about 26.
    rng = np.random.default_rng(0)
    n, n_entities = 4_000_000, 100_000
    codes = rng.integers(0, n_entities, n)
    codes[rng.random(n) < 0.9] = 5
    times = rng.integers(0, 1_000, n)
    columns = [rng.integers(0, 100, n).astype(np.int32), rng.normal(size=n)]
    before = _resident_mib()
    for _ in range(2):
        grouped = _core.group_rows(codes, None, n_entities, times, 2, carried=columns)
        del grouped
    assert _resident_mib() - before < 60
