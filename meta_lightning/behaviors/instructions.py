"""System-prompt QA: the assistant is given an instruction from the catalogue; the meta-model says which.

Whole categories are held out of training (``test`` reads only them); within the training categories a fifth
of the instructions are kept for ``val``, so validation asks about instructions never trained on. Yes/No
questions are balanced, their distractors drawn half from the same category and half from the others;
free-text questions ask what the assistant was told to do (or, one in four, what kind of instruction it got).
With ``replies``, some conversations go on past the user's message, so the instruction sits further back.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import ClassVar, Optional, Sequence

from meta_lightning.behaviors.base import Behavior, Conversation, Question, Source
from meta_lightning.behaviors.instruction_catalogue import CATALOGUE, PROMPTS, USER_MESSAGES
from meta_lightning.errors import ConfigError

YES_NO = (
    "Was the assistant told to {d}?", "Did the system prompt ask the assistant to {d}?", "Is the assistant supposed to {d}?",
    "Was the model instructed to {d}?", "Has the assistant been asked to {d}?", "Is the model meant to {d}?",
    "Did someone tell the assistant to {d}?", "Is this assistant following an instruction to {d}?",
    "Was the model given the instruction to {d}?", "Does the assistant have orders to {d}?",
    "Was the assistant asked to {d} in its replies?", "Is the model under instructions to {d}?",
)
WHAT = (
    "What was the assistant told to do?", "What instruction did the assistant get?", "What does the system prompt ask for?",
    "What is the assistant supposed to do?", "Which instruction is the model following?", "What was the model asked to do?",
    "Describe the assistant's instruction.", "What rule was the assistant given?", "What has the assistant been told to do?",
    "What is the model meant to do in its replies?",
)
KIND = (
    "What kind of instruction did the assistant get?", "What is the instruction about?",
    "Which kind of rule is the model following?",
    "What category does the assistant's instruction belong to?", "What aspect of its replies was the assistant told to change?",
    "What sort of instruction is this?", "What type of system prompt did the model get?",
    "What does the instruction concern?", "Which part of the answer does the instruction shape?",
    "What area is the assistant's instruction in?",
)


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def check_categories(held_out: Sequence[str], categories: Optional[Sequence[str]], behavior: str) -> None:
    """Catalogue categories that exist, none both trained and held out; errors name ``behavior``'s fields."""
    for field, names in (("held_out_categories", held_out), ("categories", categories or ())):
        unknown = [c for c in names if c not in CATALOGUE]
        if unknown:
            raise ConfigError(f"{behavior}.{field}", f"unknown category {unknown[0]!r}", f"Use any of: {', '.join(CATALOGUE)}")
    overlap = set(categories or ()) & set(held_out)
    if overlap:
        raise ConfigError(f"{behavior}.categories", f"{sorted(overlap)[0]!r} is also held out",
                          f"Train on categories that {behavior}.held_out_categories does not list")


def system_prompt(template: str, instruction: str) -> str:
    """A system prompt of ``PROMPTS`` around an instruction."""
    return template.format(d=instruction, D=instruction[0].upper() + instruction[1:])


def user_messages(split: str) -> list[str]:
    """The user messages of ``split``: three quarters for training, the rest for everything else."""
    return [u for u in USER_MESSAGES if (_fraction(u) < 0.75) == (split == "train")]


def system_chat(system: str, user: str, rng: random.Random, replies: float, passages: Sequence[str],
                followups: Sequence[str]) -> list[dict]:
    """A system prompt and a user message, continued (with probability ``replies``) by an assistant passage and
    a follow-up, so that the system prompt sits further back."""
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    if rng.random() < replies:
        messages += [{"role": "assistant", "content": rng.choice(passages)},
                     {"role": "user", "content": rng.choice(list(followups))}]
    return messages


