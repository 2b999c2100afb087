"""``text``: the meta-model's own LM, untrained, reads each test conversation as text and answers zero-shot.

No activations, no training: the conversation's messages are written out as a ``role: content`` transcript,
followed by the question and "Answer Yes or No." (through the model's chat template when it has one). P(Yes)
is the Yes/No share of the next token's probability. It says what the meta-model's language model can answer
about a behaviour when the evidence is put in front of it as words: for a held-out behaviour (lies), a
meta-model never trained on it has only this ability to carry the question over, so this is the ceiling of
zero-shot transfer through the question text.
"""
from __future__ import annotations

from typing import Sequence

import torch

from meta_lightning.baselines.probe import score_p_yes
from meta_lightning.behaviors.base import Conversation
from meta_lightning.capture.batching import length_sorted_batches, pad
from meta_lightning.data.generate import greedy_continuations
from meta_lightning.memory import release_freed
from meta_lightning.meta.text_evaluation import TextRows, text_entry

INSTRUCTION = "Here is a conversation:\n{transcript}\n\n{question} Answer Yes or No."
TEXT_INSTRUCTION = "Here is a conversation:\n{transcript}\n\n{question} Answer in a few words."


def transcript(conversation: Conversation) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in conversation.messages)


def render(tokenizer, conversation: Conversation, question: str, instruction: str = INSTRUCTION) -> str:
    text = instruction.format(transcript=transcript(conversation), question=question)
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                             add_generation_prompt=True)
    return text + "\nAnswer:"


def answer_token_ids(tokenizer) -> tuple[list[int], list[int]]:
    """First tokens of Yes and of No, with and without a leading space (the model may start either way);
    a token both share (a lone space, in a byte tokenizer) counts for neither."""
    def first(word: str) -> set[int]:
        return {tokenizer.encode(form, add_special_tokens=False)[0] for form in (word, " " + word)}

    yes, no = first("Yes"), first("No")
    return sorted(yes - no), sorted(no - yes)


TOKEN_BUDGET = 8192
"""Padded tokens a text-baseline batch may hold. Transcripts are several times longer than a meta-model's
prompt, so a batch of ``eval_batch_size`` of them would hold many times the activations of a test batch."""


@torch.no_grad()
def p_yes(loaded, prompts: Sequence[str], batch_size: int = 16, max_tokens: int = TOKEN_BUDGET) -> torch.Tensor:
    """P(Yes) / (P(Yes) + P(No)) at the next token of each prompt, in length-sorted left-padded batches of at
    most ``batch_size`` prompts and ``max_tokens`` padded tokens."""
    model, tokenizer = loaded.model, loaded.tokenizer
    yes, no = answer_token_ids(tokenizer)
    encoded = [tokenizer.encode(p, add_special_tokens=False) for p in prompts]
    out = torch.zeros(len(prompts))
    for batch in length_sorted_batches([len(e) for e in encoded], batch_size, max_tokens):
        padded = pad([encoded[i] for i in batch], tokenizer.pad_token_id or 0, side="left")
        inputs = {"input_ids": padded.input_ids.to(model.device), "attention_mask": padded.attention_mask.to(model.device)}
        # Positions count from each prompt's first real token, so a left-padded prompt reads as it would alone.
        if loaded.parts.accepts("position_ids"):
            inputs["position_ids"] = padded.position_ids.to(model.device)
        if loaded.parts.keeps_logits:  # the last position only: a batch's full logits would take gigabytes
            inputs["logits_to_keep"] = 1
        logits = model(**inputs).logits[:, -1].float().log_softmax(-1)
        out[batch] = (logits[:, yes].logsumexp(-1) - logits[:, no].logsumexp(-1)).sigmoid().cpu()
        del logits
        release_freed()
    return out


def greedy_answers(loaded, prompts: Sequence[str], max_new_tokens: int, batch_size: int = 16,
                   max_tokens: int = TOKEN_BUDGET) -> list[str]:
    """The model's greedy continuation of each prompt, at most ``max_new_tokens`` tokens."""
    encoded = [loaded.tokenizer.encode(p, add_special_tokens=False) for p in prompts]
    return greedy_continuations(loaded, encoded, max_new_tokens, batch_size=batch_size, max_tokens=max_tokens)


def text_baseline(loaded, datamodule, batch_size: int = 16, max_new_tokens: int = 12) -> dict[str, dict]:
    """Zero-shot results per test dataset of ``loaded`` (a LoadedModel of the meta-model's spec): P(Yes) for
    Yes/No sets, a greedy answer of at most ``max_new_tokens`` for free-text ones."""
    out = {}
    method = "the meta-model's LM reading the conversation as text, zero-shot"
    for test in datamodule.datasets.get("test", []):
        held_out = test.behavior in datamodule.eval_behaviors
        conversations = [test.conversations[q.conversation] for q in test.questions]
        if test.kind == "free_text":
            prompts = [render(loaded.tokenizer, c, q.text, TEXT_INSTRUCTION) for c, q in zip(conversations, test.questions)]
            rows = TextRows([q.text for q in test.questions], [q.answer for q in test.questions],
                            greedy_answers(loaded, prompts, max_new_tokens, batch_size), [c.label for c in conversations])
            words = getattr(datamodule.behavior(test.behavior), "mention_words", None)
            out[test.name] = {**text_entry(rows, held_out, words if held_out else None), "method": method}
            continue
        prompts = [render(loaded.tokenizer, c, q.text) for c, q in zip(conversations, test.questions)]
        out[test.name] = {**score_p_yes(test, p_yes(loaded, prompts, batch_size), held_out), "method": method}
    return out
