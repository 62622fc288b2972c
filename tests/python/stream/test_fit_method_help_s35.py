"""oddseq fit --help lists every method, as oddseq detect's does, and says which do
not stream (NW s35 LOW: "auto, kmeans, knn, pca, robust_z, ..." left out the neural
methods and did not say that markov, invariants and the neural ones never stream)."""

import re

import pytest

from oddseq._pipeline import _SEQUENCE_METHODS, METHODS


def test_fit_help_lists_every_method(capsys):
    from oddseq.cli import main

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    said = text[text.index("--method METHOD") :]
    for name in METHODS:
        assert re.search(rf"\b{name}\b", said), name
    refused = said[said.index("oddseq stream refuses") :]
    for name in _SEQUENCE_METHODS:
        assert name in refused or "neural" in refused, name
