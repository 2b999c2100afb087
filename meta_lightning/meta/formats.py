"""Answer formats: what the meta-model learns to write for a question, and how its output is read.

A question's *kind* comes from its behaviour: ``yes_no`` or ``free_text``. Yes/No questions are answered in
the run's ``model.prompt.answer_format`` (``yes_no``: the verdict alone; ``name_then_answer``: the class
name, the separator, then the verdict); free-text questions always in ``free_text``. One run can mix kinds:
training targets are built row by row, and every evaluation batch holds one kind (one data set).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Optional

from meta_lightning.behaviors.base import Kind
from meta_lightning.meta.answers import Readings, greedy, yes_probability

if TYPE_CHECKING:
    from meta_lightning.data.questions import QuestionBatch
    from meta_lightning.meta.network import MetaNetwork


class AnswerFormat:
    """One way of answering: the words written before the answer, and how an untaught answer is read."""

    name: ClassVar[str]
    kind: ClassVar[Kind]

    def check(self, prompts) -> None:
        """Refuse a tokenizer this format cannot work with (one line naming the field)."""

    def prefix(self, class_name: Optional[str]) -> Optional[str]:
        """What the target writes before the answer itself (None: nothing)."""
        return None

    def read(self, net: "MetaNetwork", batch: "QuestionBatch") -> Readings:
        raise NotImplementedError


class YesNo(AnswerFormat):
    """The target is "Yes" or "No"; P(Yes) is read from the Yes and No logits of the first answer position."""

    name, kind = "yes_no", "yes_no"

    def read(self, net, batch):
        out, _ = net.run(batch, [None] * len(batch["question"]), keep=1)
        p = yes_probability(out.logits[:, -1], net.prompts.yes_id, net.prompts.no_id)
        return Readings(p_direct=p, p_named=p)


class NameThenAnswer(YesNo):
    """The target is the class the model reads, the separator, then the verdict ("Positive\\nNo"). Evaluation
    lets the model write its own name greedily and reads P(Yes) after the separator."""

    name = "name_then_answer"

    def check(self, prompts) -> None:
        prompts.check_separator()

    def prefix(self, class_name):
        return class_name

    def read(self, net, batch):
        out, prompt = net.run(batch, [None] * len(batch["question"]), keep=1, use_cache=True)
        start = net.decoding(out, prompt)
        written, after = greedy(start, net.prompts.separator_ids[0], net.options.prompt.max_name_tokens,
                                read_after_stop=True)
        decode = net.prompts.tokenizer.decode
        return Readings(p_direct=yes_probability(start.logits, net.prompts.yes_id, net.prompts.no_id),
                        p_named=yes_probability(after, net.prompts.yes_id, net.prompts.no_id),
                        names=[decode(w).strip() for w in written])


class FreeText(AnswerFormat):
    """The target is the reference text; evaluation decodes greedily up to the end token or
    ``model.prompt.max_answer_tokens``."""

    name, kind = "free_text", "free_text"

    def read(self, net, batch):
        out, prompt = net.run(batch, [None] * len(batch["question"]), keep=1, use_cache=True)
        written, _ = greedy(net.decoding(out, prompt), net.prompts.end_id, net.options.prompt.max_answer_tokens)
        decode = net.prompts.tokenizer.decode
        return Readings(texts=[decode(w, skip_special_tokens=True).strip() for w in written])


FORMATS: dict[str, AnswerFormat] = {f.name: f for f in (YesNo(), NameThenAnswer(), FreeText())}
YES_NO_FORMATS = tuple(name for name, f in FORMATS.items() if f.kind == "yes_no")
