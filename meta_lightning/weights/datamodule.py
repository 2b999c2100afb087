"""The weights DataModule: generates (or reads from the cache) compiled programs and serves them in chunks.

A compiled model's flattened parameters are squashed elementwise (sign(x)·log(1+|x|): Tracr writes values
from 0 to about 10^3, and their order of magnitude matters more than their exact size), zero-padded to a
whole number of ``chunk_size`` chunks, and served with the program's tokens. Test sets: the test split
(sampled programs) and ``hand_written`` (length, reverse, sort, histogram; never trained on).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from meta_lightning.errors import ConfigError
from meta_lightning.weights.dataset import GenerationSettings, ProgramSet, generate, hand_written, read_splits
from meta_lightning.weights.tokens import ID, PAD


def squash(weights: np.ndarray) -> np.ndarray:
    return np.sign(weights) * np.log1p(np.abs(weights))


def to_chunks(weights: np.ndarray, chunk_size: int, max_chunks: int, field: str = "data.max_chunks") -> torch.Tensor:
    """[chunks, chunk_size]: the squashed weights, zero-padded to whole chunks."""
    count = -(-weights.size // chunk_size)
    if count > max_chunks:
        raise ConfigError(field, f"a model has {weights.size} parameters, more than {max_chunks} chunks of "
                          f"{chunk_size}", f"Raise {field} to {count}, or lower data.generation.max_params")
    padded = np.zeros(count * chunk_size, dtype=np.float32)
    padded[:weights.size] = squash(weights)
    return torch.from_numpy(padded.reshape(count, chunk_size))


class ProgramDataset(Dataset):
    def __init__(self, name: str, programs: ProgramSet, chunk_size: int, max_chunks: int):
        self.name, self.programs = name, programs
        self.chunks = [to_chunks(w, chunk_size, max_chunks) for w in programs.weights]
        self.lengths = programs.lengths()

    def __len__(self) -> int:
        return len(self.programs)

    def __getitem__(self, i: int) -> dict:
        return {"chunks": self.chunks[i], "tokens": torch.as_tensor(self.programs.tokens[i]),
                "length": self.lengths[i], "name": self.programs.names[i]}


def collate(items: list[dict]) -> dict:
    """Chunks and tokens padded to the batch's longest, with masks (True = real)."""
    b = len(items)
    c = max(x["chunks"].shape[0] for x in items)
    t = max(x["tokens"].shape[0] for x in items)
    chunks = torch.zeros(b, c, items[0]["chunks"].shape[1])
    chunk_mask = torch.zeros(b, c, dtype=torch.bool)
    tokens = torch.full((b, t), ID[PAD], dtype=torch.long)
    for i, x in enumerate(items):
        n, m = x["chunks"].shape[0], x["tokens"].shape[0]
        chunks[i, :n], chunk_mask[i, :n], tokens[i, :m] = x["chunks"], True, x["tokens"]
    return {"chunks": chunks, "chunk_mask": chunk_mask, "tokens": tokens, "token_mask": tokens != ID[PAD],
            "length": torch.tensor([x["length"] for x in items]), "name": [x["name"] for x in items]}


class WeightsDataModule(LightningDataModule):
    """Compiled RASP programs: weights in, program tokens out.

    Args:
        generation: What to generate (program count, lengths, size bound, seed); the cache key.
        chunk_size: Parameters per chunk: one input vector of the meta-model.
        max_chunks: Most chunks a program may take (``chunk_size * max_chunks`` >= ``generation.max_params``).
        batch_size: Programs per training batch.
        eval_batch_size: Programs per validation/test batch (greedy decoding runs on each).
        workers: Processes that generate programs (each compiles with Tracr).
        cache_dir: Where generated datasets live (default: the activation cache's folder).
    """

    def __init__(self, generation: GenerationSettings = GenerationSettings(), chunk_size: int = 512,
                 max_chunks: int = 48, batch_size: int = 32, eval_batch_size: int = 128, workers: int = 2,
                 cache_dir: Optional[str] = None):
        super().__init__()
        self.generation = generation if isinstance(generation, GenerationSettings) else GenerationSettings(**generation)
        for field, value, low in (("data.chunk_size", chunk_size, 1), ("data.max_chunks", max_chunks, 1),
                                  ("data.batch_size", batch_size, 1), ("data.eval_batch_size", eval_batch_size, 1),
                                  ("data.workers", workers, 1), ("data.generation.programs", self.generation.programs, 10),
                                  ("data.generation.min_ops", self.generation.min_ops, 1)):
            if value < low:
                raise ConfigError(field, f"must be at least {low}, got {value}", f"Use {low} or more")
        if self.generation.max_ops < self.generation.min_ops:
            raise ConfigError("data.generation.max_ops", f"{self.generation.max_ops} is below min_ops "
                              f"{self.generation.min_ops}", "Use max_ops >= min_ops")
        if chunk_size * max_chunks < self.generation.max_params:
            raise ConfigError("data.max_chunks", f"{max_chunks} chunks of {chunk_size} hold fewer than "
                              f"generation.max_params={self.generation.max_params} parameters",
                              f"Use max_chunks >= {-(-self.generation.max_params // chunk_size)}")
        self.chunk_size, self.max_chunks = chunk_size, max_chunks
        self.batch_size, self.eval_batch_size, self.workers, self.cache_dir = batch_size, eval_batch_size, workers, cache_dir
        self.datasets: dict[str, ProgramDataset] = {}

    def max_tokens(self) -> int:
        """The longest program's token count: <bos>, six tokens per op at most (aggregate), <eos>."""
        return 2 + 6 * max(self.generation.max_ops, 4)

    def setup(self, stage: Optional[str] = None) -> None:
        if self.datasets:
            return
        splits = read_splits(generate(self.generation, self.cache_dir, self.workers))
        for name, programs in {**splits, "hand_written": hand_written()}.items():
            self.datasets[name] = ProgramDataset(name, programs, self.chunk_size, self.max_chunks)
        sizes = ", ".join(f"{n} {len(d)}" for n, d in self.datasets.items())
        print(f"weights: {sizes} programs", flush=True)

    def eval_names(self, stage: str) -> list[str]:
        return ["val"] if stage == "val" else ["test", "hand_written"]

    def _loader(self, name: str, train: bool = False) -> DataLoader:
        return DataLoader(self.datasets[name], batch_size=self.batch_size if train else self.eval_batch_size,
                          shuffle=train, collate_fn=collate, drop_last=False)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> list[DataLoader]:
        return [self._loader(n) for n in self.eval_names("val")]

    def test_dataloader(self) -> list[DataLoader]:
        return [self._loader(n) for n in self.eval_names("test")]
