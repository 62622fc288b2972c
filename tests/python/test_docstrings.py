"""Every Examples section in the installed package runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import oddseq

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(oddseq.__path__, prefix="oddseq.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings(name):
    if name.startswith("oddseq.neural"):
        pytest.importorskip("torch")  # the optional extra's examples train networks
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} example(s) failed in {name}"


def test_public_objects_have_examples():
    submodules = ("cluster", "datasets", "detect", "encode", "metrics", "plot")
    submodules += ("preprocessing", "sequences", "stream")
    missing = []
    for module in [oddseq] + [importlib.import_module(f"oddseq.{m}") for m in submodules]:
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("Base") or name == "SequenceEncoder":
                continue
            if not callable(obj) or isinstance(obj, type(oddseq)):
                continue  # constants and submodules
            if "Examples" not in (obj.__doc__ or ""):
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"public objects without runnable examples: {missing}"
