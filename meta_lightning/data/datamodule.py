"""The LightningDataModule: behaviour conversations -> cached input-model activations -> question batches."""
from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from dataclasses import asdict
from typing import Literal, Optional, Sequence, get_args

import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import ConcatDataset, DataLoader

from meta_lightning.behaviors import REGISTRY, TRAINING_BEHAVIORS, get_behavior
from meta_lightning.behaviors.base import EVAL_SPLITS, EvalSplit
from meta_lightning.cache import ActivationCache
from meta_lightning.capture import ActivationCapturer, parse_positions, resolve_layers
from meta_lightning.capture.capture import CaptureStats
from meta_lightning.data.activations import CaptureSettings, behavior_activations
from meta_lightning.data.questions import VECTORS, QuestionDataset, Vectors, collate
from meta_lightning.data.sampling import EpochSampler, ResumableLoader
from meta_lightning.data.source import ActivationSource, InputModel
from meta_lightning.errors import ConfigError
from meta_lightning.models import ModelSpec
from meta_lightning.models.load import LoadedModel, config_layer_count, load_model
from meta_lightning.paths import cache_field, resolve_cache_dir, writable_dir
from meta_lightning.seeding import derive_seed

Sampling = Literal["uniform", "proportional"]
Device = Literal["auto", "cpu", "cuda"]
SAMPLING, DEVICES = get_args(Sampling), get_args(Device)
MAX_CONVERSATIONS = 1_000_000
"""Most conversations per behaviour and split: past it a run would only hang building or capturing them."""


@contextmanager
def _under_data():
    """Errors raised inside a behaviour name its own field (``lies.dataset``): give them their config path."""
    try:
        yield
    except ConfigError as e:
        if e.field.startswith("data."):
            raise
        field = "data.eval_test_split" if e.field == "split" else f"data.behavior_options.{e.field}"
        raise ConfigError(field, e.problem, e.fix) from e


