"""Neural sequence detectors on oddseq's Sequences (PyTorch, imported only when used)."""

from __future__ import annotations

import contextlib
import importlib
import numbers
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..detect._base import BaseDetector, check_contamination
from ..detect._threshold import (
    DEFAULT_FALSE_ALARM_RATE,
    DEFAULT_NORMAL_FALSE_ALARM_RATE,
    _normal_cut,
    auto_cut,
    check_false_alarm_rate,
    folds_in_order,
    normal_cut,
)
from ..detect._threshold import sequence_content_order as content_order
from ..encode._base import _check_sequences
from ..utils._rows import distinct_rows
from ..utils._validation import check_positive_int, check_random_state
from ._counts import CountTable, outside_other_groups, step_pairs
from ._tokens import END as _END
from ._tokens import MASK as _MASK
from ._tokens import N_SPECIAL as _N_SPECIAL
from ._tokens import START as _START
from ._tokens import UNKNOWN as _UNKNOWN

__all__ = ["LSTMDetector", "SequenceAutoencoder", "TransformerDetector"]

_EXTRA = 'pip install "oddseq[neural]"'
STATISTICS = ("mean_surprisal", "max_surprisal", "outside_top_g", "outside_top_g_share")
_STATISTIC = {
    "mean": "mean_surprisal",
    "max": "max_surprisal",
    "topg": "outside_top_g_share",
    "surprise": None,
}
_LN2 = float(np.log(2.0))
# Within an epoch the held-out part is checked every this many batches.
_CHECK_EVERY = 64
# Training batches of the data-parallel models are cut into this many shards (fewer
# for a smaller batch): each shard's gradient is computed on one intra-op thread, the
# ``n_threads`` workers take the shards, and the gradients are summed in shard order,
# so the model is the same whatever the worker count.
_TRAIN_SHARDS = 4
# Scoring batches hold about this many padded steps: their per-step outputs (steps x
# tokens) then stay in cache; larger batches were slower on a CPU.
_SCORE_TOKENS = 16_384
# The causal Transformer's training batches are sorted by length within random pools of
# this many batches (see _Windows.batches).
_NEXT_BATCH_POOL = 8
# n_folds="auto" (the normal-only cut): the held-out part's scores alone where at
# least this many lie beyond the cut's quantile (the share it flags then within about
# +-28% of the rate at two standard errors), else out-of-fold scores of this many
# refits. 50: 100,000 normal sequences at the normal-only default rate 0.005 fit once
# (the refits cost about 70 s more there, benchmarks/RESULTS.md, neural).
_HELD_OUT_EXCEEDANCES = 50
_AUTO_FOLDS = 5


def _torch():
    """The torch module, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("torch")
    except ImportError as error:
        raise ImportError(
            f"oddseq's neural models need PyTorch, which is not installed: {_EXTRA} "
            "(on a machine without a GPU, install the CPU build of torch first)"
        ) from error


def _nets():
    _torch()
    from . import _nets

    return _nets


@contextlib.contextmanager
def _threads(torch, n_threads):
    """torch's intra-op thread count set for the duration (restored after)."""
    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


# A fit whose best loss is this many times the loss it began at blew up (too large a
# learning rate: measured, the Transformer's validation loss 209-10,171 bits per event at
# learning_rate=10 and 21,154 and more at 100, where it starts near 3.5; the three
# models' default fits on 200 shop users end 0.6-0.9 of where they began, at 0.1 0.2-0.3).
_BLOWN_UP = 2.0


def _warn_if_blown_up(history, who: str, learning_rate, default) -> None:
    """A ConvergenceWarning where the training never did better than where it began:
    its best validation loss (the weights kept), or without a held-out part its last
    training loss, above ``_BLOWN_UP`` times its first training loss. Diverged weights
    that stay finite score nonsense without a NaN to catch."""
    if len(history) < 2:
        return
    first = history[0]["train_loss"]
    held = [r["validation_loss"] for r in history if "validation_loss" in r]
    best = min(held) if held else history[-1]["train_loss"]
    if np.isfinite(first) and first > 0 and best > _BLOWN_UP * first:
        import warnings

        from ..exceptions import ConvergenceWarning
        from ..utils._stacklevel import user_stacklevel

        warnings.warn(
            f"{who}: the training loss blew up: its best loss {best:.4g} bits per event "
            f"is over {_BLOWN_UP:g} times the {first:.4g} it began at "
            f"(learning_rate={learning_rate!r}), so its scores mean little; lower "
            f"learning_rate (the default is {default})",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )


