"""Reading the meta-model's answers: P(Yes) at a verdict, and greedy decoding with the KV cache.

``name_then_answer`` trains targets such as "Positive\\nNo": the class the model reads, a separator, then the
verdict. Comparing two words of text (the question's class and the model's own) is something language models
learn far faster than comparing a question with a vector. At evaluation the model names the class greedily
(its own words, never the true ones), and P(Yes) is read after the separator. Free-text answers are decoded
greedily the same way, up to the end token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch


@dataclass
class Readings:
    p_direct: Optional[torch.Tensor] = None
    """[B] P(Yes) from the Yes/No logits of the first answer position (Yes/No questions)."""
    p_named: Optional[torch.Tensor] = None
    """[B] P(Yes) after the model's own greedy class name and the separator (= p_direct without naming)."""
    names: list[str] = field(default_factory=list)
    """The class names the model wrote (empty without naming)."""
    texts: Optional[list[str]] = None
    """Free-text answers, greedily decoded (None for Yes/No questions)."""


def yes_probability(logits: torch.Tensor, yes_id: int, no_id: int) -> torch.Tensor:
    """P(Yes) from the Yes and No logits only ([B, V] -> [B]), not an argmax over the vocabulary."""
    return logits[:, [yes_id, no_id]].float().softmax(-1)[:, 0]


@dataclass
class Decoding:
    """Where a greedy decode starts: the prompt pass's last logits and cache, and the prompt's mask and positions."""

    logits: torch.Tensor
    """[B, V]."""
    past: object
    model: torch.nn.Module
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    cache_arg: str = "past_key_values"
    """The forward's name for the cache (``cache`` since transformers 5)."""


@torch.no_grad()
def greedy(start: Decoding, stop_id: Optional[int], max_tokens: int, read_after_stop: bool = False):
    """Greedy decoding until each row writes ``stop_id`` (forced after ``max_tokens``; None: only the limit ends).

    Returns the tokens each row wrote before its stop, and, with ``read_after_stop``, each row's logits after
    it read its stop token ([B, V]; what the verdict of a name-then-answer is read from). A row already done is
    fed its stop token again and ignored.
    """
    logits, past = start.logits, start.past
    rows, device = logits.shape[0], logits.device
    stop = stop_id if stop_id is not None else 0
    done = torch.zeros(rows, dtype=torch.bool, device=device)
    written: list[list[int]] = [[] for _ in range(rows)]
    after = torch.zeros_like(logits) if read_after_stop else None
    mask, position = start.attention_mask, start.position_ids[:, -1:]
    for step in range(max_tokens + 1):
        token = logits.argmax(-1)
        if step == max_tokens:  # the answer ends here
            token = torch.full_like(token, stop)
        token = torch.where(done, torch.full_like(token, stop), token)
        ends = ((token == stop) if stop_id is not None or step == max_tokens else torch.zeros_like(done)) & ~done
        for row in (~done & ~ends).nonzero().flatten().tolist():
            written[row].append(int(token[row]))
        done |= ends
        if bool(done.all()) and not read_after_stop:
            break
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
        position = position + 1
        out = start.model(input_ids=token[:, None], attention_mask=mask, position_ids=position, use_cache=True,
                          **{start.cache_arg: past})
        logits, past = out.logits[:, -1], getattr(out, start.cache_arg)
        if read_after_stop:
            after = torch.where(ends[:, None], logits, after)
            if bool(done.all()):
                break
    return written, after
