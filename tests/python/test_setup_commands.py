"""The README's set-up commands, CI and the packaging metadata agree (issue 16: one
build for the two commands)."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _requirements():
    lines = (ROOT / "tests" / "requirements.txt").read_text().splitlines()
    return sorted(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11+")
def test_test_requirements_equal_the_test_extra():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _requirements() == sorted(project["optional-dependencies"]["test"])


def test_readme_commands_build_once_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(?:\$ )?(pip install.*)$", readme, flags=re.M)[:2]
    demo, tests = commands
    assert "oddseq demo" in demo and demo.startswith("pip install .")
    # The second command must not name the project (".", ".[test]"): pip builds a local
    # project again every time it is named, and the core takes minutes to compile.
    assert "pytest" in tests and not re.search(r"pip install [^&]*(?<![\w/-])\.(\[|\s)", tests)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == tests