@dataclass
class Instructions(Behavior):
    """The assistant follows a system-prompt instruction; classes are the catalogue's instructions."""

    held_out_categories: Sequence[str] = ("emotion", "politeness", "habit")
    """Categories only ``test`` reads, never trained or validated on."""
    categories: Optional[Sequence[str]] = None
    """Training categories (None: every category not held out); fewer of them make a less diverse training set."""
    replies: float = 0.0
    """Share of conversations that go on after the user's message: an assistant turn (a built-in passage of the
    same split, which says nothing of the instruction) and a follow-up, as a longer chat does. The system prompt
    then sits 30 to 60 tokens before the end: a reading of the last tokens alone misses it."""

    name: ClassVar[str] = "instructions"
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = tuple(d for ds in CATALOGUE.values() for d in ds)
    uses_k: ClassVar[bool] = False
    probe_ready: ClassVar[bool] = False
    test_held_out: ClassVar[bool] = True

    def __post_init__(self):
        check_categories(self.held_out_categories, self.categories, "instructions")
        if not 0.0 <= self.replies <= 1.0:
            raise ConfigError("instructions.replies", f"must be a share from 0 to 1, got {self.replies}", "Use e.g. 0.5")

    def training_categories(self) -> list[str]:
        return list(self.categories or [c for c in CATALOGUE if c not in self.held_out_categories])

    def sources(self) -> list[Source]:
        return [Source(d, d, (("category", c),)) for c, ds in CATALOGUE.items() for d in ds]

    def recipe(self, seed: int) -> dict:
        return {**super().recipe(seed), "held_out_categories": list(self.held_out_categories),
                "categories": self.training_categories(), "replies": self.replies}

    def split_sources(self, split: str) -> list[Source]:
        if split in ("test", "all"):
            return [s for s in self.corpus() if s.get("category") in self.held_out_categories or split == "all"]
        if split not in ("train", "val"):
            return super().split_sources(split)
        trained = set(self.training_categories())
        return [s for s in self.corpus() if s.get("category") in trained and (_fraction(s.text) < 0.2) == (split == "val")]

    def min_sources(self) -> int:
        return 1

    def conversations(self, split: str, n: int, seed: int = 0) -> list[Conversation]:
        rng = random.Random(f"{self.name}:{split}:{seed}:conversations")
        sources = self.split_sources(split)
        if not sources:
            raise ConfigError("instructions.categories", f"split {split!r} has no instructions", "Train on more categories")
        users = user_messages(split)
        order = rng.sample(sources, len(sources))
        # Its own stream, so replies: 0 gives the conversations it always gave.
        more, passages = random.Random(f"{self.name}:{split}:{seed}:replies"), self._passages(split)
        out = []
        for i in range(n):
            source = order[i % len(order)]
            system = system_prompt(rng.choice(PROMPTS), source.text)
            messages = system_chat(system, rng.choice(users), more, self.replies, passages, self.followups)
            out.append(Conversation(self.name, source.label, messages, (source.id,), split))
        return out

    def _passages(self, split: str) -> list[str]:
        if not self.replies:
            return []
        from meta_lightning.behaviors.context import Context

        return [s.text for s in Context().split_sources("test" if split == "all" else split)]

    def category(self, instruction: str) -> str:
        return next(c for c, ds in CATALOGUE.items() if instruction in ds)

    def questions_for(self, label: str) -> list[str]:
        return [q.format(d=label) for q in YES_NO]

    def describe_questions(self) -> list[str]:
        return list(WHAT)

    def class_name(self, label: str) -> str:
        return label

    def yes_no_questions(self, conversations: Sequence[Conversation], seed: int, per_conversation: int) -> list[Question]:
        """Balanced; a "No" asks about another instruction of the conversations' own pool: of the same category
        (half the time, where it has another) or of another."""
        rng = random.Random(f"{self.name}:{seed}:questions")
        pool = sorted({c.label for c in conversations})
        out = []
        for i, conv in enumerate(conversations):
            category = self.category(conv.label)
            same = [d for d in pool if d != conv.label and self.category(d) == category]
            other = [d for d in pool if self.category(d) != category]
            for j in range(per_conversation):
                # Per round of instructions, as classes do (each instruction both ways); by turn within one round.
                turn = i // len(pool) if len(conversations) >= 2 * len(pool) else i
                yes = (turn + j) % 2 == 0
                asked = conv.label
                if not yes:
                    choices = same if (same and (rng.random() < 0.5 or not other)) else other or same
                    asked = rng.choice(choices)
                out.append(Question(i, rng.choice(self.questions_for(asked)), "Yes" if yes else "No", asked))
        return out

    def text_questions(self, conversations: Sequence[Conversation], seed: int, per_conversation: int) -> list[Question]:
        rng = random.Random(f"{self.name}:{seed}:text questions")
        out = []
        for i, conv in enumerate(conversations):
            for _ in range(per_conversation):
                if rng.random() < 0.25:
                    out.append(Question(i, rng.choice(KIND), self.category(conv.label), conv.label))
                else:
                    out.append(Question(i, rng.choice(WHAT), conv.label, conv.label))
        return out
