"""The weights DataModule: generates (or reads from the cache) compiled programs and serves them as input vectors.

Each compiled model's parameters become input vectors as ``encoding`` says (:mod:`.encoding`: one per weight
matrix on a residual-aligned canvas, or flat chunks), served with the program's tokens. Test sets: the test split
(sampled programs), ``hand_written`` (length, reverse, sort, histogram) and ``library`` (Tracr's own
``tracr.compiler.lib``, as :mod:`.library` builds it); neither of the last two is ever trained on.
"""
from __future__ import annotations

from typing import Literal, Optional

import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from meta_lightning.errors import ConfigError
from meta_lightning.weights.dataset import ProgramSet, from_files, hand_written, library_set, read_splits
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.generation import GenerationSettings, generate
from meta_lightning.weights.layout import unflatten
from meta_lightning.weights.tokens import ID, PAD


class ProgramDataset(Dataset):
    def __init__(self, name: str, programs: ProgramSet, encoding: Encoding):
        self.name, self.programs, self.encoding = name, programs, encoding
        for dims in programs.dims:
            encoding.check(dims)
        self.lengths = programs.lengths()

    def __len__(self) -> int:
        return len(self.programs)

    def __getitem__(self, i: int) -> dict:
        vectors, extent, slots = self.encoding.encode(unflatten(self.programs.weights[i], self.programs.dims[i]))
        return {"vectors": torch.from_numpy(vectors), "extent": torch.from_numpy(extent),
                "slots": torch.from_numpy(slots), "tokens": torch.as_tensor(self.programs.tokens[i]),
                "length": self.lengths[i], "size": int(self.programs.weights[i].size), "name": self.programs.names[i],
                "note": self.programs.note(i),
                "dataset": self.name}


def collate(items: list[dict]) -> dict:
    """Input vectors and tokens padded to the batch's longest, with masks (True = real)."""
    b = len(items)
    n = max(x["vectors"].shape[0] for x in items)
    t = max(x["tokens"].shape[0] for x in items)
    vectors = torch.zeros(b, n, items[0]["vectors"].shape[1])
    extent = torch.zeros(vectors.shape, dtype=torch.bool)
    slots = torch.zeros(b, n, dtype=torch.long)
    vector_mask = torch.zeros(b, n, dtype=torch.bool)
    tokens = torch.full((b, t), ID[PAD], dtype=torch.long)
    for i, x in enumerate(items):
        k, m = x["vectors"].shape[0], x["tokens"].shape[0]
        vectors[i, :k], extent[i, :k], slots[i, :k], vector_mask[i, :k] = x["vectors"], x["extent"], x["slots"], True
        tokens[i, :m] = x["tokens"]
    return {"vectors": vectors, "extent": extent, "slots": slots, "vector_mask": vector_mask, "tokens": tokens,
            "token_mask": tokens != ID[PAD], "length": torch.tensor([x["length"] for x in items]),
            "size": [x["size"] for x in items],
            "name": [x["name"] for x in items], "note": [x.get("note", "") for x in items], "dataset": items[0]["dataset"]}


