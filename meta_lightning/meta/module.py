"""The meta-model LightningModule: projected input-model activations in, Yes/No (or free-text) answers out."""
from __future__ import annotations

from dataclasses import asdict
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from lightning.pytorch import LightningModule

from meta_lightning.data.questions import QuestionBatch
from meta_lightning.data.source import ActivationSource
from meta_lightning.errors import ConfigError, TrainingDiverged
from meta_lightning.meta.alignment import fit_closed_form, name_embeddings
from meta_lightning.meta.answers import Readings, greedy_name_then_verdict, yes_probability
from meta_lightning.meta.checkpoint import FORMAT as CHECKPOINT_FORMAT
from meta_lightning.meta.checkpoint import check_capture, check_models
from meta_lightning.meta.evaluation import DatasetMetrics
from meta_lightning.meta.inject import add_placeholder_rows, make_injector
from meta_lightning.meta.optim import param_groups
from meta_lightning.meta.options import (
    FinetuneOptions,
    InjectionOptions,
    MetaOptions,
    OptimizerOptions,
    ProjectorOptions,
    PromptOptions,
    Vectors,
    as_group,
    check_options,
    plain,
)
from meta_lightning.meta.projector import Projector, layer_indices
from meta_lightning.meta.prompt import PromptBatch, PromptBuilder
from meta_lightning.meta.trainable import apply_trainable
from meta_lightning.models import ModelSpec
from meta_lightning.models.architecture import find_layout
from meta_lightning.models.load import config_layer_count, load_model
from meta_lightning.schedules import lr_factor
from meta_lightning.seeding import derive_seed


