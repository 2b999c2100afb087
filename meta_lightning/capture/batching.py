"""Length-sorted batching and padding with correct position ids."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch


def length_sorted_batches(lengths: Sequence[int], max_batch_size: int, max_tokens: int) -> list[list[int]]:
    """Group example indices into batches of similar length, longest first.

    A batch holds at most ``max_batch_size`` examples and at most ``max_tokens`` padded tokens (a single
    example longer than that gets a batch of its own). Sorting keeps padding small.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted descending, so the first member sets the padded width of the batch.
        width = lengths[current[0]] if current else lengths[i]
        if current and (len(current) >= max_batch_size or (len(current) + 1) * width > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


@dataclass
class PaddedBatch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    offsets: list[int]
    """Where each example's first token sits in its padded row."""

    @property
    def real_tokens(self) -> int:
        return int(self.attention_mask.sum())

    @property
    def padded_tokens(self) -> int:
        return self.attention_mask.numel()


def pad(sequences: Sequence[Sequence[int]], pad_id: int, side: str = "right") -> PaddedBatch:
    """Pad to a rectangle. Position ids count real tokens only, so left padding does not shift them."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    offsets = []
    for row, seq in enumerate(sequences):
        offset = width - len(seq) if side == "left" else 0
        ids[row, offset:offset + len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
        mask[row, offset:offset + len(seq)] = 1
        offsets.append(offset)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return PaddedBatch(ids, mask, positions, offsets)
