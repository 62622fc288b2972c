"""The PyTorch networks behind oddseq.neural (imported only when a model is built).

Every network maps a padded batch of event tokens ``[batch, steps]`` (0 = padding) to
logits ``[batch, steps, n_tokens]`` for the event *at* each step, so that every model
yields exactly one prediction per event: the next-event LSTM and the causal Transformer
from the events before it, the masked-event Transformer from the events around it, the
autoencoder from the sequence's code and the events before it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._tokens import MASK, PAD, START


def _shift_right(tokens: torch.Tensor) -> torch.Tensor:
    """[START, t0, ..., t(T-2)]: the inputs that predict t0..t(T-1)."""
    start = torch.full_like(tokens[:, :1], START)
    return torch.cat([start, tokens[:, :-1]], dim=1)


def _drop(x: torch.Tensor, p: float, generator=None) -> torch.Tensor:
    """Dropout whose mask is drawn from ``generator`` (a CPU generator; torch's global
    one when None), so that training shards on worker threads each draw their own in
    a fixed order. ``p == 0``: ``x`` unchanged."""
    if p <= 0:
        return x
    if generator is None:
        draw = torch.rand(x.shape, device=x.device)
    else:
        draw = torch.rand(x.shape, generator=generator).to(x.device)
    return x * (draw >= p).to(x.dtype) / (1.0 - p)


class NextEventLSTM(nn.Module):
    """DeepLog's model: an LSTM over the events so far, a softmax over the next one.
    Causal, so padding at the end of a row changes nothing before it (no packing)."""

    def __init__(self, n_tokens: int, embedding_dim: int, hidden_dim: int, n_layers: int):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, embedding_dim, padding_idx=PAD)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, n_layers, batch_first=True)
        self.out = nn.Linear(hidden_dim, n_tokens)

    def forward(self, tokens, mask):
        hidden, _ = self.rnn(self.embed(_shift_right(tokens)))
        return self.out(hidden)


class _Block(nn.Module):
    """A pre-norm Transformer encoder block that can return its attention weights."""

    def __init__(self, dim: int, n_heads: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, n_heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x, padding, need_weights: bool, bias=None):
        """``bias``: None, or the attention logits' additive bias ``[batch, heads,
        steps, steps]`` with -inf at padded keys (which then need no other mask)."""
        h = self.norm1(x)
        if need_weights:
            batch, steps = padding.shape
            a, weights = self.attn(
                h,
                h,
                h,
                key_padding_mask=padding if bias is None else None,
                attn_mask=None if bias is None else bias.reshape(-1, steps, steps),
                need_weights=True,
                average_attn_weights=True,
            )
        else:  # the same attention (same weights) by the fused kernel: 1.4-1.7x faster
            a, weights = self._attend(h, padding, bias), None
        x = x + self.drop(a)
        return x + self.drop(self.ff(self.norm2(x))), weights

    def causal(self, x, bias=None, need_weights: bool = False, generator=None):
        """The block with each step attending to itself and the steps before it.
        ``bias``: None or the additive logits bias ``[1 or batch, heads, steps, steps]``
        with -inf above the diagonal. In training, dropout (of the attention weights and
        of the residual branches) draws from ``generator`` (see ``_drop``); in
        evaluation without weights the fused kernel runs. Returns the output and, with
        ``need_weights``, the attention weights averaged over the heads."""
        attn = self.attn
        p = attn.dropout if self.training else 0.0
        h = self.norm1(x)
        q, k, v = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        weights = None
        if need_weights or p > 0:
            a, weights = self._mix_explicit(q, k, v, bias, p, generator)
        elif bias is None:
            a = self._mix(q, k, v, None, causal=True)
        else:
            a = self._mix(q, k, v, bias)
        x = x + _drop(a, p, generator)
        first, act, _, second = self.ff
        y = second(_drop(act(first(self.norm2(x))), p, generator))
        return x + _drop(y, p, generator), (weights if need_weights else None)

    def _mix_explicit(self, q, k, v, bias, p, generator):
        """Causal attention written out (softmax of the scaled products, dropout of the
        weights from ``generator``), for training with dropout and for the weights."""
        attn = self.attn
        heads = attn.num_heads
        batch, steps, dim = q.shape

        def split(t):
            return t.view(batch, steps, heads, dim // heads).transpose(1, 2)

        logits = split(q) @ split(k).transpose(-1, -2) * (dim // heads) ** -0.5
        if bias is None:
            above = torch.ones(steps, steps, dtype=torch.bool, device=q.device).triu(1)
            logits = logits.masked_fill(above, float("-inf"))
        else:
            logits = logits + bias
        weights = torch.softmax(logits, dim=-1)
        out = _drop(weights, p, generator) @ split(v)
        out = out.transpose(1, 2).reshape(batch, steps, dim)
        return F.linear(out, attn.out_proj.weight, attn.out_proj.bias), weights.mean(dim=1)

    def _attend(self, h, padding, bias=None):
        attn = self.attn
        q, k, v = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        return self._mix(q, k, v, ~padding[:, None, None, :] if bias is None else bias)

    def _mix(self, q, k, v, attn_mask, causal: bool = False):
        """The attention of queries ``q`` ``[batch, n_queries, dim]`` over keys and
        values ``[batch, steps, dim]`` (fused kernel), through the output projection.
        ``attn_mask``: None, a bool mask of the keys to use or an additive bias, as
        ``scaled_dot_product_attention`` takes it; ``causal``: each query attends to
        the keys up to its own step (with ``attn_mask`` None)."""
        attn = self.attn
        heads = attn.num_heads

        def split(t):
            batch, steps, dim = t.shape
            return t.view(batch, steps, heads, dim // heads).transpose(1, 2)

        out = F.scaled_dot_product_attention(
            split(q),
            split(k),
            split(v),
            attn_mask=attn_mask,
            dropout_p=attn.dropout if self.training else 0.0,
            is_causal=causal,
        )
        batch, _, n_queries, size = out.shape
        out = out.transpose(1, 2).reshape(batch, n_queries, heads * size)
        return F.linear(out, attn.out_proj.weight, attn.out_proj.bias)


class MaskedEventTransformer(nn.Module):
    """LogBERT's idea, small: a bidirectional encoder that recovers masked events
    (``forward``, ``cloze_log_probs``); the same weights also serve as a causal
    next-event model (``next_logits``: every step predicted in one pass).

    With ``relative > 0`` every attention layer also adds a learned bias per head and
    relative distance (clipped to +-``relative``; shared by the layers, as in T5) to
    its logits: "look at the step before" is then one number to learn, where learned
    absolute positions alone must learn it for every position pair."""

    def __init__(
        self,
        n_tokens: int,
        dim: int,
        n_heads: int,
        n_layers: int,
        max_length: int,
        dropout: float,
        relative: int = 0,
    ):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, dim, padding_idx=PAD)
        self.position = nn.Embedding(max_length, dim)
        self.relative = relative
        if relative > 0:
            self.distance_bias = nn.Embedding(2 * relative + 1, n_heads)
            nn.init.zeros_(self.distance_bias.weight)
        self.blocks = nn.ModuleList(_Block(dim, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, n_tokens)

    def _bias(self, steps, padding):
        """The attention logits' additive bias by relative distance ``[batch, heads,
        steps, steps]``, -inf at padded keys; None without ``relative``."""
        if self.relative <= 0:
            return None
        distance = (steps[None, :] - steps[:, None]).clamp(-self.relative, self.relative)
        per_head = self.distance_bias(distance + self.relative).permute(2, 0, 1)
        return per_head[None].masked_fill(padding[:, None, None, :], float("-inf"))

    def forward(self, tokens, mask, need_weights: bool = False, at=None):
        """Logits at every step, or only at the steps where ``at`` (a bool mask like
        ``mask``) is True, as ``[n_true, n_tokens]`` rows in row-major order."""
        steps = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.embed(tokens) + self.position(steps)[None]
        padding = ~mask
        bias = self._bias(steps, padding)
        weights = None
        for block in self.blocks:
            x, weights = block(x, padding, need_weights, bias)
        logits = self.out(self.norm(x if at is None else x[at]))
        return (logits, weights) if need_weights else logits

    def next_logits(self, tokens, mask, need_weights: bool = False, at=None, generator=None):
        """Causal next-event logits: step ``i`` reads ``[START, t0, ..., t(i-1)]``
        (each position attends to itself and the positions before it) and predicts
        ``t(i)``, so one pass predicts every step, as the LSTM does. Padding lies after
        a row's steps, so no step reads it (no key mask). ``at``: a bool mask like
        ``mask``, the logits only there (``[n_true, n_tokens]``, row-major);
        ``need_weights``: also the last block's attention weights averaged over the
        heads, ``[batch, steps, steps]`` (key ``k`` holds the event at ``k - 1``;
        key 0 the start); ``generator``: where training dropout draws from."""
        n_steps = tokens.shape[1]
        steps = torch.arange(n_steps, device=tokens.device)
        x = self.embed(_shift_right(tokens)) + self.position(steps)[None]
        bias = None
        if self.relative > 0:
            distance = (steps[None, :] - steps[:, None]).clamp(-self.relative, self.relative)
            per_head = self.distance_bias(distance + self.relative).permute(2, 0, 1)
            above = torch.ones(n_steps, n_steps, dtype=torch.bool, device=tokens.device).triu(1)
            bias = per_head.masked_fill(above, float("-inf"))[None]
        weights = None
        for block in self.blocks:
            x, weights = block.causal(x, bias, need_weights, generator)
        logits = self.out(self.norm(x if at is None else x[at]))
        return (logits, weights) if need_weights else logits

    def cloze_log_probs(self, tokens, mask, passes: int):
        """Log-probabilities ``[batch, steps, n_tokens]`` of the event at each step when
        the steps ``j, j + passes, ...`` are hidden together (pass ``j``): what
        ``forward(inputs, mask, at=hide)`` gives pass by pass, with less work (in
        evaluation mode). The inputs' embeddings and, with two blocks or more, the
        first block's projections are computed once for the events and once for the
        mask token, and selected per pass; the last block computes its queries,
        feed-forward and output at the pass's hidden steps only (every other step
        serves as a key and value alone). Rows at padded steps are not meaningful."""
        batch, n_steps = tokens.shape
        steps = torch.arange(n_steps, device=tokens.device)
        position = self.position(steps)
        x_events = self.embed(tokens) + position[None]
        x_masked = (self.embed.weight[MASK] + position)[None]
        padding = ~mask
        bias = self._bias(steps, padding)
        # Without padding (length-sorted batches mostly have none) no mask is needed.
        keys = bias if bias is not None else None if bool(mask.all()) else mask[:, None, None, :]
        *inner, last = self.blocks
        dim = x_events.shape[-1]
        if inner:
            first = inner[0]
            w, b = first.attn.in_proj_weight, first.attn.in_proj_bias
            qkv_events = F.linear(first.norm1(x_events), w, b)
            qkv_masked = F.linear(first.norm1(x_masked), w, b)
        w, b = last.attn.in_proj_weight, last.attn.in_proj_bias
        out = torch.empty((batch, n_steps, self.out.out_features), device=tokens.device)
        for j in range(min(passes, n_steps)):
            # The pass's steps hidden (padded ones too: they are never attended to).
            at = slice(j, None, passes)
            x = x_events.clone()
            x[:, at] = x_masked[:, at]
            for i, block in enumerate(inner):
                if i == 0:
                    qkv = qkv_events.clone()
                    qkv[:, at] = qkv_masked[:, at]
                else:
                    attn = block.attn
                    qkv = F.linear(block.norm1(x), attn.in_proj_weight, attn.in_proj_bias)
                q, k, v = qkv.chunk(3, dim=-1)
                x = x + block._mix(q, k, v, keys)
                x = x + block.ff(block.norm2(x))
            h = last.norm1(x)
            q = F.linear(h[:, at], w[:dim], b[:dim])
            k, v = F.linear(h, w[dim:], b[dim:]).chunk(2, dim=-1)
            x = x[:, at] + last._mix(q, k, v, keys if bias is None else bias[:, :, at])
            x = x + last.ff(last.norm2(x))
            out[:, at] = torch.log_softmax(self.out(self.norm(x)), dim=-1)
        return out


def _gru_states(
    gates: torch.Tensor,
    inputs_new: torch.Tensor,
    tokens: torch.Tensor,
    h: torch.Tensor,
    w_hh_t: torch.Tensor,
) -> torch.Tensor:
    """The states ``[steps, batch, hidden]`` of a one-layer ``nn.GRU`` (its gate
    formulas) over time-major ``tokens`` ``[steps, batch]`` from the state ``h``
    ``[batch, hidden]``, from tables of one row per token (a row lookup where nn.GRU
    multiplies the 16-wide embeddings, the slowest product on a CPU): ``gates``
    ``[n_tokens, 3 hidden]`` holds the reset and update gates' inputs (the embedding
    times the input weights, the input and recurrent biases added) and twice the new
    gate's recurrent bias, ``inputs_new`` ``[n_tokens, hidden]`` twice the new gate's
    input; ``w_hh_t`` is the recurrent weights transposed with the new gate's columns
    doubled (GRUAutoencoder._states). A step is one ``addmm_`` (the recurrent
    product added onto the looked-up row) and six elementwise kernels, where nn.GRU
    runs ten and a bias copy. The new gate is ``tanh(x) = 2 sigmoid(2x) - 1`` on the
    doubled terms (doubling is exact in floating point): torch's CPU ``tanh`` costs
    about six times its ``sigmoid`` (2.6 against 0.43 ns an element at 528 x 64,
    benchmarks/RESULTS.md), and the two agree to 2e-7."""
    n_steps = tokens.shape[0]
    size = h.shape[1]
    out = torch.empty((n_steps, h.shape[0], size), dtype=h.dtype, device=h.device)
    step = torch.empty((h.shape[0], 3 * size), dtype=h.dtype, device=h.device)
    new = torch.empty((h.shape[0], size), dtype=h.dtype, device=h.device)
    minus_one = torch.full((), -1.0, dtype=h.dtype, device=h.device)
    # Views of the reused buffers, made once (a view costs about a kernel's launch).
    reset_update, reset = step[:, : 2 * size], step[:, :size]
    update, recurrent_new = step[:, size : 2 * size], step[:, 2 * size :]
    inputs, states = tokens.unbind(0), out.unbind(0)
    for t in range(n_steps):
        torch.index_select(gates, 0, inputs[t], out=step)
        step.addmm_(h, w_hh_t)
        reset_update.sigmoid_()
        torch.index_select(inputs_new, 0, inputs[t], out=new)
        new.addcmul_(reset, recurrent_new).sigmoid_()
        torch.add(minus_one, new, alpha=2.0, out=new)  # tanh of the undoubled sum
        h = torch.lerp(new, h, update, out=states[t])
    return out


def _script(function):
    """``function`` compiled by TorchScript, or None where this torch cannot compile
    it. TorchScript runs the whole loop in C++ with the GIL released, so the scoring
    workers run their batches side by side; the same loop in Python held the GIL
    between its kernels and two workers waited on each other (0.75x of nn.GRU,
    benchmarks/RESULTS.md). torch.jit.script is deprecated in favour of torch.compile,
    which needs a C++ compiler at run time; its warning is silenced here, and where
    scripting fails nn.GRU runs instead."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.script(function)
    except Exception:  # any failure to compile: fall back to nn.GRU
        return None


