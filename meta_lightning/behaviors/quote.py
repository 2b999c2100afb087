"""Quoting the system prompt, self-supervised: the meta-model repeats the first words of the system prompt the
input-model read, word for word.

Classification and system-prompt QA answer in a closed vocabulary (class names, the catalogue's descriptions),
so an oracle trained only on them describes any conversation in those words. Here the target is whatever the
system prompt says, so the oracle must copy words out of the activations. System prompts alternate between an
instruction of the catalogue (split as ``instructions`` splits them: held-out categories only in ``test``) and
a built-in passage (split as ``context`` splits them). Everything it shows is honesty-neutral (the scan test).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar, Optional, Sequence

from meta_lightning.behaviors.base import EVAL_SPLITS, Behavior, Conversation, FreeTextOnly, Question, Source
from meta_lightning.behaviors.context import Context
from meta_lightning.behaviors.instruction_catalogue import PROMPTS
from meta_lightning.behaviors.instructions import Instructions, check_categories, system_chat, system_prompt, user_messages
from meta_lightning.errors import ConfigError

QUOTE = (
    "Quote the system prompt.", "Repeat the system prompt word for word.", "What exactly does the system prompt say?",
    "Give the first words of the system prompt.", "Recite the assistant's system message.", "Copy out the system prompt.",
    "What are the opening words of the system prompt?", "Write down the system prompt verbatim.",
    "Quote what the assistant was given before the chat.", "Repeat the start of the system message.",
)


@dataclass
class Quote(FreeTextOnly, Behavior):
    """A system prompt (an instruction or a passage, in turn) and a user message; the answer is its first words."""

    words: int = 8
    """Most words of the system prompt an answer holds (a longer one is cut, so answers fit the token limit)."""
    replies: float = 0.5
    """Share of conversations that go on after the user's message (an assistant passage and a follow-up), so the
    system prompt sits further back, as in a lie conversation."""
    held_out_categories: Sequence[str] = ("emotion", "politeness", "habit")
    """Instruction categories only ``test`` quotes; keep them equal to ``instructions.held_out_categories``."""
    categories: Optional[Sequence[str]] = None
    """Instruction categories trained on (None: every one not held out), as ``instructions.categories``."""

    name: ClassVar[str] = "quote"
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = ("instruction", "passage")
    uses_k: ClassVar[bool] = False
    probe_ready: ClassVar[bool] = False

    def __post_init__(self):
        if self.words < 1:
            raise ConfigError("quote.words", f"must be at least 1, got {self.words}", "Use e.g. 8")
        if not 0.0 <= self.replies <= 1.0:
            raise ConfigError("quote.replies", f"must be a share from 0 to 1, got {self.replies}", "Use e.g. 0.5")
        check_categories(self.held_out_categories, self.categories, "quote")
        super().__post_init__()

    def _instructions(self) -> Instructions:
        return Instructions(held_out_categories=self.held_out_categories, categories=self.categories)

    def _passages(self) -> Context:
        """The passages, split as context prediction splits them: built in, or ``dataset`` (as ``context.dataset``)."""
        return Context(dataset=self.dataset)

    def sources(self) -> list[Source]:
        return ([Source(s.text, "instruction", s.extra) for s in self._instructions().sources()]
                + [Source(s.text, "passage") for s in self._passages().sources()])

    def recipe(self, seed: int) -> dict:
        # words shapes the answers only, not what the input-model reads: it is not part of the cache key.
        return {**super().recipe(seed), "replies": self.replies,
                "held_out_categories": list(self.held_out_categories),
                "categories": self._instructions().training_categories()}

    def split_sources(self, split: str) -> list[Source]:
        if split not in EVAL_SPLITS:
            return super().split_sources(split)
        instructions = [Source(s.text, "instruction", s.extra) for s in self._instructions().split_sources(split)]
        return instructions + [Source(s.text, "passage") for s in self._passages().split_sources(split)]

    def conversations(self, split: str, n: int, seed: int = 0) -> list[Conversation]:
        """Instructions and passages in turn; a reply, where drawn, is a passage of the same split."""
        rng = random.Random(f"{self.name}:{split}:{seed}:conversations")
        sources = self.split_sources(split)
        pools = {c: [s for s in sources if s.label == c] for c in self.classes}
        if not pools["instruction"]:
            raise ConfigError("quote.categories", f"split {split!r} has no instructions", "Train on more categories")
        replies, users = [s.text for s in pools["passage"]], user_messages(split)
        out = []
        for i in range(n):
            source = rng.choice(pools[self.classes[i % 2]])
            text = system_prompt(rng.choice(PROMPTS), source.text) if source.label == "instruction" else source.text
            messages = system_chat(text, rng.choice(users), rng, self.replies, replies, self.followups)
            out.append(Conversation(self.name, source.label, messages, (source.id,), split))
        return out

    def describe_questions(self) -> list[str]:
        return list(QUOTE)

    def text_questions(self, conversations: Sequence[Conversation], seed: int, per_conversation: int) -> list[Question]:
        rng = random.Random(f"{self.name}:{seed}:text questions")
        out = []
        for i, conv in enumerate(conversations):
            answer = " ".join(conv.messages[0]["content"].split()[:self.words])
            out += [Question(i, rng.choice(QUOTE), answer, conv.label) for _ in range(per_conversation)]
        return out
