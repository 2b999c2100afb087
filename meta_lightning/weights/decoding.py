"""Writing programs from a :class:`~.network.ProgramNetwork`: greedy and beam search, with a key/value cache.

The weight vectors see only each other, so their states in every block are computed once per batch; each new
program token then runs the blocks for itself alone, attending to the cached keys and values of the weights
and of the tokens before it. Without the cache every step re-ran the whole sequence, weights included
(about 30 times the arithmetic at beam width 8). The logits equal :meth:`ProgramNetwork.logits` (a test
compares them).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from meta_lightning.weights.tokens import BOS, EOS, ID, PAD, allowed_next


class Cache:
    """Per block, the keys and values [rows, heads, length, head size] of everything written so far."""

    def __init__(self, keys: list[torch.Tensor], values: list[torch.Tensor], visible: torch.Tensor):
        self.keys, self.values, self.visible = keys, values, visible
        """``visible``: [rows, length] False at a padded weight vector."""

    def select(self, rows: torch.Tensor) -> "Cache":
        return Cache([k[rows] for k in self.keys], [v[rows] for v in self.values], self.visible[rows])


def _split(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, t, d = x.shape
    return x.view(b, t, heads, d // heads).transpose(1, 2)


def _attend(block: nn.TransformerEncoderLayer, h: torch.Tensor, cache: Cache, layer: int,
            own: torch.Tensor) -> torch.Tensor:
    """Self-attention of block ``layer`` for the new positions ``h`` [rows, new, d] (already normed), their
    keys and values appended to ``cache``; ``own`` [rows or 1, new, new]: True where a new position may see
    another."""
    attn, heads = block.self_attn, block.self_attn.num_heads
    q, k, v = (_split(t, heads) for t in F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1))
    if layer < len(cache.keys):
        k, v = torch.cat([cache.keys[layer], k], 2), torch.cat([cache.values[layer], v], 2)
        cache.keys[layer], cache.values[layer] = k, v
    else:
        cache.keys.append(k)
        cache.values.append(v)
    rows, new = h.shape[0], h.shape[1]
    mask = torch.cat([cache.visible[:, None, :].expand(rows, new, -1), own.expand(rows, new, new)], -1)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None])
    return attn.out_proj(out.transpose(1, 2).reshape(h.shape))


def _blocks(net, x: torch.Tensor, cache: Cache, own: torch.Tensor) -> torch.Tensor:
    for i, block in enumerate(net.body.layers):  # norm_first blocks, as ProgramNetwork builds them
        x = x + _attend(block, block.norm1(x), cache, i, own)
        x = x + block.linear2(block.activation(block.linear1(block.norm2(x))))
    return x


def start(net, batch: dict) -> Cache:
    """The cache after the weight vectors (their states depend on nothing else)."""
    prefix, visible = net.prefix(batch), batch["vector_mask"]
    cache = Cache([], [], visible[:, :0])
    _blocks(net, prefix, cache, visible[:, None, :] | ~visible[:, :, None])  # a padded vector sees all, none sees it
    cache.visible = visible
    return cache


def step(net, tokens: torch.Tensor, cache: Cache) -> torch.Tensor:
    """Next-token logits [rows, V] after appending the last of ``tokens`` [rows, t] to ``cache``."""
    t = tokens.shape[1]
    x = net.token(tokens[:, -1:]) + net.token_pos.weight[t - 1:t]
    x = _blocks(net, x, cache, torch.ones(1, 1, 1, dtype=torch.bool, device=x.device))
    cache.visible = torch.cat([cache.visible, torch.ones_like(cache.visible[:, :1])], 1)
    return net.out(net.norm(x))[:, 0]


def allowed(net, tokens: torch.Tensor, done: torch.Tensor, vocab: int) -> torch.Tensor:
    """[rows, V] True where a token may come next: the grammar (constrained decoding) or anything; a finished
    row only pads."""
    mask = torch.zeros(tokens.shape[0], vocab, dtype=torch.bool, device=tokens.device)
    mask[done, ID[PAD]] = True
    for i in (~done).nonzero().flatten().tolist():
        if net.decoding == "constrained":
            mask[i, allowed_next(tokens[i].tolist())] = True
        else:
            mask[i] = True
    return mask


ROWS = 512
"""Beams decoded at once (models x width): the cache holds every block's keys and values for each, about
0.3 MB a beam at the default size, so a test batch of 128 models at width 32 would hold 2.4 GB."""


@torch.no_grad()
def beam(net, batch: dict, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``width`` most likely programs each, best first: tokens [B, width, T] (padded after <eos>) and
    their log-probabilities [B, width] (-inf: no such program). Width 1 is greedy decoding. Decodes
    ``ROWS // width`` models at a time."""
    per = max(1, ROWS // width)
    b = batch["vector_mask"].shape[0]
    if b <= per:
        return _beam(net, batch, width)
    keys = ("vectors", "extent", "slots", "vector_mask")
    parts = [_beam(net, {k: batch[k][i:i + per] for k in keys}, width) for i in range(0, b, per)]
    t = max(tokens.shape[2] for tokens, _ in parts)
    tokens = torch.cat([F.pad(x, (0, t - x.shape[2]), value=ID[PAD]) for x, _ in parts])
    return tokens, torch.cat([scores for _, scores in parts])


def _beam(net, batch: dict, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    cache = start(net, batch)
    b = cache.visible.shape[0]
    rows = torch.arange(b, device=cache.visible.device).repeat_interleave(width)
    cache = cache.select(rows)
    tokens = torch.full((b * width, 1), ID[BOS], dtype=torch.long, device=rows.device)
    scores = torch.full((b, width), float("-inf"), device=rows.device)
    scores[:, 0] = 0.0  # one live beam at the start, so the first step does not pick one token W times
    done = torch.zeros(b * width, dtype=torch.bool, device=rows.device)
    for _ in range(net.max_tokens - 1):
        logp = torch.log_softmax(step(net, tokens, cache).float(), -1)
        logp = torch.where(done[:, None], torch.zeros_like(logp), logp)  # a finished program's pad costs nothing
        vocab = logp.shape[-1]
        logp = logp.masked_fill(~allowed(net, tokens, done, vocab), float("-inf"))
        scores, best = (scores[:, :, None] + logp.view(b, width, vocab)).view(b, -1).topk(width, -1)
        parent = (best // vocab + torch.arange(b, device=best.device)[:, None] * width).flatten()
        nxt = (best % vocab).flatten()
        tokens, cache = torch.cat([tokens[parent], nxt[:, None]], 1), cache.select(parent)
        done = done[parent] | (nxt == ID[EOS]) | (nxt == ID[PAD])
        if done.all():
            break
    return tokens.view(b, width, -1), scores


@torch.no_grad()
def greedy_uncached(net, batch: dict) -> torch.Tensor:
    """Greedy decoding that re-runs the whole sequence, weights included, at every step: the reference the
    cache is tested and benchmarked against (the code before it)."""
    prefix, mask = net.prefix(batch), batch["vector_mask"]
    tokens = torch.full((prefix.shape[0], 1), ID[BOS], dtype=torch.long, device=prefix.device)
    done = torch.zeros(prefix.shape[0], dtype=torch.bool, device=prefix.device)
    for _ in range(net.max_tokens - 1):
        logits = net.logits(prefix, mask, tokens, torch.ones_like(tokens, dtype=torch.bool))[:, -1]
        logits = logits.masked_fill(~allowed(net, tokens, done, logits.shape[-1]), float("-inf"))
        nxt = logits.argmax(-1).masked_fill(done, ID[PAD])
        tokens = torch.cat([tokens, nxt[:, None]], 1)
        done |= nxt == ID[EOS]
        if done.all():
            break
    return tokens


@torch.no_grad()
def likelihood(net, batch: dict, row: int, programs: list[list[int]]) -> torch.Tensor:
    """Log-probability [len(programs)] of each whole program (from <bos>, teacher-forced, not renormalised over
    the grammar) given model ``row`` of ``batch``'s weights."""
    t = max(len(p) for p in programs)
    tokens = torch.full((len(programs), t), ID[PAD], dtype=torch.long, device=batch["vectors"].device)
    for i, p in enumerate(programs):
        tokens[i, :len(p)] = torch.tensor(p, device=tokens.device)
    mask = tokens != ID[PAD]
    prefix = net.prefix({k: batch[k][row:row + 1] for k in ("vectors", "extent", "slots")})
    visible = batch["vector_mask"][row:row + 1]
    logits = net.logits(prefix.expand(len(programs), -1, -1), visible.expand(len(programs), -1),
                        tokens[:, :-1], mask[:, :-1])
    logp = torch.log_softmax(logits.float(), -1).gather(-1, tokens[:, 1:, None])[..., 0]
    return (logp * mask[:, 1:]).sum(1)