class MetaDataModule(LightningDataModule):
    """Builds behaviour conversations, captures the input-model's activations once (cached), serves questions.

    Args:
        input_model: The frozen model whose activations are read.
        behaviors: Training behaviours, any non-empty combination of sentiment, emotion, language, multilingual.
        eval_behaviors: Behaviours only evaluated, never trained on (out of distribution): lies by default.
        behavior_options: Per-behaviour options, e.g. ``{lies: {style: answer_only}, sentiment: {dataset: sst2.csv}}``.
        k: Assistant turns per few-shot conversation (a behaviour_options entry overrides it).
        capture: Layers, positions and batching of the input-model capture.
        train_size: Conversations per training behaviour in the train split.
        val_size: Conversations per behaviour in each val split.
        test_size: Conversations per behaviour in each test split.
        eval_test_split: Split of the eval behaviours used by ``test``; ``all`` uses every fact, since none is trained on.
        eval_test_size: Conversations per eval behaviour in ``test``; None: one per source of the split (for lies,
            every fact told truthfully and as a lie).
        eval_questions_per_conversation: Questions asked about each conversation of the eval behaviours.
        questions_per_conversation: Yes/No questions asked about each conversation (they share its activations).
        sampling: ``uniform``: each training behaviour equally often per batch (the paper); ``proportional``: by size.
        batch_size: Questions per training batch.
        eval_batch_size: Questions per validation/test batch (default: batch_size).
        num_workers: DataLoader worker processes.
        seed: The one data seed: conversations, questions and (unless sampling_seed is set) the sampling stream
            all derive from it, each through its own named stream.
        sampling_seed: Seed of the training batch order alone (default: derived from seed). Sweeps vary it per
            seed so that the conversations, and so the activation cache, stay shared.
        cache_dir: Activation cache root (default: ``$META_LIGHTNING_CACHE`` or ``~/.cache/meta_lightning``).
        use_cache: Read and write the on-disk activation cache; false captures in memory on every run.
        device: Where the input-model runs for capture: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        vectors: ``real``; ``shuffled`` (each example gets its batch neighbour's vectors) or ``zero`` train and
            test the question-only baseline.
    """

    def __init__(self, input_model: ModelSpec = ModelSpec(), behaviors: Sequence[str] = ("multilingual",),
                 eval_behaviors: Sequence[str] = ("lies",), behavior_options: Optional[dict[str, dict]] = None,
                 k: int = 3, capture: CaptureSettings = CaptureSettings(), train_size: int = 256, val_size: int = 32,
                 test_size: int = 64, eval_test_split: EvalSplit = "all", eval_test_size: Optional[int] = None,
                 eval_questions_per_conversation: int = 1, questions_per_conversation: int = 2,
                 sampling: Sampling = "uniform", batch_size: int = 16, eval_batch_size: Optional[int] = None,
                 num_workers: int = 0, seed: int = 0, sampling_seed: Optional[int] = None,
                 cache_dir: Optional[str] = None, use_cache: bool = True,
                 device: Device = "auto", vectors: Vectors = "real"):
        super().__init__()
        behaviors, eval_behaviors = list(behaviors), list(eval_behaviors)
        if not behaviors:
            raise ConfigError("data.behaviors", "the training combination is empty",
                              f"Name at least one of {', '.join(TRAINING_BEHAVIORS)}")
        for field, names in (("data.behaviors", behaviors), ("data.eval_behaviors", eval_behaviors)):
            for name in names:
                if name not in REGISTRY:
                    raise ConfigError(field, f"unknown behaviour {name!r}", f"Use one of: {', '.join(sorted(REGISTRY))}")
        for name in behaviors:
            if name in eval_behaviors or name not in TRAINING_BEHAVIORS:
                raise ConfigError("data.behaviors", f"{name!r} is held out (evaluated only, never trained on)",
                                  f"Train on any of {', '.join(TRAINING_BEHAVIORS)}; held-out behaviours go in "
                                  "data.eval_behaviors")
        for name in behavior_options or {}:
            if name not in behaviors + eval_behaviors:
                raise ConfigError("data.behavior_options", f"options for {name!r}, which is not a listed behaviour",
                                  "Add it to data.behaviors or data.eval_behaviors, or drop its options")
        if sampling not in SAMPLING:
            raise ConfigError("data.sampling", f"unknown sampling {sampling!r}", f"Use one of: {', '.join(SAMPLING)}")
        capture = capture if isinstance(capture, CaptureSettings) else CaptureSettings(**capture)
        for field, value, least in (("data.train_size", train_size, 1), ("data.batch_size", batch_size, 1),
                                    ("data.questions_per_conversation", questions_per_conversation, 1),
                                    ("data.eval_questions_per_conversation", eval_questions_per_conversation, 1),
                                    ("data.k", k, 1), ("data.val_size", val_size, 0), ("data.test_size", test_size, 0),
                                    ("data.eval_test_size", 1 if eval_test_size is None else eval_test_size, 1),
                                    ("data.eval_batch_size", eval_batch_size or 1, 1), ("data.num_workers", num_workers, 0),
                                    ("data.capture.batch_size", capture.batch_size, 1),
                                    ("data.capture.max_tokens", capture.max_tokens, 1),
                                    ("data.capture.generate_tokens", capture.generate_tokens, 0)):
            if value < least:
                raise ConfigError(field, f"must be at least {least}, got {value}",
                                  "Use a positive number" if least else "Use 0 or more")
        for field, value in (("data.train_size", train_size), ("data.val_size", val_size),
                             ("data.test_size", test_size), ("data.eval_test_size", eval_test_size or 0)):
            if value > MAX_CONVERSATIONS:
                raise ConfigError(field, f"{value:,} conversations per behaviour is more than a run builds (at most "
                                  f"{MAX_CONVERSATIONS:,}; a CPU captures about 10 a second)", "Use a smaller size")
        if eval_test_split not in EVAL_SPLITS:
            raise ConfigError("data.eval_test_split", f"unknown split {eval_test_split!r}",
                              f"Use one of: {', '.join(EVAL_SPLITS)}")
        if vectors not in VECTORS:
            raise ConfigError("data.vectors", f"unknown value {vectors!r}", f"Use one of: {', '.join(VECTORS)}")
        if device not in DEVICES:
            raise ConfigError("data.device", f"unknown device {device!r}", f"Use one of: {', '.join(DEVICES)}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("data.device", "cuda was asked for, but this machine has no CUDA GPU", "Use auto or cpu")
        parse_positions(capture.positions, "data.capture.positions")
        self.input_model = input_model if isinstance(input_model, ModelSpec) else ModelSpec(**input_model)
        self.capture = capture
        self.behaviors, self.eval_behaviors = behaviors, eval_behaviors
        self.behavior_options = dict(behavior_options or {})
        self.k, self.seed, self.sampling_seed = k, seed, sampling_seed
        self.sizes = {"train": train_size, "val": val_size, "test": test_size}
        self.eval_test_split, self.eval_test_size = eval_test_split, eval_test_size
        self.eval_questions_per_conversation = eval_questions_per_conversation
        self.questions_per_conversation, self.sampling = questions_per_conversation, sampling
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size or batch_size
        self.num_workers, self.cache_dir, self.use_cache, self.device = num_workers, cache_dir, use_cache, device
        self.vectors = vectors
        self._input: Optional[InputModel] = None
        self._checked = False
        self._behaviors: dict = {}
        self.datasets: dict[str, list[QuestionDataset]] = {}
        self.capture_report: dict = {}
        self.save_hyperparameters(logger=False)
        # Plain data only, so a checkpoint loads with weights_only=True.
        self.hparams.update(input_model=asdict(self.input_model), capture=asdict(self.capture), behaviors=behaviors,
                            eval_behaviors=eval_behaviors, behavior_options=self.behavior_options)

    # -- input-model and activations ----------------------------------------------------------------------
    def _device(self) -> str:
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return self.device

    def input_model_handle(self) -> InputModel:
        """The frozen input-model: layer indices are checked before its weights load, which happens only when
        a capture needs them; the layout found in the model is the final word on them."""
        if self._input is None:
            def load() -> LoadedModel:
                return load_model(self.input_model, device=self._device(), causal_lm=False, field="data.input_model",
                                  check_layers=self.layers_for)
            self._input = InputModel(load, self.layers_for, self.positions())
        return self._input

    def loaded_input_model(self) -> LoadedModel:
        """The input-model's weights, loaded now if they are not in memory (``ask`` captures new text with them)."""
        return self.input_model_handle().loaded()

    def activation_source(self) -> ActivationSource:
        """What the meta-model needs to know of the activations it reads."""
        return self.input_model_handle().source

    def positions(self) -> str:
        """``capture.positions``, canonical."""
        return parse_positions(self.capture.positions, "data.capture.positions").canonical()

    def layers_from_config(self) -> Optional[list[int]]:
        """The resolved layers, from the input-model's config alone (no weights read, read once); None if the
        config does not say."""
        if not hasattr(self, "_config_layers"):
            count = config_layer_count(self.input_model, "data.input_model")
            self._config_layers = None if count is None else self.layers_for(count)
        return self._config_layers

    def layers_for(self, num_layers: int) -> list[int]:
        """``capture.layers`` resolved for a model of ``num_layers`` blocks, or a one-line error naming the field."""
        return resolve_layers(self.capture.layers, num_layers, "data.capture.layers")

    def behavior(self, name: str):
        """The configured behaviour, built once (its corpus is read once per process)."""
        if name not in self._behaviors:
            self._behaviors[name] = self._build_behavior(name)
        return self._behaviors[name]

    def _build_behavior(self, name: str):
        with _under_data():
            options = {"k": self.k, **self.behavior_options.get(name, {})}
            if not REGISTRY[name].uses_k:
                options.pop("k", None)
            try:
                return get_behavior(name, **options)
            except TypeError as e:
                raise ConfigError(f"data.behavior_options.{name}", str(e).split(") ", 1)[-1],
                                  "Use the behaviour's documented options") from e

    def plan(self, stage: Optional[str] = None) -> list[tuple[str, str, int]]:
        """The (behaviour, split, conversations) triples a stage needs; ``None``: every stage."""
        out = []
        if stage in (None, "fit"):
            out += [(b, "train", self.sizes["train"]) for b in self.behaviors]
        if stage in (None, "fit", "validate"):
            out += [(b, "val", self.sizes["val"]) for b in self.behaviors + self.eval_behaviors]
        if stage in (None, "test", "predict"):
            out += [(b, "test", self.sizes["test"]) for b in self.behaviors]
            out += [(b, self.eval_test_split, self.eval_test_size or len(self.behavior(b).split_sources(self.eval_test_split)))
                    for b in self.eval_behaviors]
        return [(b, s, n) for b, s, n in dict.fromkeys(out) if n > 0]

    def check(self) -> None:
        """Resolve the capture layers from the input-model's config, read every source and build every stage's
        conversations once, before any model loads: a bad layer, file, option or split then fails in one line,
        not after capture or training."""
        if not self._checked:
            if self.use_cache:
                writable_dir(resolve_cache_dir(self.cache_dir), cache_field(self.cache_dir))
            self.layers_from_config()
            with _under_data():
                for name, split, n in self.plan(None):
                    self.behavior(name).conversations(split, n, self.seed)
            self._checked = True

    def _activations(self, plan) -> dict:
        self.check()
        model = self.input_model_handle()
        cache = ActivationCache(resolve_cache_dir(self.cache_dir)) if self.use_cache else None
        # One capturer for the whole plan, made only if something is captured.
        capturer = functools.cache(lambda: ActivationCapturer(model.loaded(), list(model.source.layers),
                                                              self.capture.positions, self.capture.batch_size,
                                                              self.capture.max_tokens))

        start, out = time.perf_counter(), {}
        for name, split, n in plan:
            out[(name, split)] = behavior_activations(model, self.behavior(name), split, n, self.seed, self.capture,
                                                      cache, capturer=capturer)
        stats = capturer().stats if capturer.cache_info().currsize else CaptureStats()  # none made: none captured
        self.capture_report = {"entries": len(out), "captured": sum(a.report.captured_examples > 0 for a in out.values()),
                               "tokens": stats.tokens, "forwards": stats.forwards, "seconds": time.perf_counter() - start}
        return out

    def prepare_data(self) -> None:
        """Fill the cache for the running stage (rank 0 of each node; other ranks then only read)."""
        self.check()
        if self.use_cache:
            self._activations(self.plan(self._stage()))
            print(self.describe_capture(), flush=True)

    def describe_capture(self) -> str:
        r = self.capture_report
        if not r:
            return "capture: nothing run"
        rate = r["tokens"] / r["seconds"] if r["seconds"] else 0.0
        return (f"capture: {r['entries']} cache entries, {r['captured']} captured now; {r['tokens']:,} input-model tokens "
                f"in {r['forwards']} forwards, {r['seconds']:.1f} s ({rate:,.0f} tokens/s)")

    def _stage(self) -> Optional[str]:
        """The trainer's entry point (fit/validate/test/predict), or None outside a trainer: every stage."""
        trainer = self.trainer
        fn = getattr(getattr(trainer, "state", None), "fn", None) if trainer is not None else None
        return fn.value if fn is not None else None

    def setup(self, stage: Optional[str] = None) -> None:
        self.check()
        self._add_datasets(self._activations(self.plan(stage)))
        # The activations are in memory now: the weights are not needed until something new must be captured.
        self.input_model_handle().release()

    def _add_datasets(self, acts: dict) -> None:
        for (name, split), a in acts.items():
            key = "train" if split == "train" else ("val" if split == "val" else "test")
            per = self.eval_questions_per_conversation if name in self.eval_behaviors else self.questions_per_conversation
            ds = QuestionDataset(self.behavior(name), a, self.seed, per)
            self.datasets.setdefault(key, [])
            self.datasets[key] = [d for d in self.datasets[key] if d.name != name] + [ds]

    def with_vectors(self, vectors: Vectors) -> "MetaDataModule":
        """This datamodule, sharing its datasets and input-model, serving ``vectors`` (the question-only baseline)."""
        import copy

        other = copy.copy(self)
        other.vectors = vectors
        return other

    def training_datasets(self) -> list[QuestionDataset]:
        """The train split's datasets, loaded now if the stage did not (an untrained model tested)."""
        if not self.datasets.get("train"):
            self._add_datasets(self._activations([(b, "train", self.sizes["train"]) for b in self.behaviors]))
        return self.datasets["train"]

    # -- loaders -------------------------------------------------------------------------------------------
    def _loader(self, dataset, batch_size: int, loader=DataLoader, **kwargs) -> DataLoader:
        return loader(dataset, batch_size=batch_size, shuffle=False, collate_fn=functools.partial(collate, vectors=self.vectors),
                      num_workers=self.num_workers,
                      persistent_workers=self.num_workers > 0, **kwargs)

    def train_dataloader(self) -> DataLoader:
        parts = self.datasets["train"]
        dataset = ConcatDataset(parts)
        seed = derive_seed(self.seed if self.sampling_seed is None else self.sampling_seed, "sampler")
        weights = None
        if self.sampling == "uniform":  # each behaviour equally likely, whatever its size
            weights = torch.cat([torch.full((len(p),), 1.0 / len(p)) for p in parts])
        return self._loader(dataset, self.batch_size, ResumableLoader, sampler=EpochSampler(len(dataset), seed, weights),
                            progress=self._batches_done)

    def _batches_done(self) -> int:
        """Training batches finished in the current epoch (what a resumed epoch skips)."""
        trainer = self.trainer
        return trainer.fit_loop.epoch_loop.batch_progress.current.completed if trainer is not None else 0

    def val_dataloader(self) -> list[DataLoader]:
        return [self._loader(d, self.eval_batch_size) for d in self.datasets.get("val", [])]

    def test_dataloader(self) -> list[DataLoader]:
        return [self._loader(d, self.eval_batch_size) for d in self.datasets.get("test", [])]

    def predict_dataloader(self) -> list[DataLoader]:
        return self.test_dataloader()