class _Windows:
    """Every sequence cut into windows of at most ``max_length`` events: ``codes`` (the
    model's tokens, aligned with ``seqs.events``), per window its first flat position
    ``starts``, its ``lengths`` and its sequence ``owner``."""

    def __init__(self, codes: np.ndarray, offsets: np.ndarray, max_length: int, end: bool):
        lengths = np.diff(offsets)
        per_seq = -(-lengths // max_length)
        owner = np.repeat(np.arange(lengths.size), per_seq)
        first_window = np.concatenate([[0], np.cumsum(per_seq)[:-1]])
        k = np.arange(owner.size) - first_window[owner]
        self.codes = codes
        self.starts = offsets[:-1][owner] + k * max_length
        self.lengths = np.minimum(lengths[owner] - k * max_length, max_length)
        self.owner = owner
        # The last window of a sequence also holds the end token (one step more).
        self.last = (k == per_seq[owner] - 1) & bool(end)

    def __len__(self):
        return self.starts.size

    @classmethod
    def _of(cls, codes, starts, lengths, owner, last):
        windows = cls.__new__(cls)
        windows.codes, windows.starts, windows.lengths = codes, starts, lengths
        windows.owner, windows.last = owner, last
        return windows

    def _position(self) -> np.ndarray:
        """Each event's step within its window (the windows tile ``codes`` in order)."""
        return np.arange(self.codes.size) - np.repeat(self.starts, self.lengths)

    def unique(self):
        """The distinct windows (same tokens, same end) as windows of their own (their
        ``owner`` is their index), in the order of their hashes (an order of their
        content: scoring batches drawn from it hold the same windows whatever the
        sequences' order), and, per window, the index of its distinct one. Windows are
        told apart by a 64-bit polynomial hash of their tokens, checked token by token
        (on a collision the windows are kept as they are: (self, None))."""
        if len(self) < 2:
            return self, None
        position = self._position()
        powers = np.empty(int(self.lengths.max()), dtype=np.uint64)
        powers[0] = 1
        base = np.uint64(0x9E3779B97F4A7C15)
        with np.errstate(over="ignore"):
            for j in range(1, powers.size):
                powers[j] = powers[j - 1] * base
            terms = (self.codes.astype(np.uint64) + np.uint64(1)) * powers[position]
            key = np.add.reduceat(terms, self.starts) if self.codes.size else terms
            key = key * np.uint64(31) + self.lengths.astype(np.uint64) * np.uint64(2)
            key = key + self.last.astype(np.uint64)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        representative = first[inverse]
        same = (self.lengths == self.lengths[representative]) & (
            self.last == self.last[representative]
        )
        if not same.all() or not np.array_equal(
            self.codes, self.codes[np.repeat(self.starts[representative], self.lengths) + position]
        ):
            return self, None  # a hash collision: score every window
        lengths = self.lengths[first]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        codes = self.codes[
            np.repeat(self.starts[first] - starts, lengths) + np.arange(lengths.sum())
        ]
        unique = _Windows._of(codes, starts, lengths, np.arange(first.size), self.last[first])
        return unique, inverse

    def positions_in(self, unique, inverse) -> np.ndarray:
        """Where each event of these windows lies in ``unique``'s codes."""
        return np.repeat(unique.starts[inverse], self.lengths) + self._position()

    def scoring_batches(self, n_tokens: int):
        """Index arrays of windows sorted by steps, each batch at most ``n_tokens``
        padded steps (at least one window): small enough that a batch's per-token
        outputs stay in cache, which on a CPU beats larger matrix products."""
        steps = self.lengths + self.last  # the end token is one step more
        order = np.argsort(steps, kind="stable")
        steps = steps[order]
        chunks, i = [], 0
        while i < order.size:
            j = min(order.size, i + max(1, n_tokens // int(steps[i])))
            while j - i > 1 and (j - i) * int(steps[j - 1]) > n_tokens:
                j = i + max(1, n_tokens // int(steps[j - 1]))
            chunks.append(order[i:j])
            i = j
        return chunks

    def batches(self, batch_size: int, rng=None, pool: int = 0):
        """Index arrays of windows of similar length (bucketed by sorting on length);
        shuffled within ties and in batch order when ``rng`` is given. ``pool > 0``
        (with ``rng``): sorted within random pools of ``pool`` batches' windows
        instead, so that a batch spans a range of lengths (a pool's ``pool``-quantile)
        rather than one length: the causal Transformer (learned positions) trained
        on one-length batches swung 0.1-0.2 held-out bits between checks and stopped
        after an epoch at 2.00 bits per event on the speed set, pooled it went on to
        1.90 (benchmarks/RESULTS.md)."""
        if rng is None:
            order = np.argsort(self.lengths, kind="stable")
        elif pool > 0:
            shuffled = rng.permutation(len(self))
            size = batch_size * int(pool)
            order = np.concatenate(
                [
                    part[np.argsort(self.lengths[part], kind="stable")]
                    for part in (shuffled[i : i + size] for i in range(0, shuffled.size, size))
                ]
            )
        else:
            shuffled = rng.permutation(len(self))
            order = shuffled[np.argsort(self.lengths[shuffled], kind="stable")]
        chunks = [order[i : i + batch_size] for i in range(0, order.size, batch_size)]
        if rng is not None:
            chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        return chunks

    def tensors(self, torch, index, device):
        """Padded tokens [batch, steps] (0 = padding) and the mask of real steps."""
        lengths = self.lengths[index]
        last = self.last[index]
        steps = np.arange((lengths + last).max())
        events = steps[None, :] < lengths[:, None]
        positions = np.where(events, self.starts[index][:, None] + steps[None, :], 0)
        tokens = np.where(events, self.codes[positions], 0)
        tokens[np.flatnonzero(last), lengths[last]] = _END
        mask = events  # the events, and the end token where there is one
        mask[np.flatnonzero(last), lengths[last]] = True
        return (
            torch.from_numpy(tokens.astype(np.int64)).to(device),
            torch.from_numpy(mask).to(device),
        )


class _CountReference:
    """The whole-sequence count term of normal-only fitting: how far a sequence's
    event counts lie from every normal sequence's, as a conformal p-value in bits.

    ``vectors``: the distinct count vectors of the normal (fit) sequences; ``loo``:
    each normal sequence's leave-one-out distance, sorted (L1: how many events must be
    added or removed to match another normal sequence; 0 where it has a twin). A
    sequence at distance ``d`` from the nearest normal vector gets ``-log2((1 + #{loo
    >= d}) / (n + 1))`` bits: 0 for counts some normal sequence has, ``log2(n + 1)``
    for counts farther from the normal ones than any normal sequence is from the
    rest. A next-event model reads one step at a time and may find every step of a
    sequence plausible while its counts are not (a step repeated once too often, one
    missing); this reads the whole sequence at once (LogAnomaly's count vectors,
    Landauer et al.'s count-vector distance on HDFS)."""

    # Threads of the neighbour searches (the distances are the same whatever the count).
    n_threads = 1

    def __init__(self, counts: np.ndarray):
        vectors, inverse = distinct_rows(counts)
        multiplicity = np.bincount(inverse, minlength=vectors.shape[0])
        self.vectors = vectors
        self._index = None
        if vectors.shape[0] > 1:
            nearest = self._search(vectors, None)
        else:  # one distinct vector: no other to be near
            nearest = np.full(1, np.inf)
        self.own = np.where(multiplicity[inverse] > 1, 0.0, nearest[inverse])
        self.loo = np.sort(self.own)

    @classmethod
    def of(cls, vectors: np.ndarray, loo: np.ndarray, n_threads: int = 1):
        """The reference from its saved arrays."""
        reference = cls.__new__(cls)
        reference.vectors, reference.loo, reference._index = vectors, loo, None
        reference.n_threads = int(n_threads)
        return reference

    def _search(self, vectors, queries):
        """Distance to the nearest of ``vectors`` (to the nearest other one when
        ``queries`` is None), by NearestNeighbors' manhattan search (the count index for
        counts in [0, 255], else the kd-tree)."""
        from ..cluster import NearestNeighbors

        if self._index is None:
            self._index = NearestNeighbors(
                metric="manhattan", n_neighbors=1, n_threads=self.n_threads
            )
            self._index.fit(vectors)
        distances, _ = self._index.kneighbors(queries, n_neighbors=1)
        return distances[:, 0]

    def own_bits(self) -> np.ndarray:
        """Each normal sequence's term against the others (its own distance left out
        of the count: ``-log2(#{loo >= own} / n)``)."""
        n = self.loo.size
        at_least = n - np.searchsorted(self.loo, self.own, side="left")
        return -np.log2(at_least / n)

    def bits(self, counts: np.ndarray) -> np.ndarray:
        """The term of new sequences (rows of counts)."""
        if counts.shape[0] == 0:
            return np.zeros(0)
        if self.vectors.shape[0] == 0:
            return np.zeros(counts.shape[0])
        queries, inverse = distinct_rows(counts)
        return self.bits_at(self._search(self.vectors, queries)[inverse])

    def bits_at(self, distance: np.ndarray) -> np.ndarray:
        """The term of sequences at these L1 distances from the nearest fit vector."""
        n = self.loo.size
        at_least = n - np.searchsorted(self.loo, distance, side="left")
        return -np.log2((1 + at_least) / (n + 1))

    @classmethod
    def of_part(cls, table, rows: np.ndarray):
        """The reference of the fit sequences ``rows``, read from their
        :class:`~oddseq.neural._counts.CountTable` (the same as ``cls(counts[rows])``,
        without a search of its own)."""
        vectors, own = table.part(rows)
        reference = cls.of(vectors, np.sort(own), table.n_threads)
        reference.own = own
        return reference


class _NeuralDetector(BaseDetector):
    """What the three neural detectors share: vocabulary, windows, bucketed batches,
    training with early stopping on a held-out part, per-event scores, thresholds,
    explanations and the saved state (weights as NumPy arrays, never pickle).

    Subclasses give ``_build()`` (the network), ``_loss_sum(net, tokens, mask,
    torch, generator)`` (the summed loss of a shard; or ``_loss``, the mean of a
    batch, with ``_data_parallel = False``) and ``_log_probs(net, tokens, mask,
    torch)`` (per step log-probabilities of every token, ``[batch, steps, n_tokens]``,
    in evaluation mode).
    """

    input_kind = "sequences"
    # Training schedule (TransformerDetector's parameters; none for the others): a
    # linear warm-up over this many optimizer steps (at most one epoch's), the
    # learning rate multiplied by lr_decay after a held-out check without gain, and
    # the held-out check as one masked pass (quick_check).
    warmup_steps = 0
    lr_decay = 1.0
    quick_check = False
    # Whether training cuts batches into shards for worker threads (needs
    # ``_loss_sum``), and whether the loss draws random numbers (then each shard gets
    # its own generator).
    _data_parallel = True
    _draws_in_training = False
    # Scoring batches hold this many times _SCORE_TOKENS padded steps.
    _score_batch_scale = 1
    # LSTMDetector's parameter; the other models (and LSTM files saved before it
    # existed, which have no count reference) have no count term.
    count_novelty = False
    # Files saved before each model had the parameter (LSTMDetector's, then the
    # Transformer's and the autoencoder's since the ninth session) cut normal-only fits
    # at the held-out part's scores.
    n_folds = 0
    # Training batches sorted by length within random pools of this many batches (0:
    # over all the windows, each batch of one length); see _Windows.batches.
    _batch_pool = 0

    # -------------------------------------------------------------- validation
    def _check_params(self):
        check_contamination(self.contamination)
        check_positive_int(self.max_length, "max_length")
        check_positive_int(self.max_event_types, "max_event_types")
        check_positive_int(self.max_epochs, "max_epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.patience, "patience")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
            raise ValueError(f"tol must be a number >= 0 (bits per event), got {tol!r}")
        allowed = (*_STATISTIC, "auto") if self._auto_statistic else tuple(_STATISTIC)
        if self.statistic not in allowed:
            raise ValueError(f"statistic must be one of {allowed}, got {self.statistic!r}")
        if isinstance(self.top_g, str):
            if self.top_g != "auto":
                raise ValueError(f"top_g must be a positive int or 'auto', got {self.top_g!r}")
        else:
            check_positive_int(self.top_g, "top_g")
        frac = self.validation_fraction
        if isinstance(frac, bool) or not isinstance(frac, numbers.Real) or not 0 <= frac < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got {frac!r}")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0:
            raise ValueError(f"learning_rate must be a positive number, got {lr!r}")
        if self.false_alarm_rate is not None:
            check_false_alarm_rate(self.false_alarm_rate)
        folds = getattr(self, "n_folds", 0)
        if isinstance(folds, str) and folds == "auto":
            pass
        elif isinstance(folds, bool) or not isinstance(folds, numbers.Integral):
            raise TypeError(f"n_folds must be an int (0, or 2 and more) or 'auto', got {folds!r}")
        elif folds == 1 or folds < 0:
            raise ValueError(
                f"n_folds must be 0 (cut at the held-out part) or at least 2, got {folds}"
            )
        if self.count_novelty not in ("auto", True, False):
            raise ValueError(
                f"count_novelty must be 'auto', True or False, got {self.count_novelty!r}"
            )
        if not isinstance(self.device, str):
            # (a torch.device would not save with the model: its name does)
            raise TypeError(
                f"device must be a name, 'auto', 'cpu' or 'cuda[:n]', got {self.device!r}; "
                "for a torch.device pass str(device)"
            )
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(
                f"device must be 'auto', 'cpu' or 'cuda[:n]' (the CPU or an NVIDIA GPU), "
                f"got {self.device!r}"
            )
        if not isinstance(self.end_symbol, (bool, np.bool_)):
            raise TypeError(f"end_symbol must be True or False, got {self.end_symbol!r}")

    @staticmethod
    def _check_seqs(X, who: str):
        seqs = _check_sequences(X, who)
        if len(seqs) == 0:
            raise ValueError(f"{who} needs at least one sequence, got none")
        empty = np.flatnonzero(seqs.lengths == 0)
        if empty.size:
            raise ValueError(
                f"{who}: {empty.size} sequence(s) have no events (first: id "
                f"{seqs.ids[empty[0]]!r}); a neural model scores events, drop empty "
                "sequences first (seqs.take(np.flatnonzero(seqs.lengths > 0)))"
            )
        return seqs

    def _device(self, torch):
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device != "cpu":
            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            index = self.device.partition(":")[2]
            if not index.isdigit() and index != "":
                raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:n]', got {self.device!r}")
            if count == 0 or int(index or 0) >= count:
                raise ValueError(
                    f"device={self.device!r}, but torch sees {count} CUDA device(s) here; "
                    "pass device='cpu' or 'auto' (the GPU when there is one)"
                )
        return self.device

    # -------------------------------------------------------------- vocabulary
    def _vocabulary(self, seqs, who: str):
        """The event types that occur in ``seqs`` (in label order), refused with a
        ValueError that says what to do when there are more than ``max_event_types``."""
        labels = seqs.event_labels
        used = np.bincount(np.asarray(seqs.events), minlength=len(labels)) > 0
        n_types = int(used.sum())
        limit = int(self.max_event_types)
        if n_types > limit:
            raise ValueError(
                f"{who}: {n_types:,} event types, more than max_event_types={limit:,}; the "
                "network learns an embedding of each type and a softmax over all of them "
                "at every step. Are item or user ids used as events? Give it fewer types: "
                f"keep the most frequent (np.bincount(seqs.events) ranks them) and map "
                "the rest to one 'other' label, or hash the labels into a fixed number of "
                "buckets (e.g. hash(label) % 1024), then rebuild with "
                "Sequences.from_arrays(seqs.offsets, new_labels[seqs.events], "
                "times=seqs.times, time_unit='ns', ids=seqs.ids); or raise max_event_types if "
                "the memory "
                "allows"
            )
        return labels[used] if n_types < len(labels) else labels

    def _codes(self, seqs) -> np.ndarray:
        """The model's tokens for the events: 4 + the fitted event code, 1 (unknown)
        for events never seen in fit."""
        n_special = _N_SPECIAL
        mapping = self.event_labels_.get_indexer(seqs.event_labels)
        tokens = np.where(mapping < 0, _UNKNOWN, mapping + n_special).astype(np.int64)
        return tokens[seqs.events]

    def _windows(self, seqs) -> _Windows:
        offsets = np.asarray(seqs.offsets, dtype=np.int64)
        return _Windows(self._codes(seqs), offsets, int(self.max_length), self.end_symbol)

    # -------------------------------------------------------------- the network
    def _network(self):
        """The fitted network (rebuilt from the saved weights after a load)."""
        net = getattr(self, "_net", None)
        if net is None:
            torch = _torch()
            net = self._build()
            net.load_state_dict(
                {k: torch.from_numpy(np.array(v)) for k, v in self._weights.items()}
            )
            net.to(self._device(torch))
            net.eval()
            self._net = net
        return net

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_net", None)  # the weights are in _weights, as NumPy arrays
        state.pop("_count_index", None)  # rebuilt from _count_vectors
        return state

    # -------------------------------------------------------------- fit
    def fit(self, X, y=None, normal: bool = False):
        """Train the network on Sequences ``X`` (``y`` is ignored) and score them.

        Parameters
        ----------
        X : Sequences
        y : ignored
        normal : bool, default=False
            False (unsupervised): ``X`` may hold anomalies; ``contamination="auto"``
            cuts where the generalized Pareto tail of the training scores puts
            ``false_alarm_rate`` of normal sequences, moved up into a clear gap above
            it if there is one (:func:`oddseq.detect.auto_cut`, the pipeline's rule).
            True (normal-only, DeepLog's setting): ``X`` is normal behaviour; the cut is
            :func:`oddseq.detect.normal_cut` of scores of normal sequences the network
            never trained on (``validation_scores_``): out-of-fold scores of every fit
            sequence, from ``n_folds`` more fits of the same model on the other folds
            (LSTMDetector's each with its count term against those folds only), as
            ``AnomalyPipeline(...).fit(..., normal=True)`` cuts; with ``n_folds=0``
            (and for models saved before the parameter existed), the scores of the
            held-out part (``validation_fraction``, a tenth: too few to place a cut of
            1% or less). With ``contamination="auto"`` the support rule is tried too
            (``support_rule_``, see LSTMDetector's docstring).
        """
        self._check_params()
        if not isinstance(normal, (bool, np.bool_)):
            raise TypeError(f"normal must be True or False, got {normal!r}")
        who = f"{type(self).__name__}.fit"
        seqs = self._check_seqs(X, who)
        torch = _torch()
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        rng = np.random.default_rng(seed)
        n = len(seqs)
        n_val = int(round(self.validation_fraction * n)) if n >= 2 else 0
        if self.validation_fraction > 0 and n >= 2:
            n_val = min(max(n_val, 1), n - 1)
        if normal and n_val < 1:
            raise ValueError(
                f"{who}(normal=True) cuts at the scores of a held-out part: give "
                "validation_fraction > 0 and at least 2 sequences"
            )
        # Refits only where the cut reads them (a float contamination cuts at the
        # training scores' quantile).
        cut_reads_folds = normal and self.contamination == "auto"
        folds = self.n_folds_ = self._cut_folds(n_val, self._rate(True)) if cut_reads_folds else 0
        if normal and folds and n < 2 * folds:
            raise ValueError(
                f"{who}(normal=True) cuts at out-of-fold scores of n_folds={folds} refits: "
                f"give at least {2 * folds} sequences, or n_folds=0 to cut at the held-out "
                f"part's scores; got {n}"
            )
        self.event_labels_ = self._vocabulary(seqs, who)
        self.n_tokens_ = len(self.event_labels_) + _N_SPECIAL
        # The known events, the unknown token and the end.
        ranked = len(self.event_labels_) + 1 + bool(self.end_symbol)
        self.top_g_ = -(-ranked // 3) if isinstance(self.top_g, str) else int(self.top_g)
        self.device_ = self._device(torch)
        # The draws (the held-out part, the batches, the folds) are over the sequences
        # in an order of their content, not their position: renamed entities (sequences
        # reordered) draw the same. The parts list their sequences in that order.
        content = content_order(self._codes(seqs), seqs.offsets, seqs.times)
        order = rng.permutation(n)
        val_idx, train_idx = content[np.sort(order[:n_val])], content[np.sort(order[n_val:])]
        self._seen_pairs = self._pairs(seqs)
        train = self._windows(seqs.take(train_idx))
        val = self._windows(seqs.take(val_idx)) if n_val else None
        started = time.perf_counter()
        workers = self._workers(torch)
        # Training runs on one intra-op thread per worker (see _train).
        with torch.random.fork_rng(devices=[]), _threads(torch, 1):
            torch.manual_seed(seed)
            self._train(torch, train, val, rng, workers)
        self.fit_time_ = time.perf_counter() - started
        _warn_if_blown_up(self.history_, who, self.learning_rate, type(self)().learning_rate)
        self.count_novelty_ = self._count_novelty_on(normal)
        self.normal_ = bool(normal)
        self._validation_rows = val_idx
        self.cut_fit_time_ = 0.0
        refit = self.__dict__.pop("_refit_of", None)
        if refit is not None:
            # A refit of _out_of_fold_scores: only the network and the count reference
            # (read from the first fit's table) are used; its own scores are not.
            table, rows = refit
            if self.count_novelty_:
                self._set_count_reference(table, rows)
            return self
        own_bits = val_bits = table = None
        if self.count_novelty_:
            # One neighbour search over the fit sequences' counts serves every count
            # reference of this fit (all, the training part, the refits' folds).
            table = CountTable(self._count_matrix(seqs), workers)
            own_bits = self._set_count_reference(table, np.arange(n))
            if normal and folds < 2:
                # The held-out part's count term against the training part alone, as
                # its step scores come from a network that never saw it (the cut's
                # reference).
                reference = _CountReference.of_part(table, train_idx)
                val_bits = reference.bits_at(table.distance_to(train_idx, val_idx))
        self.statistics_ = self._statistics(seqs, count_bits=own_bits)
        scores = self._combine(self.statistics_)
        bad = int(np.count_nonzero(~np.isfinite(np.asarray(scores, dtype=np.float64))))
        if bad:
            # (The cut would refuse them as "scores must be finite ... drop or impute them
            # first", of data the user never gave.)
            raise ValueError(
                f"{who}: the training diverged: {bad:,} of the {len(seqs):,} sequences "
                f"score NaN or infinity (learning_rate={self.learning_rate!r}); lower "
                f"learning_rate (the default is {type(self)().learning_rate})"
            )
        if normal and folds >= 2:
            started = time.perf_counter()
            self.validation_scores_ = self._out_of_fold_scores(seqs, seed, table, content)
            self.cut_fit_time_ = time.perf_counter() - started
        elif normal and val_bits is not None:
            held = self.statistics_.iloc[val_idx].copy()
            held["count_bits"] = val_bits
            self.validation_scores_ = self._combine(held)
        else:
            self.validation_scores_ = scores[val_idx] if normal else None
        self.support_rule_, self.novelty_rate_ = False, None
        for stale in ("_support_inside", "_support_low", "_support_high"):  # an earlier fit's
            self.__dict__.pop(stale, None)
        if normal and self.contamination == "auto":
            self._fit_support(seqs, val_idx, seed, folds, content)
        self._set_threshold(scores)
        return self

    # AnomalyPipeline fitted normal-only lets the model fit normal-only and cut itself
    # (its out-of-fold scores, its support rule, the LSTM's count term) instead of
    # refitting it per fold.
    _own_normal_cut = True

    def _fit_support(self, seqs, val_idx, seed: int, folds: int, content) -> None:
        """Normal-only fitting's support rule (``support_rule_``), as
        ``AnomalyPipeline``'s: flag what the normal sequences never did. A sequence
        outside their support (a step, previous event -> event, that none of them
        takes, the end included; an event type none has; more or fewer events of a
        type than any has) is flagged whatever its score; the rest are cut at what is
        left of the false-alarm rate among the reference scores of the normal
        sequences inside the support, strictly above all of them where ties fill their
        top. The rule holds only where it keeps the promise: its own false-alarm rate
        measured as the cut is (each reference sequence against the support of the
        other folds, or of the training part for the held-out part; ``novelty_rate_``)
        is below the rate; else the plain cut stays."""
        n = len(seqs)
        codes = self._codes(seqs)
        offsets = np.asarray(seqs.offsets, dtype=np.int64)
        n_tokens = int(self.n_tokens_)
        owner, pairs = step_pairs(codes, offsets, n_tokens, bool(self.end_symbol))
        counts = self._count_matrix(seqs)
        if folds >= 2:  # the folds of _out_of_fold_scores, each against the others
            group, reference = folds_in_order(content, folds, seed), np.arange(n)
            n_groups, judged = folds, range(folds)
        else:  # the held-out part against the training part
            group = np.ones(n, dtype=np.int64)
            group[val_idx] = 0
            reference, n_groups, judged = val_idx, 2, [0]
        outside = outside_other_groups(
            counts, owner, pairs, n_tokens * n_tokens, group, n_groups, judged
        )[reference]
        novelty = float(outside.mean())
        self.novelty_rate_ = novelty
        if novelty >= self._rate(True) or outside.all():
            return
        self.support_rule_ = True
        self._support_inside = ~outside
        self._support_low, self._support_high = counts.min(axis=0), counts.max(axis=0)

    def _outside_support(self, seqs) -> np.ndarray:
        """Sequences outside the fit sequences' support (see :meth:`_fit_support`)."""
        counts = self._count_matrix(seqs)
        outside = ((counts < self._support_low) | (counts > self._support_high)).any(axis=1)
        offsets = np.asarray(seqs.offsets, dtype=np.int64)
        owner, pairs = step_pairs(self._codes(seqs), offsets, self.n_tokens_, self.end_symbol)
        outside[owner[~self._seen_pairs.ravel()[pairs]]] = True
        return outside

    def predict(self, X):
        """1 for anomalies (score above ``threshold_`` or, where normal-only fitting's
        support rule holds, ``support_rule_``, outside the normal sequences' support),
        0 otherwise."""
        flags = super().predict(X)
        if getattr(self, "support_rule_", False):
            seqs = self._check_seqs(X, f"{type(self).__name__}.predict")
            flags = flags | self._outside_support(seqs)
        return flags

    def _cut_folds(self, n_held_out: int, rate: float) -> int:
        """``n_folds`` (0 for files saved before the model had it: the held-out part's
        scores set the normal-only cut). "auto": 0 where the held-out part holds
        at least ``_HELD_OUT_EXCEEDANCES`` scores beyond the cut's quantile, else
        ``_AUTO_FOLDS``."""
        folds = getattr(self, "n_folds", 0)
        if isinstance(folds, str):  # "auto"
            enough = n_held_out * rate >= _HELD_OUT_EXCEEDANCES
            return 0 if enough else _AUTO_FOLDS
        return int(folds)

    def _out_of_fold_scores(self, seqs, seed: int, table, content) -> np.ndarray:
        """Each fit sequence's score from a model fitted as this one (the same
        parameters, ``fit(..., normal=True)``) on the other ``n_folds - 1`` folds:
        its step scores from a network that never saw it, its count term against
        those folds' counts only. A clean sample of how normal sequences the model
        never saw score, one per fit sequence (the held-out part alone holds a tenth).
        The refits train their networks only: their count references are read from
        this fit's ``table`` (:class:`~oddseq.neural._counts.CountTable`), and they
        score nothing but their left-out fold."""
        k = self.n_folds_
        # The folds over the sequences in their content order (``content``:
        # ``content_order``), each fold's sequences listed in it.
        fold = folds_in_order(content, k, seed)[content]
        params = {**self.get_params(), "n_folds": 0}
        need = "surprisal" if self._statistic in ("mean", "max") else "score"
        scores = np.empty(len(seqs), dtype=np.float64)
        for j in range(k):
            rows, kept = content[fold == j], content[fold != j]
            twin = type(self)(**{**params, "random_state": (seed + 1 + j) % (2**31 - 1)})
            twin._refit_of = (table, kept)
            twin.fit(seqs.take(kept), normal=True)
            bits = None
            if twin.count_novelty_:
                bits = twin._count_index.bits_at(table.distance_to(kept, rows))
            scores[rows] = twin._combine(twin._statistics(seqs.take(rows), need, bits))
        return scores

    def _count_novelty_on(self, normal: bool) -> bool:
        """Whether the count term is used: ``count_novelty`` (``"auto"``: with
        normal-only fitting, the only case where the fit sequences are a reference of
        normal counts)."""
        value = self.count_novelty
        return bool(normal) if isinstance(value, str) else bool(value)

    def _count_matrix(self, seqs) -> np.ndarray:
        """Per sequence, how many events of each token (known types and the unknown
        token): rows of ``n_tokens_`` counts."""
        codes = self._codes(seqs)
        lengths = np.asarray(seqs.lengths, dtype=np.int64)
        owner = np.repeat(np.arange(lengths.size), lengths)
        n_tokens = int(self.n_tokens_)
        flat = np.bincount(owner * n_tokens + codes, minlength=lengths.size * n_tokens)
        return flat.reshape(lengths.size, n_tokens).astype(np.float64)

    def _set_count_reference(self, table, rows: np.ndarray) -> np.ndarray:
        """Keep the count reference of the fit sequences ``rows`` (read from their
        ``table``; saved as arrays); return each one's own count term (its
        leave-one-out distance against the others')."""
        reference = _CountReference.of_part(table, rows)
        self._count_vectors, self._count_reference = reference.vectors, reference.loo
        self._count_index = reference
        return reference.own_bits()

    def _count_bits(self, seqs) -> np.ndarray:
        reference = getattr(self, "_count_index", None)
        if reference is None:
            threads = self._workers(_torch())
            reference = _CountReference.of(self._count_vectors, self._count_reference, threads)
            self._count_index = reference
        return reference.bits(self._count_matrix(seqs))

    def _pairs(self, seqs) -> np.ndarray:
        """Which (previous, next) token pairs occur in ``seqs`` (start and end included):
        ``explain``'s ``seen``."""
        n_tokens = int(self.n_tokens_)
        offsets = np.asarray(seqs.offsets, dtype=np.int64)
        _, pairs = step_pairs(self._codes(seqs), offsets, n_tokens, bool(self.end_symbol))
        seen = np.zeros(n_tokens * n_tokens, dtype=bool)
        seen[pairs] = True
        return seen.reshape(n_tokens, n_tokens)

    def _rate(self, normal: bool) -> float:
        """``false_alarm_rate``, or the project's default for the way of fitting:
        0.005 normal-only (as ``AnomalyPipeline`` and ``oddseq detect --normal``), 0.01
        unsupervised."""
        if self.false_alarm_rate:
            return self.false_alarm_rate
        return DEFAULT_NORMAL_FALSE_ALARM_RATE if normal else DEFAULT_FALSE_ALARM_RATE

    def _auto_threshold(self, scores):
        if self.normal_:  # scores of held-out normal sequences: a clean sample
            if getattr(self, "support_rule_", False):
                # What is left of the rate, among those inside the support.
                novelty, rate = self.novelty_rate_, self._rate(True)
                inside = self.validation_scores_[self._support_inside]
                return _normal_cut(inside, (rate - novelty) / (1 - novelty), above_ties=True)
            return normal_cut(self.validation_scores_, self._rate(True))
        return auto_cut(scores, self._rate(False))

    def _loss(self, net, tokens, mask, torch):
        """Mean loss of a whole batch (off the CPU, where batches are not sharded)."""
        return self._loss_sum(net, tokens, mask, torch) / mask.sum()

    def _workers(self, torch) -> int:
        """Worker threads for training and scoring: ``n_threads``, or torch's current
        intra-op thread count when None."""
        return int(self.n_threads) if self.n_threads is not None else torch.get_num_threads()

    def _train(self, torch, train: _Windows, val, rng, workers: int = 1):
        """Adam on bucketed batches; the held-out part is checked at the end of every
        epoch and every ``_CHECK_EVERY`` batches within one (on large data training
        converges within an epoch), the best weights kept, and training stops after
        ``patience`` checks without a gain of ``tol`` bits per event. Where a subclass
        sets them, the rate warms up linearly over ``warmup_steps`` (at most an
        epoch's batches) and is multiplied by ``lr_decay`` after each check without
        a gain.

        Runs on one intra-op thread (set by ``fit``): on busy cores torch's intra-op
        threads spun on every small kernel (5-10x slower, benchmarks/RESULTS.md).
        On the CPU the data-parallel models cut every batch into ``_TRAIN_SHARDS``
        shards whose gradients ``workers`` threads compute and which are summed in
        shard order: the same model whatever the worker count. The others (dropout
        drawn from torch's global generator) train batch by batch on this thread."""
        net = self._build().to(self.device_)
        params = [p for p in net.parameters() if p.requires_grad]
        lr = float(self.learning_rate)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        sharded = self._data_parallel and str(self.device_) == "cpu"
        base_seed = int(rng.integers(2**62)) if sharded and self._draws_in_training else None
        n_steps_done = 0
        # At most an epoch's batches, so that tiny data still reaches the full rate.
        warmup = min(int(self.warmup_steps), -(-len(train) // int(self.batch_size)))
        best, best_state, stale = np.inf, None, 0
        self.history_ = []
        done = False
        pool = (
            ThreadPoolExecutor(min(workers, _TRAIN_SHARDS), thread_name_prefix="oddseq-train")
            if sharded and workers > 1
            else None
        )

        def gradient(job):
            """One shard: its summed loss and its gradient of loss / batch targets."""
            index, n_targets, generator = job
            tokens, mask = train.tensors(torch, index, self.device_)
            loss = self._loss_sum(net, tokens, mask, torch, generator)
            grads = torch.autograd.grad(loss / n_targets, params, allow_unused=True)
            return float(loss.detach()), grads

        try:
            for epoch in range(int(self.max_epochs)):
                batches = train.batches(int(self.batch_size), rng, self._batch_pool)
                total, count = 0.0, 0
                for b, index in enumerate(batches, start=1):
                    net.train()
                    if n_steps_done < warmup:  # linear warm-up to the learning rate
                        for group in optimizer.param_groups:
                            group["lr"] = lr * (n_steps_done + 1) / warmup
                    n_steps_done += 1
                    if sharded:
                        shards = np.array_split(index, min(_TRAIN_SHARDS, index.size))
                        n_targets = int((train.lengths[index] + train.last[index]).sum())
                        jobs = [
                            (
                                shard,
                                n_targets,
                                None
                                if base_seed is None
                                else torch.Generator().manual_seed(
                                    base_seed + n_steps_done * _TRAIN_SHARDS + j
                                ),
                            )
                            for j, shard in enumerate(shards)
                        ]
                        results = list((pool.map if pool else map)(gradient, jobs))
                        for k, param in enumerate(params):
                            parts = [grads[k] for _, grads in results if grads[k] is not None]
                            summed = parts[0] if parts else torch.zeros_like(param)
                            for part in parts[1:]:  # in shard order
                                summed = summed + part
                            param.grad = summed
                        total += sum(loss for loss, _ in results)
                        count += n_targets
                    else:
                        tokens, mask = train.tensors(torch, index, self.device_)
                        loss = self._loss(net, tokens, mask, torch)
                        optimizer.zero_grad()
                        loss.backward()
                        n_steps = int(mask.sum())
                        total += float(loss.detach()) * n_steps
                        count += n_steps
                    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                    optimizer.step()
                    if b % _CHECK_EVERY and b < len(batches):
                        continue
                    record = {
                        "epoch": round(epoch + b / len(batches), 3),
                        "train_loss": total / max(count, 1) / _LN2,
                        "learning_rate": optimizer.param_groups[0]["lr"],
                    }
                    total, count = 0.0, 0
                    if val is not None:
                        net.eval()
                        record["validation_loss"] = self._validation_loss(net, val, torch, workers)
                        if record["validation_loss"] < best - float(self.tol):
                            best, stale = record["validation_loss"], 0
                            best_state = {
                                k: v.detach().clone() for k, v in net.state_dict().items()
                            }
                        else:
                            stale += 1
                            lr *= float(self.lr_decay)
                            for group in optimizer.param_groups:
                                group["lr"] = min(group["lr"], lr)
                    self.history_.append(record)
                    if val is not None and stale >= int(self.patience):
                        done = True
                        break
                if done:
                    break
        finally:
            if pool is not None:
                pool.shutdown()
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self.n_epochs_ = epoch + 1
        self._net = net
        self._weights = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}

    def _validation_loss(self, net, val: _Windows, torch, workers: int = 1) -> float:
        """Mean surprisal (bits) of the held-out events."""
        return float(self._steps(net, val, torch, "surprisal", workers)["surprisal"].mean())

    # -------------------------------------------------------------- scoring
    def _score_tokens(self) -> int:
        """Padded steps per scoring batch."""
        return _SCORE_TOKENS * self._score_batch_scale

    @staticmethod
    def _map_batches(torch, run, batches, device, workers=None):
        """``run`` over the batches, in order: on the CPU in ``workers`` threads (None:
        as many as torch has intra-op threads, the caller's ``n_threads``), each batch
        on one thread. Scoring batches are small (``_SCORE_TOKENS`` steps), and splitting one
        small kernel over cores lost more to waking them than it gained; a batch per
        core scales, and the results are the same whatever the thread count (each
        batch is computed alone, in one thread, either way)."""
        if str(device) != "cpu":
            yield from map(run, batches)
            return
        workers = min(torch.get_num_threads() if workers is None else workers, len(batches))
        before = torch.get_num_threads()
        # One intra-op thread per batch, set before the pool starts (torch's threads
        # take the count when they begin).
        torch.set_num_threads(1)
        try:
            if workers < 2:
                yield from map(run, batches)
            else:
                with ThreadPoolExecutor(workers, thread_name_prefix="oddseq-neural") as pool:
                    yield from pool.map(run, batches)
        finally:
            torch.set_num_threads(before)

    def _steps(self, net, windows: _Windows, torch, need: str = "score", workers=None) -> dict:
        """Per event (flat, aligned with the sequences' events): ``surprisal`` in bits
        and, as ``need`` asks, ``miss`` (outside the top-g; "score" and "explain"),
        ``expected`` (the most likely token) and, where the model has it,
        ``attended`` (flat position attended most, -1 for none; both "explain"); per
        sequence the same for its end (``end_surprisal``, ``end_miss``,
        ``end_expected``; zero, False, -1 without ``end_symbol``).

        Windows with the same tokens are computed once (their scores are the same:
        log sessions repeat), in length-sorted batches of at most ``_score_tokens()``
        padded steps (or one window), under ``torch.inference_mode``."""
        n = windows.codes.size
        n_seqs = int(windows.owner[-1]) + 1 if len(windows) else 0
        explain = need == "explain"
        with_miss = need != "surprisal"
        out = {"surprisal": np.empty(n), "end_surprisal": np.zeros(n_seqs)}
        if with_miss:
            out["miss"] = np.empty(n, dtype=bool)
            out["end_miss"] = np.zeros(n_seqs, dtype=bool)
        if explain:
            out["expected"] = np.empty(n, dtype=np.int64)
            out["end_expected"] = np.full(n_seqs, -1, dtype=np.int64)
            if self._has_attention:
                out["attended"] = np.full(n, -1, dtype=np.int64)
        # The distinct windows, in an order of their content (explaining too: attention
        # positions are kept as steps within the window, placed in each copy's own
        # window after), so every copy of a window gets the same bits and the batches
        # do not depend on the sequences' order.
        unique, inverse = windows.unique()
        if inverse is not None:  # the per-window results, spread to the copies after
            results = {k: np.empty(unique.codes.size, dtype=v.dtype) for k, v in out.items()}
            results.update(
                {k: np.zeros(len(unique), dtype=v.dtype) for k, v in out.items() if k[:4] == "end_"}
            )
        else:
            results = out
        device = next(net.parameters()).device
        g = self.top_g_

        def run(index):
            """One batch: its per-step results at the flat positions of its events."""
            with torch.inference_mode():
                tokens, mask = unique.tensors(torch, index, device)
                result = self._log_probs(net, tokens, mask, torch, explain)
                log_probs, attended = result if isinstance(result, tuple) else (result, None)
                target = log_probs.gather(2, tokens[..., None])
                per_step = {"surprisal": (-target[..., 0] / _LN2).cpu().numpy()}
                if with_miss:
                    above = (log_probs > target).sum(dim=2).cpu().numpy()
                    # An event never seen in fit is a miss whatever its rank (DeepLog).
                    per_step["miss"] = (above >= g) | (tokens.cpu().numpy() == _UNKNOWN)
                if explain:
                    per_step["expected"] = log_probs.argmax(dim=2).cpu().numpy()
                if attended is not None:
                    attended = attended.cpu().numpy()
            lengths = unique.lengths[index]
            steps = np.arange(per_step["surprisal"].shape[1])
            events = steps[None, :] < lengths[:, None]
            flat = (unique.starts[index][:, None] + steps[None, :])[events]
            last = np.flatnonzero(unique.last[index])
            owner, at = unique.owner[index][last], lengths[last]
            values = {key: v[events] for key, v in per_step.items()}
            ends = {"end_" + key: v[last, at] for key, v in per_step.items()}
            if attended is not None:  # the step within the window, -1 for none
                inside = (attended >= 0) & (attended < lengths[:, None])
                values["attended"] = np.where(inside, attended, -1)[events]
            return flat, owner, values, ends

        for flat, owner, values, ends in self._map_batches(
            torch, run, unique.scoring_batches(self._score_tokens()), device, workers
        ):
            for key, v in values.items():
                if key in results:
                    results[key][flat] = v
            for key, v in ends.items():
                results[key][owner] = v
        if inverse is not None:
            positions = windows.positions_in(unique, inverse)
            last = np.flatnonzero(windows.last)
            for key, values in results.items():
                if key.startswith("end_"):
                    out[key][windows.owner[last]] = values[inverse[last]]
                else:
                    out[key] = values[positions]
        if "attended" in out:  # the flat position of the step attended
            window_start = np.repeat(windows.starts, windows.lengths)
            out["attended"] = np.where(out["attended"] >= 0, window_start + out["attended"], -1)
        return out

    def _statistics(self, seqs, need: str = "score", count_bits=None) -> pd.DataFrame:
        """The per-sequence statistics; with ``need="surprisal"`` only the surprisal
        columns (what "mean" and "max" rank by: the top-g test, a pass over every
        step's scores, is then skipped); with the count term (``count_novelty_``)
        also ``count_bits`` (``count_bits`` given: those, else measured against the
        fit sequences' counts)."""
        torch = _torch()
        with _threads(torch, self.n_threads):
            steps = self._steps(self._network(), self._windows(seqs), torch, need)
        starts = np.asarray(seqs.offsets[:-1], dtype=np.int64)
        lengths = np.asarray(seqs.lengths, dtype=np.float64)
        # The end counts as one more step where the model predicts it (end_symbol).
        scored = lengths + bool(self.end_symbol)
        total = np.add.reduceat(steps["surprisal"], starts) + steps["end_surprisal"]
        columns = {
            "mean_surprisal": total / scored,
            "max_surprisal": np.maximum(
                np.maximum.reduceat(steps["surprisal"], starts), steps["end_surprisal"]
            ),
        }
        if "miss" in steps:
            misses = np.add.reduceat(steps["miss"].astype(np.float64), starts) + steps["end_miss"]
            columns["outside_top_g"] = misses
            columns["outside_top_g_share"] = misses / scored
        if getattr(self, "count_novelty_", False):
            columns["count_bits"] = self._count_bits(seqs) if count_bits is None else count_bits
        return pd.DataFrame(columns, index=seqs.ids)

    # Whether ``statistic="auto"`` is taken (TransformerDetector: by the objective).
    _auto_statistic = False

    @property
    def _statistic(self) -> str:
        """The statistic that ranks: ``statistic`` (``"auto"`` resolved where taken)."""
        return self.statistic

    def _combine(self, stats: pd.DataFrame) -> np.ndarray:
        statistic = self._statistic
        if statistic == "surprise":
            return (stats["outside_top_g"] + stats["max_surprisal"] / 100).to_numpy(np.float64)
        score = stats[_STATISTIC[statistic]].to_numpy(dtype=np.float64)
        if "count_bits" in stats and statistic in ("max", "mean"):
            score = score + stats["count_bits"].to_numpy(dtype=np.float64)
        return score

    def statistics(self, X) -> pd.DataFrame:
        """Per sequence: mean and max surprisal (bits per event), the number and share of
        events outside the model's top-g (DeepLog's misses) and, with the count term
        (``count_novelty_``), ``count_bits``; indexed by sequence id."""
        check_is_fitted(self, "event_labels_")
        return self._statistics(self._check_seqs(X, f"{type(self).__name__}.statistics"))

    def decision_function(self, X):
        """Score of each sequence (higher = more anomalous): the ``statistic`` column of
        :meth:`statistics`."""
        check_is_fitted(self, "event_labels_")
        seqs = self._check_seqs(X, f"{type(self).__name__}.decision_function")
        need = "surprisal" if self._statistic in ("mean", "max") else "score"
        return self._combine(self._statistics(seqs, need))

    def explain(self, X, top=3):
        """The most improbable steps of each sequence: ``feature`` ("previous → event"),
        ``value`` (the event), ``typical`` (the event the model expected there),
        ``probability``, ``deviation`` (surprisal in bits), ``share`` (of the sequence's
        total surprisal), ``outside_top_g``, ``seen`` (whether that transition occurred
        in fit) and ``position`` (0-based; "end" for the end
        of the sequence when ``end_symbol``; its start and end read "(start)" and
        "(end)" in ``feature``, ``value`` and ``typical``, apart from event types named
        "start" or "end"); the Transformer adds ``attended`` and ``attended_position``,
        the step its attention weighed most when it recovered this one. Indexed by
        (sequence id, rank)."""
        check_is_fitted(self, "event_labels_")
        top = check_positive_int(top, "top")
        seqs = self._check_seqs(X, f"{type(self).__name__}.explain")
        torch = _torch()
        with _threads(torch, self.n_threads):
            steps = self._steps(self._network(), self._windows(seqs), torch, "explain")
        labels = np.array([str(v) for v in seqs.event_labels], dtype=object)
        names = np.array(
            ["(padding)", "(unseen event)", "(start)", "(mask)", "(end)"]
            + [str(v) for v in self.event_labels_],
            dtype=object,
        )
        records = []
        offsets = np.asarray(seqs.offsets, dtype=np.int64)
        codes = self._codes(seqs)
        for s in range(len(seqs)):
            begin, end = int(offsets[s]), int(offsets[s + 1])
            length = end - begin
            bits = steps["surprisal"][begin:end]
            if self.end_symbol:
                bits = np.append(bits, steps["end_surprisal"][s])
            total = float(bits.sum())
            for r, j in enumerate(np.argsort(-bits, kind="stable")[:top], start=1):
                at = begin + j
                is_end = j == length
                value = "(end)" if is_end else labels[seqs.events[at]]
                previous = labels[seqs.events[at - 1]] if j > 0 else "(start)"
                record = {
                    "row": seqs.ids[s],
                    "rank": r,
                    "feature": f"{previous} → {value}",
                    "value": value,
                    "typical": names[steps["end_expected"][s] if is_end else steps["expected"][at]],
                    "probability": float(2.0 ** -bits[j]),
                    "deviation": float(bits[j]),
                    "share": float(bits[j] / total) if total > 0 else 0.0,
                    "outside_top_g": bool(steps["end_miss"][s] if is_end else steps["miss"][at]),
                    "seen": bool(
                        self._seen_pairs[
                            codes[at - 1] if j > 0 else _START, _END if is_end else codes[at]
                        ]
                    ),
                    "position": "end" if is_end else int(j),
                }
                if "attended" in steps:
                    where = -1 if is_end else int(steps["attended"][at])
                    record["attended"] = labels[seqs.events[where]] if where >= 0 else None
                    record["attended_position"] = where - begin if where >= 0 else -1
                records.append(record)
        return pd.DataFrame.from_records(records).set_index(["row", "rank"])

    _has_attention = False


_COMMON_DOC = """
    max_length : int
        Longest window the network sees. Longer sequences are cut into consecutive
        windows of ``max_length`` events, each read on its own (context does not carry
        across a cut); a sequence's statistics pool all of its events.
    max_event_types : int, default=2000
        Most event types the model takes: it learns an embedding of each and a
        softmax over all of them at every step (a training batch holds
        ``batch_size`` x ``max_length`` x types scores). More types in fit raise a
        ValueError that says how to have fewer; item ids used as events are the
        usual cause.
    end_symbol : bool, default=True
        Also predict where the sequence ends (a sequence that stops where normal ones
        go on is odd: a truncated HDFS block); the end counts as one more step.
    statistic : {"mean", "max", "topg", "surprise"}, or "auto" (TransformerDetector)
        Default "max" ("mean", the reconstruction error, for the autoencoder; "auto"
        for TransformerDetector: "surprise" with ``objective="next"``, "max" with
        "masked", each objective's best measured reading; files saved before "auto"
        keep the statistic they were saved with). What
        ranks the sequences: the mean or the maximum surprisal (bits) of their
        steps, the share of steps outside the model's ``top_g`` (DeepLog's rule), or
        "surprise": the number of such misses + max surprisal / 100 (as
        :class:`~oddseq.detect.MarkovDetector`).
    top_g : int or "auto", default="auto"
        An event outside the ``top_g`` most likely counts as a miss, and so does an
        event type never seen in fit (DeepLog's rule); "auto" is a third of the known
        event types plus the unknown token and the end, rounded up. Used: ``top_g_``.
    max_epochs : int
        Passes over the training windows at most.
    batch_size : int, default=512
        Windows per batch; batches hold windows of similar length (bucketed), so short
        and long sequences do not pad one another.
    learning_rate : float, default=0.01 (0.003 for TransformerDetector)
        Adam's step size (TransformerDetector: see also ``warmup_steps`` and
        ``lr_decay``).
    validation_fraction : float in [0, 1), default=0.1
        Share of the sequences held out: training stops when their mean surprisal has
        not improved by ``tol`` bits per event for ``patience`` checks (one per
        epoch, and one per 64 batches within an epoch; the best weights are kept),
        and with
        ``fit(..., normal=True)`` their scores set the cut. 0: no held-out part.
    patience : int, default=2
    tol : float, default=0.002
        The least gain in held-out bits per event that counts as an improvement.
    contamination : float in (0, 0.5] or "auto", default="auto"
        A float flags that top share of the training scores; "auto" cuts by
        ``auto_cut`` (unsupervised) or ``normal_cut`` of scores of normal sequences
        the network never saw (normal: see ``fit``).
    false_alarm_rate : float or None
        The "auto" cut's share of normal sequences flagged (default: 0.005 fitted
        normal-only, as ``AnomalyPipeline`` and ``oddseq detect --normal``; 0.01
        unsupervised).
    device : {"auto", "cpu", "cuda"}, default="auto"
        "auto": a GPU when torch sees one, else the CPU.
    random_state : int, RandomState or None, default=0
        Seeds the weights, the split and the batch order: on the CPU the same seed
        gives the same model whatever ``n_threads``. The split, batches and folds are
        drawn over the sequences ordered by a key of their content (events and times),
        not their position, and windows are scored in an order of their content: the
        same sequences in another order (renamed entities) give the same scores, bit
        for bit.
    n_threads : int or None
        Worker threads, each on one torch intra-op thread (None: as many as torch's
        current setting, ``torch.get_num_threads()``). Batches are too small to split
        one kernel over cores well (on busy cores torch's own threads spun, 5-10x
        slower), so the work is split instead. Fitting: every batch is cut into 4
        shards whose gradients the workers compute and which are summed in a fixed
        order (TransformerDetector with ``objective="masked"``, whose dropout and
        hiding draw from torch's global generator, trains batch by batch on one
        thread and checks the held-out part on the workers). Scoring: the workers
        take whole batches. So the model and the scores are the same whatever the
        count.
"""


# TransformerDetector's and SequenceAutoencoder's n_folds (LSTMDetector documents its
# own, with its count term).
_N_FOLDS_DOC = """
    n_folds : int or "auto", default="auto"
        Normal-only fitting (``fit(..., normal=True)``): the cut reads out-of-fold
        scores of every fit sequence, each from a model fitted with these parameters
        on the other ``n_folds - 1`` folds, and the support rule is tried, both as
        :class:`LSTMDetector`'s (see there; "auto": 5 refits where the held-out part
        holds fewer than 50 scores beyond the cut's quantile, else none; 0: the
        held-out part's scores, one fit). ``AnomalyPipeline`` fitted normal-only
        takes this cut and rule, where it refitted the model, fitted unsupervised,
        ``n_folds`` times before. Measured there (the same networks; HDFS and the
        shop generators at seeds 0-3, 40 cells, rate 0.005; benchmarks/RESULTS.md,
        neural, ninth session, H4), own-cut F1 rose in every cell. On HDFS it went
        from 0.45 to 0.89 for the Transformer and from 0.68 to 0.88 for the
        autoencoder; on the shops, from 0.29 to 0.50 and from 0.27 to 0.48. Nearly
        all of it is the support rule's: without it, 0.49 / 0.66 and 0.29 / 0.26.
        The held-out tenth's cut alone flagged 0.9-2.9% of held-out normal
        sequences on average (the out-of-fold cut 0.4-0.7%). The refits cost
        about ``n_folds - 1`` more trainings (``cut_fit_time_``), as the LSTM's.
        Unsupervised fitting and a float ``contamination`` do not read it; models
        saved before it existed cut at the held-out part (0)."""


class LSTMDetector(_NeuralDetector):
    __doc__ = (
        """Sequences whose next events an LSTM trained on them finds improbable
    (DeepLog, Du et al., CCS 2017).

    The network reads each sequence event by event (event embeddings into an LSTM)
    and predicts a distribution over the next event; every event gets its surprisal
    (-log2 of its predicted probability) and counts as a miss when it lies outside the
    ``top_g`` most likely. Unlike count features it sees order: the same events in an
    unusual order score high. Events never seen in fit map to one unknown token (the
    network learns that it never comes, so it scores high). Needs PyTorch
    (``pip install "oddseq[neural]"``).

    Parameters
    ----------
    embedding_dim : int, default=16
    hidden_dim : int, default=64
    n_layers : int, default=1
    count_novelty : {"auto", True, False}, default="auto"
        Add the count term to the "max" or "mean" score: how far the sequence's
        event counts lie from every fit sequence's (L1 distance to the nearest fit
        count vector), as a conformal p-value against the fit sequences'
        leave-one-out distances, in bits (0 for counts some fit sequence has,
        ``log2(n + 1)`` beyond every one). "auto": with ``fit(..., normal=True)``,
        where the fit sequences are a reference of normal counts. It reads the whole
        sequence at once, which a next-event model does not: on HDFS (normal-only)
        the best-cut F1 rose from 0.88-0.93 to 0.97-0.99 (benchmarks/RESULTS.md).
        ``statistics`` reports it as ``count_bits``; the held-out part's term, which
        the cut reads, is measured against the training part only.
    n_folds : int or "auto", default="auto"
        Normal-only fitting (``fit(..., normal=True)``): the cut reads out-of-fold
        scores of every fit sequence, each from a model fitted with these parameters
        on the other ``n_folds - 1`` folds (its count term against those folds only):
        a clean sample of how normal sequences the model never saw score, n of them
        where the held-out part holds a tenth. The refits train their networks only
        (their count references are read from one neighbour search over all fit
        sequences, and they score their left-out fold alone), but they cost about
        ``n_folds - 1`` more trainings (``cut_fit_time_``): at 100,000 sequences the
        fit took 101 s with 5 folds against 29-50 s with none (benchmarks/RESULTS.md,
        neural, eighth session). "auto": none (0) where the held-out part holds at
        least 50 scores beyond the cut's quantile (``validation_fraction x n x
        false_alarm_rate``: 100,000 sequences at the normal-only default 0.005),
        else 5. On HDFS and the shop generators (5 and 2 seeds) the share of held-out
        normal sequences flagged at the rate 0.01 was then 0.9-1.3% on average,
        where the held-out tenth's cut flagged 1.4-2.3% (0-3.9% per seed;
        benchmarks/RESULTS.md). 0: the held-out part's scores (one fit).
        Unsupervised fitting and a float ``contamination`` do not read it.

    Which ``false_alarm_rate`` to pass when fitting normal-only: the cut flags that
    share of normal sequences, whatever the anomalies do, so the flags hold about
    ``rate x (1 - p) / (recall x p)`` false alarms per anomaly found, for a share
    ``p`` of anomalies among the sequences scored. Where the anomalies are rare and
    stand apart (recall near 1), F1 is about ``2p / (2p + rate (1 - p))``: at HDFS's
    p = 2.9%, 0.86 at 0.01, 0.92 at the default 0.005 and 0.97 at 0.0019. So
    pass a rate near ``p / 15`` where anomalies are expected to be rare and clear,
    as in a system log's sessions: on hdfs_xu and hdfs_deeplog (four seeds each, F1 reweighted to
    the full log) own-cut F1 was 0.84 on average at 0.01 (0.77-0.91), 0.91 at 0.005,
    0.96 at 0.002 (0.92-0.98; the best cut 0.97-0.99) and 0.95 at 0.001 (0.83-0.99:
    about four out-of-fold scores lie beyond that cut, and the generalized Pareto
    tail's quantile that then replaces the empirical one swings with the folds; the
    empirical one gave 0.97, 0.93-0.99). Where anomalies overlap the normal tail
    (the shop generators), a low rate loses most of them: own-cut F1 0.60 at 0.01,
    0.57 at 0.005, 0.37 at 0.002, 0.18 at 0.001 (16 cells). No rule that reads only
    the normal data told the two kinds apart (a lower rate, the tail's quantile or
    the empirical one, a clear gap above the normal scores, the end of a bounded
    tail, DeepLog's top-g rule with g set at the rate; benchmarks/RESULTS.md,
    neural, ninth session). The default is the project's normal-only rate, 0.005,
    which ``AnomalyPipeline`` and ``oddseq detect --normal`` pass too: judged at
    the share of anomalies their logs hold (2-3%, reweighted as HDFS is), the
    shops' own-cut F1 was 0.514 at 0.005 against 0.498 at 0.01 (16 cells), and
    HDFS's 0.91 against 0.84.

    Normal-only fitting with ``contamination="auto"`` also tries the support rule
    of ``AnomalyPipeline``: a sequence that does what no fit sequence did (a step,
    previous event -> event, none of them takes, the end included; an event type
    none has; more or fewer events of a type than any has) is flagged by
    ``predict`` whatever its score, and the cut moves to what is left of the rate
    among the reference scores of the sequences inside the support (strictly
    above them all where ties fill their top). It holds only where its own
    out-of-fold false-alarm rate (``novelty_rate_``) is below the rate
    (``support_rule_``). Measured on the saved scores of the same fits (HDFS 5
    seeds, the shops 2; eighth session): own-cut F1 on the shops 0.440 -> 0.550 at
    the rate 0.01 (0.187 -> 0.351 at 0.002), HDFS unchanged (0.87 / 0.83 at 0.01,
    0.96 / 0.97 at 0.002): its anomalies leave the support (92-100%) but score
    above the cut anyway. Where the rule holds, ``predict`` flags such sequences
    while ``decision_function``, ``predict_proba`` and ``predict_confidence`` read
    the score alone. ``AnomalyPipeline(method="lstm")`` fitted normal-only fits
    the model normal-only at the pipeline's ``false_alarm_rate`` and takes its cut,
    its rule included (``is_anomaly`` is ``predict``).
    max_length : int, default=128"""
        + _COMMON_DOC
        + """
    Attributes
    ----------
    event_labels_, top_g_, statistics_, decision_scores_, threshold_, labels_,
    history_ (per check: epoch, train and validation loss in bits per event, the
    learning rate of the steps before it),
    n_epochs_ (epochs begun),
    fit_time_ (seconds, the network's training), validation_scores_ (normal-only
    fitting: the scores the cut reads, out of fold with ``n_folds``), n_folds_ (the
    refits the normal-only cut read, ``n_folds`` with "auto" resolved; 0: the held-out
    part, and for unsupervised fits), cut_fit_time_
    (seconds, the ``n_folds`` refits; 0 without them), support_rule_ (whether the
    support rule holds), novelty_rate_ (normal-only fitting with
    ``contamination="auto"``: the share of the reference sequences outside the
    support of the others; None otherwise).

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> normal = [["login", "view", "cart", "buy", "logout"]] * 60
    >>> odd = [["login", "buy", "cart", "view", "logout"]]  # same events, odd order
    >>> det = LSTMDetector(hidden_dim=16, max_epochs=30, learning_rate=0.02)
    >>> det = det.fit(Sequences.from_lists(normal), normal=True)
    >>> bool(det.predict(Sequences.from_lists(odd))[0])
    True
    >>> det.explain(Sequences.from_lists(odd), top=1)["feature"].tolist()
    ['login → buy']
    """
    )

    def __init__(
        self,
        *,
        embedding_dim=16,
        hidden_dim=64,
        n_layers=1,
        max_length=128,
        end_symbol=True,
        max_event_types=2000,
        statistic="max",
        top_g="auto",
        count_novelty="auto",
        n_folds="auto",
        max_epochs=50,
        batch_size=512,
        learning_rate=0.01,
        validation_fraction=0.1,
        patience=2,
        tol=0.002,
        contamination="auto",
        false_alarm_rate=None,
        device="auto",
        random_state=0,
        n_threads=None,
    ):
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.count_novelty = count_novelty
        self.n_folds = n_folds
        self.max_length = max_length
        self.end_symbol = end_symbol
        self.max_event_types = max_event_types
        self.statistic = statistic
        self.top_g = top_g
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.contamination = contamination
        self.false_alarm_rate = false_alarm_rate
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads

    def _loss_sum(self, net, tokens, mask, torch, generator=None):
        """Summed cross-entropy of the events (and ends) of a shard of a batch."""
        logits = net(tokens, mask)
        return torch.nn.functional.cross_entropy(logits[mask], tokens[mask], reduction="sum")

    def _build(self):
        return _nets().NextEventLSTM(
            self.n_tokens_,
            check_positive_int(self.embedding_dim, "embedding_dim"),
            check_positive_int(self.hidden_dim, "hidden_dim"),
            check_positive_int(self.n_layers, "n_layers"),
        )

    def _log_probs(self, net, tokens, mask, torch, extra=False):
        return torch.log_softmax(net(tokens, mask), dim=2)


class TransformerDetector(_NeuralDetector):
    __doc__ = (
        """Sequences whose events a small Transformer finds improbable: by default a
    causal next-event model (as :class:`LSTMDetector`, with attention), or one trained
    to recover hidden events (LogBERT, Guo et al. 2021).

    With ``objective="next"`` (the default) every step attends to itself and the
    steps before it (learned positions, pre-norm blocks) and predicts the event
    there, so one pass trains on every event and scores every event; training batches
    run as shards on the ``n_threads`` workers, each shard's dropout drawn from its
    own generator. Each event gets its surprisal and top-g miss as in
    :class:`LSTMDetector`.

    With ``objective="masked"`` a random ``mask_ratio`` of the events is replaced by a
    mask token in training and a bidirectional encoder (optionally with a learned bias
    per relative distance, ``relative_distance``) learns to recover them from the
    events around them. To score, every event is hidden once (in ``ceil(1 /
    mask_ratio)`` passes, positions ``j, j + k, ...`` in pass ``j``, so the scores are
    deterministic): several times the cost of one pass.

    ``explain()`` also names the step the last layer's attention weighed most when it
    predicted (or recovered) each improbable event. Needs PyTorch.

    Parameters
    ----------
    objective : {"next", "masked"}, default="next"
        "next": predict each event from the events before it, in one causal pass.
        "masked": recover hidden events from both sides (LogBERT; the default before
        the eighth session). On 100,000 sequences of mean length 30 "next" fitted in
        33-34 s against 276 s and scored about 3x as fast (benchmarks/RESULTS.md,
        neural, seventh session). With two encoder blocks and read by the "surprise"
        statistic (its default, see ``statistic``) it ranked all six shop sets
        (make_ecommerce medium and hard, make_marketplace medium, two seeds each;
        unsupervised) above the masked model and at or above MarkovDetector (ROC-AUC
        0.789-0.889, 3,000 users; own-cut F1 above both on all six), and on HDFS
        (normal-only) its own cut beat the masked model's (F1 0.76 / 0.87 against
        0.67 / 0.60; benchmarks/RESULTS.md, eighth session), though there
        ``statistic="max"`` reads it better still (0.80 / 0.88); the default's one
        block: see ``n_layers``. Read by maximum surprisal in
        unsupervised fits it loses the burst kinds (card testing, click farms):
        fitted on logs that hold them, it learns that a run of one event goes on, so
        no single step of a burst is surprising, though many fall outside the
        top-g. Models saved before the parameter existed are masked.
    dim : int, default=32
        Width of the embeddings and of the encoder.
    n_heads : int, default=2
    n_layers : int or "auto", default="auto"
        Encoder blocks. "auto": one for "next", two for "masked" (the setting each
        objective's quality was measured with). One block for the causal model, against
        two (benchmarks/RESULTS.md, neural, eighth session): shop ROC-AUC 0.789-0.900
        against 0.789-0.889 (higher on three sets, equal on two, 0.007 lower on one;
        mean 0.842 against 0.835); HDFS normal-only at four seeds even taken together
        (own-cut F1* 0.778 against 0.779, best cut 0.850 against 0.853) but not set by
        set: hdfs_xu own cut 0.811 against 0.757, hdfs_deeplog 0.745 against 0.801
        (0.684 against 0.867 at seed 0); about half the fit CPU time and 1.56x the
        sequences scored per CPU second, which the 50,000/s scoring target needs.
    mask_ratio : float in (0, 0.5], default=0.2
        Share of the events hidden per training window ("masked" only).
    dropout : float, default=0.1
    relative_distance : int, default=0
        With ``d > 0`` each attention layer adds a learned bias per head and relative
        distance (up to ``d`` steps either way) to its logits, so that "look at the
        neighbours" is learnt in a few hundred steps. Measured with
        ``objective="masked"`` (the figures below): with ``relative_distance=8,
        batch_size=128, learning_rate=0.01`` 100,000 synthetic sequences converge in
        2 epochs instead of 8, to a lower held-out loss, and HDFS separates better
        (best-cut F1 0.88 / 0.91 against 0.80 / 0.71), but on make_ecommerce and
        make_marketplace users the sharper model ranks anomalies worse by maximum
        surprisal (ROC-AUC 0.51 / 0.82 against 0.73 / 0.87; benchmarks/RESULTS.md),
        so it is not the default: it soon learns to recover a hidden event from an
        identical neighbour, so bursts of one event (card testing, click farms,
        refresh storms) score as unsurprising.
    warmup_steps : int, default=0
        Optimizer steps over which the learning rate rises linearly to
        ``learning_rate`` (at most one epoch's batches).
    lr_decay : float in (0, 1], default=1.0
        The learning rate is multiplied by this after each held-out check without a
        gain (1: constant).
    quick_check : bool, default=False
        ("masked" only: "next" checks in one pass anyway.) The held-out check as one
        masked pass (the same pseudo-random ``mask_ratio``
        of the held-out events at every check) instead of hiding every event once:
        a ``ceil(1 / mask_ratio)``-th of the cost; it measures the training objective,
        not the scores. The fast setting measured in benchmarks/RESULTS.md is
        ``relative_distance=8, batch_size=128, learning_rate=0.01, warmup_steps=100,
        lr_decay=0.5, quick_check=True``."""
        + _N_FOLDS_DOC
        + """
    max_length : int, default=64"""
        + _COMMON_DOC
        + """
    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> normal = [["login", "view", "cart", "buy", "logout"]] * 60
    >>> odd = [["login", "view", "logout", "buy", "cart"]]
    >>> det = TransformerDetector(max_epochs=10, learning_rate=0.03, dropout=0.0)
    >>> det = det.fit(Sequences.from_lists(normal), normal=True)
    >>> bool(det.decision_function(Sequences.from_lists(odd))[0] > det.threshold_)
    True
    >>> list(det.explain(Sequences.from_lists(odd), top=1).columns)[-2:]
    ['attended', 'attended_position']
    """
    )

    _has_attention = True
    # What get_params reads on a model saved before the parameter existed.
    relative_distance = 0
    objective = "masked"

    @property
    def _objective(self) -> str:
        """The fitted objective; a model saved before ``objective`` existed was masked."""
        return self.__dict__.get("objective_", "masked")

    _auto_statistic = True

    @property
    def _statistic(self) -> str:
        """``statistic``, with "auto" read by the fitted objective: "surprise" for
        "next" (the steps outside the top-g count a burst that no single step's
        surprisal shows), "max" for "masked"."""
        if self.statistic == "auto":
            return "surprise" if self._objective == "next" else "max"
        return self.statistic

    @property
    def _n_layers(self) -> int:
        """``n_layers``, with "auto" read by the fitted objective: 1 for "next", 2 for
        "masked"."""
        if isinstance(self.n_layers, str) and self.n_layers == "auto":
            return 1 if self._objective == "next" else 2
        return check_positive_int(self.n_layers, "n_layers")

    @property
    def _data_parallel(self) -> bool:
        # "next": sharded over the workers, dropout drawn from each shard's generator.
        # "masked": its dropout (nn.Dropout, the fused attention's) and hiding draw from
        # torch's global generator, which worker threads would share in no fixed
        # order: batches train whole, on one thread.
        return self._objective == "next"

    @property
    def _draws_in_training(self) -> bool:
        return self._objective == "next" and float(self.dropout) > 0

    @property
    def _batch_pool(self) -> int:
        return _NEXT_BATCH_POOL if self._objective == "next" else 0

    def __init__(
        self,
        *,
        objective="next",
        dim=32,
        n_heads=2,
        n_layers="auto",
        mask_ratio=0.2,
        dropout=0.1,
        relative_distance=0,
        warmup_steps=0,
        lr_decay=1.0,
        quick_check=False,
        max_length=64,
        end_symbol=True,
        max_event_types=2000,
        statistic="auto",
        top_g="auto",
        n_folds="auto",
        max_epochs=50,
        batch_size=512,
        learning_rate=0.003,
        validation_fraction=0.1,
        patience=2,
        tol=0.002,
        contamination="auto",
        false_alarm_rate=None,
        device="auto",
        random_state=0,
        n_threads=None,
    ):
        self.objective = objective
        self.dim = dim
        self.relative_distance = relative_distance
        self.warmup_steps = warmup_steps
        self.lr_decay = lr_decay
        self.quick_check = quick_check
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.mask_ratio = mask_ratio
        self.dropout = dropout
        self.max_length = max_length
        self.end_symbol = end_symbol
        self.max_event_types = max_event_types
        self.statistic = statistic
        self.top_g = top_g
        self.n_folds = n_folds
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.contamination = contamination
        self.false_alarm_rate = false_alarm_rate
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_params(self):
        super()._check_params()
        if self.objective not in ("next", "masked"):
            raise ValueError(
                f"objective must be 'next' (causal, one pass) or 'masked' (LogBERT's "
                f"hidden events), got {self.objective!r}"
            )
        ratio = self.mask_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 < ratio <= 0.5:
            raise ValueError(f"mask_ratio must be in (0, 0.5], got {ratio!r}")
        dim, heads = (
            check_positive_int(self.dim, "dim"),
            check_positive_int(self.n_heads, "n_heads"),
        )
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be a multiple of n_heads ({heads})")
        layers = self.n_layers
        if not (isinstance(layers, str) and layers == "auto") and (
            isinstance(layers, bool) or not isinstance(layers, numbers.Integral) or layers < 1
        ):
            raise ValueError(
                f"n_layers must be a positive int or 'auto' (1 for objective='next', 2 for "
                f"'masked'), got {layers!r}"
            )
        if not isinstance(self.dropout, numbers.Real) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        for name, hint in (("relative_distance", "no distance bias"), ("warmup_steps", "none")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{name} must be an int >= 0 (0: {hint}), got {value!r}")
        decay = self.lr_decay
        if isinstance(decay, bool) or not isinstance(decay, numbers.Real) or not 0 < decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1] (1: no decay), got {decay!r}")
        if not isinstance(self.quick_check, (bool, np.bool_)):
            raise TypeError(f"quick_check must be True or False, got {self.quick_check!r}")

    def _build(self):
        return _nets().MaskedEventTransformer(
            self.n_tokens_,
            int(self.dim),
            int(self.n_heads),
            self._n_layers,
            int(self.max_length) + 1,  # and the end token
            float(self.dropout),
            # Fitted before relative distances were added: none (saved files load).
            int(self.__dict__.get("relative_distance_", 0)),
        )

    def fit(self, X, y=None, normal: bool = False):
        # Attention biased by relative distance (see _nets.MaskedEventTransformer);
        # a model fitted before the parameter existed has none.
        self._check_params()
        self.relative_distance_ = int(self.relative_distance)
        self.objective_ = str(self.objective)
        return super().fit(X, y, normal=normal)

    fit.__doc__ = _NeuralDetector.fit.__doc__

    def _hide(self, tokens, mask, torch, generator=None):
        """A random ``mask_ratio`` of the real steps, at least one per window (so short
        windows teach something too); drawn on the CPU from ``generator`` if given."""

        def uniform(shape):
            return torch.rand(shape, generator=generator).to(tokens.device)

        hide = (uniform(tokens.shape) < self.mask_ratio) & mask
        first = hide.sum(dim=1) == 0
        if bool(first.any()):
            lengths = mask.sum(dim=1)
            pick = (uniform(lengths.shape) * lengths).long()
            hide[first, pick[first]] = True
        return hide

    def _loss_sum(self, net, tokens, mask, torch, generator=None):
        """Next-event objective: the summed cross-entropy of every step (a shard's)."""
        logits = net.next_logits(tokens, mask, at=mask, generator=generator)
        return torch.nn.functional.cross_entropy(logits, tokens[mask], reduction="sum")

    def _loss(self, net, tokens, mask, torch):
        if self._objective == "next":
            return super()._loss(net, tokens, mask, torch)
        hide = self._hide(tokens, mask, torch)
        inputs = torch.where(hide, torch.full_like(tokens, _MASK), tokens)
        logits = net(inputs, mask, at=hide)  # only where events are hidden
        return torch.nn.functional.cross_entropy(logits, tokens[hide])

    def _validation_loss(self, net, val, torch, workers: int = 1) -> float:
        # With "next" the scores are one pass already: quick_check has nothing to save.
        if not self.quick_check or self._objective == "next":
            return super()._validation_loss(net, val, torch, workers)
        return self._quick_loss(net, val, torch)

    def _quick_loss(self, net, val, torch) -> float:
        """Bits per hidden event in one masked pass over the held-out windows, the same
        pseudo-random ``mask_ratio`` of their steps at every check: the training
        objective, at a ``ceil(1 / mask_ratio)``-th of the cost of hiding every event
        once as scoring does."""
        generator = torch.Generator().manual_seed(0)
        device = next(net.parameters()).device
        total, count = 0.0, 0
        with torch.inference_mode():
            for index in val.scoring_batches(_SCORE_TOKENS):
                tokens, mask = val.tensors(torch, index, device)
                hide = self._hide(tokens, mask, torch, generator)
                inputs = torch.where(hide, torch.full_like(tokens, _MASK), tokens)
                logits = net(inputs, mask, at=hide)
                loss = torch.nn.functional.cross_entropy(logits, tokens[hide], reduction="sum")
                total += float(loss)
                count += int(hide.sum())
        return total / max(count, 1) / _LN2

    def _log_probs(self, net, tokens, mask, torch, extra=False):
        if self._objective == "next":
            return self._next_log_probs(net, tokens, mask, torch, extra)
        passes = int(np.ceil(1.0 / self.mask_ratio))
        if not extra:  # the same passes with less work (no attention weights)
            return net.cloze_log_probs(tokens, mask, passes)
        steps = torch.arange(tokens.shape[1], device=tokens.device)
        # Padding keeps zeros (never read); each event's row comes from its pass.
        log_probs = torch.zeros((*tokens.shape, self.n_tokens_), device=tokens.device)
        attended = torch.full(tokens.shape, -1, dtype=torch.long, device=tokens.device)
        for j in range(passes):
            hide = (steps % passes == j)[None, :] & mask
            if not bool(hide.any()):
                continue
            inputs = torch.where(hide, torch.full_like(tokens, _MASK), tokens)
            if extra:
                logits, weights = net(inputs, mask, need_weights=True, at=hide)
                # Where each hidden step looked most among the events, itself and the
                # end token (not a step of the sequence) excluded.
                weights = weights.masked_fill(
                    torch.eye(tokens.shape[1], dtype=torch.bool, device=tokens.device)[None], -1.0
                ).masked_fill((tokens == _END)[:, None, :], -1.0)
                attended = torch.where(hide, weights.argmax(dim=2), attended)
            else:
                logits = net(inputs, mask, at=hide)
            log_probs[hide] = torch.log_softmax(logits, dim=1)
        return (log_probs, attended) if extra else log_probs

    @staticmethod
    def _next_log_probs(net, tokens, mask, torch, extra=False):
        """Every step's log-probabilities in one causal pass; with ``extra`` also the
        step each one's last-layer attention weighed most among the events before it
        (the start excluded; -1 at the first step, which has none)."""
        if not extra:
            return torch.log_softmax(net.next_logits(tokens, mask), dim=-1)
        logits, weights = net.next_logits(tokens, mask, need_weights=True)
        # Key k holds the event at step k - 1; key 0 (the start) is not an event.
        weights = weights.clone()
        weights[:, :, 0] = -1.0
        attended = weights.argmax(dim=2) - 1
        attended[:, 0] = -1
        return torch.log_softmax(logits, dim=-1), attended


class SequenceAutoencoder(_NeuralDetector):
    __doc__ = (
        """A GRU encoder-decoder: sequences it cannot rebuild from their code are odd,
    and the codes are fixed-size embeddings for clustering and other detectors.

    The encoder reads the sequence into a ``code_dim`` vector (``transform``); the
    decoder rebuilds the events from it, each from the code and the events before it
    (in training a quarter of those inputs are hidden, so the decoder must lean on the
    code). The score is the reconstruction error per event: the mean (default) or
    maximum surprisal in bits, or the share of events outside the decoder's top-g.
    A sequence longer than ``max_length`` is encoded window by window and its
    embedding is the length-weighted mean of its windows' codes. Needs PyTorch.

    Parameters
    ----------
    embedding_dim : int, default=16
    hidden_dim : int, default=64
    code_dim : int, default=16
        Size of the embeddings ``transform`` returns.
    input_dropout : float in [0, 1), default=0.25"""
        + _N_FOLDS_DOC
        + """
    max_length : int, default=128"""
        + _COMMON_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from oddseq.sequences import Sequences
    >>> from oddseq.cluster import KMeans
    >>> a = [["view", "view", "cart", "buy"]] * 40
    >>> b = [["login", "search", "search", "logout"]] * 40
    >>> seqs = Sequences.from_lists(a + b)
    >>> ae = SequenceAutoencoder(code_dim=4, max_epochs=5, learning_rate=0.01,
    ...                          contamination=0.05).fit(seqs)
    >>> codes = ae.transform(seqs)
    >>> codes.shape
    (80, 4)
    >>> labels = KMeans(n_clusters=2, random_state=0).fit(codes).labels_
    >>> len(set(labels[:40])), len(set(labels[40:])), bool(labels[0] != labels[40])
    (1, 1, True)
    """
    )

    def __init__(
        self,
        *,
        embedding_dim=16,
        hidden_dim=64,
        code_dim=16,
        input_dropout=0.25,
        max_length=128,
        end_symbol=True,
        max_event_types=2000,
        statistic="mean",
        top_g="auto",
        n_folds="auto",
        max_epochs=50,
        batch_size=512,
        learning_rate=0.01,
        validation_fraction=0.1,
        patience=2,
        tol=0.002,
        contamination="auto",
        false_alarm_rate=None,
        device="auto",
        random_state=0,
        n_threads=None,
    ):
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.code_dim = code_dim
        self.input_dropout = input_dropout
        self.max_length = max_length
        self.end_symbol = end_symbol
        self.max_event_types = max_event_types
        self.statistic = statistic
        self.top_g = top_g
        self.n_folds = n_folds
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.contamination = contamination
        self.false_alarm_rate = false_alarm_rate
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_params(self):
        super()._check_params()
        p = self.input_dropout
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
            raise ValueError(f"input_dropout must be in [0, 1), got {p!r}")

    def _build(self):
        net = _nets().GRUAutoencoder(
            self.n_tokens_,
            check_positive_int(self.embedding_dim, "embedding_dim"),
            check_positive_int(self.hidden_dim, "hidden_dim"),
            check_positive_int(self.code_dim, "code_dim"),
        )
        net.input_dropout = float(self.input_dropout)
        return net

    _draws_in_training = True  # the decoder's hidden inputs
    # Its scripted GRU steps are a few small kernels each, so their launches weigh:
    # batches of twice the steps scored the speed set 1.02-1.06x faster per CPU
    # second (benchmarks/RESULTS.md, eighth session).
    _score_batch_scale = 2

    def _loss_sum(self, net, tokens, mask, torch, generator=None):
        logits = net(tokens, mask, generator)
        return torch.nn.functional.cross_entropy(logits[mask], tokens[mask], reduction="sum")

    def _log_probs(self, net, tokens, mask, torch, extra=False):
        logits = net(tokens, mask)
        if logits.transpose(0, 1).is_contiguous():  # time-major: the scripted GRUs
            # The log-softmax where the logits lie (on the transposed view torch copies
            # them first); the same values.
            return torch.log_softmax(logits.transpose(0, 1), dim=2).transpose(0, 1)
        return torch.log_softmax(logits, dim=2)

    def transform(self, X) -> np.ndarray:
        """The ``code_dim`` embedding of each sequence (float32), for
        :class:`oddseq.cluster.KMeans`, :class:`~oddseq.cluster.DBSCAN` or any detector
        that takes a matrix."""
        check_is_fitted(self, "event_labels_")
        seqs = self._check_seqs(X, "SequenceAutoencoder.transform")
        torch = _torch()
        windows = self._windows(seqs)
        # The distinct windows, batched in an order of their content (the same codes
        # whatever the sequences' order), each encoded once.
        unique, inverse = windows.unique()
        net = self._network()
        device = next(net.parameters()).device
        codes = np.empty((len(unique), int(self.code_dim)), dtype=np.float32)

        def run(index):
            with torch.inference_mode():
                tokens, mask = unique.tensors(torch, index, device)
                return index, net.encode(tokens, mask).cpu().numpy()

        with _threads(torch, self.n_threads):
            batches = unique.scoring_batches(self._score_tokens())
            for index, code in self._map_batches(torch, run, batches, device):
                codes[index] = code
        if inverse is not None:
            codes = codes[inverse]
        weights = windows.lengths.astype(np.float64)
        sums = np.zeros((len(seqs), codes.shape[1]))
        np.add.at(sums, windows.owner, codes * weights[:, None])
        return (sums / np.asarray(seqs.lengths, dtype=np.float64)[:, None]).astype(np.float32)

    def fit_transform(self, X, y=None, normal: bool = False):
        return self.fit(X, y, normal=normal).transform(X)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"embedding{i}" for i in range(int(self.code_dim))], dtype=object)
