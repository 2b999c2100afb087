"""A plain training loop on a MetaNetwork, for learning tests on planted vectors (no Trainer needed)."""
from __future__ import annotations

import random

import torch


def train_net(net, examples: list, batch_of, steps: int, lr: float, vectors: str = "real", batch_size: int = 32) -> None:
    """``steps`` AdamW steps on batches of ``examples`` drawn with a fixed seed; ``batch_of(items, vectors)``
    collates them. Leaves ``net`` in eval mode."""
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=lr)
    rng = random.Random(0)
    for _ in range(steps):
        loss, _ = net.loss_and_p_yes(batch_of(rng.sample(examples, batch_size), vectors))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
