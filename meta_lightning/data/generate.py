"""On-policy conversations: the input-model writes its own next reply before its activations are read."""
from __future__ import annotations

from typing import Sequence

import torch

from meta_lightning.behaviors import Conversation
from meta_lightning.capture import encode_chat
from meta_lightning.capture.batching import length_sorted_batches, pad
from meta_lightning.memory import release_freed
from meta_lightning.models.load import LoadedModel


@torch.inference_mode()
def greedy_continuations(loaded: LoadedModel, encoded: Sequence[list[int]], max_new_tokens: int, seed: int = 0,
                         batch_size: int = 16, max_tokens: int = 1 << 30) -> list[str]:
    """Each token sequence's greedy continuation of at most ``max_new_tokens`` tokens, as text, in batches of
    at most ``batch_size`` sequences and ``max_tokens`` padded prompt tokens.

    Greedy decoding is deterministic; the seed is set anyway so models with sampling defaults behave the same.
    Batches group similar lengths and are left-padded, the layout ``generate`` expects for decoder-only models.
    """
    tokenizer, model, device = loaded.tokenizer, loaded.model, loaded.device
    out: list[str] = [""] * len(encoded)
    torch.manual_seed(seed)
    for batch in length_sorted_batches([len(e) for e in encoded], batch_size, max_tokens):
        padded = pad([encoded[i] for i in batch], tokenizer.pad_token_id or 0, side="left")
        generated = model.generate(input_ids=padded.input_ids.to(device), attention_mask=padded.attention_mask.to(device),
                                   max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                   pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        width = padded.input_ids.shape[1]
        for row, i in enumerate(batch):
            out[i] = tokenizer.decode(generated[row, width:], skip_special_tokens=True).strip()
        del generated
        release_freed()
    return out


def generate_replies(loaded: LoadedModel, conversations: Sequence[Conversation], max_new_tokens: int, seed: int,
                     batch_size: int = 16) -> list[list[dict]]:
    """Each conversation's messages plus the model's own greedy reply of at most ``max_new_tokens`` tokens."""
    encoded = [encode_chat(loaded.tokenizer, c.messages).input_ids for c in conversations]
    replies = greedy_continuations(loaded, encoded, max_new_tokens, seed, batch_size)
    return [list(c.messages) + [{"role": "assistant", "content": r}] for c, r in zip(conversations, replies)]
