"""What of the meta-model trains: LoRA adapters, attention weights, everything, or nothing (projector only)."""
from __future__ import annotations

from typing import Literal, Optional, Sequence, get_args

from torch import nn

from meta_lightning.errors import ConfigError
from meta_lightning.models.architecture import ModelParts

Trainable = Literal["lora", "attention", "full", "projector"]
MODES = get_args(Trainable)


def attention_modules(parts: ModelParts) -> list[nn.Module]:
    """Each block's attention sub-module: the direct child whose name mentions attention (self_attn, attn,
    attention), not the norms named after it (post_attention_layernorm, ln_attn)."""
    found = []
    for block in parts.layers:
        found += [m for name, m in block.named_children()
                  if ("attn" in name.lower() or "attention" in name.lower()) and "norm" not in name.lower()
                  and not name.lower().startswith("ln")]
    return found


def apply_trainable(model: nn.Module, parts: ModelParts, mode: str, lora_rank: int = 8, lora_alpha: float = 16.0,
                    lora_dropout: float = 0.0, lora_targets: Optional[Sequence[str]] = None) -> nn.Module:
    """Freeze ``model`` and unfreeze what ``mode`` trains. For ``lora``, returns the PEFT-wrapped model."""
    if mode not in MODES:
        raise ConfigError("model.finetune.method", f"unknown mode {mode!r}", f"Use one of: {', '.join(MODES)}")
    model.requires_grad_(mode == "full")
    if mode == "attention":
        modules = attention_modules(parts)
        if not modules:
            raise ConfigError("model.finetune.method", "found no attention sub-module in the meta-model's blocks",
                              "Use trainable: lora or full")
        for m in modules:
            m.requires_grad_(True)
    if mode == "lora":
        from peft import LoraConfig, get_peft_model
        from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as DEFAULTS

        targets = list(lora_targets) if lora_targets else DEFAULTS.get(model.config.model_type, "all-linear")
        if targets == ["all-linear"]:  # PEFT's keyword: every linear layer but the output head
            targets = "all-linear"
        config = LoraConfig(r=lora_rank, lora_alpha=lora_alpha, lora_dropout=lora_dropout, target_modules=targets,
                            bias="none")
        try:
            model = get_peft_model(model, config)
        except ValueError as e:
            raise ConfigError("model.finetune.lora_targets", str(e).splitlines()[0][:200],
                              "Name linear modules that exist in the meta-model, e.g. [q_proj, v_proj]") from e
    return model


def checkpoint_blocks(model: nn.Module) -> None:
    """Recompute each block's activations in the backward pass instead of keeping them (non-reentrant, so the
    frozen inputs need no gradient and injection hooks run again as they ran forward)."""
    if not getattr(model, "supports_gradient_checkpointing", False):
        raise ConfigError("model.finetune.gradient_checkpointing",
                          f"{type(model).__name__} does not support gradient checkpointing",
                          "Set it to false, or lower data.loader.batch_size to save memory")
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