_GRU_STATES = _script(_gru_states)


class GRUAutoencoder(nn.Module):
    """A GRU encoder to a fixed-size code, a GRU decoder that rebuilds the events from
    it (teacher forcing; in training a share of the decoder's inputs is hidden so that
    it must lean on the code).

    In evaluation on a CPU both GRUs run as ``_gru_states`` (scripted; the same
    states as nn.GRU to float rounding, faster: benchmarks/RESULTS.md); training and
    other devices run nn.GRU."""

    def __init__(self, n_tokens: int, embedding_dim: int, hidden_dim: int, code_dim: int):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, embedding_dim, padding_idx=PAD)
        self.encoder = nn.GRU(embedding_dim, hidden_dim, batch_first=True)
        self.to_code = nn.Linear(hidden_dim, code_dim)
        self.from_code = nn.Linear(code_dim, hidden_dim)
        self.decoder = nn.GRU(embedding_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, n_tokens)
        self.input_dropout = 0.0

    def _scanning(self, tokens) -> bool:
        return _GRU_STATES is not None and not self.training and tokens.device.type == "cpu"

    def _states(self, gru: nn.GRU, tokens, h):
        """``gru``'s states ``[steps, batch, hidden]`` over time-major ``tokens`` from
        ``h`` by ``_gru_states``."""
        size = gru.hidden_size
        table = F.linear(self.embed.weight, gru.weight_ih_l0, gru.bias_ih_l0)
        gates = torch.cat([table[:, : 2 * size], table.new_empty((table.shape[0], size))], 1)
        gates[:, : 2 * size] += gru.bias_hh_l0[: 2 * size]
        gates[:, 2 * size :] = 2.0 * gru.bias_hh_l0[2 * size :]
        inputs_new = 2.0 * table[:, 2 * size :]
        w_hh_t = gru.weight_hh_l0.t().contiguous()
        w_hh_t[:, 2 * size :] *= 2.0
        return _GRU_STATES(gates, inputs_new.contiguous(), tokens, h, w_hh_t)

    def encode(self, tokens, mask):
        last = mask.sum(dim=1) - 1  # the GRU is causal: the state at the last real event
        rows = torch.arange(tokens.shape[0], device=tokens.device)
        if self._scanning(tokens):
            h = self.embed.weight.new_zeros((tokens.shape[0], self.encoder.hidden_size))
            final = self._states(self.encoder, tokens.t().contiguous(), h)[last, rows]
        else:
            hidden, _ = self.encoder(self.embed(tokens))
            final = hidden[rows, last]
        return torch.tanh(self.to_code(final))

    def forward(self, tokens, mask, generator=None):
        """``generator``: where the hidden decoder inputs are drawn from in training (a
        CPU generator; torch's global one when None)."""
        code = self.encode(tokens, mask)
        if self._scanning(tokens):  # time-major, as _gru_states steps
            inputs = _shift_right(tokens).t().contiguous()
            hidden = self._states(self.decoder, inputs, self.from_code(code))
            return self.out(hidden).transpose(0, 1)
        inputs = _shift_right(tokens)
        if self.training and self.input_dropout > 0:
            if generator is None:
                draw = torch.rand(inputs.shape, device=inputs.device)
            else:
                draw = torch.rand(inputs.shape, generator=generator).to(inputs.device)
            hide = draw < self.input_dropout
            inputs = torch.where(hide & (inputs != START), torch.full_like(inputs, MASK), inputs)
        start = self.from_code(code)
        hidden, _ = self.decoder(self.embed(inputs), start[None].contiguous())
        return self.out(hidden)
