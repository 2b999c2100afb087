"""``data.input_model: same``: the meta-model reads activations of its own base weights, with the LoRA off.

Until the meta-model is built the weights load from its spec (capture before training; the copy is released
before the meta-model loads). Once it is built, captures borrow its weights with the adapters switched off, so
there is never a second copy in memory (a test after fit, ``ask``).
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict
from typing import Optional

from meta_lightning.errors import ConfigError
from meta_lightning.models import ModelSpec
from meta_lightning.models.load import LoadedModel

SAME = "same"
KEEPS_BASE = ("lora", "projector")
"""Fine-tuning methods that leave the base weights as they were loaded."""


def check_same(net) -> None:
    method = net.options.finetune.method
    if method not in KEEPS_BASE:
        raise ConfigError("data.input_model", f"'same' reads the meta-model's base weights, which finetune.method "
                          f"{method} changes while it trains", "Use model.finetune.method: lora (or projector)")


def spec_of(net) -> ModelSpec:
    """The spec the meta-model loads with (``dtype: auto`` means float32 there), so both read the same numbers."""
    spec = net.spec
    return spec if spec.dtype != "auto" else ModelSpec(**{**asdict(spec), "dtype": "float32"})


class BorrowedModel:
    """The meta-model's base weights lent to captures, returned on release."""

    def __init__(self, net):
        check_same(net)
        self.net = net
        self._stack: Optional[ExitStack] = None

    @property
    def available(self) -> bool:
        return self.net.built

    def load(self) -> LoadedModel:
        self._stack = ExitStack()
        base = self._stack.enter_context(self.net.base_model())
        return LoadedModel(base, self.net.prompts.tokenizer, self.net.meta_fingerprint, self.net.meta_name)

    def release(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
