"""Where a Tracr-compiled model keeps its weights: one table of parameter roles, and the model's sizes.

Tracr gives every layer the same widths (the widest head and MLP of the program), so four numbers describe a
compiled model's shapes: ``Dims(layers, residual, attention, mlp)``. With them a flat vector
(:func:`files.flatten`) becomes the parameter dict again, and each matrix can be read with the residual
stream along its rows (:data:`ROLES`), which is how :mod:`meta_lightning.weights.encoding` lines models up.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

POSITIONS = 6
"""Rows of ``pos_embed``: the BOS position and 5 sequence positions."""
TOKENS = 7
"""Rows of ``token_embed``: the vocabulary {0..4}, BOS and Tracr's padding token."""


class Dims(NamedTuple):
    layers: int
    residual: int
    attention: int
    """Width of each layer's query/key/value space (heads x key size)."""
    mlp: int
    """Hidden units of each layer's MLP."""


class Role(NamedTuple):
    module: str
    """Haiku module name, with ``{layer}`` for the transformer's blocks."""
    slot: int
    """The role's index inside its layer (embeddings: 0 and 1; each block: 2 + 6·layer + slot)."""
    residual_out: bool
    """Whether the matrix writes the residual stream ([width, residual]); it is read transposed."""


EMBEDDINGS = (Role("pos_embed", 0, True), Role("token_embed", 1, True))
BLOCK = (Role("transformer/layer_{layer}/attn/query", 0, False), Role("transformer/layer_{layer}/attn/key", 1, False),
         Role("transformer/layer_{layer}/attn/value", 2, False), Role("transformer/layer_{layer}/attn/linear", 3, True),
         Role("transformer/layer_{layer}/mlp/linear_1", 4, False), Role("transformer/layer_{layer}/mlp/linear_2", 5, True))
ROLES_PER_LAYER = len(BLOCK)


def slots(layers: int) -> int:
    """Distinct roles in a model of ``layers`` blocks: the two embeddings and six matrices a block."""
    return len(EMBEDDINGS) + ROLES_PER_LAYER * layers


def dims_of(params: dict) -> Dims:
    layers = sum(1 for m in params if m.startswith("transformer/layer_") and m.endswith("/attn/query"))
    return Dims(layers, params["token_embed"]["embeddings"].shape[1],
                params["transformer/layer_0/attn/query"]["w"].shape[1] if layers else 0,
                params["transformer/layer_0/mlp/linear_1"]["w"].shape[1] if layers else 0)


def shapes(dims: Dims) -> dict[str, dict[str, tuple[int, ...]]]:
    """Every parameter's shape in a model of these sizes."""
    r = dims.residual
    out = {"pos_embed": {"embeddings": (POSITIONS, r)}, "token_embed": {"embeddings": (TOKENS, r)}}
    widths = (dims.attention, dims.attention, dims.attention, dims.attention, dims.mlp, dims.mlp)
    for layer in range(dims.layers):
        for role, width in zip(BLOCK, widths):
            inner = (width, r) if role.residual_out else (r, width)
            out[role.module.format(layer=layer)] = {"w": inner, "b": (r if role.residual_out else width,)}
    return out


def unflatten(flat: np.ndarray, dims: Dims) -> dict:
    """The parameter dict :func:`files.flatten` made ``flat`` from (the same sorted order)."""
    table, params, at = shapes(Dims(*dims)), {}, 0
    size = sum(int(np.prod(s)) for d in table.values() for s in d.values())
    if size != flat.size:
        raise ValueError(f"{flat.size} values, but a model of {tuple(dims)} has {size}")
    for module in sorted(table):
        for name in sorted(table[module]):
            n = int(np.prod(table[module][name]))
            params.setdefault(module, {})[name] = flat[at:at + n].reshape(table[module][name])
            at += n
    return params


