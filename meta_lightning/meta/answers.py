"""Reading the meta-model's Yes/No verdict, directly or after it has named the class itself.

``name_then_answer`` trains targets such as "Positive\\nNo": the class the model reads, a separator, then the
verdict. Comparing two words of text (the question's class and the model's own) is something language models
learn far faster than comparing a question with a vector. At evaluation the model names the class greedily
(its own words, never the true ones), and P(Yes) is read after the separator. The direct reading, P(Yes) at
the first answer position, comes from the same prompt pass at no extra cost.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


@dataclass
class Readings:
    p_direct: torch.Tensor
    """[B] P(Yes) from the Yes/No logits of the first answer position."""
    p_named: torch.Tensor
    """[B] P(Yes) after the model's own greedy class name and the separator (= p_direct without naming)."""
    names: list[str]
    """The class names the model wrote (empty without naming)."""


def yes_probability(logits: torch.Tensor, yes_id: int, no_id: int) -> torch.Tensor:
    """P(Yes) from the Yes and No logits only ([B, V] -> [B]), not an argmax over the vocabulary."""
    return logits[:, [yes_id, no_id]].float().softmax(-1)[:, 0]


@torch.no_grad()
def greedy_name_then_verdict(logits: torch.Tensor, past, model, attention_mask: torch.Tensor,
                             position_ids: torch.Tensor, yes_id: int, no_id: int, separator_id: int, max_tokens: int,
                             decode: Callable[[list[int]], str], cache_arg: str = "past_key_values") -> Readings:
    """Greedy decoding with the KV cache until each row has written the separator (forced after ``max_tokens``).

    ``logits`` [B, V] and ``past`` come from the prompt's pass (activations injected); ``attention_mask`` and
    ``position_ids`` are the prompt's. ``cache_arg`` is the forward's name for the cache (``cache`` since
    transformers 5). Later steps feed one token per row; a row already done is fed the separator and ignored.
    """
    p_direct = yes_probability(logits, yes_id, no_id)
    rows = logits.shape[0]
    device = logits.device
    done = torch.zeros(rows, dtype=torch.bool, device=device)
    written: list[list[int]] = [[] for _ in range(rows)]
    p_named = torch.full((rows,), 0.5, device=device)
    mask, position = attention_mask, position_ids[:, -1:]
    for step in range(max_tokens + 1):
        token = logits.argmax(-1)
        if step == max_tokens:  # never wrote the separator: the name ends here
            token = torch.full_like(token, separator_id)
        token = torch.where(done, torch.full_like(token, separator_id), token)
        ends = (token == separator_id) & ~done
        for row in (~done & ~ends).nonzero().flatten().tolist():
            written[row].append(int(token[row]))
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
        position = position + 1
        out = model(input_ids=token[:, None], attention_mask=mask, position_ids=position, use_cache=True, **{cache_arg: past})
        logits, past = out.logits[:, -1], getattr(out, cache_arg)
        p_named = torch.where(ends, yes_probability(logits, yes_id, no_id), p_named)
        done |= ends
        if bool(done.all()):
            break
    return Readings(p_direct, p_named, [decode(w).strip() for w in written])