class WeightsDataModule(LightningDataModule):
    """Compiled RASP programs: weights in, program tokens out.

    Args:
        generation: What to generate (program count, lengths, size bound, seed); the cache key.
        encoding: How parameters become input vectors (matrices on a canvas, or flat chunks) and the largest
            model read.
        batch_size: Programs per training batch.
        eval_batch_size: Programs per validation/test batch (decoding runs on each).
        workers: Processes that generate programs (each compiles with Tracr).
        cache_dir: Where generated datasets live (default: the activation cache's folder).
        sampling_seed: Seed of the training batch order alone (default: the run's ``seed_everything``). Sweeps
            vary it per seed; the programs stay the same.
        predict_files: What ``predict`` decompiles: params files (.npz) or RASP program files (compiled first,
            so each guess is marked exact or not). Default: the hand-written programs and Tracr's library.
        train_programs: Train on only the first this many programs of the training split (default: all). A
            data-scaling sweep varies it over one generated set, so every cell tests on the same programs.
        test_split: What ``test`` decodes: ``test`` (the sampled test split, the hand-written programs and Tracr's
            library) or ``val`` (the validation split alone, decoded as test decodes: beam, compiler check,
            edits), to choose decoding options without looking at a test set.
    """

    def __init__(self, generation: GenerationSettings = GenerationSettings(), encoding: Encoding = Encoding(),
                 batch_size: int = 32, eval_batch_size: int = 128, workers: int = 2,
                 cache_dir: Optional[str] = None, sampling_seed: Optional[int] = None,
                 predict_files: Optional[list[str]] = None, train_programs: Optional[int] = None,
                 test_split: Literal["test", "val"] = "test"):
        super().__init__()
        self.generation = generation if isinstance(generation, GenerationSettings) else GenerationSettings(**generation)
        self.encoding = encoding if isinstance(encoding, Encoding) else Encoding(**encoding)
        e = self.encoding
        if e.kind not in ("matrices", "circuits", "chunks"):
            raise ConfigError("data.encoding.kind", f"unknown value {e.kind!r}", "Use matrices, circuits or chunks")
        for field, value, low in (("data.encoding.rows", e.rows, 1), ("data.encoding.cols", e.cols, 1),
                                  ("data.encoding.max_layers", e.max_layers, 1),
                                  ("data.encoding.chunk_size", e.chunk_size, 1), ("data.encoding.max_chunks", e.max_chunks, 1),
                                  ("data.batch_size", batch_size, 1), ("data.eval_batch_size", eval_batch_size, 1),
                                  ("data.workers", workers, 1), ("data.generation.programs", self.generation.programs, 10),
                                  ("data.generation.min_ops", self.generation.min_ops, 1)):
            if value < low:
                raise ConfigError(field, f"must be at least {low}, got {value}", f"Use {low} or more")
        if self.generation.max_ops < self.generation.min_ops:
            raise ConfigError("data.generation.max_ops", f"{self.generation.max_ops} is below min_ops "
                              f"{self.generation.min_ops}", "Use max_ops >= min_ops")
        if e.kind == "chunks" and e.chunk_size * e.max_chunks < self.generation.max_params:
            raise ConfigError("data.encoding.max_chunks", f"{e.max_chunks} chunks of {e.chunk_size} hold fewer than "
                              f"generation.max_params={self.generation.max_params} parameters",
                              f"Use max_chunks >= {-(-self.generation.max_params // e.chunk_size)}")
        self.batch_size, self.eval_batch_size, self.workers, self.cache_dir = batch_size, eval_batch_size, workers, cache_dir
        self.sampling_seed, self.predict_files = sampling_seed, list(predict_files or [])
        if train_programs is not None and train_programs < 1:
            raise ConfigError("data.train_programs", f"must be at least 1, got {train_programs}",
                              "Use a positive count, or null for the whole training split")
        if test_split not in ("test", "val"):
            raise ConfigError("data.test_split", f"unknown value {test_split!r}", "Use test or val")
        self.train_programs, self.test_split = train_programs, test_split
        self.datasets: dict[str, ProgramDataset] = {}
        self.unread: dict[str, dict[str, str]] = {}
        """Per test set, the programs it could not read and why (a library program too large for the canvas)."""

    def max_tokens(self) -> int:
        """The longest program's token count: <bos>, six tokens per op at most (aggregate), <eos>."""
        return 2 + 6 * max(self.generation.max_ops, 4)

    def setup(self, stage: Optional[str] = None) -> None:
        if stage == "predict":  # only the models to decompile: no training set is generated
            programs = from_files(self.predict_files) if self.predict_files else hand_written().extend(self._library())
            try:
                self.datasets["predict"] = ProgramDataset("predict", programs, self.encoding)
            except ConfigError as e:
                raise ConfigError("data.predict_files", f"a model does not fit this meta-model: {e.problem} "
                                  f"({e.field})", "Decompile models no larger than those it was trained on") from e
            return
        if "train" in self.datasets:
            return
        splits = read_splits(generate(self.generation, self.cache_dir, self.workers), self.generation.programs)
        for name, programs in splits.items():  # a sampled program the canvas cannot hold is left out, and counted
            splits[name], skipped = programs.fitting(self.encoding)
            if skipped and not len(splits[name]):
                raise ConfigError("data.encoding", f"none of the {skipped} {name} programs fits it",
                                  "Raise its rows, cols or max_layers, or lower data.generation.max_params")
            if skipped:
                print(f"weights: {skipped} {name} programs are larger than data.encoding holds: left out", flush=True)
        if self.train_programs is not None:
            splits["train"] = splits["train"].first(self.train_programs, "data.train_programs")
        for name, programs in {**splits, "hand_written": hand_written(), "library": self._library()}.items():
            self.datasets[name] = ProgramDataset(name, programs, self.encoding)
        sizes = ", ".join(f"{n} {len(d)}" for n, d in self.datasets.items())
        print(f"weights: {sizes} programs", flush=True)

    def _library(self) -> ProgramSet:
        programs, self.unread["library"] = library_set(self.encoding)
        for name, why in self.unread["library"].items():
            print(f"weights: library program {name} is not read: {why}", flush=True)
        return programs

    def eval_names(self, stage: str) -> list[str]:
        if stage == "val" or self.test_split == "val":
            return ["val"]
        return ["test", "hand_written", "library"]

    def _loader(self, name: str, train: bool = False) -> DataLoader:
        order = None
        if train and self.sampling_seed is not None:
            order = torch.Generator().manual_seed(self.sampling_seed)
        return DataLoader(self.datasets[name], batch_size=self.batch_size if train else self.eval_batch_size,
                          shuffle=train, collate_fn=collate, drop_last=False, generator=order)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> list[DataLoader]:
        return [self._loader(n) for n in self.eval_names("val")]

    def test_dataloader(self) -> list[DataLoader]:
        return [self._loader(n) for n in self.eval_names("test")]

    def predict_dataloader(self) -> DataLoader:
        return self._loader("predict")
