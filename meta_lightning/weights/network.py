"""The weight-reading network as a plain ``nn.Module``: compiled weights in, RASP program tokens out.

One transformer over ``[w_1 .. w_N, <bos>, tok_1 .. tok_L]``, where each ``w`` is an input vector (a weight
matrix or a chunk, :mod:`.encoding`) plus its slot's embedding, with a prefix-LM mask: the weights see each
other (bidirectional), each program token sees every weight vector and the tokens before it (causal).
``inputs: random`` feeds Gaussian noise instead of the weights: the baseline of what the program prior gives.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from meta_lightning.errors import ConfigError
from meta_lightning.weights.decoding import beam
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.tokens import VOCAB


class ProgramNetwork(nn.Module):
    def __init__(self, encoding: Encoding, max_tokens: int, d_model: int, layers: int, heads: int, dropout: float,
                 inputs: str = "real", decoding: str = "constrained"):
        super().__init__()
        block = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout, batch_first=True, norm_first=True)
        self.vector_in = nn.Linear(encoding.features(), d_model)  # no norm first: a vector's scale is information
        self.slot = nn.Embedding(encoding.slots(), d_model)
        self.token = nn.Embedding(len(VOCAB), d_model)
        self.token_pos = nn.Embedding(max_tokens, d_model)
        self.body = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, len(VOCAB))
        self.encoding, self.max_tokens, self.inputs, self.decoding = encoding, max_tokens, inputs, decoding

    def prefix(self, batch: dict) -> torch.Tensor:
        """The input vectors embedded, [B, N, d]: computed once per batch, also when decoding."""
        vectors = batch["vectors"]
        if self.inputs == "random":  # noise in the cells the model has, at their scale: its size still shows
            real = vectors[batch["extent"]]
            scale = real.std().clamp_min(1e-3) if real.numel() > 1 else 1.0
            vectors = torch.randn_like(vectors) * scale * batch["extent"]
        return self.vector_in(vectors) + self.slot(batch["slots"])

    def logits(self, prefix: torch.Tensor, prefix_mask: torch.Tensor, tokens: torch.Tensor,
               token_mask: torch.Tensor) -> torch.Tensor:
        """Next-token logits at every token position: [B, T, V]."""
        c, t = prefix.shape[1], tokens.shape[1]
        x = torch.cat([prefix, self.token(tokens) + self.token_pos.weight[:t]], 1)
        blocked = torch.ones(c + t, c + t, dtype=torch.bool, device=x.device)
        blocked[:, :c] = False  # everything sees the weights
        blocked[c:, c:] = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), 1)  # tokens: causal
        padding = ~torch.cat([prefix_mask, token_mask], 1)
        h = self.body(x, mask=blocked, src_key_padding_mask=padding)
        return self.out(self.norm(h[:, c:]))

    def loss_and_token_accuracy(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Next-token loss; and per program, correct and counted target tokens (teacher-forced)."""
        tokens, mask = batch["tokens"], batch["token_mask"]
        logits = self.logits(self.prefix(batch), batch["vector_mask"], tokens[:, :-1], mask[:, :-1])
        targets = tokens[:, 1:].masked_fill(~mask[:, 1:], -100)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        right = ((logits.argmax(-1) == targets) & mask[:, 1:]).sum(1)
        return loss, right, mask[:, 1:].sum(1)

    def greedy(self, batch: dict) -> torch.Tensor:
        """Greedy programs, [B, max_tokens or fewer], padded after <eos> (:func:`.decoding.beam` of width 1)."""
        return beam(self, batch, 1)[0][:, 0]

    def batch_of(self, params: dict, field: str = "--params") -> dict:
        """One compiled model's parameters (Tracr's nested dict) as a batch of one; a model this meta-model
        cannot read is a one-line error naming ``field``."""
        try:
            vectors, extent, slots = (torch.from_numpy(a)[None] for a in self.encoding.encode(params))
        except ConfigError as e:
            raise ConfigError(field, f"the model does not fit this meta-model: {e.problem} ({e.field})",
                              "Decompile a smaller compiled model, or train a meta-model with a larger "
                              f"{e.field}") from e
        return {"vectors": vectors, "extent": extent, "slots": slots,
                "vector_mask": torch.ones(slots.shape, dtype=torch.bool)}
