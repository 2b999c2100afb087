"""A Tracr-compiled transformer's forward pass in NumPy: the same arithmetic as Tracr's Haiku model.

Tracr's compiled models have no layer norm, ReLU MLPs and full (non-causal) attention, so the pass is a few
matrix products per layer. Eager JAX compiles each operation anew for every program's shapes, which made
checking a program against the RASP evaluator take seconds; this takes milliseconds (a test compares both).
"""
from __future__ import annotations

import numpy as np


def _linear(x: np.ndarray, params: dict) -> np.ndarray:
    return x @ params["w"] + params["b"]


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def residual(params: dict, config, tokens: np.ndarray) -> np.ndarray:
    """The residual stream after the last layer, [B, T, D], for encoded ``tokens`` [B, T]."""
    params = {k: {p: np.asarray(v, dtype=np.float32) for p, v in d.items()} for k, d in params.items()}
    batch, length = tokens.shape
    x = params["token_embed"]["embeddings"][tokens] + params["pos_embed"]["embeddings"][np.arange(length)]
    heads, size = config.num_heads, config.key_size
    for layer in range(config.num_layers):
        attn = f"transformer/layer_{layer}/attn"
        if f"{attn}/query" in params:
            q, k, v = (_linear(x, params[f"{attn}/{n}"]).reshape(batch, length, heads, -1) for n in ("query", "key", "value"))
            weights = _softmax(np.einsum("bthd,bshd->bhts", q, k) / np.sqrt(size))
            mixed = np.einsum("bhts,bshd->bthd", weights, v).reshape(batch, length, -1)
            x = x + _linear(mixed, params[f"{attn}/linear"])
        mlp = f"transformer/layer_{layer}/mlp"
        if f"{mlp}/linear_1" in params:
            x = x + _linear(np.maximum(_linear(x, params[f"{mlp}/linear_1"]), 0.0), params[f"{mlp}/linear_2"])
    return x
