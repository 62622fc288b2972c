"""A data folder named in ODDSEQ_DATA is the one the notebooks read, even where it does
not exist (then they run on their synthetic stand-ins and say so): NA's s34 trial found
that a missing ODDSEQ_DATA fell back to ../../shared/data, so test_notebooks.py, which
names a missing folder to test the synthetic branches, ran the real logs wherever they
lie beside the repository, and an analyst's mistyped folder read other data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_named_folder_is_read_even_when_missing(path, tmp_path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    first = "".join(cells[0]["source"])
    assert "DATA = Path(" in first, first[:500]
    script = tmp_path / "first.py"
    script.write_text(
        "import matplotlib\nmatplotlib.use('Agg')\n" + first + "\nprint('DATA=' + str(DATA))\n"
    )
    missing = tmp_path / "no-data"
    env = {**os.environ, "ODDSEQ_NOTEBOOK_SMALL": "1", "ODDSEQ_DATA": str(missing)}
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=NOTEBOOKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"DATA={missing}" in out.stdout.splitlines(), out.stdout[-2000:]
