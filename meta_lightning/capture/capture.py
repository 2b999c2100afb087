"""Read hidden states of a frozen model at chosen layers and positions, fast and padding-proof.

The forward pass stops right after the deepest requested layer (no later blocks, no lm_head), runs
without gradients and without a KV cache, on length-sorted batches. Captured vectors equal
``output_hidden_states`` of an unbatched forward.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import torch
from tqdm.auto import tqdm

from meta_lightning.capture.batching import length_sorted_batches, pad
from meta_lightning.capture.encode import EncodedText
from meta_lightning.capture.layers import LayerSpec, resolve_layers
from meta_lightning.capture.positions import PositionSpec, parse_positions
from meta_lightning.errors import ConfigError
from meta_lightning.models.architecture import ModelParts
from meta_lightning.models.dtypes import dtype_name
from meta_lightning.models.load import LoadedModel


class _StopForward(Exception):
    """Raised by the hook on the deepest requested layer to skip the rest of the forward pass."""


@dataclass
class CaptureResult:
    activations: list[torch.Tensor]
    """One tensor per example, shaped [layers, positions, d], on CPU, in the model's dtype."""
    layers: list[int]
    positions: list[list[int]]
    """Token indices read in each example (unpadded)."""
    metadata: dict = field(default_factory=dict)


@dataclass
class CaptureStats:
    forwards: int = 0
    examples: int = 0
    tokens: int = 0
    padded_tokens: int = 0
    seconds: float = 0.0

    @property
    def padding_fraction(self) -> float:
        return 1 - self.tokens / self.padded_tokens if self.padded_tokens else 0.0


class ActivationCapturer:
    """Captures activations of ``loaded`` for lists of encoded examples.

    Args:
        loaded: the input-model.
        layers: which hidden states (see :mod:`meta_lightning.capture.layers`).
        positions: which tokens (see :mod:`meta_lightning.capture.positions`).
        batch_size: most examples per forward.
        max_tokens: most padded tokens per forward.
        padding_side: ``right`` or ``left``; results are the same either way.
        progress: show a progress bar; ``None`` shows one for 64 examples or more.
    """

    def __init__(self, loaded: LoadedModel, layers: LayerSpec = -1, positions: PositionSpec = "last",
                 batch_size: int = 16, max_tokens: int = 8192, padding_side: str = "right",
                 progress: Optional[bool] = None):
        self.loaded = loaded
        self.parts = loaded.parts
        self.layers = resolve_layers(layers, self.parts.num_layers)
        self.positions = parse_positions(positions)
        if padding_side not in ("left", "right"):
            raise ConfigError("padding_side", f"{padding_side!r} is neither 'left' nor 'right'", "Use left or right")
        if batch_size < 1 or max_tokens < 1:
            raise ConfigError("batch_size", "batch_size and max_tokens must be positive", "Use values of 1 or more")
        self.batch_size, self.max_tokens, self.padding_side, self.progress = batch_size, max_tokens, padding_side, progress
        self.stats = CaptureStats()

    def metadata(self) -> dict:
        return {
            "model_fingerprint": self.loaded.fingerprint,
            "model_name": self.loaded.name,
            "num_layers": self.parts.num_layers,
            "layers": self.layers,
            "positions": self.positions.canonical(),
            "dtype": dtype_name(self.loaded.dtype),
            "hidden_size": self.parts.hidden_size,
        }

    def _hooks(self, store: dict, wanted: list[list[int]]):
        """Register hooks that copy each requested layer's rows at ``wanted`` positions into ``store``."""
        deepest = max(self.layers)
        n = self.parts.num_layers
        handles = []

        def keep(layer: int, hidden: torch.Tensor):
            store[layer] = [hidden[b, idx] for b, idx in enumerate(wanted)]
            if layer == deepest:
                raise _StopForward

        for layer in self.layers:
            if layer == 0:
                def pre_hook(module, args, kwargs, layer=layer):
                    keep(layer, ModelParts.block_input(args, kwargs))
                handles.append(self.parts.layers[0].register_forward_pre_hook(pre_hook, with_kwargs=True))
            else:
                last = layer == n and self.parts.final_norm is not None
                module = self.parts.final_norm if last else self.parts.layers[layer - 1]
                def post_hook(module, args, output, layer=layer):
                    keep(layer, ModelParts.block_output(output))
                handles.append(module.register_forward_hook(post_hook))
        return handles

    def _as_encoded(self, example) -> EncodedText:
        return example if isinstance(example, EncodedText) else EncodedText(list(example))

    @torch.inference_mode()
    def capture(self, examples: Sequence[Union[EncodedText, Sequence[int]]]) -> CaptureResult:
        examples = [self._as_encoded(e) for e in examples]
        for i, e in enumerate(examples):
            if len(e) == 0:
                raise ConfigError("examples", f"example {i} has no tokens", "Drop empty examples before capture")
        wanted_all = [self.positions.resolve(len(e), e.assistant_start, system_end=e.system_end) for e in examples]
        results: list[Optional[torch.Tensor]] = [None] * len(examples)
        model, device = self.loaded.model, self.loaded.device
        pad_id = self.loaded.tokenizer.pad_token_id or 0
        batches = length_sorted_batches([len(e) for e in examples], self.batch_size, self.max_tokens)
        show = self.progress if self.progress is not None else len(examples) >= 64
        bar = tqdm(total=len(examples), desc="capture", unit="ex", disable=not show)
        start = time.perf_counter()
        for batch in batches:
            padded = pad([examples[i].input_ids for i in batch], pad_id, self.padding_side)
            wanted = [torch.as_tensor([p + off for p in wanted_all[i]], device=device)
                      for i, off in zip(batch, padded.offsets)]
            kwargs = {"input_ids": padded.input_ids.to(device), "attention_mask": padded.attention_mask.to(device)}
            if self.parts.accepts("position_ids"):
                kwargs["position_ids"] = padded.position_ids.to(device)
            if self.parts.accepts("use_cache"):
                kwargs["use_cache"] = False
            store: dict[int, list[torch.Tensor]] = {}
            handles = self._hooks(store, wanted)
            try:
                model(**kwargs)
            except _StopForward:
                pass
            finally:
                for h in handles:
                    h.remove()
            for row, i in enumerate(batch):
                results[i] = torch.stack([store[layer][row] for layer in self.layers]).cpu()
            self.stats.forwards += 1
            self.stats.tokens += padded.real_tokens
            self.stats.padded_tokens += padded.padded_tokens
            bar.update(len(batch))
        bar.close()
        self.stats.examples += len(examples)
        self.stats.seconds += time.perf_counter() - start
        return CaptureResult(results, list(self.layers), wanted_all, self.metadata())
