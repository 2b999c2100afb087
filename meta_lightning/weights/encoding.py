"""How a compiled model's parameters become the meta-model's input vectors.

``matrices`` (the default): one vector per weight matrix. Each matrix is laid on a fixed canvas with the
residual stream along the rows (:func:`layout.matrices`), sorted by what writes them, its bias in an extra
row or column, so the same canvas cell means the same kind of weight in every model; the vector's slot says
which matrix of which layer it is. ``chunks``: the flattened parameters cut into ``chunk_size`` pieces,
slot = chunk index (the paper's encoding, where a cell's meaning shifts with every model's sizes).
``circuits``: as ``matrices``, but each block's attention read as its products W_QK and W_OV and its MLP also
as its response to each residual direction (:func:`layout.circuits`): a selector's predicate and a map's
table are then cells of one vector, where ``matrices`` splits them over two or four.

Values are squashed elementwise (sign(x)·log(1+|x|)): Tracr writes values from 0 to about 10^3, and their
order of magnitude matters more than their exact size. ``extent`` marks the cells a model really has, so
the random-weights baseline can put noise there and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from meta_lightning.errors import ConfigError
from meta_lightning.weights.files import flatten
from meta_lightning.weights.layout import (
    POSITIONS,
    TOKENS,
    Dims,
    circuit_slots,
    circuits,
    dims_of,
    matrices,
    residual_order,
    shapes,
    slots,
)


def squash(weights: np.ndarray) -> np.ndarray:
    return np.sign(weights) * np.log1p(np.abs(weights))


@dataclass(frozen=True)
class Encoding:
    """How parameters become input vectors (``data.encoding``)."""

    kind: Literal["matrices", "circuits", "chunks"] = "matrices"
    """matrices: a vector per weight matrix on a residual-aligned canvas; circuits: the same canvas, attention
    as W_QK and W_OV and each MLP also as its response table; chunks: the flat parameters cut up."""
    rows: int = 72
    """matrices: the widest residual stream read (canvas rows; one more holds biases). Of 8,000 programs of 1-5
    ops under 73,728 parameters, 2.4 % need more rows or columns (left out, and counted); Tracr's library
    programs that the grammar writes all fit (``make_sort_freq``: 68 rows)."""
    cols: int = 96
    """matrices: the widest attention or MLP layer read (canvas columns; one more holds biases)."""
    max_layers: int = 8
    """matrices: the most transformer blocks read."""
    sort_residual: bool = True
    """matrices: residual rows sorted by what writes them (inputs, then each layer; ``layout.residual_order``),
    not by Tracr's label order, which moves an op's rows with how its name sorts."""
    chunk_size: int = 512
    """chunks: parameters per input vector."""
    max_chunks: int = 48
    """chunks: the most chunks read (chunk_size * max_chunks parameters)."""

    def features(self) -> int:
        """Length of one input vector."""
        return self.chunk_size if self.kind == "chunks" else (self.rows + 1) * (self.cols + 1)

    def slots(self) -> int:
        """Distinct slot ids (learned position embeddings)."""
        if self.kind == "chunks":
            return self.max_chunks
        return circuit_slots(self.max_layers) if self.kind == "circuits" else slots(self.max_layers)

    def check(self, dims: Dims, field: str = "data.encoding") -> None:
        """A one-line error naming the setting when a model of ``dims`` does not fit."""
        if self.kind == "chunks":
            size = sum(int(np.prod(s)) for d in shapes(dims).values() for s in d.values())
            if size > self.chunk_size * self.max_chunks:
                need = -(-size // self.chunk_size)
                raise ConfigError(f"{field}.max_chunks", f"a model has {size} parameters, more than {self.max_chunks} "
                                  f"chunks of {self.chunk_size}", f"Raise it to {need}, or lower data.generation.max_params")
            return
        width = max(dims.attention, dims.mlp, TOKENS, POSITIONS, dims.residual if self.kind == "circuits" else 0)
        for name, have, need in (("rows", self.rows, dims.residual), ("cols", self.cols, width),
                                 ("max_layers", self.max_layers, dims.layers)):
            if need > have:
                raise ConfigError(f"{field}.{name}", f"a model needs {need}, more than {have}",
                                  f"Raise it to {need}, or lower data.generation.max_params")

    def encode(self, params: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vectors [n, features] float32, extent [n, features] bool: cells the model has, slot ids [n])."""
        self.check(dims_of(params))
        if self.kind == "chunks":
            flat = squash(flatten(params))
            count = -(-flat.size // self.chunk_size)
            vectors = np.zeros(count * self.chunk_size, dtype=np.float32)
            vectors[:flat.size] = flat
            extent = np.arange(vectors.size) < flat.size
            shape = (count, self.chunk_size)
            return vectors.reshape(shape), extent.reshape(shape), np.arange(count)
        read = circuits if self.kind == "circuits" else matrices
        found = list(read(params, residual_order(params) if self.sort_residual else None))
        canvas = np.zeros((len(found), self.rows + 1, self.cols + 1), dtype=np.float32)
        extent = np.zeros(canvas.shape, dtype=bool)
        for i, (_, w, width_bias, residual_bias) in enumerate(found):
            r, c = w.shape
            canvas[i, :r, :c], extent[i, :r, :c] = squash(w), True
            if width_bias is not None:
                canvas[i, self.rows, :c], extent[i, self.rows, :c] = squash(width_bias), True
            if residual_bias is not None:
                canvas[i, :r, self.cols], extent[i, :r, self.cols] = squash(residual_bias), True
        n = len(found)
        return canvas.reshape(n, -1), extent.reshape(n, -1), np.array([slot for slot, *_ in found])
