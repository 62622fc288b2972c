"""Neural sequence models (optional extra: ``pip install "oddseq[neural]"``).

:class:`LSTMDetector` (next-event model, DeepLog), :class:`TransformerDetector`
(a causal next-event encoder by default, or a masked-event one, LogBERT-style;
attention in ``explain``) and
:class:`SequenceAutoencoder` (GRU encoder-decoder; reconstruction error as the score,
``transform`` -> fixed-size embeddings for ``oddseq.cluster``), all on
:class:`~oddseq.sequences.Sequences` with the detectors' surface (``fit(seqs,
normal=...)``, ``decision_function``, ``predict``, ``threshold_``, ``explain``,
``save``).

Importing this module does not import PyTorch; fitting or loading a model does, and
without it raises an ImportError that names the extra. On a machine without a GPU
install the CPU build of torch first (a plain ``torch`` requirement may pull the much
larger CUDA build).
"""

from ._models import LSTMDetector, SequenceAutoencoder, TransformerDetector

__all__ = ["LSTMDetector", "SequenceAutoencoder", "TransformerDetector"]
