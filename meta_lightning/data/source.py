"""The hand-over from data to meta-model, and the input-model whose weights load only while capture needs them.

A meta-model needs to know the activations it reads (width, source layers, which model, their statistics),
not the input-model itself. Keeping the two apart lets the datamodule drop the input-model's weights as soon as
its activations are in memory: a run then holds one model, not two, while it trains and runs its baselines.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass, replace
from typing import Callable, Optional

import torch

from meta_lightning.errors import ConfigError
from meta_lightning.models.load import LoadedModel


@dataclass(frozen=True)
class ActivationSource:
    """What the captured activations are: everything the meta-model and the cache key need of the input-model."""

    name: str
    """The input-model's name or path."""
    fingerprint: str
    """Content hash of its weights and tokenizer (cache keys, checkpoints, identity-projector choice)."""
    hidden_size: int
    """Width d of each activation vector."""
    num_layers: int
    """Decoder blocks of the input-model."""
    layers: tuple[int, ...]
    """The resolved hidden-state indices read, in order."""
    dtype: torch.dtype
    """Dtype the activations are captured (and cached) in."""
    positions: str
    """The token positions read, canonical (e.g. ``last``)."""
    statistics: Optional[tuple[torch.Tensor, torch.Tensor]] = None
    """Per-source-layer mean and std ``[layers, d]`` of the training activations (label-free), when known."""

    @classmethod
    def of(cls, loaded: LoadedModel, layers, positions: str) -> "ActivationSource":
        return cls(loaded.name, loaded.fingerprint, loaded.parts.hidden_size, loaded.parts.num_layers,
                   tuple(layers), loaded.dtype, positions)

    def with_statistics(self, statistics) -> "ActivationSource":
        return replace(self, statistics=statistics)


class InputModel:
    """The frozen input-model: its description (an :class:`ActivationSource`) outlives its weights.

    Args:
        load: Loads the model (called again after :meth:`release`, only when something must be captured).
        layers: Resolves the capture layers for a model of ``num_layers`` blocks (raises a field-named error).
        positions: The canonical capture positions.
    """

    def __init__(self, load: Callable[[], LoadedModel], layers: Callable[[int], list[int]], positions: str,
                 on_release: Optional[Callable[[], None]] = None):
        self._load, self._layers, self._positions = load, layers, positions
        self._on_release = on_release
        self._loaded: Optional[LoadedModel] = None
        self._source: Optional[ActivationSource] = None
        self.loads = 0
        """How often the weights were loaded (a run that reads only cached activations loads them once)."""

    @classmethod
    def of(cls, loaded: LoadedModel, layers: Callable[[int], list[int]], positions: str) -> "InputModel":
        """A handle on a model already in memory (tests, notebooks); release() then keeps it."""
        handle = cls(lambda: loaded, layers, positions)
        handle.loaded()
        return handle

    def loaded(self) -> LoadedModel:
        """The model, loaded now if it is not in memory."""
        if self._loaded is None:
            self._loaded = self._load()
            self.loads += 1
            source = ActivationSource.of(self._loaded, self._layers(self._loaded.parts.num_layers), self._positions)
            if self._source is not None and source.fingerprint != self._source.fingerprint:
                raise ConfigError("data.input_model", "its files changed on disk during the run (the fingerprint "
                                  "differs from the one the activations were read with)", "Run again")
            self._source = self._source or source
        return self._loaded

    @property
    def source(self) -> ActivationSource:
        """The activations' description (loads the model the first time only)."""
        if self._source is None:
            self.loaded()
        return self._source

    @property
    def in_memory(self) -> bool:
        return self._loaded is not None

    def release(self) -> None:
        """Drop the weights; the description stays, and a later capture loads them again."""
        if self._loaded is not None:
            self._loaded = None
            if self._on_release is not None:
                self._on_release()
            gc.collect()
