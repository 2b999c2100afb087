"""The meta-model LightningModule: projected input-model activations in, Yes/No (or free-text) answers out."""
from __future__ import annotations

import inspect
import math
from dataclasses import asdict
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from lightning.pytorch import LightningModule

from meta_lightning.errors import ConfigError, TrainingDiverged
from meta_lightning.meta.inject import MODES, add_at_layer, add_placeholder_rows, replace_embeddings
from meta_lightning.meta.evaluation import DatasetMetrics
from meta_lightning.meta.projector import KINDS, Projector, layer_indices
from meta_lightning.meta.prompt import DEFAULT_PLACEHOLDER, DEFAULT_TEMPLATE, PromptBatch, PromptBuilder
from meta_lightning.meta.reporting import EpochReporter
from meta_lightning.meta.trainable import apply_trainable
from meta_lightning.models import ModelSpec
from meta_lightning.models.architecture import find_layout
from meta_lightning.models.load import load_model

SCHEDULES = ("cosine", "linear", "constant")


class MetaModel(LightningModule):
    """A trainable HF causal LM that reads activation vectors at placeholder tokens and answers questions.

    Args:
        meta_model: The trainable model. Its ``dtype: auto`` loads float32 everywhere (mixed precision does the rest).
        injection: ``replace`` (vectors become the placeholders' input embeddings) or ``add`` (norm-matched, at layer k).
        inject_layer: Decoder block k whose input receives the vectors in ``add`` mode.
        coefficient: c in h + c*||h||*v/||v|| for ``add`` mode.
        projector: ``auto`` (identity for the same model, else linear), ``identity``, ``linear`` or ``mlp``.
        normalize: Scale each vector to unit RMS, then by a learned gain per source layer.
        standardize: Subtract each source layer's training mean and divide by its per-dimension std before the
            projector (statistics from the training activations, saved in the checkpoint).
        trainable: ``lora``, ``attention`` (attention weights only, as in the paper), ``full`` or ``projector``.
        lora_rank: LoRA rank r.
        lora_alpha: LoRA alpha.
        lora_dropout: LoRA dropout.
        lora_targets: Module names LoRA adapts (default: PEFT's choice for the architecture, else all linear layers).
        placeholder: The added special token that marks where activation vectors go.
        template: The user turn, with ``{activations}`` and ``{question}``.
        system_prompt: The meta-model's system turn; ``""`` keeps it empty (and short), null lets the chat template
            insert its default.
        lr: AdamW peak learning rate (meta-model weights).
        projector_lr: Learning rate of the projector (default: lr).
        weight_decay: AdamW weight decay.
        warmup_steps: Linear warmup steps.
        schedule: After warmup: ``cosine`` or ``linear`` decay to zero over the run, or ``constant``.
        samples_to_log: Question/prediction rows written to TensorBoard per dataset and validation.
        eval_behaviors: Datasets reported as out of distribution (their accuracy is hp/<name>_acc, never tuned on).
    """

    def __init__(self, meta_model: ModelSpec = ModelSpec(), injection: str = "replace", inject_layer: int = 1,
                 coefficient: float = 1.0, projector: str = "auto", normalize: bool = False, standardize: bool = False, trainable: str = "lora",
                 lora_rank: int = 8, lora_alpha: float = 16.0, lora_dropout: float = 0.0,
                 lora_targets: Optional[Sequence[str]] = None, placeholder: str = DEFAULT_PLACEHOLDER,
                 template: str = DEFAULT_TEMPLATE, system_prompt: Optional[str] = "", lr: float = 1e-3, projector_lr: Optional[float] = None,
                 weight_decay: float = 0.0, warmup_steps: int = 10, schedule: str = "cosine", samples_to_log: int = 8,
                 eval_behaviors: Sequence[str] = ("lies",)):
        super().__init__()
        for field, value, allowed in (("model.injection", injection, MODES), ("model.projector", projector, KINDS),
                                      ("model.schedule", schedule, SCHEDULES)):
            if value not in allowed:
                raise ConfigError(field, f"unknown value {value!r}", f"Use one of: {', '.join(allowed)}")
        self.spec = meta_model if isinstance(meta_model, ModelSpec) else ModelSpec(**meta_model)
        self.save_hyperparameters(logger=False)
        self.hparams["meta_model"] = asdict(self.spec)  # plain data: checkpoints load with weights_only=True
        self.hparams["lora_targets"] = list(lora_targets) if lora_targets else None
        self.hparams["eval_behaviors"] = list(eval_behaviors)
        self.strict_loading = False  # checkpoints hold only the trained weights; the rest is rebuilt from the spec
        self.model = None
        self.projector = None
        self.metrics = DatasetMetrics()
        self.reporter = EpochReporter(self)

    # -- building ------------------------------------------------------------------------------------------
    def configure_model(self) -> None:
        if self.model is not None:
            return
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is None:
            raise ConfigError("data", "the meta-model needs the MetaDataModule to know the input-model",
                              "Run through `python -m meta_lightning` with a data section")
        loaded = dm.input()
        self.build(loaded.parts.hidden_size, len(dm.layers()), loaded.fingerprint)
        stats = dm.activation_statistics() if self.hparams.standardize else None
        if stats is not None:  # a checkpoint loaded afterwards replaces them with the ones it was trained with
            self.projector.set_statistics(*stats)

    def build(self, input_hidden_size: int, num_source_layers: int, input_fingerprint: Optional[str] = None) -> None:
        """Load the meta-model, add the placeholder, make the projector and choose what trains."""
        hp = self.hparams
        spec = self.spec if self.spec.dtype != "auto" else ModelSpec(**{**asdict(self.spec), "dtype": "float32"})
        loaded = load_model(spec, device="cpu", causal_lm=True, field="model.meta_model")
        self.prompts = PromptBuilder(loaded.tokenizer, hp.placeholder, hp.template, hp.system_prompt)
        add_placeholder_rows(loaded.model, len(loaded.tokenizer))
        d_out = loaded.parts.hidden_size
        kind = hp.projector
        if kind == "auto":
            kind = "identity" if (input_fingerprint == loaded.fingerprint and input_hidden_size == d_out) else "linear"
        rms = loaded.model.get_input_embeddings().weight.detach().float().pow(2).mean().sqrt().item()
        target = rms if hp.injection == "replace" else 1.0
        self.projector = Projector(input_hidden_size, d_out, kind, num_source_layers, hp.normalize, target,
                                   standardize=hp.standardize)
        if hp.injection == "add" and not 0 <= hp.inject_layer < loaded.parts.num_layers:
            raise ConfigError("model.inject_layer", f"{hp.inject_layer} is out of range for a meta-model with "
                              f"{loaded.parts.num_layers} layers", f"Use 0 to {loaded.parts.num_layers - 1}")
        accepts = inspect.signature(loaded.model.forward).parameters
        self._keeps_logits = "logits_to_keep" in accepts or any(p.kind == p.VAR_KEYWORD for p in accepts.values())
        self.model = apply_trainable(loaded.model, loaded.parts, hp.trainable, hp.lora_rank, hp.lora_alpha,
                                     hp.lora_dropout, hp.lora_targets)
        self.model.train()
        self.parts = find_layout(self.model)
        self.num_source_layers = num_source_layers
        self.meta_fingerprint = loaded.fingerprint
        self.meta_name = loaded.name

    # -- forward -------------------------------------------------------------------------------------------
    def answer_logits(self, batch: dict, with_answers: bool = True) -> tuple[torch.Tensor, PromptBatch]:
        """Logits of the positions that predict answer tokens only: [B, A, V]."""
        acts = batch["activations"]
        counts = [a.shape[0] for a in acts]
        answers = batch["answer"] if with_answers else [None] * len(counts)
        prompt = self.prompts.build(batch["question"], answers, counts)
        device = self.projector_device()
        vectors = self.projector(torch.cat(acts).to(device).float(), layer_indices(counts, self.num_source_layers, device))
        ids, mask = prompt.input_ids.to(device), prompt.placeholder_mask.to(device)
        width = prompt.targets.shape[1]
        kwargs = {"attention_mask": prompt.attention_mask.to(device), "position_ids": prompt.position_ids.to(device)}
        if self._keeps_logits:  # the lm_head runs on the answer positions only
            kwargs["logits_to_keep"] = width
        if self.hparams.injection == "replace":
            embeds = replace_embeddings(self.parts.embeddings(ids), mask, vectors)
            out = self.model(inputs_embeds=embeds, use_cache=False, **kwargs)
        else:
            with add_at_layer(self.parts.layers[self.hparams.inject_layer], mask, vectors, self.hparams.coefficient):
                out = self.model(input_ids=ids, use_cache=False, **kwargs)
        return out.logits[:, -width:], prompt

    def projector_device(self) -> torch.device:
        return next(self.model.parameters()).device

    def loss_and_p_yes(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        logits, prompt = self.answer_logits(batch)
        targets = prompt.targets.to(logits.device)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        return loss, self.p_yes(logits, prompt)

    def p_yes(self, logits: torch.Tensor, prompt: PromptBatch) -> torch.Tensor:
        """P(Yes) from the Yes and No logits of the first answer position (not an argmax over the vocabulary)."""
        rows = torch.arange(logits.shape[0], device=logits.device)
        first = logits[rows, prompt.first_answer.to(logits.device)]
        pair = first[:, [self.prompts.yes_id, self.prompts.no_id]].float()
        return pair.softmax(-1)[:, 0]

    # -- steps ---------------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss, p_yes = self.loss_and_p_yes(batch)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"model.lr: the loss is {loss.item()} at step {self.global_step} (batch from "
                                   f"{', '.join(sorted(set(batch['behavior'])))}); the run stops instead of training on it. "
                                   "Lower model.lr, or check the activations for inf/NaN")
        acc = ((p_yes >= 0.5) == batch["yes"].to(p_yes.device)).float().mean()
        bs = len(batch["question"])
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log("train/acc", acc, batch_size=bs)
        return loss

    def _eval_step(self, stage: str, batch: dict, dataloader_idx: int) -> None:
        name = self.trainer.datamodule.names(stage)[dataloader_idx]
        loss, p_yes = self.loss_and_p_yes(batch)
        self.log(f"{stage}/{name}/loss", loss, batch_size=len(batch["question"]), add_dataloader_idx=False, sync_dist=True)
        self.metrics.update(stage, name, batch, p_yes)

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_step("val", batch, dataloader_idx)

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval_step("test", batch, dataloader_idx)

    def predict_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> list[dict]:
        logits, prompt = self.answer_logits(batch, with_answers=False)
        p = self.p_yes(logits, prompt).cpu().tolist()
        return [{"behavior": b, "question": q, "truth": a, "p_yes": pi, "prediction": "Yes" if pi >= 0.5 else "No"}
                for b, q, a, pi in zip(batch["behavior"], batch["question"], batch["answer"], p)]

    def on_validation_epoch_end(self) -> None:
        self.reporter.epoch_end("val")

    def on_test_epoch_end(self) -> None:
        self.reporter.epoch_end("test")

    def on_train_start(self) -> None:
        self.reporter.log_hparams()

    # -- optimisation --------------------------------------------------------------------------------------
    def configure_optimizers(self):
        hp = self.hparams
        model_params = [p for p in self.model.parameters() if p.requires_grad]
        groups = [{"params": list(self.projector.parameters()), "lr": hp.projector_lr or hp.lr}]
        if model_params:
            groups.append({"params": model_params, "lr": hp.lr})
        groups = [g for g in groups if g["params"]]
        optimizer = torch.optim.AdamW(groups, lr=hp.lr, weight_decay=hp.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warmup = min(hp.warmup_steps, total - 1) if total > 1 else 0

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / (warmup + 1)
            if hp.schedule == "constant":
                return 1.0
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            return 0.5 * (1 + math.cos(math.pi * progress)) if hp.schedule == "cosine" else 1.0 - progress

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # -- checkpoints: trained weights only -----------------------------------------------------------------
    def trained_keys(self) -> set[str]:
        names = {f"model.{n}" for n, p in self.model.named_parameters() if p.requires_grad}
        return names | {f"projector.{n}" for n in self.projector.state_dict()}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        keep = self.trained_keys()
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}
        checkpoint["meta_lightning"] = {"format": 1, "meta_fingerprint": self.meta_fingerprint}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        missing = sorted(self.trained_keys() - set(checkpoint.get("state_dict", {})))
        if missing:
            raise ConfigError("ckpt_path", f"the checkpoint lacks {len(missing)} trained tensors (e.g. {missing[0]})",
                              "Use a checkpoint written by the same model configuration")
