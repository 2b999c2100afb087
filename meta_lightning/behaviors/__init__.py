"""Behaviours the input-model shows, one module each, looked up by name in one registry."""
from __future__ import annotations

from meta_lightning.behaviors.base import EVAL_SPLITS, SPLITS, Behavior, Conversation, Question, Source, assign_splits
from meta_lightning.behaviors.context import Context
from meta_lightning.behaviors.emotion import Emotion
from meta_lightning.behaviors.instructions import Instructions
from meta_lightning.behaviors.language import Language
from meta_lightning.behaviors.lies import Lies, LiesAnswerOnly
from meta_lightning.behaviors.multilingual import MultilingualSentiment
from meta_lightning.behaviors.quote import Quote
from meta_lightning.behaviors.sentiment import Sentiment
from meta_lightning.errors import ConfigError

REGISTRY: dict[str, type[Behavior]] = {cls.name: cls for cls in (Sentiment, Emotion, Language, MultilingualSentiment, Lies,
                                                                 LiesAnswerOnly, Instructions, Context, Quote)}
TRAINING_BEHAVIORS = ("sentiment", "emotion", "language", "multilingual", "instructions", "context", "quote")
"""The four the paper trains on, system-prompt QA, context prediction and quoting; lies (both variants) are held out."""


def get_behavior(name: str, field: str = "behaviors", **options) -> Behavior:
    """An instance of the behaviour called ``name``; unknown names fail with the list of known ones."""
    if name not in REGISTRY:
        raise ConfigError(field, f"unknown behaviour {name!r}", f"Use one of: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](**options)


__all__ = ["REGISTRY", "TRAINING_BEHAVIORS", "SPLITS", "EVAL_SPLITS", "Behavior", "Conversation", "Question", "Source",
           "assign_splits", "get_behavior"]
