"""The meta-model's LightningModule: training and evaluation steps, the optimiser, and the checkpoint's contents."""
from __future__ import annotations

from dataclasses import asdict

import torch
from lightning.pytorch import LightningModule

from meta_lightning.checkpoints import write_header
from meta_lightning.data.questions import QuestionBatch
from meta_lightning.errors import ConfigError, TrainingDiverged
from meta_lightning.memory import release_freed
from meta_lightning.meta.checkpoint import check_capture, check_models
from meta_lightning.meta.evaluation import DatasetMetrics
from meta_lightning.meta.network import MetaNetwork
from meta_lightning.meta.optim import param_groups
from meta_lightning.meta.options import (
    FinetuneOptions,
    InjectionOptions,
    MetaOptions,
    OptimizerOptions,
    ProjectorOptions,
    PromptOptions,
    as_group,
    check_options,
    plain,
)
from meta_lightning.meta.projector_inputs import projector_inputs
from meta_lightning.meta.text_evaluation import TextMetrics
from meta_lightning.models import ModelSpec
from meta_lightning.schedules import adamw_with_schedule


class MetaModel(LightningModule):
    """A trainable HF causal LM that reads activation vectors at placeholder tokens and answers questions.

    Args:
        meta_model: The trainable model. Its ``dtype: auto`` loads float32 everywhere (mixed precision does the rest).
        injection: Where the projected vectors enter (``mode``, ``layer``, ``coefficient``).
        projector: The map between hidden sizes (``kind``, ``init``, ``ridge``, ``lr``, ``standardize``, ``noise``).
        prompt: The prompt and the answer's form (``template``, ``chat_template``, ``answer_format``, ...).
        finetune: Which weights train (``method``: lora, attention, full or projector; the LoRA settings).
        optimizer: AdamW and its schedule (``lr``, ``weight_decay``, ``warmup_steps``, ``schedule``).
        samples_to_log: Question/prediction rows written to TensorBoard per dataset and validation.
    """

    def __init__(self, meta_model: ModelSpec = ModelSpec(), injection: InjectionOptions = InjectionOptions(),
                 projector: ProjectorOptions = ProjectorOptions(), prompt: PromptOptions = PromptOptions(),
                 finetune: FinetuneOptions = FinetuneOptions(), optimizer: OptimizerOptions = OptimizerOptions(),
                 samples_to_log: int = 8):
        super().__init__()
        groups = {name: as_group(name, value) for name, value in
                  (("injection", injection), ("projector", projector), ("prompt", prompt), ("finetune", finetune),
                   ("optimizer", optimizer))}
        check_options({**groups, "samples_to_log": samples_to_log})
        self.options = MetaOptions(**groups)
        spec = meta_model if isinstance(meta_model, ModelSpec) else ModelSpec(**meta_model)
        self.spec = spec
        self.save_hyperparameters(logger=False)
        # plain data: checkpoints load with weights_only=True
        self.hparams.update(meta_model=asdict(spec), **{name: plain(group) for name, group in groups.items()})
        self.strict_loading = False  # checkpoints hold only the trained weights; the rest is rebuilt from the spec
        self.net = MetaNetwork(spec, self.options)
        self.metrics = DatasetMetrics()
        self.direct_metrics = DatasetMetrics()  # P(Yes) read without naming, beside the main reading
        self.text_metrics = TextMetrics()  # free-text answers against their references
        self.init_seed = torch.initial_seed()  # the run's seed (seed_everything runs before the model is made)

    def configure_model(self) -> None:
        if self.net.built:
            return
        dm = getattr(self.trainer, "datamodule", None)
        if dm is None:
            raise ConfigError("data", "the meta-model needs the MetaDataModule to know the input-model",
                              "Run through `python -m meta_lightning` with a data section")
        inputs = projector_inputs(dm)
        self.net.build(inputs.source, self.init_seed, inputs.training_vectors, inputs.text_pairs)

    # -- steps ---------------------------------------------------------------------------------------------
    def training_step(self, batch: QuestionBatch, batch_idx: int) -> torch.Tensor:
        loss, p_yes = self.net.loss_and_p_yes(batch)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"model.optimizer.lr: the loss is {loss.item()} at step {self.global_step} (batch from "
                                   f"{', '.join(sorted(set(batch['behavior'])))}); the run stops instead of training on it. "
                                   "Lower model.optimizer.lr, or check the activations for inf/NaN")
        bs = len(batch["question"])
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        yes_no = torch.tensor([k == "yes_no" for k in batch.get("kind") or ["yes_no"] * bs], device=p_yes.device)
        if yes_no.any():  # the verdict's accuracy on the batch's Yes/No questions
            hits = ((p_yes >= 0.5) == batch["yes"].to(p_yes.device))[yes_no]
            self.log("train/acc", hits.float().mean(), batch_size=int(yes_no.sum()))
        return loss

    def _eval_step(self, stage: str, batch: QuestionBatch) -> None:
        name = batch["dataset"][0]  # one data set per loader
        if stage == "val":  # teacher-forced loss for the learning curve; test sets are large, so only read there
            loss, _ = self.net.loss_and_p_yes(batch)
            self.log(f"{stage}/{name}/loss", loss, batch_size=len(batch["question"]), add_dataloader_idx=False, sync_dist=True)
        readings = self.net.read(batch)
        if readings.texts is not None:
            self.text_metrics.update(stage, name, batch, readings.texts)
            return
        self.metrics.update(stage, name, batch, readings.p_named, readings.names)
        self.direct_metrics.update(stage, name, batch, readings.p_direct)

    def validation_step(self, batch: QuestionBatch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_step("val", batch)

    # Batches differ in length, so freed activations leave the heap fragmented; handing them back after each
    # batch kept the oracle's memory flat (memory.release_freed).
    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        release_freed()

    def on_validation_batch_end(self, outputs, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        release_freed()

    def on_test_batch_end(self, outputs, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        release_freed()

    def test_step(self, batch: QuestionBatch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_step("test", batch)

    def predict_step(self, batch: QuestionBatch, batch_idx: int, dataloader_idx: int = 0) -> list[dict]:
        readings = self.net.read(batch)
        rows = zip(batch["dataset"], batch["question"], batch["answer"])
        if readings.texts is not None:
            return [{"dataset": d, "question": q, "truth": a, "prediction": t} for (d, q, a), t in zip(rows, readings.texts)]
        p = readings.p_named.cpu().tolist()
        named = readings.names or [None] * len(p)
        return [{"dataset": d, "question": q, "truth": a, "p_yes": pi, "prediction": "Yes" if pi >= 0.5 else "No",
                 "named": n} for (d, q, a), pi, n in zip(rows, p, named)]

    def configure_callbacks(self):
        """A trainer without a reporter (a plain ``Trainer().fit``) still reports, into its own run folder."""
        from meta_lightning.meta.reporting import RunReporter

        return [] if any(isinstance(c, RunReporter) for c in self.trainer.callbacks) else [RunReporter()]

    def configure_optimizers(self):
        opt, net = self.options.optimizer, self.net
        groups = param_groups(net.model, net.projector, opt.lr, self.options.projector.lr)
        return adamw_with_schedule(groups, opt.lr, opt.weight_decay, opt.schedule, opt.warmup_steps,
                                   int(self.trainer.estimated_stepping_batches))

    # -- checkpoints: trained weights only, and what they were trained on ----------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        keep = {f"net.{k}" for k in self.net.trained_keys()}
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}
        source = self.net.source
        write_header(checkpoint, "activations", meta_fingerprint=self.net.meta_fingerprint, init_seed=self.init_seed,
                     **({"input": {"input_fingerprint": source.fingerprint, "layers": list(source.layers),
                                   "positions": source.positions}} if source is not None else {}))

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        source = self.net.source
        check_models(checkpoint, source.fingerprint if source else None, self.net.meta_fingerprint)
        if source is not None:
            check_capture(checkpoint, list(source.layers), source.positions)
        if self.net.built:
            missing = sorted({f"net.{k}" for k in self.net.trained_keys()} - set(checkpoint.get("state_dict", {})))
            if missing:
                raise ConfigError("--ckpt_path", f"the checkpoint lacks {len(missing)} trained tensors (e.g. "
                                  f"{missing[0]})", "Use a checkpoint written by the same model configuration")
