"""The LightningDataModule: behaviour conversations -> cached input-model activations -> question batches."""
from __future__ import annotations

import functools
import sys
from dataclasses import asdict
from typing import Literal, Optional, Sequence, Union

import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import ConcatDataset, DataLoader

from meta_lightning.behaviors import REGISTRY, get_behavior
from meta_lightning.cache import ActivationCache
from meta_lightning.capture import parse_positions, resolve_layers
from meta_lightning.data.activations import CaptureSettings
from meta_lightning.data.behavior_checks import check_behaviors, under_data
from meta_lightning.data.capture_plan import CaptureReport, CaptureRun, Plan, plan
from meta_lightning.data.options import (
    DEVICES,
    Device,
    LoaderOptions,
    QuestionOptions,
    SplitSizes,
    as_group,
    check_groups,
)
from meta_lightning.data.questions import QuestionDataset, Vectors, collate
from meta_lightning.data.same_model import SAME, BorrowedModel, spec_of
from meta_lightning.data.sampling import EpochSampler, LongestFirst, ResumableLoader, mix_weights
from meta_lightning.data.source import ActivationSource, InputModel
from meta_lightning.errors import ConfigError
from meta_lightning.models import ModelSpec
from meta_lightning.models.load import LoadedModel, config_layer_count, load_model
from meta_lightning.paths import cache_field, resolve_cache_dir, writable_dir
from meta_lightning.seeding import derive_seed

LARGE_PLAN = 20_000
"""Conversations past which a run says up front how long their capture takes."""


