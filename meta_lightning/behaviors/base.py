"""What every behaviour shares: source texts with classes, splits by source, conversations and questions.

A behaviour turns labelled source texts into conversations that the input-model reads, and asks Yes/No
questions about them. Activations depend on the conversation only, so several questions share one capture.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Optional, Sequence, get_args

from meta_lightning.errors import ConfigError

Split = Literal["train", "val", "test"]
EvalSplit = Literal["train", "val", "test", "all"]
SPLITS = get_args(Split)
Kind = Literal["yes_no", "free_text"]
KINDS = get_args(Kind)
"""What a question asks for: a Yes/No verdict or a free-text answer."""
EVAL_SPLITS = get_args(EvalSplit)
"""``all`` is every source: valid only for behaviours never trained on (the held-out lie set)."""


@dataclass(frozen=True)
class Source:
    """One source text (or fact) and its class."""

    text: str
    label: str
    extra: tuple = ()
    """Behaviour-specific pairs, e.g. (("false_answer", "..."),) for lies."""

    @property
    def id(self) -> str:
        return hashlib.sha256(f"{self.label}\x00{self.text}".encode()).hexdigest()[:16]

    def get(self, key: str, default=None):
        return dict(self.extra).get(key, default)


@dataclass
class Conversation:
    """Chat messages shown to the input-model, with the class they display."""

    behavior: str
    label: str
    messages: list[dict]
    source_ids: tuple[str, ...]
    split: str


@dataclass
class Question:
    conversation: int
    """Index into the conversation list."""
    text: str
    answer: str
    """``Yes`` or ``No``, or the reference text of a free-text question."""
    asked_label: str
    """The class a Yes/No question asks about (a free-text question: the conversation's class)."""


def assign_splits(sources: Sequence[Source], fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, str]:
    """Each source's split, stratified by class (and language, where given).

    Within a stratum, sources are ordered by their hash and cut at the fractions, so every class has its
    share in every split, the result does not depend on corpus order, and no source is in two splits.
    """
    strata: dict[tuple, list[Source]] = {}
    for source in sources:
        strata.setdefault((source.label, source.get("language")), []).append(source)
    out = {}
    for members in strata.values():
        members = sorted(members, key=lambda m: m.id)
        bounds = [round(len(members) * sum(fractions[: i + 1])) for i in range(len(fractions))]
        for rank, member in enumerate(members):
            out[member.id] = SPLITS[next(i for i, b in enumerate(bounds) if rank < b)]
    return out


def dedupe(sources: Sequence[Source]) -> list[Source]:
    seen, out = set(), []
    for s in sources:
        key = " ".join(s.text.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


@dataclass
class Behavior:
    """Base class. Subclasses set ``name``, ``version`` and ``classes`` and give sources and question phrasings."""

    k: int = 3
    """Assistant turns per few-shot conversation, each drawn from a different source text of one class."""
    followups: Sequence[str] = ("Say more.", "Go on.", "Tell me more.")
    """Short user turns placed after assistant turns; the last one precedes the capture point."""
    opener: Optional[str] = None
    """The first user turn; None uses the behaviour's own openers."""
    style: str = "few_shot"
    """``few_shot`` (assistant turns show the behaviour) or ``instruction`` (a system prompt asks for it)."""
    dataset: Optional[str] = None
    """A local file or hub id of the paper's source for this behaviour (see loaders); None: the built-in corpus."""
    formats: Optional[Sequence[str]] = None
    """Kinds of question asked about it, each its own data set: ``yes_no`` and/or ``free_text``
    (``<behaviour>:text``, answered with the class name); None: ``data.questions.kinds``."""

    _corpus: Optional[list[Source]] = field(default=None, init=False, repr=False, compare=False)

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    classes: ClassVar[tuple[str, ...]] = ()
    probe_ready: ClassVar[bool] = True
    """False where a class probe cannot answer (instructions: the test categories' classes are never trained)."""
    test_held_out: ClassVar[bool] = False
    """True where ``test`` holds only classes never trained (instructions: the held-out categories), so its
    test sets measure generalisation: sweep reports list them beside the held-out behaviours."""
    uses_k: ClassVar[bool] = True
    """False where conversations are not few-shot (lies): ``data.k`` is then not passed on."""
    openers: ClassVar[tuple[str, ...]] = ("Tell me something.",)

    def sources(self) -> list[Source]:
        """The raw source texts; :meth:`corpus` de-duplicates them."""
        raise NotImplementedError

    def corpus(self) -> list[Source]:
        """The de-duplicated sources, read once per instance (a real dataset can be large)."""
        if self._corpus is None:
            self._corpus = dedupe(self.sources())
        return self._corpus

    def questions_for(self, label: str) -> list[str]:
        """Phrasings of "does the model show ``label``?"."""
        raise NotImplementedError

    def supported_kinds(self) -> tuple[str, ...]:
        """The question kinds this behaviour can ask: Yes/No, and free text where it has phrasings for it."""
        try:
            self.describe_questions()
        except ConfigError:
            return ("yes_no",)
        return ("yes_no", "free_text")

    def kinds(self, wanted: Sequence[str] = ("yes_no",)) -> tuple[str, ...]:
        """The kinds asked: ``formats`` where set (checked), else those of ``wanted`` (``data.questions.kinds``)
        the behaviour supports, else all it supports."""
        if self.formats is None:
            supported = self.supported_kinds()
            return tuple(k for k in wanted if k in supported) or supported
        formats = [self.formats] if isinstance(self.formats, str) else list(self.formats)
        for kind in formats:
            if kind not in KINDS:
                raise ConfigError(f"{self.name}.formats", f"unknown question kind {kind!r}", "Use yes_no and/or free_text")
        if not formats or len(set(formats)) != len(formats):
            raise ConfigError(f"{self.name}.formats", f"must list each kind once, got {formats}",
                              "Use e.g. [yes_no, free_text]")
        if "free_text" in formats:
            self.describe_questions()
        return tuple(formats)

    def describe_questions(self) -> list[str]:
        """Phrasings of "which class does the model show?", answered in free text with the class name."""
        raise ConfigError(f"{self.name}.formats", f"{self.name} has no free-text questions", "Use formats: [yes_no]")

    def class_name(self, label: str) -> str:
        """The word a meta-model says for ``label`` when it names the class (``name_then_answer``)."""
        return label.capitalize()

    def instruction_for(self, label: str) -> str:
        raise ConfigError(f"{self.name}.style", f"{self.name} has no instruction style", "Use style: few_shot")

    # -- recipe -------------------------------------------------------------------------------------------
    def recipe(self, seed: int) -> dict:
        """Everything that decides the conversations; the activation cache is keyed on it."""
        return {"behavior": self.name, "version": self.version, "seed": seed, "k": self.k,
                "followups": list(self.followups), "opener": self.opener, "style": self.style, "dataset": self.dataset,
                "corpus": hashlib.sha256("\n".join(s.id for s in self.corpus()).encode()).hexdigest()[:16]}

    def split_sources(self, split: str) -> list[Source]:
        if split not in EVAL_SPLITS:
            raise ConfigError("split", f"unknown split {split!r}", f"Use one of {', '.join(EVAL_SPLITS)}")
        sources = self.corpus()
        if split == "all":
            return list(sources)
        splits = assign_splits(sources)
        return [s for s in sources if splits[s.id] == split]

    # -- conversations ------------------------------------------------------------------------------------
    def conversations(self, split: str, n: int, seed: int = 0) -> list[Conversation]:
        """``n`` conversations, classes in turn, drawn only from ``split``'s sources."""
        rng = random.Random(f"{self.name}:{split}:{seed}:conversations")
        by_label: dict[str, list[Source]] = {c: [] for c in self.classes}
        for s in self.split_sources(split):
            by_label[s.label].append(s)
        empty = [c for c, items in by_label.items() if len(items) < self.min_sources()]
        if empty:
            raise ConfigError(f"{self.name}.k", f"split {split!r} has too few sources for class(es) {', '.join(empty)}",
                              "Lower k or add sources")
        out = []
        for i in range(n):
            label = self.classes[i % len(self.classes)]
            out.append(self.build(label, by_label[label], rng, split))
        return out

    def min_sources(self) -> int:
        return self.k if self.style == "few_shot" else 1

    def build(self, label: str, pool: list[Source], rng: random.Random, split: str) -> Conversation:
        """Few-shot: user opener, then k assistant turns from one class separated by follow-ups."""
        picked = rng.sample(pool, self.k) if self.style == "few_shot" else [rng.choice(pool)]
        messages = []
        if self.style == "instruction":
            messages.append({"role": "system", "content": self.instruction_for(label)})
        messages.append({"role": "user", "content": self.opener or rng.choice(self.openers)})
        for source in picked:
            messages.append({"role": "assistant", "content": source.text})
            messages.append({"role": "user", "content": rng.choice(list(self.followups))})
        return Conversation(self.name, label, messages, tuple(s.id for s in picked), split)

    # -- questions ----------------------------------------------------------------------------------------
    def questions(self, conversations: Sequence[Conversation], seed: int = 0, per_conversation: int = 1,
                  kind: str = "yes_no") -> list[Question]:
        """Questions of ``kind`` about each conversation: Yes/No (:meth:`yes_no_questions`) or free text."""
        if kind == "free_text":
            return self.text_questions(conversations, seed, per_conversation)
        return self.yes_no_questions(conversations, seed, per_conversation)

    def yes_no_questions(self, conversations: Sequence[Conversation], seed: int, per_conversation: int) -> list[Question]:
        """Balanced within every class (exactly, when there are 2 x classes conversations).

        Classes come in turn, so Yes/No alternates per round of classes: the answer says nothing about the class.
        """
        rng = random.Random(f"{self.name}:{seed}:questions")
        out = []
        for i, conv in enumerate(conversations):
            for j in range(per_conversation):
                yes = (i // len(self.classes) + j) % 2 == 0
                asked = conv.label if yes else rng.choice([c for c in self.classes if c != conv.label])
                out.append(Question(i, rng.choice(self.questions_for(asked)), "Yes" if yes else "No", asked))
        return out

    def text_questions(self, conversations: Sequence[Conversation], seed: int, per_conversation: int) -> list[Question]:
        """A :meth:`describe_questions` phrasing per question; the reference answer is the class name."""
        rng = random.Random(f"{self.name}:{seed}:text questions")
        phrasings = self.describe_questions()
        return [Question(i, rng.choice(phrasings), self.class_name(conv.label), conv.label)
                for i, conv in enumerate(conversations) for _ in range(per_conversation)]


class FreeTextOnly:
    """Mixin (before :class:`Behavior`) for behaviours that ask free-text questions only: there is no class to
    say Yes or No about (context prediction, quoting)."""

    def __post_init__(self):
        if self.formats is not None and "yes_no" in self.formats:
            self.questions_for("")

    def supported_kinds(self) -> tuple[str, ...]:
        return ("free_text",)

    def questions_for(self, label: str) -> list[str]:
        raise ConfigError(f"{self.name}.formats", f"{self.name} has no Yes/No questions", "Use formats: [free_text]")
