"""One documented seed, and independent random streams derived from it.

Data generation, question phrasing, batch sampling and model initialisation each get their own stream, so
changing how many batches are drawn never changes which conversations are built (the paper's code shared one).
"""
from __future__ import annotations

import hashlib

import torch


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit seed for ``purpose``, fixed by ``seed``."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{purpose}".encode()).digest()[:8], "big") >> 1


def generator(seed: int, purpose: str) -> torch.Generator:
    return torch.Generator().manual_seed(derive_seed(seed, purpose))
