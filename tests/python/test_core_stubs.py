"""_core.pyi covers the extension: every bound function, class and method has a stub,
with the parameter names pybind11 reports for it (each overload's, when overloaded)."""

import ast
import inspect
import re
from pathlib import Path

import oddseq
from oddseq import _core

STUB = Path(oddseq.__file__).with_name("_core.pyi")


def _stubs():
    """name -> list of parameter-name tuples (one per overload); classes -> dict."""
    tree = ast.parse(STUB.read_text())

    def functions(body):
        found = {}
        for node in body:
            if isinstance(node, ast.FunctionDef):
                names = tuple(
                    a.arg for a in node.args.args + node.args.kwonlyargs if a.arg != "self"
                )
                found.setdefault(node.name, []).append(names)
        return found

    top = functions(tree.body)
    classes = {n.name: functions(n.body) for n in tree.body if isinstance(n, ast.ClassDef)}
    return top, classes


def _bound_signatures(obj, name):
    """The parameter names of each signature pybind11 writes in the docstring."""
    signatures = []
    for line in (obj.__doc__ or "").splitlines():
        match = re.match(rf"^\s*(?:\d+\. )?{re.escape(name)}\((.*)\) ->", line)
        if not match or match.group(1) == "*args, **kwargs":
            continue
        params = [p.split(":")[0].strip() for p in re.split(r",\s*(?![^\[]*\])", match.group(1))]
        if any(re.fullmatch(r"arg\d+", p) for p in params):
            continue  # positional-only, unnamed in the binding: any stub name fits
        signatures.append(tuple(p for p in params if p and p not in ("self", "*")))
    return signatures


def _public(namespace):
    return sorted(n for n in dir(namespace) if not n.startswith("_"))


def test_every_bound_function_and_class_has_a_stub():
    top, classes = _stubs()
    missing = [n for n in _public(_core) if n not in top and n not in classes]
    assert not missing, f"add stubs to python/oddseq/_core.pyi for: {missing}"
    stale = [n for n in list(top) + list(classes) if not hasattr(_core, n)]
    assert not stale, f"_core.pyi has stubs for names the extension lacks: {stale}"


def test_stub_parameters_match_the_bindings():
    top, classes = _stubs()
    wrong = []
    for name in _public(_core):
        obj = getattr(_core, name)
        if inspect.isclass(obj):
            methods = classes.get(name, {})
            # A class without a bound constructor (a result record the core returns)
            # needs no __init__ stub.
            constructed = bool(_bound_signatures(obj.__init__, "__init__"))
            for method in ["__init__"] * constructed + _public(obj):
                member = getattr(obj, method)
                if isinstance(member, property):
                    if method not in methods:
                        wrong.append(f"{name}.{method} (property without a stub)")
                    continue
                bound = _bound_signatures(member, method)
                if method not in methods:
                    wrong.append(f"{name}.{method} (no stub)")
                elif bound and sorted(set(methods[method])) != sorted(set(bound)):
                    wrong.append(f"{name}.{method}: stub {methods[method]} != bound {bound}")
        elif name in top:
            bound = _bound_signatures(obj, name)
            if bound and sorted(set(top[name])) != sorted(set(bound)):
                wrong.append(f"{name}: stub {top[name]} != bound {bound}")
    assert not wrong, "fix python/oddseq/_core.pyi:\n" + "\n".join(wrong)


def test_results_are_records_read_by_name_not_tuples():
    # What the core returns to Python: read-only records, every field with a stub.
    top, classes = _stubs()
    records = [
        n
        for n in _public(_core)
        if inspect.isclass(getattr(_core, n))
        and not _bound_signatures(getattr(_core, n).__init__, "__init__")
    ]
    assert {
        "KMeansRun",
        "Assignment",
        "MiniBatchStep",
        "DbscanRun",
        "PcaRun",
        "Grouping",
        "SessionSplit",
        "Windows",
        "MarkovSteps",
        "NgramKeys",
        "SparseCounts",
        "IForestScores",
        "Nearest",
        "Factorization",
        "RangeIndex",
        "Neighbors",
        "Transposed",
        "DistinctRows",
        "Bipartite",
        "ByObject",
        "ExactMomentSums",
        "IForestTrees",
        "DenseBlock",
        "LockstepColumns",
    } <= set(records)
    for name in records:
        fields = _public(getattr(_core, name))
        assert fields and all(
            isinstance(getattr(getattr(_core, name), f), property) for f in fields
        )
        assert all(getattr(getattr(_core, name), f).fset is None for f in fields), name
        assert set(fields) == set(classes[name]), name


def _stub_returns():
    """name -> the set of class names the stub's overloads return (top-level functions
    and methods as "Class.method")."""
    tree = ast.parse(STUB.read_text())
    found = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.FunctionDef) and node.returns is not None:
                found.setdefault(prefix + node.name, set()).add(ast.unparse(node.returns))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, node.name + ".")

    visit(tree.body, "")
    return found


def test_stubs_name_the_records_the_bindings_return():
    # The records a binding returns must be the records its stub names: a shuffled stub
    # (lockstep_columns once said DenseBlock) passes the parameter check above.
    returns = _stub_returns()
    records = {n for n in _public(_core) if inspect.isclass(getattr(_core, n))}
    wrong = []
    for name in _public(_core):
        obj = getattr(_core, name)
        members = [(f"{name}.{m}", getattr(obj, m), m) for m in _public(obj)]
        for qualified, member, short in [(name, obj, name)] + (
            members if inspect.isclass(obj) else []
        ):
            bound = set()
            for line in (getattr(member, "__doc__", None) or "").splitlines():
                match = re.match(
                    rf"^\s*(?:\d+\. )?{re.escape(short)}\(.*\) -> oddseq\._core\.(\w+)$", line
                )
                if match:
                    bound.add(match.group(1))
            stub = returns.get(qualified, set()) & records
            if bound and bound != stub:
                wrong.append(f"{qualified}: bound {sorted(bound)}, stub {sorted(stub)}")
    assert not wrong, "fix the return types in python/oddseq/_core.pyi:\n" + "\n".join(wrong)
