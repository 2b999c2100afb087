"""Turn chat messages into token ids, remembering where the assistant's turn starts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}

# For models without a chat template (GPT-2, BERT, base models).
_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant"}


@dataclass
class EncodedText:
    """One example ready for the input-model."""

    input_ids: list[int]
    assistant_start: Optional[int] = None
    """Index of the first token of the last assistant turn, or None when there is none."""
    system_end: Optional[int] = None
    """How many tokens come before the first user message's text (the system prompt, or the chat template's
    default one, and the user turn's header), or None when there is no user message."""

    def __len__(self) -> int:
        return len(self.input_ids)


def render_chat(tokenizer, messages: Sequence[Message], add_generation_prompt: bool) -> str:
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=add_generation_prompt)
    text = "".join(f"{_ROLE_NAMES.get(m['role'], m['role'].title())}: {m['content']}\n\n" for m in messages)
    return text + ("Assistant:" if add_generation_prompt else "")


_MARK = "\u2063\u2063"  # invisible separators: a text no message holds, to find where the first user message starts


def _first_user_char(tokenizer, messages: list, add_generation_prompt: bool) -> Optional[int]:
    """Where the first user message's text starts in the rendered chat (what comes before it does not
    depend on that text), or None when there is none."""
    first = next((i for i, m in enumerate(messages) if m["role"] == "user"), None)
    if first is None:
        return None
    marked = [dict(m, content=_MARK) if i == first else m for i, m in enumerate(messages)]
    at = render_chat(tokenizer, marked, add_generation_prompt).find(_MARK)
    return None if at < 0 else at


def _first_token_from(tokenizer, enc, text: str, char: int, templated: bool) -> Optional[int]:
    """Index of the first token that holds any text at or after ``char`` (specials before it count as before)."""
    if tokenizer.is_fast:
        return next((i for i, (a, b) in enumerate(enc["offset_mapping"]) if b > char), None)
    return len(tokenizer(text[:char], add_special_tokens=not templated)["input_ids"])


def encode_chat(tokenizer, messages: Sequence[Message], add_generation_prompt: bool = True) -> EncodedText:
    """Encode a conversation. With ``add_generation_prompt`` it ends where the model's next reply would start.

    The assistant turn starts at the last assistant message, or at the generation prompt when that comes last.
    """
    messages = list(messages)
    text = render_chat(tokenizer, messages, add_generation_prompt)
    if add_generation_prompt:
        prefix = render_chat(tokenizer, messages, add_generation_prompt=False)
    else:
        last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
        prefix = None if last is None else render_chat(tokenizer, messages[:last], add_generation_prompt=False)
    templated = bool(getattr(tokenizer, "chat_template", None))
    # A chat template already writes BOS and friends; a plain transcript gets the tokenizer's usual specials.
    enc = tokenizer(text, add_special_tokens=not templated, return_offsets_mapping=tokenizer.is_fast)
    ids = list(enc["input_ids"])
    start = None
    if prefix is not None and text.startswith(prefix):
        start = _first_token_from(tokenizer, enc, text, len(prefix), templated)
    user = _first_user_char(tokenizer, messages, add_generation_prompt)
    system_end = None if user is None else _first_token_from(tokenizer, enc, text, user, templated)
    return EncodedText(ids, start, system_end)
