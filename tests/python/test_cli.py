import subprocess
import sys

import pytest

from oddseq.cli import main


def test_demo_runs_end_to_end(capsys):
    assert main(["demo", "--n-users", "1500", "--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "Top 5 odd users" in out and "ROC-AUC" in out
    auc = float(out.split("ROC-AUC")[1].split()[0])
    assert auc > 0.85


def test_demo_reads_a_taobao_file(tmp_path, capsys):
    rows = [
        f"{u},{u * 10 + i},{i % 3},pv,{1511544070 + 60 * i}"
        for u in range(1, 30)
        for i in range(u % 7 + 1)
    ]
    path = tmp_path / "ub.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["demo", "--data", str(path), "--top", "3"]) == 0
    assert "Top 3 odd users" in capsys.readouterr().out


def test_demo_bad_file_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--data", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_console_script_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "oddseq.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "demo" in out.stdout
    with pytest.raises(SystemExit):
        main(["unknown"])
