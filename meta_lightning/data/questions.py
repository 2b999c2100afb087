"""Question datasets over cached activations, and the collate function that batches them."""
from __future__ import annotations

import zlib
from typing import Literal, Optional, Sequence, TypedDict, get_args

import torch
from torch.utils.data import Dataset

from meta_lightning.behaviors import Behavior
from meta_lightning.data.activations import BehaviorActivations

Vectors = Literal["real", "shuffled", "zero"]
VECTORS = get_args(Vectors)
TEXT_SUFFIX = ":text"
"""A behaviour's free-text questions form their own data set, named ``<behaviour>:text``."""


def dataset_name(behavior: str, kind: str) -> str:
    return behavior + (TEXT_SUFFIX if kind == "free_text" else "")


def behavior_of(dataset: str) -> str:
    """The behaviour a data set's questions are about (``lies:text`` -> ``lies``)."""
    return dataset[: -len(TEXT_SUFFIX)] if dataset.endswith(TEXT_SUFFIX) else dataset


class QuestionBatch(TypedDict, total=False):
    """A batch of questions as the meta-model reads it: :func:`collate`'s output, and what ``ask`` builds for
    one new conversation (question, answer and activations only). Lists are per example."""

    activations: list[torch.Tensor]
    """Each example's vectors ``[layers * positions, d]`` (layer-major); examples may differ in count."""
    question: list[str]
    answer: list[Optional[str]]
    """"Yes"/"No" or the reference text, or None where the answer is unknown (``ask``)."""
    kind: list[str]
    """``yes_no`` or ``free_text`` per question (absent: all Yes/No)."""
    dataset: list[str]
    """The data set each question belongs to (``lies``, ``lies:text``)."""
    behavior: list[str]
    label: list[str]
    """The conversation's true class."""
    class_name: list[str]
    """How the meta-model names that class (the first words of a name-then-answer target)."""
    asked: list[str]
    """The class the question asks about."""
    yes: torch.Tensor
    """Bool ``[batch]``: the answer is Yes."""


class QuestionDataset(Dataset):
    """Questions of one kind about the conversations of one behaviour split; several questions share one capture.

    An item holds the conversation's activation vectors flattened to ``[layers * positions, d]`` (layer-major),
    the question, the answer, and labels to break metrics down by.
    """

    def __init__(self, behavior: Behavior, acts: BehaviorActivations, seed: int, per_conversation: int,
                 kind: str = "yes_no"):
        self.behavior, self.kind = acts.behavior, kind
        self.name = dataset_name(acts.behavior, kind)
        self.split = acts.split
        self.conversations = acts.conversations
        self.activations = acts.activations
        self.class_names = {c: behavior.class_name(c) for c in behavior.classes}
        self.questions = behavior.questions(acts.conversations, seed, per_conversation, kind)

    def __len__(self) -> int:
        return len(self.questions)

    def prompt_sizes(self) -> list[tuple[int, int]]:
        """(vectors, characters of the question) per item: what its prompt's length follows."""
        return [(self.activations[q.conversation].shape[:-1].numel(), len(q.text)) for q in self.questions]

    def __getitem__(self, index: int) -> dict:
        q = self.questions[index]
        conv = self.conversations[q.conversation]
        return {
            "activations": self.activations[q.conversation].flatten(0, -2).float(),
            "question": q.text,
            "answer": q.answer,
            "kind": self.kind,
            "dataset": self.name,
            "behavior": self.behavior,
            "label": conv.label,
            "class_name": self.class_names.get(conv.label, conv.label),
            "asked": q.asked_label,
            "conversation": q.conversation,
        }


def replace_vectors(activations: list[torch.Tensor], vectors: Vectors,
                    conversations: Optional[Sequence[object]] = None) -> list[torch.Tensor]:
    """``real``: as they are; ``zero``: zeros of each shape; ``shuffled``: each example gets the vectors of
    another example of the batch from a different conversation (``conversations``: each example's; None: all
    differ), drawn at random so that the partner's class does not follow from the example's order (evaluation
    batches hold a conversation's questions side by side, classes in turn). The draw is seeded by the
    conversations, so a batch always gets the same partners. An example with no other conversation in its
    batch gets zeros: it never sees its own vectors."""
    if vectors == "zero":
        return [torch.zeros_like(a) for a in activations]
    if vectors != "shuffled":
        return activations
    n = len(activations)
    keys = list(conversations) if conversations is not None else list(range(n))
    g = torch.Generator().manual_seed(zlib.crc32(repr(keys).encode()))
    cycle = torch.randperm(n, generator=g).tolist()
    out = []
    for i in range(n):
        at = cycle.index(i)
        partner = next((cycle[(at + step) % n] for step in range(1, n) if keys[cycle[(at + step) % n]] != keys[i]), None)
        out.append(torch.zeros_like(activations[i]) if partner is None else activations[partner])
    return out


def collate(items: Sequence[dict], vectors: Vectors = "real") -> QuestionBatch:
    """Activations stay a list (examples may carry different numbers of vectors); strings stay lists.

    ``vectors``: ``real``; ``shuffled`` gives each example the vectors of another conversation of the batch,
    ``zero`` zeros of the same shape: what the question text alone gives (the question-only baseline)."""
    return {
        "activations": replace_vectors([item["activations"] for item in items], vectors,
                                       [(item["behavior"], item["conversation"]) for item in items]),
        "question": [item["question"] for item in items],
        "answer": [item["answer"] for item in items],
        "kind": [item["kind"] for item in items],
        "dataset": [item["dataset"] for item in items],
        "behavior": [item["behavior"] for item in items],
        "label": [item["label"] for item in items],
        "class_name": [item["class_name"] for item in items],
        "asked": [item["asked"] for item in items],
        "yes": torch.tensor([item["kind"] == "yes_no" and item["answer"] == "Yes" for item in items]),
    }
