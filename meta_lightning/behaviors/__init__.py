"""Behaviours the input-model shows, one module each, looked up by name in one registry."""
from __future__ import annotations

from meta_lightning.behaviors.base import SPLITS, Behavior, Conversation, Question, Source, split_of
from meta_lightning.behaviors.lies import Lies
from meta_lightning.behaviors.sentiment import Sentiment
from meta_lightning.errors import ConfigError

REGISTRY: dict[str, type[Behavior]] = {cls.name: cls for cls in (Sentiment, Lies)}


def get_behavior(name: str, field: str = "behaviors", **options) -> Behavior:
    """An instance of the behaviour called ``name``; unknown names fail with the list of known ones."""
    if name not in REGISTRY:
        raise ConfigError(field, f"unknown behaviour {name!r}", f"Use one of: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](**options)


__all__ = ["REGISTRY", "SPLITS", "Behavior", "Conversation", "Question", "Source", "get_behavior", "split_of"]