class MetaDataModule(LightningDataModule):
    """Builds behaviour conversations, captures the input-model's activations once (cached), serves questions.

    Args:
        input_model: The frozen model whose activations are read; ``same``: the meta-model's own base weights
            with its LoRA off (no second copy in memory; the CLI passes the meta-model on, Python callers call
            :meth:`use_meta_model`).
        behaviors: Training behaviours: any non-empty combination of the registry's trainable behaviours.
        eval_behaviors: Behaviours only evaluated, never trained on (out of distribution): lies by default.
        behavior_options: Per-behaviour options, e.g. ``{lies: {style: answer_only}, sentiment: {dataset: sst2.csv}}``.
        k: Assistant turns per few-shot conversation (a behaviour_options entry overrides it).
        capture: Layers, positions and batching of the input-model capture.
        splits: Conversations per behaviour in each split.
        questions: Questions asked about each conversation.
        loader: Batch sizes, workers, the training mix and the vectors shown.
        seed: The one data seed: conversations, questions and (unless sampling_seed is set) the sampling stream
            all derive from it, each through its own named stream.
        sampling_seed: Seed of the training batch order alone (default: derived from seed). Sweeps vary it per
            seed so that the conversations, and so the activation cache, stay shared.
        cache_dir: Activation cache root (default: ``$META_LIGHTNING_CACHE`` or ``~/.cache/meta_lightning``).
        use_cache: Read and write the on-disk activation cache; false captures in memory on every run.
        device: Where the input-model runs for capture: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    """

    def __init__(self, input_model: Union[ModelSpec, Literal["same"]] = ModelSpec(), behaviors: Sequence[str] = ("multilingual",),
                 eval_behaviors: Sequence[str] = ("lies",), behavior_options: Optional[dict[str, dict]] = None,
                 k: int = 3, capture: CaptureSettings = CaptureSettings(), splits: SplitSizes = SplitSizes(),
                 questions: QuestionOptions = QuestionOptions(), loader: LoaderOptions = LoaderOptions(),
                 seed: int = 0, sampling_seed: Optional[int] = None, cache_dir: Optional[str] = None,
                 use_cache: bool = True, device: Device = "auto"):
        super().__init__()
        behaviors, eval_behaviors = list(behaviors), list(eval_behaviors)
        check_behaviors(behaviors, eval_behaviors, behavior_options or {})
        groups = {name: as_group(name, value) for name, value in
                  (("splits", splits), ("questions", questions), ("loader", loader), ("capture", capture))}
        check_groups(groups)
        if k < 1:
            raise ConfigError("data.k", f"must be at least 1, got {k}", "Use a positive number")
        if device not in DEVICES:
            raise ConfigError("data.device", f"unknown device {device!r}", f"Use one of: {', '.join(DEVICES)}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("data.device", "cuda was asked for, but this machine has no CUDA GPU", "Use auto or cpu")
        parse_positions(groups["capture"].positions, "data.capture.positions")
        self.same_model = input_model == SAME
        self._borrowed: Optional[BorrowedModel] = None
        if self.same_model:
            self.input_model: Optional[ModelSpec] = None
        elif isinstance(input_model, ModelSpec):
            self.input_model = input_model
        elif isinstance(input_model, str):
            self.input_model = ModelSpec(name=input_model)
        elif isinstance(input_model, dict):
            self.input_model = ModelSpec(**input_model)
        else:
            raise ConfigError("data.input_model", f"expected a model spec or 'same', got {input_model!r}",
                              "Give {name: ...} or same")
        self.capture, self.splits = groups["capture"], groups["splits"]
        self.questions, self.loader = groups["questions"], groups["loader"]
        self.behaviors, self.eval_behaviors = behaviors, eval_behaviors
        self.behavior_options = dict(behavior_options or {})
        self.k, self.seed, self.sampling_seed = k, seed, sampling_seed
        self.cache_dir, self.use_cache, self.device = cache_dir, use_cache, device
        self._input: Optional[InputModel] = None
        self._checked = False
        self._behaviors: dict = {}
        self.datasets: dict[str, list[QuestionDataset]] = {}
        self.capture_report = CaptureReport()
        self.save_hyperparameters(logger=False)
        # Plain data only, so a checkpoint loads with weights_only=True.
        self.hparams.update(input_model=SAME if self.same_model else asdict(self.input_model), behaviors=behaviors,
                            eval_behaviors=eval_behaviors,
                            behavior_options=self.behavior_options, **{n: asdict(g) for n, g in groups.items()})

    @property
    def eval_batch_size(self) -> int:
        return self.loader.eval_batch_size or self.loader.batch_size

    # -- input-model ---------------------------------------------------------------------------------------
    def use_meta_model(self, net) -> None:
        """With ``input_model: same``: read ``net``'s base weights (from its spec until it is built, then its own
        weights with the LoRA off). Without it, nothing changes."""
        if self.same_model:
            self._borrowed = BorrowedModel(net)
            self.input_model = spec_of(net)

    def _spec(self) -> ModelSpec:
        if self.input_model is None:
            raise ConfigError("data.input_model", "'same' reads the meta-model's weights, but no meta-model was given",
                              "Run through `python -m meta_lightning`, or call datamodule.use_meta_model(model.net)")
        return self.input_model

    def input_model_handle(self) -> InputModel:
        """The frozen input-model: layer indices are checked before its weights load, which happens only when
        a capture needs them; the layout found in the model is the final word on them."""
        if self._input is None:
            device = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device

            borrowed = self._borrowed

            def load() -> LoadedModel:
                if borrowed is not None and borrowed.available:
                    return borrowed.load()
                return load_model(self._spec(), device=device, causal_lm=False, field="data.input_model",
                                  check_layers=self.layers_for)
            self._input = InputModel(load, self.layers_for, self.positions(), borrowed.release if borrowed else None)
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
            count = config_layer_count(self._spec(), "data.input_model")
            self._config_layers = None if count is None else self.layers_for(count)
        return self._config_layers

    def layers_for(self, num_layers: int) -> list[int]:
        """``capture.layers`` resolved for a model of ``num_layers`` blocks, or a one-line error naming the field."""
        return resolve_layers(self.capture.layers, num_layers, "data.capture.layers")

    # -- behaviours and their activations ------------------------------------------------------------------
    def behavior(self, name: str):
        """The configured behaviour, built once (its corpus is read once per process)."""
        if name not in self._behaviors:
            with under_data():
                options = {"k": self.k, **self.behavior_options.get(name, {})}
                if not REGISTRY[name].uses_k:
                    options.pop("k", None)
                try:
                    self._behaviors[name] = get_behavior(name, **options)
                except TypeError as e:
                    raise ConfigError(f"data.behavior_options.{name}", str(e).split(") ", 1)[-1],
                                      "Use the behaviour's documented options") from e
        return self._behaviors[name]

    def plan(self, stage: Optional[str] = None) -> Plan:
        """The (behaviour, split, conversations) triples a stage needs; ``None``: every stage."""
        return plan(stage, self.behaviors, self.eval_behaviors, self.splits,
                    lambda name, split: len(self.behavior(name).split_sources(split)))

    def check(self) -> None:
        """The cache folder, the capture layers (from the input-model's config), every source and every stage's
        conversations, once, before any model loads: a bad layer, file, option or split then fails in one
        line, not after capture or training."""
        if not self._checked:
            if self.use_cache:
                writable_dir(resolve_cache_dir(self.cache_dir), cache_field(self.cache_dir))
            self.layers_from_config()
            with under_data():
                for name, split, n in self.plan(None):
                    self.behavior(name).conversations(split, n, self.seed)
                    self.behavior(name).kinds(self.questions.kinds)
            total = sum(n for _, _, n in self.plan(None))
            if total > LARGE_PLAN:
                print(f"warning: this run reads {total:,} conversations; capturing them takes about "
                      f"{total / 10 / 3600:.1f} h on a 2-core CPU (once: they are cached)", file=sys.stderr, flush=True)
            self._checked = True

    def _activations(self, stage_plan: Plan) -> dict:
        self.check()
        cache = ActivationCache(resolve_cache_dir(self.cache_dir)) if self.use_cache else None
        run = CaptureRun(self.input_model_handle(), self.capture, cache, self.seed)
        out = run.activations(stage_plan, self.behavior)
        self.capture_report = run.report
        return out

    def prepare_data(self) -> None:
        """Fill the cache for the running stage (rank 0 of each node; other ranks then only read)."""
        self.check()
        if self.use_cache:
            self._activations(self.plan(self._stage()))
            print(self.capture_report.describe(), flush=True)

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
            key = split if split in ("train", "val") else "test"
            per = self.questions.eval_per_conversation if name in self.eval_behaviors else self.questions.per_conversation
            with under_data():
                kinds = self.behavior(name).kinds(self.questions.kinds)
            new = [QuestionDataset(self.behavior(name), a, self.seed, per, kind) for kind in kinds]
            self.datasets[key] = [d for d in self.datasets.get(key, []) if d.behavior != name] + new

    def training_datasets(self) -> list[QuestionDataset]:
        """The train split's datasets, loaded now if the stage did not (an untrained model tested)."""
        if not self.datasets.get("train"):
            self._add_datasets(self._activations([(b, "train", self.splits.train) for b in self.behaviors]))
        return self.datasets["train"]

    def with_vectors(self, vectors: Vectors) -> "MetaDataModule":
        """This datamodule, sharing its datasets and input-model, serving ``vectors`` (the question-only baseline)."""
        import copy
        from dataclasses import replace

        other = copy.copy(self)
        other.loader = replace(self.loader, vectors=vectors)
        return other

    # -- loaders -------------------------------------------------------------------------------------------
    def _loader(self, dataset, batch_size: int, loader=DataLoader, **kwargs) -> DataLoader:
        workers, vectors = self.loader.num_workers, self.loader.vectors
        return loader(dataset, batch_size=batch_size, shuffle=False, collate_fn=functools.partial(collate, vectors=vectors),
                      num_workers=workers, persistent_workers=workers > 0, **kwargs)

    def train_dataloader(self) -> DataLoader:
        parts = self.datasets["train"]
        dataset = ConcatDataset(parts)
        seed = derive_seed(self.seed if self.sampling_seed is None else self.sampling_seed, "sampler")
        weights = mix_weights(parts, self.loader.sampling, self.loader.mix)
        return self._loader(dataset, self.loader.batch_size, ResumableLoader,
                            sampler=EpochSampler(len(dataset), seed, weights), progress=self._batches_done)

    def _batches_done(self) -> int:
        """Training batches finished in the current epoch (what a resumed epoch skips)."""
        trainer = self.trainer
        return trainer.fit_loop.epoch_loop.batch_progress.current.completed if trainer is not None else 0

    def _eval_loaders(self, split: str, ordered: bool = True) -> list[DataLoader]:
        return [self._loader(d, self.eval_batch_size, sampler=LongestFirst(d.prompt_sizes()) if ordered else None)
                for d in self.datasets.get(split, [])]

    def val_dataloader(self) -> list[DataLoader]:
        return self._eval_loaders("val")

    def test_dataloader(self) -> list[DataLoader]:
        return self._eval_loaders("test")

    def predict_dataloader(self) -> list[DataLoader]:
        return self._eval_loaders("test", ordered=False)  # predictions come back in the data set's order
