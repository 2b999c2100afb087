"""Context prediction, self-supervised: the input-model reads the start of a passage, and the meta-model says
the words just before the reading point or the words that come next. No labels, no limit on data.

Passages are the built-in corpora of the classification behaviours (honesty-neutral, see the scan test), or
``dataset``: a text file with one passage per line, or a table or hub data set with a ``text`` column.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar, Sequence

from meta_lightning.behaviors.base import Behavior, Conversation, FreeTextOnly, Question, Source
from meta_lightning.behaviors.loaders import passages
from meta_lightning.errors import ConfigError

# Number-neutral phrasings, so one word reads as well as three.
PREVIOUS = ("Quote the last {w} before this point.", "Repeat the last {w} the model read.", "Quote the last {w}.",
            "Give the last {w} of the text.", "Give the final {w} read so far.")
NEXT = ("Name the next {w}.", "Continue the text: give the next {w}.", "Predict the next {w}.",
        "Say the next {w} of the text.", "Give the following {w}.")
NUMBERS = {1: "word", 2: "two words", 3: "three words", 4: "four words", 5: "five words", 6: "six words"}


@dataclass
class Context(FreeTextOnly, Behavior):
    """A passage cut after a random word; questions ask for the ``1..words`` words before or after the cut."""

    words: int = 3
    """Most words a question asks for (each question draws 1..words)."""

    name: ClassVar[str] = "context"
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = ("text",)
    uses_k: ClassVar[bool] = False
    probe_ready: ClassVar[bool] = False

    def __post_init__(self):
        if not 1 <= self.words <= max(NUMBERS):
            raise ConfigError("context.words", f"must be 1 to {max(NUMBERS)}, got {self.words}", "Use e.g. 3")
        super().__post_init__()

    def sources(self) -> list[Source]:
        if self.dataset:
            return passages(self.dataset)
        from meta_lightning.behaviors import REGISTRY

        texts = [s.text for name in ("sentiment", "emotion", "language", "multilingual") for s in REGISTRY[name]().sources()]
        return [Source(t, "text") for t in texts if len(t.split()) >= 4]

    def min_sources(self) -> int:
        return 1

    def conversations(self, split: str, n: int, seed: int = 0) -> list[Conversation]:
        rng = random.Random(f"{self.name}:{split}:{seed}:conversations")
        pool = [s for s in self.split_sources(split) if len(s.text.split()) >= 2]
        if not pool:
            raise ConfigError("context.dataset", f"split {split!r} has no passage of two words or more", "Add passages")
        out = []
        for _ in range(n):
            source = rng.choice(pool)
            words = source.text.split()
            cut = rng.randint(1, len(words) - 1)  # at least one word read and one to come
            messages = [{"role": "user", "content": " ".join(words[:cut])}]
            out.append(Conversation(self.name, "text", messages, (source.id,), split))
        return out

    def text_questions(self, conversations: Sequence[Conversation], seed: int, per_conversation: int) -> list[Question]:
        """Half ask for the words before the cut (the end of what the input-model read), half for those after."""
        rng = random.Random(f"{self.name}:{seed}:text questions")
        texts = {s.id: s.text for s in self.corpus()}
        out = []
        for i, conv in enumerate(conversations):
            words, cut = texts[conv.source_ids[0]].split(), len(conv.messages[-1]["content"].split())
            for j in range(per_conversation):
                before = (i + j) % 2 == 0
                available = cut if before else len(words) - cut
                count = rng.randint(1, min(self.words, available))
                answer = " ".join(words[cut - count:cut] if before else words[cut:cut + count])
                phrasing = rng.choice(PREVIOUS if before else NEXT).format(w=NUMBERS[count])
                out.append(Question(i, phrasing, answer, "before" if before else "after"))
        return out

    def describe_questions(self) -> list[str]:
        return [p.format(w=NUMBERS[1]) for p in PREVIOUS + NEXT]
