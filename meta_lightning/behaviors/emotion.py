"""Emotion: the model voices one of six emotions about something that happened to it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from meta_lightning.behaviors.base import Behavior, Source
from meta_lightning.behaviors.loaders import go_emotions

SITUATIONS = [
    "the news about my sister", "what happened at work today", "the letter that arrived this morning",
    "the phone call from my old friend", "the exam results", "the message from the landlord", "what I found in the attic",
    "the sudden change of plans", "the visit from my neighbour", "the announcement at the station",
]

TEMPLATES = {
    "joy": ["I can't stop smiling about {s}.", "{S} filled me with pure joy.", "Really, {s} made me so happy I could dance.",
            "I'm overjoyed about {s}.", "{S} was the best thing to happen to me all year."],
    "sadness": ["I've been close to tears since {s}.", "{S} left me feeling empty and low.", "I feel so sad about {s}.",
                "{S} broke my heart a little.", "Ever since {s}, everything feels grey."],
    "anger": ["I'm furious about {s}.", "{S} made my blood boil.", "I can't believe how angry {s} made me.",
              "{S} was outrageous, and I'm still fuming.", "I wanted to shout at someone after {s}."],
    "fear": ["I'm scared about {s}.", "{S} left me shaking with fear.", "I couldn't sleep after {s}; I was terrified.",
             "{S} filled me with dread.", "My heart was pounding with fear because of {s}."],
    "surprise": ["I was completely stunned by {s}.", "{S} came out of nowhere; I never saw it coming.",
                 "Wow, {s} took me totally by surprise.", "I'm still amazed by {s}.", "{S} caught me completely off guard."],
    "disgust": ["{S} was revolting.", "I felt sick to my stomach about {s}.", "Frankly, {s} disgusted me.",
                "{S} was so vile I had to look away.", "I'm repulsed by {s}."],
}

WORDS = {  # noun for "expressing X", adjective for "sound X"
    "joy": ("joy", "joyful"), "sadness": ("sadness", "sad"), "anger": ("anger", "angry"),
    "fear": ("fear", "afraid"), "surprise": ("surprise", "surprised"), "disgust": ("disgust", "disgusted"),
}


@dataclass
class Emotion(Behavior):
    name: ClassVar[str] = "emotion"
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = tuple(TEMPLATES)
    openers: ClassVar[tuple[str, ...]] = ("How are you feeling?", "What's on your mind?", "How was your day?",
                                          "Talk to me. What happened?")

    def sources(self) -> list[Source]:
        if self.dataset:
            local = self.dataset.endswith((".json", ".jsonl", ".csv", ".parquet"))
            return go_emotions(self.dataset, None if local else "simplified")
        return [Source(t.format(s=s, S=s[0].upper() + s[1:]), label)
                for label, templates in TEMPLATES.items() for t in templates for s in SITUATIONS]

    def questions_for(self, label: str) -> list[str]:
        noun, adjective = WORDS[label]
        return [f"Is this model expressing {noun}?", f"Does this model sound {adjective}?",
                f"Is the assistant's reply full of {noun}?", f"Is the emotion in these replies {noun}?",
                f"Does the assistant feel {adjective}?", f"Is the model showing {noun}?",
                f"Would you say the assistant is {adjective}?", f"Do the replies convey {noun}?",
                f"Is {noun} what the model expresses?", f"Does the model come across as {adjective}?"]

    def describe_questions(self) -> list[str]:
        return ["Which emotion is the model expressing?", "What is the assistant feeling?", "What emotion do the replies show?",
                "How does the model feel?", "Name the emotion in these replies.", "What feeling does the assistant convey?",
                "Which emotion comes through in the model's words?", "What is the emotional tone of the assistant?",
                "What emotion is the assistant showing?", "In one word, what does the model feel?"]

    def instruction_for(self, label: str) -> str:
        return f"In every reply, express strong {WORDS[label][0]} about what you describe."
