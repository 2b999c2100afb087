"""Multilingual sentiment: positive or negative reviews, in six languages; the question asks about sentiment."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from meta_lightning.behaviors.base import Source
from meta_lightning.behaviors.languages import NAMES, reviews
from meta_lightning.behaviors.loaders import amazon_reviews
from meta_lightning.behaviors.sentiment import Sentiment


@dataclass
class MultilingualSentiment(Sentiment):
    name: ClassVar[str] = "multilingual"
    version: ClassVar[int] = 1
    languages: tuple[str, ...] = tuple(NAMES)
    """Language codes to draw reviews from; each conversation keeps to one language."""

    def sources(self) -> list[Source]:
        if self.dataset:
            return [s for s in amazon_reviews(self.dataset) if s.get("language") in self.languages]
        return [Source(text, label, (("language", lang),))
                for lang in self.languages for label in self.classes for text in reviews(lang, label)]

    def build(self, label, pool, rng, split):
        # One language per conversation, chosen first, so the few-shot turns agree.
        lang = rng.choice([code for code in self.languages if sum(s.get("language") == code for s in pool) >= self.k])
        return super().build(label, [s for s in pool if s.get("language") == lang], rng, split)