class MetaModel(LightningModule):
    """A trainable HF causal LM that reads activation vectors at placeholder tokens and answers questions.

    Args:
        meta_model: The trainable model. Its ``dtype: auto`` loads float32 everywhere (mixed precision does the rest).
        injection: Where the projected vectors enter (``mode``, ``layer``, ``coefficient``).
        projector: The map between hidden sizes (``kind``, ``init``, ``ridge``, ``lr``, ``standardize``, ``noise``).
        prompt: The prompt and the answer's form (``template``, ``chat_template``, ``answer_format``, ...).
        finetune: Which weights train (``method``: lora, attention, full or projector; the LoRA settings).
        optimizer: AdamW and its schedule (``lr``, ``weight_decay``, ``warmup_steps``, ``schedule``).
        vectors: ``real``; ``shuffled`` (across the batch) or ``zero`` give the question-only baseline.
        samples_to_log: Question/prediction rows written to TensorBoard per dataset and validation.
        eval_behaviors: Datasets reported as out of distribution (their accuracy is hp/<name>_acc, never tuned on).
    """

    def __init__(self, meta_model: ModelSpec = ModelSpec(), injection: InjectionOptions = InjectionOptions(),
                 projector: ProjectorOptions = ProjectorOptions(), prompt: PromptOptions = PromptOptions(),
                 finetune: FinetuneOptions = FinetuneOptions(), optimizer: OptimizerOptions = OptimizerOptions(),
                 vectors: Vectors = "real", samples_to_log: int = 8, eval_behaviors: Sequence[str] = ("lies",)):
        super().__init__()
        groups = {name: as_group(name, value) for name, value in
                  (("injection", injection), ("projector", projector), ("prompt", prompt), ("finetune", finetune),
                   ("optimizer", optimizer))}
        check_options({**groups, "vectors": vectors, "samples_to_log": samples_to_log})
        self.options = MetaOptions(**groups)
        self.injector = make_injector(self.options.injection)  # the one place the mode is read
        self.spec = meta_model if isinstance(meta_model, ModelSpec) else ModelSpec(**meta_model)
        self.save_hyperparameters(logger=False)
        # plain data: checkpoints load with weights_only=True
        self.hparams.update(meta_model=asdict(self.spec), eval_behaviors=list(eval_behaviors),
                            **{name: plain(group) for name, group in groups.items()})
        self.strict_loading = False  # checkpoints hold only the trained weights; the rest is rebuilt from the spec
        self.model = None
        self.projector = None
        self.metrics = DatasetMetrics()
        self.direct_metrics = DatasetMetrics()  # P(Yes) read without naming, beside the main reading
        self.report_as: Optional[str] = None  # a baseline's name: its test results go to summary["baselines"]
        self.summary_path = None  # where a baseline files its results (the trained run's summary.json)
        self._reporter = None  # made by configure_callbacks
        self.pending_baselines: list[str] = []  # run after the test (the CLI sets them): the summary waits for them
        self.source: Optional[ActivationSource] = None  # the activations read (set by build_for)
        self.meta_fingerprint: Optional[str] = None
        self.init_seed = torch.initial_seed()  # the run's seed (seed_everything runs before the model is made)

    # -- building ------------------------------------------------------------------------------------------
    def configure_model(self) -> None:
        if self.model is not None:
            return
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is None:
            raise ConfigError("data", "the meta-model needs the MetaDataModule to know the input-model",
                              "Run through `python -m meta_lightning` with a data section")
        self.build_for(dm.activation_source(), dm.training_vectors)

    def build_for(self, source: ActivationSource, training_vectors: Optional[Callable[[], tuple]] = None) -> None:
        """Build for ``source``'s activations: its statistics standardise, and ``closed_form`` fits the projector
        on ``training_vectors()``. A checkpoint loaded afterwards replaces both with what it was trained with."""
        self.source = source
        self.build(source.hidden_size, len(source.layers), source.fingerprint)
        if self.options.projector.standardize and source.statistics is not None:
            self.projector.set_statistics(*source.statistics)
        if self.options.projector.init == "closed_form" and training_vectors is not None:
            self.align(*training_vectors())

    def check_layers(self, num_layers: int) -> None:
        """The injection's layer against the meta-model's block count (from its config, before any weight loads)."""
        self.injector.check_layers(num_layers)

    def check_before_loading(self) -> None:
        """What can be checked of the meta-model from its config alone (the CLI calls it before any model loads)."""
        count = config_layer_count(self.spec, "model.meta_model")
        if count is not None:
            self.check_layers(count)

    def align(self, vectors: list[torch.Tensor], names: list[str]) -> float:
        """Closed-form projector: every vector of an example onto the embedding of the example's class name."""
        table = name_embeddings(names, self.prompts.tokenizer, self.model.get_input_embeddings().weight.detach())
        counts = [v.shape[0] for v in vectors]
        targets = torch.cat([table[n].expand(c, -1) for n, c in zip(names, counts)])
        index = layer_indices(counts, self.num_source_layers)
        self.alignment_cosine = fit_closed_form(self.projector.cpu(), torch.cat(vectors), index, targets,
                                                self.options.projector.ridge)
        return self.alignment_cosine

    def build(self, input_hidden_size: int, num_source_layers: int, input_fingerprint: Optional[str] = None) -> None:
        """Load the meta-model, add the placeholder, make the projector and choose what trains.

        Initialisation draws from its own stream of the run's seed, so it does not depend on what consumed the
        global generator before (a GGUF conversion in the same process, a capture), and the global stream is
        left as it was."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.init_seed, "meta-model initialisation"))
            self._build(input_hidden_size, num_source_layers, input_fingerprint)

    def _build(self, input_hidden_size: int, num_source_layers: int, input_fingerprint: Optional[str]) -> None:
        projector, prompt, finetune = self.options.projector, self.options.prompt, self.options.finetune
        spec = self.spec if self.spec.dtype != "auto" else ModelSpec(**{**asdict(self.spec), "dtype": "float32"})
        loaded = load_model(spec, device="cpu", causal_lm=True, field="model.meta_model", check_layers=self.check_layers)
        self.prompts = PromptBuilder(loaded.tokenizer, prompt.placeholder, prompt.template, prompt.system_prompt,
                                     prompt.chat_template, prompt.separator)
        if prompt.answer_format == "name_then_answer":
            self.prompts.check_separator()
        add_placeholder_rows(loaded.model, len(loaded.tokenizer))
        d_out = loaded.parts.hidden_size
        kind = projector.kind
        if kind == "auto":
            kind = "identity" if (input_fingerprint == loaded.fingerprint and input_hidden_size == d_out) else "linear"
        rms = loaded.model.get_input_embeddings().weight.detach().float().pow(2).mean().sqrt().item()
        target = self.injector.target_rms(rms)
        self.projector = Projector(input_hidden_size, d_out, kind, num_source_layers, projector.normalize, target,
                                   standardize=projector.standardize)
        if projector.lr == 0:
            self.projector.requires_grad_(False)
        self.check_layers(loaded.parts.num_layers)
        self.model = apply_trainable(loaded.model, loaded.parts, finetune.method, finetune.lora_rank,
                                     finetune.lora_alpha, finetune.lora_dropout, finetune.lora_targets)
        self.model.train()
        self.parts = find_layout(self.model)
        self.num_source_layers = num_source_layers
        self.meta_fingerprint = loaded.fingerprint
        self.meta_name = loaded.name

    # -- forward -------------------------------------------------------------------------------------------
    def names_for(self, batch: QuestionBatch) -> Optional[list]:
        """The class names that start each target answer (``name_then_answer``), else None."""
        if self.options.prompt.answer_format != "name_then_answer" or "class_name" not in batch:
            return None
        return batch["class_name"]

    def _run(self, batch: QuestionBatch, answers: Sequence[Optional[str]], names=None, keep: Optional[int] = None,
             use_cache: bool = False):
        """The meta-model over prompts built for ``batch``, activations injected; returns (output, prompt)."""
        acts = batch["activations"]
        counts = [a.shape[0] for a in acts]
        prompt = self.prompts.build(batch["question"], answers, counts, names)
        device = self.projector_device()
        noise = self.options.projector.noise if self.training else 0.0
        vectors = self.projector(torch.cat(acts).to(device).float(), layer_indices(counts, self.num_source_layers, device),
                                 noise=noise)
        if self.hparams.vectors == "zero":
            vectors = torch.zeros_like(vectors)
        elif self.hparams.vectors == "shuffled" and len(acts) > 1:  # each example gets its neighbour's vectors
            if len(set(counts)) != 1:
                raise ConfigError("model.vectors", "shuffled needs the same number of vectors in every example",
                                  "Use vectors: zero with positions that vary in number")
            vectors = vectors.roll(counts[0], 0)
        ids, mask = prompt.input_ids.to(device), prompt.placeholder_mask.to(device)
        kwargs = {"attention_mask": prompt.attention_mask.to(device), "position_ids": prompt.position_ids.to(device),
                  "use_cache": use_cache}
        if self.parts.keeps_logits and keep is not None:  # the lm_head runs on the kept positions only (-1: the answer's)
            kwargs["logits_to_keep"] = prompt.targets.shape[1] if keep == -1 else keep
        out = self.injector.forward(self.model, self.parts, ids, mask, vectors, **kwargs)
        return out, prompt

    def answer_logits(self, batch: QuestionBatch) -> tuple[torch.Tensor, PromptBatch]:
        """Logits of the positions that predict answer tokens only: [B, A, V] (teacher-forced)."""
        out, prompt = self._run(batch, batch["answer"], self.names_for(batch), keep=-1)
        return out.logits[:, -prompt.targets.shape[1]:], prompt

    def projector_device(self) -> torch.device:
        return next(self.model.parameters()).device

    def loss_and_p_yes(self, batch: QuestionBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced loss over the answer tokens, and P(Yes) at the verdict (after the true name, if any)."""
        logits, prompt = self.answer_logits(batch)
        targets = prompt.targets.to(logits.device)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        return loss, self.p_yes(logits, prompt)

    def p_yes(self, logits: torch.Tensor, prompt: PromptBatch) -> torch.Tensor:
        """P(Yes) from the Yes and No logits of the verdict position (not an argmax over the vocabulary)."""
        rows = torch.arange(logits.shape[0], device=logits.device)
        return yes_probability(logits[rows, prompt.verdict.to(logits.device)], self.prompts.yes_id, self.prompts.no_id)

    def read(self, batch: QuestionBatch) -> Readings:
        """Untaught answers: P(Yes) directly, and after the model's own greedy class name (``name_then_answer``)."""
        naming = self.options.prompt.answer_format == "name_then_answer"
        out, prompt = self._run(batch, [None] * len(batch["question"]), keep=1, use_cache=naming)
        logits = out.logits[:, -1]
        if not naming:
            p = yes_probability(logits, self.prompts.yes_id, self.prompts.no_id)
            return Readings(p, p, [])
        device = logits.device
        cache = getattr(out, self.parts.cache_argument)
        return greedy_name_then_verdict(logits, cache, self.model, prompt.attention_mask.to(device),
                                        prompt.position_ids.to(device), self.prompts.yes_id, self.prompts.no_id,
                                        self.prompts.separator_ids[0], self.options.prompt.max_name_tokens,
                                        self.prompts.tokenizer.decode, self.parts.cache_argument)

    # -- steps ---------------------------------------------------------------------------------------------
    def training_step(self, batch: QuestionBatch, batch_idx: int) -> torch.Tensor:
        loss, p_yes = self.loss_and_p_yes(batch)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"model.optimizer.lr: the loss is {loss.item()} at step {self.global_step} (batch from "
                                   f"{', '.join(sorted(set(batch['behavior'])))}); the run stops instead of training on it. "
                                   "Lower model.optimizer.lr, or check the activations for inf/NaN")
        acc = ((p_yes >= 0.5) == batch["yes"].to(p_yes.device)).float().mean()
        bs = len(batch["question"])
        prefix = f"baselines/{self.report_as}/" if self.report_as else ""
        self.log(f"{prefix}train/loss", loss, prog_bar=True, batch_size=bs)
        self.log(f"{prefix}train/acc", acc, batch_size=bs)
        return loss

    def _eval_step(self, stage: str, batch: QuestionBatch, dataloader_idx: int) -> None:
        name = self.trainer.datamodule.dataset_names(stage)[dataloader_idx]
        if stage == "val":  # teacher-forced loss for the learning curve; test sets are large, so only read there
            loss, _ = self.loss_and_p_yes(batch)
            self.log(f"{stage}/{name}/loss", loss, batch_size=len(batch["question"]), add_dataloader_idx=False, sync_dist=True)
        readings = self.read(batch)
        self.metrics.update(stage, name, batch, readings.p_named, readings.names)
        self.direct_metrics.update(stage, name, batch, readings.p_direct)

    def validation_step(self, batch: QuestionBatch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_step("val", batch, dataloader_idx)

    def test_step(self, batch: QuestionBatch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_step("test", batch, dataloader_idx)

    def predict_step(self, batch: QuestionBatch, batch_idx: int, dataloader_idx: int = 0) -> list[dict]:
        readings = self.read(batch)
        p = readings.p_named.cpu().tolist()
        named = readings.names or [None] * len(p)
        return [{"behavior": b, "question": q, "truth": a, "p_yes": pi, "prediction": "Yes" if pi >= 0.5 else "No",
                 "named": n} for b, q, a, pi, n in zip(batch["behavior"], batch["question"], batch["answer"], p, named)]

    def configure_callbacks(self):
        """Reporting (metrics, TensorBoard, summary) is a callback, so any trainer that runs this model reports.
        The same one each time: Lightning asks again for every fit and test, and the test after a fit draws the
        learning curve the fit recorded."""
        from meta_lightning.meta.reporting import RunReporter

        if self._reporter is None:
            self._reporter = RunReporter()
        if any(c is self._reporter for c in self.trainer.callbacks):
            return []  # already attached (the test after a fit)
        return [self._reporter]

    # -- optimisation --------------------------------------------------------------------------------------
    def configure_optimizers(self):
        opt = self.options.optimizer
        groups = param_groups(self.model, self.projector, opt.lr, self.options.projector.lr)
        optimizer = torch.optim.AdamW(groups, lr=opt.lr, weight_decay=opt.weight_decay)
        factor = lr_factor(opt.schedule, opt.warmup_steps, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # -- checkpoints: trained weights only -----------------------------------------------------------------
    def trained_keys(self) -> set[str]:
        names = {f"model.{n}" for n, p in self.model.named_parameters() if p.requires_grad}
        return names | {f"projector.{n}" for n in self.projector.state_dict()}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        keep = self.trained_keys()
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}
        checkpoint["meta_lightning"] = {"format": CHECKPOINT_FORMAT, "meta_fingerprint": self.meta_fingerprint,
                                        "init_seed": self.init_seed}
        if self.source is not None:
            checkpoint["meta_lightning"]["input"] = {"input_fingerprint": self.source.fingerprint,
                                                     "layers": list(self.source.layers),
                                                     "positions": self.source.positions}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "meta_lightning" in checkpoint:
            source = self.source
            check_models(checkpoint, source.fingerprint if source else None, self.meta_fingerprint)
            if source is not None:
                check_capture(checkpoint, list(source.layers), source.positions)
        missing = sorted(self.trained_keys() - set(checkpoint.get("state_dict", {})))
        if missing:
            raise ConfigError("ckpt_path", f"the checkpoint lacks {len(missing)} trained tensors (e.g. {missing[0]})",
                              "Use a checkpoint written by the same model configuration")