def residual_order(params: dict) -> np.ndarray:
    """The residual rows sorted by what writes them first: the token embedding, the position embedding, then
    each block's attention and MLP in turn (ties keep Tracr's order, i.e. by value).

    Tracr orders the residual stream by label, so where an op's values sit depends on how its name sorts
    (``aggregate_7`` before ``map_3``). Permuting the residual basis changes nothing a model computes, and
    this order depends on the weights alone, so it lines up models whatever their labels: inputs first, then
    each op's values in the order the model computes them."""
    writers = [params["token_embed"]["embeddings"], params["pos_embed"]["embeddings"]]
    for layer in range(dims_of(params).layers):
        writers += [params[BLOCK[3].module.format(layer=layer)]["w"], params[BLOCK[5].module.format(layer=layer)]["w"]]
    first = np.full(writers[0].shape[1], len(writers))
    for i in reversed(range(len(writers))):
        first[np.abs(writers[i]).sum(0) > 0] = i
    return np.argsort(first, kind="stable")


def matrices(params: dict, order: Optional[np.ndarray] = None):
    """(slot, [residual, width] matrix, bias along the width, bias along the residual) for every weight
    matrix, embeddings first, then each block's six in :data:`BLOCK` order; residual rows in ``order``."""
    dims = dims_of(params)
    rows = np.arange(dims.residual) if order is None else order
    for role in EMBEDDINGS:
        yield role.slot, params[role.module]["embeddings"].T[rows], None, None
    for layer in range(dims.layers):
        for role in BLOCK:
            p = params[role.module.format(layer=layer)]
            w = (p["w"].T if role.residual_out else p["w"])[rows]
            yield (len(EMBEDDINGS) + ROLES_PER_LAYER * layer + role.slot, w,
                   None if role.residual_out else p["b"], p["b"][rows] if role.residual_out else None)


CIRCUITS_PER_LAYER = 5
"""A block read as circuits: W_QK, W_OV, the MLP's two matrices, and its response to each residual direction."""


def circuit_slots(layers: int) -> int:
    return len(EMBEDDINGS) + CIRCUITS_PER_LAYER * layers


def one_direction(params: dict) -> Optional[int]:
    """The residual direction every token writes 1 to (Tracr's ``one``), or None."""
    embed = params["token_embed"]["embeddings"]
    found = np.flatnonzero(np.all(embed == 1, axis=0))
    return int(found[0]) if found.size else None


def circuits(params: dict, order: Optional[np.ndarray] = None):
    """(slot, matrix, None, None) for the embeddings and, per block, its circuits, residual in ``order`` along
    every residual axis: W_QK = W_Q W_Kᵀ (query direction x key direction) and W_OV = W_V W_O (read x write),
    summed over heads, so how Tracr factors them does not show; the MLP's two matrices as :func:`matrices`
    reads them; and the MLP's response to each residual direction i, f(one + e_i) - f(one), which for a
    categorical map is its lookup table (input value x output value). Tracr's models have no biases."""
    dims = dims_of(params)
    rows = np.arange(dims.residual) if order is None else order
    one = one_direction(params)
    base = np.zeros(dims.residual, dtype=np.float32)
    if one is not None:
        base[one] = 1.0
    for role in EMBEDDINGS:
        yield role.slot, params[role.module]["embeddings"].T[rows], None, None
    for layer in range(dims.layers):
        w = {role.slot: params[role.module.format(layer=layer)]["w"] for role in BLOCK}
        first = len(EMBEDDINGS) + CIRCUITS_PER_LAYER * layer
        yield first, (w[0] @ w[1].T)[np.ix_(rows, rows)], None, None
        yield first + 1, (w[2] @ w[3])[np.ix_(rows, rows)], None, None
        yield first + 2, w[4][rows], None, None
        yield first + 3, w[5].T[rows], None, None
        inputs = base + np.eye(dims.residual, dtype=np.float32)
        response = np.maximum(inputs @ w[4], 0) @ w[5] - np.maximum(base @ w[4], 0) @ w[5]
        yield first + 4, response[np.ix_(rows, rows)], None, None
