"""Activations of one behaviour split: build its conversations, then load them from the cache or capture them."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import torch

from meta_lightning.behaviors import Behavior, Conversation
from meta_lightning.cache import ActivationCache, CacheKey, FillReport
from meta_lightning.capture import ActivationCapturer, encode_chat, parse_positions, resolve_layers
from meta_lightning.capture.layers import LayerSpec
from meta_lightning.capture.positions import PositionSpec
from meta_lightning.data.generate import generate_replies
from meta_lightning.data.source import ActivationSource, InputModel
from meta_lightning.models.dtypes import dtype_name
from meta_lightning.models.load import LoadedModel


@dataclass
class CaptureSettings:
    """How activations are read from the input-model."""

    layers: LayerSpec = "every:4:0.5"
    """Hidden states to read (see meta_lightning.capture.layers); default: every 4th of the second half."""
    positions: PositionSpec = "last"
    """Token positions to read (see meta_lightning.capture.positions)."""
    batch_size: int = 16
    """Most conversations per input-model forward."""
    max_tokens: int = 8192
    """Most padded tokens per input-model forward."""
    generate_tokens: int = 0
    """On-policy: the input-model first writes its own reply of up to this many tokens (greedy), and
    activations are read over the conversation with that reply. 0 reads where the reply would start."""


@dataclass
class BehaviorActivations:
    behavior: str
    split: str
    conversations: list[Conversation]
    activations: list[torch.Tensor]
    key: CacheKey
    report: FillReport = field(default_factory=FillReport)


def cache_key(source: ActivationSource, behavior: Behavior, split: str, n: int, seed: int,
              settings: CaptureSettings) -> CacheKey:
    return CacheKey(
        model_fingerprint=source.fingerprint,
        recipe={**behavior.recipe(seed), "n": n, "generate_tokens": settings.generate_tokens},
        split=split,
        layers=source.layers,
        positions=source.positions,
        dtype=dtype_name(source.dtype),
    )


def behavior_activations(model: Union[LoadedModel, InputModel], behavior: Behavior, split: str, n: int, seed: int,
                         settings: CaptureSettings, cache: Optional[ActivationCache],
                         capturer: Optional[Callable[[], ActivationCapturer]] = None) -> BehaviorActivations:
    """``n`` conversations of ``behavior`` in ``split`` and their activations, captured only when not cached.

    ``model`` is an :class:`InputModel` handle (its weights load only if something must be captured) or a
    loaded model, read at ``settings.layers``. ``capturer`` makes the capturer (so a caller can share one and
    count its forwards); it is called only when something must be captured.
    ``cache=None`` captures in memory and stores nothing.
    """
    if isinstance(model, LoadedModel):
        model = InputModel.of(model, lambda count: resolve_layers(settings.layers, count, "data.capture.layers"),
                              parse_positions(settings.positions, "data.capture.positions").canonical())
    source = model.source
    conversations = behavior.conversations(split, n, seed)
    key = cache_key(source, behavior, split, n, seed, settings)
    capturer = capturer or functools.cache(lambda: ActivationCapturer(
        model.loaded(), list(key.layers), settings.positions, settings.batch_size, settings.max_tokens))
    encoded = None

    def capture(indices):
        nonlocal encoded
        loaded = model.loaded()
        if encoded is None:  # tokenise (and generate) only when something must be captured
            if settings.generate_tokens > 0:
                chats = generate_replies(loaded, conversations, settings.generate_tokens, seed, settings.batch_size)
                encoded = [encode_chat(loaded.tokenizer, m, add_generation_prompt=False) for m in chats]
            else:
                encoded = [encode_chat(loaded.tokenizer, c.messages) for c in conversations]
        return capturer().capture([encoded[i] for i in indices]).activations

    if cache is None:  # in memory only
        activations = capture(range(len(conversations)))
        return BehaviorActivations(behavior.name, split, conversations, activations, key,
                                   FillReport(captured_examples=len(conversations)))
    positions = parse_positions(settings.positions).at_most or 256  # "all": a typical conversation length
    entry = cache.entry(key)
    nbytes = len(key.layers) * positions * source.hidden_size * source.dtype.itemsize
    activations = entry.fill(len(conversations), capture, nbytes)
    return BehaviorActivations(behavior.name, split, conversations, activations, key, entry.report)
