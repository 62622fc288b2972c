"""The notebooks run top to bottom on small data, as an analyst would run them.

Each notebook's code cells are executed in order in a fresh interpreter (no Jupyter
kernel needed), headless, from the notebooks folder. ODDSEQ_DATA points at a folder that
does not exist, so the notebooks take their synthetic branch and the suite does not
depend on ../shared/data.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def code_of(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    script = tmp_path / f"{path.stem}.py"
    script.write_text("import matplotlib\nmatplotlib.use('Agg')\n" + code_of(path))
    env = {
        **os.environ,
        "ODDSEQ_NOTEBOOK_SMALL": "1",
        "ODDSEQ_DATA": str(tmp_path / "no-data"),
        "MPLBACKEND": "Agg",
    }
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=NOTEBOOKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    # Each notebook says which data it ran on (real, or a synthetic stand-in and how to
    # point it at the real files).
    said = [line for line in out.stdout.splitlines() if line.startswith("Data: ")]
    assert said, out.stdout[:2000]


def test_notebooks_are_stored_without_outputs():
    for path in NOTEBOOKS.glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
