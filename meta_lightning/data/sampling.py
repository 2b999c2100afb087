"""Batch order: training batches seeded per epoch, resumable part-way through an epoch; evaluation batches
longest prompt first.

A run killed mid-epoch and resumed with ``fit --ckpt_path last`` sees the same batches, in the same order, as
a run that was never stopped: each epoch's order comes from its own named stream (seed, epoch), and the loader
tells Lightning (``state_dict``) how many batches of the epoch were trained on, so a resumed epoch skips them.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
from torch.utils.data import DataLoader, Sampler

from meta_lightning.errors import ConfigError
from meta_lightning.seeding import generator


class EpochSampler(Sampler[int]):
    """``size`` indices per epoch: a permutation, or (with ``weights``) draws with replacement."""

    def __init__(self, size: int, seed: int, weights: Optional[torch.Tensor] = None):
        self.size, self.seed, self.weights = size, seed, weights
        self.epoch = 0
        self.skip = 0
        """Indices to leave out at the start of the next epoch (a resumed epoch)."""

    def set_epoch(self, epoch: int) -> None:  # Lightning calls this at the start of every epoch
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        g = generator(self.seed, f"sampler:epoch{self.epoch}")
        if self.weights is None:
            order = torch.randperm(self.size, generator=g)
        else:
            order = torch.multinomial(self.weights, self.size, replacement=True, generator=g)
        skip, self.skip = self.skip, 0
        return iter(order[skip:].tolist())


class ResumableLoader(DataLoader):
    """A DataLoader over an :class:`EpochSampler` whose position Lightning saves in checkpoints."""

    def __init__(self, *args, progress: Callable[[], int] = lambda: 0, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress = progress

    def state_dict(self) -> dict:
        # The trainer's count, not ours: Lightning fetches one batch ahead, so the iterator is a batch further on.
        return {"epoch": self.sampler.epoch, "batches": int(self._progress())}

    def load_state_dict(self, state: dict) -> None:
        self.sampler.epoch = int(state["epoch"])
        self.sampler.skip = int(state["batches"]) * int(self.batch_size)


class LongestFirst(Sampler[int]):
    """Evaluation order: the most vectors, then the longest question, first. A batch's prompts then pad to
    about the same width (left padding is compute), and the widest batch, the memory peak, comes first.
    Every metric is order-free."""

    def __init__(self, sizes: Sequence[tuple[int, int]]):
        self.order = sorted(range(len(sizes)), key=lambda i: (-sizes[i][0], -sizes[i][1], i))

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self):
        return iter(self.order)


def mix_weights(parts, sampling: str, mix: Optional[dict[str, float]]) -> Optional[torch.Tensor]:
    """Each example's weight in the training draw: ``uniform`` gives every data set an equal share whatever its
    size, ``proportional`` none (None: a plain permutation); ``mix`` then multiplies each data set's share (by
    its name, or its behaviour's)."""
    mix = mix or {}
    unknown = sorted(set(mix) - {p.name for p in parts} - {p.behavior for p in parts})
    if unknown:
        raise ConfigError(f"data.loader.mix.{unknown[0]}", "is not a training data set",
                          f"Use one of: {', '.join(p.name for p in parts)}")
    if sampling != "uniform" and not mix:
        return None
    share = (lambda p: 1.0 / len(p)) if sampling == "uniform" else (lambda p: 1.0)
    return torch.cat([torch.full((len(p),), share(p) * mix.get(p.name, mix.get(p.behavior, 1.0))) for p in parts])
