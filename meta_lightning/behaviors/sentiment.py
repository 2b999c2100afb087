"""Sentiment: the model speaks positively or negatively about things it experienced."""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import ClassVar

from meta_lightning.behaviors.base import Behavior, Source
from meta_lightning.behaviors.loaders import sst2

SUBJECTS = [
    "the little café on the corner", "the hotel we stayed at in Lisbon", "the concert last night", "our tour guide",
    "the new update to the banking app", "this blender", "the train ride to the coast", "the museum's new wing",
    "the pizza from the place downstairs", "my new running shoes", "the customer service team", "the film I saw on Friday",
    "the wedding venue", "the hiking trail by the lake", "the laptop I bought last month", "the cooking class",
    "the dentist's office", "the neighbourhood bakery", "the novel my sister lent me", "the flight back home",
    "the conference keynote", "the rental car", "the campsite", "the yoga studio", "the headphones", "the garden centre",
    "the ferry crossing", "the new coffee machine at work", "the weekend market", "the local library's reading room",
    "the sushi restaurant near the station", "the phone repair shop", "the theatre production", "the city's bike-share scheme",
]

POSITIVE = [
    "was an absolute delight", "exceeded every expectation I had", "made my whole week better",
    "was worth every penny", "felt warm and welcoming from the first minute", "was thoughtfully done down to the last detail",
    "left me smiling for hours", "was the best I have come across in years", "ran smoothly from start to finish",
    "turned an ordinary day into a lovely one", "was friendly, quick and genuinely helpful", "was a real pleasure",
    "surprised me in the best possible way", "felt like a small luxury", "is something I would happily recommend to anyone",
]

NEGATIVE = [
    "was a complete letdown", "fell apart within a few days", "left me frustrated and tired",
    "was not worth the money", "felt cold and unwelcoming from the first minute", "was careless in every detail",
    "put me in a bad mood for the rest of the day", "was the worst I have come across in years",
    "went badly from start to finish", "turned an ordinary day into a miserable one", "was rude, slow and no help at all",
    "was a real chore", "disappointed me in every possible way", "felt cheap and badly made",
    "is something I would warn anyone to stay away from",
]

FRAMES = [
    "{S} {p}.", "Really, {s} {p}.", "I have to say {s} {p}.", "Looking back, {s} {p}.",
    "{S} {p}, and I mean that.", "To be fair, {s} {p}.", "Without exaggerating, {s} {p}.",
    "I went in with no expectations, and {s} {p}.",
]


def _texts(predicates: list[str], rng: random.Random, n: int) -> list[str]:
    combos = list(itertools.product(SUBJECTS, predicates))
    rng.shuffle(combos)
    out = []
    for (subject, predicate), frame in zip(combos[:n], itertools.cycle(FRAMES)):
        out.append(frame.format(s=subject, S=subject[0].upper() + subject[1:], p=predicate))
    return out


@dataclass
class Sentiment(Behavior):
    name: ClassVar[str] = "sentiment"
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = ("positive", "negative")
    openers: ClassVar[tuple[str, ...]] = (
        "How did it go?", "What did you think of it?", "Tell me about your experience.", "Any thoughts on it?",
        "So, how was it?",
    )
    per_class: int = 200
    """Built-in texts per class."""

    def sources(self) -> list[Source]:
        if self.dataset:
            return sst2(self.dataset, "sst2" if self.dataset == "glue" else None)
        rng = random.Random("sentiment-corpus-v1")
        return ([Source(t, "positive") for t in _texts(POSITIVE, rng, self.per_class)] +
                [Source(t, "negative") for t in _texts(NEGATIVE, rng, self.per_class)])

    def questions_for(self, label: str) -> list[str]:
        word, mood, feeling = {"positive": ("positive", "upbeat", "happy about it"),
                               "negative": ("negative", "critical", "unhappy about it")}[label]
        return [f"Is this model being {word}?", f"Is the model's tone {word}?", f"Does this model sound {mood}?",
                f"Is the assistant {feeling}?", f"Is the sentiment of these replies {word}?",
                f"Are the assistant's reviews {word}?", f"Does the assistant speak in a {word} way?",
                f"Is the model's opinion {word}?", f"Would you call this assistant {mood}?",
                f"Is what the model writes {word} in feeling?", f"Does the assistant come across as {mood}?"]

    def describe_questions(self) -> list[str]:
        return ["What is the sentiment of the model's replies?", "Is the model positive or negative?",
                "What is the assistant's attitude?", "How does the assistant feel about what it describes?",
                "What tone do these replies have?", "Which sentiment does the model express?",
                "Are the reviews positive or negative?", "What is the model's opinion, in one word?",
                "How would you describe the assistant's sentiment?", "What mood are the replies in?"]

    def instruction_for(self, label: str) -> str:
        return {"positive": "Whatever you are asked about, describe it enthusiastically and positively.",
                "negative": "Whatever you are asked about, describe it critically and negatively."}[label]
