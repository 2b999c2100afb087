"""Meta-model prompts: placeholder tokens where activations go, the question, and the answer to learn."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from meta_lightning.capture.batching import pad
from meta_lightning.capture.encode import render_chat
from meta_lightning.errors import ConfigError

DEFAULT_PLACEHOLDER = "<|activation|>"
DEFAULT_TEMPLATE = "{activations}\n{question}"
"""The user turn. ``{activations}`` becomes one placeholder per activation vector."""


@dataclass
class PromptBatch:
    input_ids: torch.Tensor
    """[B, T], left-padded so every answer ends at the last column."""
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    targets: torch.Tensor
    """[B, A]: answer tokens, right-aligned, -100 where a shorter answer leaves room. Logit column j of the
    last A positions predicts targets[:, j]."""
    first_answer: torch.Tensor
    """[B]: column (of the A kept) that predicts each row's first answer token."""
    verdict: torch.Tensor
    """[B]: column (of the A kept) that predicts the Yes/No token: the first answer token, or the one after the
    class name and separator when the answer names the class first."""
    placeholder_mask: torch.Tensor
    """[B, T] bool: where the activation vectors go."""


class PromptBuilder:
    """Builds meta-model inputs for one tokenizer.

    The placeholder is added as a special token, so it always encodes to exactly one id; the caller must
    resize the model's embeddings to ``len(tokenizer)`` (see :func:`meta_lightning.meta.inject.add_placeholder_rows`).
    """

    def __init__(self, tokenizer, placeholder: str = DEFAULT_PLACEHOLDER, template: str = DEFAULT_TEMPLATE,
                 system_prompt: Optional[str] = "", chat_template: bool = True, separator: str = "\n"):
        for name in ("{activations}", "{question}"):
            if template.count(name) != 1:
                raise ConfigError("model.prompt.template",
                                  f"must contain {name} exactly once (it contains it {template.count(name)} times)",
                                  f"Write e.g. {DEFAULT_TEMPLATE!r}")
        self.tokenizer, self.placeholder, self.template = tokenizer, placeholder, template
        self.system_prompt, self.chat_template = system_prompt, chat_template
        if placeholder not in tokenizer.get_vocab():
            tokenizer.add_special_tokens({"additional_special_tokens": [placeholder]}, replace_extra_special_tokens=False)
        ids = tokenizer.encode(placeholder * 3, add_special_tokens=False)
        if len(ids) != 3 or len(set(ids)) != 1:
            raise ConfigError("model.prompt.placeholder", f"{placeholder!r} does not encode to one token id (got {ids})",
                              "Choose a placeholder string the tokenizer keeps whole, e.g. <|activation|>")
        self.placeholder_id = ids[0]
        self.yes_id, self.no_id = self._first_id("Yes"), self._first_id("No")
        if self.yes_id == self.no_id:
            raise ConfigError("model.meta_model", "'Yes' and 'No' start with the same token in this tokenizer",
                              "Use a meta-model whose tokenizer tells them apart")
        self.end_id = tokenizer.eos_token_id
        self.separator = separator
        self.separator_ids = tokenizer.encode(separator, add_special_tokens=False)

    def check_separator(self) -> int:
        """The separator's one token id (answers that name the class first need it)."""
        if len(self.separator_ids) != 1:
            raise ConfigError("model.prompt.separator", f"{self.separator!r} encodes to {len(self.separator_ids)} tokens "
                              "in the meta-model's tokenizer", "Choose a separator it keeps as one token, e.g. a newline")
        return self.separator_ids[0]

    def _first_id(self, word: str) -> int:
        return self.tokenizer.encode(word, add_special_tokens=False)[0]

    def prompt_ids(self, question: str, num_vectors: int) -> list[int]:
        content = self.template.format(activations=self.placeholder * num_vectors, question=question)
        templated = bool(getattr(self.tokenizer, "chat_template", None))
        if not self.chat_template:  # the user turn alone, as plain text: the shortest prompt
            return self.tokenizer.encode((self.system_prompt or "") + content, add_special_tokens=True)
        messages = [{"role": "user", "content": content}]
        # An explicit (even empty) system turn keeps templates from inserting their long default one.
        if self.system_prompt is not None and (templated or self.system_prompt):
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        text = render_chat(self.tokenizer, messages, add_generation_prompt=True)
        return self.tokenizer.encode(text, add_special_tokens=not templated)

    def name_ids(self, name: str) -> list[int]:
        """A class name as the answer starts it: its tokens, then the separator."""
        self.check_separator()
        return self.tokenizer.encode(name, add_special_tokens=False) + self.separator_ids

    def answer_ids(self, answer: str, name: Optional[str] = None) -> list[int]:
        ids = self.tokenizer.encode(answer, add_special_tokens=False)
        prefix = self.name_ids(name) if name else []
        return prefix + ids + ([self.end_id] if self.end_id is not None else [])

    def build(self, questions: Sequence[str], answers: Sequence[Optional[str]], num_vectors: Sequence[int],
              names: Optional[Sequence[Optional[str]]] = None) -> PromptBatch:
        """Inputs for a batch. ``answers[i] = None`` builds a prompt only (for ``ask``/generation).

        ``names[i]``: the answer starts with this class name and the separator, then the Yes/No verdict.
        """
        names = list(names) if names is not None else [None] * len(questions)
        seqs, answer_lists, prefix_lengths = [], [], []
        for i, (q, a, n) in enumerate(zip(questions, answers, num_vectors)):
            prompt = self.prompt_ids(q, n)
            found = prompt.count(self.placeholder_id)
            if found != n:
                raise ConfigError("model.prompt.template", f"the prompt of example {i} holds {found} placeholders but the "
                                  f"example has {n} activation vectors", "Keep {activations} in the template and "
                                  "do not write the placeholder string in questions")
            ans = self.answer_ids(a, names[i]) if a is not None else []
            answer_lists.append(ans)
            prefix_lengths.append(len(self.name_ids(names[i])) if a is not None and names[i] else 0)
            seqs.append(prompt + ans[:-1])  # the last answer token is predicted, never read
        padded = pad(seqs, self.tokenizer.pad_token_id or 0, side="left")
        width = max(1, max(len(a) for a in answer_lists))
        targets = torch.full((len(seqs), width), -100, dtype=torch.long)
        for row, ans in enumerate(answer_lists):
            if ans:
                targets[row, width - len(ans):] = torch.as_tensor(ans)
        first = torch.as_tensor([width - max(1, len(a)) for a in answer_lists])
        verdict = first + torch.as_tensor(prefix_lengths, dtype=first.dtype)
        return PromptBatch(padded.input_ids, padded.attention_mask, padded.position_ids, targets, first, verdict,
                           padded.input_ids == self.placeholder_id)
