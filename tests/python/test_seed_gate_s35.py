"""benchmarks/seed_gate.py: the default's verdicts over several random_state values, and
the comparison of two such runs (the gate above the reseeding noise)."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "seed_gate.py"


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location("seed_gate", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path, cells):
    path.write_text(json.dumps({"_meta": {}, **cells}))
    return str(path)


def test_compare_reads_means_and_spreads_over_the_seeds(gate, tmp_path, capsys):
    """Per cell, the mean and the standard deviation over the seeds; over the cells, the
    mean of the differences of the means, the mean standard deviation, and the mean
    share flagged of the nothing-planted cells; --gate says which line fails."""
    rng = np.random.default_rng(0)

    def cell(f1s, auc):
        return {
            str(rs): {"f1": f, "f1_best": f + 0.05, "auc": auc, "flagged": 0.02}
            for rs, f in enumerate(f1s)
        }

    a_f1 = [rng.uniform(0.3, 0.9, 5) for _ in range(3)]
    b_f1 = [np.full(5, f.mean() + 0.01) for f in a_f1]  # one verdict, a little better
    a = {f"c{i}": cell(f, 0.95) for i, f in enumerate(a_f1)}
    b = {f"c{i}": cell(f, 0.95) for i, f in enumerate(b_f1)}
    a["null"] = {str(rs): {"flagged": 0.010} for rs in range(5)}
    b["null"] = {str(rs): {"flagged": 0.013} for rs in range(5)}
    code = gate.main(
        ["compare", _write(tmp_path / "a.json", a), _write(tmp_path / "b.json", b), "--gate"]
    )
    out = capsys.readouterr().out
    sd_a = np.mean([np.std(f, ddof=1) for f in a_f1])
    assert f"own F1 +{0.01:.4f}" in out
    assert f"{sd_a:.4f} -> 0.0000 (narrower 3, wider 0)" in out
    assert "PASS own-cut F1 mean" in out and "PASS AUC mean" in out
    assert "1.000% -> 1.300%" in out
    assert "FAIL nothing-planted" in out and code == 1
    for i, f in enumerate(a_f1):  # one row per cell: its mean over the seeds, both arms
        assert f"{f.mean():.3f}" in out.split(f"c{i} ")[1].splitlines()[0]
    # Without nothing-planted cells that flag more, the gate passes.
    b["null"] = a["null"]
    code = gate.main(
        ["compare", _write(tmp_path / "a.json", a), _write(tmp_path / "b.json", b), "--gate"]
    )
    assert code == 0 and "FAIL" not in capsys.readouterr().out


def test_run_reuses_the_seed_free_stages_and_gives_the_fresh_fits_verdicts(gate, tmp_path, capsys):
    """Within a cell the features and groups are fitted once and reused at every
    random_state; the verdicts equal fits that refit everything (--no-cache), and the
    stages' own fits are restored afterwards."""
    from oddseq import _pipeline
    from oddseq.graph import GroupDetector

    features, groups = _pipeline._FeatureInput.fit, GroupDetector.fit
    cached, fresh = tmp_path / "cached.json", tmp_path / "fresh.json"
    cells = ["ecom-hard:5:400", "--random-states", "0-1"]
    gate.main(["run", str(cached), *cells, "--save-scores", str(tmp_path / "scores")])
    gate.main(["run", str(fresh), *cells, "--no-cache"])
    assert _pipeline._FeatureInput.fit is features and GroupDetector.fit is groups
    a, b = json.loads(cached.read_text()), json.loads(fresh.read_text())
    rows_a, rows_b = a["ecom-hard:5:400/iv"], b["ecom-hard:5:400/iv"]
    assert sorted(rows_a) == ["0", "1"]
    for rs in rows_a:
        for key in ("f1", "f1_best", "auc", "flagged", "threshold"):
            assert rows_a[rs][key] == rows_b[rs][key]
    saved = np.load(tmp_path / "scores" / "ecom-hard_5_400_iv_rs1.npz")
    assert saved["flags"].sum() == rows_a["1"]["n_flagged"]
    assert np.load(tmp_path / "scores" / "ecom-hard_5_400_iv_X.npy").shape[0] == 400
    capsys.readouterr()


def test_the_spread_line_wants_it_clearly_smaller(gate, tmp_path, capsys):
    """A spread a hair smaller is no pass (review RV s35 L8): at most 0.8x the mean over
    cells, and no more cells wider than narrower."""

    def cell(f1s):
        return {
            str(rs): {"f1": f, "f1_best": 0.9, "auc": 0.95, "flagged": 0.02}
            for rs, f in enumerate(f1s)
        }

    base = np.array([0.50, 0.60, 0.55, 0.45, 0.65])
    a = {f"c{i}": cell(base + 0.01 * i) for i in range(3)}
    hair = {f"c{i}": cell(base.mean() + (base - base.mean()) * 0.99 + 0.01 * i) for i in range(3)}
    code = gate.main(
        ["compare", _write(tmp_path / "a.json", a), _write(tmp_path / "b.json", hair), "--gate"]
    )
    assert code == 1 and "FAIL own-cut F1 sd" in capsys.readouterr().out
    half = {f"c{i}": cell(base.mean() + (base - base.mean()) * 0.5 + 0.01 * i) for i in range(3)}
    code = gate.main(
        ["compare", _write(tmp_path / "a.json", a), _write(tmp_path / "b.json", half), "--gate"]
    )
    assert code == 0 and "PASS own-cut F1 sd" in capsys.readouterr().out
