"""Language: the model speaks one of six languages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from meta_lightning.behaviors.base import Behavior, Source
from meta_lightning.behaviors.languages import NAMES, place_statements
from meta_lightning.behaviors.loaders import amazon_reviews


@dataclass
class Language(Behavior):
    name: ClassVar[str] = "language"
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = tuple(NAMES)
    openers: ClassVar[tuple[str, ...]] = ("Tell me about your town.", "What is there to see around here?",
                                          "Where can I find things nearby?")

    def sources(self) -> list[Source]:
        if self.dataset:
            return [s for s in amazon_reviews(self.dataset, label="language") if s.label in self.classes]
        return [Source(text, lang) for lang in self.classes for text in place_statements(lang)]

    def class_name(self, label: str) -> str:
        return NAMES[label]

    def questions_for(self, label: str) -> list[str]:
        name = NAMES[label]
        return [f"Is this model speaking {name}?", f"Is the assistant answering in {name}?", f"Is this reply written in {name}?",
                f"Is {name} the language of these replies?", f"Does the model write in {name}?",
                f"Are the assistant's words {name}?", f"Is the model using {name}?", f"Is the conversation in {name}?",
                f"Does the assistant reply in {name}?", f"Would a {name} speaker read these replies in their own language?"]

    def describe_questions(self) -> list[str]:
        return ["Which language is the model speaking?", "What language are the replies in?",
                "In which language does the assistant answer?", "What language does the model write?",
                "Name the language of this conversation.", "Which language is the assistant using?",
                "What is the language of the model's replies?", "Which language do these replies use?",
                "What language is the assistant speaking?", "In what language is the model writing?"]

    def instruction_for(self, label: str) -> str:
        return f"Answer only in {NAMES[label]}."
